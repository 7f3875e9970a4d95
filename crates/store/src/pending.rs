//! `pending_orders`: orders queued in semi-auto mode for approval in the Action Center.
//!
//! Every state change is one conditional statement, so concurrent callers cannot both win:
//! approval moves `pending → approved` and sets `execution_state = 'executing'` together,
//! and only the caller that changed the row executes it. Rows are always addressed with
//! their owner (`user_id`), so one user can never read or change another's.

use crate::{Result, Store, UserId, dialect};

/// One row, as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingRow {
    pub id: i64,
    pub user_id: i64,
    pub api_type: String,
    pub order_data: String,
    pub created_at: String,
    pub created_at_ist: String,
    pub status: String,
    pub approved_at_ist: Option<String>,
    pub approved_by: Option<String>,
    pub rejected_at_ist: Option<String>,
    pub rejected_by: Option<String>,
    pub rejected_reason: Option<String>,
    pub broker_order_id: Option<String>,
    pub broker_status: Option<String>,
    pub execution_state: Option<String>,
    pub order_ids: String,
    pub execution_result: Option<String>,
    pub execution_error: Option<String>,
    pub executed_at_ist: Option<String>,
    /// The named key that queued it (`None`: the primary key).
    pub key_name: Option<String>,
}

/// Counts over all of a user's rows (the Action Center's statistics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingStats {
    pub total_pending: i64,
    pub total_approved: i64,
    pub total_rejected: i64,
    pub total_buy_orders: i64,
    pub total_sell_orders: i64,
    pub total_placeorder: i64,
    pub total_smartorder: i64,
    pub total_basketorder: i64,
    pub total_splitorder: i64,
    pub total_placegttorder: i64,
}

/// A timestamp in the two forms OpenAlgo stores (UTC RFC 3339 and `… IST`).
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    pub utc: &'a str,
    pub ist: &'a str,
}

/// How an execution ended.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub executed: bool,
    pub broker_order_id: Option<&'a str>,
    pub broker_status: &'a str,
    pub result_json: Option<&'a str>,
    pub error: Option<&'a str>,
    pub at_ist: &'a str,
}

const COLUMNS: &str = "id, user_id, api_type, order_data, created_at, created_at_ist, status, \
     approved_at_ist, approved_by, rejected_at_ist, rejected_by, rejected_reason, \
     broker_order_id, broker_status, execution_state, order_ids, execution_result, \
     execution_error, executed_at_ist, key_name";

impl Store {
    /// Queues an order; returns its id (`pending_order_id`).
    pub async fn insert_pending(
        &self,
        user: UserId,
        api_type: &str,
        order_data: &str,
        at: Stamp<'_>,
        key_name: Option<&str>,
    ) -> Result<i64> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "INSERT INTO pending_orders (user_id, api_type, order_data, created_at, \
               created_at_ist, key_name) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.0)
        .bind(api_type)
        .bind(order_data)
        .bind(at.utc)
        .bind(at.ist)
        .bind(key_name)
        .fetch_one(p)
        .await)?)
    }

    /// The user's rows with `status` (all when `None`), newest first.
    pub async fn pending_rows(
        &self,
        user: UserId,
        status: Option<&str>,
    ) -> Result<Vec<PendingRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM pending_orders WHERE user_id = $1 AND ($2 IS NULL OR status = $3) \
             ORDER BY id DESC"
        );
        Ok(on_db!(&self.db, |p| sqlx::query_as(&sql)
            .bind(user.0)
            .bind(status)
            .bind(status)
            .fetch_all(p)
            .await)?)
    }

    pub async fn pending_row(&self, user: UserId, id: i64) -> Result<Option<PendingRow>> {
        let sql = format!("SELECT {COLUMNS} FROM pending_orders WHERE id = $1 AND user_id = $2");
        Ok(on_db!(&self.db, |p| sqlx::query_as(&sql)
            .bind(id)
            .bind(user.0)
            .fetch_optional(p)
            .await)?)
    }

    /// Statistics over all of the user's rows.
    pub async fn pending_stats(&self, user: UserId) -> Result<PendingStats> {
        let action = format!(
            "upper({})",
            dialect::json_text_field(self.backend(), "order_data", "action")
        );
        let sql = format!(
            "SELECT \
               COUNT(*) FILTER (WHERE status = 'pending') AS total_pending, \
               COUNT(*) FILTER (WHERE status = 'approved') AS total_approved, \
               COUNT(*) FILTER (WHERE status = 'rejected') AS total_rejected, \
               COUNT(*) FILTER (WHERE {action} = 'BUY') AS total_buy_orders, \
               COUNT(*) FILTER (WHERE {action} = 'SELL') AS total_sell_orders, \
               COUNT(*) FILTER (WHERE api_type = 'placeorder') AS total_placeorder, \
               COUNT(*) FILTER (WHERE api_type = 'smartorder') AS total_smartorder, \
               COUNT(*) FILTER (WHERE api_type = 'basketorder') AS total_basketorder, \
               COUNT(*) FILTER (WHERE api_type = 'splitorder') AS total_splitorder, \
               COUNT(*) FILTER (WHERE api_type = 'placegttorder') AS total_placegttorder \
             FROM pending_orders WHERE user_id = $1"
        );
        Ok(on_db!(&self.db, |p| sqlx::query_as(&sql)
            .bind(user.0)
            .fetch_one(p)
            .await)?)
    }

    /// How many of the user's rows await a decision (the navigation badge).
    pub async fn count_pending(&self, user: UserId) -> Result<i64> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM pending_orders WHERE user_id = $1 AND status = 'pending'",
        )
        .bind(user.0)
        .fetch_one(p)
        .await)?)
    }

    /// The ids of the user's pending rows, oldest first.
    pub async fn pending_ids(&self, user: UserId) -> Result<Vec<i64>> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT id FROM pending_orders WHERE user_id = $1 AND status = 'pending' ORDER BY id",
        )
        .bind(user.0)
        .fetch_all(p)
        .await)?)
    }

    /// `pending → approved` with `execution_state = 'executing'`, in one statement. True
    /// for exactly one caller per row: the one that must execute it.
    pub async fn claim_pending(
        &self,
        user: UserId,
        id: i64,
        by: &str,
        at: Stamp<'_>,
    ) -> Result<bool> {
        let r = on_db!(&self.db, |p| sqlx::query(
            "UPDATE pending_orders SET status = 'approved', execution_state = 'executing', \
               approved_at = $1, approved_at_ist = $2, approved_by = $3 \
             WHERE id = $4 AND user_id = $5 AND status = 'pending'",
        )
        .bind(at.utc)
        .bind(at.ist)
        .bind(by)
        .bind(id)
        .bind(user.0)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(r == 1)
    }

    /// Appends an engine order id to an executing row (progress survives a crash).
    pub async fn record_pending_leg(&self, id: i64, order_id: &str) -> Result<()> {
        let sql = format!(
            "UPDATE pending_orders SET order_ids = {} \
             WHERE id = $2 AND execution_state = 'executing'",
            dialect::json_push_text(self.backend(), "order_ids", "$1")
        );
        on_db!(&self.db, |p| sqlx::query(&sql)
            .bind(order_id)
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records how an executing row ended; false if it was not executing.
    pub async fn finish_pending(&self, id: i64, o: Outcome<'_>) -> Result<bool> {
        let r = on_db!(&self.db, |p| {
            sqlx::query(
            "UPDATE pending_orders SET execution_state = $1, broker_order_id = $2, \
               broker_status = $3, execution_result = $4, execution_error = $5, executed_at_ist = $6 \
             WHERE id = $7 AND execution_state = 'executing'",
        )
        .bind(if o.executed { "executed" } else { "failed" })
        .bind(o.broker_order_id)
        .bind(o.broker_status)
        .bind(o.result_json)
        .bind(o.error)
        .bind(o.at_ist)
        .bind(id)
        .execute(p)
        .await.map(|r| r.rows_affected())
        })?;
        Ok(r == 1)
    }

    /// `pending → rejected`; false if the row is not the user's or not pending.
    pub async fn reject_pending(
        &self,
        user: UserId,
        id: i64,
        by: &str,
        reason: &str,
        at: Stamp<'_>,
    ) -> Result<bool> {
        let r = on_db!(&self.db, |p| {
            sqlx::query(
            "UPDATE pending_orders SET status = 'rejected', rejected_at = $1, rejected_at_ist = $2, \
               rejected_by = $3, rejected_reason = $4 \
             WHERE id = $5 AND user_id = $6 AND status = 'pending'",
        )
        .bind(at.utc)
        .bind(at.ist)
        .bind(by)
        .bind(reason)
        .bind(id)
        .bind(user.0)
        .execute(p)
        .await.map(|r| r.rows_affected())
        })?;
        Ok(r == 1)
    }

    /// Deletes a decided row (approved and finished, or rejected); pending and executing
    /// rows stay.
    pub async fn delete_pending(&self, user: UserId, id: i64) -> Result<bool> {
        let r = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM pending_orders WHERE id = $1 AND user_id = $2 \
               AND (status = 'rejected' OR execution_state IN ('executed', 'failed'))",
        )
        .bind(id)
        .bind(user.0)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(r == 1)
    }

    /// At start-up: rows left `executing` by a previous process become `failed` with
    /// `reason` (they are never executed again). Returns their ids.
    pub async fn fail_interrupted_pending(&self, reason: &str, at_ist: &str) -> Result<Vec<i64>> {
        let sql = format!(
            "UPDATE pending_orders SET execution_state = 'failed', \
               broker_status = CASE WHEN order_ids = '[]' THEN 'rejected' ELSE 'partial' END, \
               broker_order_id = CASE WHEN order_ids = '[]' THEN NULL ELSE {} END, \
               execution_error = $1, executed_at_ist = $2 \
             WHERE execution_state = 'executing' RETURNING id",
            dialect::json_join_texts(self.backend(), "order_ids")
        );
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(&sql)
            .bind(reason)
            .bind(at_ist)
            .fetch_all(p)
            .await)?)
    }
}
