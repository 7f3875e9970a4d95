//! `named_keys` (several per user, each with a stored policy), their per-session order
//! counts and the per-user `key_audit` log. [`Store::find_key`] is the hot-path lookup for
//! both kinds of key: one query over the unique fingerprint indexes of `api_keys` and
//! `named_keys` (current and, during a rotation's grace period, previous secret).
//!
//! Policies are stored as given (comma-separated lists, RFC 3339 times); the application
//! layer validates them before they get here and parses them when it loads a key.

use crate::{KeyRow, OrderMode, Result, Store, UserId, conflict};

/// A named key's policy as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredPolicy {
    pub scopes: String,
    /// `None`: not stored yet (the creator picks the user's mode).
    pub order_mode: Option<OrderMode>,
    pub symbols: Option<String>,
    pub products: Option<String>,
    pub max_qty: Option<i64>,
    pub max_value: Option<f64>,
    pub max_orders_per_day: Option<i64>,
    pub expires_at: Option<String>,
    pub allow_ips: Option<String>,
    pub ip_all_requests: bool,
}

/// One `named_keys` row (no hashes; the Fernet token only, for reveal).
#[derive(Clone)]
pub struct NamedKeyRow {
    pub id: i64,
    pub user_id: UserId,
    pub username: String,
    pub name: String,
    pub key_encrypted: String,
    pub policy: StoredPolicy,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub last_ip: Option<String>,
    /// The previous secret's deadline while a rotation's grace period runs.
    pub prev_valid_until: Option<String>,
}

impl std::fmt::Debug for NamedKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamedKeyRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What [`Store::find_key`] found for a fingerprint.
#[derive(Debug, Clone)]
pub enum FoundKey {
    Primary(KeyRow),
    Named {
        row: Box<NamedKeyRow>,
        /// The PHC string of the secret that matched (the previous one during a grace
        /// period).
        hash: String,
        /// Set when the previous secret matched: its deadline.
        grace_until: Option<String>,
    },
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub key_name: String,
    pub event: String,
    pub detail: String,
    pub at: String,
}

/// Last use of a key, written in batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub key_id: i64,
    pub at: String,
    pub ip: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RawFound {
    kind: i64,
    id: i64,
    user_id: i64,
    username: String,
    hash: String,
    encrypted: Option<String>,
    created_at: String,
    order_mode: String,
    fingerprint: Option<String>,
    name: Option<String>,
    scopes: Option<String>,
    symbols: Option<String>,
    products: Option<String>,
    max_qty: Option<i64>,
    max_value: Option<f64>,
    max_orders_per_day: Option<i64>,
    expires_at: Option<String>,
    allow_ips: Option<String>,
    ip_all_requests: bool,
    last_used_at: Option<String>,
    last_ip: Option<String>,
    prev_valid_until: Option<String>,
    grace_until: Option<String>,
}

const NAMED_COLUMNS: &str = "n.id, n.user_id, u.username, n.key_encrypted AS encrypted, \
     n.created_at, n.order_mode, n.name, n.scopes, n.symbols, n.products, n.max_qty, \
     n.max_value, n.max_orders_per_day, n.expires_at, n.allow_ips, n.ip_all_requests, n.last_used_at, \
     n.last_ip, n.prev_valid_until";

impl RawFound {
    fn named(self) -> NamedKeyRow {
        NamedKeyRow {
            id: self.id,
            user_id: UserId(self.user_id),
            username: self.username,
            name: self.name.unwrap_or_default(),
            key_encrypted: self.encrypted.unwrap_or_default(),
            policy: StoredPolicy {
                scopes: self.scopes.unwrap_or_default(),
                // The CHECK constraint allows only the two modes.
                order_mode: Some(self.order_mode.parse().unwrap_or(OrderMode::Auto)),
                symbols: self.symbols,
                products: self.products,
                max_qty: self.max_qty,
                max_value: self.max_value,
                max_orders_per_day: self.max_orders_per_day,
                expires_at: self.expires_at,
                allow_ips: self.allow_ips,
                ip_all_requests: self.ip_all_requests,
            },
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            last_ip: self.last_ip,
            prev_valid_until: self.prev_valid_until,
        }
    }
}

impl Store {
    /// The hot-path lookup: the key (primary or named, current or in its grace period)
    /// whose fingerprint is `fingerprint`, in one indexed query.
    pub async fn find_key(&self, fingerprint: &str) -> Result<Option<FoundKey>> {
        // Column order must match across the UNION, so the named arms are spelled out.
        let named = |hash: &str, fp: &str, grace: &str, cond: &str| {
            format!(
                "SELECT CAST(1 AS BIGINT) AS kind, n.id, n.user_id, u.username, {hash} AS hash, \
                   n.key_encrypted AS encrypted, n.created_at, n.order_mode, \
                   {fp} AS fingerprint, n.name, n.scopes, n.symbols, n.products, n.max_qty, \
                   n.max_value, \
                   n.max_orders_per_day, n.expires_at, n.allow_ips, n.ip_all_requests, \
                   n.last_used_at, n.last_ip, n.prev_valid_until, {grace} AS grace_until \
                 FROM named_keys n JOIN users u ON u.id = n.user_id WHERE {cond} = $1"
            )
        };
        let sql = format!(
            "SELECT CAST(0 AS BIGINT) AS kind, k.id, k.user_id, u.username, k.api_key_hash AS hash, \
               k.api_key_encrypted AS encrypted, k.created_at, k.order_mode, \
               k.key_fingerprint AS fingerprint, NULL AS name, NULL AS scopes, NULL AS symbols, \
               NULL AS products, NULL AS max_qty, NULL AS max_value, NULL AS max_orders_per_day, \
               NULL AS expires_at, NULL AS allow_ips, FALSE AS ip_all_requests, \
               NULL AS last_used_at, NULL AS last_ip, NULL AS prev_valid_until, \
               NULL AS grace_until \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_fingerprint = $1 \
             UNION ALL {} UNION ALL {} LIMIT 1",
            named(
                "n.key_hash",
                "n.key_fingerprint",
                "NULL",
                "n.key_fingerprint"
            ),
            named(
                "n.prev_hash",
                "n.prev_fingerprint",
                "n.prev_valid_until",
                "n.prev_fingerprint"
            ),
        );
        let raw: Option<RawFound> = on_db!(&self.db, |p| sqlx::query_as(&sql)
            .bind(fingerprint)
            .fetch_optional(p)
            .await)?;
        Ok(raw.map(|r| {
            if r.kind == 0 {
                FoundKey::Primary(KeyRow {
                    id: r.id,
                    user_id: UserId(r.user_id),
                    username: r.username,
                    api_key_hash: r.hash,
                    api_key_encrypted: r.encrypted,
                    created_at: r.created_at,
                    order_mode: r.order_mode.parse().unwrap_or(OrderMode::Auto),
                    key_fingerprint: r.fingerprint,
                })
            } else {
                let hash = r.hash.clone();
                let grace_until = r.grace_until.clone();
                FoundKey::Named {
                    row: Box::new(r.named()),
                    hash,
                    grace_until,
                }
            }
        }))
    }

    /// Inserts a named key; a second key of the same name is a conflict. Returns its id.
    pub async fn insert_named_key(
        &self,
        user: UserId,
        name: &str,
        key: &crate::NewKey,
        policy: &StoredPolicy,
    ) -> Result<i64> {
        on_db!(&self.db, |p| sqlx::query_scalar(
            "INSERT INTO named_keys (user_id, name, key_hash, key_encrypted, key_fingerprint, \
               scopes, order_mode, symbols, max_qty, max_value, max_orders_per_day, expires_at, \
               allow_ips, ip_all_requests, products) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING id",
        )
        .bind(user.0)
        .bind(name)
        .bind(&key.hash)
        .bind(&key.encrypted)
        .bind(&key.fingerprint)
        .bind(&policy.scopes)
        .bind(policy.order_mode.unwrap_or(OrderMode::Auto).as_str())
        .bind(&policy.symbols)
        .bind(policy.max_qty)
        .bind(policy.max_value)
        .bind(policy.max_orders_per_day)
        .bind(&policy.expires_at)
        .bind(&policy.allow_ips)
        .bind(policy.ip_all_requests)
        .bind(&policy.products)
        .fetch_one(p)
        .await)
        .map_err(|e| conflict(e, &format!("a key named {name:?}")))
    }

    /// The user's named keys, oldest first.
    pub async fn named_keys(&self, user: UserId) -> Result<Vec<NamedKeyRow>> {
        let rows: Vec<RawFound> = on_db!(&self.db, |p| {
            sqlx::query_as(&format!(
            "SELECT CAST(1 AS BIGINT) AS kind, '' AS hash, NULL AS fingerprint, NULL AS grace_until, \
               {NAMED_COLUMNS} \
             FROM named_keys n JOIN users u ON u.id = n.user_id WHERE n.user_id = $1 \
             ORDER BY n.id"
        ))
        .bind(user.0)
        .fetch_all(p)
        .await
        })?;
        Ok(rows.into_iter().map(RawFound::named).collect())
    }

    pub async fn named_key(&self, user: UserId, name: &str) -> Result<Option<NamedKeyRow>> {
        let row: Option<RawFound> = on_db!(&self.db, |p| {
            sqlx::query_as(&format!(
            "SELECT CAST(1 AS BIGINT) AS kind, '' AS hash, NULL AS fingerprint, NULL AS grace_until, \
               {NAMED_COLUMNS} \
             FROM named_keys n JOIN users u ON u.id = n.user_id \
             WHERE n.user_id = $1 AND n.name = $2"
        ))
        .bind(user.0)
        .bind(name)
        .fetch_optional(p)
        .await
        })?;
        Ok(row.map(RawFound::named))
    }

    /// Fingerprints (current and previous) of a named key, for cache invalidation.
    pub async fn named_key_fingerprints(&self, id: i64) -> Result<Vec<String>> {
        let row: Option<(String, Option<String>)> = on_db!(&self.db, |p| sqlx::query_as(
            "SELECT key_fingerprint, prev_fingerprint FROM named_keys WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(row
            .map(|(a, b)| std::iter::once(a).chain(b).collect())
            .unwrap_or_default())
    }

    /// Replaces a named key's policy (scopes, mode, limits, expiry, IPs).
    pub async fn update_named_policy(
        &self,
        user: UserId,
        name: &str,
        policy: &StoredPolicy,
    ) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "UPDATE named_keys SET scopes = $1, order_mode = COALESCE($2, order_mode), \
               symbols = $3, max_qty = $4, max_value = $5, max_orders_per_day = $6, \
               expires_at = $7, allow_ips = $8, ip_all_requests = $9, products = $10 \
             WHERE user_id = $11 AND name = $12",
        )
        .bind(&policy.scopes)
        .bind(policy.order_mode.map(OrderMode::as_str))
        .bind(&policy.symbols)
        .bind(policy.max_qty)
        .bind(policy.max_value)
        .bind(policy.max_orders_per_day)
        .bind(&policy.expires_at)
        .bind(&policy.allow_ips)
        .bind(policy.ip_all_requests)
        .bind(&policy.products)
        .bind(user.0)
        .bind(name)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    /// Deletes a named key (its audit entries stay). `false` when there is none.
    pub async fn delete_named_key(&self, user: UserId, name: &str) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "DELETE FROM named_keys WHERE user_id = $1 AND name = $2"
        )
        .bind(user.0)
        .bind(name)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    /// Puts a new secret in place; the current one becomes the previous one, valid until
    /// `prev_valid_until` (`None`: at once invalid).
    pub async fn rotate_named_key(
        &self,
        user: UserId,
        name: &str,
        key: &crate::NewKey,
        prev_valid_until: Option<&str>,
    ) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "UPDATE named_keys SET \
               prev_hash = CASE WHEN $1 IS NULL THEN NULL ELSE key_hash END, \
               prev_fingerprint = CASE WHEN $1 IS NULL THEN NULL ELSE key_fingerprint END, \
               prev_valid_until = $1, \
               key_hash = $2, key_encrypted = $3, key_fingerprint = $4 \
             WHERE user_id = $5 AND name = $6",
        )
        .bind(prev_valid_until)
        .bind(&key.hash)
        .bind(&key.encrypted)
        .bind(&key.fingerprint)
        .bind(user.0)
        .bind(name)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| conflict(e, "key fingerprint"))?;
        Ok(res == 1)
    }

    /// Writes a batch of last-use records in one transaction.
    pub async fn record_key_uses(&self, uses: &[KeyUse]) -> Result<()> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            for u in uses {
                sqlx::query(
                    "UPDATE named_keys SET last_used_at = $1, last_ip = COALESCE($2, last_ip) \
                     WHERE id = $3",
                )
                .bind(&u.at)
                .bind(&u.ip)
                .bind(u.key_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Counts `n` orders for `key_id` in `session` unless that would pass `max`; `false`
    /// when it would (nothing counted). One statement, so concurrent orders cannot both
    /// take the last one.
    pub async fn take_key_orders(
        &self,
        key_id: i64,
        session: &str,
        n: i64,
        max: i64,
    ) -> Result<bool> {
        if n > max {
            return Ok(false);
        }
        let taken: Option<i64> = on_db!(&self.db, |p| sqlx::query_scalar(
            "INSERT INTO named_key_orders (key_id, session, count) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id, session) DO UPDATE SET count = named_key_orders.count + $3 \
               WHERE named_key_orders.count + $3 <= $4 \
             RETURNING count",
        )
        .bind(key_id)
        .bind(session)
        .bind(n)
        .bind(max)
        .fetch_optional(p)
        .await)?;
        Ok(taken.is_some())
    }

    /// Gives back `n` orders counted by [`Self::take_key_orders`] that were not placed.
    pub async fn return_key_orders(&self, key_id: i64, session: &str, n: i64) -> Result<()> {
        on_db!(&self.db, |p| sqlx::query(
            "UPDATE named_key_orders SET count = CASE WHEN count > $1 THEN count - $1 ELSE 0 END \
             WHERE key_id = $2 AND session = $3",
        )
        .bind(n)
        .bind(key_id)
        .bind(session)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Orders counted for `key_id` in `session`.
    pub async fn key_orders(&self, key_id: i64, session: &str) -> Result<i64> {
        Ok(on_db!(&self.db, |p| {
            sqlx::query_scalar(
            "SELECT COALESCE((SELECT count FROM named_key_orders WHERE key_id = $1 AND session = $2), 0)",
        )
        .bind(key_id)
        .bind(session)
        .fetch_one(p)
        .await
        })?)
    }

    pub async fn insert_audit(
        &self,
        user: UserId,
        key_name: &str,
        event: &str,
        detail: &str,
        at: &str,
    ) -> Result<()> {
        on_db!(&self.db, |p| {
            sqlx::query(
            "INSERT INTO key_audit (user_id, key_name, event, detail, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.0)
        .bind(key_name)
        .bind(event)
        .bind(detail)
        .bind(at)
        .execute(p)
        .await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Whether the user's log already has this event with this detail for this key.
    pub async fn audit_has(
        &self,
        user: UserId,
        key_name: &str,
        event: &str,
        detail: &str,
    ) -> Result<bool> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM key_audit \
               WHERE user_id = $1 AND key_name = $2 AND event = $3 AND detail = $4)",
        )
        .bind(user.0)
        .bind(key_name)
        .bind(event)
        .bind(detail)
        .fetch_one(p)
        .await)?)
    }

    /// The user's audit log, newest first, at most `limit` entries.
    pub async fn audit_log(&self, user: UserId, limit: i64) -> Result<Vec<AuditRow>> {
        Ok(on_db!(&self.db, |p| sqlx::query_as(
            "SELECT id, key_name, event, detail, at FROM key_audit WHERE user_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(user.0)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}
