//! The engine's rules as pure functions: an account, a command and prices in, the new
//! state out as a [`Delta`] (the rows to persist, the order updates to publish). No I/O,
//! no clock: time and ids come in through the [`Tx`].

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};

use super::types::*;
use crate::domain::{Exchange, InstrumentType};
use crate::num::round2;
use crate::time::{ist_parts, session_start_ms};

/// Sandbox configuration (reference §6.2 defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub starting_capital: f64,
    /// Daily session boundary, IST (OpenAlgo's `SESSION_EXPIRY_TIME`, 03:00).
    pub session_boundary: NaiveTime,
    /// MIS time gates and auto square-off (the `exchange` calendar); off in `continuous`.
    pub mis_gates: bool,
    pub equity_mis_leverage: f64,
    pub equity_cnc_leverage: f64,
    pub futures_leverage: f64,
    pub option_buy_leverage: f64,
    pub option_sell_leverage: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            starting_capital: 10_000_000.0,
            session_boundary: NaiveTime::from_hms_opt(3, 0, 0).expect("valid time"),
            mis_gates: false,
            equity_mis_leverage: 5.0,
            equity_cnc_leverage: 1.0,
            futures_leverage: 10.0,
            option_buy_leverage: 1.0,
            option_sell_leverage: 1.0,
        }
    }
}

/// MIS square-off time per exchange (IST); `None` where OpenAlgo has none.
pub fn square_off_time(ex: Exchange) -> Option<NaiveTime> {
    let (h, m) = match ex {
        Exchange::Nse | Exchange::Bse | Exchange::Nfo | Exchange::Bfo => (15, 15),
        Exchange::Cds | Exchange::Bcd => (16, 45),
        Exchange::Mcx => (23, 30),
        Exchange::Ncdex => (17, 0),
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

/// MIS orders may open positions from this IST time on.
pub const MIS_RESUME: (u32, u32) = (9, 0);
/// F&O contracts settle on their expiry day from this IST time (`expiry_day_close`).
pub const EXPIRY_CLOSE: (u32, u32) = (15, 30);
/// Strategy of orders the engine places itself.
pub const AUTO_SQUARE_OFF: &str = "AUTO_SQUARE_OFF";

/// F&O exchanges where CNC is refused and lot sizes are enforced (NCO is not among them).
fn is_derivative_exchange(ex: Exchange) -> bool {
    matches!(
        ex,
        Exchange::Nfo
            | Exchange::Bfo
            | Exchange::Mcx
            | Exchange::Cds
            | Exchange::Bcd
            | Exchange::Ncdex
            | Exchange::Crypto
    )
}

/// The engine's one error type. Messages are OpenAlgo's sandbox messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// 400; `orderid` is set when a rejected order was recorded (CNC sell checks).
    #[error("{message}")]
    Rejected {
        message: String,
        orderid: Option<OrderId>,
    },
    /// 404.
    #[error("Order {0} not found")]
    OrderNotFound(String),
    /// The database failed; nothing was applied.
    #[error("ledger: {0}")]
    Ledger(String),
}

impl EngineError {
    pub fn rejected(message: impl Into<String>) -> Self {
        EngineError::Rejected {
            message: message.into(),
            orderid: None,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Everything an account holds in memory: funds, positions, holdings, the current session's
/// orders and trades, and every resting order.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub funds: Funds,
    pub orders: BTreeMap<OrderId, Order>,
    pub trades: Vec<Trade>,
    pub positions: BTreeMap<PositionKey, Position>,
    pub holdings: BTreeMap<(Exchange, String), Holding>,
}

impl Account {
    pub fn new(id: AccountId, cfg: &EngineConfig, now_ms: i64) -> Self {
        Account {
            id,
            funds: Funds::new(
                cfg.starting_capital,
                now_ms,
                session_start_ms(now_ms, cfg.session_boundary),
            ),
            orders: BTreeMap::new(),
            trades: Vec::new(),
            positions: BTreeMap::new(),
            holdings: BTreeMap::new(),
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
        // Drop what belongs to earlier sessions and no longer rests.
        let since = self.funds.session_start_ms;
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
    pub trades: Vec<Trade>,
    pub positions: Vec<Position>,
    pub holdings: Vec<Holding>,
    pub updates: Vec<OrderUpdate>,
}

impl Delta {
    pub fn is_empty(&self, before: &Funds) -> bool {
        self.orders.is_empty()
            && self.trades.is_empty()
            && self.positions.is_empty()
            && self.holdings.is_empty()
            && &self.funds == before
    }
}

/// Where new ids come from (unique ids in the service, counters in tests).
pub trait IdSource {
    fn order_id(&mut self, now_ms: i64) -> OrderId;
    fn trade_id(&mut self, now_ms: i64) -> TradeId;
}

/// A transaction over an account: reads see its own writes; `finish` yields the delta.
pub struct Tx<'a> {
    acc: &'a Account,
    pub cfg: &'a EngineConfig,
    pub now_ms: i64,
    ids: &'a mut dyn IdSource,
    funds: Funds,
    orders: BTreeMap<OrderId, Order>,
    trades: Vec<Trade>,
    positions: BTreeMap<PositionKey, Position>,
    holdings: BTreeMap<(Exchange, String), Holding>,
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
            updates: Vec::new(),
        }
    }

    pub fn finish(self) -> Delta {
        Delta {
            funds: self.funds,
            orders: self.orders.into_values().collect(),
            trades: self.trades,
            positions: self.positions.into_values().collect(),
            holdings: self.holdings.into_values().collect(),
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

    fn put_order(&mut self, o: Order) {
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

    fn put_position(&mut self, p: Position) {
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

    fn put_holding(&mut self, h: Holding) {
        self.holdings.insert((h.exchange, h.symbol.clone()), h);
    }

    /// Moves money from available to used (never below zero available); returns the amount.
    fn block(&mut self, amount: f64) -> f64 {
        let take = round2(amount.min(self.funds.available.max(0.0)).max(0.0));
        self.funds.available -= take;
        self.funds.used += take;
        take
    }

    fn release(&mut self, amount: f64) {
        self.funds.used -= amount;
        self.funds.available += amount;
    }

    fn realize(&mut self, pnl: f64) {
        self.funds.available += pnl;
        self.funds.total_realized += pnl;
        self.funds.today_realized += pnl;
    }
}

fn leverage(cfg: &EngineConfig, c: &Contract, product: Product, action: Action) -> f64 {
    let l = match c.kind {
        InstrumentType::Future => cfg.futures_leverage,
        InstrumentType::Call | InstrumentType::Put => match action {
            Action::Buy => cfg.option_buy_leverage,
            Action::Sell => cfg.option_sell_leverage,
        },
        InstrumentType::Equity | InstrumentType::Index => match product {
            Product::Mis => cfg.equity_mis_leverage,
            Product::Cnc | Product::Nrml => cfg.equity_cnc_leverage,
        },
    };
    if l > 0.0 { l } else { 1.0 }
}

/// Margin for `qty` at `price` given the current signed position (reference §6.3 step 8).
pub fn margin_for(
    cfg: &EngineConfig,
    c: &Contract,
    product: Product,
    action: Action,
    qty: i64,
    price: f64,
    position_qty: i64,
) -> f64 {
    let lev = leverage(cfg, c, product, action);
    let signed = action.sign() * qty;
    let opposes = position_qty != 0 && signed.signum() != position_qty.signum();
    let units = if opposes {
        (qty - position_qty.abs()).max(0)
    } else if action == Action::Sell && product == Product::Cnc && !c.kind.is_derivative() {
        0
    } else {
        qty
    };
    round2(units as f64 * price / lev)
}

/// The MIS gate's rejection, if `now_ms` is outside MIS hours for `ex`.
pub fn mis_gate(cfg: &EngineConfig, ex: Exchange, now_ms: i64) -> Option<String> {
    if !cfg.mis_gates {
        return None;
    }
    let cutoff = square_off_time(ex)?;
    let (_, t) = ist_parts(now_ms);
    let resume = NaiveTime::from_hms_opt(MIS_RESUME.0, MIS_RESUME.1, 0)?;
    (t >= cutoff || t < resume).then(|| {
        format!(
            "MIS orders cannot be placed after square-off time ({} IST). Trading resumes at \
             09:00 AM IST.",
            cutoff.format("%H:%M")
        )
    })
}

fn key_of(o: &Order) -> PositionKey {
    PositionKey {
        symbol: o.symbol.clone(),
        exchange: o.exchange,
        product: o.product,
    }
}

fn stale(px: &Px) -> bool {
    px.low > 0.0 && px.high > 0.0 && (px.ltp < px.low || px.ltp > px.high)
}

/// §6.3: validate, block margin, record the order, fill it if the market allows.
pub fn place(
    tx: &mut Tx<'_>,
    req: &OrderRequest,
    contract: Option<Contract>,
    quote: Option<Px>,
) -> Result<OrderId> {
    // 1. Product and price-type rules.
    if matches!(req.exchange, Exchange::Nse | Exchange::Bse) && req.product == Product::Nrml {
        return Err(EngineError::rejected(
            "NRML product not allowed for NSE equity segment. Use CNC for delivery or MIS for \
             intraday.",
        ));
    }
    if is_derivative_exchange(req.exchange) && req.product == Product::Cnc {
        return Err(EngineError::rejected(
            "CNC product not allowed for NFO derivatives segment. Use NRML for carryforward or \
             MIS for intraday.",
        ));
    }
    let pt = req.pricetype;
    if matches!(pt, PriceType::Limit | PriceType::Sl) && req.price <= 0.0 {
        return Err(EngineError::rejected(format!("{pt} orders require price")));
    }
    if matches!(pt, PriceType::Sl | PriceType::SlM) && req.trigger_price <= 0.0 {
        return Err(EngineError::rejected(format!(
            "{pt} orders require trigger_price"
        )));
    }
    if req.quantity <= 0 {
        return Err(EngineError::rejected("Quantity must be positive"));
    }
    // 2. Drop what does not apply.
    let price = if matches!(pt, PriceType::Limit | PriceType::Sl) {
        req.price
    } else {
        0.0
    };
    let trigger = if matches!(pt, PriceType::Sl | PriceType::SlM) {
        req.trigger_price
    } else {
        0.0
    };
    // 3. Symbol.
    let Some(contract) = contract else {
        return Err(EngineError::rejected(format!(
            "Symbol {} not found on {}",
            req.symbol, req.exchange
        )));
    };
    // 4. Lot size.
    if is_derivative_exchange(req.exchange)
        && contract.lot_size > 1
        && req.quantity % i64::from(contract.lot_size) != 0
    {
        return Err(EngineError::rejected(format!(
            "Quantity must be in multiples of lot size {}",
            contract.lot_size
        )));
    }
    let key = PositionKey {
        symbol: req.symbol.clone(),
        exchange: req.exchange,
        product: req.product,
    };
    let pos = tx.position(&key);
    let pos_qty = pos.as_ref().map_or(0, |p| p.quantity);
    // 5. MIS time gate, for orders that open or increase a position.
    let signed = req.action.sign() * req.quantity;
    let reduces_only =
        pos_qty != 0 && signed.signum() != pos_qty.signum() && req.quantity <= pos_qty.abs();
    if req.product == Product::Mis
        && !reduces_only
        && let Some(msg) = mis_gate(tx.cfg, req.exchange, tx.now_ms)
    {
        return Err(EngineError::rejected(msg));
    }
    // 6. CNC sell: shares to sell (recorded after the price and margin steps).
    let cnc_short = if req.product == Product::Cnc && req.action == Action::Sell {
        let h = tx
            .holding(req.exchange, &req.symbol)
            .map_or(0, |h| h.quantity);
        let pending: i64 = tx
            .resting_orders()
            .iter()
            .filter(|o| {
                o.product == Product::Cnc
                    && o.action == Action::Sell
                    && o.symbol == req.symbol
                    && o.exchange == req.exchange
            })
            .fold(0i64, |a, o| a.saturating_add(o.quantity));
        let avail = pos_qty.saturating_add(h).saturating_sub(pending);
        (avail <= 0 || avail < req.quantity).then(|| {
            if pos_qty.saturating_add(h) <= 0 {
                format!(
                    "Cannot sell {} in CNC. No positions or holdings available. Buy in CNC \
                     first, or use MIS to sell short intraday.",
                    req.symbol
                )
            } else {
                format!(
                    "Cannot sell {} shares of {} in CNC. Only {} shares available (Position: \
                     {}, Holdings: {})",
                    req.quantity,
                    req.symbol,
                    avail.max(0),
                    pos_qty,
                    h
                )
            }
        })
    } else {
        None
    };
    // 7. Margin price.
    let margin_price = match pt {
        PriceType::Market => match quote.map(|q| q.ltp).filter(|l| *l > 0.0) {
            Some(ltp) => ltp,
            None => match pos.as_ref().map(|p| p.ltp).filter(|l| *l > 0.0) {
                Some(l) => l,
                None => {
                    return Err(EngineError::rejected(format!(
                        "Cannot place MARKET order for {} - unable to fetch current price. \
                         Please try again later or use LIMIT order with a specific price.",
                        req.symbol
                    )));
                }
            },
        },
        PriceType::Limit => price,
        PriceType::Sl | PriceType::SlM => trigger,
    };
    // 8. Margin.
    let margin = margin_for(
        tx.cfg,
        &contract,
        req.product,
        req.action,
        req.quantity,
        margin_price,
        pos_qty,
    );
    if margin > tx.funds.available + 1e-9 {
        let a = tx.funds.available;
        return Err(EngineError::rejected(format!(
            "Insufficient funds. Required: ₹{margin:.2}, Available: ₹{a:.2}, Shortage: ₹{:.2}",
            margin - a
        )));
    }
    // 9. The order.
    let id = tx.ids.order_id(tx.now_ms);
    let mut order = Order {
        id: id.clone(),
        account: tx.acc.id,
        symbol: req.symbol.clone(),
        exchange: req.exchange,
        action: req.action,
        quantity: req.quantity,
        price: if pt == PriceType::Market {
            margin_price
        } else {
            price
        },
        trigger_price: trigger,
        pricetype: pt,
        product: req.product,
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: 0.0,
        rejection_reason: String::new(),
        strategy: req.strategy.clone(),
        margin_blocked: 0.0,
        contract,
        created_ms: tx.now_ms,
        updated_ms: tx.now_ms,
    };
    if let Some(message) = cnc_short {
        order.status = OrderStatus::Rejected;
        order.rejection_reason = message.clone();
        tx.put_order(order);
        return Err(EngineError::Rejected {
            message,
            orderid: Some(id),
        });
    }
    order.margin_blocked = tx.block(margin);
    if matches!(pt, PriceType::Sl | PriceType::SlM) {
        order.status = OrderStatus::TriggerPending;
    }
    let fill = quote.and_then(|q| evaluate(&mut order, &q, true));
    tx.put_order(order);
    if let Some(px) = fill {
        fill_order(tx, &id, px);
    }
    Ok(id)
}

/// §6.4: the fill price if `o` executes at `px` now; may move an SL from trigger pending to
/// open. `at_placement` selects the placement column of the table.
pub fn evaluate(o: &mut Order, px: &Px, at_placement: bool) -> Option<f64> {
    if px.ltp <= 0.0 || stale(px) {
        return None;
    }
    let ltp = px.ltp;
    let buy = o.action == Action::Buy;
    let limit_ok = |p: f64| if buy { ltp <= p } else { ltp >= p };
    let trig_hit = |t: f64| if buy { ltp >= t } else { ltp <= t };
    match (o.pricetype, o.status) {
        (PriceType::Market, OrderStatus::Open) => Some(if buy {
            if px.ask > 0.0 { px.ask } else { ltp }
        } else if px.bid > 0.0 {
            px.bid
        } else {
            ltp
        }),
        (PriceType::Limit, OrderStatus::Open) => {
            limit_ok(o.price).then_some(if at_placement { ltp } else { o.price })
        }
        (PriceType::SlM, OrderStatus::TriggerPending) => trig_hit(o.trigger_price).then_some(ltp),
        (PriceType::Sl, OrderStatus::TriggerPending) => {
            if !trig_hit(o.trigger_price) {
                None
            } else if limit_ok(o.price) {
                Some(ltp)
            } else {
                o.status = OrderStatus::Open;
                None
            }
        }
        (PriceType::Sl, OrderStatus::Open) => {
            (trig_hit(o.trigger_price) && limit_ok(o.price)).then_some(ltp)
        }
        _ => None,
    }
}

/// Executes a resting order in full at `price`: trade, position, margin, P&L.
pub fn fill_order(tx: &mut Tx<'_>, id: &OrderId, price: f64) {
    let Some(mut o) = tx.order(id) else { return };
    if !o.status.is_resting() {
        return;
    }
    let now = tx.now_ms;
    o.status = OrderStatus::Complete;
    o.filled_quantity = o.quantity;
    o.average_price = price;
    o.updated_ms = now;
    tx.release(o.margin_blocked);
    let trade = Trade {
        id: tx.ids.trade_id(now),
        orderid: o.id.clone(),
        account: o.account,
        symbol: o.symbol.clone(),
        exchange: o.exchange,
        action: o.action,
        quantity: o.quantity,
        price,
        product: o.product,
        strategy: o.strategy.clone(),
        created_ms: now,
    };
    tx.trades.push(trade);
    apply_fill(tx, &o, price);
    tx.put_order(o);
}

fn new_position(key: PositionKey, c: Contract, day: NaiveDate, now: i64) -> Position {
    Position {
        key,
        quantity: 0,
        average_price: 0.0,
        margin: 0.0,
        today_realized: 0.0,
        total_realized: 0.0,
        ltp: 0.0,
        contract: c,
        opened_on: day,
        updated_ms: now,
    }
}

fn apply_fill(tx: &mut Tx<'_>, o: &Order, price: f64) {
    let (today, _) = ist_parts(tx.now_ms);
    let key = key_of(o);
    let mut p = tx
        .position(&key)
        .unwrap_or_else(|| new_position(key.clone(), o.contract, today, tx.now_ms));
    p.ltp = price;
    p.updated_ms = tx.now_ms;
    let mut qty = o.quantity;
    // CNC sells beyond the position come out of holdings.
    if o.product == Product::Cnc && o.action == Action::Sell && !o.contract.kind.is_derivative() {
        let from_position = qty.min(p.quantity.max(0));
        let from_holdings = qty - from_position;
        if from_holdings > 0
            && let Some(mut h) = tx.holding(o.exchange, &o.symbol)
        {
            let n = from_holdings.min(h.quantity);
            let pnl = round2((price - h.average_price) * n as f64);
            let freed = if h.quantity > 0 {
                h.margin * n as f64 / h.quantity as f64
            } else {
                0.0
            };
            h.margin -= freed;
            h.quantity -= n;
            h.ltp = price;
            if h.quantity == 0 {
                h.margin = 0.0;
            }
            tx.release(freed);
            tx.realize(pnl);
            p.today_realized += pnl;
            p.total_realized += pnl;
            tx.put_holding(h);
        }
        qty = from_position;
    }
    if qty > 0 {
        let signed = o.action.sign() * qty;
        if p.quantity == 0 || p.quantity.signum() == signed.signum() {
            open_more(tx, &mut p, o, qty, price, today);
        } else {
            let close = qty.min(p.quantity.abs());
            let pnl = round2((price - p.average_price) * close as f64 * p.quantity.signum() as f64);
            let freed = p.margin * close as f64 / p.quantity.abs() as f64;
            p.margin -= freed;
            tx.release(freed);
            tx.realize(pnl);
            p.today_realized += pnl;
            p.total_realized += pnl;
            p.quantity += o.action.sign() * close;
            if p.quantity == 0 {
                p.average_price = 0.0;
                // Whatever rounding left behind goes back too.
                tx.release(p.margin);
                p.margin = 0.0;
            }
            if qty > close {
                open_more(tx, &mut p, o, qty - close, price, today);
            }
        }
    }
    tx.put_position(p);
}

fn open_more(tx: &mut Tx<'_>, p: &mut Position, o: &Order, qty: i64, price: f64, today: NaiveDate) {
    let old = p.quantity.abs() as f64;
    let n = qty as f64;
    p.average_price = (old * p.average_price + n * price) / (old + n);
    p.quantity += o.action.sign() * qty;
    p.opened_on = today;
    p.contract = o.contract;
    let needed = margin_for(tx.cfg, &o.contract, o.product, o.action, qty, price, 0);
    p.margin += tx.block(needed);
}

/// `cancelorder`: releases exactly the order's blocked margin.
pub fn cancel(tx: &mut Tx<'_>, id: &OrderId) -> Result<()> {
    let mut o = tx
        .order(id)
        .ok_or_else(|| EngineError::OrderNotFound(id.0.clone()))?;
    if !o.status.is_resting() {
        return Err(EngineError::rejected(format!(
            "Cannot cancel order in {} status",
            o.status
        )));
    }
    tx.release(o.margin_blocked);
    o.status = OrderStatus::Cancelled;
    o.updated_ms = tx.now_ms;
    tx.put_order(o);
    Ok(())
}

/// `modifyorder`: applies quantity, price and trigger (where they apply), re-blocks margin
/// for the new values, and fills the order if it became executable.
pub fn modify(tx: &mut Tx<'_>, id: &OrderId, m: Modification, quote: Option<Px>) -> Result<()> {
    let mut o = tx
        .order(id)
        .ok_or_else(|| EngineError::OrderNotFound(id.0.clone()))?;
    if !o.status.is_resting() {
        return Err(EngineError::rejected(format!(
            "Cannot modify order in {} status",
            o.status
        )));
    }
    let pt = o.pricetype;
    if let Some(p) = m.price.filter(|p| *p > 0.0) {
        if matches!(pt, PriceType::Market | PriceType::SlM) {
            return Err(EngineError::rejected(format!(
                "{pt} orders do not accept a price"
            )));
        }
        o.price = p;
    }
    if let Some(t) = m.trigger_price.filter(|t| *t > 0.0) {
        if matches!(pt, PriceType::Market | PriceType::Limit) {
            return Err(EngineError::rejected(format!(
                "{pt} orders do not accept a trigger_price"
            )));
        }
        o.trigger_price = t;
    }
    if let Some(q) = m.quantity.filter(|q| *q > 0) {
        let lot = i64::from(o.contract.lot_size);
        if is_derivative_exchange(o.exchange) && lot > 1 && q % lot != 0 {
            return Err(EngineError::rejected(format!(
                "Quantity must be in multiples of lot size {lot}"
            )));
        }
        o.quantity = q;
    }
    let margin_price = match pt {
        PriceType::Market => o.price,
        PriceType::Limit => o.price,
        PriceType::Sl | PriceType::SlM => o.trigger_price,
    };
    let pos_qty = tx.position(&key_of(&o)).map_or(0, |p| p.quantity);
    let needed = margin_for(
        tx.cfg,
        &o.contract,
        o.product,
        o.action,
        o.quantity,
        margin_price,
        pos_qty,
    );
    let extra = needed - o.margin_blocked;
    if extra > tx.funds.available + 1e-9 {
        let a = tx.funds.available;
        return Err(EngineError::rejected(format!(
            "Insufficient funds. Required: ₹{extra:.2}, Available: ₹{a:.2}, Shortage: ₹{:.2}",
            extra - a
        )));
    }
    if extra >= 0.0 {
        o.margin_blocked += tx.block(extra);
    } else {
        tx.release(-extra);
        o.margin_blocked = needed;
    }
    o.updated_ms = tx.now_ms;
    let fill = quote.and_then(|q| evaluate(&mut o, &q, false));
    tx.put_order(o);
    if let Some(px) = fill {
        fill_order(tx, id, px);
    }
    Ok(())
}

/// A market move on one instrument: every resting order on it that can execute does.
pub fn on_price(tx: &mut Tx<'_>, symbol: &str, exchange: Exchange, px: &Px) {
    for mut o in tx.resting_orders() {
        if o.symbol != symbol || o.exchange != exchange {
            continue;
        }
        let before = o.status;
        let fill = evaluate(&mut o, px, false);
        match fill {
            Some(price) => {
                if o.status != before {
                    tx.put_order(o.clone());
                }
                fill_order(tx, &o.id, price);
            }
            None if o.status != before => {
                o.updated_ms = tx.now_ms;
                tx.put_order(o);
            }
            None => {}
        }
    }
    // Mark positions (their ltp is the settlement fallback).
    for product in Product::ALL {
        let key = PositionKey {
            symbol: symbol.to_owned(),
            exchange,
            product: *product,
        };
        if let Some(mut p) = tx.position(&key)
            && p.quantity != 0
            && (p.ltp - px.ltp).abs() > f64::EPSILON
        {
            p.ltp = px.ltp;
            tx.put_position(p);
        }
    }
}

/// Closes a position with a MARKET order (strategy `AUTO_SQUARE_OFF`).
pub fn close_position(tx: &mut Tx<'_>, key: &PositionKey, quote: Option<Px>) -> Result<OrderId> {
    let p = tx
        .position(key)
        .filter(|p| p.quantity != 0)
        .ok_or_else(|| EngineError::rejected("No open position"))?;
    let req = OrderRequest {
        symbol: key.symbol.clone(),
        exchange: key.exchange,
        action: if p.quantity > 0 {
            Action::Sell
        } else {
            Action::Buy
        },
        quantity: p.quantity.abs(),
        pricetype: PriceType::Market,
        product: key.product,
        price: 0.0,
        trigger_price: 0.0,
        strategy: AUTO_SQUARE_OFF.to_owned(),
    };
    place(tx, &req, Some(p.contract), quote)
}

/// The session boundary passed: today's realized P&L starts again from zero.
pub fn roll_session(tx: &mut Tx<'_>) {
    let start = session_start_ms(tx.now_ms, tx.cfg.session_boundary);
    if tx.funds.session_start_ms >= start {
        return;
    }
    tx.funds.session_start_ms = start;
    tx.funds.today_realized = 0.0;
    for mut p in tx.positions() {
        if p.today_realized != 0.0 {
            p.today_realized = 0.0;
            tx.put_position(p);
        }
    }
}

/// T+1: CNC positions bought before today become holdings (their margin moves along).
pub fn settle_t1(tx: &mut Tx<'_>) {
    let (today, _) = ist_parts(tx.now_ms);
    for mut p in tx.positions() {
        if p.key.product != Product::Cnc
            || p.quantity <= 0
            || p.opened_on >= today
            || p.contract.kind.is_derivative()
        {
            continue;
        }
        let mut h = tx
            .holding(p.key.exchange, &p.key.symbol)
            .unwrap_or(Holding {
                symbol: p.key.symbol.clone(),
                exchange: p.key.exchange,
                quantity: 0,
                average_price: 0.0,
                margin: 0.0,
                ltp: p.ltp,
                settlement_date: today,
                lot_size: p.contract.lot_size,
            });
        let (a, b) = (h.quantity as f64, p.quantity as f64);
        h.average_price = (a * h.average_price + b * p.average_price) / (a + b);
        h.quantity += p.quantity;
        h.margin += p.margin;
        h.ltp = p.ltp;
        h.settlement_date = today;
        p.quantity = 0;
        p.average_price = 0.0;
        p.margin = 0.0;
        p.updated_ms = tx.now_ms;
        tx.put_holding(h);
        tx.put_position(p);
    }
}

fn expired(c: &Contract, now_ms: i64) -> bool {
    let Some(exp) = c.expiry else { return false };
    let (today, t) = ist_parts(now_ms);
    let close =
        NaiveTime::from_hms_opt(EXPIRY_CLOSE.0, EXPIRY_CLOSE.1, 0).unwrap_or(NaiveTime::MIN);
    today > exp || (today == exp && t >= close)
}

/// Expired F&O: cancel resting orders, settle positions at the last price.
pub fn settle_expired(tx: &mut Tx<'_>, quote: &dyn Fn(&str, Exchange) -> Option<Px>) {
    for o in tx.resting_orders() {
        if expired(&o.contract, tx.now_ms) {
            let _ = cancel(tx, &o.id);
        }
    }
    for mut p in tx.positions() {
        if p.quantity == 0 || !expired(&p.contract, tx.now_ms) {
            continue;
        }
        let price = quote(&p.key.symbol, p.key.exchange)
            .map(|q| q.ltp)
            .filter(|l| *l > 0.0)
            .unwrap_or(p.ltp);
        let pnl = round2((price - p.average_price) * p.quantity as f64);
        tx.release(p.margin);
        tx.realize(pnl);
        p.today_realized += pnl;
        p.total_realized += pnl;
        p.margin = 0.0;
        p.quantity = 0;
        p.average_price = 0.0;
        p.ltp = price;
        p.updated_ms = tx.now_ms;
        tx.put_position(p);
    }
}

/// MIS auto square-off: past an exchange's cutoff, cancel its resting MIS orders and close
/// its MIS positions at market. Returns how many positions were closed.
pub fn square_off(tx: &mut Tx<'_>, quote: &dyn Fn(&str, Exchange) -> Option<Px>) -> usize {
    if !tx.cfg.mis_gates {
        return 0;
    }
    for o in tx.resting_orders() {
        if o.product == Product::Mis && mis_gate(tx.cfg, o.exchange, tx.now_ms).is_some() {
            let _ = cancel(tx, &o.id);
        }
    }
    let mut closed = 0;
    for p in tx.positions() {
        if p.key.product == Product::Mis
            && p.quantity != 0
            && mis_gate(tx.cfg, p.key.exchange, tx.now_ms).is_some()
            && close_position(tx, &p.key, quote(&p.key.symbol, p.key.exchange)).is_ok()
        {
            closed += 1;
        }
    }
    closed
}

/// Housekeeping every command starts with: session roll, T+1, expiries.
pub fn housekeeping(tx: &mut Tx<'_>, quote: &dyn Fn(&str, Exchange) -> Option<Px>) {
    roll_session(tx);
    settle_t1(tx);
    settle_expired(tx, quote);
}

/// `placesmartorder`: the order that takes the position from `current` to `target`
/// (reference §3.4), or `None` when nothing is to be done.
pub fn smart_order_leg(
    target: i64,
    current: i64,
    action: Action,
    quantity: i64,
) -> Option<(Action, i64)> {
    if target == 0 && current == 0 {
        return (quantity > 0).then_some((action, quantity));
    }
    if target == current {
        return None;
    }
    if target > current {
        Some((Action::Buy, target.saturating_sub(current)))
    } else {
        Some((Action::Sell, current.saturating_sub(target)))
    }
}
