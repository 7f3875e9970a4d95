//! Fernet encryption of API keys so the owner can see them again. The Fernet key is
//! `urlsafe_b64(PBKDF2-HMAC-SHA256(pepper, salt, 100000, 32))`, exactly OpenAlgo's
//! `get_encryption_key()`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use zeroize::Zeroizing;

use crate::{Pepper, SecretString};

pub const PBKDF2_ITERATIONS: u32 = 100_000;
/// The salt OpenAlgo used before `FERNET_SALT` existed.
pub const LEGACY_FERNET_SALT: &[u8] = b"openalgo_static_salt";

/// The PBKDF2 salt: `bytes.fromhex(FERNET_SALT)`, or OpenAlgo's legacy literal.
#[derive(Clone, PartialEq, Eq)]
pub enum FernetSalt {
    Hex(Vec<u8>),
    Legacy,
}

impl std::fmt::Debug for FernetSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hex(_) => f.write_str("FernetSalt::Hex(********)"),
            Self::Legacy => f.write_str("FernetSalt::Legacy"),
        }
    }
}

impl FernetSalt {
    pub const MIN_HEX_LEN: usize = 32;

    /// Parses `FERNET_SALT`: hex, at least 32 characters.
    pub fn from_hex(s: &str) -> Result<Self, CipherError> {
        let s = s.trim();
        if s.len() < Self::MIN_HEX_LEN {
            return Err(CipherError::BadSalt(format!(
                "FERNET_SALT must be at least {} hex characters, got {}",
                Self::MIN_HEX_LEN,
                s.len()
            )));
        }
        hex::decode(s)
            .map(Self::Hex)
            .map_err(|_| CipherError::BadSalt("FERNET_SALT must be hexadecimal".into()))
    }

    /// A fresh random salt, returned with its hex form for `secrets.env`.
    pub fn generate() -> (Self, SecretString) {
        let hex = crate::random_hex(32);
        let salt = Self::from_hex(hex.expose()).expect("generated hex is valid");
        (salt, hex)
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Self::Hex(b) => b,
            Self::Legacy => LEGACY_FERNET_SALT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("{0}")]
    BadSalt(String),
    #[error("the token does not decrypt under this pepper and salt")]
    Decrypt,
    #[error("the decrypted value is not UTF-8")]
    NotUtf8,
}

/// Encrypts and decrypts stored API keys.
pub struct KeyCipher {
    fernet: fernet::Fernet,
}

impl std::fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCipher(********)")
    }
}

impl KeyCipher {
    pub fn new(pepper: &Pepper, salt: &FernetSalt) -> Self {
        let mut raw = Zeroizing::new([0u8; 32]);
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            pepper.expose().as_bytes(),
            salt.bytes(),
            PBKDF2_ITERATIONS,
            raw.as_mut(),
        );
        let b64 = Zeroizing::new(URL_SAFE.encode(raw.as_ref()));
        let fernet = fernet::Fernet::new(&b64).expect("a 32-byte url-safe base64 key is valid");
        Self { fernet }
    }

    /// A Fernet token (version 0x80, AES-128-CBC + HMAC-SHA256, random IV, current time).
    pub fn encrypt(&self, plaintext: &str) -> String {
        self.fernet.encrypt(plaintext.as_bytes())
    }

    pub fn decrypt(&self, token: &str) -> Result<SecretString, CipherError> {
        let bytes = Zeroizing::new(
            self.fernet
                .decrypt(token.trim())
                .map_err(|_| CipherError::Decrypt)?,
        );
        let s = std::str::from_utf8(&bytes).map_err(|_| CipherError::NotUtf8)?;
        Ok(SecretString::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pepper() -> Pepper {
        Pepper::new("cipher-test-pepper-0123456789abcdef").unwrap()
    }

    #[test]
    fn round_trip_and_wrong_salt_fails() {
        let salt = FernetSalt::from_hex(&"ab".repeat(16)).unwrap();
        let c = KeyCipher::new(&pepper(), &salt);
        let t = c.encrypt("hello");
        assert!(t.starts_with("gAAAAA"), "{t}");
        assert_eq!(c.decrypt(&t).unwrap().expose(), "hello");
        let legacy = KeyCipher::new(&pepper(), &FernetSalt::Legacy);
        assert!(matches!(legacy.decrypt(&t), Err(CipherError::Decrypt)));
        assert!(legacy.decrypt("garbage").is_err());
    }

    #[test]
    fn salt_validation() {
        assert!(FernetSalt::from_hex("abcd").is_err());
        assert!(FernetSalt::from_hex(&"zz".repeat(16)).is_err());
        let (salt, hex) = FernetSalt::generate();
        assert_eq!(hex.expose().len(), 64);
        assert_eq!(FernetSalt::from_hex(hex.expose()).unwrap(), salt);
        assert!(!format!("{salt:?}").contains(hex.expose()));
    }
}
