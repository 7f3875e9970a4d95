//! The paper account pages' session routes (issue 5 item 5): funds, orders, trades,
//! positions and holdings of the logged-in user, cancel/modify/close, and a server-sent
//! event stream of that user's order updates so the page follows fills live. The JSON is
//! shaped by the same functions as `/api/v1` (the API key never reaches the page).

use std::convert::Infallible;
use std::time::Duration;

use algogate_broker::Exchange;
use algogate_broker::engine::{
    AccountId, Modification, OrderId, OrderUpdate, PositionKey, Product,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;

use super::assets;
use super::error::WebError;
use super::extract::{CsrfSession, CurrentSession};
use crate::openalgo::account::{data_body, positionbook_body};
use crate::openalgo::orders::{cancelled_body, closed_body, modified_body};
use crate::state::AppState;
use algogate_app::session::Session;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/account", get(page))
        .route("/account/api/funds", get(funds))
        .route("/account/api/orders", get(orders))
        .route("/account/api/trades", get(trades))
        .route("/account/api/positions", get(positions))
        .route("/account/api/holdings", get(holdings))
        .route("/account/api/events", get(events))
        .route("/account/api/cancel/{orderid}", post(cancel))
        .route("/account/api/modify/{orderid}", post(modify))
        .route("/account/api/close", post(close))
}

fn account(s: &Session) -> AccountId {
    AccountId(s.user_id.0)
}

async fn page(CurrentSession(_): CurrentSession) -> Response {
    assets::page(assets::ACCOUNT)
}

async fn funds(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    Ok(Json(data_body(st.engine().funds(account(&s)).await?)))
}

async fn orders(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    Ok(Json(data_body(st.engine().orderbook(account(&s)).await?)))
}

async fn trades(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    Ok(Json(data_body(st.engine().tradebook(account(&s)).await?)))
}

async fn positions(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    Ok(Json(positionbook_body(
        st.engine().positionbook(account(&s)).await?,
    )))
}

async fn holdings(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    Ok(Json(data_body(st.engine().holdings(account(&s)).await?)))
}

pub const BAD_ORDER_ID: &str = "Invalid order id: expected 1 to 64 letters, digits or '-'";

/// Order ids are the engine's digits; anything else is refused before the engine.
fn order_id(raw: &str) -> Result<OrderId, WebError> {
    let ok = (1..=64).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(OrderId(raw.to_owned()))
    } else {
        Err(WebError::BadForm(BAD_ORDER_ID.into()))
    }
}

/// The body as a JSON object (an empty body is an empty object).
pub(super) fn object(body: &Bytes) -> Result<Map<String, Value>, WebError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(WebError::BadForm(
            "The request body must be a JSON object".into(),
        )),
    }
}

/// Refuses fields outside `allowed`, naming the first one.
pub(super) fn only(m: &Map<String, Value>, allowed: &[&str]) -> Result<(), WebError> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(WebError::BadForm(format!("Unknown field: {k}"))),
        None => Ok(()),
    }
}

/// A number given as a JSON number or a numeric string.
fn number(m: &Map<String, Value>, k: &str) -> Result<Option<f64>, WebError> {
    let bad = || WebError::BadForm(format!("{k} must be a number"));
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
    .and_then(|v| match v {
        Some(x) if !x.is_finite() => Err(bad()),
        v => Ok(v),
    })
}

fn modification(m: &Map<String, Value>) -> Result<Modification, WebError> {
    only(m, &["quantity", "price", "trigger_price"])?;
    let quantity = match number(m, "quantity")? {
        None => None,
        Some(q) if q >= 1.0 && q.fract() == 0.0 && q <= 1e12 => Some(q as i64),
        Some(_) => {
            return Err(WebError::BadForm(
                "quantity must be a positive whole number".into(),
            ));
        }
    };
    let price = number(m, "price")?;
    let trigger_price = number(m, "trigger_price")?;
    for (k, v) in [("price", price), ("trigger_price", trigger_price)] {
        if v.is_some_and(|x| !(0.0..=1e12).contains(&x)) {
            return Err(WebError::BadForm(format!(
                "{k} must be a non-negative number"
            )));
        }
    }
    if quantity.is_none() && price.is_none() && trigger_price.is_none() {
        return Err(WebError::BadForm(
            "Nothing to modify: give quantity, price or trigger_price".into(),
        ));
    }
    Ok(Modification {
        quantity,
        price,
        trigger_price,
    })
}

async fn cancel(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(raw): Path<String>,
) -> Result<Json<Value>, WebError> {
    let id = order_id(&raw)?;
    st.engine().cancel(account(&s), &id).await?;
    Ok(Json(cancelled_body(&id)))
}

async fn modify(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let id = order_id(&raw)?;
    let m = modification(&object(&body)?)?;
    st.engine().modify(account(&s), &id, m).await?;
    Ok(Json(modified_body(&id)))
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> Result<&'a str, WebError> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| WebError::BadForm(format!("{k} is required")))
}

/// `{"symbol", "exchange", "product"}` closes that position at market; `{"all": true}`
/// closes every open position (as `/api/v1/closeposition`).
async fn close(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let m = object(&body)?;
    if m.get("all") == Some(&Value::Bool(true)) {
        only(&m, &["all"])?;
        let (closed, failed) = st.engine().close_all(account(&s)).await?;
        return Ok(Json(closed_body(closed, failed)));
    }
    only(&m, &["symbol", "exchange", "product"])?;
    let symbol = text(&m, "symbol")?;
    let exchange: Exchange = text(&m, "exchange")?
        .parse()
        .map_err(|_| WebError::BadForm("Invalid exchange".into()))?;
    let product: Product = text(&m, "product")?
        .parse()
        .map_err(|_| WebError::BadForm("Invalid product: use MIS, NRML or CNC".into()))?;
    let key = PositionKey {
        symbol: symbol.to_ascii_uppercase(),
        exchange,
        product,
    };
    let orderid = st.engine().close_position(account(&s), &key).await?;
    Ok(Json(serde_json::json!({
        "status": "success",
        "message": format!("Closed {} {} {}", key.symbol, key.exchange, product),
        "orderid": orderid.0,
        "mode": "analyze",
    })))
}

/// `text/event-stream` of the session user's order updates (`event: order_update`, the
/// feed's payload as data). `event: resync` tells the page it missed some and should
/// reload the books. Ends when the session expires or the server shuts down; the browser's
/// `EventSource` reconnects (and is sent to log in when the session is gone).
async fn events(State(st): State<AppState>, CurrentSession(s): CurrentSession) -> Response {
    let me = account(&s);
    let now_s = st.clock().now_ms() / 1000;
    let life = Duration::from_secs(u64::try_from(s.expires_at - now_s).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + life;
    Sse::new(order_updates(
        st.engine().updates(),
        st.shutdown().watch(),
        me,
        deadline,
    ))
    .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    .into_response()
}

fn order_updates(
    rx: tokio::sync::broadcast::Receiver<OrderUpdate>,
    stop: tokio::sync::watch::Receiver<bool>,
    me: AccountId,
    deadline: tokio::time::Instant,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((rx, stop), move |(mut rx, mut stop)| async move {
        loop {
            if *stop.borrow() {
                return None;
            }
            let next = tokio::select! {
                r = rx.recv() => r,
                _ = stop.changed() => return None,
                () = tokio::time::sleep_until(deadline) => return None,
            };
            let event = match next {
                Ok(u) if u.user_id == me => Event::default().event("order_update").json_data(&u),
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => Ok(Event::default().event("resync").data("lagged")),
                Err(RecvError::Closed) => return None,
            };
            match event {
                Ok(e) => return Some((Ok(e), (rx, stop))),
                Err(e) => tracing::warn!(error = %e, "order update not serializable"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn order_ids_are_short_alphanumeric() {
        assert!(order_id("25010112345678").is_ok());
        for bad in ["", "a b", "../x", "1;2", &"9".repeat(65)] {
            assert!(order_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn modifications_are_checked() {
        let m = modification(&obj(serde_json::json!({"price": "101.5", "quantity": 3}))).unwrap();
        assert_eq!(m.price, Some(101.5));
        assert_eq!(m.quantity, Some(3));
        assert_eq!(m.trigger_price, None);
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"quantity": 0}),
            serde_json::json!({"quantity": 1.5}),
            serde_json::json!({"price": -1}),
            serde_json::json!({"price": "abc"}),
            serde_json::json!({"price": true}),
            serde_json::json!({"colour": 1}),
        ] {
            assert!(modification(&obj(bad.clone())).is_err(), "{bad}");
        }
    }
}
