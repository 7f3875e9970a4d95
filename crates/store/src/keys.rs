//! The `api_keys` table. Every lookup on the hot path is by the unique
//! `key_fingerprint` index: one indexed query, whatever the number of users.

use crate::{Backend, OrderMode, Result, Store, UserId, conflict, dialect};

/// Upserts the user's key row on `$conn` (a transaction of either backend), keeping its
/// order mode; evaluates to the row id, or `Conflict` when the fingerprint is taken.
macro_rules! upsert_key {
    ($backend:expr, $conn:expr, $user:expr, $key:expr) => {{
        let (user, key): ($crate::UserId, &$crate::NewKey) = ($user, $key);
        sqlx::query_scalar::<_, i64>(&$crate::keys::upsert_key_sql($backend))
            .bind(user.0)
            .bind(&key.hash)
            .bind(&key.encrypted)
            .bind(&key.fingerprint)
            .fetch_one($conn)
            .await
            .map_err(|e| $crate::conflict(e, "key fingerprint"))
    }};
}

pub(crate) fn upsert_key_sql(b: Backend) -> String {
    format!(
        "INSERT INTO api_keys (user_id, api_key_hash, api_key_encrypted, key_fingerprint) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET api_key_hash = excluded.api_key_hash, \
           api_key_encrypted = excluded.api_key_encrypted, \
           key_fingerprint = excluded.key_fingerprint, created_at = {} \
         RETURNING id",
        dialect::now_text(b)
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct RawKeyRow {
    id: i64,
    user_id: i64,
    username: String,
    api_key_hash: String,
    api_key_encrypted: Option<String>,
    created_at: String,
    order_mode: String,
    key_fingerprint: Option<String>,
}

/// One `api_keys` row joined with its owner's username.
#[derive(Clone)]
pub struct KeyRow {
    pub id: i64,
    pub user_id: UserId,
    pub username: String,
    /// PHC string, or the plain key on a legacy row (so this type has no `Debug` of it).
    pub api_key_hash: String,
    pub api_key_encrypted: Option<String>,
    pub created_at: String,
    pub order_mode: OrderMode,
    pub key_fingerprint: Option<String>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("order_mode", &self.order_mode)
            .field("legacy", &self.is_legacy())
            .finish_non_exhaustive()
    }
}

impl KeyRow {
    /// A row imported from an OpenAlgo that stored keys in plain text.
    pub fn is_legacy(&self) -> bool {
        self.key_fingerprint.is_none()
    }
}

impl From<RawKeyRow> for KeyRow {
    fn from(r: RawKeyRow) -> Self {
        Self {
            id: r.id,
            user_id: UserId(r.user_id),
            username: r.username,
            api_key_hash: r.api_key_hash,
            api_key_encrypted: r.api_key_encrypted,
            created_at: r.created_at,
            // The CHECK constraint allows only these two.
            order_mode: r.order_mode.parse().unwrap_or(OrderMode::Auto),
            key_fingerprint: r.key_fingerprint,
        }
    }
}

/// What a freshly made (or upgraded) key stores.
#[derive(Clone)]
pub struct NewKey {
    pub hash: String,
    pub encrypted: String,
    pub fingerprint: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewKey { .. }")
    }
}

const KEY_SELECT: &str = "SELECT k.id, k.user_id, u.username, k.api_key_hash, \
     k.api_key_encrypted, k.created_at, k.order_mode, k.key_fingerprint \
     FROM api_keys k JOIN users u ON u.id = k.user_id";

impl Store {
    /// The hot-path lookup.
    pub async fn key_by_fingerprint(&self, fingerprint: &str) -> Result<Option<KeyRow>> {
        let row: Option<RawKeyRow> = on_db!(&self.db, |p| sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.key_fingerprint = $1"
        ))
        .bind(fingerprint)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(Into::into))
    }

    pub async fn key_for_user(&self, user: UserId) -> Result<Option<KeyRow>> {
        let row: Option<RawKeyRow> = on_db!(&self.db, |p| sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.user_id = $1"
        ))
        .bind(user.0)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(Into::into))
    }

    /// Rows still holding a plain-text key (imported from a very old OpenAlgo).
    pub async fn legacy_keys(&self) -> Result<Vec<KeyRow>> {
        let rows: Vec<RawKeyRow> = on_db!(&self.db, |p| sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.key_fingerprint IS NULL"
        ))
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn count_legacy_keys(&self) -> Result<i64> {
        Ok(on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_keys WHERE key_fingerprint IS NULL"
        )
        .fetch_one(p)
        .await)?)
    }

    /// Replaces (or creates) the user's key; the order mode is kept. Returns the row id.
    pub async fn replace_key(&self, user: UserId, key: &NewKey) -> Result<i64> {
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await?;
            let id = upsert_key!(self.backend(), &mut *tx, user, key)?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Upgrades a legacy row in place, only if it is still legacy (so two concurrent
    /// upgrades write once). Returns whether this call did it.
    pub async fn upgrade_legacy_key(&self, row_id: i64, key: &NewKey) -> Result<bool> {
        let res = on_db!(&self.db, |p| {
            sqlx::query(
            "UPDATE api_keys SET api_key_hash = $1, api_key_encrypted = $2, key_fingerprint = $3 \
             WHERE id = $4 AND key_fingerprint IS NULL",
        )
        .bind(&key.hash)
        .bind(&key.encrypted)
        .bind(&key.fingerprint)
        .bind(row_id)
        .execute(p)
        .await.map(|r| r.rows_affected())
        })?;
        Ok(res == 1)
    }

    /// Sets the order mode; `false` when the user has no key row.
    pub async fn set_order_mode(&self, user: UserId, mode: OrderMode) -> Result<bool> {
        let res = on_db!(&self.db, |p| sqlx::query(
            "UPDATE api_keys SET order_mode = $1 WHERE user_id = $2"
        )
        .bind(mode.as_str())
        .bind(user.0)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(res == 1)
    }

    /// Inserts an imported row verbatim (hash and token as the source had them).
    pub async fn insert_imported_key(
        &self,
        user: UserId,
        hash: &str,
        encrypted: Option<&str>,
        fingerprint: Option<&str>,
        order_mode: OrderMode,
        created_at: Option<&str>,
    ) -> Result<i64> {
        let sql = format!(
            "INSERT INTO api_keys (user_id, api_key_hash, api_key_encrypted, key_fingerprint, \
               order_mode, created_at) \
             VALUES ($1, $2, $3, $4, $5, COALESCE($6, {})) \
             RETURNING id",
            dialect::now_text(self.backend())
        );
        on_db!(&self.db, |p| sqlx::query_scalar(&sql)
            .bind(user.0)
            .bind(hash)
            .bind(encrypted)
            .bind(fingerprint)
            .bind(order_mode.as_str())
            .bind(created_at)
            .fetch_one(p)
            .await)
        .map_err(|e| conflict(e, "api key"))
    }
}
