//! `/api/v1`: OpenAlgo's REST API. Handlers are thin: the extractor validates and
//! authenticates, the handler calls one domain operation and shapes OpenAlgo's response.

pub mod account;
pub mod calendar;
pub mod chart;
pub mod gtt;
pub mod options;
pub mod orders;

use std::sync::LazyLock;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, post};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ErrorStyle, error_body};
use crate::extract::{ApiCall, Endpoint, Need};
use crate::openalgo::market::KEY_ONLY;
use crate::openalgo::schema::Field;
use crate::state::AppState;

/// The broker name reported by ping and the WebSocket feed.
pub const BROKER: &str = "sandbox";

pub mod market;

/// Where these routes are mounted. They are registered with full paths rather than
/// nested: a nested router strips the prefix from every request's URI, a measurable share
/// of a cached-key ping. Unknown paths under it reach the server's `/api/*` fallback.
pub const PREFIX: &str = "/api/v1";

pub fn router() -> Router<AppState> {
    market::routes(post_routes(&post_table()))
}

/// Every path registered under [`PREFIX`] (each also answers with a trailing `/`), from the
/// tables the router is built from, so tests can cover every route.
pub fn paths() -> Vec<String> {
    let post = post_table()
        .into_iter()
        .map(|(name, _)| format!("{PREFIX}/{name}"));
    let market = market::table()
        .into_iter()
        .map(|(path, _)| format!("{PREFIX}{path}"));
    post.chain(market).collect()
}

fn post_table() -> [(&'static str, MethodRouter<AppState>); 33] {
    [
        ("ping", post(ping)),
        // Paper broker: orders (reference §3.3-§3.12, §3.15) and account books (§3.2, §3.16).
        ("placeorder", post(orders::placeorder)),
        ("placesmartorder", post(orders::placesmartorder)),
        ("modifyorder", post(orders::modifyorder)),
        ("cancelorder", post(orders::cancelorder)),
        ("cancelallorder", post(orders::cancelallorder)),
        ("closeposition", post(orders::closeposition)),
        ("orderstatus", post(orders::orderstatus)),
        ("openposition", post(orders::openposition)),
        ("basketorder", post(orders::basketorder)),
        ("splitorder", post(orders::splitorder)),
        ("margin", post(orders::margin)),
        ("funds", post(account::funds)),
        ("orderbook", post(account::orderbook)),
        ("tradebook", post(account::tradebook)),
        ("positionbook", post(account::positionbook)),
        ("holdings", post(account::holdings)),
        ("analyzer/toggle", post(account::analyzer_toggle)),
        // The market calendar and the session's P&L by symbol (options-gtt-calendar §11, §12).
        ("market/holidays", post(calendar::holidays)),
        ("market/timings", post(calendar::timings)),
        ("pnl/symbols", post(account::pnl_symbols)),
        // Options on the paper market (options reference §2, §5, §7-§9).
        ("optionsymbol", post(options::optionsymbol)),
        ("optionchain", post(options::optionchain)),
        ("optiongreeks", post(options::optiongreeks)),
        ("multioptiongreeks", post(options::multioptiongreeks)),
        ("syntheticfuture", post(options::syntheticfuture)),
        // Chart preferences: GET reads, POST merges (§13).
        ("chart", post(chart::post).get(chart::get)),
        // GTT orders in the paper engine (§10).
        ("placegttorder", post(gtt::placegttorder)),
        ("modifygttorder", post(gtt::modifygttorder)),
        ("cancelgttorder", post(gtt::cancelgttorder)),
        ("gttorderbook", post(gtt::gttorderbook)),
        ("optionsorder", post(options::optionsorder)),
        ("optionsmultiorder", post(options::optionsmultiorder)),
    ]
}

/// `/name` and `/name/` for each POST route, with the JSON 405 for other methods.
fn post_routes(routes: &[(&str, MethodRouter<AppState>)]) -> Router<AppState> {
    routes.iter().fold(Router::new(), |r, (name, m)| {
        let m = m.clone().fallback(method_not_allowed);
        r.route(&format!("{PREFIX}/{name}"), m.clone())
            .route(&format!("{PREFIX}/{name}/"), m)
    })
}

#[derive(Debug)]
pub struct Ping;
impl Endpoint for Ping {
    const FIELDS: &'static [Field] = KEY_ONLY;
    const NEED: Need = Need::Key;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    type Request = ();
    fn parse(_: Map<String, Value>) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The answer never changes, so it is encoded once.
static PONG: LazyLock<Bytes> = LazyLock::new(|| {
    let body = json!({"status": "success", "data": {"message": "pong", "broker": BROKER}});
    Bytes::from(body.to_string())
});

async fn ping(_call: ApiCall<Ping>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        PONG.clone(),
    )
}

/// Unknown paths and wrong methods under `/api/`: JSON, never HTML.
pub async fn not_found(uri: Uri) -> (StatusCode, Json<Value>) {
    let mut body = error_body("Not found");
    body["path"] = Value::String(uri.path().to_string());
    (StatusCode::NOT_FOUND, Json(body))
}

/// Answer for a known path with the wrong method.
pub async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::Status(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The method {method} is not allowed for the requested URL."),
    )
}
