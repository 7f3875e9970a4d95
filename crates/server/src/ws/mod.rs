//! The WebSocket feed: OpenAlgo's protocol on its own port (any path, like OpenAlgo) and at
//! `/ws` on the HTTP port.
//!
//! - [`protocol`]: pure parsing and encoding (every message, every error text);
//! - [`hub`]: subscriptions and the fan-out task (one encoding per tick and mode, bounded
//!   per-client queues, slow clients dropped);
//! - `session`: one connection's state and the answer to each message;
//! - `socket`: the reader loop and the batching writer.

mod session;
mod socket;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};

use crate::extract::{authenticate, header_key};
use crate::middleware::ClientIp;
use crate::state::AppState;

/// Largest client frame accepted (Python `websockets`' default, as OpenAlgo runs it).
const MAX_MESSAGE: usize = 1 << 20;

/// The upgrade handler, for `/ws` and for every path of the dedicated port.
///
/// A key in the handshake's `X-API-KEY` or `Authorization: Bearer` header (non-browser
/// clients; a browser's WebSocket cannot set headers) is checked before the upgrade, as
/// the REST API checks it: a bad one is refused with the same HTTP error, so the client's
/// connect fails instead of a socket opening that can do nothing; a good one starts the
/// socket authenticated, with nothing sent until the client speaks.
pub async fn handler(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers, &state.config().ws_allowed_origins) {
        tracing::warn!("WebSocket upgrade refused: Origin not allowed");
        return (StatusCode::FORBIDDEN, "Origin not allowed").into_response();
    }
    let ip = ip.map(|e| e.0);
    let authed = match header_key(&headers) {
        Ok(None) => None,
        Ok(Some(key)) => match authenticate(&state, key.expose(), ip).await {
            Ok(user) => Some((user, key.into_secret())),
            Err(e) => return e.into_response(),
        },
        Err(e) => return e.into_response(),
    };
    // Client messages are small: a 4 KiB read buffer (not the 128 KiB default) keeps idle
    // connections cheap; it grows for larger frames up to the limit.
    ws.read_buffer_size(4096)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| socket::run(socket, state, authed, ip.map(|ClientIp(ip)| ip)))
}

/// The dedicated WebSocket port: any path upgrades.
pub fn router(state: AppState) -> Router {
    Router::new()
        .fallback(handler)
        .layer(crate::extract::sensitive_headers())
        .with_state(state)
}

/// Browsers send `Origin`; other clients usually do not. Allowed: no `Origin`, an origin on
/// a loopback host, the same host the request was sent to, or one listed in
/// `ws_allowed_origins` (`*` allows any).
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim().trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "http" | "https" | "ws" | "wss"
    ) {
        return false;
    }
    let host_of = |authority: &str| -> String {
        let a = authority.to_ascii_lowercase();
        if let Some(rest) = a.strip_prefix('[') {
            return rest.split(']').next().unwrap_or("").to_owned();
        }
        a.rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map_or(a.clone(), |(h, _)| h.to_owned())
    };
    let host = host_of(authority);
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return true;
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.trim().eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        if let Some(o) = origin {
            m.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        m.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        m
    }

    #[test]
    fn origins() {
        let none: Vec<String> = vec![];
        assert!(origin_allowed(&h(None, "x:1"), &none));
        assert!(origin_allowed(
            &h(Some("http://127.0.0.1:5000"), "127.0.0.1:8765"),
            &none
        ));
        assert!(origin_allowed(
            &h(Some("http://localhost:3000"), "a:1"),
            &none
        ));
        assert!(origin_allowed(&h(Some("http://[::1]:3000"), "a:1"), &none));
        assert!(origin_allowed(
            &h(Some("https://gw.example:8443"), "gw.example:8443"),
            &none
        ));
        assert!(!origin_allowed(
            &h(Some("https://evil.example"), "gw.example:8443"),
            &none
        ));
        assert!(!origin_allowed(&h(Some("null"), "gw.example"), &none));
        assert!(!origin_allowed(
            &h(Some("http://127.0.0.1.evil.example"), "gw"),
            &none
        ));
        let listed = vec!["https://app.example/".to_string()];
        assert!(origin_allowed(
            &h(Some("https://app.example"), "gw"),
            &listed
        ));
        assert!(origin_allowed(
            &h(Some("https://any.example"), "gw"),
            &["*".to_string()]
        ));
    }
}
