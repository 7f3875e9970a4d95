//! The `sessions` table: web UI logins. Rows are keyed by a digest of the session id
//! (computed by the caller); the id itself never reaches the database.

use crate::{Result, Store, UserId};

/// One session joined with its user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
}

impl SessionRow {
    pub fn user(&self) -> UserId {
        UserId(self.user_id)
    }
}

impl Store {
    /// Stores a new session; `id_hash` must be unique (a random id's digest).
    pub async fn insert_session(
        &self,
        id_hash: &str,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        on_db!(&self.db, |p| sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user.0)
        .bind(now)
        .bind(now)
        .bind(expires_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(
            "SELECT s.user_id, u.username, u.is_admin, s.created_at, s.last_seen, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(p)
        .await)?)
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        on_db!(&self.db, |p| sqlx::query(
            "UPDATE sessions SET last_seen = $1 WHERE id_hash = $2"
        )
        .bind(now)
        .bind(id_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes one session; true when it existed.
    pub async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        let r = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM sessions WHERE id_hash = $1"
        )
        .bind(id_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(r == 1)
    }

    /// Deletes sessions past their hard expiry or idle since before `idle_before`.
    pub async fn purge_sessions(&self, now: i64, idle_before: i64) -> Result<u64> {
        let r = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen < $2"
        )
        .bind(now)
        .bind(idle_before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(r)
    }

    pub async fn count_sessions(&self) -> Result<i64> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions"
        )
        .fetch_one(p)
        .await)?)
    }
}
