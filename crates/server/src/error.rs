//! The HTTP layer's one error type and its single mapping to OpenAlgo's error bodies.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::schema::SchemaErrors;

/// How an endpoint renders schema errors (reference/openalgo-rest.md §0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `"message": {"field": ["..."]}`
    Dict,
    /// `"message": "{'field': ['...']}"`
    Repr,
    /// Style S plus `"mode": "analyze"`, as the sandbox's order endpoints answer.
    ReprAnalyze,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Schema {
        errors: SchemaErrors,
        style: ErrorStyle,
    },
    /// 400 with a plain message (unparseable body and the like).
    #[error("{0}")]
    BadRequest(String),
    #[error("request body exceeds {0} bytes")]
    TooLarge(usize),
    #[error("invalid openalgo apikey")]
    InvalidKey,
    #[error("{1}")]
    Status(StatusCode, String),
    /// A complete JSON body with its status (sandbox errors carry `mode`, `orderid`, ...).
    #[error("{0}")]
    Body(StatusCode, Value),
    /// Anything unexpected: logged in full, answered with an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::keyservice::KeyError> for ApiError {
    fn from(e: crate::keyservice::KeyError) -> Self {
        Self::Internal(e.into())
    }
}

pub fn error_body(message: impl Into<Value>) -> Value {
    json!({"status": "error", "message": message.into()})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::Schema { errors, style } => {
                let mut body = error_body(match style {
                    ErrorStyle::Dict => errors.to_json(),
                    ErrorStyle::Repr | ErrorStyle::ReprAnalyze => {
                        Value::String(errors.to_python_repr())
                    }
                });
                if style == ErrorStyle::ReprAnalyze {
                    body["mode"] = Value::from("analyze");
                }
                (StatusCode::BAD_REQUEST, body)
            }
            Self::Body(s, body) => (s, body),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, error_body(m)),
            Self::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                error_body(format!(
                    "Request body too large: the limit is {limit} bytes."
                )),
            ),
            Self::InvalidKey => (StatusCode::FORBIDDEN, error_body("Invalid openalgo apikey")),
            Self::Status(s, m) => (s, error_body(m)),
            Self::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error_body("An unexpected error occurred"),
                )
            }
        };
        let mut res = axum::Json(body).into_response();
        *res.status_mut() = status;
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}
