//! Extractors every `/api/v1` endpoint uses: the JSON body (any content type, since
//! TradingView posts `text/plain`), schema validation, then key authentication.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorStyle};
use crate::keyservice::AuthedUser;
use crate::schema::{Field, validate};
use crate::state::AppState;

/// The request body parsed as JSON, whatever the `Content-Type`, within the size limit.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config().body_limit_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::TooLarge(limit))?;
        parse_json(&bytes).map(Self)
    }
}

fn parse_json(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "Request body is empty: send a JSON object.".into(),
        ));
    }
    // serde_json's syntax errors name a position, never the input's content.
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("Request body is not valid JSON: {e}.")))
}

/// An `/api/v1` endpoint's request schema.
pub trait Endpoint: Send + Sync + 'static {
    const FIELDS: &'static [Field];
    const STYLE: ErrorStyle;

    /// Validates the body (before the key is checked, as marshmallow runs first). The
    /// default checks `FIELDS`; endpoints with range rules or nested lists override it.
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        validate(Self::FIELDS, body).map_err(|errors| ApiError::Schema {
            errors,
            style: Self::STYLE,
        })
    }
}

/// A validated, authenticated API call: the key's owner and the coerced fields.
#[derive(Debug)]
pub struct ApiCall<E> {
    pub user: AuthedUser,
    pub fields: Map<String, Value>,
    _endpoint: PhantomData<E>,
}

impl<E> ApiCall<E> {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
}

impl<E: Endpoint> FromRequest<AppState> for ApiCall<E> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let JsonBody(body) = JsonBody::from_request(req, state).await?;
        let fields = E::validate(&body)?;
        let key = fields.get("apikey").and_then(Value::as_str).unwrap_or("");
        let user = state
            .keys()
            .verify(key)
            .await?
            .ok_or(ApiError::InvalidKey)?;
        Ok(Self {
            user,
            fields,
            _endpoint: PhantomData,
        })
    }
}
