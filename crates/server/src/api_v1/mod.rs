//! `/api/v1`: OpenAlgo's REST API. Handlers are thin: the extractor validates and
//! authenticates, the handler calls one domain operation and shapes OpenAlgo's response.

pub mod account;
pub mod orders;

use axum::Json;
use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::routing::{MethodRouter, post};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorStyle, error_body};
use crate::extract::{ApiCall, Endpoint};
use crate::openalgo::schema::{APIKEY, Field, required};
use crate::state::AppState;

/// The broker name reported by ping and the WebSocket feed.
pub const BROKER: &str = "sandbox";

pub mod market;

pub fn router() -> Router<AppState> {
    let router = Router::new()
        .route("/ping", post(ping).fallback(method_not_allowed))
        .route("/ping/", post(ping).fallback(method_not_allowed))
        // Paper broker: orders (reference §3.3-§3.12, §3.15) and account books (§3.2, §3.16).
        .merge(post_routes(&[
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
        ]));
    market::routes(router).fallback(not_found)
}

/// `/name` and `/name/` for each POST route, with the JSON 405 for other methods.
fn post_routes(routes: &[(&str, MethodRouter<AppState>)]) -> Router<AppState> {
    routes.iter().fold(Router::new(), |r, (name, m)| {
        let m = m.clone().fallback(method_not_allowed);
        r.route(&format!("/{name}"), m.clone())
            .route(&format!("/{name}/"), m)
    })
}

#[derive(Debug)]
pub struct Ping;
impl Endpoint for Ping {
    const FIELDS: &'static [Field] = &[required("apikey", APIKEY)];
    const STYLE: ErrorStyle = ErrorStyle::Dict;
}

async fn ping(_call: ApiCall<Ping>) -> Json<Value> {
    Json(json!({"status": "success", "data": {"message": "pong", "broker": BROKER}}))
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
