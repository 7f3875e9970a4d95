//! `algogate import-openalgo`: users and API keys from an OpenAlgo SQLite database.
//!
//! Hashes are kept exactly as OpenAlgo wrote them (they verify because this install uses
//! the same pepper). Each key is decrypted to compute its fingerprint and checked against
//! its hash; a token made under another Fernet salt (or OpenAlgo's legacy static salt) is
//! re-encrypted under ours. Every row gets a reported outcome, and running it twice
//! changes nothing the second time.

use algogate_keys::{ApiKey, FernetSalt, Hasher, KeyCipher, Pepper};
use algogate_store::{NewUser, OrderMode, Store, StoreError};

use crate::keyservice::KeyService;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported,
    AlreadyImported,
    Skipped(String),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct RowReport {
    pub what: String,
    pub outcome: Outcome,
}

impl std::fmt::Display for RowReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.outcome {
            Outcome::Imported => write!(f, "{}: imported", self.what),
            Outcome::AlreadyImported => write!(f, "{}: already imported, unchanged", self.what),
            Outcome::Skipped(r) => write!(f, "{}: skipped ({r})", self.what),
            Outcome::Failed(r) => write!(f, "{}: FAILED ({r})", self.what),
        }
    }
}

pub async fn import(
    store: &Store,
    keys: &KeyService,
    pepper: &Pepper,
    source_salt: Option<&FernetSalt>,
    path: &str,
) -> anyhow::Result<Vec<RowReport>> {
    let (users, rows) = algogate_store::read_openalgo(path).await?;
    let mut report = Vec::new();
    for u in &users {
        let what = format!("user {}", u.username);
        let outcome = if u.username.is_empty() || !Hasher::is_phc(&u.password_hash) {
            Outcome::Skipped("no username or no Argon2 password hash".into())
        } else {
            match store.user_by_username(&u.username).await? {
                Some(existing) if existing.password_hash == u.password_hash => {
                    Outcome::AlreadyImported
                }
                Some(_) => Outcome::Skipped("a different user with this name exists here".into()),
                None => {
                    let new = NewUser {
                        username: &u.username,
                        email: u.email.as_deref(),
                        password_hash: &u.password_hash,
                        is_admin: u.is_admin,
                    };
                    match store.create_user(&new, None).await {
                        Ok(_) => Outcome::Imported,
                        Err(StoreError::Conflict(_)) => Outcome::AlreadyImported,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        };
        report.push(RowReport { what, outcome });
    }

    let crypto = keys.crypto();
    let mut ciphers: Vec<(&KeyCipher, bool)> = vec![];
    let given = source_salt.map(|s| KeyCipher::new(pepper, s));
    let legacy = KeyCipher::new(pepper, &FernetSalt::Legacy);
    match &given {
        Some(c) => ciphers.push((c, false)),
        None => {
            ciphers.push((&crypto.cipher, true));
            ciphers.push((&legacy, false));
        }
    }
    for row in &rows {
        let what = format!("api key of {}", row.user_id);
        let outcome = import_key(store, keys, &ciphers, row).await?;
        report.push(RowReport { what, outcome });
    }
    store.bump_key_generation().await?;
    // New rows may be legacy ones, and earlier rejections may now be valid keys.
    keys.invalidate_all().await;
    Ok(report)
}

async fn import_key(
    store: &Store,
    keys: &KeyService,
    ciphers: &[(&KeyCipher, bool)],
    row: &algogate_store::OpenAlgoKey,
) -> anyhow::Result<Outcome> {
    let Some(user) = store.user_by_username(&row.user_id).await? else {
        return Ok(Outcome::Skipped(format!(
            "no user named {:?} was imported",
            row.user_id
        )));
    };
    let mode = row
        .order_mode
        .as_deref()
        .and_then(|m| m.parse().ok())
        .unwrap_or(OrderMode::Auto);
    let existing = store.key_for_user(user.user_id()).await?;

    // Very old OpenAlgo: the key itself in plain text. Kept as a legacy row; the first
    // successful use upgrades it.
    if !Hasher::is_phc(&row.api_key_hash) {
        if ApiKey::parse(&row.api_key_hash).is_err() {
            return Ok(Outcome::Failed(
                "neither an Argon2 hash nor a plain API key".into(),
            ));
        }
        if let Some(e) = existing {
            return Ok(if e.is_legacy() && e.api_key_hash == row.api_key_hash {
                Outcome::AlreadyImported
            } else {
                Outcome::Skipped("this user already has a different key here".into())
            });
        }
        store
            .insert_imported_key(
                user.user_id(),
                &row.api_key_hash,
                None,
                None,
                mode,
                row.created_at.as_deref(),
            )
            .await?;
        return Ok(Outcome::Imported);
    }

    let Some(token) = row.api_key_encrypted.as_deref() else {
        return Ok(Outcome::Failed(
            "no encrypted copy, so the key cannot be recovered; regenerate it after import".into(),
        ));
    };
    let Some((key, ours)) = ciphers.iter().find_map(|(c, ours)| {
        c.decrypt(token)
            .ok()
            .and_then(|s| ApiKey::parse(s.expose()).ok())
            .map(|k| (k, *ours))
    }) else {
        return Ok(Outcome::Failed(
            "the encrypted key does not decrypt: check API_KEY_PEPPER and the source's \
             FERNET_SALT (--openalgo-fernet-salt)"
                .into(),
        ));
    };
    let hash = row.api_key_hash.clone();
    let k = key.clone();
    let verified = keys
        .on_argon2_pool(move |c| c.hasher.verify(&hash, k.expose()))
        .await??;
    if !verified {
        return Ok(Outcome::Failed(
            "the key does not match its hash: this install's API_KEY_PEPPER differs from the \
             OpenAlgo install's"
                .into(),
        ));
    }
    let fingerprint = keys.crypto().fingerprinter.of(key.expose()).to_hex();
    if let Some(e) = existing {
        return Ok(
            if e.key_fingerprint.as_deref() == Some(fingerprint.as_str()) {
                Outcome::AlreadyImported
            } else {
                Outcome::Skipped("this user already has a different key here".into())
            },
        );
    }
    let encrypted = if ours {
        token.to_string()
    } else {
        keys.crypto().cipher.encrypt(key.expose())
    };
    store
        .insert_imported_key(
            user.user_id(),
            &row.api_key_hash,
            Some(&encrypted),
            Some(&fingerprint),
            mode,
            row.created_at.as_deref(),
        )
        .await?;
    Ok(Outcome::Imported)
}
