//! The HTTP layer's one error type and its single mapping to OpenAlgo's error bodies.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use algogate_app::orders::OrderError;
use algogate_broker::BrokerError;
use algogate_broker::domain::ParseError;
use algogate_broker::engine::EngineError;

use crate::openalgo::orders::order_error_body;
use crate::openalgo::schema::SchemaErrors;

/// How an endpoint renders schema errors (reference/openalgo-rest.md §0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `"message": {"field": ["..."]}`
    Dict,
    /// `"message": "{'field': ['...']}"`
    Repr,
    /// Style S plus `"mode": "analyze"`, as the sandbox's order endpoints answer.
    ReprAnalyze,
    /// Style E: `"message": "Validation error", "errors": {"field": ["..."]}` (the options
    /// endpoints).
    Errors,
    /// Style E′: the same with `"message": "Validation failed"` (the greeks endpoints).
    ErrorsFailed,
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

impl From<OrderError> for ApiError {
    /// OpenAlgo's answer to an order error; the ledger's and the database's are ours (500).
    fn from(e: OrderError) -> Self {
        match order_error_body(&e) {
            Some((status, body)) => Self::Body(status, body),
            None => Self::Internal(e.into()),
        }
    }
}

impl From<algogate_app::chart::ChartError> for ApiError {
    /// Over a user's stored totals is the client's 400; the database's failure is ours.
    fn from(e: algogate_app::chart::ChartError) -> Self {
        use algogate_app::chart::ChartError;
        match e {
            ChartError::TooManyStored | ChartError::TooLargeStored => {
                Self::BadRequest(e.to_string())
            }
            ChartError::Store(_) => Self::Internal(e.into()),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        OrderError::from(e).into()
    }
}

impl From<algogate_app::keyservice::KeyError> for ApiError {
    fn from(e: algogate_app::keyservice::KeyError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<algogate_app::keypolicy::Denial> for ApiError {
    fn from(d: algogate_app::keypolicy::Denial) -> Self {
        Self::Status(StatusCode::FORBIDDEN, d.to_string())
    }
}

pub fn error_body(message: impl Into<Value>) -> Value {
    json!({"status": "error", "message": message.into()})
}

impl From<algogate_app::options::OptionsError> for ApiError {
    fn from(e: algogate_app::options::OptionsError) -> Self {
        use algogate_app::options::OptionsError as O;
        match e {
            O::Invalid(m) => Self::BadRequest(m),
            O::NotFound(m) => Self::Status(StatusCode::NOT_FOUND, m),
        }
    }
}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        BrokerError::from(e).into()
    }
}

impl From<BrokerError> for ApiError {
    /// `/symbol`'s miss is a 404; a broken instrument file is our fault (500); every other
    /// broker error is about the request (400, the broker's message, OpenAlgo's wording).
    fn from(e: BrokerError) -> Self {
        match e {
            e if e.is_not_found() => Self::Status(StatusCode::NOT_FOUND, e.to_string()),
            e @ BrokerError::InstrumentCsv { .. } => Self::Internal(e.into()),
            e => Self::BadRequest(e.to_string()),
        }
    }
}

impl ApiError {
    /// The status and the JSON body; schema errors as `style` (or their own) renders them.
    pub(crate) fn status_and_body(self, style: Option<ErrorStyle>) -> (StatusCode, Value) {
        let (status, message) = match self {
            Self::Schema { errors, style: own } => {
                let style = style.unwrap_or(own);
                if let ErrorStyle::Errors | ErrorStyle::ErrorsFailed = style {
                    let message = if style == ErrorStyle::Errors {
                        "Validation error"
                    } else {
                        "Validation failed"
                    };
                    let mut body = error_body(message);
                    body["errors"] = errors.to_json();
                    return (StatusCode::BAD_REQUEST, body);
                }
                let mut body = error_body(match style {
                    ErrorStyle::Dict | ErrorStyle::Errors | ErrorStyle::ErrorsFailed => {
                        errors.to_json()
                    }
                    ErrorStyle::Repr | ErrorStyle::ReprAnalyze => {
                        Value::String(errors.to_python_repr())
                    }
                });
                if style == ErrorStyle::ReprAnalyze {
                    body["mode"] = Value::from("analyze");
                }
                return (StatusCode::BAD_REQUEST, body);
            }
            Self::Body(status, body) => return (status, body),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, Value::String(m)),
            Self::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Value::String(format!(
                    "Request body too large: the limit is {limit} bytes."
                )),
            ),
            Self::InvalidKey => (
                StatusCode::FORBIDDEN,
                Value::String("Invalid openalgo apikey".into()),
            ),
            Self::Status(s, m) => (s, Value::String(m)),
            Self::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Value::String("An unexpected error occurred".into()),
                )
            }
        };
        (status, error_body(message))
    }

    /// The plain-text rendering OpenAlgo uses for `ticker?format=txt` and
    /// `instruments?format=csv`: the message alone (schema errors as the Python repr of the
    /// dict), `text/plain`, same status code.
    pub fn into_text_response(self) -> Response {
        let (status, body) = self.status_and_body(Some(ErrorStyle::Repr));
        let mut text = match &body["message"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        text.push('\n');
        let mut res = (status, text).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = self.status_and_body(None);
        let mut res = axum::Json(body).into_response();
        *res.status_mut() = status;
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}
