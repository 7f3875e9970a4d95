//! HTTPS and WSS on both ports, with rustls (TLS 1.2 and 1.3 only, ring as the provider).
//!
//! The certificate comes from files (`tls_cert`/`tls_key`, reloaded when they change) or
//! from an ACME CA (`acme_domains`, TLS-ALPN-01 on the HTTPS port, see `acme.rs`). Either
//! way it sits in one [`CertResolver`]: every handshake reads the certificate in force, so
//! a reload or a renewal applies to new connections at once and leaves open ones alone.

mod acme;
mod cert;
mod files;
pub mod redirect;
mod resolver;

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::config::{Config, TlsSettings};
use crate::connections::{ACME_TLS_ALPN, TlsTransport};
use algogate_app::clock::Clock;

pub use acme::{AcmeSnapshot, AcmeStatus};
pub use cert::CertInfo;
pub use resolver::CertResolver;

/// Largest certificate or key file read (a chain is a few KB).
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// What went wrong with a certificate or key; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: larger than {MAX_PEM_BYTES} bytes; not a PEM certificate or key")]
    TooLarge { path: String },
    #[error("{path}: no PEM certificate (-----BEGIN CERTIFICATE-----) found")]
    NoCertificate { path: String },
    #[error("{path}: {reason}")]
    BadCertificate { path: String, reason: String },
    #[error("{path}: no PEM private key (PKCS#8, PKCS#1 or SEC1) found")]
    NoKey { path: String },
    #[error("{path}: unusable private key: {reason}")]
    BadKey { path: String, reason: String },
    #[error("the private key in {key} does not belong to the certificate in {cert}")]
    Mismatch { cert: String, key: String },
    #[error("TLS setup: {0}")]
    Setup(String),
}

/// The configured TLS: the acceptor for both listeners and the certificate's source.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    resolver: Arc<CertResolver>,
    acme: Option<Arc<AcmeStatus>>,
    settings: TlsSettings,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("resolver", &self.resolver)
            .field("acme", &self.acme)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// `None` without TLS settings. Certificate files are read now, so a bad path or a
    /// key that does not match stops start-up; an ACME certificate kept under `data/` is
    /// loaded when it is still good, else it is ordered once the server runs.
    pub fn from_config(config: &Config) -> Result<Option<Self>, TlsError> {
        let settings = config.tls.clone();
        if !settings.enabled() {
            return Ok(None);
        }
        // The ACME client's HTTPS uses the process default; make it ours.
        let _ = provider().install_default();
        let resolver = Arc::new(CertResolver::default());
        let acme = if let (Some(cert), Some(key)) = (&settings.cert, &settings.key) {
            let pair = files::read_pair(cert, key)?;
            resolver.install(files::certified(&pair, cert, key)?);
            None
        } else {
            let status = Arc::new(AcmeStatus::new(&settings, &config.data_dir));
            status.load_cached(&resolver);
            Some(status)
        };
        let mut server = ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        if acme.is_some() {
            server.alpn_protocols.push(ACME_TLS_ALPN.to_vec());
        }
        Ok(Some(Self {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            resolver,
            acme,
            settings,
        }))
    }

    /// What the accept loop needs: the acceptor and the HSTS header value.
    pub fn transport(&self) -> TlsTransport {
        let age = self.settings.hsts_max_age_secs;
        TlsTransport {
            acceptor: self.acceptor.clone(),
            hsts: (age > 0).then(|| {
                axum::http::HeaderValue::from_str(&format!("max-age={age}"))
                    .expect("digits are header text")
            }),
        }
    }

    pub fn resolver(&self) -> &Arc<CertResolver> {
        &self.resolver
    }

    /// The ACME state for the Security page (`None` with certificate files).
    pub fn acme(&self) -> Option<&Arc<AcmeStatus>> {
        self.acme.as_ref()
    }

    /// The host names HTTPS is served for: the ACME domains, else the certificate's DNS
    /// names. The setup URL and the HTTP redirect use these, never a client's Host header.
    pub fn names(&self) -> Vec<String> {
        if !self.settings.acme_domains.is_empty() {
            return self.settings.acme_domains.clone();
        }
        self.resolver
            .info()
            .map(|i| i.dns_names.clone())
            .unwrap_or_default()
    }

    /// Keeps the certificate current: polls the files, or orders and renews over ACME.
    pub fn spawn(&self, clock: Arc<dyn Clock>) -> JoinHandle<()> {
        match (&self.settings.cert, &self.settings.key, &self.acme) {
            (Some(cert), Some(key), _) => tokio::spawn(files::watch(
                self.resolver.clone(),
                cert.clone(),
                key.clone(),
            )),
            (_, _, Some(status)) => tokio::spawn(acme::run(
                status.clone(),
                self.settings.clone(),
                self.resolver.clone(),
                clock,
            )),
            _ => tokio::spawn(async {}),
        }
    }
}

/// rustls' ring provider: the one crypto backend of the binary (no C toolchain needed).
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}
