//! API-key verification and management: the hot path of SPEC §2.4 and DESIGN.md.
//!
//! 1. shape check (64 lowercase hex) before any I/O;
//! 2. a bounded TTL cache keyed by the key's fingerprint, expiring at the next session
//!    boundary; a bounded negative cache for rejections;
//! 3. on a miss, one indexed lookup by fingerprint and one Argon2 verification on a bounded
//!    blocking pool, shared by all concurrent misses on the same key;
//! 4. legacy plain-text rows matched in constant time and upgraded in place.
//!
//! Invalidation is per user and cannot lose a race with an in-flight miss: every cached
//! entry records the global epoch read *before* its database lookup, and invalidating a
//! user (after the change is committed) stamps that user with a newer epoch, so an entry
//! loaded from the old row can never be served once the change has returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use std::net::IpAddr;

use algogate_keys::{
    ApiKey, Fingerprint, Fingerprinter, Hasher, KeyCipher, Password, Scope, SecretString,
};
use algogate_store::bus::BusEvent;
use algogate_store::{
    AuditRow, FoundKey, KeyRow, KeyUse, NamedKeyRow, NewKey, OrderMode, Store, StoreError, UserId,
};
use chrono::{DateTime, NaiveTime, Utc};
use dashmap::DashMap;
use moka::Expiry;
use moka::future::Cache;
use tokio::sync::{Semaphore, broadcast};

use crate::clock::{Clock, next_session_boundary};
use crate::keypolicy::{Denial, KeyPolicy};

/// Who a valid key belongs to, and with which key.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthedUser {
    pub user_id: UserId,
    pub username: String,
    /// The key's: the user's for the primary key, the named key's own otherwise.
    pub order_mode: OrderMode,
    /// `None`: the primary key, which may do everything.
    pub named: Option<Arc<NamedKey>>,
}

/// The named key a request was made with, its policy parsed when it was loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedKey {
    pub id: i64,
    pub name: String,
    pub policy: KeyPolicy,
    /// When this secret stops working: the key's expiry or its rotation's grace deadline.
    pub valid_until: Option<DateTime<Utc>>,
}

impl AuthedUser {
    /// Whether this key may make a request that needs `need` (`None`: any valid key) from
    /// `ip`: the scope, then the IP allowlist. The primary key may do everything.
    pub fn permit(&self, need: Option<Scope>, ip: Option<IpAddr>) -> Result<(), Denial> {
        let Some(k) = &self.named else {
            return Ok(());
        };
        if let Some(scope) = need
            && !k.policy.scopes.contains(scope)
        {
            return Err(Denial::Scope(scope));
        }
        k.policy.check_ip(need, ip)
    }

    /// The named key's name (`None` for the primary key).
    pub fn key_name(&self) -> Option<&str> {
        self.named.as_ref().map(|k| k.name.as_str())
    }
}

/// A user's key as their own pages see it.
#[derive(Debug)]
pub struct KeyOverview {
    pub api_key: Option<SecretString>,
    pub order_mode: OrderMode,
}

/// A named key as its owner's list shows it (no secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct NamedKeyInfo {
    pub name: String,
    pub scopes: String,
    pub mode: &'static str,
    /// The limits in one line (`describe` without scopes and mode).
    pub policy: String,
    /// The limits one by one as stored (lists comma-separated), for an edit form.
    pub symbols: Option<String>,
    pub products: Option<String>,
    pub max_qty: Option<i64>,
    pub max_value: Option<f64>,
    pub max_orders_per_day: Option<i64>,
    pub allow_ips: Option<String>,
    pub ip_all_requests: bool,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub last_ip: Option<String>,
    /// While a rotation's grace period runs: when the old secret stops.
    pub previous_valid_until: Option<String>,
    /// The stored policy no longer parses (the key is refused).
    pub unreadable: bool,
}

impl NamedKeyInfo {
    fn from_row(r: NamedKeyRow) -> Self {
        let parsed = KeyPolicy::from_stored(&r.policy);
        let policy = parsed.as_ref().map(describe).unwrap_or_default();
        // `describe` begins with scopes and mode, shown in their own columns.
        let limits = policy.split(' ').skip(2).collect::<Vec<_>>().join(" ");
        Self {
            name: r.name,
            scopes: r.policy.scopes.clone(),
            mode: r.policy.order_mode.unwrap_or(OrderMode::Auto).as_str(),
            policy: limits,
            symbols: r.policy.symbols.clone(),
            products: r.policy.products.clone(),
            max_qty: r.policy.max_qty,
            max_value: r.policy.max_value,
            max_orders_per_day: r.policy.max_orders_per_day,
            allow_ips: r.policy.allow_ips.clone(),
            ip_all_requests: r.policy.ip_all_requests,
            expires_at: r.policy.expires_at.clone(),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            last_ip: r.last_ip,
            previous_valid_until: r.prev_valid_until,
            unreadable: parsed.is_err(),
        }
    }
}

/// A change that may have revoked keys, for holders of long-lived authentications (the
/// WebSocket feed re-verifies its key and closes the socket if it no longer verifies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// This user's key or order mode changed.
    User(UserId),
    /// Keys changed outside this process: anything may have.
    All,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] crate::keypolicy::PolicyError),
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("the Argon2 worker pool is shut down")]
    PoolClosed,
}

/// The server's key material, derived once from the pepper and Fernet salt.
#[derive(Debug)]
pub struct Crypto {
    pub hasher: Hasher,
    pub cipher: KeyCipher,
    pub fingerprinter: Fingerprinter,
}

#[derive(Debug, Clone)]
pub struct KeyServiceConfig {
    pub session_expiry_time: NaiveTime,
    pub cache_capacity: u64,
    pub negative_capacity: u64,
    pub negative_ttl: Duration,
    pub argon2_workers: usize,
}

#[derive(Debug)]
struct Entry {
    user: AuthedUser,
    /// Global epoch read before this entry's database lookup.
    epoch: u64,
    expires_at: DateTime<Utc>,
    /// Time to `expires_at` when loaded, by the injected clock (moka runs on its own).
    ttl: Duration,
}

/// moka evicts entries at their session boundary; `Entry::expires_at` is also checked on
/// every hit against the injected clock, which is what tests drive.
struct UntilBoundary;

impl Expiry<Fingerprint, Arc<Entry>> for UntilBoundary {
    fn expire_after_create(
        &self,
        _k: &Fingerprint,
        v: &Arc<Entry>,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(v.ttl)
    }
}

#[derive(Debug, Clone)]
enum Miss {
    /// No such key (or a hash that does not verify): deny.
    Unknown,
    Failed(Arc<KeyError>),
}

/// Counters for tests, metrics and benchmarks.
#[derive(Debug, Default)]
pub struct KeyStats {
    pub db_lookups: AtomicU64,
    pub cache_hits: AtomicU64,
    pub negative_hits: AtomicU64,
}

pub struct KeyService {
    store: Store,
    crypto: Arc<Crypto>,
    clock: Arc<dyn Clock>,
    cfg: KeyServiceConfig,
    cache: Cache<Fingerprint, Arc<Entry>>,
    negative: Cache<Fingerprint, ()>,
    epoch: AtomicU64,
    invalidated_at: DashMap<UserId, u64>,
    all_invalidated_at: AtomicU64,
    argon2_pool: Arc<Semaphore>,
    legacy_rows: AtomicBool,
    changes: broadcast::Sender<KeyChange>,
    /// Named-key uses since the last flush: (key id, client IP) → (user, key name, when).
    uses: DashMap<UseKey, UseNote>,
    /// One flush at a time: the periodic one and an explicit one would both find an IP
    /// unaudited and audit it twice.
    flushing: tokio::sync::Mutex<()>,
    pub stats: KeyStats,
}

/// A named key and the client address it was used from.
type UseKey = (i64, Option<IpAddr>);
/// Whose key it is, its name, and the last time it was used so.
type UseNote = (UserId, String, DateTime<Utc>);

/// Distinct (key, IP) uses kept between two flushes; past it new pairs wait for the next.
const MAX_PENDING_USES: usize = 10_000;

impl std::fmt::Debug for KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyService")
            .field("cached", &self.cache.entry_count())
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl KeyService {
    pub async fn new(
        store: Store,
        crypto: Arc<Crypto>,
        clock: Arc<dyn Clock>,
        cfg: KeyServiceConfig,
    ) -> Result<Self, KeyError> {
        let cache = Cache::builder()
            .max_capacity(cfg.cache_capacity)
            .expire_after(UntilBoundary)
            .build();
        let negative = Cache::builder()
            .max_capacity(cfg.negative_capacity)
            .time_to_live(cfg.negative_ttl)
            .build();
        let legacy = store.count_legacy_keys().await? > 0;
        Ok(Self {
            argon2_pool: Arc::new(Semaphore::new(cfg.argon2_workers.max(1))),
            store,
            crypto,
            clock,
            cfg,
            cache,
            negative,
            epoch: AtomicU64::new(1),
            invalidated_at: DashMap::new(),
            all_invalidated_at: AtomicU64::new(0),
            legacy_rows: AtomicBool::new(legacy),
            changes: broadcast::channel(256).0,
            uses: DashMap::new(),
            flushing: tokio::sync::Mutex::new(()),
            stats: KeyStats::default(),
        })
    }

    /// Notifications of invalidations, sent after the change is committed and the caches
    /// no longer serve the old verdict.
    pub fn changes(&self) -> broadcast::Receiver<KeyChange> {
        self.changes.subscribe()
    }

    pub fn crypto(&self) -> &Arc<Crypto> {
        &self.crypto
    }

    /// Argon2 computations so far (hashes and verifications).
    pub fn argon2_runs(&self) -> u64 {
        self.crypto.hasher.runs()
    }

    /// Runs CPU-heavy crypto on the blocking pool, at most `argon2_workers` at a time, so
    /// it can never starve the async runtime.
    pub async fn on_argon2_pool<T, F>(&self, f: F) -> Result<T, KeyError>
    where
        F: FnOnce(&Crypto) -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .argon2_pool
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| KeyError::PoolClosed)?;
        let crypto = self.crypto.clone();
        tokio::task::spawn_blocking(move || f(&crypto))
            .await
            .map_err(|e| KeyError::Hash(format!("worker panicked: {e}")))
    }

    /// Verifies an `apikey` value. `Ok(None)` is a denial: malformed, unknown or wrong,
    /// which the caller must answer identically.
    pub async fn verify(&self, raw: &str) -> Result<Option<AuthedUser>, KeyError> {
        let Ok(key) = ApiKey::parse(raw) else {
            return Ok(None);
        };
        let fp = self.crypto.fingerprinter.of(key.expose());
        // A regenerate racing with this request can make a just-loaded entry stale; a
        // fresh load then sees the committed change. Two retries are plenty.
        for _ in 0..3 {
            if let Some(e) = self.cache.get(&fp).await {
                if self.is_current(&e) {
                    self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(e.user.clone()));
                }
                self.cache.invalidate(&fp).await;
            }
            if self.negative.contains_key(&fp) {
                self.stats.negative_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(None);
            }
            match self
                .cache
                .try_get_with(fp, self.load(fp, key.clone()))
                .await
            {
                Ok(e) if self.is_current(&e) => return Ok(Some(e.user.clone())),
                Ok(_) => self.cache.invalidate(&fp).await,
                Err(miss) => match &*miss {
                    Miss::Unknown => {
                        self.negative.insert(fp, ()).await;
                        return Ok(None);
                    }
                    Miss::Failed(e) => {
                        return Err(KeyError::Hash(format!("key verification failed: {e}")));
                    }
                },
            }
        }
        Ok(None)
    }

    fn is_current(&self, e: &Entry) -> bool {
        e.expires_at > self.clock.now()
            && self.all_invalidated_at.load(Ordering::SeqCst) <= e.epoch
            && self
                .invalidated_at
                .get(&e.user.user_id)
                .is_none_or(|at| *at <= e.epoch)
    }

    /// The miss path, run once per fingerprint however many requests wait on it.
    async fn load(&self, fp: Fingerprint, key: ApiKey) -> Result<Arc<Entry>, Miss> {
        let epoch = self.epoch.load(Ordering::SeqCst);
        let failed = |e: KeyError| Miss::Failed(Arc::new(e));
        self.stats.db_lookups.fetch_add(1, Ordering::Relaxed);
        let found = self
            .store
            .find_key(&fp.to_hex())
            .await
            .map_err(|e| failed(e.into()))?;
        let now = self.clock.now();
        let mut expires_at = next_session_boundary(now, self.cfg.session_expiry_time);
        let (user_id, username, order_mode, hash, named) = match found {
            Some(FoundKey::Primary(row)) => (
                row.user_id,
                row.username,
                row.order_mode,
                row.api_key_hash,
                None,
            ),
            Some(FoundKey::Named {
                row,
                hash,
                grace_until,
            }) => {
                let policy = KeyPolicy::from_stored(&row.policy).map_err(|e| {
                    tracing::error!(key = %row.name, error = %e, "stored key policy is unreadable; refusing the key");
                    Miss::Unknown
                })?;
                // Past its expiry or its rotation's grace deadline, a key is unknown; the
                // entry never outlives either (fail closed).
                let grace = match grace_until.as_deref().map(crate::keypolicy::parse_expiry) {
                    Some(Ok(t)) => Some(t),
                    Some(Err(_)) => return Err(Miss::Unknown),
                    None => None,
                };
                let mut valid_until: Option<DateTime<Utc>> = None;
                for deadline in [policy.expires_at, grace].into_iter().flatten() {
                    valid_until = Some(valid_until.map_or(deadline, |v| v.min(deadline)));
                    if deadline <= now {
                        if Some(deadline) == policy.expires_at {
                            self.audit(row.user_id, &row.name, "expired", "").await;
                        }
                        return Err(Miss::Unknown);
                    }
                    expires_at = expires_at.min(deadline);
                }
                let named = NamedKey {
                    id: row.id,
                    name: row.name,
                    policy,
                    valid_until,
                };
                (
                    row.user_id,
                    row.username,
                    named.policy.order_mode,
                    hash,
                    Some(Arc::new(named)),
                )
            }
            None if self.legacy_rows.load(Ordering::Relaxed) => {
                let row = self
                    .match_legacy(&key)
                    .await
                    .map_err(failed)?
                    .ok_or(Miss::Unknown)?;
                (
                    row.user_id,
                    row.username,
                    row.order_mode,
                    row.api_key_hash,
                    None,
                )
            }
            None => return Err(Miss::Unknown),
        };
        let ok = self
            .on_argon2_pool(move |c| c.hasher.verify(&hash, key.expose()))
            .await
            .map_err(failed)?
            .unwrap_or_else(|e| {
                tracing::error!(user_id = %user_id, error = %e, "stored API key hash is malformed");
                false
            });
        if !ok {
            return Err(Miss::Unknown);
        }
        Ok(Arc::new(Entry {
            user: AuthedUser {
                user_id,
                username,
                order_mode,
                named,
            },
            epoch,
            expires_at,
            ttl: (expires_at - now).to_std().unwrap_or(Duration::ZERO),
        }))
    }

    /// Notes that `user` used a named key from `ip`; written by [`Self::flush_uses`], in
    /// batches, not one write per request.
    pub fn note_use(&self, user: &AuthedUser, ip: Option<IpAddr>) {
        let Some(k) = &user.named else { return };
        let now = self.clock.now();
        if let Some(mut e) = self.uses.get_mut(&(k.id, ip)) {
            e.2 = now;
            return;
        }
        if self.uses.len() < MAX_PENDING_USES {
            self.uses
                .insert((k.id, ip), (user.user_id, k.name.clone(), now));
        }
    }

    /// Writes the noted uses (last used time and IP) in one transaction, and audits the
    /// first use of a key from an IP it was not used from before.
    pub async fn flush_uses(&self) -> Result<usize, KeyError> {
        let _one = self.flushing.lock().await;
        let keys: Vec<_> = self.uses.iter().map(|e| *e.key()).collect();
        let mut batch: Vec<(UseKey, UseNote)> = keys
            .into_iter()
            .filter_map(|k| self.uses.remove(&k))
            .collect();
        if batch.is_empty() {
            return Ok(0);
        }
        batch.sort_by_key(|(_, (_, _, at))| *at);
        for ((_, ip), (user, name, _)) in &batch {
            let Some(ip) = ip else { continue };
            let ip = ip.to_string();
            if !self.store.audit_has(*user, name, "new_ip", &ip).await? {
                self.audit(*user, name, "new_ip", &ip).await;
            }
        }
        let uses: Vec<KeyUse> = batch
            .iter()
            .map(|((id, ip), (_, _, at))| KeyUse {
                key_id: *id,
                at: at.to_rfc3339(),
                ip: ip.map(|i| i.to_string()),
            })
            .collect();
        self.store.record_key_uses(&uses).await?;
        Ok(uses.len())
    }

    /// Appends to the user's key audit log; a failure is logged, never the caller's error.
    pub async fn audit(&self, user: UserId, key_name: &str, event: &str, detail: &str) {
        let at = self.clock.now().to_rfc3339();
        if let Err(e) = self
            .store
            .insert_audit(user, key_name, event, detail, &at)
            .await
        {
            tracing::error!(error = %e, event, "cannot write the key audit log");
        }
    }

    /// Level 3: rows imported from an OpenAlgo that kept keys in plain text. Matched in
    /// constant time, then upgraded to hash + Fernet + fingerprint.
    async fn match_legacy(&self, key: &ApiKey) -> Result<Option<KeyRow>, KeyError> {
        let rows = self.store.legacy_keys().await?;
        if rows.is_empty() {
            self.legacy_rows.store(false, Ordering::Relaxed);
            return Ok(None);
        }
        let Some(row) = rows
            .into_iter()
            .find(|r| algogate_keys::ct_eq(r.api_key_hash.as_bytes(), key.expose().as_bytes()))
        else {
            return Ok(None);
        };
        tracing::warn!(
            user = %row.username,
            "API key stored in plain text (legacy OpenAlgo row); upgrading it to an Argon2 hash \
             and Fernet copy now"
        );
        let new = self.seal(key.clone()).await?;
        self.store.upgrade_legacy_key(row.id, &new).await?;
        let mut row = row;
        row.api_key_hash = new.hash;
        Ok(Some(row))
    }

    /// Hash, encrypt and fingerprint a key for storage.
    async fn seal(&self, key: ApiKey) -> Result<NewKey, KeyError> {
        self.on_argon2_pool(move |c| {
            c.hasher.hash(key.expose()).map(|hash| NewKey {
                hash,
                encrypted: c.cipher.encrypt(key.expose()),
                fingerprint: c.fingerprinter.of(key.expose()).to_hex(),
            })
        })
        .await?
        .map_err(|e| KeyError::Hash(e.to_string()))
    }

    /// Makes a new key for `user`, replacing any old one, which stops working before this
    /// returns. Returns the key and the row id.
    pub async fn regenerate(&self, user: UserId) -> Result<(ApiKey, i64), KeyError> {
        let key = ApiKey::generate();
        let sealed = self.seal(key.clone()).await?;
        let old = self.store.key_for_user(user).await?;
        let id = self.store.replace_key(user, &sealed).await?;
        self.invalidate_user(user, old.as_ref()).await;
        if let Some(fp) = Fingerprint::from_hex(&sealed.fingerprint) {
            self.negative.invalidate(&fp).await;
        }
        Ok((key, id))
    }

    /// Creates a named key for `user`. `mode` defaults to the user's order mode. Returns
    /// the key (shown once; a Fernet copy is kept for reveal) and its id.
    pub async fn create_named(
        &self,
        user: UserId,
        name: &str,
        mut policy: KeyPolicy,
        mode: Option<OrderMode>,
    ) -> Result<(ApiKey, i64), KeyError> {
        crate::keypolicy::check_name(name)?;
        policy.validate(self.clock.now())?;
        policy.order_mode = match mode {
            Some(m) => m,
            None => self
                .store
                .key_for_user(user)
                .await?
                .map_or(OrderMode::Auto, |r| r.order_mode),
        };
        let key = ApiKey::generate();
        let sealed = self.seal(key.clone()).await?;
        let id = self
            .store
            .insert_named_key(user, name, &sealed, &policy.to_stored())
            .await?;
        if let Some(fp) = Fingerprint::from_hex(&sealed.fingerprint) {
            self.negative.invalidate(&fp).await;
        }
        self.audit(user, name, "created", &describe(&policy)).await;
        Ok((key, id))
    }

    /// Drops every cached verdict on a named key's fingerprints after a change to it (the
    /// user's whole cache, as regeneration does; sockets are told).
    async fn invalidate_named(&self, user: UserId, fingerprints: &[String]) {
        let stamp = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.invalidated_at
            .entry(user)
            .and_modify(|at| *at = (*at).max(stamp))
            .or_insert(stamp);
        for fp in fingerprints.iter().filter_map(|f| Fingerprint::from_hex(f)) {
            self.cache.invalidate(&fp).await;
            self.negative.invalidate(&fp).await;
        }
        let _ = self.changes.send(KeyChange::User(user));
        self.tell_others(user).await;
    }

    fn not_found(name: &str) -> KeyError {
        KeyError::Store(StoreError::NotFound(format!(
            "a key named {:?}",
            name.chars().take(64).collect::<String>()
        )))
    }

    /// The user's named keys with their parsed policies.
    pub async fn list_named(&self, user: UserId) -> Result<Vec<NamedKeyInfo>, KeyError> {
        let rows = self.store.named_keys(user).await?;
        Ok(rows.into_iter().map(NamedKeyInfo::from_row).collect())
    }

    /// Revokes a named key: it fails on the very next request (and its sockets close).
    pub async fn revoke_named(&self, user: UserId, name: &str) -> Result<(), KeyError> {
        let row = self
            .store
            .named_key(user, name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        let fps = self.store.named_key_fingerprints(row.id).await?;
        if !self.store.delete_named_key(user, name).await? {
            return Err(Self::not_found(name));
        }
        self.invalidate_named(user, &fps).await;
        self.audit(user, name, "revoked", "").await;
        Ok(())
    }

    /// A new secret for a named key, working at once; the old one keeps working for
    /// `grace` (none: it stops now). Returns the new key.
    pub async fn rotate_named(
        &self,
        user: UserId,
        name: &str,
        grace: Duration,
    ) -> Result<ApiKey, KeyError> {
        if grace.as_secs() > crate::keypolicy::MAX_GRACE_SECS {
            return Err(crate::keypolicy::PolicyError::Grace.into());
        }
        let row = self
            .store
            .named_key(user, name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        let old = self.store.named_key_fingerprints(row.id).await?;
        let key = ApiKey::generate();
        let sealed = self.seal(key.clone()).await?;
        let until = (!grace.is_zero()).then(|| {
            (self.clock.now() + chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX))
                .to_rfc3339()
        });
        if !self
            .store
            .rotate_named_key(user, name, &sealed, until.as_deref())
            .await?
        {
            return Err(Self::not_found(name));
        }
        let mut fps = old;
        fps.push(sealed.fingerprint.clone());
        self.invalidate_named(user, &fps).await;
        let detail = until.map_or_else(
            || "no grace period".to_owned(),
            |u| format!("old key valid until {u}"),
        );
        self.audit(user, name, "rotated", &detail).await;
        Ok(key)
    }

    /// Replaces a named key's policy (`mode`: kept when `None`); applies to the very next
    /// request.
    pub async fn update_named(
        &self,
        user: UserId,
        name: &str,
        mut policy: KeyPolicy,
        mode: Option<OrderMode>,
    ) -> Result<(), KeyError> {
        policy.validate(self.clock.now())?;
        let row = self
            .store
            .named_key(user, name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        policy.order_mode = mode.or(row.policy.order_mode).unwrap_or(OrderMode::Auto);
        self.store
            .update_named_policy(user, name, &policy.to_stored())
            .await?;
        let fps = self.store.named_key_fingerprints(row.id).await?;
        self.invalidate_named(user, &fps).await;
        self.audit(user, name, "updated", &describe(&policy)).await;
        Ok(())
    }

    /// The user a named key acts as, read from its row rather than its secret (a strategy
    /// webhook executes through its key without sending it): the policy parsed as on the
    /// hot path, `None` when it is unreadable or the key has expired (fail closed).
    pub fn named_user(&self, row: NamedKeyRow) -> Option<AuthedUser> {
        let policy = KeyPolicy::from_stored(&row.policy).ok()?;
        if policy.expires_at.is_some_and(|t| t <= self.clock.now()) {
            return None;
        }
        let named = NamedKey {
            id: row.id,
            name: row.name,
            valid_until: policy.expires_at,
            policy,
        };
        Some(AuthedUser {
            user_id: row.user_id,
            username: row.username,
            order_mode: named.policy.order_mode,
            named: Some(Arc::new(named)),
        })
    }

    /// A named key's secret, decrypted, for its owner's page.
    pub fn reveal_named(&self, row: &NamedKeyRow) -> Option<SecretString> {
        self.crypto.cipher.decrypt(&row.key_encrypted).ok()
    }

    /// The current secret of `user`'s key `name` (its Fernet copy), for its owner.
    pub async fn reveal_named_key(
        &self,
        user: UserId,
        name: &str,
    ) -> Result<SecretString, KeyError> {
        let row = self
            .store
            .named_key(user, name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        self.reveal_named(&row).ok_or_else(|| {
            KeyError::Hash(format!(
                "the stored copy of key {name:?} cannot be decrypted"
            ))
        })
    }

    /// The stored policy of `user`'s key `name`, parsed (what an update starts from).
    pub async fn named_policy(&self, user: UserId, name: &str) -> Result<KeyPolicy, KeyError> {
        let row = self
            .store
            .named_key(user, name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        Ok(KeyPolicy::from_stored(&row.policy)?)
    }

    /// The user's key audit log, newest first, at most `limit` entries.
    pub async fn audit_log(&self, user: UserId, limit: i64) -> Result<Vec<AuditRow>, KeyError> {
        Ok(self.store.audit_log(user, limit).await?)
    }

    /// Sets the order mode; cached entries of that user are dropped before this returns.
    pub async fn set_order_mode(&self, user: UserId, mode: OrderMode) -> Result<bool, KeyError> {
        let changed = self.store.set_order_mode(user, mode).await?;
        let row = self.store.key_for_user(user).await?;
        self.invalidate_user(user, row.as_ref()).await;
        Ok(changed)
    }

    /// Call after committing any change to `user`'s key or mode.
    pub async fn invalidate_user(&self, user: UserId, row: Option<&KeyRow>) {
        let stamp = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.invalidated_at
            .entry(user)
            .and_modify(|at| *at = (*at).max(stamp))
            .or_insert(stamp);
        if let Some(fp) = row
            .and_then(|r| r.key_fingerprint.as_deref())
            .and_then(Fingerprint::from_hex)
        {
            self.cache.invalidate(&fp).await;
        }
        // No receivers is fine: nobody holds a long-lived authentication.
        let _ = self.changes.send(KeyChange::User(user));
        self.tell_others(user).await;
    }

    async fn tell_others(&self, user: UserId) {
        self.store
            .publish(&BusEvent::Keys { user: Some(user.0) })
            .await;
    }

    /// Another instance changed `user`'s keys (`None`: anyone's): no verdict cached
    /// before now is served again.
    pub async fn changed_elsewhere(&self, user: Option<UserId>) {
        let Some(user) = user else {
            return self.invalidate_all().await;
        };
        let stamp = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.invalidated_at
            .entry(user)
            .and_modify(|at| *at = (*at).max(stamp))
            .or_insert(stamp);
        // A key created there may have been tried here before it existed.
        self.negative.invalidate_all();
        let _ = self.changes.send(KeyChange::User(user));
    }

    /// Drops every cached verdict (another process changed keys in the database).
    pub async fn invalidate_all(&self) {
        let stamp = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.all_invalidated_at.store(stamp, Ordering::SeqCst);
        self.cache.invalidate_all();
        self.negative.invalidate_all();
        self.legacy_rows.store(
            self.store
                .count_legacy_keys()
                .await
                .map(|n| n > 0)
                .unwrap_or(true),
            Ordering::Relaxed,
        );
        let _ = self.changes.send(KeyChange::All);
    }

    /// The decrypted key of `user`, if they have one (for the owner's own pages).
    pub fn reveal(&self, row: &KeyRow) -> Option<SecretString> {
        match row.api_key_encrypted.as_deref() {
            Some(token) => self.crypto.cipher.decrypt(token).ok(),
            // Legacy rows hold the key itself.
            None => Some(SecretString::new(row.api_key_hash.clone())),
        }
    }

    /// What the owner's API-key page shows: the decrypted key (if any) and the order mode
    /// (`auto` when there is no key yet).
    pub async fn overview(&self, user: UserId) -> Result<KeyOverview, KeyError> {
        let row = self.store.key_for_user(user).await?;
        Ok(KeyOverview {
            api_key: row.as_ref().and_then(|r| self.reveal(r)),
            order_mode: row.map_or(OrderMode::Auto, |r| r.order_mode),
        })
    }

    /// Argon2id of `password + pepper` for the users table.
    pub async fn hash_password(&self, password: Password) -> Result<String, KeyError> {
        self.on_argon2_pool(move |c| c.hasher.hash(password.expose()))
            .await?
            .map_err(|e| KeyError::Hash(e.to_string()))
    }

    /// Seals a caller-chosen key (user creation) without storing it.
    pub async fn seal_new(&self, key: ApiKey) -> Result<NewKey, KeyError> {
        self.seal(key).await
    }
}

/// A policy in one line, for the audit log and the CLI's list (no secrets in it).
pub fn describe(p: &KeyPolicy) -> String {
    let mut parts = vec![
        format!("scopes={}", p.scopes.to_list()),
        format!("mode={}", p.order_mode.as_str()),
    ];
    fn join<T: ToString>(v: &[T]) -> String {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
    if let Some(s) = &p.symbols {
        parts.push(format!("symbols={}", join(s)));
    }
    if let Some(s) = &p.products {
        parts.push(format!("products={}", join(s)));
    }
    if let Some(n) = p.max_qty {
        parts.push(format!("max_qty={n}"));
    }
    if let Some(v) = p.max_value {
        parts.push(format!("max_value={v}"));
    }
    if let Some(n) = p.max_orders_per_day {
        parts.push(format!("max_orders_per_day={n}"));
    }
    if let Some(t) = p.expires_at {
        parts.push(format!("expires={}", t.to_rfc3339()));
    }
    if let Some(ips) = &p.allow_ips {
        parts.push(format!(
            "allow_ip={}{}",
            join(ips),
            if p.ip_all_requests {
                " (all requests)"
            } else {
                ""
            }
        ));
    }
    parts.join(" ")
}
