//! Secret-holding types. Their `Debug` and `Display` print a mask, never the value, so a
//! stray `{:?}` in a log line or a panic message cannot leak them.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

macro_rules! redacting_fmt {
    ($t:ty, $name:literal) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($name, "(********)"))
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("********")
            }
        }
    };
}

/// Any secret string (setup tokens, session ids, decrypted values of unknown shape).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);
redacting_fmt!(SecretString, "SecretString");

impl SecretString {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }
    /// The plaintext. Call sites are the places to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a string is not an API key. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyShapeError {
    #[error("an API key is 64 characters long, got {0}")]
    Length(usize),
    #[error("an API key holds only lowercase hexadecimal characters")]
    NotHex,
}

/// A well-formed API key: exactly 64 lowercase hex characters (OpenAlgo's
/// `secrets.token_hex(32)`).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Zeroizing<String>);
redacting_fmt!(ApiKey, "ApiKey");

impl ApiKey {
    pub const LEN: usize = 64;

    /// 32 bytes from the OS CSPRNG, hex encoded: 256 bits of entropy.
    pub fn generate() -> Self {
        let mut raw = Zeroizing::new([0u8; 32]);
        crate::random_bytes(raw.as_mut());
        Self(Zeroizing::new(hex::encode(raw.as_ref())))
    }

    /// The shape check that runs before any I/O. Cheap and allocation-free on failure.
    pub fn parse(s: &str) -> Result<Self, KeyShapeError> {
        if s.len() != Self::LEN {
            return Err(KeyShapeError::Length(s.chars().count()));
        }
        if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(KeyShapeError::NotHex);
        }
        Ok(Self(Zeroizing::new(s.to_owned())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// OpenAlgo's masked form: first 8, dots, last 8.
    pub fn masked(&self) -> String {
        format!("{}••••••••{}", &self.0[..8], &self.0[Self::LEN - 8..])
    }
}

/// A user's password as typed.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);
redacting_fmt!(Password, "Password");

impl Password {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PepperError {
    #[error("API_KEY_PEPPER must be at least {min} characters long, got {0}", min = Pepper::MIN_LEN)]
    TooShort(usize),
}

/// The server-wide pepper (`API_KEY_PEPPER`), appended to every key and password before
/// hashing and used to derive the Fernet and fingerprint keys.
#[derive(Clone)]
pub struct Pepper(Zeroizing<String>);
redacting_fmt!(Pepper, "Pepper");

impl Pepper {
    pub const MIN_LEN: usize = 32;

    pub fn new(s: impl Into<String>) -> Result<Self, PepperError> {
        let s = s.into();
        let n = s.chars().count();
        if n < Self::MIN_LEN {
            return Err(PepperError::TooShort(n));
        }
        Ok(Self(Zeroizing::new(s)))
    }

    /// A fresh random pepper: 64 hex characters.
    pub fn generate() -> Self {
        Self(Zeroizing::new(crate::random_hex(32).expose().to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn debug_and_display_print_a_mask() {
        let key = ApiKey::parse(KEY).unwrap();
        let pepper = Pepper::new("p".repeat(40)).unwrap();
        let pw = Password::new("hunter2-hunter2");
        let s = SecretString::new("top-secret-token");
        for shown in [
            format!("{key:?} {key} {:?}", Some(&key)),
            format!("{pepper:?} {pepper}"),
            format!("{pw:?} {pw}"),
            format!("{s:?} {s}"),
        ] {
            assert!(!shown.contains("0123456789"), "{shown}");
            assert!(!shown.contains("pppp"), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("top-secret"), "{shown}");
            assert!(shown.contains("********"), "{shown}");
        }
        assert_eq!(format!("{key:?}"), "ApiKey(********)");
    }

    #[test]
    fn generated_keys_are_64_lowercase_hex_and_distinct() {
        let a = ApiKey::generate();
        let b = ApiKey::generate();
        assert_eq!(a.expose().len(), 64);
        assert!(ApiKey::parse(a.expose()).is_ok());
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn shape_check_rejects_wrong_length_and_alphabet() {
        assert_eq!(ApiKey::parse(""), Err(KeyShapeError::Length(0)));
        assert_eq!(ApiKey::parse(&KEY[1..]), Err(KeyShapeError::Length(63)));
        assert_eq!(
            ApiKey::parse(&KEY.to_uppercase()),
            Err(KeyShapeError::NotHex)
        );
        let mut g = KEY.to_owned();
        g.replace_range(0..1, "g");
        assert_eq!(ApiKey::parse(&g), Err(KeyShapeError::NotHex));
        // Multi-byte input of 64 bytes must not panic or pass.
        assert!(ApiKey::parse(&"é".repeat(32)).is_err());
    }

    #[test]
    fn masked_shows_first_and_last_eight() {
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(key.masked(), "01234567••••••••89abcdef");
    }

    #[test]
    fn pepper_needs_32_characters() {
        assert_eq!(Pepper::new("short").err(), Some(PepperError::TooShort(5)));
        assert!(Pepper::new("x".repeat(32)).is_ok());
        assert_eq!(Pepper::generate().expose().len(), 64);
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
