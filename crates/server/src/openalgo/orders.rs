//! OpenAlgo's order requests and answers (reference §3.3-§3.12, sandbox behaviour §6):
//! the field tables, each written once and composed per endpoint; the typed operation a
//! validated body becomes; the response and error bodies (every one says
//! `"mode": "analyze"`, as the sandbox does).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use algogate_app::action_center::OrderCodec;
use algogate_app::orders::{Executed, Leg, OrderError, OrderKind, OrderOp, Outcome};
use algogate_broker::engine::{
    Action, EngineError, MarginLeg, Modification, OrderId, OrderRequest, PriceType, SmartOutcome,
};
use algogate_broker::{Exchange, engine::Product};

use super::checks::Range;
use super::schema::{APIKEY, Field, Kind, TEXT, optional, required};

pub use super::schema::{ACTIONS, EXCHANGE_NAMES, EXCHANGES, exchange_names};
pub const PRICETYPES: Kind = Kind::OneOf(&["MARKET", "LIMIT", "SL", "SL-M"]);
pub const PRODUCTS: Kind = Kind::OneOf(&["MIS", "NRML", "CNC"]);

const QTY_POSITIVE: Range = Range::Positive("Quantity must be a positive number.");
const PRICE: Range = Range::NonNegative("Price must be a non-negative number.");
const TRIGGER: Range = Range::NonNegative("Trigger price must be a non-negative number.");
const DISCLOSED: Range = Range::NonNegative("Disclosed quantity must be a non-negative integer.");

/// The order fields of a placing request, in marshmallow's declaration order: `$head`
/// (the key and strategy, or nothing for a basket leg), the instrument, side and
/// quantity, `$mid`, the optional price fields, `$tail`.
macro_rules! order_fields {
    ([$($head:expr),*], [$($mid:expr),*], [$($tail:expr),*]) => {
        &[
            $($head,)*
            required("exchange", EXCHANGES),
            required("symbol", TEXT),
            required("action", ACTIONS),
            required("quantity", Kind::Float),
            $($mid,)*
            optional("pricetype", PRICETYPES),
            optional("product", PRODUCTS),
            optional("price", Kind::Float),
            optional("trigger_price", Kind::Float),
            optional("disclosed_quantity", Kind::Int),
            $($tail,)*
        ]
    };
}

pub const PLACE_FIELDS: &[Field] = order_fields!(
    [required("apikey", APIKEY), required("strategy", TEXT)],
    [],
    [Field {
        name: "underlying_ltp",
        kind: Kind::Float,
        required: false,
        nullable: true,
    }]
);
pub const SMART_FIELDS: &[Field] = order_fields!(
    [required("apikey", APIKEY), required("strategy", TEXT)],
    [required("position_size", Kind::Float)],
    []
);
pub const SPLIT_FIELDS: &[Field] = order_fields!(
    [required("apikey", APIKEY), required("strategy", TEXT)],
    [required("splitsize", Kind::Int)],
    []
);
/// One order of `basketorder.orders`.
pub const LEG_FIELDS: &[Field] = order_fields!([], [], []);
/// `modifyorder`: every field required, in its own order upstream.
pub const MODIFY_FIELDS: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("exchange", EXCHANGES),
    required("symbol", TEXT),
    required("orderid", TEXT),
    required("action", ACTIONS),
    required("product", PRODUCTS),
    required("pricetype", PRICETYPES),
    required("price", Kind::Float),
    required("quantity", Kind::Float),
    required("disclosed_quantity", Kind::Int),
    required("trigger_price", Kind::Float),
];
/// `cancelorder` and `orderstatus`.
pub const BY_ORDER_ID_FIELDS: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("orderid", TEXT),
];
/// `cancelallorder`, `closeposition`, `basketorder` (besides its list).
pub const STRATEGY_FIELDS: &[Field] = &[required("apikey", APIKEY), required("strategy", TEXT)];
pub const OPEN_POSITION_FIELDS: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("symbol", TEXT),
    required("exchange", TEXT),
    required("product", PRODUCTS),
];
/// One entry of `margin.positions` (numbers as strings, as upstream).
pub const MARGIN_LEG_FIELDS: &[Field] = &[
    required("symbol", Kind::Str { min: 1, max: 50 }),
    required("exchange", EXCHANGES),
    required("action", ACTIONS),
    required("quantity", TEXT),
    required("product", PRODUCTS),
    required("pricetype", PRICETYPES),
    optional("price", TEXT),
    optional("trigger_price", TEXT),
];

/// The range rules of placeorder, modifyorder and basket legs.
pub const PLACE_RANGES: &[(&str, Range)] = &[
    ("quantity", QTY_POSITIVE),
    ("price", PRICE),
    ("trigger_price", TRIGGER),
    ("disclosed_quantity", DISCLOSED),
];
pub const SMART_RANGES: &[(&str, Range)] = &[
    (
        "quantity",
        Range::NonNegative("Quantity must be a non-negative number."),
    ),
    ("price", PRICE),
    ("trigger_price", TRIGGER),
    ("disclosed_quantity", DISCLOSED),
];
pub const SPLIT_RANGES: &[(&str, Range)] = &[
    (
        "quantity",
        Range::Positive("Total quantity must be a positive number."),
    ),
    (
        "splitsize",
        Range::AtLeastOne("Split size must be a positive integer."),
    ),
    ("price", PRICE),
    ("trigger_price", TRIGGER),
    ("disclosed_quantity", DISCLOSED),
];

// ---- validated fields → typed requests ----

fn s<'a>(f: &'a Map<String, Value>, k: &str) -> &'a str {
    f.get(k).and_then(Value::as_str).unwrap_or("")
}

fn num(f: &Map<String, Value>, k: &str) -> f64 {
    f.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

/// A value the schema restricted that does not parse: a damaged stored order (or our bug).
fn known<T>(v: Option<T>, what: &str) -> Result<T, OrderError> {
    v.ok_or_else(|| OrderError::Unreadable(format!("the order's {what} is not valid")))
}

/// The placeorder-shaped fields as an engine request (quantity truncated like `int()`;
/// OpenAlgo's defaults for the optional ones).
fn order_request(f: &Map<String, Value>) -> Result<OrderRequest, OrderError> {
    let or = |k: &str, default: &'static str| f.get(k).and_then(Value::as_str).unwrap_or(default);
    Ok(OrderRequest {
        symbol: s(f, "symbol").to_owned(),
        exchange: known(s(f, "exchange").parse::<Exchange>().ok(), "exchange")?,
        action: known(Action::parse_any_case(s(f, "action")), "action")?,
        quantity: num(f, "quantity").trunc() as i64,
        pricetype: known(or("pricetype", "MARKET").parse().ok(), "pricetype")?,
        product: known(or("product", "MIS").parse().ok(), "product")?,
        price: num(f, "price"),
        trigger_price: num(f, "trigger_price"),
        strategy: s(f, "strategy").to_owned(),
    })
}

/// The operation a validated (or stored) body of `kind` describes.
pub fn decode(kind: OrderKind, f: &Map<String, Value>) -> Result<OrderOp, OrderError> {
    Ok(match kind {
        OrderKind::Place => OrderOp::Place(order_request(f)?),
        OrderKind::Smart => OrderOp::Smart {
            order: order_request(f)?,
            position_size: num(f, "position_size").trunc() as i64,
        },
        OrderKind::Basket => {
            let strategy = s(f, "strategy");
            let legs = f
                .get("orders")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(|m| {
                    let mut leg = order_request(m)?;
                    strategy.clone_into(&mut leg.strategy);
                    Ok(leg)
                })
                .collect::<Result<_, OrderError>>()?;
            OrderOp::Basket(legs)
        }
        OrderKind::Split => OrderOp::Split {
            order: order_request(f)?,
            split: f.get("splitsize").and_then(Value::as_i64).unwrap_or(1),
        },
        OrderKind::Options | OrderKind::OptionsMulti => known(
            super::option_orders::decode_options(kind == OrderKind::OptionsMulti, f),
            "options order",
        )?,
        OrderKind::Gtt => OrderOp::Gtt(super::gtt::gtt_request(f).map_err(OrderError::Unreadable)?),
    })
}

/// A queueable order as a surface receives it: the operation, and the validated body
/// (without the key) that becomes OpenAlgo's `order_data` if the order is queued.
#[derive(Debug)]
pub struct OrderCall {
    pub kind: OrderKind,
    pub op: OrderOp,
    body: Map<String, Value>,
}

impl OrderCall {
    pub fn parse(kind: OrderKind, mut body: Map<String, Value>) -> Result<Self, OrderError> {
        body.remove("apikey");
        Ok(Self {
            kind,
            op: decode(kind, &body)?,
            body,
        })
    }

    /// The operation, and the body as the Action Center would store it (made only when
    /// the order is queued).
    pub fn into_parts(self) -> (OrderOp, impl FnOnce() -> Map<String, Value>) {
        let Self { kind, op, body } = self;
        (op, move || order_data(kind, body))
    }
}

/// What OpenAlgo stores as a queued order's `order_data`: the post-schema request with its
/// defaults filled in (reference §5.2), without the key.
pub fn order_data(kind: OrderKind, mut fields: Map<String, Value>) -> Map<String, Value> {
    fn fill(m: &mut Map<String, Value>) {
        for (k, v) in [
            ("pricetype", Value::from("MARKET")),
            ("product", Value::from("MIS")),
            ("price", Value::from(0.0)),
            ("trigger_price", Value::from(0.0)),
            ("disclosed_quantity", Value::from(0)),
        ] {
            m.entry(k).or_insert(v);
        }
    }
    fields.remove("apikey");
    // A GTT's body is already normalised by its schema (defaults, derived trigger_price).
    if kind == OrderKind::Gtt {
        return fields;
    }
    let list = match kind {
        OrderKind::Basket => Some("orders"),
        OrderKind::OptionsMulti => Some("legs"),
        _ => None,
    };
    if let Some(list) = list {
        if let Some(Value::Array(legs)) = fields.get_mut(list) {
            legs.iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(fill);
        }
    } else {
        fill(&mut fields);
    }
    fields
}

/// `orderid` of cancelorder, orderstatus and modifyorder.
pub fn order_id(f: &Map<String, Value>) -> OrderId {
    OrderId(s(f, "orderid").to_owned())
}

/// modifyorder's change: the quantity truncated like `int()`.
pub fn modification(f: &Map<String, Value>) -> Modification {
    Modification {
        quantity: Some(num(f, "quantity").trunc() as i64),
        price: Some(num(f, "price")),
        trigger_price: Some(num(f, "trigger_price")),
    }
}

/// openposition's instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionQuery {
    pub symbol: String,
    /// Not validated upstream, so an unknown exchange is `None` (it has no position).
    pub exchange: Option<Exchange>,
    pub product: Product,
}

impl PositionQuery {
    pub fn parse(f: &Map<String, Value>) -> Result<Self, OrderError> {
        Ok(Self {
            symbol: s(f, "symbol").to_owned(),
            exchange: Exchange::parse_lenient(s(f, "exchange")).ok(),
            product: known(s(f, "product").parse().ok(), "product")?,
        })
    }
}

/// margin's validated `positions` as the engine's legs.
pub fn margin_legs(f: &Map<String, Value>) -> Result<Vec<MarginLeg>, String> {
    f.get("positions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .enumerate()
        .map(|(i, m)| margin_leg(i, m))
        .collect()
}

/// One `margin.positions` entry as the engine's leg; its numbers are strings upstream, and
/// one that is not a non-negative number (or a quantity of 0) is a 400 naming it.
fn margin_leg(i: usize, m: &Map<String, Value>) -> Result<MarginLeg, String> {
    let bad = |field: &str| {
        format!(
            "positions[{i}].{field}: '{}' is not a valid number",
            s(m, field)
        )
    };
    let f = |field: &str| -> Result<f64, String> {
        match m.get(field).and_then(Value::as_str) {
            None => Ok(0.0),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| bad(field)),
        }
    };
    let quantity = f("quantity")?;
    if quantity <= 0.0 {
        return Err(bad("quantity"));
    }
    let unreadable = |what: &str| format!("positions[{i}].{what} is not valid");
    Ok(MarginLeg {
        symbol: s(m, "symbol").to_owned(),
        exchange: s(m, "exchange")
            .parse()
            .map_err(|_| unreadable("exchange"))?,
        action: Action::parse_any_case(s(m, "action")).ok_or_else(|| unreadable("action"))?,
        quantity: quantity.trunc() as i64,
        product: s(m, "product").parse().map_err(|_| unreadable("product"))?,
        pricetype: s(m, "pricetype")
            .parse::<PriceType>()
            .map_err(|_| unreadable("pricetype"))?,
        price: f("price")?,
        trigger_price: f("trigger_price")?,
    })
}

// ---- answers ----

/// Adds the sandbox's `"mode": "analyze"`.
pub fn analyze(mut v: Value) -> Value {
    v["mode"] = Value::from("analyze");
    v
}

/// Semi-auto's answer to a queued order.
pub fn queued_body(pending_order_id: i64) -> Value {
    json!({
        "status": "success",
        "message": "Order queued for approval in Action Center",
        "mode": "semi_auto",
        "pending_order_id": pending_order_id,
    })
}

/// The API's answer to an execution.
pub fn executed_body(ex: &Executed) -> Value {
    let placed = |id: &OrderId| json!({"status": "success", "orderid": id.0});
    analyze(match &ex.outcome {
        Outcome::Placed(id) | Outcome::Smart(SmartOutcome::Placed(id)) => placed(id),
        Outcome::Gtt(id) => json!({"status": "success", "trigger_id": id.0}),
        Outcome::Smart(SmartOutcome::AlreadyMatched) => json!({"status": "success",
            "message": "Positions Already Matched. No Action needed."}),
        Outcome::Smart(SmartOutcome::NothingToExit) => json!({"status": "success",
            "message": "No OpenPosition Found. Not placing Exit order."}),
        Outcome::Basket(legs) => {
            let n = legs.len();
            let results: Vec<Value> = legs
                .iter()
                .enumerate()
                .map(|(i, Leg { order, result })| match result {
                    Ok(id) => json!({
                        "symbol": order.symbol, "exchange": order.exchange,
                        "product": order.product, "status": "success", "orderid": id.0,
                        "batch_order": true, "is_last_order": i + 1 == n,
                    }),
                    Err(message) => json!({
                        "symbol": order.symbol, "status": "error", "message": message,
                    }),
                })
                .collect();
            json!({"status": "success", "results": results})
        }
        Outcome::Split { split, total, legs } => {
            let results = super::option_orders::split_results(legs);
            json!({
                "status": "success",
                "split_size": split,
                "total_quantity": total,
                "results": results,
            })
        }
        Outcome::Options(r) => super::option_orders::options_order_body(r),
        Outcome::OptionsMulti {
            underlying_ltp,
            legs,
        } => super::option_orders::options_multi_body(*underlying_ltp, legs),
    })
}

/// OpenAlgo's status and body for an order error; `None` for our own failures (the
/// ledger, the database), which are opaque 500s.
pub fn order_error_body(e: &OrderError) -> Option<(StatusCode, Value)> {
    let error = |message: String| json!({"status": "error", "message": message, "mode": "analyze"});
    Some(match e {
        OrderError::Engine(EngineError::Rejected { message, orderid }) => {
            let mut b = error(message.clone());
            if let Some(id) = orderid {
                b["orderid"] = Value::from(id.0.clone());
            }
            (StatusCode::BAD_REQUEST, b)
        }
        OrderError::Engine(EngineError::OrderNotFound(id)) => (
            StatusCode::NOT_FOUND,
            error(format!("Order {id} not found")),
        ),
        OrderError::Engine(EngineError::GttNotFound(_)) => {
            (StatusCode::NOT_FOUND, error(e.to_string()))
        }
        OrderError::TooManySplits => (StatusCode::BAD_REQUEST, error(e.to_string())),
        OrderError::Unreadable(m) => (
            StatusCode::BAD_REQUEST,
            json!({"status": "error", "message": m}),
        ),
        OrderError::Denied(d) => (
            StatusCode::FORBIDDEN,
            json!({"status": "error", "message": d.to_string()}),
        ),
        OrderError::Options(o) => {
            use algogate_app::options::OptionsError as O;
            let status = match o {
                O::Invalid(_) => StatusCode::BAD_REQUEST,
                O::NotFound(_) => StatusCode::NOT_FOUND,
            };
            (status, json!({"status": "error", "message": o.to_string()}))
        }
        OrderError::Engine(EngineError::Ledger(_)) | OrderError::Store(_) => return None,
    })
}

/// `modifyorder`'s success body (shared with the web UI's account routes).
pub fn modified_body(id: &OrderId) -> Value {
    json!({"status": "success", "message": "Order modified successfully",
           "orderid": id.0, "mode": "analyze"})
}

/// `cancelorder`'s success body.
pub fn cancelled_body(id: &OrderId) -> Value {
    json!({"status": "success", "message": "Order cancelled successfully",
           "orderid": id.0, "mode": "analyze"})
}

/// `closeposition`'s success body for `closed` positions closed and `failed` not.
pub fn closed_body(closed: usize, failed: usize) -> Value {
    let message = match (closed, failed) {
        (0, 0) => "No open positions to close".to_owned(),
        (n, 0) => format!("Closed {n} positions"),
        (n, f) => format!("Closed {n} positions (Failed to close {f} positions)"),
    };
    json!({"status": "success", "message": message, "closed_positions": closed,
           "failed_closures": failed, "mode": "analyze"})
}

/// The Action Center's view of stored orders, in these terms.
#[derive(Debug)]
pub struct Codec;

impl OrderCodec for Codec {
    fn decode(&self, kind: OrderKind, data: &Map<String, Value>) -> Result<OrderOp, OrderError> {
        decode(kind, data)
    }

    fn executed_body(&self, ex: &Executed) -> Value {
        executed_body(ex)
    }

    fn error_body(&self, e: &OrderError) -> Value {
        order_error_body(e).map_or_else(
            || {
                tracing::error!(error = %e, "order execution failed");
                json!({"status": "error", "message": "An unexpected error occurred"})
            },
            |(_, body)| body,
        )
    }
}
