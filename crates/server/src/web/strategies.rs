//! The Strategies page and its session routes (reference §14.2's shapes, session cookie
//! and CSRF header): list, create, edit, toggle, rotate the webhook, delete, the alert
//! log. Always the session's own strategies; another user's id is a 404.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use algogate_app::keypolicy::KeyPolicy;
use algogate_app::keyservice::KeyError;
use algogate_app::strategies::{
    Limits, Mapping, StrategyError, StrategyInfo, StrategySpec, TRADINGVIEW_IPS, Window,
};
use algogate_store::StoreError;

use super::assets;
use super::error::WebError;
use super::extract::{CsrfSession, CurrentSession};
use crate::state::AppState;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/strategy", get(page))
        .route("/strategy/api/strategies", get(list))
        .route("/strategy/api/strategy", post(create))
        .route("/strategy/api/strategy/{id}", get(one).post(update))
        .route("/strategy/api/strategy/{id}/toggle", post(toggle))
        .route("/strategy/api/strategy/{id}/rotate", post(rotate))
        .route("/strategy/api/strategy/{id}/alerts", get(alerts))
        .route("/strategy/{id}/delete", post(delete))
}

impl From<StrategyError> for WebError {
    fn from(e: StrategyError) -> Self {
        match e {
            e @ StrategyError::Invalid { .. } => Self::BadForm(e.to_string()),
            StrategyError::NotFound => Self::Missing("Strategy not found".into()),
            StrategyError::Key(KeyError::Policy(p)) => Self::BadForm(p.to_string()),
            StrategyError::Key(KeyError::Store(e @ StoreError::Conflict(_)))
            | StrategyError::Store(e @ StoreError::Conflict(_)) => Self::BadForm(e.to_string()),
            StrategyError::Key(e) => Self::Internal(e.into()),
            StrategyError::Store(e) => Self::Internal(e.into()),
        }
    }
}

async fn page(CurrentSession(_): CurrentSession) -> Response {
    assets::page(assets::STRATEGY)
}

fn info_json(s: &StrategyInfo) -> Value {
    let limits = s.limits.as_ref().map(|l| {
        json!({
            "semi_auto": l.semi_auto,
            "max_orders_per_day": l.max_orders_per_day,
            "expires_at": l.expires_at.map(|t| t.to_rfc3339()),
            "allow_ips": l.allow_ips.as_ref().map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>()),
        })
    });
    json!({
        "id": s.id,
        "name": s.name,
        "platform": s.platform,
        "trading_mode": s.mode.as_str(),
        "is_active": s.active,
        "is_intraday": s.window.is_some(),
        "start_time": s.window.map(|w| w.start.to_string()),
        "end_time": s.window.map(|w| w.end.to_string()),
        "squareoff_time": s.window.map(|w| w.squareoff.to_string()),
        // The path only: the page prefixes its own origin.
        "webhook_path": s.webhook.as_ref().map(|w| format!("{}{}", s.kind.path(), w.expose())),
        "key_name": s.key_name,
        "limits": limits,
        "mappings": s.mappings,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "last_alert_at": s.last_alert_at,
        "last_alert_outcome": s.last_alert_outcome,
    })
}

async fn list(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    let list = st.strategies().list(s.user_id).await?;
    Ok(Json(
        json!({"strategies": list.iter().map(info_json).collect::<Vec<_>>()}),
    ))
}

async fn one(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    let info = st.strategies().get(s.user_id, id).await?;
    Ok(Json(
        json!({"strategy": info_json(&info), "mappings": info.mappings}),
    ))
}

fn str_field<'a>(b: &'a Value, k: &str) -> &'a str {
    b.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The create/edit form's JSON: `{name, platform, trading_mode, strategy_type
/// ("intraday" | "positional"), start_time, end_time, squareoff_time, mappings: [{symbol,
/// exchange, quantity, product_type}], semi_auto, max_orders_per_day, expires_at,
/// allow_ips: [..] ("tradingview" adds TradingView's addresses)}`.
fn spec_of(body: &[u8]) -> Result<StrategySpec, WebError> {
    let b: Value =
        serde_json::from_slice(body).map_err(|_| WebError::BadForm("No data provided".into()))?;
    if !b.is_object() {
        return Err(WebError::BadForm("No data provided".into()));
    }
    let bad = |e: StrategyError| WebError::BadForm(e.to_string());
    let intraday = b
        .get("strategy_type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "intraday");
    let window = if intraday {
        Some(
            Window::parse(
                str_field(&b, "start_time"),
                str_field(&b, "end_time"),
                str_field(&b, "squareoff_time"),
            )
            .map_err(bad)?,
        )
    } else {
        None
    };
    let mut mappings = Vec::new();
    for m in b
        .get("mappings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .take(algogate_app::strategies::MAX_MAPPINGS + 1)
    {
        let qty = match m.get("quantity") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| WebError::BadForm("quantity: Quantity must be a valid number".into()))?;
        mappings.push(
            Mapping::new(
                str_field(m, "symbol"),
                str_field(m, "exchange"),
                qty,
                str_field(m, "product_type"),
            )
            .map_err(bad)?,
        );
    }
    let ips: Vec<&str> = b
        .get("allow_ips")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .flat_map(|ip| match ip.trim() {
            "tradingview" => TRADINGVIEW_IPS.to_vec(),
            other => vec![other],
        })
        .filter(|ip| !ip.is_empty())
        .collect();
    let expires_at = match str_field(&b, "expires_at").trim() {
        "" => None,
        t => Some(
            algogate_app::keypolicy::parse_expiry(t)
                .map_err(|e| WebError::BadForm(e.to_string()))?,
        ),
    };
    let max_orders_per_day = match b.get("max_orders_per_day") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| {
                    WebError::BadForm("max-orders-per-day: must be a positive number".into())
                })?,
        ),
    };
    Ok(StrategySpec {
        name: str_field(&b, "name").to_owned(),
        platform: str_field(&b, "platform").to_owned(),
        mode: match str_field(&b, "trading_mode") {
            "" => algogate_app::strategies::Mode::Long,
            m => m.parse().map_err(bad)?,
        },
        window,
        mappings,
        limits: Limits {
            semi_auto: b.get("semi_auto").and_then(Value::as_bool).unwrap_or(false),
            max_orders_per_day,
            expires_at,
            allow_ips: KeyPolicy::parse_ips(ips).map_err(|e| WebError::BadForm(e.to_string()))?,
        },
    })
}

async fn create(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let spec = spec_of(&body)?;
    let (id, _) = st.strategies().create(s.user_id, &spec).await?;
    Ok(Json(
        json!({"status": "success", "data": {"strategy_id": id}}),
    ))
}

async fn update(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let spec = spec_of(&body)?;
    st.strategies().update(s.user_id, id, &spec).await?;
    Ok(Json(json!({"status": "success"})))
}

async fn toggle(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    let now = st.strategies().get(s.user_id, id).await?.active;
    st.strategies().set_active(s.user_id, id, !now).await?;
    Ok(Json(
        json!({"status": "success", "data": {"is_active": !now}}),
    ))
}

async fn rotate(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    st.strategies().rotate(s.user_id, id).await?;
    let info = st.strategies().get(s.user_id, id).await?;
    Ok(Json(json!({"status": "success", "data": info_json(&info)})))
}

async fn delete(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    st.strategies().delete(s.user_id, id).await?;
    Ok(Json(json!({"status": "success"})))
}

async fn alerts(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    let rows = st
        .strategies()
        .alerts(s.user_id, id, algogate_app::strategies::ALERT_LOG_KEEP)
        .await?;
    Ok(Json(json!({ "alerts": rows })))
}
