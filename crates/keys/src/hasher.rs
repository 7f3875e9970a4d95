//! Argon2id over `secret + pepper`, as OpenAlgo does with argon2-cffi's `PasswordHasher`.

use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::Pepper;

/// argon2-cffi's defaults (`argon2.PasswordHasher()`): RFC 9106 "low memory" profile.
pub const MEMORY_KIB: u32 = 65536;
pub const TIME_COST: u32 = 3;
pub const PARALLELISM: u32 = 4;
pub const HASH_LEN: usize = 32;
pub const SALT_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the stored hash is not a valid Argon2 PHC string: {0}")]
    Malformed(String),
    #[error("Argon2 failed: {0}")]
    Argon2(String),
}

/// Hashes and verifies peppered secrets. Every Argon2 computation is counted, so tests and
/// metrics can prove that unknown keys cost none.
pub struct Hasher {
    pepper: Pepper,
    runs: AtomicU64,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("pepper", &self.pepper)
            .field("runs", &self.runs())
            .finish()
    }
}

impl Hasher {
    pub fn new(pepper: Pepper) -> Self {
        Self {
            pepper,
            runs: AtomicU64::new(0),
        }
    }

    /// Number of Argon2 computations (hash or verify) so far.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    fn peppered(&self, secret: &str) -> Zeroizing<Vec<u8>> {
        let mut v = Vec::with_capacity(secret.len() + self.pepper.expose().len());
        v.extend_from_slice(secret.as_bytes());
        v.extend_from_slice(self.pepper.expose().as_bytes());
        Zeroizing::new(v)
    }

    /// A PHC string `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>` of `secret + pepper`.
    pub fn hash(&self, secret: &str) -> Result<String, HashError> {
        let params = Params::new(MEMORY_KIB, TIME_COST, PARALLELISM, Some(HASH_LEN))
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut salt = [0u8; SALT_LEN];
        crate::random_bytes(&mut salt);
        self.runs.fetch_add(1, Ordering::Relaxed);
        let phc = argon
            .hash_password_with_salt(&self.peppered(secret), &salt)
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        Ok(phc.to_string())
    }

    /// Verifies `secret + pepper` against a stored PHC string, using the algorithm, version
    /// and parameters written in that string (so OpenAlgo's hashes verify unchanged).
    /// A mismatch is `Ok(false)`; only a malformed stored hash is an error.
    pub fn verify(&self, phc: &str, secret: &str) -> Result<bool, HashError> {
        let parsed = argon2::password_hash::phc::PasswordHash::new(phc)
            .map_err(|e| HashError::Malformed(e.to_string()))?;
        if parsed.hash.is_none() || parsed.salt.is_none() {
            return Err(HashError::Malformed("no salt or hash".into()));
        }
        self.runs.fetch_add(1, Ordering::Relaxed);
        match Argon2::default().verify_password(&self.peppered(secret), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(HashError::Argon2(e.to_string())),
        }
    }

    /// Burns the same work as a real verification against a fixed hash, so a login for an
    /// unknown user takes as long as one for a known user.
    pub fn dummy_verify(&self, secret: &str) {
        let _ = self.verify(DUMMY_PHC, secret);
    }

    /// Whether a stored value looks like an Argon2 PHC string rather than a legacy
    /// plain-text key.
    pub fn is_phc(stored: &str) -> bool {
        stored.starts_with("$argon2")
    }
}

/// Argon2id hash of a random throwaway value with the default parameters.
const DUMMY_PHC: &str = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$nV0zRqoN7mOPxrlQnHHJpbgzE5JJ2Gvr2JBhzYNrkkQ";

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Hasher {
        Hasher::new(Pepper::new("a-pepper-that-is-long-enough-for-tests-0001").unwrap())
    }

    #[test]
    fn hash_uses_argon2_cffi_defaults_and_verifies() {
        let h = hasher();
        let phc = h.hash("secret").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"), "{phc}");
        assert!(h.verify(&phc, "secret").unwrap());
        assert!(!h.verify(&phc, "secreT").unwrap());
        assert_eq!(h.runs(), 3);
    }

    #[test]
    fn pepper_is_part_of_the_hash() {
        let phc = hasher().hash("secret").unwrap();
        let other = Hasher::new(Pepper::new("another-pepper-that-is-long-enough-0002").unwrap());
        assert!(!other.verify(&phc, "secret").unwrap());
    }

    #[test]
    fn malformed_hash_is_an_error_not_a_panic() {
        assert!(hasher().verify("not-a-hash", "x").is_err());
        assert!(hasher().verify("$argon2id$v=19$m=1", "x").is_err());
        assert!(!Hasher::is_phc("abcdef"));
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(hasher().verify(DUMMY_PHC, "x").is_ok());
    }
}
