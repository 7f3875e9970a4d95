//! Setup, login, logout and the CSRF token. Handlers parse, call one operation in
//! `algogate_app::login` or the session service, and shape the response.

use algogate_keys::Password;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::assets;
use super::error::WebError;
use super::extract::{
    AnyCsrf, CSRF_COOKIE, ClientInfo, CsrfSession, MaybeSession, SESSION_COOKIE, clear_cookie,
    cookie, set_cookie,
};
use crate::state::AppState;
use algogate_app::login::{self, SetupForm};

/// Lifetime of the pre-login CSRF cookie.
const CSRF_COOKIE_SECS: i64 = 12 * 3600;

/// A JSON body, or 400 `{status:"error", message}` (never a 500).
pub fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, WebError> {
    serde_json::from_slice(body)
        .map_err(|_| WebError::BadForm("Send a JSON object with the form's fields.".into()))
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `GET /setup?token=…`: the form while setup is open and the token is right.
pub async fn setup_page(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    if !state.setup().is_open() {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let token = query_param(q.as_deref(), "token").unwrap_or("");
    if state.setup().check(token) {
        assets::page(assets::SETUP)
    } else {
        (StatusCode::FORBIDDEN, assets::page(assets::SETUP_INVALID)).into_response()
    }
}

#[derive(Deserialize)]
struct SetupBody {
    token: String,
    username: String,
    password: String,
    confirm: String,
}

/// `POST /setup` `{token, username, password, confirm}` with `X-CSRFToken`.
pub async fn setup_submit(
    State(state): State<AppState>,
    csrf: Result<AnyCsrf, WebError>,
    body: Bytes,
) -> Result<Response, WebError> {
    if !state.setup().is_open() {
        return Err(WebError::NotFound);
    }
    csrf?;
    let b: SetupBody = parse_body(&body)?;
    let form = SetupForm {
        token: &b.token,
        username: b.username.trim(),
        password: Password::new(b.password),
        confirm: Password::new(b.confirm),
    };
    login::run_setup(state.setup(), state.store(), state.keys(), form).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "status": "success",
            "message": "Admin account created. Log in to continue.",
            "redirect": "/login",
        })),
    )
        .into_response())
}

/// `GET /login`: the form, or straight to the API key page when logged in.
pub async fn login_page(MaybeSession(s): MaybeSession) -> Response {
    match s {
        Some(_) => Redirect::to(AFTER_LOGIN).into_response(),
        None => assets::page(assets::LOGIN),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
    /// Where the login page was sent from (its `?next=`); the server decides whether to go
    /// there.
    #[serde(default)]
    next: Option<String>,
}

/// Where to send the browser after login.
const AFTER_LOGIN: &str = "/apikey";

/// The path on this origin that a browser reaches when it navigates to `next` from one of
/// our pages, or `None` when it would leave the origin. Parsed with the WHATWG URL rules
/// the browser itself applies (tabs and newlines removed, `\` read as `/`, `//host`
/// meaning another host), and returned in the serialised form the browser cannot read
/// differently.
fn same_origin_path(next: &str) -> Option<String> {
    let base = url::Url::parse("http://algogate.invalid/login").expect("valid base URL");
    let target = base.join(next).ok()?;
    if target.origin() != base.origin() {
        return None;
    }
    let mut out = target.path().to_owned();
    // A path that begins `//` (`/.//host` normalises to it) would be read as a host.
    if !out.starts_with('/') || out.starts_with("//") {
        return None;
    }
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// `POST /auth/login` `{username, password}` with `X-CSRFToken`.
pub async fn login_submit(
    State(state): State<AppState>,
    client: ClientInfo,
    csrf: AnyCsrf,
    body: Bytes,
) -> Result<Response, WebError> {
    let b: LoginBody = parse_body(&body)?;
    let new = login::login(
        state.login(),
        client.ip,
        b.username.trim(),
        Password::new(b.password),
    )
    .await?;
    // The id is renewed at login: whatever session the browser had ends here.
    if let Some(old) = csrf.session {
        state.sessions().end(&old).await?;
    }
    let max_age = state.sessions().expires_in(&new.session);
    let redirect = b
        .next
        .as_deref()
        .and_then(same_origin_path)
        .unwrap_or_else(|| AFTER_LOGIN.to_owned());
    let mut res = Json(json!({"status": "success", "redirect": redirect})).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, new.id.expose(), max_age, client.secure),
    );
    h.append(header::SET_COOKIE, clear_cookie(CSRF_COOKIE, client.secure));
    Ok(res)
}

/// `POST /auth/logout` with the session's `X-CSRFToken`.
pub async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    CsrfSession(s): CsrfSession,
) -> Result<Response, WebError> {
    state.sessions().end(&s).await?;
    tracing::info!(user_id = s.user_id.0, "logout");
    let mut res = Json(json!({"status": "success", "redirect": "/login"})).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        clear_cookie(SESSION_COOKIE, client.secure),
    );
    Ok(res)
}

/// `GET /auth/csrf-token` → `{csrf_token}`: the session's token, or before login a
/// double-submit token also set as an HttpOnly cookie.
pub async fn csrf_token(
    client: ClientInfo,
    MaybeSession(s): MaybeSession,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(s) = s {
        return Json(json!({"csrf_token": s.csrf_token().expose()})).into_response();
    }
    if let Some(existing) = cookie(&headers, CSRF_COOKIE)
        .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Json(json!({"csrf_token": existing})).into_response();
    }
    let token = algogate_keys::random_hex(32);
    let mut res = Json(json!({"csrf_token": token.expose()})).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(CSRF_COOKIE, token.expose(), CSRF_COOKIE_SECS, client.secure),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::same_origin_path;

    #[test]
    fn only_paths_on_this_origin_survive() {
        for (next, want) in [
            ("/apikey", "/apikey"),
            ("/account?tab=orders#x", "/account?tab=orders#x"),
            ("/a/../playground", "/playground"),
            ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/sp ace", "/sp%20ace"),
            // A doubly encoded tab is only an odd path here.
            ("/%09/evil.example", "/%09/evil.example"),
        ] {
            assert_eq!(same_origin_path(next).as_deref(), Some(want), "{next:?}");
        }
        for next in [
            "//evil.example/x",
            "/\t/evil.example/x",
            "/\t/127.0.0.1:9/x",
            "/\n/evil.example",
            "\r//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "\\\\evil.example",
            "/.//evil.example",
            "/./\\evil.example",
            "https://evil.example/",
            "http://algogate.invalid.evil.example/",
            "javascript:alert(1)",
            "data:text/html,x",
            " //evil.example",
            "///evil.example",
        ] {
            assert_eq!(same_origin_path(next), None, "{next:?}");
        }
    }
}
