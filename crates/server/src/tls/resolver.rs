//! The certificate each handshake gets: the one in force, or, for the CA's TLS-ALPN-01
//! validation, the challenge certificate of the name it asks for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::cert::{CertInfo, Loaded};
use crate::connections::ACME_TLS_ALPN;

#[derive(Default)]
pub struct CertResolver {
    /// Read lock-free on every handshake; swapped whole on reload or renewal.
    current: ArcSwapOption<Loaded>,
    /// Challenge certificates by domain, present only while an order is validated.
    challenges: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertResolver")
            .field("current", &self.info().map(|i| i.not_after))
            .finish_non_exhaustive()
    }
}

impl CertResolver {
    pub fn install(&self, loaded: Loaded) {
        self.current.store(Some(Arc::new(loaded)));
    }

    /// The certificate in force, if any yet.
    pub fn info(&self) -> Option<CertInfo> {
        self.current.load().as_ref().map(|l| l.info.clone())
    }

    pub fn set_challenge(&self, domain: &str, key: Arc<CertifiedKey>) {
        self.lock().insert(domain.to_owned(), key);
    }

    pub fn clear_challenges(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<CertifiedKey>>> {
        self.challenges.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if acme {
            // Only the challenge certificate may answer acme-tls/1 (RFC 8737 §3).
            let name = hello.server_name()?.to_ascii_lowercase();
            return self.lock().get(&name).cloned();
        }
        self.current.load().as_ref().map(|l| l.key.clone())
    }
}
