//! `strategies` (OpenAlgo's strategy and Chartink webhooks), their symbol mappings and the
//! per-strategy alert log. The webhook secret is found by its fingerprint (one indexed
//! lookup); rows are otherwise always addressed with their owner.

use crate::{Result, Store, StoreError, UserId, is_unique_violation};

/// One `strategies` row with its owner's name and its key's name.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StrategyRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub platform: String,
    /// The webhook secret's Fernet token (never the secret itself).
    pub webhook_encrypted: String,
    pub key_id: Option<i64>,
    pub key_name: Option<String>,
    pub is_active: bool,
    pub is_intraday: bool,
    pub trading_mode: String,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub squareoff_time: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_alert_at: Option<String>,
    pub last_alert_outcome: Option<String>,
}

impl std::fmt::Debug for StrategyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the webhook secret's token: only what identifies the row.
        f.debug_struct("StrategyRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("platform", &self.platform)
            .field("key_name", &self.key_name)
            .finish_non_exhaustive()
    }
}

/// One symbol mapping.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct MappingRow {
    pub id: i64,
    pub symbol: String,
    pub exchange: String,
    pub quantity: i64,
    pub product_type: String,
    pub created_at: String,
}

/// A mapping to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMapping {
    pub symbol: String,
    pub exchange: String,
    pub quantity: i64,
    pub product_type: String,
}

/// A strategy's settings as stored (validated by the application layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyFields {
    pub name: String,
    pub platform: String,
    pub is_intraday: bool,
    pub trading_mode: String,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub squareoff_time: Option<String>,
}

/// One alert log entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub at: String,
    pub source_ip: Option<String>,
    pub payload: String,
    pub outcome: String,
    pub status: i64,
    pub detail: String,
}

/// An alert to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert<'a> {
    pub at: &'a str,
    pub source_ip: Option<&'a str>,
    pub payload: &'a str,
    pub outcome: &'a str,
    pub status: i64,
    pub detail: &'a str,
}

const COLUMNS: &str = "s.id, s.user_id, u.username, s.name, s.platform, s.webhook_encrypted, \
     s.key_id, n.name AS key_name, s.is_active, s.is_intraday, s.trading_mode, s.start_time, \
     s.end_time, s.squareoff_time, s.created_at, s.updated_at, \
     (SELECT a.at FROM strategy_alerts a WHERE a.strategy_id = s.id ORDER BY a.id DESC LIMIT 1) \
       AS last_alert_at, \
     (SELECT a.outcome FROM strategy_alerts a WHERE a.strategy_id = s.id ORDER BY a.id DESC \
       LIMIT 1) AS last_alert_outcome \
     FROM strategies s JOIN users u ON u.id = s.user_id \
     LEFT JOIN named_keys n ON n.id = s.key_id";

fn conflict(e: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("a strategy named {name:?}"))
    } else {
        e.into()
    }
}

/// Inserts `mappings` for `strategy` inside the transaction `tx` (either backend's).
macro_rules! insert_mappings {
    ($tx:expr, $strategy:expr, $mappings:expr) => {
        for m in $mappings {
            sqlx::query(
                "INSERT INTO strategy_symbol_mappings (strategy_id, symbol, exchange, quantity, \
                   product_type) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind($strategy)
            .bind(&m.symbol)
            .bind(&m.exchange)
            .bind(m.quantity)
            .bind(&m.product_type)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

impl Store {
    /// Inserts a strategy (no key yet) and its mappings in one transaction; a second
    /// strategy of the same name for the user is a conflict. Returns its id.
    pub async fn insert_strategy(
        &self,
        user: UserId,
        f: &StrategyFields,
        webhook_fp: &str,
        webhook_encrypted: &str,
        mappings: &[NewMapping],
    ) -> Result<i64> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO strategies (user_id, name, platform, webhook_fp, webhook_encrypted, \
               is_intraday, trading_mode, start_time, end_time, squareoff_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(user.0)
            .bind(&f.name)
            .bind(&f.platform)
            .bind(webhook_fp)
            .bind(webhook_encrypted)
            .bind(f.is_intraday)
            .bind(&f.trading_mode)
            .bind(&f.start_time)
            .bind(&f.end_time)
            .bind(&f.squareoff_time)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict(e, &f.name))?;
            insert_mappings!(tx, id, mappings);
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn set_strategy_key(&self, id: i64, key_id: i64) -> Result<()> {
        on_db!(&self.db, |p| sqlx::query(
            "UPDATE strategies SET key_id = $1 WHERE id = $2"
        )
        .bind(key_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Replaces a strategy's settings and mappings in one transaction.
    pub async fn update_strategy(
        &self,
        user: UserId,
        id: i64,
        f: &StrategyFields,
        mappings: &[NewMapping],
        now: &str,
    ) -> Result<bool> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            let res = sqlx::query(
            "UPDATE strategies SET name = $1, platform = $2, is_intraday = $3, trading_mode = $4, \
               start_time = $5, end_time = $6, squareoff_time = $7, updated_at = $8 \
             WHERE id = $9 AND user_id = $10",
        )
        .bind(&f.name)
        .bind(&f.platform)
        .bind(f.is_intraday)
        .bind(&f.trading_mode)
        .bind(&f.start_time)
        .bind(&f.end_time)
        .bind(&f.squareoff_time)
        .bind(now)
        .bind(id)
        .bind(user.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, &f.name))?;
            if res.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM strategy_symbol_mappings WHERE strategy_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_mappings!(tx, id, mappings);
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn set_strategy_active(&self, user: UserId, id: i64, active: bool) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "UPDATE strategies SET is_active = $1 WHERE id = $2 AND user_id = $3"
        )
        .bind(active)
        .bind(id)
        .bind(user.0)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    /// A new webhook secret; the old one stops matching when this returns.
    pub async fn rotate_webhook(
        &self,
        user: UserId,
        id: i64,
        webhook_fp: &str,
        webhook_encrypted: &str,
    ) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "UPDATE strategies SET webhook_fp = $1, webhook_encrypted = $2 \
             WHERE id = $3 AND user_id = $4",
        )
        .bind(webhook_fp)
        .bind(webhook_encrypted)
        .bind(id)
        .bind(user.0)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    pub async fn delete_strategy(&self, user: UserId, id: i64) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM strategies WHERE id = $1 AND user_id = $2"
        )
        .bind(id)
        .bind(user.0)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    /// The user's strategies, oldest first.
    pub async fn strategies(&self, user: UserId) -> Result<Vec<StrategyRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(&format!(
            "SELECT {COLUMNS} WHERE s.user_id = $1 ORDER BY s.id"
        ))
        .bind(user.0)
        .fetch_all(p)
        .await)?)
    }

    pub async fn strategy(&self, user: UserId, id: i64) -> Result<Option<StrategyRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(&format!(
            "SELECT {COLUMNS} WHERE s.id = $1 AND s.user_id = $2"
        ))
        .bind(id)
        .bind(user.0)
        .fetch_optional(p)
        .await)?)
    }

    /// The strategy whose webhook secret has this fingerprint.
    pub async fn strategy_by_webhook(&self, webhook_fp: &str) -> Result<Option<StrategyRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(&format!(
            "SELECT {COLUMNS} WHERE s.webhook_fp = $1"
        ))
        .bind(webhook_fp)
        .fetch_optional(p)
        .await)?)
    }

    /// Every intraday strategy with a square-off time (the square-off job's scan).
    pub async fn intraday_strategies(&self) -> Result<Vec<StrategyRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(&format!(
            "SELECT {COLUMNS} WHERE s.is_intraday AND s.squareoff_time IS NOT NULL \
             ORDER BY s.id"
        ))
        .fetch_all(p)
        .await)?)
    }

    /// Marks `session`'s square-off of strategy `id` as done; `false` if it already was
    /// (so it runs once per session however many processes or ticks race).
    pub async fn claim_squareoff(&self, id: i64, session: &str) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "UPDATE strategies SET squared_off_session = $1 \
             WHERE id = $2 AND (squared_off_session IS NULL OR squared_off_session != $1)",
        )
        .bind(session)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    pub async fn strategy_mappings(&self, strategy: i64) -> Result<Vec<MappingRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(
            "SELECT id, symbol, exchange, quantity, product_type, created_at \
             FROM strategy_symbol_mappings WHERE strategy_id = $1 ORDER BY id",
        )
        .bind(strategy)
        .fetch_all(p)
        .await)?)
    }

    /// Logs an alert and keeps only the strategy's `keep` newest entries.
    pub async fn insert_alert(&self, strategy: i64, a: &NewAlert<'_>, keep: i64) -> Result<()> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
            "INSERT INTO strategy_alerts (strategy_id, at, source_ip, payload, outcome, status, \
               detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(strategy)
        .bind(a.at)
        .bind(a.source_ip)
        .bind(a.payload)
        .bind(a.outcome)
        .bind(a.status)
        .bind(a.detail)
        .execute(&mut *tx)
        .await?;
            sqlx::query(
                "DELETE FROM strategy_alerts WHERE strategy_id = $1 AND id <= \
               (SELECT id FROM strategy_alerts WHERE strategy_id = $1 ORDER BY id DESC \
                LIMIT 1 OFFSET $2)",
            )
            .bind(strategy)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The strategy's newest alerts first.
    pub async fn strategy_alerts(&self, strategy: i64, limit: i64) -> Result<Vec<AlertRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(
            "SELECT id, at, source_ip, payload, outcome, status, detail FROM strategy_alerts \
             WHERE strategy_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(strategy)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}
