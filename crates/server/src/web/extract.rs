//! Extractors of the session routes: the cookie session, CSRF checks, the client IP, and
//! whether a request wants JSON (API-like) or a page.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};

use super::error::WebError;
use crate::connections::OverTls;
use crate::middleware::ClientIp;
use crate::state::AppState;
use algogate_app::session::Session;

pub const SESSION_COOKIE: &str = "algogate_session";
/// Double-submit token for forms before login (login, setup).
pub const CSRF_COOKIE: &str = "algogate_csrf";
pub const CSRF_HEADER: &str = "x-csrftoken";

/// The value of cookie `name`, if present.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// OpenAlgo's rule: JSON Accept or body, or an XMLHttpRequest, gets JSON errors.
pub fn is_api_like(headers: &HeaderMap) -> bool {
    let starts = |h: header::HeaderName, p: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with(p))
    };
    starts(header::ACCEPT, "application/json")
        || starts(header::CONTENT_TYPE, "application/json")
        || headers
            .get("x-requested-with")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"))
}

fn trusted_header<'a>(parts: &'a Parts, state: &AppState, name: &str) -> Option<&'a str> {
    if !state.config().trust_proxy_headers {
        return None;
    }
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client's IP as the outermost middleware resolved it (see `security::guard`), else
/// the socket peer.
pub fn client_ip(parts: &Parts, _state: &AppState) -> IpAddr {
    if let Some(ClientIp(ip)) = parts.extensions.get::<ClientIp>() {
        return *ip;
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Whether cookies must be `Secure`: configured, served over our own TLS, or HTTPS
/// reported by a trusted proxy.
pub fn secure_cookies(parts: &Parts, state: &AppState) -> bool {
    state.config().cookie_secure
        || parts.extensions.get::<OverTls>().is_some()
        || trusted_header(parts, state, "x-forwarded-proto")
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path /, Secure when asked.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie names and hex values are valid header text")
}

pub fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    set_cookie(name, "", 0, secure)
}

/// The live session, if the request has one (no rejection).
#[derive(Debug)]
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(Self(Some(s.clone())));
        }
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Self(None));
        };
        let s = state.sessions().lookup(id).await?;
        if let Some(s) = &s {
            parts.extensions.insert(s.clone());
        }
        Ok(Self(s))
    }
}

/// A request with a live session. Without one: 401 `session_expired` JSON to API-like
/// requests, a redirect to the login page otherwise.
#[derive(Debug)]
pub struct CurrentSession(pub Session);

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        match MaybeSession::from_request_parts(parts, state).await?.0 {
            Some(s) => Ok(Self(s)),
            None => Err(WebError::NoSession {
                api_like: is_api_like(&parts.headers),
                next: parts.uri.path().to_string(),
            }),
        }
    }
}

fn presented_csrf(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// A state-changing request of a live session carrying that session's CSRF token.
#[derive(Debug)]
pub struct CsrfSession(pub Session);

impl FromRequestParts<AppState> for CsrfSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let CurrentSession(s) = CurrentSession::from_request_parts(parts, state).await?;
        match presented_csrf(parts) {
            Some(t) if s.csrf_matches(t) => Ok(Self(s)),
            _ => Err(WebError::Csrf),
        }
    }
}

/// CSRF for forms that may come before login: the session's token when there is a live
/// session, else the double-submit cookie issued by `/auth/csrf-token`.
#[derive(Debug)]
pub struct AnyCsrf {
    pub session: Option<Session>,
}

impl FromRequestParts<AppState> for AnyCsrf {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state).await?;
        let presented = presented_csrf(parts).ok_or(WebError::Csrf)?;
        let by_session = session.as_ref().is_some_and(|s| s.csrf_matches(presented));
        let by_cookie = cookie(&parts.headers, CSRF_COOKIE).is_some_and(|c| {
            c.len() == 64 && algogate_keys::ct_eq(c.as_bytes(), presented.as_bytes())
        });
        if by_session || by_cookie {
            Ok(Self { session })
        } else {
            Err(WebError::Csrf)
        }
    }
}

/// The client IP (see [`client_ip`]) and whether cookies must be `Secure`.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub secure: bool,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Self {
            ip: client_ip(parts, state),
            secure: secure_cookies(parts, state),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_several_headers_and_pairs() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; algogate_session=xyz"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "algogate"), None);
    }

    #[test]
    fn api_like_follows_openalgo() {
        let mut h = HeaderMap::new();
        assert!(!is_api_like(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html,*/*"));
        assert!(!is_api_like(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(is_api_like(&h));
        let mut h = HeaderMap::new();
        h.insert(
            "x-requested-with",
            HeaderValue::from_static("XMLHttpRequest"),
        );
        assert!(is_api_like(&h));
    }
}
