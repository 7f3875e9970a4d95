//! Automatic certificates over ACME (RFC 8555) with the TLS-ALPN-01 challenge (RFC 8737):
//! the CA connects to the HTTPS port itself, so nothing else (no port 80) is needed.
//!
//! ```text
//! start ─▶ data/acme/<id>/{cert,key}.pem still good? ──yes──▶ serve it
//!   │ no / renewal due (less than min(renew_before, lifetime/3) left)
//!   ▼
//! account (data/acme/<id>/account.json, 0600, created once) ─▶ new order for the domains
//!   ─▶ per pending authorization: challenge certificate for acme-tls/1 ─▶ ready
//!   ─▶ poll until ready ─▶ CSR (new P-256 key) ─▶ certificate ─▶ save, swap in
//!   failure: keep the current certificate, record the error, retry 1 min … 6 h later
//! ```
//!
//! `<id>` is a hash of the directory URL and the domains, so changing either starts afresh
//! instead of serving a certificate for other names or from another CA.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::cert::{self, CertInfo};
use super::resolver::CertResolver;
use super::{MAX_PEM_BYTES, provider};
use crate::config::TlsSettings;
use crate::secrets::write_private_file;
use algogate_app::clock::Clock;

/// First retry after a failed order; doubles up to `MAX_RETRY` (a CA's failed-validation
/// limits are per hour).
const FIRST_RETRY: Duration = Duration::from_secs(60);
const MAX_RETRY: Duration = Duration::from_secs(6 * 3600);
/// The longest sleep between looks at the clock (so a changed clock is noticed).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long one order may wait for the CA's validation and for its certificate.
const ORDER_WAIT: Duration = Duration::from_secs(120);
/// Longest error text kept for the Security page.
const MAX_ERROR_CHARS: usize = 500;

/// What the Security page shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AcmeSnapshot {
    pub domains: Vec<String>,
    pub directory: String,
    /// Unix seconds.
    pub not_after: Option<i64>,
    pub last_renewal: Option<i64>,
    pub next_renewal: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

/// The ACME state shared by the renewal task and the Security page.
#[derive(Debug)]
pub struct AcmeStatus {
    dir: PathBuf,
    snapshot: Mutex<AcmeSnapshot>,
}

impl AcmeStatus {
    pub fn new(settings: &TlsSettings, data_dir: &Path) -> Self {
        let mut h = Sha256::new();
        h.update(settings.acme_directory.as_bytes());
        for d in &settings.acme_domains {
            h.update([0]);
            h.update(d.as_bytes());
        }
        let id = hex::encode(&h.finalize()[..8]);
        Self {
            dir: data_dir.join("acme").join(id),
            snapshot: Mutex::new(AcmeSnapshot {
                domains: settings.acme_domains.clone(),
                directory: settings.acme_directory.clone(),
                ..AcmeSnapshot::default()
            }),
        }
    }

    pub fn snapshot(&self) -> AcmeSnapshot {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AcmeSnapshot> {
        self.snapshot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    fn renewed_path(&self) -> PathBuf {
        self.dir.join("renewed_at")
    }

    fn account_path(&self) -> PathBuf {
        self.dir.join("account.json")
    }

    /// Serves the certificate a previous run obtained, when it is there and names every
    /// domain (expired or not: renewal replaces it at once if needed).
    pub fn load_cached(&self, resolver: &CertResolver) {
        let (Ok(cert_pem), Ok(key_pem)) = (read(&self.cert_path()), read(&self.key_path())) else {
            return;
        };
        let cert_name = self.cert_path().display().to_string();
        let key_name = self.key_path().display().to_string();
        match cert::parse(&cert_pem, &key_pem, &cert_name, &key_name) {
            Ok(loaded) => {
                let mut s = self.lock();
                if !s.domains.iter().all(|d| loaded.info.covers(d)) {
                    return;
                }
                s.not_after = Some(loaded.info.not_after);
                s.last_renewal = read(&self.renewed_path())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|t| t.trim().parse().ok());
                drop(s);
                tracing::info!(
                    domains = ?loaded.info.dns_names,
                    not_after = loaded.info.not_after,
                    "ACME certificate loaded from {cert_name}"
                );
                resolver.install(loaded);
            }
            Err(e) => tracing::warn!(error = %e, "ignoring the stored ACME certificate"),
        }
    }
}

fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_PEM_BYTES)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// When to renew `info`: less than `renew_before` left, or less than a third of its
/// lifetime for certificates shorter than three times that.
pub fn renew_at(info: &CertInfo, renew_before: Duration) -> i64 {
    let lifetime = (info.not_after - info.not_before).max(0);
    let before = i64::try_from(renew_before.as_secs())
        .unwrap_or(i64::MAX)
        .min(lifetime / 3);
    info.not_after - before
}

/// Orders, renews and retries forever.
pub async fn run(
    status: Arc<AcmeStatus>,
    settings: TlsSettings,
    resolver: Arc<CertResolver>,
    clock: Arc<dyn Clock>,
) {
    let mut retry = FIRST_RETRY;
    let mut retry_at: Option<i64> = None;
    loop {
        let now = clock.now_ms() / 1000;
        let due = retry_at.unwrap_or_else(|| {
            resolver
                .info()
                .map_or(now, |i| renew_at(&i, settings.acme_renew_before))
        });
        status.lock().next_renewal = Some(due);
        if due > now {
            let wait = Duration::from_secs(u64::try_from(due - now).unwrap_or(0)).min(MAX_SLEEP);
            tokio::time::sleep(wait).await;
            continue;
        }
        tracing::info!(domains = ?settings.acme_domains, directory = %settings.acme_directory,
            "requesting a certificate over ACME");
        let outcome = order(&status, &settings, &resolver).await;
        resolver.clear_challenges();
        let now = clock.now_ms() / 1000;
        match outcome {
            Ok(info) => {
                retry = FIRST_RETRY;
                retry_at = None;
                let mut s = status.lock();
                s.not_after = Some(info.not_after);
                s.last_renewal = Some(now);
                s.last_error = None;
                drop(s);
                if let Err(e) =
                    write_private_file(&status.renewed_path(), now.to_string().as_bytes())
                {
                    tracing::warn!(error = %e, "cannot record the renewal time");
                }
                tracing::info!(
                    domains = ?info.dns_names,
                    not_after = info.not_after,
                    renew_at = renew_at(&info, settings.acme_renew_before),
                    "ACME certificate obtained and in use"
                );
            }
            Err(e) => {
                let e: String = e.chars().take(MAX_ERROR_CHARS).collect();
                let at = now + i64::try_from(retry.as_secs()).unwrap_or(i64::MAX);
                tracing::error!(
                    error = %e,
                    retry_in_secs = retry.as_secs(),
                    "ACME certificate request failed; keeping the current certificate"
                );
                let mut s = status.lock();
                s.last_error = Some(e);
                s.last_error_at = Some(now);
                drop(s);
                retry_at = Some(at);
                retry = (retry * 2).min(MAX_RETRY);
            }
        }
    }
}

/// The stored account, or a new one (saved before it is used).
async fn account(status: &AcmeStatus, settings: &TlsSettings) -> Result<Account, String> {
    let builder = || match &settings.acme_ca_root {
        Some(root) => Account::builder_with_root(root)
            .map_err(|e| format!("acme_ca_root {}: {e}", root.display())),
        None => Account::builder().map_err(|e| format!("HTTPS client: {e}")),
    };
    let path = status.account_path();
    if let Ok(bytes) = read(&path) {
        let creds: AccountCredentials = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not an ACME account: {e}", path.display()))?;
        return builder()?
            .from_credentials(creds)
            .await
            .map_err(|e| format!("ACME account from {}: {e}", path.display()));
    }
    let contact = settings.acme_email.as_ref().map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let (account, creds) = builder()?
        .create(
            &NewAccount {
                contact: &contacts,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            settings.acme_directory.clone(),
            None,
        )
        .await
        .map_err(|e| {
            format!(
                "creating an ACME account at {}: {e}",
                settings.acme_directory
            )
        })?;
    let json = serde_json::to_vec(&creds).map_err(|e| e.to_string())?;
    write_private_file(&path, &json).map_err(|e| format!("{}: {e}", path.display()))?;
    tracing::info!(account = %path.display(), "ACME account created");
    Ok(account)
}

/// One order, start to end; the new certificate is saved and installed.
async fn order(
    status: &AcmeStatus,
    settings: &TlsSettings,
    resolver: &CertResolver,
) -> Result<CertInfo, String> {
    let account = account(status, settings).await?;
    let ids: Vec<Identifier> = settings
        .acme_domains
        .iter()
        .map(|d| Identifier::Dns(d.clone()))
        .collect();
    let mut order = account
        .new_order(&NewOrder::new(&ids))
        .await
        .map_err(|e| format!("new order: {e}"))?;
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz.map_err(|e| format!("authorization: {e}"))?;
        let domain = authz.identifier().to_string();
        match authz.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => return Err(format!("authorization for {domain} is {other:?}")),
        }
        let mut challenge = authz
            .challenge(ChallengeType::TlsAlpn01)
            .ok_or_else(|| format!("the CA offers no tls-alpn-01 challenge for {domain}"))?;
        let key = challenge_certificate(&domain, challenge.key_authorization().digest().as_ref())?;
        resolver.set_challenge(&domain, key);
        challenge
            .set_ready()
            .await
            .map_err(|e| format!("challenge for {domain}: {e}"))?;
    }
    let policy = RetryPolicy::new().timeout(ORDER_WAIT);
    let state = order
        .poll_ready(&policy)
        .await
        .map_err(|e| format!("waiting for validation: {e}"))?;
    if state != OrderStatus::Ready {
        let why = order
            .state()
            .error
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default();
        return Err(format!("order is {state:?} after validation {why}"));
    }
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(settings.acme_domains.clone()).map_err(|e| e.to_string())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key).map_err(|e| e.to_string())?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(|e| format!("finalize: {e}"))?;
    let chain = order
        .poll_certificate(&policy)
        .await
        .map_err(|e| format!("certificate: {e}"))?;
    let key_pem = zeroize::Zeroizing::new(key.serialize_pem());
    let loaded = cert::parse(
        chain.as_bytes(),
        key_pem.as_bytes(),
        "the CA's certificate",
        "the new key",
    )
    .map_err(|e| e.to_string())?;
    if let Some(missing) = settings
        .acme_domains
        .iter()
        .find(|d| !loaded.info.covers(d))
    {
        return Err(format!("the CA's certificate does not name {missing}"));
    }
    // Key first: a crash between the two leaves a pair that does not match, which the
    // next start ignores (and orders again) rather than serving.
    write_private_file(&status.key_path(), key_pem.as_bytes())
        .and_then(|()| write_private_file(&status.cert_path(), chain.as_bytes()))
        .map_err(|e| format!("saving the certificate under {}: {e}", status.dir.display()))?;
    let info = loaded.info.clone();
    resolver.install(loaded);
    Ok(info)
}

/// The self-signed certificate that answers the CA's acme-tls/1 handshake for `domain`:
/// the domain as its only name and the key authorization's digest in the critical
/// acmeIdentifier extension.
fn challenge_certificate(
    domain: &str,
    digest: &[u8],
) -> Result<Arc<rustls::sign::CertifiedKey>, String> {
    let mut params =
        rcgen::CertificateParams::new(vec![domain.to_owned()]).map_err(|e| e.to_string())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let signing = provider()
        .key_provider
        .load_private_key(der)
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(rustls::sign::CertifiedKey::new(
        vec![cert.der().clone()],
        signing,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(not_before: i64, not_after: i64) -> CertInfo {
        CertInfo {
            not_before,
            not_after,
            dns_names: vec![],
        }
    }

    #[test]
    fn renewal_is_well_before_expiry() {
        let day = 86_400;
        let thirty = Duration::from_secs(30 * 86_400);
        // Let's Encrypt's 90-day certificates: 30 days before.
        assert_eq!(renew_at(&info(0, 90 * day), thirty), 60 * day);
        // A 6-day certificate: two days before, not at once.
        assert_eq!(renew_at(&info(0, 6 * day), thirty), 4 * day);
        // A shorter renew_before wins on a long certificate.
        assert_eq!(
            renew_at(&info(0, 90 * day), Duration::from_secs(7 * 86_400)),
            83 * day
        );
        // Nonsense validity: renew at its end.
        assert_eq!(renew_at(&info(100, 50), thirty), 50);
    }

    #[test]
    fn the_state_directory_depends_on_the_ca_and_the_names() {
        let base = TlsSettings {
            acme_domains: vec!["a.example".into()],
            ..TlsSettings::default()
        };
        let other = TlsSettings {
            acme_domains: vec!["b.example".into()],
            ..base.clone()
        };
        let staging = TlsSettings {
            acme_directory: crate::config::LETS_ENCRYPT_STAGING.into(),
            ..base.clone()
        };
        let dir = |s: &TlsSettings| AcmeStatus::new(s, Path::new("data")).dir;
        assert!(dir(&base).starts_with("data/acme"));
        assert_ne!(dir(&base), dir(&other));
        assert_ne!(dir(&base), dir(&staging));
        assert_eq!(dir(&base), dir(&base.clone()));
    }

    #[test]
    fn the_challenge_certificate_names_the_domain_and_carries_the_digest() {
        let key = challenge_certificate("gw.example", &[7u8; 32]).unwrap();
        let der = key.end_entity_cert().unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
        let ext = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
            .expect("acmeIdentifier");
        assert!(ext.critical);
        assert!(ext.value.ends_with(&[7u8; 32]));
    }
}
