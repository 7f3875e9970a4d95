//! The Action Center's session routes (reference §5.4): thin handlers over
//! [`algogate_app::action_center::ActionCenter`], always scoped to the session's user. Reads need a
//! session; approve, reject, delete and approve-all also need its CSRF token.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::assets;
use super::error::WebError;
use super::extract::{CsrfSession, CurrentSession};
use crate::openalgo::orders::order_error_body;
use crate::state::AppState;
use algogate_app::action_center::Approval;
use algogate_app::orders::split_sizes;
use algogate_store::PendingRow;

pub const DEFAULT_REASON: &str = "No reason provided";
/// Longest rejection reason kept (longer ones are cut, not refused).
const REASON_MAX: usize = 500;

/// `GET /action-center`: the page.
pub async fn page(CurrentSession(_): CurrentSession) -> Response {
    assets::page(assets::ACTION_CENTER)
}

#[derive(Debug, serde::Deserialize)]
pub struct DataQuery {
    status: Option<String>,
}

/// `GET /action-center/api/data?status=pending|approved|rejected|all` (default pending).
pub async fn data(
    State(state): State<AppState>,
    CurrentSession(s): CurrentSession,
    query: Result<Query<DataQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, WebError> {
    let status = query.ok().and_then(|Query(q)| q.status);
    let filter = match status.as_deref().unwrap_or("pending") {
        "all" => None,
        f @ ("pending" | "approved" | "rejected") => Some(f),
        _ => {
            return Err(WebError::BadForm(
                "Invalid status: use pending, approved, rejected or all".into(),
            ));
        }
    };
    let (rows, stats) = state.action_center().rows(s.user_id, filter).await?;
    let data = json!({
        "orders": rows.iter().map(|r| order_view(r, &s.username)).collect::<Vec<_>>(),
        "statistics": {
            "total_pending": stats.total_pending,
            "total_approved": stats.total_approved,
            "total_rejected": stats.total_rejected,
            "total_buy_orders": stats.total_buy_orders,
            "total_sell_orders": stats.total_sell_orders,
            "total_placeorder": stats.total_placeorder,
            "total_smartorder": stats.total_smartorder,
            "total_basketorder": stats.total_basketorder,
            "total_splitorder": stats.total_splitorder,
            // Not implemented by this gateway yet; always 0 (OpenAlgo's keys).
            "total_optionsorder": 0,
            "total_optionsmultiorder": 0,
            "total_placegttorder": stats.total_placegttorder,
        },
    });
    Ok(Json(json!({"status": "success", "data": data})))
}

/// `GET /action-center/count`: `{"count": n}` pending rows (the navigation badge).
pub async fn count(
    State(state): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    let n = state.action_center().count(s.user_id).await?;
    Ok(Json(json!({"count": n})))
}

fn failed(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": "error", "message": message})),
    )
        .into_response()
}

/// `POST /action-center/approve/{id}`: approve, then execute synchronously.
pub async fn approve(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(failed("Failed to approve order"));
    };
    let out = state
        .action_center()
        .approve(state.engine(), s.user_id, &s.username, id)
        .await?;
    Ok(match out {
        Approval::NotPending => failed("Failed to approve order"),
        Approval::Executed {
            broker_order_id,
            result,
        } => Json(json!({
            "status": "success",
            "message": "Order approved and executed successfully",
            "broker_order_id": broker_order_id,
            "result": result,
        }))
        .into_response(),
        Approval::Failed { error, cause } => (
            // The API's status for the execution's error; 400 when every leg was rejected.
            cause
                .as_ref()
                .map_or(Some(StatusCode::BAD_REQUEST), |e| {
                    order_error_body(e).map(|(status, _)| status)
                })
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Json(json!({
                "status": "warning",
                "message": "Order approved but execution failed",
                "error": error,
            })),
        )
            .into_response(),
    })
}

/// `POST /action-center/reject/{id}` `{"reason": "..."}`.
pub async fn reject(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(failed("Failed to reject order"));
    };
    let parsed: Option<Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Some(json!({}))
    } else {
        serde_json::from_slice(&body).ok()
    };
    let Some(Value::Object(m)) = parsed else {
        return Err(WebError::BadForm(
            "Send a JSON object: {\"reason\": \"...\"}".into(),
        ));
    };
    let reason = match m.get("reason") {
        None | Some(Value::Null) => DEFAULT_REASON.to_owned(),
        Some(Value::String(r)) if r.trim().is_empty() => DEFAULT_REASON.to_owned(),
        Some(Value::String(r)) => r.trim().chars().take(REASON_MAX).collect(),
        Some(_) => return Err(WebError::BadForm("reason must be a string".into())),
    };
    if state
        .action_center()
        .reject(s.user_id, &s.username, id, &reason)
        .await?
    {
        Ok(
            Json(json!({"status": "success", "message": "Order rejected successfully"}))
                .into_response(),
        )
    } else {
        Ok(failed("Failed to reject order"))
    }
}

/// `DELETE /action-center/delete/{id}`: only decided rows (approved or rejected).
pub async fn delete(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(failed("Failed to delete order"));
    };
    if state
        .action_center()
        .delete(s.user_id, &s.username, id)
        .await?
    {
        Ok(
            Json(json!({"status": "success", "message": "Order deleted successfully"}))
                .into_response(),
        )
    } else {
        Ok(failed("Failed to delete order"))
    }
}

/// `POST /action-center/approve-all`.
pub async fn approve_all(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
) -> Result<Json<Value>, WebError> {
    let r = state
        .action_center()
        .approve_all(state.engine(), s.user_id, &s.username)
        .await?;
    if r.approved == 0 {
        return Ok(Json(
            json!({"status": "info", "message": "No pending orders to approve"}),
        ));
    }
    let status = if r.failed.is_empty() {
        "success"
    } else if r.executed > 0 {
        "warning"
    } else {
        "error"
    };
    let message = if r.failed.is_empty() {
        format!("Approved and executed {} orders", r.executed)
    } else {
        format!(
            "Approved {} orders: {} executed, {} failed",
            r.approved,
            r.executed,
            r.failed.len()
        )
    };
    Ok(Json(json!({
        "status": status,
        "message": message,
        "approved_count": r.approved,
        "executed_count": r.executed,
        "failed_executions": r.failed.into_iter()
            .map(|(order_id, error)| json!({"order_id": order_id, "error": error}))
            .collect::<Vec<_>>(),
    })))
}

/// `GET /action-center/events`: server-sent events for the session's user
/// (`pending_order_created`, `pending_order_updated`; `resync` after missed events).
pub async fn events(
    State(state): State<AppState>,
    _headers: HeaderMap,
    CurrentSession(s): CurrentSession,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let (rx, closing) = state.action_center().subscribe();
    let user = s.user_id;
    let stream = futures_util::stream::unfold(
        (rx, closing, false),
        move |(mut rx, mut closing, done)| async move {
            if done || *closing.borrow() {
                return None;
            }
            loop {
                tokio::select! {
                    _ = closing.changed() => return None,
                    msg = rx.recv() => match msg {
                        Ok(ev) if ev.user == user => {
                            let e = Event::default().event(ev.name).data(ev.data.to_string());
                            return Some((Ok(e), (rx, closing, false)));
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => {
                            let e = Event::default().event("resync").data("{}");
                            return Some((Ok(e), (rx, closing, false)));
                        }
                        Err(RecvError::Closed) => return None,
                    },
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn text(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::String(s) => Value::from(s.to_uppercase()),
        other => other.clone(),
    }
}

/// One row as the page shows it: OpenAlgo's keys, plus the execution record.
fn order_view(r: &PendingRow, username: &str) -> Value {
    let data: Value = serde_json::from_str(&r.order_data).unwrap_or(Value::Null);
    let get = |k: &str| data.get(k).cloned().unwrap_or(Value::Null);
    let mut v = json!({
        "id": r.id,
        "user_id": username,
        "api_type": r.api_type,
        "status": r.status,
        "created_at_ist": r.created_at_ist,
        "approved_at_ist": r.approved_at_ist,
        "approved_by": r.approved_by,
        "rejected_at_ist": r.rejected_at_ist,
        "rejected_by": r.rejected_by,
        "rejected_reason": r.rejected_reason,
        "broker_order_id": r.broker_order_id,
        "broker_status": r.broker_status,
        "strategy": get("strategy"),
        "raw_order_data": data,
        "symbol": get("symbol"),
        "exchange": get("exchange"),
        "action": text(&get("action")),
        "quantity": get("quantity"),
        "price": get("price"),
        "trigger_price": get("trigger_price"),
        "price_type": data.get("pricetype").cloned().unwrap_or(Value::from("MARKET")),
        "product_type": data.get("product").cloned().unwrap_or(Value::from("MIS")),
        "execution_state": r.execution_state,
        "order_ids": serde_json::from_str::<Value>(&r.order_ids).unwrap_or(json!([])),
        "execution_result": r.execution_result.as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "execution_error": r.execution_error,
        "executed_at_ist": r.executed_at_ist,
        "key_name": r.key_name,
    });
    match r.api_type.as_str() {
        "basketorder" => {
            let legs = data
                .get("orders")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let actions: Vec<Value> = legs.iter().map(|l| text(&l["action"])).collect();
            v["symbol"] = Value::from(format!("Basket ({} orders)", legs.len()));
            v["action"] = match actions.first() {
                Some(a) if actions.iter().all(|x| x == a) => a.clone(),
                _ => Value::from("MULTI"),
            };
            v["exchange"] = legs.first().map_or(Value::Null, |l| l["exchange"].clone());
            v["quantity"] = Value::from(
                legs.iter()
                    .filter_map(|l| l["quantity"].as_f64())
                    .sum::<f64>(),
            );
            v["legs"] = Value::Array(legs);
        }
        "splitorder" => {
            let total = data["quantity"].as_f64().unwrap_or(0.0).trunc() as i64;
            let split = data["splitsize"].as_i64().unwrap_or(1).max(1);
            v["split_size"] = Value::from(split);
            // Queued splits were planned; a damaged row past the cap shows no sizes.
            v["split_sizes"] = split_sizes(total, split).map_or(Value::Null, Value::from);
        }
        "smartorder" => v["position_size"] = get("position_size"),
        // OpenAlgo's display: "<underlying> <offset> <option_type>".
        "optionsorder" => {
            v["symbol"] = Value::from(format!(
                "{} {} {}",
                text(&get("underlying")).as_str().unwrap_or(""),
                text(&get("offset")).as_str().unwrap_or(""),
                text(&get("option_type")).as_str().unwrap_or(""),
            ));
        }
        // "<underlying> (<n> legs)", action MULTI when the legs differ.
        "optionsmultiorder" => {
            let legs = data
                .get("legs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let actions: Vec<Value> = legs.iter().map(|l| text(&l["action"])).collect();
            v["symbol"] = Value::from(format!(
                "{} ({} legs)",
                text(&get("underlying")).as_str().unwrap_or(""),
                legs.len()
            ));
            v["action"] = match actions.first() {
                Some(a) if actions.iter().all(|x| x == a) => a.clone(),
                _ => Value::from("MULTI"),
            };
            v["quantity"] = Value::from(
                legs.iter()
                    .filter_map(|l| l["quantity"].as_f64())
                    .sum::<f64>(),
            );
            v["legs"] = Value::Array(legs);
        }
        _ => {}
    }
    v
}
