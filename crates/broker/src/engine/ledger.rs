//! Persistence behind a narrow trait: the store crate implements it on SQLite and
//! PostgreSQL, with one database transaction per [`Delta`]; [`MemoryLedger`] serves unit
//! tests. Each account carries a version, bumped by every commit: a commit made from a
//! stale copy (another instance committed since it was loaded) is refused, so a shared
//! database never takes a change computed from old state.

use std::collections::HashMap;
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use super::account::Delta;
use super::types::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Failed(String),
    /// The stored account is newer than the copy the change was computed from: nothing
    /// was written; reload and try again.
    #[error("the account changed since it was loaded")]
    Stale,
    /// An order id the change creates is taken (another instance issued it): nothing was
    /// written; compute again with new ids.
    #[error("order id {0} is taken")]
    IdTaken(String),
}

pub type LedgerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// An account as stored: funds, positions, holdings, and the orders and trades the engine
/// keeps in memory (those since `since_ms`, plus every resting order).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAccount {
    /// Commits so far (the version a commit from this copy must match).
    pub version: i64,
    pub funds: Funds,
    pub orders: Vec<Order>,
    pub trades: Vec<Trade>,
    pub positions: Vec<Position>,
    pub holdings: Vec<Holding>,
    /// Active GTTs and those updated since `since_ms`.
    pub gtts: Vec<Gtt>,
}

pub trait Ledger: Send + Sync + std::fmt::Debug {
    /// `None` when the account has never been written.
    fn load(&self, account: AccountId, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>>;

    /// Writes every row of `delta` (upserts; trades are inserted) atomically, if the
    /// stored account is still at `version` (0: never written); it is then at
    /// `version + 1`. Otherwise [`LedgerError::Stale`] and nothing is written.
    fn commit<'a>(
        &'a self,
        account: AccountId,
        version: i64,
        delta: &'a Delta,
    ) -> LedgerFuture<'a, ()>;

    /// Whether other processes write this ledger too (several instances on one
    /// database): the engine then runs each operation under [`Ledger::begin`].
    fn shared(&self) -> bool {
        false
    }

    /// Takes the account's lock against every other writer of the ledger until the
    /// returned operation ends (on a database: a transaction holding the account's lock).
    fn begin(&self, account: AccountId) -> LedgerFuture<'_, Box<dyn AccountTx + '_>>;

    /// The stored version of an account (0: never written).
    fn version(&self, account: AccountId) -> LedgerFuture<'_, i64>;

    /// Every account with stored state.
    fn accounts(&self) -> LedgerFuture<'_, Vec<AccountId>>;

    /// Order ids starting with `prefix` (`YYMMDD`), so new ids never repeat old ones.
    fn order_ids_with_prefix<'a>(&'a self, prefix: &'a str) -> LedgerFuture<'a, Vec<OrderId>>;
}

/// One operation on an account under its lock: the stored version, the stored account
/// read under the lock, and the commit. Dropped without committing, it writes nothing and
/// releases the lock.
pub trait AccountTx: Send {
    fn version(&self) -> i64;

    fn load(&mut self, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>>;

    /// Writes `delta` as version `version() + 1` and releases the lock.
    fn commit<'a>(self: Box<Self>, delta: &'a Delta) -> LedgerFuture<'a, ()>
    where
        Self: 'a;
}

/// An in-memory ledger; `fail_next` makes the next commit fail (to test atomicity);
/// `shared` makes it stand for a database other engines write too.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    inner: Mutex<HashMap<AccountId, MemAccount>>,
    locks: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<()>>>>,
    pub fail_next: std::sync::atomic::AtomicBool,
    pub shared: bool,
}

#[derive(Debug, Default, Clone)]
struct MemAccount {
    version: i64,
    funds: Option<Funds>,
    orders: HashMap<OrderId, Order>,
    trades: Vec<Trade>,
    positions: HashMap<PositionKey, Position>,
    holdings: HashMap<(crate::domain::Exchange, String), Holding>,
    gtts: HashMap<GttId, Gtt>,
}

impl MemoryLedger {
    /// A ledger other engines share (it stands for one database under several instances).
    pub fn shared() -> Self {
        Self {
            shared: true,
            ..Self::default()
        }
    }
}

/// [`MemoryLedger`]'s operation under an account's lock.
struct MemTx<'a> {
    ledger: &'a MemoryLedger,
    account: AccountId,
    version: i64,
    _lock: tokio::sync::OwnedMutexGuard<()>,
}

impl AccountTx for MemTx<'_> {
    fn version(&self) -> i64 {
        self.version
    }

    fn load(&mut self, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>> {
        self.ledger.load(self.account, since_ms)
    }

    fn commit<'a>(self: Box<Self>, delta: &'a Delta) -> LedgerFuture<'a, ()>
    where
        Self: 'a,
    {
        let r = self.ledger.commit(self.account, self.version, delta);
        // The lock goes with `self` once the commit has run.
        Box::pin(async move {
            let out = r.await;
            drop(self);
            out
        })
    }
}

impl Ledger for MemoryLedger {
    fn begin(&self, account: AccountId) -> LedgerFuture<'_, Box<dyn AccountTx + '_>> {
        let lock = Arc::clone(
            self.locks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(account)
                .or_default(),
        );
        Box::pin(async move {
            let guard = lock.lock_owned().await;
            let version = self.version(account).await?;
            let tx: Box<dyn AccountTx + '_> = Box::new(MemTx {
                ledger: self,
                account,
                version,
                _lock: guard,
            });
            Ok(tx)
        })
    }

    fn load(&self, account: AccountId, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>> {
        let m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let out = m.get(&account).and_then(|a| {
            Some(StoredAccount {
                version: a.version,
                funds: a.funds.clone()?,
                orders: a
                    .orders
                    .values()
                    .filter(|o| o.created_ms >= since_ms || o.status.is_resting())
                    .cloned()
                    .collect(),
                trades: a
                    .trades
                    .iter()
                    .filter(|t| t.created_ms >= since_ms)
                    .cloned()
                    .collect(),
                positions: a.positions.values().cloned().collect(),
                holdings: a.holdings.values().cloned().collect(),
                gtts: a
                    .gtts
                    .values()
                    .filter(|g| g.status == GttStatus::Active || g.updated_ms >= since_ms)
                    .cloned()
                    .collect(),
            })
        });
        Box::pin(ready(Ok(out)))
    }

    fn commit<'a>(
        &'a self,
        account: AccountId,
        version: i64,
        delta: &'a Delta,
    ) -> LedgerFuture<'a, ()> {
        if self
            .fail_next
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Box::pin(ready(Err(LedgerError::Failed("injected failure".into()))));
        }
        let mut m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let a = m.entry(account).or_default();
        if a.version != version {
            return Box::pin(ready(Err(LedgerError::Stale)));
        }
        if let Some(id) = delta
            .new_orders
            .iter()
            .find(|id| m.values().any(|other| other.orders.contains_key(*id)))
        {
            return Box::pin(ready(Err(LedgerError::IdTaken(id.0.clone()))));
        }
        let a = m.entry(account).or_default();
        a.version += 1;
        a.funds = Some(delta.funds.clone());
        for o in &delta.orders {
            a.orders.insert(o.id.clone(), o.clone());
        }
        a.trades.extend(delta.trades.iter().cloned());
        for p in &delta.positions {
            a.positions.insert(p.key.clone(), p.clone());
        }
        for h in &delta.holdings {
            a.holdings.insert((h.exchange, h.symbol.clone()), h.clone());
        }
        for g in &delta.gtts {
            a.gtts.insert(g.id.clone(), g.clone());
        }
        Box::pin(ready(Ok(())))
    }

    fn shared(&self) -> bool {
        self.shared
    }

    fn version(&self, account: AccountId) -> LedgerFuture<'_, i64> {
        let m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Box::pin(ready(Ok(m.get(&account).map_or(0, |a| a.version))))
    }

    fn accounts(&self) -> LedgerFuture<'_, Vec<AccountId>> {
        let m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Box::pin(ready(Ok(m.keys().copied().collect())))
    }

    fn order_ids_with_prefix<'a>(&'a self, prefix: &'a str) -> LedgerFuture<'a, Vec<OrderId>> {
        let m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let ids = m
            .values()
            .flat_map(|a| a.orders.keys())
            .filter(|id| id.0.starts_with(prefix))
            .cloned()
            .collect();
        Box::pin(ready(Ok(ids)))
    }
}
