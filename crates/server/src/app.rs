//! The router, apart from `main` so tests can drive it directly or on a real socket.

use axum::Router;
use axum::http::Request;
use axum::routing::get;
use serde_json::json;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route("/ws", get(crate::ws::handler))
        .merge(crate::api_v1::router())
        .route("/api/{*rest}", axum::routing::any(crate::api_v1::not_found))
        .merge(crate::web::router())
        .merge(crate::webhook::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::rate_limit,
        ))
        // Outermost: banned IPs are refused before any other work.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::guard,
        ))
        .layer(
            // Spans carry the path only: GET endpoints take `apikey` in the query string;
            // a webhook's path carries its secret, cut short.
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                tracing::info_span!(
                    "http",
                    method = %req.method(),
                    path = %crate::webhook::loggable_path(req.uri().path())
                )
            }),
        )
        .layer(crate::extract::sensitive_headers())
        .with_state(state)
}
