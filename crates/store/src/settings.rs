//! The `settings` key/value table.

use crate::{Result, Store};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

const KEY_GENERATION: &str = "key_generation";

impl Store {
    /// A counter bumped by every out-of-process change to keys (CLI, import), so a running
    /// server notices and drops its cached verdicts.
    pub async fn key_generation(&self) -> Result<i64> {
        Ok(self
            .setting(KEY_GENERATION)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub async fn bump_key_generation(&self) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, '1') \
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        )
        .bind(KEY_GENERATION)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
