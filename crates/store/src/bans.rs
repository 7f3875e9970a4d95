//! The `ip_bans` table.

use crate::{Result, Store};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct BanRow {
    pub ip_address: String,
    pub ban_reason: String,
    pub ban_count: i64,
    pub banned_at: i64,
    pub expires_at: Option<i64>,
    pub is_permanent: bool,
    pub created_by: String,
}

impl Store {
    pub async fn bans(&self) -> Result<Vec<BanRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(
            "SELECT ip_address, ban_reason, ban_count, banned_at, expires_at, is_permanent, \
             created_by FROM ip_bans ORDER BY banned_at DESC",
        )
        .fetch_all(p)
        .await)?)
    }

    pub async fn ban(&self, row: &BanRow) -> Result<()> {
        on_db!(&self.db, |p| sqlx::query(
            "INSERT INTO ip_bans (ip_address, ban_reason, ban_count, banned_at, expires_at, \
               is_permanent, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (ip_address) DO UPDATE SET ban_reason = excluded.ban_reason, \
               ban_count = excluded.ban_count, banned_at = excluded.banned_at, \
               expires_at = excluded.expires_at, is_permanent = excluded.is_permanent, \
               created_by = excluded.created_by",
        )
        .bind(&row.ip_address)
        .bind(&row.ban_reason)
        .bind(row.ban_count)
        .bind(row.banned_at)
        .bind(row.expires_at)
        .bind(row.is_permanent)
        .bind(&row.created_by)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Removes a ban; `false` when there was none.
    pub async fn unban(&self, ip: &str) -> Result<bool> {
        let r = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM ip_bans WHERE ip_address = $1"
        )
        .bind(ip)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(r > 0)
    }
}
