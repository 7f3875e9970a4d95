//! Failed-login and invalid-key counters in the database (`login_attempts`,
//! `invalid_key_tracker`), for several instances on one PostgreSQL: they then count against
//! one allowance. A single SQLite instance keeps them in memory, so these need PostgreSQL.
//! The decisions (limits, windows) are the caller's; this module stores and locks.

use sqlx::PgPool;

use crate::{Db, Result, Store, StoreError};

/// Advisory-lock namespaces (the accounts and the leader have their own).
const LOGIN_LOCK: i32 = 0x6167_0002;
const TRACKER_LOCK: i32 = 0x6167_0003;

/// One subject's counted login attempts: failure times (oldest first) and checks in flight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginCounts {
    pub failures: Vec<i64>,
    pub in_flight: usize,
}

/// What to prune before counting, in epoch ms: failures at or before `failed_before`, and
/// reservations made at or before `stale_before` (an instance died mid-check).
#[derive(Debug, Clone, Copy)]
pub struct LoginPrune {
    pub failed_before: i64,
    pub stale_before: i64,
}

/// An IP's invalid-key counter (as OpenAlgo's `invalid_api_key_tracker`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrackerRow {
    pub ip_address: String,
    pub attempt_count: i64,
    pub first_attempt_at: i64,
    pub last_attempt_at: i64,
    /// JSON `[[tag, epoch ms], ...]`, newest last.
    pub keys_tried: String,
}

impl Store {
    fn shared_pool(&self, what: &'static str) -> Result<&PgPool> {
        match &self.db {
            Db::Postgres(p) => Ok(p),
            Db::Sqlite(_) => Err(StoreError::NotShared(what)),
        }
    }

    /// In one transaction under the login lock (all instances' reservations one after
    /// another): prunes, reads each subject's counts and, when `admit` accepts them,
    /// reserves one attempt on every subject. Returns the reserved rows' ids (to settle
    /// with [`Store::settle_login`]) or `admit`'s refusal.
    pub async fn reserve_login<E>(
        &self,
        subjects: &[&str],
        now_ms: i64,
        prune: LoginPrune,
        admit: impl FnOnce(&[LoginCounts]) -> Result<(), E>,
    ) -> Result<Result<Vec<i64>, E>> {
        let p = self.shared_pool("a shared login throttle")?;
        let mut tx = p.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, 0)")
            .bind(LOGIN_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM login_attempts WHERE (failed AND at <= $1) OR (NOT failed AND at <= $2)",
        )
        .bind(prune.failed_before)
        .bind(prune.stale_before)
        .execute(&mut *tx)
        .await?;
        let names: Vec<String> = subjects.iter().map(|s| (*s).to_string()).collect();
        let rows: Vec<(String, i64, bool)> = sqlx::query_as(
            "SELECT subject, at, failed FROM login_attempts WHERE subject = ANY($1) \
             ORDER BY at, id",
        )
        .bind(&names)
        .fetch_all(&mut *tx)
        .await?;
        let counts: Vec<LoginCounts> = subjects
            .iter()
            .map(|s| {
                let mut c = LoginCounts::default();
                for (_, at, failed) in rows.iter().filter(|r| r.0 == *s) {
                    if *failed {
                        c.failures.push(*at);
                    } else {
                        c.in_flight += 1;
                    }
                }
                c
            })
            .collect();
        if let Err(e) = admit(&counts) {
            return Ok(Err(e));
        }
        let ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO login_attempts (subject, at, failed) \
             SELECT s, $2, FALSE FROM unnest($1::text[]) AS s RETURNING id",
        )
        .bind(&names)
        .bind(now_ms)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(ids))
    }

    /// Settles a reservation: counted as a failure at `failed_at`, or released uncounted
    /// (`None`); `clear` (a subject) also forgets that subject's failures.
    pub async fn settle_login(
        &self,
        ids: &[i64],
        failed_at: Option<i64>,
        clear: Option<&str>,
    ) -> Result<()> {
        let p = self.shared_pool("a shared login throttle")?;
        match failed_at {
            Some(at) => {
                sqlx::query("UPDATE login_attempts SET failed = TRUE, at = $2 WHERE id = ANY($1)")
                    .bind(ids)
                    .bind(at)
                    .execute(p)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM login_attempts WHERE id = ANY($1)")
                    .bind(ids)
                    .execute(p)
                    .await?;
            }
        }
        if let Some(subject) = clear {
            sqlx::query("DELETE FROM login_attempts WHERE subject = $1 AND failed")
                .bind(subject)
                .execute(p)
                .await?;
        }
        Ok(())
    }

    /// Updates an IP's invalid-key counter under a lock on that IP: `update` gets the
    /// stored row (if any) and returns the row to keep (`None` deletes it) and a verdict
    /// handed back to the caller. Rows last touched at or before `stale_before` are dropped
    /// first.
    pub async fn update_tracker<T>(
        &self,
        ip: &str,
        stale_before: i64,
        update: impl FnOnce(Option<TrackerRow>) -> (Option<TrackerRow>, T),
    ) -> Result<T> {
        let p = self.shared_pool("a shared invalid-key tracker")?;
        let mut tx = p.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(TRACKER_LOCK)
            .bind(ip)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM invalid_key_tracker WHERE last_attempt_at <= $1")
            .bind(stale_before)
            .execute(&mut *tx)
            .await?;
        let row: Option<TrackerRow> = sqlx::query_as(
            "SELECT ip_address, attempt_count, first_attempt_at, last_attempt_at, keys_tried \
             FROM invalid_key_tracker WHERE ip_address = $1",
        )
        .bind(ip)
        .fetch_optional(&mut *tx)
        .await?;
        let (keep, verdict) = update(row);
        match keep {
            Some(r) => {
                sqlx::query(
                    "INSERT INTO invalid_key_tracker (ip_address, attempt_count, \
                       first_attempt_at, last_attempt_at, keys_tried) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (ip_address) DO UPDATE SET \
                       attempt_count = excluded.attempt_count, \
                       first_attempt_at = excluded.first_attempt_at, \
                       last_attempt_at = excluded.last_attempt_at, \
                       keys_tried = excluded.keys_tried",
                )
                .bind(ip)
                .bind(r.attempt_count)
                .bind(r.first_attempt_at)
                .bind(r.last_attempt_at)
                .bind(&r.keys_tried)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM invalid_key_tracker WHERE ip_address = $1")
                    .bind(ip)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(verdict)
    }

    /// Every IP's invalid-key counter touched after `since`, most recent first.
    pub async fn trackers(&self, since: i64) -> Result<Vec<TrackerRow>> {
        let p = self.shared_pool("a shared invalid-key tracker")?;
        Ok(sqlx::query_as(
            "SELECT ip_address, attempt_count, first_attempt_at, last_attempt_at, keys_tried \
             FROM invalid_key_tracker WHERE last_attempt_at > $1 \
             ORDER BY last_attempt_at DESC LIMIT 1000",
        )
        .bind(since)
        .fetch_all(p)
        .await?)
    }

    /// Forgets an IP's invalid-key counter (it was unbanned).
    pub async fn forget_tracker(&self, ip: &str) -> Result<()> {
        let p = self.shared_pool("a shared invalid-key tracker")?;
        sqlx::query("DELETE FROM invalid_key_tracker WHERE ip_address = $1")
            .bind(ip)
            .execute(p)
            .await?;
        Ok(())
    }
}
