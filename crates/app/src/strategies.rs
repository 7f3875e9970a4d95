//! Strategy webhooks (reference §14-§15): OpenAlgo's strategies (TradingView, Amibroker,
//! Python, …) and Chartink scanners. An alert posted to a strategy's webhook URL carries
//! no API key: the strategy supplies exchange, product, quantity and the time rules, and
//! OpenAlgo's decision table turns the alert into a placeorder or a placesmartorder.
//!
//! Beyond OpenAlgo, every strategy executes through its own named key (scopes place and
//! close, allowed symbols = its mappings, maximum quantity = its largest mapping, and the
//! strategy's own orders per day, expiry, IP allowlist and order mode), so the orders go
//! through [`crate::action_center::submit`] and the key's policy like any API call; a
//! leaked webhook URL can do no more than its strategy allows. The webhook secret (256
//! random bits) is found by its HMAC fingerprint, so no comparison ever runs on the
//! secret itself, and it is stored only as that fingerprint and a Fernet copy.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use algogate_broker::Exchange;
use algogate_broker::engine::{AccountId, Action, Engine, OrderId, Product};
use algogate_broker::time::{ist_parts, session_start_ms};
use algogate_keys::{ApiKey, Scope, Scopes, SecretString};
use algogate_store::{
    AlertRow, MappingRow, NewAlert, NewMapping, OrderMode, Store, StoreError, StrategyFields,
    StrategyRow, UserId,
};
use chrono::{DateTime, Timelike, Utc};
use serde_json::{Map, Value};

use crate::action_center::{ActionCenter, Submitted, submit};
use crate::clock::Clock;
use crate::keypolicy::{Denial, IpRule, KeyPolicy, PolicyError, SymbolRule};
use crate::keyservice::{AuthedUser, KeyError, KeyService};
use crate::orders::{OrderError, OrderKind, OrderOp, Outcome};

/// Alerts kept per strategy (older ones are dropped as new ones arrive).
pub const ALERT_LOG_KEEP: i64 = 200;
/// Symbol mappings per strategy (its key's symbol list is bounded the same way).
pub const MAX_MAPPINGS: usize = crate::keypolicy::MAX_LIST;
/// Longest strategy name, without the platform prefix.
pub const MAX_NAME: usize = 50;
/// Largest quantity a mapping may carry.
pub const MAX_QTY: i64 = 1_000_000;
/// Minutes after the square-off time within which a missed square-off still runs (a
/// restart or a closed market at that minute); later, a new strategy does not close
/// positions it never saw.
const SQUAREOFF_GRACE_MIN: u16 = 5;
/// TradingView's published webhook source addresses (the allowlist preset).
pub const TRADINGVIEW_IPS: &[&str] = &[
    "52.89.214.238",
    "34.212.75.30",
    "54.218.53.128",
    "52.32.178.7",
];
/// Exchanges a strategy may map to (OpenAlgo's list, with NCO, which its UI offers).
const EXCHANGES: &[Exchange] = &[
    Exchange::Nse,
    Exchange::Bse,
    Exchange::Nfo,
    Exchange::Cds,
    Exchange::Bfo,
    Exchange::Bcd,
    Exchange::Mcx,
    Exchange::Ncdex,
    Exchange::Nco,
];

/// `trading_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Long,
    Short,
    Both,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Long => "LONG",
            Self::Short => "SHORT",
            Self::Both => "BOTH",
        }
    }
}

impl FromStr for Mode {
    type Err = StrategyError;
    fn from_str(s: &str) -> Result<Self, StrategyError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LONG" => Ok(Self::Long),
            "SHORT" => Ok(Self::Short),
            "BOTH" => Ok(Self::Both),
            _ => Err(invalid("mode", "must be LONG, SHORT or BOTH")),
        }
    }
}

/// A time of day on the IST wall clock, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hhmm(u16);

impl Hhmm {
    pub fn minutes(self) -> u16 {
        self.0
    }
    pub fn at(h: u16, m: u16) -> Self {
        Self(h * 60 + m)
    }
}

impl FromStr for Hhmm {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let b = s.as_bytes();
        if b.len() != 5
            || b[2] != b':'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_digit())
        {
            return Err(());
        }
        let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
        let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
        if h > 23 || m > 59 {
            return Err(());
        }
        Ok(Self(h * 60 + m))
    }
}

impl fmt::Display for Hhmm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// An intraday strategy's trading window (IST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Hhmm,
    pub end: Hhmm,
    pub squareoff: Hhmm,
}

impl Window {
    /// Parses the three times; start < end ≤ square-off.
    pub fn parse(start: &str, end: &str, squareoff: &str) -> Result<Self, StrategyError> {
        let t = |field: &'static str, v: &str| {
            v.trim()
                .parse::<Hhmm>()
                .map_err(|()| invalid(field, "must be HH:MM (24-hour, IST)"))
        };
        let w = Self {
            start: t("start", start)?,
            end: t("end", end)?,
            squareoff: t("squareoff", squareoff)?,
        };
        if w.start >= w.end {
            return Err(invalid("start", "must be before the end time"));
        }
        if w.end > w.squareoff {
            return Err(invalid("squareoff", "must not be before the end time"));
        }
        Ok(w)
    }
}

/// Which webhook route serves a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/strategy/webhook/<id>`
    Strategy,
    /// `/chartink/webhook/<id>`
    Chartink,
}

pub const CHARTINK: &str = "chartink";

impl Kind {
    pub fn of_platform(platform: &str) -> Self {
        if platform == CHARTINK {
            Self::Chartink
        } else {
            Self::Strategy
        }
    }
    /// The webhook path, without the secret.
    pub fn path(self) -> &'static str {
        match self {
            Self::Strategy => "/strategy/webhook/",
            Self::Chartink => "/chartink/webhook/",
        }
    }
}

/// A symbol mapping: the alert's `symbol` (or Chartink's stock) traded on `exchange` with
/// `product`, `quantity` at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub symbol: String,
    pub exchange: Exchange,
    pub quantity: i64,
    pub product: Product,
}

impl Mapping {
    pub fn new(
        symbol: &str,
        exchange: &str,
        quantity: i64,
        product: &str,
    ) -> Result<Self, StrategyError> {
        let symbol = symbol.trim();
        if algogate_broker::Symbol::parse(symbol).is_err()
            || symbol.contains(',')
            || symbol.contains(':')
        {
            return Err(invalid(
                "symbol",
                &format!("{:?} is not a symbol", clip(symbol, 40)),
            ));
        }
        let exchange = exchange
            .trim()
            .parse::<Exchange>()
            .ok()
            .filter(|e| EXCHANGES.contains(e))
            .ok_or_else(|| {
                invalid(
                    "exchange",
                    &format!("Invalid exchange: {}", clip(exchange, 16)),
                )
            })?;
        if !(1..=MAX_QTY).contains(&quantity) {
            return Err(invalid(
                "quantity",
                &format!("must be between 1 and {MAX_QTY}"),
            ));
        }
        let product = product
            .trim()
            .to_ascii_uppercase()
            .parse::<Product>()
            .map_err(|()| invalid("product", "must be MIS, CNC or NRML"))?;
        Ok(Self {
            symbol: symbol.to_owned(),
            exchange,
            quantity,
            product,
        })
    }

    fn from_row(r: &MappingRow) -> Option<Self> {
        Some(Self {
            symbol: r.symbol.clone(),
            exchange: r.exchange.parse().ok()?,
            quantity: r.quantity,
            product: r.product_type.parse().ok()?,
        })
    }
}

/// `EXCH:SYMBOL:QTY:PRODUCT` (the CLI's `--map`).
impl FromStr for Mapping {
    type Err = StrategyError;
    fn from_str(s: &str) -> Result<Self, StrategyError> {
        let parts: Vec<&str> = s.split(':').collect();
        let [ex, sym, qty, product] = parts.as_slice() else {
            return Err(invalid(
                "map",
                &format!("{:?} is not EXCH:SYMBOL:QTY:PRODUCT", clip(s, 80)),
            ));
        };
        let qty = qty
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid("quantity", "Quantity must be a valid number"))?;
        Self::new(sym, ex, qty, product)
    }
}

/// A strategy's own limits, kept on its key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    pub semi_auto: bool,
    pub max_orders_per_day: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub allow_ips: Option<Vec<IpRule>>,
}

/// What a user asks for when creating or editing a strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySpec {
    /// Without the platform prefix (added as OpenAlgo does: `<platform>_<name>`).
    pub name: String,
    pub platform: String,
    pub mode: Mode,
    /// `None`: positional (no time rules, no square-off).
    pub window: Option<Window>,
    pub mappings: Vec<Mapping>,
    pub limits: Limits,
}

/// A strategy as its owner sees it.
#[derive(Debug, Clone)]
pub struct StrategyInfo {
    pub id: i64,
    pub name: String,
    pub platform: String,
    pub kind: Kind,
    pub mode: Mode,
    pub active: bool,
    pub window: Option<Window>,
    pub mappings: Vec<MappingRow>,
    /// The webhook secret (for the URL); `None` if it cannot be decrypted.
    pub webhook: Option<SecretString>,
    pub key_name: Option<String>,
    /// The key's limits (`None`: the key was revoked).
    pub limits: Option<Limits>,
    pub created_at: String,
    pub updated_at: String,
    pub last_alert_at: Option<String>,
    pub last_alert_outcome: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    /// A bad input, naming the field.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("Strategy not found")]
    NotFound,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PolicyError> for StrategyError {
    fn from(e: PolicyError) -> Self {
        Self::Key(KeyError::from(e))
    }
}

fn invalid(field: &'static str, reason: &str) -> StrategyError {
    StrategyError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `position_size` as the alert gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Int(i64),
    /// Not something Python's `int()` takes (OpenAlgo answers 500 there).
    Invalid,
}

/// A strategy alert's fields (absent or null fields are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alert {
    pub symbol: Option<String>,
    pub action: Option<String>,
    pub position_size: Option<Size>,
}

/// Chartink's alert: only `scan_name` and `stocks` are used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartinkAlert {
    pub scan_name: Option<String>,
    pub stocks: Option<String>,
}

/// A webhook body as the surface read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<A> {
    /// Empty or falsy (`{}`, `null`, `""`): OpenAlgo's "No data received".
    Empty,
    /// Not a JSON object.
    Invalid,
    Data(A),
}

/// One order an alert asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// Place or Smart.
    pub kind: OrderKind,
    pub symbol: String,
    pub exchange: Exchange,
    pub product: Product,
    pub action: Action,
    pub quantity: i64,
    /// Smart orders only.
    pub position_size: i64,
}

/// Builds the API call an intent stands for, in OpenAlgo's wire terms (the server's
/// OpenAlgo module implements it, so the order is validated and stored exactly as a
/// placeorder or placesmartorder call would be).
pub trait StrategyCodec: Send + Sync + fmt::Debug {
    /// The operation and the `order_data` the Action Center stores for it.
    fn order(
        &self,
        intent: &Intent,
        strategy: &str,
    ) -> Result<(OrderOp, Map<String, Value>), OrderError>;
    /// The message an API call failing with `e` would carry.
    fn error_message(&self, e: &OrderError) -> String;
}

/// Why an alert placed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: a rule of OpenAlgo's (inactive, time window, fields, action, mapping), or the
    /// order itself failed.
    Bad(String),
    /// 401 `No API key found`: the strategy's key was revoked.
    NoKey,
    /// 403: the strategy's key refuses it (IP allowlist, symbol, quantity, orders per day).
    Denied(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Self::Bad(m) | Self::Denied(m) => m,
            Self::NoKey => "No API key found",
        }
    }
}

/// What one order of an alert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Placed(Vec<OrderId>),
    /// Semi-auto: queued in the Action Center.
    Queued(i64),
    /// A smart order with nothing to do (already at the target).
    Nothing(String),
}

/// The answer to an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 404 `Invalid webhook ID` (nothing is logged: there is no strategy to log to).
    NotFound,
    /// Chartink's inactive answer (200, unlike §14's 400).
    ChartinkInactive,
    Refused(Refusal),
    /// A strategy alert's order was accepted (placed or queued).
    Accepted {
        symbol: String,
        done: Done,
    },
    /// A Chartink alert: the symbols accepted, and why others were not.
    Chartink {
        accepted: Vec<(String, Done)>,
        refused: Vec<(String, String)>,
    },
}

impl Reply {
    /// OpenAlgo's HTTP status for this answer (also kept in the alert log).
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::ChartinkInactive | Self::Accepted { .. } | Self::Chartink { .. } => 200,
            Self::Refused(Refusal::Bad(_)) => 400,
            Self::Refused(Refusal::NoKey) => 401,
            Self::Refused(Refusal::Denied(_)) => 403,
        }
    }

    fn outcome(&self) -> (&'static str, String) {
        let done = |d: &Done| match d {
            Done::Placed(ids) => ids
                .iter()
                .map(|i| i.0.as_str())
                .collect::<Vec<_>>()
                .join(","),
            Done::Queued(id) => format!("queued for approval (pending order {id})"),
            Done::Nothing(why) => why.clone(),
        };
        match self {
            Self::NotFound => ("refused", "Invalid webhook ID".into()),
            Self::ChartinkInactive => ("refused", "Strategy is inactive".into()),
            Self::Refused(r) => ("refused", r.message().to_owned()),
            Self::Accepted {
                done: d @ Done::Queued(_),
                ..
            } => ("queued", done(d)),
            Self::Accepted { done: d, .. } => ("placed", done(d)),
            Self::Chartink { accepted, refused } => {
                let mut parts: Vec<String> = accepted
                    .iter()
                    .map(|(s, d)| format!("{s}: {}", done(d)))
                    .collect();
                parts.extend(
                    refused
                        .iter()
                        .map(|(s, why)| format!("{s}: refused: {why}")),
                );
                let outcome = if accepted.is_empty() {
                    "refused"
                } else if accepted.iter().all(|(_, d)| matches!(d, Done::Queued(_))) {
                    "queued"
                } else {
                    "placed"
                };
                let detail = if parts.is_empty() {
                    "No orders were queued (no mapped symbol)".to_owned()
                } else {
                    parts.join("; ")
                };
                (outcome, detail)
            }
        }
    }
}

/// A strategy found by its webhook, with what deciding needs.
#[derive(Debug, Clone)]
struct Resolved {
    row: StrategyRow,
    mode: Mode,
    window: Option<Window>,
    mappings: Vec<Mapping>,
}

fn window_of(row: &StrategyRow) -> Option<Window> {
    if !row.is_intraday {
        return None;
    }
    match (&row.start_time, &row.end_time, &row.squareoff_time) {
        (Some(a), Some(b), Some(c)) => Window::parse(a, b, c).ok(),
        _ => None,
    }
}

fn now_ist(clock: &dyn Clock) -> (u16, u32) {
    let (_, t) = ist_parts(clock.now_ms());
    let minutes = (t.hour() * 60 + t.minute()) as u16;
    (minutes, t.hour() * 3600 + t.minute() * 60 + t.second())
}

fn bad(m: &str) -> Refusal {
    Refusal::Bad(m.to_owned())
}

/// OpenAlgo's decision table for a strategy alert (§14.3 steps 3-7): the one order it
/// asks for, or the refusal. `now` is the IST wall clock in minutes. Beyond OpenAlgo, an
/// order larger than the symbol's mapping is refused (its key's quantity limit), and
/// fields OpenAlgo would answer with a 500 get a 400 naming them.
pub fn decide_strategy(
    mode: Mode,
    window: Option<Window>,
    mappings: &[Mapping],
    body: &Body<Alert>,
    now: u16,
) -> Result<Intent, Refusal> {
    let alert = match body {
        Body::Empty => return Err(bad("No data received")),
        Body::Invalid => return Err(bad("Invalid JSON payload")),
        Body::Data(a) => a,
    };
    let mut missing = Vec::new();
    if alert.symbol.is_none() {
        missing.push("symbol");
    }
    if alert.action.is_none() {
        missing.push("action");
    }
    if mode == Mode::Both && alert.position_size.is_none() {
        missing.push("position_size");
    }
    let action = alert.action.as_deref().map(str::to_ascii_uppercase);
    let size = match alert.position_size {
        None => Some(0),
        Some(Size::Int(n)) => Some(n),
        Some(Size::Invalid) => None,
    };
    // Time rules first, as upstream (which reads the fields it needs for them here).
    if let (Some(w), Some(action), Some(size), true) = (window, &action, size, missing.is_empty()) {
        let exit = match mode {
            Mode::Long => action == "SELL",
            Mode::Short => action == "BUY",
            Mode::Both => size == 0,
        };
        let now = Hhmm(now);
        let refuse = if now < w.start {
            Some(if exit {
                "Exit orders not allowed before start time"
            } else {
                "Entry orders not allowed before start time"
            })
        } else if exit && now > w.squareoff {
            Some("Exit orders not allowed after square off time")
        } else if !exit && now > w.end {
            Some("Entry orders not allowed after end time")
        } else {
            None
        };
        if let Some(m) = refuse {
            return Err(bad(m));
        }
    }
    if !missing.is_empty() {
        return Err(Refusal::Bad(format!(
            "Missing required fields: {}",
            missing.join(", ")
        )));
    }
    let (Some(symbol), Some(action)) = (alert.symbol.as_deref(), action) else {
        return Err(bad("Missing required fields: symbol, action"));
    };
    let Some(size) = size else {
        return Err(bad("position_size must be an integer"));
    };
    let act = match (mode, action.as_str()) {
        (_, "BUY") => Action::Buy,
        (_, "SELL") => Action::Sell,
        (Mode::Long, _) => {
            return Err(bad(
                "Invalid action for LONG mode. Use BUY to enter, SELL to exit",
            ));
        }
        (Mode::Short, _) => {
            return Err(bad(
                "Invalid action for SHORT mode. Use SELL to enter, BUY to exit",
            ));
        }
        (Mode::Both, _) => return Err(bad("Invalid action. Use BUY or SELL")),
    };
    if mode == Mode::Both {
        if act == Action::Buy && size < 0 {
            return Err(bad(
                "For BUY orders in BOTH mode, position_size must be >= 0",
            ));
        }
        if act == Action::Sell && size > 0 {
            return Err(bad(
                "For SELL orders in BOTH mode, position_size must be <= 0",
            ));
        }
    }
    let Some(m) = mappings.iter().find(|m| m.symbol == symbol) else {
        return Err(Refusal::Bad(format!(
            "No mapping found for symbol {}",
            clip(symbol, 50)
        )));
    };
    let over = |n: i64| {
        (n.unsigned_abs() > m.quantity.unsigned_abs())
            .then(|| Refusal::Denied(Denial::MaxQty(m.quantity).to_string()))
    };
    let intent = |kind, quantity, position_size| Intent {
        kind,
        symbol: m.symbol.clone(),
        exchange: m.exchange,
        product: m.product,
        action: act,
        quantity,
        position_size,
    };
    let exit = matches!(
        (mode, act),
        (Mode::Long, Action::Sell) | (Mode::Short, Action::Buy)
    );
    match mode {
        Mode::Both => {
            if let Some(r) = over(size) {
                return Err(r);
            }
            let qty = if size == 0 { 0 } else { m.quantity };
            Ok(intent(OrderKind::Smart, qty, size))
        }
        _ if exit => Ok(intent(OrderKind::Smart, 0, 0)),
        _ => {
            let qty = if size != 0 {
                size.saturating_abs()
            } else {
                m.quantity
            };
            if let Some(r) = over(qty) {
                return Err(r);
            }
            Ok(intent(OrderKind::Place, qty, 0))
        }
    }
}

/// Chartink's flow (§15.3 steps 3-7): the scan name's keyword, the time rules (IST,
/// `now_secs` seconds into the day), and one order per mapped stock (each once).
pub fn decide_chartink(
    window: Option<Window>,
    mappings: &[Mapping],
    body: &Body<ChartinkAlert>,
    now_secs: u32,
) -> Result<Vec<Intent>, Refusal> {
    let alert = match body {
        Body::Empty => return Err(bad("No data received")),
        Body::Invalid => return Err(bad("Invalid JSON payload")),
        Body::Data(a) => a,
    };
    let scan = alert.scan_name.as_deref().unwrap_or("").to_uppercase();
    // Upstream's order: a scan named "Short Cover" is a SHORT entry.
    let (action, exit) = if scan.contains("BUY") {
        (Action::Buy, false)
    } else if scan.contains("SELL") {
        (Action::Sell, true)
    } else if scan.contains("SHORT") {
        (Action::Sell, false)
    } else if scan.contains("COVER") {
        (Action::Buy, true)
    } else {
        return Err(bad(
            "No valid action keyword (BUY/SELL/SHORT/COVER) found in scan name",
        ));
    };
    if let Some(w) = window {
        let at = |t: Hhmm| u32::from(t.0) * 60;
        if now_secs < at(w.start) {
            return Err(bad("Cannot place orders before start time"));
        }
        if now_secs >= at(w.squareoff) {
            return Err(bad("Cannot place orders after squareoff time"));
        }
        if !exit && now_secs >= at(w.end) {
            return Err(bad("Cannot place entry orders after end time"));
        }
    }
    if mappings.is_empty() {
        return Err(bad("No symbol mappings configured"));
    }
    let mut seen = HashSet::new();
    Ok(alert
        .stocks
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| mappings.iter().find(|m| m.symbol == s))
        .filter(|m| seen.insert(m.symbol.clone()))
        .map(|m| Intent {
            kind: if exit {
                OrderKind::Smart
            } else {
                OrderKind::Place
            },
            symbol: m.symbol.clone(),
            exchange: m.exchange,
            product: m.product,
            action,
            quantity: if exit { 0 } else { m.quantity },
            position_size: 0,
        })
        .collect())
}

/// The key policy a strategy executes under.
fn key_policy(spec: &StrategySpec) -> Result<KeyPolicy, StrategyError> {
    let symbols = spec
        .mappings
        .iter()
        .map(|m| SymbolRule::from_str(&format!("{}:{}", m.exchange.as_str(), m.symbol)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut products: Vec<_> = spec.mappings.iter().map(|m| m.product).collect();
    products.sort();
    products.dedup();
    Ok(KeyPolicy {
        scopes: [Scope::Place, Scope::Close].into_iter().collect::<Scopes>(),
        order_mode: if spec.limits.semi_auto {
            OrderMode::SemiAuto
        } else {
            OrderMode::Auto
        },
        symbols: Some(symbols),
        products: Some(products),
        max_qty: spec.mappings.iter().map(|m| m.quantity).max(),
        max_value: None,
        max_orders_per_day: spec.limits.max_orders_per_day,
        expires_at: spec.limits.expires_at,
        allow_ips: spec.limits.allow_ips.clone(),
        ip_all_requests: false,
    })
}

/// Checks a spec and gives the stored name (`<platform>_<name>`, or `chartink_<name>`).
fn check_spec(spec: &StrategySpec, now: DateTime<Utc>) -> Result<StrategyFields, StrategyError> {
    let platform = spec.platform.trim().to_ascii_lowercase();
    if platform.is_empty()
        || platform.len() > 20
        || !platform
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            "platform",
            "Platform is required: 1 to 20 letters, digits or '_' (tradingview, amibroker, python, chartink, …)",
        ));
    }
    let name = spec.name.trim();
    let bare = if platform == CHARTINK {
        name.strip_prefix("chartink_").unwrap_or(name)
    } else {
        name
    };
    if bare.is_empty() {
        return Err(invalid("name", "Strategy name is required"));
    }
    if bare.chars().count() > MAX_NAME
        || !bare
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" _-".contains(&b))
    {
        return Err(invalid(
            "name",
            &format!(
                "Strategy name can only contain letters, numbers, spaces, hyphens and underscores (at most {MAX_NAME})"
            ),
        ));
    }
    if spec.mappings.is_empty() {
        return Err(invalid("map", "at least one symbol mapping is required"));
    }
    if spec.mappings.len() > MAX_MAPPINGS {
        return Err(invalid(
            "map",
            &format!("at most {MAX_MAPPINGS} symbol mappings"),
        ));
    }
    let mut seen = HashSet::new();
    for m in &spec.mappings {
        if !seen.insert(m.symbol.as_str()) {
            return Err(invalid("map", &format!("{} is mapped twice", m.symbol)));
        }
        if platform == CHARTINK && !matches!(m.exchange, Exchange::Nse | Exchange::Bse) {
            return Err(invalid(
                "exchange",
                &format!(
                    "Invalid exchange: {} (Chartink strategies trade NSE or BSE)",
                    m.exchange.as_str()
                ),
            ));
        }
    }
    key_policy(spec)?.validate(now)?;
    let hhmm = |f: fn(&Window) -> Hhmm| spec.window.as_ref().map(|w| f(w).to_string());
    Ok(StrategyFields {
        name: if platform == CHARTINK {
            format!("chartink_{bare}")
        } else {
            format!("{platform}_{bare}")
        },
        platform,
        is_intraday: spec.window.is_some(),
        // Chartink strategies have no mode upstream; their scan names carry it.
        trading_mode: spec.mode.as_str().to_owned(),
        start_time: hhmm(|w| w.start),
        end_time: hhmm(|w| w.end),
        squareoff_time: hhmm(|w| w.squareoff),
    })
}

fn new_mappings(spec: &StrategySpec) -> Vec<NewMapping> {
    spec.mappings
        .iter()
        .map(|m| NewMapping {
            symbol: m.symbol.clone(),
            exchange: m.exchange.as_str().to_owned(),
            quantity: m.quantity,
            product_type: m.product.as_str().to_owned(),
        })
        .collect()
}

/// A strategy's key name: unique by the strategy's id, readable in the Action Center.
fn key_name(id: i64, name: &str) -> String {
    let tidy: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut n = format!("strategy.{id}.{tidy}");
    n.truncate(crate::keypolicy::MAX_NAME);
    n
}

/// Masks the values of fields that look like secrets in a logged alert payload.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "secret", "token", "password", "passwd", "auth"]
        .iter()
        .any(|s| n.contains(s))
}

/// The strategies service.
#[derive(Debug)]
pub struct Strategies {
    store: Store,
    keys: Arc<KeyService>,
    clock: Arc<dyn Clock>,
    codec: Arc<dyn StrategyCodec>,
}

impl Strategies {
    pub fn new(
        store: Store,
        keys: Arc<KeyService>,
        clock: Arc<dyn Clock>,
        codec: Arc<dyn StrategyCodec>,
    ) -> Self {
        Self {
            store,
            keys,
            clock,
            codec,
        }
    }

    fn new_secret(&self) -> (SecretString, String, String) {
        // 256 random bits, the API key's shape (64 lowercase hex).
        let secret = ApiKey::generate();
        let c = self.keys.crypto();
        let fp = c.fingerprinter.of(secret.expose()).to_hex();
        let enc = c.cipher.encrypt(secret.expose());
        (SecretString::new(secret.expose()), fp, enc)
    }

    /// Creates a strategy and its key. Returns its id and webhook secret.
    pub async fn create(
        &self,
        user: UserId,
        spec: &StrategySpec,
    ) -> Result<(i64, SecretString), StrategyError> {
        let fields = check_spec(spec, self.clock.now())?;
        let policy = key_policy(spec)?;
        let (secret, fp, enc) = self.new_secret();
        let id = self
            .store
            .insert_strategy(user, &fields, &fp, &enc, &new_mappings(spec))
            .await?;
        let mode = Some(policy.order_mode);
        match self
            .keys
            .create_named(user, &key_name(id, &fields.name), policy, mode)
            .await
        {
            Ok((_, key_id)) => self.store.set_strategy_key(id, key_id).await?,
            Err(e) => {
                // No strategy without its key.
                let _ = self.store.delete_strategy(user, id).await;
                return Err(e.into());
            }
        }
        Ok((id, secret))
    }

    /// Replaces a strategy's settings, mappings and limits (its key follows at once).
    pub async fn update(
        &self,
        user: UserId,
        id: i64,
        spec: &StrategySpec,
    ) -> Result<(), StrategyError> {
        let fields = check_spec(spec, self.clock.now())?;
        let row = self
            .store
            .strategy(user, id)
            .await?
            .ok_or(StrategyError::NotFound)?;
        if Kind::of_platform(&row.platform) != Kind::of_platform(&fields.platform) {
            return Err(invalid(
                "platform",
                "a Chartink strategy stays a Chartink strategy (its webhook URL differs)",
            ));
        }
        let policy = key_policy(spec)?;
        let now = self.clock.now().to_rfc3339();
        if !self
            .store
            .update_strategy(user, id, &fields, &new_mappings(spec), &now)
            .await?
        {
            return Err(StrategyError::NotFound);
        }
        let mode = Some(policy.order_mode);
        match row.key_name {
            Some(name) => self.keys.update_named(user, &name, policy, mode).await?,
            None => {
                let (_, key_id) = self
                    .keys
                    .create_named(user, &key_name(id, &fields.name), policy, mode)
                    .await?;
                self.store.set_strategy_key(id, key_id).await?;
            }
        }
        Ok(())
    }

    pub async fn set_active(
        &self,
        user: UserId,
        id: i64,
        active: bool,
    ) -> Result<(), StrategyError> {
        if !self.store.set_strategy_active(user, id, active).await? {
            return Err(StrategyError::NotFound);
        }
        Ok(())
    }

    /// A new webhook secret: the old URL answers 404 from the moment this returns.
    pub async fn rotate(&self, user: UserId, id: i64) -> Result<SecretString, StrategyError> {
        let (secret, fp, enc) = self.new_secret();
        if !self.store.rotate_webhook(user, id, &fp, &enc).await? {
            return Err(StrategyError::NotFound);
        }
        Ok(secret)
    }

    /// Deletes a strategy, its alert log and its key.
    pub async fn delete(&self, user: UserId, id: i64) -> Result<(), StrategyError> {
        let row = self
            .store
            .strategy(user, id)
            .await?
            .ok_or(StrategyError::NotFound)?;
        if !self.store.delete_strategy(user, id).await? {
            return Err(StrategyError::NotFound);
        }
        if let Some(name) = row.key_name {
            self.keys.revoke_named(user, &name).await?;
        }
        Ok(())
    }

    async fn info(&self, row: StrategyRow) -> Result<StrategyInfo, StrategyError> {
        let mappings = self.store.strategy_mappings(row.id).await?;
        let limits = match &row.key_name {
            Some(name) => self
                .store
                .named_key(UserId(row.user_id), name)
                .await?
                .and_then(|k| KeyPolicy::from_stored(&k.policy).ok())
                .map(|p| Limits {
                    semi_auto: p.order_mode == OrderMode::SemiAuto,
                    max_orders_per_day: p.max_orders_per_day,
                    expires_at: p.expires_at,
                    allow_ips: p.allow_ips,
                }),
            None => None,
        };
        Ok(StrategyInfo {
            id: row.id,
            kind: Kind::of_platform(&row.platform),
            mode: row.trading_mode.parse().unwrap_or(Mode::Long),
            active: row.is_active,
            window: window_of(&row),
            webhook: self
                .keys
                .crypto()
                .cipher
                .decrypt(&row.webhook_encrypted)
                .ok(),
            mappings,
            limits,
            name: row.name,
            platform: row.platform,
            key_name: row.key_name,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_alert_at: row.last_alert_at,
            last_alert_outcome: row.last_alert_outcome,
        })
    }

    pub async fn list(&self, user: UserId) -> Result<Vec<StrategyInfo>, StrategyError> {
        let mut out = Vec::new();
        for row in self.store.strategies(user).await? {
            out.push(self.info(row).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, user: UserId, id: i64) -> Result<StrategyInfo, StrategyError> {
        let row = self
            .store
            .strategy(user, id)
            .await?
            .ok_or(StrategyError::NotFound)?;
        self.info(row).await
    }

    /// The strategy's alert log, newest first.
    pub async fn alerts(
        &self,
        user: UserId,
        id: i64,
        limit: i64,
    ) -> Result<Vec<AlertRow>, StrategyError> {
        self.store
            .strategy(user, id)
            .await?
            .ok_or(StrategyError::NotFound)?;
        Ok(self
            .store
            .strategy_alerts(id, limit.clamp(1, ALERT_LOG_KEEP))
            .await?)
    }

    /// The strategy a webhook secret opens on this route (a Chartink secret on the
    /// strategy route is unknown, and the other way round).
    async fn resolve(&self, secret: &str, kind: Kind) -> Result<Option<Resolved>, StrategyError> {
        // The shape check first: a malformed id costs no lookup.
        if ApiKey::parse(secret).is_err() {
            return Ok(None);
        }
        let fp = self.keys.crypto().fingerprinter.of(secret).to_hex();
        let Some(row) = self.store.strategy_by_webhook(&fp).await? else {
            return Ok(None);
        };
        if Kind::of_platform(&row.platform) != kind {
            return Ok(None);
        }
        Ok(Some(self.resolved(row).await?))
    }

    async fn resolved(&self, row: StrategyRow) -> Result<Resolved, StrategyError> {
        let mappings = self
            .store
            .strategy_mappings(row.id)
            .await?
            .iter()
            .filter_map(Mapping::from_row)
            .collect();
        Ok(Resolved {
            mode: row.trading_mode.parse().unwrap_or(Mode::Long),
            window: window_of(&row),
            mappings,
            row,
        })
    }

    /// The user the strategy's key acts as (`None`: revoked or expired).
    async fn key_user(&self, row: &StrategyRow) -> Result<Option<AuthedUser>, StrategyError> {
        let Some(name) = &row.key_name else {
            return Ok(None);
        };
        let key = self.store.named_key(UserId(row.user_id), name).await?;
        Ok(key.and_then(|k| self.keys.named_user(k)))
    }

    async fn log(&self, strategy: i64, ip: Option<IpAddr>, payload: &str, reply: &Reply) {
        let (outcome, detail) = reply.outcome();
        let at = self
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let ip = ip.map(|i| i.to_string());
        let alert = NewAlert {
            at: &at,
            source_ip: ip.as_deref(),
            payload,
            outcome,
            status: i64::from(reply.status()),
            detail: &detail,
        };
        if let Err(e) = self
            .store
            .insert_alert(strategy, &alert, ALERT_LOG_KEEP)
            .await
        {
            tracing::error!(error = %e, strategy_id = strategy, "cannot log a strategy alert");
        }
    }

    /// Runs one intent through the strategy's key: its policy, then place or queue.
    async fn run(
        &self,
        engine: &Engine,
        center: &ActionCenter,
        user: &AuthedUser,
        name: &str,
        intent: &Intent,
    ) -> Result<Done, Refusal> {
        let (op, data) = self
            .codec
            .order(intent, name)
            .map_err(|e| Refusal::Bad(self.codec.error_message(&e)))?;
        match submit(engine, center, user, &op, move || data).await {
            Ok(Submitted::Queued(id)) => Ok(Done::Queued(id)),
            Ok(Submitted::Executed(ex)) => Ok(match ex.outcome {
                Outcome::Smart(algogate_broker::engine::SmartOutcome::AlreadyMatched) => {
                    Done::Nothing("Positions Already Matched. No Action needed.".into())
                }
                Outcome::Smart(algogate_broker::engine::SmartOutcome::NothingToExit) => {
                    Done::Nothing("No open position to exit".into())
                }
                _ => Done::Placed(ex.order_ids),
            }),
            Err(OrderError::Denied(d)) => Err(Refusal::Denied(d.to_string())),
            Err(e) => Err(Refusal::Bad(self.codec.error_message(&e))),
        }
    }

    /// The key's IP allowlist for an order from `ip`.
    fn check_ip(user: &AuthedUser, ip: Option<IpAddr>) -> Result<(), Refusal> {
        user.permit(Some(Scope::Place), ip)
            .map_err(|d| Refusal::Denied(d.to_string()))
    }

    /// A TradingView/Amibroker/Python alert on `/strategy/webhook/<secret>`. `payload` is
    /// the body as logged (secrets masked by the surface).
    pub async fn strategy_alert(
        &self,
        engine: &Engine,
        center: &ActionCenter,
        secret: &str,
        body: Body<Alert>,
        ip: Option<IpAddr>,
        payload: &str,
    ) -> Result<Reply, StrategyError> {
        let Some(s) = self.resolve(secret, Kind::Strategy).await? else {
            return Ok(Reply::NotFound);
        };
        let reply = match self.strategy_reply(engine, center, &s, &body, ip).await? {
            Ok(r) => r,
            Err(r) => Reply::Refused(r),
        };
        self.log(s.row.id, ip, payload, &reply).await;
        Ok(reply)
    }

    async fn strategy_reply(
        &self,
        engine: &Engine,
        center: &ActionCenter,
        s: &Resolved,
        body: &Body<Alert>,
        ip: Option<IpAddr>,
    ) -> Result<Result<Reply, Refusal>, StrategyError> {
        if !s.row.is_active {
            return Ok(Err(bad("Strategy is inactive")));
        }
        let user = self.key_user(&s.row).await?;
        if let Some(u) = &user
            && let Err(r) = Self::check_ip(u, ip)
        {
            return Ok(Err(r));
        }
        let (minutes, _) = now_ist(self.clock.as_ref());
        let intent = match decide_strategy(s.mode, s.window, &s.mappings, body, minutes) {
            Ok(i) => i,
            Err(r) => return Ok(Err(r)),
        };
        let Some(user) = user else {
            return Ok(Err(Refusal::NoKey));
        };
        Ok(self
            .run(engine, center, &user, &s.row.name, &intent)
            .await
            .map(|done| Reply::Accepted {
                symbol: intent.symbol.clone(),
                done,
            }))
    }

    /// A Chartink scanner alert on `/chartink/webhook/<secret>`.
    pub async fn chartink_alert(
        &self,
        engine: &Engine,
        center: &ActionCenter,
        secret: &str,
        body: Body<ChartinkAlert>,
        ip: Option<IpAddr>,
        payload: &str,
    ) -> Result<Reply, StrategyError> {
        let Some(s) = self.resolve(secret, Kind::Chartink).await? else {
            return Ok(Reply::NotFound);
        };
        let reply = if s.row.is_active {
            match self.chartink_reply(engine, center, &s, &body, ip).await? {
                Ok(r) => r,
                Err(r) => Reply::Refused(r),
            }
        } else {
            Reply::ChartinkInactive
        };
        self.log(s.row.id, ip, payload, &reply).await;
        Ok(reply)
    }

    async fn chartink_reply(
        &self,
        engine: &Engine,
        center: &ActionCenter,
        s: &Resolved,
        body: &Body<ChartinkAlert>,
        ip: Option<IpAddr>,
    ) -> Result<Result<Reply, Refusal>, StrategyError> {
        let user = self.key_user(&s.row).await?;
        if let Some(u) = &user
            && let Err(r) = Self::check_ip(u, ip)
        {
            return Ok(Err(r));
        }
        let (_, secs) = now_ist(self.clock.as_ref());
        let intents = match decide_chartink(s.window, &s.mappings, body, secs) {
            Ok(i) => i,
            Err(r) => return Ok(Err(r)),
        };
        let Some(user) = user else {
            return Ok(Err(Refusal::NoKey));
        };
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for i in &intents {
            match self.run(engine, center, &user, &s.row.name, i).await {
                Ok(d) => accepted.push((i.symbol.clone(), d)),
                Err(r) => refused.push((i.symbol.clone(), r.message().to_owned())),
            }
        }
        Ok(Ok(Reply::Chartink { accepted, refused }))
    }

    /// Squares off intraday strategies whose square-off time has come (IST, once per
    /// trading session, while the market is open): a SELL smart order to position 0 for
    /// each mapped symbol with an open position, through the strategy's key (so semi-auto
    /// strategies queue it, as OpenAlgo's scheduled job does through the API). Returns the
    /// strategies squared off. Runs every second from the server; tests call it with
    /// their clock.
    pub async fn run_squareoffs(
        &self,
        engine: &Engine,
        center: &ActionCenter,
    ) -> Result<usize, StrategyError> {
        let (minutes, _) = now_ist(self.clock.as_ref());
        if !engine.market().is_open() {
            return Ok(0);
        }
        let session =
            session_start_ms(self.clock.now_ms(), engine.config().session_boundary).to_string();
        let mut n = 0;
        for row in self.store.intraday_strategies().await? {
            let Some(w) = window_of(&row) else { continue };
            let due = minutes >= w.squareoff.0
                && minutes < w.squareoff.0.saturating_add(SQUAREOFF_GRACE_MIN);
            if !due || !self.store.claim_squareoff(row.id, &session).await? {
                continue;
            }
            n += 1;
            let s = self.resolved(row).await?;
            let reply = self.squareoff(engine, center, &s).await?;
            let payload = format!("(square-off at {} IST)", w.squareoff);
            self.log(s.row.id, None, &payload, &reply).await;
        }
        Ok(n)
    }

    async fn squareoff(
        &self,
        engine: &Engine,
        center: &ActionCenter,
        s: &Resolved,
    ) -> Result<Reply, StrategyError> {
        let Some(user) = self.key_user(&s.row).await? else {
            return Ok(Reply::Refused(Refusal::NoKey));
        };
        let acc = AccountId(s.row.user_id);
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for m in &s.mappings {
            let open = engine
                .open_position(acc, &m.symbol, m.exchange, m.product)
                .await
                .unwrap_or(0);
            if open == 0 {
                continue;
            }
            let intent = Intent {
                kind: OrderKind::Smart,
                symbol: m.symbol.clone(),
                exchange: m.exchange,
                product: m.product,
                action: Action::Sell,
                quantity: 0,
                position_size: 0,
            };
            match self.run(engine, center, &user, &s.row.name, &intent).await {
                Ok(d) => accepted.push((m.symbol.clone(), d)),
                Err(r) => refused.push((m.symbol.clone(), r.message().to_owned())),
            }
        }
        Ok(Reply::Chartink { accepted, refused })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sbin() -> Vec<Mapping> {
        vec![Mapping::new("SBIN", "NSE", 10, "MIS").unwrap()]
    }

    fn alert(symbol: &str, action: &str, size: Option<i64>) -> Body<Alert> {
        Body::Data(Alert {
            symbol: Some(symbol.into()),
            action: Some(action.into()),
            position_size: size.map(Size::Int),
        })
    }

    fn noon() -> u16 {
        12 * 60
    }

    #[test]
    fn openalgo_worked_examples() {
        let m = sbin();
        let d = |mode, a: Body<Alert>| decide_strategy(mode, None, &m, &a, noon());
        let i = d(Mode::Long, alert("SBIN", "BUY", None)).unwrap();
        assert_eq!(
            (i.kind, i.action, i.quantity),
            (OrderKind::Place, Action::Buy, 10)
        );
        let i = d(Mode::Long, alert("SBIN", "buy", Some(5))).unwrap();
        assert_eq!((i.kind, i.quantity), (OrderKind::Place, 5));
        let i = d(Mode::Long, alert("SBIN", "SELL", None)).unwrap();
        assert_eq!(
            (i.kind, i.action, i.quantity, i.position_size),
            (OrderKind::Smart, Action::Sell, 0, 0)
        );
        let i = d(Mode::Short, alert("SBIN", "SELL", None)).unwrap();
        assert_eq!(
            (i.kind, i.action, i.quantity),
            (OrderKind::Place, Action::Sell, 10)
        );
        let i = d(Mode::Short, alert("SBIN", "BUY", None)).unwrap();
        assert_eq!(
            (i.kind, i.action, i.quantity),
            (OrderKind::Smart, Action::Buy, 0)
        );
        let i = d(Mode::Both, alert("SBIN", "BUY", Some(10))).unwrap();
        assert_eq!(
            (i.kind, i.quantity, i.position_size),
            (OrderKind::Smart, 10, 10)
        );
        let i = d(Mode::Both, alert("SBIN", "SELL", Some(-10))).unwrap();
        assert_eq!(
            (i.kind, i.quantity, i.position_size),
            (OrderKind::Smart, 10, -10)
        );
        let i = d(Mode::Both, alert("SBIN", "SELL", Some(0))).unwrap();
        assert_eq!(
            (i.kind, i.quantity, i.position_size),
            (OrderKind::Smart, 0, 0)
        );
        // Beyond OpenAlgo: more than the mapping is the key's quantity limit.
        assert!(matches!(
            d(Mode::Long, alert("SBIN", "BUY", Some(25))),
            Err(Refusal::Denied(_))
        ));
        assert!(matches!(
            d(Mode::Both, alert("SBIN", "BUY", Some(11))),
            Err(Refusal::Denied(_))
        ));
    }

    #[test]
    fn refusals_carry_openalgo_messages() {
        let m = sbin();
        let msg = |mode, a: Body<Alert>| {
            decide_strategy(mode, None, &m, &a, noon())
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert_eq!(msg(Mode::Long, Body::Empty), "No data received");
        assert_eq!(
            msg(Mode::Both, Body::Data(Alert::default())),
            "Missing required fields: symbol, action, position_size"
        );
        assert_eq!(
            msg(Mode::Long, alert("SBIN", "SHORT", None)),
            "Invalid action for LONG mode. Use BUY to enter, SELL to exit"
        );
        assert_eq!(
            msg(Mode::Short, alert("SBIN", "COVER", None)),
            "Invalid action for SHORT mode. Use SELL to enter, BUY to exit"
        );
        assert_eq!(
            msg(Mode::Both, alert("SBIN", "X", Some(1))),
            "Invalid action. Use BUY or SELL"
        );
        assert_eq!(
            msg(Mode::Both, alert("SBIN", "BUY", Some(-1))),
            "For BUY orders in BOTH mode, position_size must be >= 0"
        );
        assert_eq!(
            msg(Mode::Both, alert("SBIN", "SELL", Some(1))),
            "For SELL orders in BOTH mode, position_size must be <= 0"
        );
        assert_eq!(
            msg(Mode::Long, alert("sbin", "BUY", None)),
            "No mapping found for symbol sbin"
        );
    }

    #[test]
    fn time_windows_at_minute_granularity() {
        let m = sbin();
        let w = Some(Window::parse("09:30", "15:00", "15:15").unwrap());
        let at = |a: Body<Alert>, h: u16, mi: u16| {
            decide_strategy(Mode::Long, w, &m, &a, h * 60 + mi).map_err(|r| r.message().to_owned())
        };
        assert_eq!(
            at(alert("SBIN", "BUY", None), 9, 29).unwrap_err(),
            "Entry orders not allowed before start time"
        );
        assert_eq!(
            at(alert("SBIN", "SELL", None), 9, 29).unwrap_err(),
            "Exit orders not allowed before start time"
        );
        assert!(
            at(alert("SBIN", "BUY", None), 15, 0).is_ok(),
            "the end minute is allowed"
        );
        assert_eq!(
            at(alert("SBIN", "BUY", None), 15, 1).unwrap_err(),
            "Entry orders not allowed after end time"
        );
        assert!(at(alert("SBIN", "SELL", None), 15, 15).is_ok());
        assert_eq!(
            at(alert("SBIN", "SELL", None), 15, 16).unwrap_err(),
            "Exit orders not allowed after square off time"
        );
    }

    #[test]
    fn chartink_keywords_and_times() {
        let m = vec![
            Mapping::new("RELIANCE", "NSE", 5, "MIS").unwrap(),
            Mapping::new("SBIN", "NSE", 20, "MIS").unwrap(),
        ];
        let a = |scan: &str, stocks: &str| {
            Body::Data(ChartinkAlert {
                scan_name: Some(scan.into()),
                stocks: Some(stocks.into()),
            })
        };
        let v = decide_chartink(None, &m, &a("Morning BUY", "RELIANCE, SBIN,TCS,SBIN"), 0).unwrap();
        assert_eq!(
            v.iter()
                .map(|i| (i.symbol.as_str(), i.quantity))
                .collect::<Vec<_>>(),
            [("RELIANCE", 5), ("SBIN", 20)]
        );
        let v = decide_chartink(None, &m, &a("Short Cover", "SBIN"), 0).unwrap();
        assert_eq!((v[0].kind, v[0].action), (OrderKind::Place, Action::Sell));
        let v = decide_chartink(None, &m, &a("cover", "SBIN"), 0).unwrap();
        assert_eq!(
            (v[0].kind, v[0].action, v[0].quantity),
            (OrderKind::Smart, Action::Buy, 0)
        );
        assert_eq!(
            decide_chartink(None, &m, &a("scan", "SBIN"), 0)
                .unwrap_err()
                .message(),
            "No valid action keyword (BUY/SELL/SHORT/COVER) found in scan name"
        );
        let w = Some(Window::parse("09:30", "15:00", "15:15").unwrap());
        let at = |scan: &str, s: u32| {
            decide_chartink(w, &m, &a(scan, "SBIN"), s).map_err(|r| r.message().to_owned())
        };
        assert_eq!(
            at("BUY", 9 * 3600 + 29 * 60 + 59).unwrap_err(),
            "Cannot place orders before start time"
        );
        assert_eq!(
            at("BUY", 15 * 3600).unwrap_err(),
            "Cannot place entry orders after end time"
        );
        assert!(at("SELL", 15 * 3600).is_ok());
        assert_eq!(
            at("SELL", 15 * 3600 + 15 * 60).unwrap_err(),
            "Cannot place orders after squareoff time"
        );
    }

    #[test]
    fn specs_are_checked_with_the_field_named() {
        assert!(Window::parse("09:30", "09:30", "15:15").is_err());
        assert!(Window::parse("9:30", "10:00", "15:15").is_err());
        assert!(Window::parse("09:30", "15:20", "15:15").is_err());
        assert!("NSE:SBIN:10:MIS".parse::<Mapping>().is_ok());
        assert!("NSE:SBIN:0:MIS".parse::<Mapping>().is_err());
        assert!("XXX:SBIN:1:MIS".parse::<Mapping>().is_err());
        assert!("NSE:SBIN:1:FOO".parse::<Mapping>().is_err());
        assert!("NSE:SBIN:1".parse::<Mapping>().is_err());
        let spec = StrategySpec {
            name: "sbin".into(),
            platform: "TradingView".into(),
            mode: Mode::Long,
            window: None,
            mappings: sbin(),
            limits: Limits::default(),
        };
        assert_eq!(
            check_spec(&spec, Utc::now()).unwrap().name,
            "tradingview_sbin"
        );
        let mut bad = spec.clone();
        bad.name = "a;b".into();
        assert!(matches!(
            check_spec(&bad, Utc::now()),
            Err(StrategyError::Invalid { field: "name", .. })
        ));
        let mut twice = spec.clone();
        twice
            .mappings
            .push(Mapping::new("SBIN", "BSE", 1, "CNC").unwrap());
        assert!(check_spec(&twice, Utc::now()).is_err());
        let mut ck = spec;
        ck.platform = "chartink".into();
        ck.mappings = vec![Mapping::new("NIFTY24DECFUT", "NFO", 1, "NRML").unwrap()];
        assert!(matches!(
            check_spec(&ck, Utc::now()),
            Err(StrategyError::Invalid {
                field: "exchange",
                ..
            })
        ));
        assert!(key_name(7, "tradingview_a b").starts_with("strategy.7.tradingview_a-b"));
    }
}
