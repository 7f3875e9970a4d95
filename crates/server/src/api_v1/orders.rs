//! Order endpoints (reference §3.3-§3.12, sandbox behaviour §6): the validated body becomes
//! a typed request (`openalgo::orders`), one application or engine operation runs, and the
//! answer is OpenAlgo's. Schema errors are style S.
//!
//! Semi-auto mode (reference §5.2): placeorder, placesmartorder, basketorder and splitorder
//! are validated, then queued in the Action Center instead of executed
//! (`algogate_app::action_center::submit`). Modify, cancel, cancel-all and close run immediately:
//! OpenAlgo blocks them only for a live broker and allows them when analyze mode is on, and
//! this paper broker always answers as analyze mode (every body says `"mode": "analyze"`).
//! Reads always run.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use algogate_app::action_center::{Submitted, submit};
use algogate_app::keyservice::AuthedUser;
use algogate_app::orders::OrderKind;
use algogate_broker::engine::{AccountId, MarginLeg, Modification, OrderId};

use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, Endpoint, Need};
use crate::openalgo::checks::{ListSpec, check, check_with_list};
use crate::openalgo::orders::{
    BY_ORDER_ID_FIELDS, LEG_FIELDS, MARGIN_LEG_FIELDS, MODIFY_FIELDS, OPEN_POSITION_FIELDS,
    OrderCall, PLACE_FIELDS, PLACE_RANGES, PositionQuery, SMART_FIELDS, SMART_RANGES, SPLIT_FIELDS,
    SPLIT_RANGES, STRATEGY_FIELDS, analyze, cancelled_body, closed_body, executed_body,
    margin_legs, modification, modified_body, order_id, queued_body,
};
use crate::openalgo::schema::{APIKEY, Field, SchemaErrors, required};
use crate::state::AppState;

fn account(user: &AuthedUser) -> AccountId {
    AccountId(user.user_id.0)
}

fn bad_request(body: Value) -> ApiError {
    ApiError::Body(StatusCode::BAD_REQUEST, body)
}

fn schema_err(errors: SchemaErrors, style: ErrorStyle) -> ApiError {
    ApiError::Schema { errors, style }
}

/// Runs or queues the order for the key's user.
pub(super) async fn run(
    st: &AppState,
    user: AuthedUser,
    order: OrderCall,
) -> Result<Json<Value>, ApiError> {
    let (op, order_data) = order.into_parts();
    let done = submit(st.engine(), st.action_center(), &user, &op, order_data).await?;
    Ok(Json(match done {
        Submitted::Queued(id) => queued_body(id),
        Submitted::Executed(ex) => executed_body(&ex),
    }))
}

// ---- placeorder ----

#[derive(Debug)]
pub struct PlaceOrder;
impl Endpoint for PlaceOrder {
    const FIELDS: &'static [Field] = PLACE_FIELDS;
    const NEED: Need = Need::Place;
    const STYLE: ErrorStyle = ErrorStyle::Repr;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, PLACE_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
    type Request = OrderCall;
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::Place, fields)?)
    }
}

pub async fn placeorder(
    State(st): State<AppState>,
    call: ApiCall<PlaceOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, call.user, call.req).await
}

// ---- placesmartorder ----

#[derive(Debug)]
pub struct PlaceSmartOrder;
impl Endpoint for PlaceSmartOrder {
    const FIELDS: &'static [Field] = SMART_FIELDS;
    const NEED: Need = Need::Place;
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, SMART_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
    type Request = OrderCall;
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::Smart, fields)?)
    }
}

pub async fn placesmartorder(
    State(st): State<AppState>,
    call: ApiCall<PlaceSmartOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, call.user, call.req).await
}

// ---- modifyorder ----

#[derive(Debug)]
pub struct ModifyOrder;
impl Endpoint for ModifyOrder {
    const FIELDS: &'static [Field] = MODIFY_FIELDS;
    const NEED: Need = Need::Modify;
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, PLACE_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
    type Request = (OrderId, Modification);
    fn parse(fields: Map<String, Value>) -> Result<Self::Request, ApiError> {
        Ok((order_id(&fields), modification(&fields)))
    }
}

pub async fn modifyorder(
    State(st): State<AppState>,
    call: ApiCall<ModifyOrder>,
) -> Result<Json<Value>, ApiError> {
    let (id, change) = call.req;
    st.action_center()
        .check_modify(st.engine(), &call.user, &id, &change)
        .await?;
    st.engine().modify(account(&call.user), &id, change).await?;
    Ok(Json(modified_body(&id)))
}

// ---- cancelorder, orderstatus ----

/// Endpoints that share a schema but not a scope.
macro_rules! same_schema {
    ($($name:ident: $need:ident),+ => $fields:expr, $req:ty, $parse:expr) => {$(
        #[derive(Debug)]
        pub struct $name;
        impl Endpoint for $name {
            const FIELDS: &'static [Field] = $fields;
            const NEED: Need = Need::$need;
            const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
            type Request = $req;
            fn parse(fields: Map<String, Value>) -> Result<$req, ApiError> {
                let parse: fn(&Map<String, Value>) -> $req = $parse;
                Ok(parse(&fields))
            }
        }
    )+};
}

same_schema!(CancelOrder: Cancel, OrderStatus: Account => BY_ORDER_ID_FIELDS, OrderId, order_id);

pub async fn cancelorder(
    State(st): State<AppState>,
    call: ApiCall<CancelOrder>,
) -> Result<Json<Value>, ApiError> {
    let id = call.req;
    st.engine().cancel(account(&call.user), &id).await?;
    Ok(Json(cancelled_body(&id)))
}

pub async fn orderstatus(
    State(st): State<AppState>,
    call: ApiCall<OrderStatus>,
) -> Result<Json<Value>, ApiError> {
    let data = st
        .engine()
        .order_status(account(&call.user), &call.req)
        .await?;
    Ok(Json(analyze(json!({"status": "success", "data": data}))))
}

// ---- cancelallorder, closeposition ----

same_schema!(CancelAll: Cancel, ClosePosition: Close => STRATEGY_FIELDS, (), |_| ());

/// Cancels every `open` and `trigger pending` order of the account (the strategy is not a
/// filter, as in OpenAlgo).
pub async fn cancelallorder(
    State(st): State<AppState>,
    call: ApiCall<CancelAll>,
) -> Result<Json<Value>, ApiError> {
    let r = st.engine().cancel_all(account(&call.user)).await?;
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
    Ok(Json(analyze(json!({
        "status": "success",
        "message": message,
        "canceled_orders": r.cancelled.into_iter().map(|i| i.0).collect::<Vec<_>>(),
        "failed_cancellations": failed,
    }))))
}

pub async fn closeposition(
    State(st): State<AppState>,
    call: ApiCall<ClosePosition>,
) -> Result<Json<Value>, ApiError> {
    let (closed, failed) = st.engine().close_all(account(&call.user)).await?;
    Ok(Json(closed_body(closed, failed)))
}

// ---- openposition ----

#[derive(Debug)]
pub struct OpenPosition;
impl Endpoint for OpenPosition {
    const FIELDS: &'static [Field] = OPEN_POSITION_FIELDS;
    const NEED: Need = Need::Account;
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    type Request = PositionQuery;
    fn parse(fields: Map<String, Value>) -> Result<PositionQuery, ApiError> {
        Ok(PositionQuery::parse(&fields)?)
    }
}

pub async fn openposition(
    State(st): State<AppState>,
    call: ApiCall<OpenPosition>,
) -> Result<Json<Value>, ApiError> {
    let PositionQuery {
        symbol,
        exchange,
        product,
    } = &call.req;
    let qty = match exchange {
        Some(ex) => {
            st.engine()
                .open_position(account(&call.user), symbol, *ex, *product)
                .await?
        }
        None => 0,
    };
    Ok(Json(analyze(json!({"status": "success", "quantity": qty}))))
}

// ---- basketorder ----

#[derive(Debug)]
pub struct BasketOrder;
impl Endpoint for BasketOrder {
    const FIELDS: &'static [Field] = STRATEGY_FIELDS;
    const NEED: Need = Need::Place;
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        let spec = ListSpec {
            name: "orders",
            items: LEG_FIELDS,
            ranges: PLACE_RANGES,
            fractional_rule: true,
            len: None,
        };
        let (mut outer, items) =
            check_with_list(Self::FIELDS, spec, body, true).map_err(bad_request)?;
        outer.insert(
            "orders".into(),
            Value::Array(items.into_iter().map(Value::Object).collect()),
        );
        Ok(outer)
    }
    type Request = OrderCall;
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::Basket, fields)?)
    }
}

/// BUY legs first, then SELL legs (see `execution::plan`).
pub async fn basketorder(
    State(st): State<AppState>,
    call: ApiCall<BasketOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, call.user, call.req).await
}

// ---- splitorder ----

#[derive(Debug)]
pub struct SplitOrder;
impl Endpoint for SplitOrder {
    const FIELDS: &'static [Field] = SPLIT_FIELDS;
    const NEED: Need = Need::Place;
    const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, SPLIT_RANGES, true, body).map_err(|e| schema_err(e, Self::STYLE))
    }
    type Request = OrderCall;
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::Split, fields)?)
    }
}

pub async fn splitorder(
    State(st): State<AppState>,
    call: ApiCall<SplitOrder>,
) -> Result<Json<Value>, ApiError> {
    run(&st, call.user, call.req).await
}

// ---- margin ----

#[derive(Debug)]
pub struct Margin;
impl Endpoint for Margin {
    const FIELDS: &'static [Field] = &[required("apikey", APIKEY)];
    const NEED: Need = Need::Account;
    const STYLE: ErrorStyle = ErrorStyle::Repr;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        let spec = ListSpec {
            name: "positions",
            items: MARGIN_LEG_FIELDS,
            ranges: &[],
            fractional_rule: false,
            len: Some((1, 50)),
        };
        let (mut outer, items) =
            check_with_list(Self::FIELDS, spec, body, false).map_err(bad_request)?;
        outer.insert(
            "positions".into(),
            Value::Array(items.into_iter().map(Value::Object).collect()),
        );
        Ok(outer)
    }
    type Request = Vec<MarginLeg>;
    fn parse(fields: Map<String, Value>) -> Result<Vec<MarginLeg>, ApiError> {
        margin_legs(&fields).map_err(ApiError::BadRequest)
    }
}

/// What the legs would block as fresh positions with the sandbox's leverage.
pub async fn margin(
    State(st): State<AppState>,
    call: ApiCall<Margin>,
) -> Result<Json<Value>, ApiError> {
    let total = st.engine().margin(&call.req)?;
    Ok(Json(analyze(json!({
        "status": "success",
        "data": {"total_margin_required": total, "span_margin": 0.0, "exposure_margin": total},
    }))))
}
