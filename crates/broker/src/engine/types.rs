//! The paper account's values: ids, enumerations, orders, trades, positions, holdings, funds,
//! and the order-update event. Plain data; the rules live in `rules.rs`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Exchange, InstrumentType};

/// The paper account of one user (the server's `users.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// OpenAlgo's sandbox order id: `YYMMDD` + 6-digit microseconds + 2 random digits.
/// Lookups accept any string (an unknown one is simply not found).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OrderId(pub String);

impl OrderId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `TRADE-YYYYMMDD-HHMMSS-xxxxxxxx`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TradeId(pub String);

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($s => Ok($name::$v),)+ _ => Err(()) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// `BUY` / `SELL` (the API also accepts lower case; the server upper-cases first).
    Action { Buy = "BUY", Sell = "SELL" }
);
wire_enum!(
    /// `pricetype`.
    PriceType { Market = "MARKET", Limit = "LIMIT", Sl = "SL", SlM = "SL-M" }
);
wire_enum!(
    /// `product`.
    Product { Mis = "MIS", Nrml = "NRML", Cnc = "CNC" }
);
wire_enum!(
    /// `order_status`, OpenAlgo's vocabulary (with the space in `trigger pending`).
    OrderStatus {
        Open = "open",
        TriggerPending = "trigger pending",
        Complete = "complete",
        Cancelled = "cancelled",
        Rejected = "rejected",
    }
);

impl Action {
    /// +1 for BUY, -1 for SELL.
    pub fn sign(self) -> i64 {
        match self {
            Action::Buy => 1,
            Action::Sell => -1,
        }
    }

    pub fn opposite(self) -> Action {
        match self {
            Action::Buy => Action::Sell,
            Action::Sell => Action::Buy,
        }
    }

    /// Case-insensitive, as OpenAlgo upper-cases `action` downstream.
    pub fn parse_any_case(s: &str) -> Option<Action> {
        s.to_ascii_uppercase().parse().ok()
    }
}

impl OrderStatus {
    /// Waiting for the market: `open` or `trigger pending`.
    pub fn is_resting(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::TriggerPending)
    }
}

/// What the engine needs to know about the traded contract (copied onto orders and
/// positions, so they survive a change of the instrument master).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contract {
    pub kind: InstrumentType,
    pub lot_size: u32,
    pub expiry: Option<NaiveDate>,
}

/// Parses `InstrumentType::as_str` back (persistence).
pub fn instrument_type_from_str(s: &str) -> Option<InstrumentType> {
    Some(match s {
        "EQ" => InstrumentType::Equity,
        "INDEX" => InstrumentType::Index,
        "FUT" => InstrumentType::Future,
        "CE" => InstrumentType::Call,
        "PE" => InstrumentType::Put,
        _ => return None,
    })
}

/// A validated order request (the server parses the API body into this).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    pub pricetype: PriceType,
    pub product: Product,
    pub price: f64,
    pub trigger_price: f64,
    pub strategy: String,
}

/// A change to a resting order (`modifyorder`: only truthy values apply).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Modification {
    pub quantity: Option<i64>,
    pub price: Option<f64>,
    pub trigger_price: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: OrderId,
    pub account: AccountId,
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    /// The limit price; for MARKET orders the LTP used for margin (as OpenAlgo shows it).
    pub price: f64,
    pub trigger_price: f64,
    pub pricetype: PriceType,
    pub product: Product,
    pub status: OrderStatus,
    pub filled_quantity: i64,
    pub average_price: f64,
    pub rejection_reason: String,
    pub strategy: String,
    /// Margin held for this order while it rests (released on fill or cancel).
    pub margin_blocked: f64,
    pub contract: Contract,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Order {
    pub fn pending_quantity(&self) -> i64 {
        if self.status.is_resting() {
            self.quantity - self.filled_quantity
        } else {
            0
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub id: TradeId,
    pub orderid: OrderId,
    pub account: AccountId,
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    pub price: f64,
    pub product: Product,
    pub strategy: String,
    pub created_ms: i64,
}

/// Positions are keyed by (symbol, exchange, product) within an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PositionKey {
    pub symbol: String,
    pub exchange: Exchange,
    pub product: Product,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub key: PositionKey,
    /// Signed: negative is short.
    pub quantity: i64,
    /// Weighted average entry price; 0 once closed.
    pub average_price: f64,
    /// Margin held by the open quantity.
    pub margin: f64,
    /// Realized since the last session boundary.
    pub today_realized: f64,
    pub total_realized: f64,
    /// Last traded price seen (fills, marks); the fallback for settlement and MARKET margin.
    pub ltp: f64,
    pub contract: Contract,
    /// IST date the open quantity was last added to (T+1 moves CNC from before today).
    pub opened_on: NaiveDate,
    pub updated_ms: i64,
}

/// Holdings are keyed by (symbol, exchange).
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub symbol: String,
    pub exchange: Exchange,
    pub quantity: i64,
    pub average_price: f64,
    /// Funds tied up in the holding (moved from the CNC position's margin at settlement).
    pub margin: f64,
    pub ltp: f64,
    pub settlement_date: NaiveDate,
    pub lot_size: u32,
}

/// The account's money. Invariant: `available + used − total_realized = capital`
/// (realized P&L is credited to `available`).
#[derive(Debug, Clone, PartialEq)]
pub struct Funds {
    pub capital: f64,
    pub available: f64,
    pub used: f64,
    pub total_realized: f64,
    pub today_realized: f64,
    /// Start (epoch ms) of the session the `today_*` figures belong to.
    pub session_start_ms: i64,
    pub last_reset_ms: i64,
    pub reset_count: i64,
}

impl Funds {
    pub fn new(capital: f64, now_ms: i64, session_start_ms: i64) -> Self {
        Funds {
            capital,
            available: capital,
            used: 0.0,
            total_realized: 0.0,
            today_realized: 0.0,
            session_start_ms,
            last_reset_ms: now_ms,
            reset_count: 0,
        }
    }
}

/// OpenAlgo's `order_update` payload, published whenever an order changes state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderUpdate {
    pub orderid: String,
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    pub price: f64,
    pub trigger_price: f64,
    pub pricetype: PriceType,
    pub product: Product,
    pub order_status: OrderStatus,
    pub filled_quantity: i64,
    pub pending_quantity: i64,
    pub average_price: f64,
    pub rejection_reason: String,
    pub user_id: AccountId,
    pub mode: &'static str,
    pub broker: &'static str,
    /// Epoch milliseconds of the change.
    pub timestamp: i64,
}

impl From<&Order> for OrderUpdate {
    fn from(o: &Order) -> Self {
        OrderUpdate {
            orderid: o.id.0.clone(),
            symbol: o.symbol.clone(),
            exchange: o.exchange,
            action: o.action,
            quantity: o.quantity,
            price: o.price,
            trigger_price: o.trigger_price,
            pricetype: o.pricetype,
            product: o.product,
            order_status: o.status,
            filled_quantity: o.filled_quantity,
            pending_quantity: o.pending_quantity(),
            average_price: o.average_price,
            rejection_reason: o.rejection_reason.clone(),
            user_id: o.account,
            mode: "analyze",
            broker: "sandbox",
            timestamp: o.updated_ms,
        }
    }
}

/// The prices a decision is made on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Px {
    pub ltp: f64,
    pub bid: f64,
    pub ask: f64,
    pub high: f64,
    pub low: f64,
}

impl From<crate::api::QuoteData> for Px {
    fn from(q: crate::api::QuoteData) -> Self {
        Px {
            ltp: q.ltp,
            bid: q.bid,
            ask: q.ask,
            high: q.high,
            low: q.low,
        }
    }
}

impl From<&crate::feed::Tick> for Px {
    fn from(t: &crate::feed::Tick) -> Self {
        Px {
            ltp: t.ltp,
            bid: t.bid,
            ask: t.ask,
            high: t.high,
            low: t.low,
        }
    }
}

// ---- GTT (good till triggered) ----

/// A GTT's id, `GTT-YYMMDD-<8 hex>` (OpenAlgo's sandbox format; never an order id's digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct GttId(pub String);

impl GttId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

wire_enum!(
    /// `gtt_status`: `active` until it fires, is cancelled, expires or its order is refused.
    GttStatus {
        Active = "active",
        Triggered = "triggered",
        Cancelled = "cancelled",
        Expired = "expired",
        Rejected = "rejected",
    }
);
wire_enum!(
    /// Which way the price must cross a leg's trigger (inclusive).
    Direction { Below = "below", Above = "above" }
);
wire_enum!(
    /// `trigger_type` on the wire: `SINGLE` or `OCO` in requests.
    GttKind { Single = "single", Oco = "two-leg" }
);

/// One trigger and the limit price of the order it places.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GttLeg {
    pub trigger_price: f64,
    pub direction: Direction,
    /// The child order's limit price (0 for MARKET).
    pub price: f64,
}

impl GttLeg {
    pub fn crossed(&self, ltp: f64) -> bool {
        match self.direction {
            Direction::Below => ltp <= self.trigger_price,
            Direction::Above => ltp >= self.trigger_price,
        }
    }
}

/// A validated GTT request (place, or the full replacement modify sends).
#[derive(Debug, Clone, PartialEq)]
pub struct GttRequest {
    pub kind: GttKind,
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    /// `Limit` or `Market`.
    pub pricetype: PriceType,
    pub product: Product,
    /// SINGLE: one leg; OCO: the stoploss (below) leg then the target (above) leg.
    pub legs: Vec<GttLeg>,
    pub strategy: String,
    /// Epoch ms; `None` is a year from placement.
    pub expires_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gtt {
    pub id: GttId,
    pub account: AccountId,
    pub kind: GttKind,
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    pub pricetype: PriceType,
    pub product: Product,
    pub legs: Vec<GttLeg>,
    pub strategy: String,
    /// The LTP when it was placed (0 when there was no quote).
    pub last_price: f64,
    pub status: GttStatus,
    /// Set when it fired: the leg (0-based) and the order it placed.
    pub fired: Option<(usize, OrderId)>,
    /// Why its order was refused when it fired (`rejected`).
    pub reason: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub expires_ms: i64,
}
