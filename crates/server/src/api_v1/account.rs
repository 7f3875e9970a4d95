//! Account endpoints (reference §3.2, §3.16): funds and the books, style-D errors, and the
//! analyzer. Each handler reads one engine view and wraps it in OpenAlgo's envelope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use algogate_broker::engine::AccountId;

use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, Endpoint, Need};
use crate::openalgo::account::{data_body, pnl_symbols_body, positionbook_body};
use crate::openalgo::market::KEY_ONLY;
use crate::openalgo::schema::{APIKEY, Field, Kind, required};
use crate::state::AppState;

#[derive(Debug)]
pub struct KeyOnly;
impl Endpoint for KeyOnly {
    const FIELDS: &'static [Field] = KEY_ONLY;
    const NEED: Need = Need::Account;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    type Request = ();
    fn parse(_: Map<String, Value>) -> Result<(), ApiError> {
        Ok(())
    }
}

fn account(call: &ApiCall<impl Endpoint>) -> AccountId {
    AccountId(call.user.user_id.0)
}

fn ok(data: impl serde::Serialize) -> Result<Json<Value>, ApiError> {
    Ok(Json(data_body(data)))
}

pub async fn funds(
    State(st): State<AppState>,
    call: ApiCall<KeyOnly>,
) -> Result<Json<Value>, ApiError> {
    ok(st.engine().funds(account(&call)).await?)
}

pub async fn orderbook(
    State(st): State<AppState>,
    call: ApiCall<KeyOnly>,
) -> Result<Json<Value>, ApiError> {
    ok(st.engine().orderbook(account(&call)).await?)
}

pub async fn tradebook(
    State(st): State<AppState>,
    call: ApiCall<KeyOnly>,
) -> Result<Json<Value>, ApiError> {
    ok(st.engine().tradebook(account(&call)).await?)
}

pub async fn positionbook(
    State(st): State<AppState>,
    call: ApiCall<KeyOnly>,
) -> Result<Json<Value>, ApiError> {
    let b = st.engine().positionbook(account(&call)).await?;
    Ok(Json(positionbook_body(b)))
}

/// `pnl/symbols`: the session's P&L per symbol, the position book's rows (open, or closed
/// with realized P&L since the 03:00 IST boundary) marked at the market's price.
pub async fn pnl_symbols(
    State(st): State<AppState>,
    call: ApiCall<KeyOnly>,
) -> Result<Json<Value>, ApiError> {
    let b = st.engine().positionbook(account(&call)).await?;
    Ok(Json(pnl_symbols_body(b)))
}

pub async fn holdings(
    State(st): State<AppState>,
    call: ApiCall<KeyOnly>,
) -> Result<Json<Value>, ApiError> {
    ok(st.engine().holdings(account(&call)).await?)
}

// ---- analyzer (the status route lives with the market endpoints) ----

#[derive(Debug)]
pub struct AnalyzerToggle;
impl Endpoint for AnalyzerToggle {
    const FIELDS: &'static [Field] = &[required("apikey", APIKEY), required("mode", Kind::Bool)];
    const NEED: Need = Need::Account;
    const STYLE: ErrorStyle = ErrorStyle::Repr;
    /// The mode asked for: `true` is analyze.
    type Request = bool;
    fn parse(fields: Map<String, Value>) -> Result<bool, ApiError> {
        Ok(fields.get("mode").and_then(Value::as_bool) == Some(true))
    }
}

/// algogate keeps no analyzer request log; the count is honestly zero.
const TOTAL_LOGS: u64 = 0;

/// Only the paper broker exists, so analyze mode is the only mode: switching it on is a
/// no-op success; switching to live is refused with a message that says why.
pub async fn analyzer_toggle(call: ApiCall<AnalyzerToggle>) -> Result<Json<Value>, ApiError> {
    if call.req {
        return Ok(Json(json!({
            "status": "success",
            "data": {
                "mode": "analyze",
                "analyze_mode": true,
                "total_logs": TOTAL_LOGS,
                "message": "Analyzer mode switched to analyze",
            },
        })));
    }
    Err(ApiError::Body(
        StatusCode::BAD_REQUEST,
        json!({
            "status": "error",
            "message": "Cannot switch to live mode: no live broker is configured. algogate \
                        runs its built-in paper broker (sandbox) only, so orders stay in \
                        analyze mode.",
            "mode": "analyze",
        }),
    ))
}
