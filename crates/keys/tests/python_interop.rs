//! Vectors made by argon2-cffi and cryptography (scripts/interop/make_vectors.py): we must
//! verify their hashes and decrypt their tokens. The other direction (Python accepts ours)
//! is checked by scripts/interop/check_rust_vectors.py on `cargo run --example
//! emit_vectors`, which the test script runs.

use algogate_keys::{ApiKey, FernetSalt, Hasher, KeyCipher, Password, Pepper};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/python.json")).unwrap()
}

#[test]
fn argon2_cffi_hashes_verify_with_the_same_pepper_only() {
    let v = vectors();
    let hasher = Hasher::new(Pepper::new(v["pepper"].as_str().unwrap()).unwrap());
    let other = Hasher::new(Pepper::new("some-other-pepper-that-is-long-enough").unwrap());
    for item in v["keys"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let phc = item["argon2"].as_str().unwrap();
        assert!(ApiKey::parse(key).is_ok());
        assert!(hasher.verify(phc, key).unwrap());
        assert!(!hasher.verify(phc, &key.replace('a', "b")).unwrap_or(true));
        assert!(!other.verify(phc, key).unwrap());
    }
    let pw = Password::new(v["password"].as_str().unwrap());
    assert!(
        hasher
            .verify(v["password_argon2"].as_str().unwrap(), pw.expose())
            .unwrap()
    );
}

#[test]
fn cryptography_fernet_tokens_decrypt_with_hex_and_legacy_salt() {
    let v = vectors();
    let pepper = Pepper::new(v["pepper"].as_str().unwrap()).unwrap();
    let salt = FernetSalt::from_hex(v["fernet_salt_hex"].as_str().unwrap()).unwrap();
    let modern = KeyCipher::new(&pepper, &salt);
    let legacy = KeyCipher::new(&pepper, &FernetSalt::Legacy);
    for item in v["keys"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let token = item["fernet"].as_str().unwrap();
        let legacy_token = item["fernet_legacy"].as_str().unwrap();
        assert_eq!(modern.decrypt(token).unwrap().expose(), key);
        assert_eq!(legacy.decrypt(legacy_token).unwrap().expose(), key);
        assert!(modern.decrypt(legacy_token).is_err());
        assert!(legacy.decrypt(token).is_err());
    }
}
