//! The web UI: pages composed from the embedded `web/` directory, static assets, the
//! session routes (setup, login, logout, CSRF token) and the API-key routes. Every
//! response here carries the security headers (CSP without inline script or style,
//! nosniff, frame-ancestors 'none', no referrer).

mod account;
mod action_center;
mod apikey;
mod assets;
mod auth;
mod error;
mod extract;
mod playground;
mod security_page;
mod strategies;
mod tradingview;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{delete, get, post};

use crate::state::AppState;

pub use error::WebError;
pub use extract::{CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE};

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/apikey") }))
        .route("/static/{*path}", get(assets::static_file))
        .route("/setup", get(auth::setup_page).post(auth::setup_submit))
        .route("/login", get(auth::login_page))
        .route("/auth/login", post(auth::login_submit))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/csrf-token", get(auth::csrf_token))
        .route("/apikey", get(apikey::show).post(apikey::regenerate))
        .route("/apikey/mode", post(apikey::set_mode))
        .route(
            "/apikey/keys",
            get(apikey::list_keys).post(apikey::create_key),
        )
        .route(
            "/apikey/keys/{name}",
            delete(apikey::revoke_key).patch(apikey::update_key),
        )
        .route("/apikey/keys/{name}/secret", get(apikey::key_secret))
        .route("/apikey/keys/{name}/rotate", post(apikey::rotate_key))
        .route("/apikey/audit", get(apikey::audit))
        .route("/auth/me", get(me))
        .merge(account::routes())
        .merge(tradingview::routes())
        .merge(strategies::routes())
        .merge(security_page::routes())
        .route("/action-center", get(action_center::page))
        .route("/action-center/api/data", get(action_center::data))
        .route("/action-center/count", get(action_center::count))
        .route("/action-center/events", get(action_center::events))
        .route(
            "/action-center/approve-all",
            post(action_center::approve_all),
        )
        .route("/action-center/approve/{id}", post(action_center::approve))
        .route("/action-center/reject/{id}", post(action_center::reject))
        .route("/action-center/delete/{id}", delete(action_center::delete))
        .route("/playground", get(playground::page))
        .route("/playground/", get(playground::trailing_slash))
        .route("/playground/api-key", get(playground::api_key))
        .route("/playground/endpoints", get(playground::endpoints))
        .route("/playground/collections", get(playground::collections))
        .route("/playground/websocket", get(playground::websocket))
        .route("/playground/openapi.json", get(playground::openapi))
        .layer(middleware::from_fn(security_headers))
}

/// `GET /auth/me`: who the session is (the pages show the name and admin-only links).
async fn me(extract::CurrentSession(s): extract::CurrentSession) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"username": s.username, "is_admin": s.is_admin}))
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}
