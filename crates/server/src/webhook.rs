//! The strategy webhooks (reference §14.3, §15.3): `POST /strategy/webhook/<id>` and
//! `POST /chartink/webhook/<id>`, authenticated by the id alone (no API key, no session,
//! no CSRF). The id is a 256-bit secret; it is never logged in full ([`loggable_path`]
//! masks it in request spans). The body is read only once the id is known, at most
//! [`MAX_BODY`] bytes, as JSON whatever its content type.
//!
//! TradingView gives up after 3 seconds: the alert runs in its own task and the answer
//! goes out as soon as its order is placed or queued, or after [`ANSWER_WITHIN`] with
//! OpenAlgo's "queued" answer while the task finishes (its outcome reaches the alert
//! log either way).

use std::time::Duration;

use axum::Json;
use axum::body::Body as HttpBody;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use algogate_app::strategies::{Alert, Body, Done, Kind, Reply};

use crate::middleware::ClientIp;
use crate::openalgo::webhook::{
    MAX_BODY, chartink_answer, chartink_body, logged_payload, strategy_answer, strategy_body,
};
use crate::state::AppState;

/// How long an alert may take before the answer goes out without waiting for it.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(2000);

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/strategy/webhook/{id}", post(strategy))
        .route("/chartink/webhook/{id}", post(chartink))
        .route("/rate-limited", get(rate_limited))
}

/// The path as request spans show it: a webhook's secret cut to its first 4 characters.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for kind in [Kind::Strategy, Kind::Chartink] {
        if let Some(id) = path.strip_prefix(kind.path()) {
            let head: String = id.chars().take(4).collect();
            return format!("{}{head}…", kind.path()).into();
        }
    }
    path.into()
}

async fn rate_limited() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        "Rate limit exceeded. Please slow down your requests.",
    )
        .into_response()
}

fn too_large(kind: Kind) -> Response {
    let msg = format!("Payload too large (at most {MAX_BODY} bytes)");
    let body = match kind {
        Kind::Strategy => serde_json::json!({"error": msg}),
        Kind::Chartink => serde_json::json!({"status": "error", "error": msg}),
    };
    (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response()
}

fn internal(kind: Kind) -> Response {
    let body = match kind {
        Kind::Strategy => serde_json::json!({"error": "Internal server error"}),
        Kind::Chartink => {
            serde_json::json!({"status": "error", "error": "Internal server error"})
        }
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

fn answer(kind: Kind, reply: &Reply) -> Response {
    let status = StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::OK);
    let body: Value = match kind {
        Kind::Strategy => strategy_answer(reply),
        Kind::Chartink => chartink_answer(reply),
    };
    (status, Json(body)).into_response()
}

async fn strategy(
    State(st): State<AppState>,
    Path(id): Path<String>,
    ip: Option<axum::Extension<ClientIp>>,
    body: HttpBody,
) -> Response {
    handle(st, Kind::Strategy, id, ip.map(|e| e.0.0), body).await
}

async fn chartink(
    State(st): State<AppState>,
    Path(id): Path<String>,
    ip: Option<axum::Extension<ClientIp>>,
    body: HttpBody,
) -> Response {
    handle(st, Kind::Chartink, id, ip.map(|e| e.0.0), body).await
}

async fn handle(
    st: AppState,
    kind: Kind,
    id: String,
    ip: Option<std::net::IpAddr>,
    body: HttpBody,
) -> Response {
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return too_large(kind),
    };
    let symbol_of = bytes.clone();
    let task = tokio::spawn({
        let st = st.clone();
        async move {
            let payload = logged_payload(&bytes);
            let s = st.strategies();
            match kind {
                Kind::Strategy => {
                    let alert = strategy_body(&bytes);
                    s.strategy_alert(st.engine(), st.action_center(), &id, alert, ip, &payload)
                        .await
                }
                Kind::Chartink => {
                    let alert = chartink_body(&bytes);
                    s.chartink_alert(st.engine(), st.action_center(), &id, alert, ip, &payload)
                        .await
                }
            }
        }
    });
    match tokio::time::timeout(ANSWER_WITHIN, task).await {
        Ok(Ok(Ok(reply))) => {
            if let Reply::Accepted {
                done: Done::Placed(ids),
                ..
            } = &reply
            {
                tracing::info!(orders = ids.len(), "strategy alert placed");
            }
            answer(kind, &reply)
        }
        Ok(Ok(Err(e))) => {
            tracing::error!(error = %e, "strategy alert failed");
            internal(kind)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "strategy alert task failed");
            internal(kind)
        }
        // Still running: answer as OpenAlgo does once an order is queued; the task goes
        // on and logs its outcome.
        Err(_) => {
            tracing::warn!("strategy alert still running after the answer deadline");
            let body = match kind {
                Kind::Strategy => {
                    let message = match strategy_body(&symbol_of) {
                        Body::Data(Alert {
                            symbol: Some(s), ..
                        }) => format!("Order queued successfully for {s}"),
                        _ => "Order queued successfully".to_owned(),
                    };
                    serde_json::json!({ "message": message })
                }
                Kind::Chartink => {
                    serde_json::json!({"status": "success", "message": "Orders queued"})
                }
            };
            (StatusCode::OK, Json(body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_never_show_a_webhook_secret() {
        let id = "0123456789abcdef".repeat(4);
        let p = format!("/strategy/webhook/{id}");
        assert_eq!(loggable_path(&p), "/strategy/webhook/0123…");
        let p = format!("/chartink/webhook/{id}");
        assert!(!loggable_path(&p).contains(&id[..8]));
        assert_eq!(loggable_path("/api/v1/ping"), "/api/v1/ping");
    }
}
