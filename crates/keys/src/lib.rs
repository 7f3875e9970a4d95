//! Key material for algogate, byte-compatible with OpenAlgo.
//!
//! Owns: API key generation and shape, Argon2id hashing of `secret + pepper` (keys and
//! passwords), the Fernet cipher that keeps a recoverable copy of each key, the HMAC
//! fingerprint used to find a key's row in O(1), and secret wrapper types that never print
//! their contents.
//!
//! Must not know: databases, HTTP, async runtimes, configuration files. Everything here is
//! a pure function of its inputs plus the OS CSPRNG; callers decide where work runs (Argon2
//! is slow on purpose and belongs on a blocking pool).

mod cipher;
mod fingerprint;
mod hasher;
mod scope;
mod secret;

pub use cipher::{CipherError, FernetSalt, KeyCipher, LEGACY_FERNET_SALT};
pub use fingerprint::{Fingerprint, Fingerprinter};
pub use hasher::{HashError, Hasher};
pub use scope::{Scope, ScopeError, Scopes};
pub use secret::{ApiKey, KeyShapeError, Password, Pepper, PepperError, SecretString, ct_eq};

/// Fills `buf` from the operating system's CSPRNG.
///
/// # Panics
/// When the OS has no entropy source; nothing secure can continue then.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS CSPRNG is unavailable");
}

/// A random token of `n` bytes, hex encoded (used for setup tokens, session ids).
pub fn random_hex(n: usize) -> SecretString {
    let mut buf = vec![0u8; n];
    random_bytes(&mut buf);
    let out = SecretString::new(hex::encode(&buf));
    zeroize::Zeroize::zeroize(&mut buf);
    out
}
