//! The one-time setup token printed on a fresh database. Only its SHA-256 is kept; it dies
//! when used or when the server stops.

use std::sync::Mutex;

use algogate_keys::SecretString;
use sha2::{Digest, Sha256};

#[derive(Debug, Default)]
pub struct SetupGate {
    digest: Mutex<Option<[u8; 32]>>,
}

impl SetupGate {
    /// Issues a new token (replacing any earlier one) and returns it for printing.
    pub fn issue(&self) -> SecretString {
        let token = algogate_keys::random_hex(32);
        *self.digest.lock().expect("setup lock") = Some(Sha256::digest(token.expose()).into());
        token
    }

    pub fn is_open(&self) -> bool {
        self.digest.lock().expect("setup lock").is_some()
    }

    /// Checks the token without consuming it (to show the setup form).
    pub fn check(&self, token: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(token).into();
        self.digest
            .lock()
            .expect("setup lock")
            .is_some_and(|stored| algogate_keys::ct_eq(&stored, &d))
    }

    /// Consumes the token: true exactly once for the right token.
    pub fn consume(&self, token: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(token).into();
        let mut slot = self.digest.lock().expect("setup lock");
        if slot.is_some_and(|stored| algogate_keys::ct_eq(&stored, &d)) {
            *slot = None;
            true
        } else {
            false
        }
    }

    /// Closes setup (a user was created by other means).
    pub fn close(&self) {
        *self.digest.lock().expect("setup lock") = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_works_once() {
        let g = SetupGate::default();
        assert!(!g.consume("x"));
        let t = g.issue();
        assert!(g.is_open());
        assert!(!g.check("wrong"));
        assert!(g.check(t.expose()));
        assert!(g.consume(t.expose()));
        assert!(!g.consume(t.expose()));
        assert!(!g.is_open());
    }
}
