//! Order endpoints (reference §3.3-§3.12, sandbox behaviour §6): parse the validated body
//! into the engine's types, call one engine operation, shape OpenAlgo's response. Every
//! response carries `"mode": "analyze"`; schema errors are style S.
//!
//! Semi-auto mode (reference §5.2): placeorder, placesmartorder, basketorder and splitorder
//! are validated, then queued in the Action Center instead of executed. Modify, cancel,
//! cancel-all and close run immediately: OpenAlgo blocks them only for a live broker and
//! allows them when analyze mode is on, and this paper broker always answers as analyze
//! mode (every body says `"mode": "analyze"`). Reads always run.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use algogate_broker::Exchange;
use algogate_broker::engine::{
    AccountId, Action, EngineError, MarginLeg, Modification, OrderId, OrderRequest, PriceType,
    Product,
};
use algogate_store::OrderMode;

use super::checks::{ListSpec, Range, check, check_with_list};
use crate::error::{ApiError, ErrorStyle};
use crate::execution::{NoSink, OrderKind, execute};
use crate::extract::{ApiCall, Endpoint};
use crate::keyservice::AuthedUser;
use crate::schema::{APIKEY, Field, Kind, TEXT, optional, required};
use crate::state::AppState;

pub const EXCHANGES: Kind = Kind::OneOf(&[
    "NSE",
    "NFO",
    "CDS",
    "BSE",
    "BFO",
    "BCD",
    "MCX",
    "NCDEX",
    "NCO",
    "NSE_INDEX",
    "BSE_INDEX",
    "MCX_INDEX",
    "GLOBAL_INDEX",
    "CRYPTO",
]);
pub const ACTIONS: Kind = Kind::OneOf(&["BUY", "SELL", "buy", "sell"]);
pub const PRICETYPES: Kind = Kind::OneOf(&["MARKET", "LIMIT", "SL", "SL-M"]);
pub const PRODUCTS: Kind = Kind::OneOf(&["MIS", "NRML", "CNC"]);

const QTY_POSITIVE: Range = Range::Positive("Quantity must be a positive number.");
const PRICE: Range = Range::NonNegative("Price must be a non-negative number.");
const TRIGGER: Range = Range::NonNegative("Trigger price must be a non-negative number.");
const DISCLOSED: Range = Range::NonNegative("Disclosed quantity must be a non-negative integer.");

fn analyze(mut v: Value) -> Json<Value> {
    v["mode"] = Value::from("analyze");
    Json(v)
}

fn account(user: &AuthedUser) -> AccountId {
    AccountId(user.user_id.0)
}

/// The engine's errors as the sandbox answers them.
pub fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::Rejected { message, orderid } => {
            let mut b = json!({"status": "error", "message": message, "mode": "analyze"});
            if let Some(id) = orderid {
                b["orderid"] = Value::from(id.0);
            }
            ApiError::Body(StatusCode::BAD_REQUEST, b)
        }
        EngineError::OrderNotFound(id) => ApiError::Body(
            StatusCode::NOT_FOUND,
            json!({"status": "error", "message": format!("Order {id} not found"), "mode": "analyze"}),
        ),
        EngineError::Ledger(m) => ApiError::Internal(anyhow::anyhow!("paper ledger: {m}")),
    }
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

pub(crate) fn s<'a>(f: &'a Map<String, Value>, k: &str) -> &'a str {
    f.get(k).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn num(f: &Map<String, Value>, k: &str) -> f64 {
    f.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

/// A validated value the schema already restricted; a mismatch here is our bug, not the
/// client's, so it is a 500 with the cause logged.
fn known<T>(v: Option<T>, what: &str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("validated {what} did not parse")))
}

/// The placeorder-shaped fields as an engine request (quantity truncated like `int()`).
pub(crate) fn order_request(f: &Map<String, Value>) -> Result<OrderRequest, ApiError> {
    Ok(OrderRequest {
        symbol: s(f, "symbol").to_owned(),
        exchange: known(s(f, "exchange").parse::<Exchange>().ok(), "exchange")?,
        action: known(Action::parse_any_case(s(f, "action")), "action")?,
        quantity: num(f, "quantity").trunc() as i64,
        pricetype: known(
            f.get("pricetype")
                .and_then(Value::as_str)
                .unwrap_or("MARKET")
                .parse()
                .ok(),
            "pricetype",
        )?,
        product: known(
            f.get("product")
                .and_then(Value::as_str)
                .unwrap_or("MIS")
                .parse()
                .ok(),
            "product",
        )?,
        price: num(f, "price"),
        trigger_price: num(f, "trigger_price"),
        strategy: s(f, "strategy").to_owned(),
    })
}

fn schema_err(errors: crate::schema::SchemaErrors, style: ErrorStyle) -> ApiError {
    ApiError::Schema { errors, style }
}

// ---- placeorder ----

#[derive(Debug)]
pub struct PlaceOrder;
const PLACE_FIELDS: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("exchange", EXCHANGES),
    required("symbol", TEXT),
    required("action", ACTIONS),
    required("quantity", Kind::Float),
    optional("pricetype", PRICETYPES),
    optional("product", PRODUCTS),
    optional("price", Kind::Float),
    optional("trigger_price", Kind::Float),
    optional("disclosed_quantity", Kind::Int),
    Field {
        name: "underlying_ltp",
        kind: Kind::Float,
        required: false,
        nullable: true,
    },
];
const PLACE_RANGES: &[(&str, Range)] = &[
    ("quantity", QTY_POSITIVE),
    ("price", PRICE),
    ("trigger_price", TRIGGER),
    ("disclosed_quantity", DISCLOSED),
];
impl Endpoint for PlaceOrder {
    const FIELDS: &'static [Field] = PLACE_FIELDS;
    const STYLE: ErrorStyle = ErrorStyle::Repr;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, PLACE_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
}

pub async fn placeorder(
    State(st): State<AppState>,
    call: ApiCall<PlaceOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, OrderKind::Place, call.user, call.fields).await
}

/// Queues the operation in semi-auto mode (reference §5.2), else executes it now.
async fn run(
    st: &AppState,
    kind: OrderKind,
    user: AuthedUser,
    fields: Map<String, Value>,
) -> Result<Json<Value>, ApiError> {
    if user.order_mode == OrderMode::SemiAuto {
        return st
            .action_center()
            .queue(&user, kind, fields)
            .await
            .map(Json);
    }
    let done = execute(st.engine(), account(&user), kind, &fields, &NoSink).await?;
    Ok(Json(done.body))
}

// ---- placesmartorder ----

#[derive(Debug)]
pub struct PlaceSmartOrder;
const SMART_RANGES: &[(&str, Range)] = &[
    (
        "quantity",
        Range::NonNegative("Quantity must be a non-negative number."),
    ),
    ("price", PRICE),
    ("trigger_price", TRIGGER),
    ("disclosed_quantity", DISCLOSED),
];
impl Endpoint for PlaceSmartOrder {
    const FIELDS: &'static [Field] = &[
        required("apikey", APIKEY),
        required("strategy", TEXT),
        required("exchange", EXCHANGES),
        required("symbol", TEXT),
        required("action", ACTIONS),
        required("quantity", Kind::Float),
        required("position_size", Kind::Float),
        optional("pricetype", PRICETYPES),
        optional("product", PRODUCTS),
        optional("price", Kind::Float),
        optional("trigger_price", Kind::Float),
        optional("disclosed_quantity", Kind::Int),
    ];
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, SMART_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
}

pub async fn placesmartorder(
    State(st): State<AppState>,
    call: ApiCall<PlaceSmartOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, OrderKind::Smart, call.user, call.fields).await
}

// ---- modifyorder ----

#[derive(Debug)]
pub struct ModifyOrder;
impl Endpoint for ModifyOrder {
    const FIELDS: &'static [Field] = &[
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
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, PLACE_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
}

pub async fn modifyorder(
    State(st): State<AppState>,
    call: ApiCall<ModifyOrder>,
) -> Result<Json<Value>, ApiError> {
    let f = &call.fields;
    let id = OrderId(s(f, "orderid").to_owned());
    let m = Modification {
        quantity: Some(num(f, "quantity").trunc() as i64),
        price: Some(num(f, "price")),
        trigger_price: Some(num(f, "trigger_price")),
    };
    st.engine()
        .modify(account(&call.user), &id, m)
        .await
        .map_err(engine_error)?;
    Ok(Json(modified_body(&id)))
}

// ---- cancelorder, orderstatus ----

#[derive(Debug)]
pub struct ByOrderId;
impl Endpoint for ByOrderId {
    const FIELDS: &'static [Field] = &[
        required("apikey", APIKEY),
        required("strategy", TEXT),
        required("orderid", TEXT),
    ];
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
}

pub async fn cancelorder(
    State(st): State<AppState>,
    call: ApiCall<ByOrderId>,
) -> Result<Json<Value>, ApiError> {
    let id = OrderId(s(&call.fields, "orderid").to_owned());
    st.engine()
        .cancel(account(&call.user), &id)
        .await
        .map_err(engine_error)?;
    Ok(Json(cancelled_body(&id)))
}

pub async fn orderstatus(
    State(st): State<AppState>,
    call: ApiCall<ByOrderId>,
) -> Result<Json<Value>, ApiError> {
    let id = OrderId(s(&call.fields, "orderid").to_owned());
    let data = st
        .engine()
        .order_status(account(&call.user), &id)
        .await
        .map_err(engine_error)?;
    Ok(analyze(json!({"status": "success", "data": data})))
}

// ---- cancelallorder, closeposition ----

#[derive(Debug)]
pub struct StrategyOnly;
impl Endpoint for StrategyOnly {
    const FIELDS: &'static [Field] = &[required("apikey", APIKEY), required("strategy", TEXT)];
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
}

/// Cancels every `open` and `trigger pending` order of the account (the strategy is not a
/// filter, as in OpenAlgo).
pub async fn cancelallorder(
    State(st): State<AppState>,
    call: ApiCall<StrategyOnly>,
) -> Result<Json<Value>, ApiError> {
    let r = st
        .engine()
        .cancel_all(account(&call.user))
        .await
        .map_err(engine_error)?;
    let message = if r.cancelled.is_empty() && r.failed.is_empty() {
        "No open orders to cancel".to_owned()
    } else {
        format!(
            "Canceled {} orders. Failed to cancel {} orders.",
            r.cancelled.len(),
            r.failed.len()
        )
    };
    let failed: Vec<Value> = r
        .failed
        .into_iter()
        .map(|(id, m)| json!({"orderid": id.0, "message": m}))
        .collect();
    Ok(analyze(json!({
        "status": "success",
        "message": message,
        "canceled_orders": r.cancelled.into_iter().map(|i| i.0).collect::<Vec<_>>(),
        "failed_cancellations": failed,
    })))
}

pub async fn closeposition(
    State(st): State<AppState>,
    call: ApiCall<StrategyOnly>,
) -> Result<Json<Value>, ApiError> {
    let (closed, failed) = st
        .engine()
        .close_all(account(&call.user))
        .await
        .map_err(engine_error)?;
    Ok(Json(closed_body(closed, failed)))
}

// ---- openposition ----

#[derive(Debug)]
pub struct OpenPosition;
impl Endpoint for OpenPosition {
    const FIELDS: &'static [Field] = &[
        required("apikey", APIKEY),
        required("strategy", TEXT),
        required("symbol", TEXT),
        required("exchange", TEXT),
        required("product", PRODUCTS),
    ];
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
}

pub async fn openposition(
    State(st): State<AppState>,
    call: ApiCall<OpenPosition>,
) -> Result<Json<Value>, ApiError> {
    let f = &call.fields;
    let product: Product = known(s(f, "product").parse().ok(), "product")?;
    // The exchange is not validated here upstream: an unknown one simply has no position.
    let qty = match Exchange::parse_lenient(s(f, "exchange")) {
        Ok(ex) => st
            .engine()
            .open_position(account(&call.user), s(f, "symbol"), ex, product)
            .await
            .map_err(engine_error)?,
        Err(_) => 0,
    };
    Ok(analyze(json!({"status": "success", "quantity": qty})))
}

// ---- basketorder ----

const LEG_FIELDS: &[Field] = &[
    required("exchange", EXCHANGES),
    required("symbol", TEXT),
    required("action", ACTIONS),
    required("quantity", Kind::Float),
    optional("pricetype", PRICETYPES),
    optional("product", PRODUCTS),
    optional("price", Kind::Float),
    optional("trigger_price", Kind::Float),
    optional("disclosed_quantity", Kind::Int),
];

#[derive(Debug)]
pub struct BasketOrder;
impl Endpoint for BasketOrder {
    const FIELDS: &'static [Field] = &[required("apikey", APIKEY), required("strategy", TEXT)];
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        let spec = ListSpec {
            name: "orders",
            items: LEG_FIELDS,
            ranges: PLACE_RANGES,
            fractional_rule: true,
            len: None,
        };
        let (mut outer, items) = check_with_list(Self::FIELDS, spec, body, true)?;
        outer.insert(
            "orders".into(),
            Value::Array(items.into_iter().map(Value::Object).collect()),
        );
        Ok(outer)
    }
}

/// BUY legs first, then SELL legs (see `execution::plan`).
pub async fn basketorder(
    State(st): State<AppState>,
    call: ApiCall<BasketOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, OrderKind::Basket, call.user, call.fields).await
}

// ---- splitorder ----

/// OpenAlgo's cap on the orders one split may create.
pub const MAX_SPLIT_ORDERS: i64 = 100;

#[derive(Debug)]
pub struct SplitOrder;
const SPLIT_RANGES: &[(&str, Range)] = &[
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
impl Endpoint for SplitOrder {
    const FIELDS: &'static [Field] = &[
        required("apikey", APIKEY),
        required("strategy", TEXT),
        required("exchange", EXCHANGES),
        required("symbol", TEXT),
        required("action", ACTIONS),
        required("quantity", Kind::Float),
        required("splitsize", Kind::Int),
        optional("pricetype", PRICETYPES),
        optional("product", PRODUCTS),
        optional("price", Kind::Float),
        optional("trigger_price", Kind::Float),
        optional("disclosed_quantity", Kind::Int),
    ];
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, SPLIT_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
}

pub async fn splitorder(
    State(st): State<AppState>,
    call: ApiCall<SplitOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, OrderKind::Split, call.user, call.fields).await
}

// ---- margin ----

const MARGIN_LEG: &[Field] = &[
    required("symbol", Kind::Str { min: 1, max: 50 }),
    required("exchange", EXCHANGES),
    required("action", ACTIONS),
    required("quantity", TEXT),
    required("product", PRODUCTS),
    required("pricetype", PRICETYPES),
    optional("price", TEXT),
    optional("trigger_price", TEXT),
];

#[derive(Debug)]
pub struct Margin;
impl Endpoint for Margin {
    const FIELDS: &'static [Field] = &[required("apikey", APIKEY)];
    const STYLE: ErrorStyle = ErrorStyle::Repr;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        let spec = ListSpec {
            name: "positions",
            items: MARGIN_LEG,
            ranges: &[],
            fractional_rule: false,
            len: Some((1, 50)),
        };
        let (mut outer, items) = check_with_list(Self::FIELDS, spec, body, false)?;
        outer.insert(
            "positions".into(),
            Value::Array(items.into_iter().map(Value::Object).collect()),
        );
        Ok(outer)
    }
}

fn margin_leg(i: usize, m: &Map<String, Value>) -> Result<MarginLeg, ApiError> {
    let bad = |field: &str| {
        ApiError::BadRequest(format!(
            "positions[{i}].{field}: '{}' is not a valid number",
            s(m, field)
        ))
    };
    let f = |field: &str| -> Result<f64, ApiError> {
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
    Ok(MarginLeg {
        symbol: s(m, "symbol").to_owned(),
        exchange: known(s(m, "exchange").parse().ok(), "exchange")?,
        action: known(Action::parse_any_case(s(m, "action")), "action")?,
        quantity: quantity.trunc() as i64,
        product: known(s(m, "product").parse().ok(), "product")?,
        pricetype: known(s(m, "pricetype").parse::<PriceType>().ok(), "pricetype")?,
        price: f("price")?,
        trigger_price: f("trigger_price")?,
    })
}

/// What the legs would block as fresh positions with the sandbox's leverage.
pub async fn margin(
    State(st): State<AppState>,
    call: ApiCall<Margin>,
) -> Result<Json<Value>, ApiError> {
    let legs = call
        .fields
        .get("positions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .enumerate()
        .map(|(i, m)| margin_leg(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let total = st.engine().margin(&legs).map_err(engine_error)?;
    Ok(analyze(json!({
        "status": "success",
        "data": {"total_margin_required": total, "span_margin": 0.0, "exposure_margin": total},
    })))
}
