//! The web routes' one error type and its mapping to responses (JSON for the session API,
//! a redirect to the login page for pages without a session).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use algogate_app::accounts::AccountError;
use algogate_app::keyservice::KeyError;
use algogate_app::login::{LoginError, SetupError};

pub const SESSION_EXPIRED: &str = "Your session has expired. Please log in again.";
pub const CSRF_FAILED: &str =
    "The CSRF token is missing or invalid. Reload the page and try again.";

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No live session: 401 JSON for API-like requests, else to the login page.
    #[error("session expired")]
    NoSession { api_like: bool, next: String },
    #[error("CSRF check failed")]
    Csrf,
    /// 400 `{status:"error", message}` for a body that cannot be read.
    #[error("{0}")]
    BadForm(String),
    /// 400 `{"error": ...}`, the shape of OpenAlgo's `/apikey` routes.
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    /// 404 `{status:"error", message}` naming what was not found (an order, a ban).
    #[error("{0}")]
    Missing(String),
    /// 409 `{status:"error", message}`: it exists already (a key of that name).
    #[error("{0}")]
    Conflict(String),
    /// 403: the route is for administrators.
    #[error("administrators only")]
    AdminOnly,
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<algogate_app::security::SecurityError> for WebError {
    fn from(e: algogate_app::security::SecurityError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<algogate_store::StoreError> for WebError {
    fn from(e: algogate_store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

/// The paper engine's refusals as the sandbox words them: 400 for a rejection, 404 for an
/// order the account does not have (another user's order included).
impl From<algogate_broker::engine::EngineError> for WebError {
    fn from(e: algogate_broker::engine::EngineError) -> Self {
        use algogate_broker::engine::EngineError as E;
        match e {
            E::Rejected { message, .. } => Self::BadForm(message),
            e @ (E::OrderNotFound(_) | E::GttNotFound(_)) => Self::Missing(e.to_string()),
            E::Ledger(m) => Self::Internal(anyhow::anyhow!("paper ledger: {m}")),
        }
    }
}

/// A policy input is the caller's 400 naming the field; a key that is not there a 404; a
/// second key of a name a 409; the rest is ours.
impl From<KeyError> for WebError {
    fn from(e: KeyError) -> Self {
        use algogate_store::StoreError;
        match e {
            KeyError::Policy(p) => Self::BadForm(p.to_string()),
            KeyError::Store(e @ StoreError::NotFound(_)) => Self::Missing(e.to_string()),
            KeyError::Store(e @ StoreError::Conflict(_)) => Self::Conflict(e.to_string()),
            e => Self::Internal(e.into()),
        }
    }
}

fn status_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"status": "error", "message": message.into()});
    (status, Json(body)).into_response()
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error in a web route");
    status_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "An unexpected error occurred",
    )
}

/// Only same-site paths may be a `next` target.
pub fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut res = match self {
            Self::NoSession { api_like: true, .. } => (
                StatusCode::UNAUTHORIZED,
                Json(json!({"status": "error", "error": "session_expired", "message": SESSION_EXPIRED})),
            )
                .into_response(),
            Self::NoSession { api_like: false, next } => {
                let to = match safe_next(&next).filter(|n| *n != "/") {
                    Some(n) => format!("/login?next={}", encode_component(n)),
                    None => "/login".to_string(),
                };
                Redirect::to(&to).into_response()
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                Json(json!({"status": "error", "error": "csrf_failed", "message": CSRF_FAILED})),
            )
                .into_response(),
            Self::Invalid(m) => (StatusCode::BAD_REQUEST, Json(json!({"error": m}))).into_response(),
            Self::BadForm(m) => status_error(StatusCode::BAD_REQUEST, m),
            Self::NotFound => status_error(StatusCode::NOT_FOUND, "Not found"),
            Self::Missing(m) => status_error(StatusCode::NOT_FOUND, m),
            Self::Conflict(m) => status_error(StatusCode::CONFLICT, m),
            Self::AdminOnly => status_error(
                StatusCode::FORBIDDEN,
                "This page is for administrators only.",
            ),
            Self::Login(e @ LoginError::Invalid) => status_error(StatusCode::UNAUTHORIZED, e.to_string()),
            Self::Login(e @ LoginError::Throttled(secs)) => {
                let mut res = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"status": "error", "message": e.to_string(), "retry_after": secs})),
                )
                    .into_response();
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                res
            }
            Self::Login(e) => internal(&e),
            Self::Setup(SetupError::Closed) => status_error(StatusCode::NOT_FOUND, "Not found"),
            Self::Setup(e @ SetupError::BadToken) => status_error(StatusCode::FORBIDDEN, e.to_string()),
            Self::Setup(e @ SetupError::Mismatch) => status_error(StatusCode::BAD_REQUEST, e.to_string()),
            Self::Setup(SetupError::Account(e @ AccountError::Invalid(_))) => {
                status_error(StatusCode::BAD_REQUEST, e.to_string())
            }
            Self::Setup(SetupError::Account(e @ AccountError::Exists(_))) => {
                status_error(StatusCode::CONFLICT, e.to_string())
            }
            Self::Setup(e) => internal(&e),
            Self::Internal(e) => internal(&format!("{e:#}")),
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// Percent-encodes a path for a query parameter value.
fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
