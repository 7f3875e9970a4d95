//! Setup, login, logout and the CSRF token. Handlers parse, call one operation in
//! `crate::login` or the session service, and shape the response.

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
use crate::login::{self, SetupForm};
use crate::state::AppState;

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
    login::run_setup(&state, form).await?;
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
        Some(_) => Redirect::to("/apikey").into_response(),
        None => assets::page(assets::LOGIN),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
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
        &state,
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
    let mut res = Json(json!({"status": "success", "redirect": "/apikey"})).into_response();
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
