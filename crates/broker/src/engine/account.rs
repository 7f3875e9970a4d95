//! An account's state in memory, and the change set one operation commits.

use std::collections::BTreeMap;

use super::config::EngineConfig;
use super::types::*;
use crate::domain::Exchange;
use crate::time::session_start_ms;

/// Everything an account holds in memory: funds, positions, holdings, the current session's
/// orders and trades, and every resting order.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    /// The ledger's version of this state (commits so far).
    pub version: i64,
    pub funds: Funds,
    pub orders: BTreeMap<OrderId, Order>,
    pub trades: Vec<Trade>,
    pub positions: BTreeMap<PositionKey, Position>,
    pub holdings: BTreeMap<(Exchange, String), Holding>,
    /// Active GTTs, and those that ended this session.
    pub gtts: BTreeMap<GttId, Gtt>,
}

impl Account {
    pub fn new(id: AccountId, cfg: &EngineConfig, now_ms: i64) -> Self {
        Account {
            id,
            version: 0,
            funds: Funds::new(
                cfg.starting_capital,
                now_ms,
                session_start_ms(now_ms, cfg.session_boundary),
            ),
            orders: BTreeMap::new(),
            trades: Vec::new(),
            positions: BTreeMap::new(),
            holdings: BTreeMap::new(),
            gtts: BTreeMap::new(),
        }
    }

    /// Applies a committed delta.
    pub fn apply(&mut self, d: &Delta) {
        self.funds = d.funds.clone();
        for o in &d.orders {
            self.orders.insert(o.id.clone(), o.clone());
        }
        self.trades.extend(d.trades.iter().cloned());
        for p in &d.positions {
            self.positions.insert(p.key.clone(), p.clone());
        }
        for h in &d.holdings {
            self.holdings
                .insert((h.exchange, h.symbol.clone()), h.clone());
        }
        for g in &d.gtts {
            self.gtts.insert(g.id.clone(), g.clone());
        }
        // Drop what belongs to earlier sessions and no longer rests.
        let since = self.funds.session_start_ms;
        self.gtts
            .retain(|_, g| g.status == GttStatus::Active || g.updated_ms >= since);
        self.orders
            .retain(|_, o| o.created_ms >= since || o.status.is_resting());
        self.trades.retain(|t| t.created_ms >= since);
    }

    pub fn resting(&self) -> impl Iterator<Item = &Order> {
        self.orders.values().filter(|o| o.status.is_resting())
    }
}

/// The rows one state change writes, and the updates it publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub funds: Funds,
    pub orders: Vec<Order>,
    /// The ids of `orders` this change creates (the others exist already).
    pub new_orders: Vec<OrderId>,
    pub trades: Vec<Trade>,
    pub positions: Vec<Position>,
    pub holdings: Vec<Holding>,
    pub gtts: Vec<Gtt>,
    pub updates: Vec<OrderUpdate>,
}

impl Delta {
    pub fn is_empty(&self, before: &Funds) -> bool {
        self.orders.is_empty()
            && self.trades.is_empty()
            && self.positions.is_empty()
            && self.holdings.is_empty()
            && self.gtts.is_empty()
            && &self.funds == before
    }
}
