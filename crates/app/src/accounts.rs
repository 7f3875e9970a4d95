//! Creating users: the one path used by the setup page and `algogate user create`.
//! Validates the username and the password's strength, hashes the password (Argon2id +
//! pepper, on the key service's pool), and creates the user with a fresh API key in one
//! transaction.

use algogate_keys::{ApiKey, Password};
use algogate_store::{NewUser, Store, StoreError, UserId};

use crate::keyservice::{KeyError, KeyService};

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Bounds the Argon2 input; nobody types more.
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Bad input, with a message fit to show the user.
    #[error("{0}")]
    Invalid(String),
    #[error("a user named {0:?} already exists")]
    Exists(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Exists(what),
            e => Self::Store(e),
        }
    }
}

/// 1 to 64 characters of letters, digits, `.`, `_`, `-` or `@`.
pub fn validate_username(name: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(
            "Username: 1 to 64 characters of letters, digits, '.', '_', '-' or '@'.".into(),
        ))
    }
}

/// Every rule the password breaks, as messages (empty when it is strong enough). The web
/// page's meter mirrors these rules; this is the authority.
pub fn password_problems(password: &str, username: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        out.push(format!("at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        out.push(format!("at most {MAX_PASSWORD_BYTES} bytes"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        out.push("at least three of: lowercase letters, uppercase letters, digits, symbols".into());
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        out.push("must not contain the username".into());
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if chars >= MIN_PASSWORD_CHARS && distinct.len() < 5 {
        out.push("at least 5 different characters".into());
    }
    out
}

pub fn check_password(password: &str, username: &str) -> Result<(), AccountError> {
    let problems = password_problems(password, username);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "Password too weak: {}.",
            problems.join("; ")
        )))
    }
}

#[derive(Debug)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub is_admin: bool,
    pub password: Password,
}

/// Creates the user and their API key; other processes' key caches are told through
/// `settings.key_generation`.
pub async fn create_user(
    store: &Store,
    keys: &KeyService,
    account: NewAccount<'_>,
) -> Result<UserId, AccountError> {
    validate_username(account.username)?;
    check_password(account.password.expose(), account.username)?;
    if store.user_by_username(account.username).await?.is_some() {
        return Err(AccountError::Exists(account.username.to_string()));
    }
    let hash = keys.hash_password(account.password).await?;
    let sealed = keys.seal_new(ApiKey::generate()).await?;
    let id = store
        .create_user(
            &NewUser {
                username: account.username,
                email: account.email,
                password_hash: &hash,
                is_admin: account.is_admin,
            },
            Some(&sealed),
        )
        .await?;
    store.bump_key_generation().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_passwords_pass_and_weak_ones_say_why() {
        assert!(password_problems("Correct-horse-7", "admin").is_empty());
        assert!(password_problems("binary-test-password-7d1e", "admin").is_empty());
        let p = password_problems("short", "admin");
        assert!(p.iter().any(|m| m.contains("10 characters")), "{p:?}");
        let p = password_problems("alllowercaseletters", "admin");
        assert!(p.iter().any(|m| m.contains("three of")), "{p:?}");
        let p = password_problems("Admin-1234567", "admin");
        assert!(p.iter().any(|m| m.contains("username")), "{p:?}");
        let p = password_problems("aA1!aA1!aA1!", "x");
        assert!(p.iter().any(|m| m.contains("different")), "{p:?}");
        assert!(!password_problems(&"aA1!".repeat(300), "x").is_empty());
    }

    #[test]
    fn usernames_are_checked() {
        assert!(validate_username("admin@example.com").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username(&"a".repeat(65)).is_err());
    }
}
