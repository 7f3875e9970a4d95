//! Persistence behind a narrow trait: the store crate implements it on SQLite, with one
//! database transaction per [`Delta`]; [`MemoryLedger`] serves unit tests.

use std::collections::HashMap;
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use super::account::Delta;
use super::types::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LedgerError(pub String);

pub type LedgerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// An account as stored: funds, positions, holdings, and the orders and trades the engine
/// keeps in memory (those since `since_ms`, plus every resting order).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAccount {
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

    /// Writes every row of `delta` (upserts; trades are inserted) atomically.
    fn commit<'a>(&'a self, account: AccountId, delta: &'a Delta) -> LedgerFuture<'a, ()>;

    /// Every account with stored state.
    fn accounts(&self) -> LedgerFuture<'_, Vec<AccountId>>;

    /// Order ids starting with `prefix` (`YYMMDD`), so new ids never repeat old ones.
    fn order_ids_with_prefix<'a>(&'a self, prefix: &'a str) -> LedgerFuture<'a, Vec<OrderId>>;
}

/// An in-memory ledger; `fail_next` makes the next commit fail (to test atomicity).
#[derive(Debug, Default)]
pub struct MemoryLedger {
    inner: Mutex<HashMap<AccountId, MemAccount>>,
    pub fail_next: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Default, Clone)]
struct MemAccount {
    funds: Option<Funds>,
    orders: HashMap<OrderId, Order>,
    trades: Vec<Trade>,
    positions: HashMap<PositionKey, Position>,
    holdings: HashMap<(crate::domain::Exchange, String), Holding>,
    gtts: HashMap<GttId, Gtt>,
}

impl Ledger for MemoryLedger {
    fn load(&self, account: AccountId, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>> {
        let m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let out = m.get(&account).and_then(|a| {
            Some(StoredAccount {
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

    fn commit<'a>(&'a self, account: AccountId, delta: &'a Delta) -> LedgerFuture<'a, ()> {
        if self
            .fail_next
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Box::pin(ready(Err(LedgerError("injected failure".into()))));
        }
        let mut m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let a = m.entry(account).or_default();
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
