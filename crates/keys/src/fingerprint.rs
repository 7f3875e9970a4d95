//! The lookup fingerprint: HMAC-SHA256 of the key under a key derived from the pepper.
//! It indexes the `api_keys` row and keys the verification cache, so the plaintext key is
//! never a map key, and without the pepper a database dump cannot be matched against keys.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Pepper;

type HmacSha256 = Hmac<Sha256>;

const FINGERPRINT_LABEL: &[u8] = b"algogate/api-key-fingerprint/v1";
const PEPPER_CHECK_LABEL: &[u8] = b"algogate/pepper-check/v1";

/// 32 bytes identifying one key. Not secret by itself, but printed as hex only.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Self(out))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A prefix is enough to correlate log lines.
        write!(f, "Fingerprint({}…)", &self.to_hex()[..12])
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Computes fingerprints under `k_fp = HMAC(pepper, label)`.
pub struct Fingerprinter {
    /// HMAC already keyed with `k_fp` (its padded key blocks absorbed), cloned per use:
    /// this is on every request's path.
    keyed: HmacSha256,
    pepper_check: String,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter(********)")
    }
}

impl Fingerprinter {
    pub fn new(pepper: &Pepper) -> Self {
        let p = pepper.expose().as_bytes();
        let k_fp = Zeroizing::new(hmac(p, FINGERPRINT_LABEL));
        Self {
            keyed: HmacSha256::new_from_slice(k_fp.as_ref()).expect("HMAC takes any key length"),
            pepper_check: hex::encode(hmac(p, PEPPER_CHECK_LABEL)),
        }
    }

    pub fn of(&self, key: &str) -> Fingerprint {
        let mut mac = self.keyed.clone();
        mac.update(key.as_bytes());
        Fingerprint(mac.finalize().into_bytes().into())
    }

    /// A value stored with the database so start-up can tell whether the pepper changed.
    /// One-way, and under a different label from `k_fp`.
    pub fn pepper_check(&self) -> &str {
        &self.pepper_check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_key_and_pepper() {
        let p1 = Pepper::new("x".repeat(32)).unwrap();
        let p2 = Pepper::new("y".repeat(32)).unwrap();
        let f1 = Fingerprinter::new(&p1);
        let f2 = Fingerprinter::new(&p2);
        assert_eq!(f1.of("k"), f1.of("k"));
        assert_ne!(f1.of("k"), f1.of("l"));
        assert_ne!(f1.of("k"), f2.of("k"));
        assert_ne!(f1.pepper_check(), f2.pepper_check());
        let fp = f1.of("k");
        assert_eq!(Fingerprint::from_hex(&fp.to_hex()), Some(fp));
        assert_eq!(Fingerprint::from_hex("zz"), None);
    }

    #[test]
    fn fingerprint_is_hmac_sha256_under_derived_key() {
        // Independent recomputation of the documented construction.
        let pepper = Pepper::new("p".repeat(40)).unwrap();
        let k_fp = hmac(pepper.expose().as_bytes(), FINGERPRINT_LABEL);
        let expected = hex::encode(hmac(&k_fp, b"abc"));
        assert_eq!(Fingerprinter::new(&pepper).of("abc").to_hex(), expected);
        assert!(!format!("{:?}", Fingerprinter::new(&pepper)).contains("pppp"));
    }
}
