//! Prints hashes and tokens made by algogate-keys as JSON, for
//! scripts/interop/check_rust_vectors.py to verify with the Python libraries.

use algogate_keys::{ApiKey, FernetSalt, Hasher, KeyCipher, Pepper};

fn main() {
    let pepper = Pepper::generate();
    let (salt, salt_hex) = FernetSalt::generate();
    let hasher = Hasher::new(pepper.clone());
    let modern = KeyCipher::new(&pepper, &salt);
    let legacy = KeyCipher::new(&pepper, &FernetSalt::Legacy);
    let keys: Vec<serde_json::Value> = (0..3)
        .map(|_| {
            let key = ApiKey::generate();
            serde_json::json!({
                "key": key.expose(),
                "argon2": hasher.hash(key.expose()).expect("argon2"),
                "fernet": modern.encrypt(key.expose()),
                "fernet_legacy": legacy.encrypt(key.expose()),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "pepper": pepper.expose(),
        "fernet_salt_hex": salt_hex.expose(),
        "keys": keys,
    });
    println!("{doc}");
}
