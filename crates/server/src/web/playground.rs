//! The API Playground's routes (SPEC §6, reference/openalgo-ws-sdk-ui.md §3.1): the page,
//! the session user's key, the endpoint list and the collection downloads, and the
//! WebSocket tester's URL. The key only ever travels in `/playground/api-key`'s JSON,
//! never in the page's HTML.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::assets;
use super::error::WebError;
use super::extract::{ClientInfo, CurrentSession, MaybeSession};
use crate::state::AppState;

/// `GET /playground`: the page (no user data in it).
pub async fn page(CurrentSession(_): CurrentSession) -> Response {
    assets::page(assets::PLAYGROUND)
}

/// `GET /playground/`: to the page, as OpenAlgo.
pub async fn trailing_slash() -> Redirect {
    Redirect::to("/playground")
}

/// `GET /playground/api-key`: `{"api_key": key or ""}`; 401 `{"error": "Not
/// authenticated"}` without a session (OpenAlgo's body).
pub async fn api_key(
    State(state): State<AppState>,
    MaybeSession(s): MaybeSession,
) -> Result<Response, WebError> {
    let Some(s) = s else {
        return Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Not authenticated"})),
        )
            .into_response());
    };
    let o = state.keys().overview(s.user_id).await?;
    let key = o.api_key.as_ref().map(|k| k.expose()).unwrap_or_default();
    Ok(Json(json!({ "api_key": key })).into_response())
}

/// `GET /playground/endpoints`: the categories of our collection (apikey blanked).
pub async fn endpoints(
    State(state): State<AppState>,
    CurrentSession(_): CurrentSession,
) -> Json<Value> {
    Json(state.playground().current().await.endpoints.clone())
}

/// `GET /playground/collections`: OpenAlgo's list of both collections, or one of them as
/// a download with `?format=bruno|postman`.
pub async fn collections(
    State(state): State<AppState>,
    CurrentSession(_): CurrentSession,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let snap = state.playground().current().await;
    let (data, file) = match q.get("format").map(String::as_str) {
        None | Some("") => {
            return Ok(Json(json!([
                {"name": "Postman Collection", "type": "postman", "data": snap.postman},
                {"name": "Bruno Collection", "type": "bruno", "data": snap.bruno},
            ]))
            .into_response());
        }
        Some("postman") => (&snap.postman, "algogate.postman_collection.json"),
        Some("bruno") => (&snap.bruno, "algogate_bruno.json"),
        Some(_) => {
            return Err(WebError::Invalid(
                "format must be \"bruno\" or \"postman\"".into(),
            ));
        }
    };
    let mut res = Json(data.clone()).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// `GET /playground/websocket`: where the tester connects — `/ws` on the page's own
/// host and port (the feed accepts same-host origins), `wss://` behind HTTPS.
pub async fn websocket(
    CurrentSession(_): CurrentSession,
    client: ClientInfo,
    headers: HeaderMap,
) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    let scheme = if client.secure { "wss" } else { "ws" };
    Json(json!({
        "status": "success",
        "path": "/ws",
        "websocket_url": host.map(|h| format!("{scheme}://{h}/ws")),
        "is_secure": client.secure,
    }))
}

/// `GET /playground/openapi.json`: the OpenAPI 3.1 document of `/api/v1`, from the
/// collection as it is now and the rate limits in force.
pub async fn openapi(
    State(state): State<AppState>,
    CurrentSession(_): CurrentSession,
) -> Json<Value> {
    let snap = state.playground().current().await;
    Json(crate::openapi::document(&snap, &state.config().rate_limits))
}
