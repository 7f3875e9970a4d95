//! `chart_preferences`: a user's chart settings, key to text.

use crate::{Result, Store, UserId};

/// What one user may keep in total, checked inside the write's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefQuota {
    pub max_keys: i64,
    pub max_chars: i64,
}

/// Which total a refused write would have exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaExceeded {
    Keys,
    Chars,
}

impl Store {
    /// Every preference of `user`, by key.
    pub async fn chart_prefs(&self, user: UserId) -> Result<Vec<(String, Option<String>)>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(
            "SELECT key, value FROM chart_preferences WHERE user_id = $1 ORDER BY key",
        )
        .bind(user.0)
        .fetch_all(p)
        .await)?)
    }

    /// Upserts `prefs` in one transaction; if the user's rows would then exceed `quota`,
    /// nothing is written and the limit is returned.
    pub async fn set_chart_prefs(
        &self,
        user: UserId,
        prefs: &[(String, Option<String>)],
        quota: PrefQuota,
        now_ms: i64,
    ) -> Result<Option<QuotaExceeded>> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            // Concurrent writers of one user's preferences take turns, so the quota check
            // sees every row the other wrote.
            if let Some(lock) = crate::dialect::lock_user(self.backend()) {
                sqlx::query(lock).bind(user.0).execute(&mut *tx).await?;
            }
            for (key, value) in prefs {
                sqlx::query(
                    "INSERT INTO chart_preferences (user_id, key, value, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO UPDATE \
                 SET value = excluded.value, updated_at = excluded.updated_at",
                )
                .bind(user.0)
                .bind(key)
                .bind(value)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            let (keys, chars): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(length(key) + COALESCE(length(value), 0)), 0) AS BIGINT) \
             FROM chart_preferences WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?;
            let exceeded = if keys > quota.max_keys {
                Some(QuotaExceeded::Keys)
            } else if chars > quota.max_chars {
                Some(QuotaExceeded::Chars)
            } else {
                None
            };
            if exceeded.is_some() {
                tx.rollback().await?;
                return Ok(exceeded);
            }
            tx.commit().await?;
            Ok(None)
        })
    }
}
