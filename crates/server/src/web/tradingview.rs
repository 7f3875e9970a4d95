//! The TradingView page (issue 10 item 1, reference §7). The alert JSON is built in the
//! browser from the session's own key (`GET /apikey`, JSON); the server only serves the
//! page and a symbol search over the instrument master.

use std::collections::HashMap;

use algogate_broker::Exchange;
use algogate_broker::instruments::SearchItem;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::assets;
use super::error::WebError;
use super::extract::CurrentSession;
use crate::state::AppState;

/// Longest query accepted (symbols are far shorter).
const MAX_QUERY: usize = 64;
/// Suggestions returned per keystroke.
const MAX_HITS: usize = 20;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/tradingview", get(page))
        .route("/tradingview/api/search", get(search))
}

async fn page(CurrentSession(_): CurrentSession) -> Response {
    assets::page(assets::TRADINGVIEW)
}

/// `GET /tradingview/api/search?q=REL[&exchange=NSE]`: up to 20 instruments, ranked as
/// `/api/v1/search` ranks them.
async fn search(
    State(st): State<AppState>,
    CurrentSession(_): CurrentSession,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, WebError> {
    let query = q.get("q").map(|s| s.trim()).unwrap_or_default();
    if query.is_empty() {
        return Err(WebError::BadForm("Enter a symbol to search for".into()));
    }
    if query.len() > MAX_QUERY {
        return Err(WebError::BadForm(format!(
            "The search text is too long (at most {MAX_QUERY} characters)"
        )));
    }
    let exchange = match q
        .get("exchange")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(e) => Some(
            e.parse::<Exchange>()
                .map_err(|_| WebError::BadForm(format!("Unknown exchange: {e}")))?,
        ),
    };
    let master = st.market().master();
    let hits = master
        .search(query, exchange)
        .map_err(|e| WebError::BadForm(e.to_string()))?;
    let data: Vec<SearchItem<'_>> = hits
        .iter()
        .take(MAX_HITS)
        .map(|i| SearchItem::from(&**i))
        .collect();
    Ok(Json(json!({"status": "success", "data": data})))
}
