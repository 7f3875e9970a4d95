//! The `settings` key/value table.

use crate::{Result, Store};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(p)
        .await)?)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        on_db!(&self.db, |p| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        self.publish(&crate::bus::BusEvent::Keys { user: None })
            .await;
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
        on_db!(&self.db, |p| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, '1') \
             ON CONFLICT (key) DO UPDATE \
               SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)",
        )
        .bind(KEY_GENERATION)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        self.publish(&crate::bus::BusEvent::Keys { user: None })
            .await;
        Ok(())
    }
}
