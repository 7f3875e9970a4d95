//! PEM certificate chains and keys → a rustls `CertifiedKey`, checked to belong together,
//! and what the leaf says about itself (validity, names).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::{TlsError, provider};

/// A certificate ready for handshakes and what it says about itself.
#[derive(Debug)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    pub info: CertInfo,
}

/// The leaf certificate's validity (Unix seconds) and DNS names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub not_before: i64,
    pub not_after: i64,
    pub dns_names: Vec<String>,
}

impl CertInfo {
    fn of(der: &CertificateDer<'_>) -> Result<Self, String> {
        use x509_parser::extensions::GeneralName;
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let validity = cert.validity();
        let mut dns_names = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                if let GeneralName::DNSName(n) = name {
                    dns_names.push(n.to_ascii_lowercase());
                }
            }
        }
        Ok(Self {
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            dns_names,
        })
    }

    /// Whether the certificate names `domain` exactly (ACME certificates carry no
    /// wildcards here).
    pub fn covers(&self, domain: &str) -> bool {
        self.dns_names.iter().any(|n| n == domain)
    }
}

/// Parses a PEM chain (leaf first) and its key; `cert_name`/`key_name` name the sources in
/// errors.
pub fn parse(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_name: &str,
    key_name: &str,
) -> Result<Loaded, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCertificate {
            path: cert_name.into(),
            reason: format!("bad PEM: {e}"),
        })?;
    let Some(leaf) = chain.first() else {
        return Err(TlsError::NoCertificate {
            path: cert_name.into(),
        });
    };
    let info = CertInfo::of(leaf).map_err(|reason| TlsError::BadCertificate {
        path: cert_name.into(),
        reason,
    })?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: key_name.into(),
        },
        e => TlsError::BadKey {
            path: key_name.into(),
            reason: format!("bad PEM: {e}"),
        },
    })?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::BadKey {
            path: key_name.into(),
            reason: e.to_string(),
        })?;
    let certified = CertifiedKey::new(chain, signing);
    // ring's keys all expose their public key, so "unknown" cannot hide a mismatch.
    certified.keys_match().map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
            cert: cert_name.into(),
            key: key_name.into(),
        },
        e => TlsError::BadCertificate {
            path: cert_name.into(),
            reason: e.to_string(),
        },
    })?;
    Ok(Loaded {
        key: Arc::new(certified),
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    #[test]
    fn a_pair_parses_and_reports_its_names() {
        let (cert, key) = pair("gw.example");
        let l = parse(cert.as_bytes(), key.as_bytes(), "c.pem", "k.pem").unwrap();
        assert_eq!(l.info.dns_names, ["gw.example"]);
        assert!(l.info.covers("gw.example") && !l.info.covers("other.example"));
        assert!(l.info.not_after > l.info.not_before);
    }

    #[test]
    fn errors_name_the_file_and_the_reason() {
        let (cert, key) = pair("a.example");
        let (_, other_key) = pair("b.example");
        let e = parse(cert.as_bytes(), other_key.as_bytes(), "c.pem", "k.pem").unwrap_err();
        assert!(matches!(e, TlsError::Mismatch { .. }), "{e}");
        assert!(e.to_string().contains("k.pem") && e.to_string().contains("c.pem"));
        let e = parse(b"hello", key.as_bytes(), "c.pem", "k.pem").unwrap_err();
        assert!(
            e.to_string().starts_with("c.pem: no PEM certificate"),
            "{e}"
        );
        let e = parse(cert.as_bytes(), cert.as_bytes(), "c.pem", "k.pem").unwrap_err();
        assert!(
            e.to_string().starts_with("k.pem: no PEM private key"),
            "{e}"
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = parse(garbage.as_bytes(), key.as_bytes(), "c.pem", "k.pem").unwrap_err();
        assert!(
            e.to_string().contains("c.pem: not an X.509 certificate"),
            "{e}"
        );
    }
}
