//! Reading an OpenAlgo database (its `users` and `api_keys` tables) for import. Opened
//! read-only; columns are read by name so older and newer OpenAlgo schemas both work.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{ConnectOptions, Row};

use crate::Result;

#[derive(Clone)]
pub struct OpenAlgoUser {
    pub username: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
}

impl std::fmt::Debug for OpenAlgoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAlgoUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct OpenAlgoKey {
    /// OpenAlgo keeps the username here.
    pub user_id: String,
    pub api_key_hash: String,
    pub api_key_encrypted: Option<String>,
    pub created_at: Option<String>,
    pub order_mode: Option<String>,
}

impl std::fmt::Debug for OpenAlgoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAlgoKey")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

fn opt_str(row: &SqliteRow, col: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(col).ok().flatten()
}

/// Reads users and keys from the OpenAlgo SQLite database at `path`.
pub async fn read_openalgo(path: &str) -> Result<(Vec<OpenAlgoUser>, Vec<OpenAlgoKey>)> {
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
        .read_only(true)
        .connect()
        .await?;
    let users = sqlx::query("SELECT * FROM users ORDER BY id")
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(|r| OpenAlgoUser {
            username: opt_str(r, "username").unwrap_or_default(),
            email: opt_str(r, "email"),
            password_hash: opt_str(r, "password_hash").unwrap_or_default(),
            is_admin: r
                .try_get::<Option<bool>, _>("is_admin")
                .ok()
                .flatten()
                .unwrap_or(false),
        })
        .collect();
    let keys = sqlx::query("SELECT * FROM api_keys ORDER BY id")
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(|r| OpenAlgoKey {
            user_id: opt_str(r, "user_id")
                .or_else(|| r.try_get::<i64, _>("user_id").ok().map(|i| i.to_string()))
                .unwrap_or_default(),
            api_key_hash: opt_str(r, "api_key_hash")
                .or_else(|| opt_str(r, "api_key"))
                .unwrap_or_default(),
            api_key_encrypted: opt_str(r, "api_key_encrypted").filter(|s| !s.is_empty()),
            created_at: opt_str(r, "created_at"),
            order_mode: opt_str(r, "order_mode"),
        })
        .collect();
    Ok((users, keys))
}
