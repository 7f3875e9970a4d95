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
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user.0)
        .bind(now)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT s.user_id, u.username, u.is_admin, s.created_at, s.last_seen, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = ? WHERE id_hash = ?")
            .bind(now)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes one session; true when it existed.
    pub async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes sessions past their hard expiry or idle since before `idle_before`.
    pub async fn purge_sessions(&self, now: i64, idle_before: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?")
            .bind(now)
            .bind(idle_before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn count_sessions(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&self.pool)
            .await?)
    }
}
