//! The HTTP middleware in front of every route: the client IP and IP bans (outermost),
//! then the `/api/v1` rate limits. The services they consult are the application's
//! (`algogate_app::security`, `algogate_app::ratelimit`).

use std::net::{IpAddr, SocketAddr};

use algogate_app::ratelimit::{Limit, route_of};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// The client IP of a request, resolved once by [`guard`] and kept in its extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Outermost middleware: resolves the client IP and refuses banned ones before any work.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return next.run(req).await;
    };
    let headers = req.headers();
    let ip = state.security().client_ip(peer.ip(), |name| {
        headers.get(name).and_then(|v| v.to_str().ok())
    });
    if state.security().is_banned(ip, state.clock().now_ms()) {
        let mut res = (
            StatusCode::FORBIDDEN,
            "Access Denied: Your IP has been banned",
        )
            .into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return res;
    }
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// Rate limits on `/api/v1/*` and the strategy webhooks; everything else passes through.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(route) = webhook_route(req.uri().path()) {
        return webhook_rate_limit(&state, route, req, next).await;
    }
    let Some(api_path) = req.uri().path().strip_prefix("/api/v1") else {
        return next.run(req).await;
    };
    // Served without connection info (in-process tests): nothing to key on.
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return next.run(req).await;
    };
    let (route, class) = route_of(api_path);
    let limits = state.config().rate_limits.for_class(class);
    let now = state.clock().now_ms();
    match state.rate_limiter().check(peer.ip(), route, limits, now) {
        Ok(()) => next.run(req).await,
        Err((wait_ms, l)) => too_many(wait_ms, l),
    }
}

/// The 429 body: OpenAlgo's message naming the limit, and the seconds to wait.
pub fn too_many_body(wait_ms: i64, limit: Limit) -> serde_json::Value {
    json!({
        "status": "error",
        "message": format!("Rate limit exceeded ({limit}). Please slow down your requests."),
        "retry_after": (wait_ms + 999) / 1000,
    })
}

fn too_many(wait_ms: i64, limit: Limit) -> Response {
    let secs = (wait_ms + 999) / 1000;
    let body = too_many_body(wait_ms, limit);
    let mut res = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// The rate-limit counter of a strategy webhook path (`None`: not a webhook).
fn webhook_route(path: &str) -> Option<&'static str> {
    use algogate_app::strategies::Kind;
    if path.starts_with(Kind::Strategy.path()) {
        Some("strategy_webhook")
    } else if path.starts_with(Kind::Chartink.path()) {
        Some("chartink_webhook")
    } else {
        None
    }
}

/// `WEBHOOK_RATE_LIMIT` (100 per minute) per client IP and route; over it, OpenAlgo's
/// app-wide 429 handler answers with a redirect to `/rate-limited`.
async fn webhook_rate_limit(
    state: &AppState,
    route: &'static str,
    req: Request,
    next: Next,
) -> Response {
    let Some(ip) = req.extensions().get::<ClientIp>().map(|c| c.0).or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    }) else {
        return next.run(req).await;
    };
    let limits = &state.config().rate_limits.webhook;
    match state
        .rate_limiter()
        .check(ip, route, limits, state.clock().now_ms())
    {
        Ok(()) => next.run(req).await,
        Err(_) => {
            let mut res = StatusCode::FOUND.into_response();
            res.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("/rate-limited"));
            res
        }
    }
}
