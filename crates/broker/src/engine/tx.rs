//! A transaction over one account: the rules read through it and write into it; its
//! [`Tx::finish`] is the [`Delta`] the service commits. Fields and the money moves are
//! visible to the rest of the engine so the rules can work on them directly.

use std::collections::BTreeMap;

use super::account::{Account, Delta};
use super::config::EngineConfig;
use super::types::*;
use crate::domain::Exchange;
use crate::num::round2;

/// Where new ids come from (unique ids in the service, counters in tests).
pub trait IdSource {
    fn order_id(&mut self, now_ms: i64) -> OrderId;
    fn trade_id(&mut self, now_ms: i64) -> TradeId;
    fn gtt_id(&mut self, now_ms: i64) -> GttId;
}

/// A transaction over an account: reads see its own writes; `finish` yields the delta.
pub struct Tx<'a> {
    pub(super) acc: &'a Account,
    pub cfg: &'a EngineConfig,
    pub now_ms: i64,
    pub(super) ids: &'a mut dyn IdSource,
    pub(super) funds: Funds,
    orders: BTreeMap<OrderId, Order>,
    pub(super) trades: Vec<Trade>,
    positions: BTreeMap<PositionKey, Position>,
    holdings: BTreeMap<(Exchange, String), Holding>,
    gtts: BTreeMap<GttId, Gtt>,
    updates: Vec<OrderUpdate>,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("account", &self.acc.id)
            .field("now_ms", &self.now_ms)
            .finish_non_exhaustive()
    }
}

impl<'a> Tx<'a> {
    pub fn new(
        acc: &'a Account,
        cfg: &'a EngineConfig,
        now_ms: i64,
        ids: &'a mut dyn IdSource,
    ) -> Self {
        Tx {
            acc,
            cfg,
            now_ms,
            ids,
            funds: acc.funds.clone(),
            orders: BTreeMap::new(),
            trades: Vec::new(),
            positions: BTreeMap::new(),
            holdings: BTreeMap::new(),
            gtts: BTreeMap::new(),
            updates: Vec::new(),
        }
    }

    pub fn finish(self) -> Delta {
        Delta {
            funds: self.funds,
            new_orders: self
                .orders
                .keys()
                .filter(|id| !self.acc.orders.contains_key(*id))
                .cloned()
                .collect(),
            orders: self.orders.into_values().collect(),
            trades: self.trades,
            positions: self.positions.into_values().collect(),
            holdings: self.holdings.into_values().collect(),
            gtts: self.gtts.into_values().collect(),
            updates: self.updates,
        }
    }

    pub fn funds(&self) -> &Funds {
        &self.funds
    }

    pub fn order(&self, id: &OrderId) -> Option<Order> {
        self.orders
            .get(id)
            .or_else(|| self.acc.orders.get(id))
            .cloned()
    }

    pub(super) fn put_order(&mut self, o: Order) {
        self.updates.push(OrderUpdate::from(&o));
        self.orders.insert(o.id.clone(), o);
    }

    /// Resting orders as of this transaction, oldest first.
    pub fn resting_orders(&self) -> Vec<Order> {
        let mut v: Vec<Order> = self
            .acc
            .orders
            .keys()
            .chain(self.orders.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|id| self.order(id))
            .filter(|o| o.status.is_resting())
            .collect();
        v.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        v
    }

    pub fn position(&self, key: &PositionKey) -> Option<Position> {
        self.positions
            .get(key)
            .or_else(|| self.acc.positions.get(key))
            .cloned()
    }

    pub fn positions(&self) -> Vec<Position> {
        let keys: std::collections::BTreeSet<&PositionKey> = self
            .acc
            .positions
            .keys()
            .chain(self.positions.keys())
            .collect();
        keys.into_iter().filter_map(|k| self.position(k)).collect()
    }

    pub(super) fn put_position(&mut self, p: Position) {
        self.positions.insert(p.key.clone(), p);
    }

    pub fn holding(&self, ex: Exchange, symbol: &str) -> Option<Holding> {
        let k = (ex, symbol.to_owned());
        self.holdings
            .get(&k)
            .or_else(|| self.acc.holdings.get(&k))
            .cloned()
    }

    pub fn holdings(&self) -> Vec<Holding> {
        let keys: std::collections::BTreeSet<&(Exchange, String)> = self
            .acc
            .holdings
            .keys()
            .chain(self.holdings.keys())
            .collect();
        keys.into_iter()
            .filter_map(|(e, s)| self.holding(*e, s))
            .collect()
    }

    pub fn gtt(&self, id: &GttId) -> Option<Gtt> {
        self.gtts.get(id).or_else(|| self.acc.gtts.get(id)).cloned()
    }

    /// Active GTTs as of this transaction, oldest first.
    pub fn active_gtts(&self) -> Vec<Gtt> {
        let ids: std::collections::BTreeSet<&GttId> =
            self.acc.gtts.keys().chain(self.gtts.keys()).collect();
        let mut v: Vec<Gtt> = ids
            .into_iter()
            .filter_map(|id| self.gtt(id))
            .filter(|g| g.status == GttStatus::Active)
            .collect();
        v.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        v
    }

    pub(super) fn put_gtt(&mut self, g: Gtt) {
        self.gtts.insert(g.id.clone(), g);
    }

    pub(super) fn new_gtt_id(&mut self) -> GttId {
        self.ids.gtt_id(self.now_ms)
    }

    pub(super) fn put_holding(&mut self, h: Holding) {
        self.holdings.insert((h.exchange, h.symbol.clone()), h);
    }

    /// Moves money from available to used (never below zero available); returns the amount.
    pub(super) fn block(&mut self, amount: f64) -> f64 {
        // Rounded before the cap: rounding after it could take up to half a paisa more than
        // is available.
        let take = round2(amount.max(0.0)).min(self.funds.available.max(0.0));
        self.funds.available -= take;
        self.funds.used += take;
        take
    }

    pub(super) fn release(&mut self, amount: f64) {
        self.funds.used -= amount;
        self.funds.available += amount;
    }

    pub(super) fn realize(&mut self, pnl: f64) {
        self.funds.available += pnl;
        self.funds.total_realized += pnl;
        self.funds.today_realized += pnl;
    }
}
