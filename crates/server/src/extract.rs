//! Extractors every `/api/v1` endpoint uses: the JSON body (any content type, since
//! TradingView posts `text/plain`), schema validation, then key authentication. The key
//! comes from the body's `apikey` (the query string's on GET) or from the `X-API-KEY` /
//! `Authorization: Bearer` headers ([`header_key`], also read by the WebSocket handshake).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Uri, header};
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

use crate::error::{ApiError, ErrorStyle};
use crate::json::{self, JsonLimits};
use crate::middleware::ClientIp;
use crate::openalgo::schema::{Field, validate};
use crate::state::AppState;
use algogate_app::keyservice::AuthedUser;
use algogate_keys::{Scope, SecretString};

/// How fast the rest of a body refused by the JSON scanner is read and dropped.
const REFUSED_DRAIN_BYTES_PER_SEC: f64 = 32e6;

/// The request body parsed as JSON, whatever the `Content-Type`, within the size limit.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config().body_limit_bytes;
        // A declared length over the limit is refused before any of the body is read.
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(ApiError::TooLarge(limit));
        }
        // Scanned as it arrives: past the JSON limits nothing more is kept or parsed. The
        // rest is still read and dropped (within the size limit and the body timeout), so
        // the client reliably gets the 400 and the connection stays usable.
        let mut body = http_body_util::Limited::new(req.into_body(), limit);
        let mut scanner = json::Scanner::new(JsonLimits::UNTRUSTED);
        // Most bodies arrive in one frame, kept as it is; later frames are appended to a copy.
        let (mut first, mut joined) = (None::<Bytes>, Vec::new());
        let mut refused = None;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| body_read_error(e.as_ref(), limit))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if let Some((_, started, drained)) = &mut refused {
                // Paced, so a client that keeps sending refused bodies is held to a
                // trickle of the server's bandwidth; a 1 MiB body still drains in ~30 ms.
                *drained += data.len();
                let due = *started
                    + Duration::from_secs_f64(*drained as f64 / REFUSED_DRAIN_BYTES_PER_SEC);
                if due > tokio::time::Instant::now() + Duration::from_millis(2) {
                    tokio::time::sleep_until(due).await;
                }
                continue;
            }
            match scanner.feed(&data) {
                Ok(()) => match &first {
                    None => first = Some(data),
                    Some(f) => {
                        if joined.is_empty() {
                            joined.extend_from_slice(f);
                        }
                        joined.extend_from_slice(&data);
                    }
                },
                Err(e) => {
                    refused = Some((e, tokio::time::Instant::now(), 0));
                    (first, joined) = (None, Vec::new());
                }
            }
        }
        if let Some((e, _, _)) = refused {
            return Err(bad_json(e));
        }
        let bytes = match &first {
            Some(f) if joined.is_empty() => f.as_ref(),
            _ => joined.as_slice(),
        };
        json::parse_scanned(bytes).map(Self).map_err(bad_json)
    }
}

fn bad_json(e: json::JsonError) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

/// Only a body over the limit is a 413; broken framing (a bad chunk size, a connection
/// closed mid-body) is the client's malformed request, a 400.
fn body_read_error(e: &(dyn std::error::Error + 'static), limit: usize) -> ApiError {
    let mut source = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return ApiError::TooLarge(limit);
        }
        source = err.source();
    }
    ApiError::BadRequest("Request body could not be read: malformed or incomplete.".into())
}

/// Verifies `key`; a denial is counted against the client IP (for the optional ban).
pub async fn authenticate(
    state: &AppState,
    key: &str,
    ip: Option<ClientIp>,
) -> Result<AuthedUser, ApiError> {
    if let Some(user) = state.keys().verify(key).await? {
        return Ok(user);
    }
    if let Some(ClientIp(ip)) = ip {
        let now = state.clock().now_ms();
        if let Err(e) = state.security().record_invalid_key(ip, key, now).await {
            tracing::error!(error = %e, "cannot record an invalid API key attempt");
        }
    }
    Err(ApiError::InvalidKey)
}

/// What a request needs of its key: any valid key (ping), or one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Key,
    Data,
    Account,
    Place,
    Modify,
    Cancel,
    Close,
}

impl Need {
    pub const fn scope(self) -> Option<Scope> {
        Some(match self {
            Self::Key => return None,
            Self::Data => Scope::Data,
            Self::Account => Scope::Account,
            Self::Place => Scope::Place,
            Self::Modify => Scope::Modify,
            Self::Cancel => Scope::Cancel,
            Self::Close => Scope::Close,
        })
    }
}

/// Checks the key's policy (scope, IP allowlist) for a request needing `need`, after the
/// key verified and before anything else happens; a refusal is audited and answered 403.
pub async fn permit(
    state: &AppState,
    user: &AuthedUser,
    need: Need,
    ip: Option<ClientIp>,
) -> Result<(), ApiError> {
    let ip = ip.map(|ClientIp(ip)| ip);
    let Err(denial) = user.permit(need.scope(), ip) else {
        state.keys().note_use(user, ip);
        return Ok(());
    };
    if let Some(name) = user.key_name() {
        state
            .keys()
            .audit(user.user_id, name, "denied", &denial.to_string())
            .await;
    }
    Err(denial.into())
}

/// An `/api/v1` endpoint: its request schema, what it needs of the key, and the typed
/// request a validated body becomes (in `openalgo/`, without the key).
pub trait Endpoint: Send + Sync + 'static {
    const FIELDS: &'static [Field];
    /// Required of every endpoint, so none can forget its scope.
    const NEED: Need;
    const STYLE: ErrorStyle;
    /// Query parameters a GET endpoint accepts and ignores (documented upstream but without
    /// effect); anything else outside `FIELDS` is an unknown field.
    const IGNORED: &'static [&'static str] = &[];

    type Request: Send + std::fmt::Debug;

    /// Validates the body (before the key is checked, as marshmallow runs first). The
    /// default checks `FIELDS`; endpoints with range rules or nested lists override it.
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        validate(Self::FIELDS, body).map_err(|errors| ApiError::Schema {
            errors,
            style: Self::STYLE,
        })
    }

    /// The validated fields (`apikey` removed) as the typed request. Runs after the key is
    /// checked: a well-formed body naming an unknown symbol is a 403 with a bad key.
    fn parse(fields: Map<String, Value>) -> Result<Self::Request, ApiError>;
}

/// The header every HTTP client and gateway knows for API keys (OpenAlgo's Telegram routes
/// read it too).
pub const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// Marks the headers that carry credentials as sensitive before anything sees the
/// request (outside the trace layer, on both ports), so that any `Debug` of them (a span,
/// a dependency's trace) prints `Sensitive`.
pub fn sensitive_headers() -> SetSensitiveRequestHeadersLayer {
    SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE, X_API_KEY])
}

/// Which header carried a key, for the messages that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyHeader {
    XApiKey,
    Bearer,
}

impl KeyHeader {
    fn name(self) -> &'static str {
        match self {
            Self::XApiKey => "X-API-KEY header",
            Self::Bearer => "Authorization: Bearer header",
        }
    }
}

/// The API key a request carries in its headers (redacted in `Debug`).
#[derive(Debug)]
pub struct HeaderKey {
    key: SecretString,
    from: KeyHeader,
}

impl HeaderKey {
    pub fn into_secret(self) -> SecretString {
        self.key
    }

    pub fn expose(&self) -> &str {
        self.key.expose()
    }
}

/// The key in `X-API-KEY` or `Authorization: Bearer <key>`, if there is one. Every such
/// header line must carry the same key; an empty one, or one that cannot be a key, is a
/// 400 naming the header. Other `Authorization` schemes are ignored rather than refused:
/// they are meant for someone else (a reverse proxy's Basic credentials are forwarded by
/// default), as API gateways with a configured key header do.
pub fn header_key(headers: &HeaderMap) -> Result<Option<HeaderKey>, ApiError> {
    let x_api_key = headers
        .get_all(X_API_KEY)
        .iter()
        .map(|v| (KeyHeader::XApiKey, v.as_bytes().trim_ascii()));
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| bearer_token(v.as_bytes()).map(|t| (KeyHeader::Bearer, t)));
    let mut found: Option<HeaderKey> = None;
    for (from, value) in x_api_key.chain(bearer) {
        if value.is_empty() {
            return Err(ApiError::BadRequest(format!(
                "The {} is empty: it must carry the API key.",
                from.name()
            )));
        }
        // A key is visible ASCII; anything else is refused before it is compared or hashed.
        let Some(key) = std::str::from_utf8(value)
            .ok()
            .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        else {
            return Err(ApiError::BadRequest(format!(
                "The {} must be one API key: visible ASCII characters, no spaces.",
                from.name()
            )));
        };
        match &found {
            None => {
                found = Some(HeaderKey {
                    key: SecretString::new(key),
                    from,
                })
            }
            Some(f) if f.key.expose() == key => {}
            Some(f) if f.from == from => {
                return Err(ApiError::BadRequest(format!(
                    "Two {}s carry different API keys; send the key once.",
                    from.name()
                )));
            }
            Some(f) => return Err(conflict(f.from.name(), from.name())),
        }
    }
    Ok(found)
}

/// The credentials of `Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1);
/// `None` for any other scheme.
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let split = value.iter().position(|&b| b == b' ').unwrap_or(value.len());
    let (scheme, rest) = value.split_at(split);
    scheme
        .eq_ignore_ascii_case(b"bearer")
        .then(|| rest.trim_ascii())
}

fn conflict(first: &str, second: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "The {first} and the {second} carry different API keys; send the key once."
    ))
}

/// Puts a header key into the input as its `apikey` before validation, so the schema sees
/// the field present and its checks and messages stay OpenAlgo's. An `apikey` already in
/// the input must be the same key; `field` names it for the message.
fn merge_header_key(
    obj: &mut Map<String, Value>,
    header: Option<HeaderKey>,
    field: &str,
) -> Result<(), ApiError> {
    let Some(header) = header else {
        return Ok(());
    };
    match obj.get("apikey") {
        None => {
            obj.insert("apikey".into(), Value::String(header.expose().to_owned()));
            Ok(())
        }
        Some(Value::String(k)) if k == header.expose() => Ok(()),
        Some(_) => Err(conflict(header.from.name(), field)),
    }
}

/// Validates `input` against `E`'s schema, authenticates its `apikey` (the order OpenAlgo
/// uses, so a bad body is a 400 even with a bad key), then parses the typed request.
async fn validate_and_authenticate<E: Endpoint>(
    input: &Value,
    ip: Option<ClientIp>,
    state: &AppState,
) -> Result<(AuthedUser, E::Request), ApiError> {
    let mut fields = E::validate(input)?;
    let key = match fields.remove("apikey") {
        Some(Value::String(key)) => key,
        _ => String::new(),
    };
    let user = authenticate(state, &key, ip).await?;
    permit(state, &user, E::NEED, ip).await?;
    Ok((user, E::parse(fields)?))
}

/// A validated, authenticated API call: the key's owner and the typed request.
#[derive(Debug)]
pub struct ApiCall<E: Endpoint> {
    pub user: AuthedUser,
    pub req: E::Request,
}

impl<E: Endpoint> FromRequest<AppState> for ApiCall<E> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let ip = req.extensions().get::<ClientIp>().copied();
        // Read before the body consumes the request; reported after it, so that a refused
        // request is still read to its end (the client reliably gets the 400).
        let header = header_key(req.headers());
        let JsonBody(mut body) = JsonBody::from_request(req, state).await?;
        let header = header?;
        // A body that is not an object is left to the schema's own error.
        if let Value::Object(obj) = &mut body {
            merge_header_key(obj, header, "apikey field")?;
        }
        let (user, req) = validate_and_authenticate::<E>(&body, ip, state).await?;
        Ok(Self { user, req })
    }
}

/// The query-string counterpart of [`ApiCall`] for OpenAlgo's GET endpoints (`instruments`,
/// `ticker`): `apikey` (or a key header) and the other fields come from the query string,
/// every value a string, validated by the same schema and then authenticated the same way.
///
/// OpenAlgo builds the dict with `request.args.get(name)`, so a missing *required*
/// parameter reaches marshmallow as `None`: `Field may not be null.`, reproduced here. A
/// missing optional parameter is simply absent. Repeated parameters: the first wins.
#[derive(Debug)]
pub struct ApiQuery<E: Endpoint> {
    pub user: AuthedUser,
    pub req: E::Request,
}

impl<E: Endpoint> ApiQuery<E> {
    /// Validates and authenticates the query of `uri` with the key `headers` may carry
    /// (`ip` counts a denied key).
    pub async fn from_uri(
        uri: &Uri,
        headers: &HeaderMap,
        ip: Option<ClientIp>,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let input = query_object::<E>(uri, header_key(headers)?)?;
        let (user, req) = validate_and_authenticate::<E>(&input, ip, state).await?;
        Ok(Self { user, req })
    }
}

/// The query string (with a header key as its `apikey`) as the JSON object the schema
/// validates.
fn query_object<E: Endpoint>(uri: &Uri, header: Option<HeaderKey>) -> Result<Value, ApiError> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|_| ApiError::BadRequest("The query string is not valid URL encoding.".into()))?;
    let mut obj = Map::new();
    for (k, v) in pairs {
        if E::IGNORED.contains(&k.as_str()) || obj.contains_key(&k) {
            continue;
        }
        obj.insert(k, Value::String(v));
    }
    merge_header_key(&mut obj, header, "apikey query parameter")?;
    for f in E::FIELDS.iter().filter(|f| f.required) {
        obj.entry(f.name).or_insert(Value::Null);
    }
    Ok(Value::Object(obj))
}

impl<E: Endpoint> FromRequestParts<AppState> for ApiQuery<E> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = parts.extensions.get::<ClientIp>().copied();
        Self::from_uri(&parts.uri, &parts.headers, ip, state).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{HeaderValue, Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    fn headers(pairs: &[(&HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn header_key_reads_either_header_and_ignores_other_schemes() {
        let key = "ab".repeat(32);
        let bearer = format!("Bearer {key}");
        for h in [
            headers(&[(&X_API_KEY, &key)]),
            headers(&[(&header::AUTHORIZATION, &bearer)]),
            headers(&[(&header::AUTHORIZATION, "Basic eDp5"), (&X_API_KEY, &key)]),
        ] {
            assert_eq!(header_key(&h).unwrap().unwrap().expose(), key);
        }
        let h = headers(&[(&header::AUTHORIZATION, "Basic eDp5")]);
        assert!(header_key(&h).unwrap().is_none());
        assert!(bearer_token(b"Bearerx abc").is_none());
        assert_eq!(bearer_token(b"bEaReR  abc "), Some(&b"abc"[..]));
        // The key never shows in Debug.
        let found = header_key(&headers(&[(&X_API_KEY, &key)])).unwrap();
        assert!(!format!("{found:?}").contains(&key));
    }

    #[tokio::test]
    async fn credential_headers_reach_handlers_marked_sensitive() {
        let app = axum::Router::new()
            .route(
                "/",
                get(|h: HeaderMap| async move {
                    let marked = [X_API_KEY, header::AUTHORIZATION, header::COOKIE]
                        .iter()
                        .all(|n| h.get(n).is_some_and(HeaderValue::is_sensitive));
                    if marked && format!("{h:?}").contains("Sensitive") {
                        StatusCode::OK
                    } else {
                        StatusCode::IM_A_TEAPOT
                    }
                }),
            )
            .layer(sensitive_headers());
        let req = Request::get("/")
            .header(X_API_KEY, "k")
            .header(header::AUTHORIZATION, "Bearer k")
            .header(header::COOKIE, "c=1")
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::OK);
    }
}
