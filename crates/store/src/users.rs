//! The `users` table.

use crate::{NewKey, Result, Store, StoreError, UserId, is_unique_violation};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    /// Argon2id PHC string; not secret by itself, but never logged.
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: String,
}

impl UserRow {
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_admin: bool,
}

const USER_COLS: &str = "id, username, email, password_hash, is_admin, created_at";

impl Store {
    pub async fn count_users(&self) -> Result<i64> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(p)
        .await)?)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(&format!(
            "SELECT {USER_COLS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(p)
        .await)?)
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(&format!(
            "SELECT {USER_COLS} FROM users WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(p)
        .await)?)
    }

    /// Creates a user and, when given, their API key, in one transaction.
    pub async fn create_user(&self, user: &NewUser<'_>, key: Option<&NewKey>) -> Result<UserId> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            let res = sqlx::query_scalar(
                "INSERT INTO users (username, email, password_hash, is_admin) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user.username)
            .bind(user.email)
            .bind(user.password_hash)
            .bind(user.is_admin)
            .fetch_one(&mut *tx)
            .await;
            let id = match res {
                Ok(id) => UserId(id),
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!("user '{}'", user.username)));
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(key) = key {
                upsert_key!(self.backend(), &mut *tx, id, key)?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }
}
