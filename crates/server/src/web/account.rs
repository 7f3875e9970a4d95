//! The paper account pages' session routes: funds, orders, trades, positions, holdings
//! and active GTTs of the logged-in user, cancel/modify/close, and a server-sent
//! event stream of that user's order updates so the page follows fills live. The JSON is
//! shaped by the same functions as `/api/v1` (the API key never reaches the page).

use std::convert::Infallible;
use std::time::Duration;

use algogate_broker::Exchange;
use algogate_broker::engine::{
    AccountId, Direction, Gtt, GttId, GttKind, GttLeg, GttRequest, Modification, OrderId,
    OrderUpdate, PositionKey, Product,
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
use crate::openalgo::gtt::{gtt_book_body, trigger_body};
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
        .route("/account/api/gtt", get(gtts))
        .route("/account/api/gtt/cancel/{id}", post(cancel_gtt))
        .route("/account/api/gtt/modify/{id}", post(modify_gtt))
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
pub const BAD_TRIGGER_ID: &str = "Invalid trigger id: expected 1 to 64 letters, digits or '-'";

/// Ids are short letters, digits and '-'; anything else is refused before the engine.
fn short_id(raw: &str, message: &str) -> Result<String, WebError> {
    let ok = (1..=64).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(WebError::BadForm(message.into()))
    }
}

fn order_id(raw: &str) -> Result<OrderId, WebError> {
    short_id(raw, BAD_ORDER_ID).map(OrderId)
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

/// A quantity: a positive whole number.
fn quantity(m: &Map<String, Value>) -> Result<Option<i64>, WebError> {
    match number(m, "quantity")? {
        None => Ok(None),
        Some(q) if q >= 1.0 && q.fract() == 0.0 && q <= 1e12 => Ok(Some(q as i64)),
        Some(_) => Err(WebError::BadForm(
            "quantity must be a positive whole number".into(),
        )),
    }
}

fn modification(m: &Map<String, Value>) -> Result<Modification, WebError> {
    only(m, &["quantity", "price", "trigger_price"])?;
    let quantity = quantity(m)?;
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

/// The active GTTs in `gttorderbook`'s shape, each leg also carrying its trigger and the
/// way the price must cross it (the page shows and edits them).
async fn gtts(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    let book = st.engine().gtt_book(account(&s)).await?;
    let mut body = gtt_book_body(&book);
    if let Some(rows) = body.get_mut("data").and_then(Value::as_array_mut) {
        for (row, g) in rows.iter_mut().zip(&book) {
            let legs = row.get_mut("legs").and_then(Value::as_array_mut);
            for (leg, l) in legs.into_iter().flatten().zip(&g.legs) {
                leg["trigger_price"] = Value::from(l.trigger_price);
                leg["direction"] = Value::from(l.direction.as_str());
            }
        }
    }
    Ok(Json(body))
}

async fn cancel_gtt(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(raw): Path<String>,
) -> Result<Json<Value>, WebError> {
    let id = GttId(short_id(&raw, BAD_TRIGGER_ID)?);
    st.engine().cancel_gtt(account(&s), &id).await?;
    Ok(Json(trigger_body(&id)))
}

/// Largest price or trigger accepted (as the order modification's bound).
const MAX_PRICE: f64 = 1e12;

/// A GTT as modified by `{quantity, legs: [{trigger_price, price}, ...]}` (each part
/// optional; the legs, when given, one per leg of the GTT in its order). Symbol, side,
/// kind, product and price type stay; an OCO's stoploss trigger stays below its target's.
fn gtt_change(g: &Gtt, m: &Map<String, Value>) -> Result<GttRequest, WebError> {
    only(m, &["quantity", "legs"])?;
    let bad = |msg: String| WebError::BadForm(msg);
    let quantity = quantity(m)?;
    let legs = match m.get("legs") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.len() == g.legs.len() => Some(
            a.iter()
                .zip(&g.legs)
                .enumerate()
                .map(|(i, (v, old))| {
                    let leg = v
                        .as_object()
                        .ok_or_else(|| bad(format!("legs[{i}] must be an object")))?;
                    only(leg, &["trigger_price", "price"])?;
                    let trigger = number(leg, "trigger_price")?.unwrap_or(old.trigger_price);
                    let price = number(leg, "price")?.unwrap_or(old.price);
                    if !(trigger > 0.0 && trigger <= MAX_PRICE) {
                        return Err(bad(format!(
                            "legs[{i}].trigger_price must be a positive number"
                        )));
                    }
                    if !(0.0..=MAX_PRICE).contains(&price) {
                        return Err(bad(format!(
                            "legs[{i}].price must be a non-negative number"
                        )));
                    }
                    Ok(GttLeg {
                        trigger_price: trigger,
                        direction: old.direction,
                        price,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(bad(format!(
                "legs must be a list of {} leg(s), as the GTT has",
                g.legs.len()
            )));
        }
    };
    if quantity.is_none() && legs.is_none() {
        return Err(bad("Nothing to modify: give quantity or legs".into()));
    }
    let legs = legs.unwrap_or_else(|| g.legs.clone());
    if g.kind == GttKind::Oco
        && let [sl, tg] = legs.as_slice()
        && sl.direction == Direction::Below
        && sl.trigger_price >= tg.trigger_price
    {
        return Err(bad(
            "The stoploss trigger must be less than the target trigger".into(),
        ));
    }
    Ok(GttRequest {
        kind: g.kind,
        symbol: g.symbol.clone(),
        exchange: g.exchange,
        action: g.action,
        quantity: quantity.unwrap_or(g.quantity),
        pricetype: g.pricetype,
        product: g.product,
        legs,
        strategy: g.strategy.clone(),
        expires_ms: Some(g.expires_ms),
    })
}

async fn modify_gtt(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let id = GttId(short_id(&raw, BAD_TRIGGER_ID)?);
    let m = object(&body)?;
    let book = st.engine().gtt_book(account(&s)).await?;
    let g = book
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| WebError::Missing(format!("GTT {} not found or not active", id.0)))?;
    let req = gtt_change(g, &m)?;
    st.engine().modify_gtt(account(&s), &id, &req).await?;
    Ok(Json(trigger_body(&id)))
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

    fn oco() -> Gtt {
        use algogate_broker::engine::{Action, GttStatus, PriceType};
        let leg = |trigger_price, direction, price| GttLeg {
            trigger_price,
            direction,
            price,
        };
        Gtt {
            id: GttId("GTT-260101-0000abcd".into()),
            account: AccountId(1),
            kind: GttKind::Oco,
            symbol: "SBIN".into(),
            exchange: Exchange::Nse,
            action: Action::Sell,
            quantity: 10,
            pricetype: PriceType::Limit,
            product: Product::Cnc,
            legs: vec![
                leg(90.0, Direction::Below, 89.5),
                leg(110.0, Direction::Above, 110.5),
            ],
            strategy: "s".into(),
            last_price: 100.0,
            status: GttStatus::Active,
            fired: None,
            reason: String::new(),
            created_ms: 0,
            updated_ms: 0,
            expires_ms: 1,
        }
    }

    #[test]
    fn gtt_changes_keep_the_shape_and_name_the_bad_field() {
        let g = oco();
        let r = gtt_change(
            &g,
            &obj(serde_json::json!({"quantity": "4",
            "legs": [{"trigger_price": 91}, {"trigger_price": "112", "price": 112.5}]})),
        )
        .unwrap();
        assert_eq!(r.quantity, 4);
        assert_eq!((r.legs[0].trigger_price, r.legs[0].price), (91.0, 89.5));
        assert_eq!((r.legs[1].trigger_price, r.legs[1].price), (112.0, 112.5));
        assert_eq!(
            (r.legs[1].direction, r.symbol.as_str()),
            (Direction::Above, "SBIN")
        );
        let only_qty = gtt_change(&g, &obj(serde_json::json!({"quantity": 2}))).unwrap();
        assert_eq!(only_qty.legs, g.legs);
        for (bad, want) in [
            (serde_json::json!({}), "Nothing to modify"),
            (serde_json::json!({"quantity": 0}), "quantity must be"),
            (
                serde_json::json!({"legs": [{}]}),
                "legs must be a list of 2",
            ),
            (serde_json::json!({"legs": "x"}), "legs must be a list"),
            (
                serde_json::json!({"legs": [1, {}]}),
                "legs[0] must be an object",
            ),
            (
                serde_json::json!({"legs": [{"trigger_price": 0}, {}]}),
                "legs[0].trigger_price",
            ),
            (
                serde_json::json!({"legs": [{}, {"price": -1}]}),
                "legs[1].price",
            ),
            (
                serde_json::json!({"legs": [{"trigger_price": 120}, {}]}),
                "stoploss trigger must be less",
            ),
            (
                serde_json::json!({"legs": [{"colour": 1}, {}]}),
                "Unknown field: colour",
            ),
            (
                serde_json::json!({"symbol": "TCS"}),
                "Unknown field: symbol",
            ),
        ] {
            let got = gtt_change(&g, &obj(bad.clone())).unwrap_err().to_string();
            assert!(got.contains(want), "{bad}: {got}");
        }
        assert!(short_id("GTT-260101-0000abcd", BAD_TRIGGER_ID).is_ok());
        assert!(short_id("../x", BAD_TRIGGER_ID).is_err());
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
