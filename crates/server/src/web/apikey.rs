//! `/apikey` and `/apikey/mode` (SPEC §2.5): always the logged-in user's key; a `user_id`
//! in a body is never read.

use algogate_store::OrderMode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::assets;
use super::error::WebError;
use super::extract::{CsrfSession, CurrentSession};
use crate::state::AppState;

pub const INVALID_MODE: &str = "Invalid mode. Must be \"auto\" or \"semi_auto\"";

/// OpenAlgo answers JSON only to `Accept: application/json`.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// `GET /apikey`: `{login_username, has_api_key, api_key, order_mode}` or the page.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentSession(s): CurrentSession,
) -> Result<Response, WebError> {
    if !wants_json(&headers) {
        return Ok(assets::page(assets::APIKEY));
    }
    let o = state.keys().overview(s.user_id).await?;
    Ok(Json(json!({
        "login_username": s.username,
        "has_api_key": o.api_key.is_some(),
        "api_key": o.api_key.as_ref().map(|k| k.expose()),
        "order_mode": o.order_mode.as_str(),
    }))
    .into_response())
}

/// `POST /apikey`: a new key for the session's user; the old one stops working at once.
pub async fn regenerate(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
) -> Result<Json<Value>, WebError> {
    let (key, key_id) = state.keys().regenerate(s.user_id).await?;
    tracing::info!(user_id = s.user_id.0, "API key regenerated from the web UI");
    Ok(Json(json!({
        "message": "API key updated successfully.",
        "api_key": key.expose(),
        "key_id": key_id,
    })))
}

/// `POST /apikey/mode` `{mode}`.
pub async fn set_mode(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let mode: OrderMode = serde_json::from_slice::<Value>(&body)
        .ok()
        .as_ref()
        .and_then(|v| v.get("mode"))
        .and_then(Value::as_str)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| WebError::Invalid(INVALID_MODE.into()))?;
    if !state.keys().set_order_mode(s.user_id, mode).await? {
        return Err(WebError::Invalid(
            "No API key found. Generate an API key first.".into(),
        ));
    }
    Ok(Json(json!({
        "message": format!("Order mode updated to {}", mode.as_str()),
        "mode": mode.as_str(),
    })))
}
