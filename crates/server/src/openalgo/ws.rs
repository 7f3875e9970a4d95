//! OpenAlgo's WebSocket protocol as pure functions: client messages parsed into
//! [`Request`], every server message built as a JSON string, and market data encoded from a
//! [`Tick`] once per mode. No sockets, no state; the session and the hub call these.
//!
//! Reference: shared/reference/openalgo-ws-sdk-ui.md §1 (messages, codes and texts are exact).

use crate::openalgo::python::{py_repr, py_str};
use algogate_broker::{Tick, round2};
use serde_json::{Map, Value, json};

/// The broker name every message carries.
pub const BROKER: &str = "sandbox";
/// Depth levels the paper broker quotes.
pub const DEPTH_LEVELS: u64 = 5;
/// Depth levels a client may ask for; larger ones fall back to [`DEPTH_LEVELS`].
pub const ACCEPTED_DEPTHS: [u64; 4] = [5, 20, 30, 50];

pub mod code {
    pub const AUTHENTICATION_ERROR: &str = "AUTHENTICATION_ERROR";
    pub const NOT_AUTHENTICATED: &str = "NOT_AUTHENTICATED";
    pub const INVALID_MODE: &str = "INVALID_MODE";
    pub const INVALID_PARAMETERS: &str = "INVALID_PARAMETERS";
    pub const INVALID_ACTION: &str = "INVALID_ACTION";
    pub const INVALID_JSON: &str = "INVALID_JSON";
    pub const SERVER_ERROR: &str = "SERVER_ERROR";
    /// The key lacks a scope (or its IP allowlist refuses): ours, named like the others.
    pub const PERMISSION_DENIED: &str = "PERMISSION_DENIED";
}

/// Close codes this server uses.
pub mod close {
    /// No authentication within the grace period (OpenAlgo's code), or the key was revoked.
    pub const AUTH: u16 = 4401;
    /// The client did not drain its queue: dropped so it cannot slow the others.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// No pong to a protocol ping within the interval (as Python's `websockets`).
    pub const KEEPALIVE_TIMEOUT: u16 = 1011;
}

/// Subscription mode. The integer is what `market_data.mode` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Ltp = 1,
    Quote = 2,
    Depth = 3,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Ltp, Mode::Quote, Mode::Depth];

    pub fn number(self) -> u8 {
        self as u8
    }

    /// The label subscribe acks use.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Ltp => "LTP",
            Mode::Quote => "Quote",
            Mode::Depth => "Depth",
        }
    }

    /// Bit in a per-client mode mask.
    pub fn bit(self) -> u8 {
        1 << (self as u8 - 1)
    }

    /// The highest mode in a non-empty mask.
    pub fn highest(mask: u8) -> Option<Mode> {
        Mode::ALL.into_iter().rev().find(|m| mask & m.bit() != 0)
    }

    fn from_number(n: i64) -> Option<Mode> {
        match n {
            1 => Some(Mode::Ltp),
            2 => Some(Mode::Quote),
            3 => Some(Mode::Depth),
            _ => None,
        }
    }

    /// OpenAlgo's `mode_utils`: 1/2/3 or a label in any case (whitespace stripped). The
    /// error is the exact text OpenAlgo sends with `INVALID_MODE`.
    pub fn parse(v: &Value) -> Result<Mode, String> {
        match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Mode::from_number(i).ok_or_else(|| {
                    format!("Invalid mode {i}; expected 1 (LTP), 2 (Quote), or 3 (Depth)")
                }),
                None if n.is_u64() => Err(format!(
                    "Invalid mode {n}; expected 1 (LTP), 2 (Quote), or 3 (Depth)"
                )),
                None => Err("Mode must be int or str, got float".into()),
            },
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "ltp" => Ok(Mode::Ltp),
                "quote" => Ok(Mode::Quote),
                "depth" => Ok(Mode::Depth),
                _ => Err(format!(
                    "Invalid mode {}; expected 'LTP', 'Quote', or 'Depth' (case-insensitive)",
                    py_repr(s)
                )),
            },
            Value::Bool(b) => Err(format!(
                "Mode must be int or str, got bool ({})",
                if *b { "True" } else { "False" }
            )),
            Value::Null => Err("Mode must be int or str, got NoneType".into()),
            Value::Array(_) => Err("Mode must be int or str, got list".into()),
            Value::Object(_) => Err("Mode must be int or str, got dict".into()),
        }
    }
}

/// One instrument named by a client (strings as sent; parsed by the session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    pub symbol: String,
    pub exchange: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnsubItem {
    pub instrument: Instrument,
    pub mode: Result<Mode, String>,
}

/// A parsed client message. Fields keep what the session needs to answer exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `authenticate` / `auth`; `None` when neither `api_key` nor `apikey` is a non-empty
    /// string.
    Auth {
        key: Option<String>,
    },
    Subscribe {
        mode: Result<Mode, String>,
        /// `None` when the message names no symbols at all.
        items: Option<Vec<Instrument>>,
        depth: Value,
        request_id: Option<Value>,
    },
    Unsubscribe {
        /// `None` when the message names no symbols at all.
        items: Option<Vec<UnsubItem>>,
        request_id: Option<Value>,
    },
    UnsubscribeAll {
        request_id: Option<Value>,
    },
    SubscribeOrders {
        request_id: Option<Value>,
    },
    UnsubscribeOrders {
        request_id: Option<Value>,
    },
    GetBrokerInfo,
    GetSupportedBrokers,
    Ping {
        timestamp: Option<Value>,
        ping_id: Option<Value>,
    },
    /// Anything else: the text after `Invalid action: `.
    Unknown(String),
}

impl Request {
    /// Whether the action may be used before authenticating.
    pub fn needs_auth(&self) -> bool {
        !matches!(
            self,
            Request::Auth { .. } | Request::Ping { .. } | Request::GetSupportedBrokers
        )
    }
}

/// Parses one text frame. `Err` is the complete error message to send back.
pub fn parse(text: &str) -> Result<Request, String> {
    let Ok(Value::Object(m)) =
        crate::json::parse(text.as_bytes(), crate::json::JsonLimits::UNTRUSTED)
    else {
        return Err(error(code::INVALID_JSON, "Invalid JSON message"));
    };
    let action = m.get("action").or_else(|| m.get("type"));
    let request_id = m.get("request_id").filter(|v| !v.is_null()).cloned();
    let req = match action.and_then(Value::as_str) {
        Some("authenticate" | "auth") => Request::Auth {
            key: ["api_key", "apikey"]
                .iter()
                .filter_map(|k| m.get(*k).and_then(Value::as_str))
                .find(|s| !s.is_empty())
                .map(str::to_owned),
        },
        Some("subscribe") => Request::Subscribe {
            mode: Mode::parse(m.get("mode").unwrap_or(&json!(2))),
            items: instruments(&m),
            depth: m.get("depth").cloned().unwrap_or(json!(DEPTH_LEVELS)),
            request_id,
        },
        Some("unsubscribe") if truthy(m.get("unsubscribe_all")) => {
            Request::UnsubscribeAll { request_id }
        }
        Some("unsubscribe") => Request::Unsubscribe {
            items: unsub_items(&m),
            request_id,
        },
        Some("unsubscribe_all") => Request::UnsubscribeAll { request_id },
        Some("subscribe_orders") => Request::SubscribeOrders { request_id },
        Some("unsubscribe_orders") => Request::UnsubscribeOrders { request_id },
        Some("get_broker_info") => Request::GetBrokerInfo,
        Some("get_supported_brokers") => Request::GetSupportedBrokers,
        Some("ping") => Request::Ping {
            timestamp: m.get("timestamp").cloned(),
            ping_id: m.get("_pingId").cloned(),
        },
        _ => Request::Unknown(py_str(action.unwrap_or(&Value::Null))),
    };
    Ok(req)
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

fn instrument_of(m: &Map<String, Value>) -> Option<Instrument> {
    let s = m
        .get("symbol")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let e = m
        .get("exchange")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    Some(Instrument {
        symbol: s?.to_owned(),
        exchange: e?.to_owned(),
    })
}

/// The list form (`symbols`) if it is a non-empty list, else the single form. Items
/// without a symbol or exchange are skipped, as OpenAlgo does.
fn listed(m: &Map<String, Value>) -> Option<Vec<&Map<String, Value>>> {
    match m.get("symbols") {
        Some(Value::Array(list)) if !list.is_empty() => {
            Some(list.iter().filter_map(Value::as_object).collect())
        }
        _ => None,
    }
}

fn instruments(m: &Map<String, Value>) -> Option<Vec<Instrument>> {
    match listed(m) {
        Some(items) => Some(items.into_iter().filter_map(instrument_of).collect()),
        None => instrument_of(m).map(|i| vec![i]),
    }
}

fn unsub_items(m: &Map<String, Value>) -> Option<Vec<UnsubItem>> {
    let default_mode = json!(2);
    match listed(m) {
        // Each item's own mode (default 2); a top-level mode is ignored in this form.
        Some(items) => Some(
            items
                .into_iter()
                .filter_map(|it| {
                    Some(UnsubItem {
                        instrument: instrument_of(it)?,
                        mode: Mode::parse(it.get("mode").unwrap_or(&default_mode)),
                    })
                })
                .collect(),
        ),
        None => instrument_of(m).map(|instrument| {
            vec![UnsubItem {
                instrument,
                mode: Mode::parse(m.get("mode").unwrap_or(&default_mode)),
            }]
        }),
    }
}

/// The depth to use for a requested value: 5, 20, 30 and 50 are accepted and served at the
/// paper broker's 5 levels (the ack reports the depth actually used); anything else is a
/// per-symbol error.
pub fn depth_used(requested: &Value) -> Result<u64, String> {
    match requested.as_u64() {
        Some(d) if ACCEPTED_DEPTHS.contains(&d) => Ok(DEPTH_LEVELS),
        _ => Err(format!(
            "Invalid depth level {}. Must be 5, 20, 30 or 50",
            py_str(requested)
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Server messages

/// An error: exactly `status`, `code`, `message` (no `type`).
pub fn error(code: &str, message: &str) -> String {
    json!({"status": "error", "code": code, "message": message}).to_string()
}

pub fn not_authenticated() -> String {
    error(code::NOT_AUTHENTICATED, "You must authenticate first")
}

pub fn invalid_action(action: &str) -> String {
    error(code::INVALID_ACTION, &format!("Invalid action: {action}"))
}

pub fn auth_success(user_id: &str) -> String {
    json!({
        "type": "auth",
        "status": "success",
        "message": "Authentication successful",
        "broker": BROKER,
        "user_id": user_id,
        "supported_features": {"ltp": true, "quote": true, "depth": true},
    })
    .to_string()
}

fn with_request_id(mut v: Value, request_id: Option<&Value>) -> String {
    if let (Some(id), Value::Object(m)) = (request_id, &mut v) {
        m.insert("request_id".into(), id.clone());
    }
    v.to_string()
}

/// One line of a subscribe ack.
#[derive(Debug, Clone, PartialEq)]
pub enum SubResult {
    Ok {
        instrument: Instrument,
        mode: Mode,
        depth: u64,
    },
    Failed {
        instrument: Instrument,
        message: String,
    },
}

pub fn subscribe_ack(results: &[SubResult], request_id: Option<&Value>) -> String {
    let any_failed = results
        .iter()
        .any(|r| matches!(r, SubResult::Failed { .. }));
    let subs: Vec<Value> = results
        .iter()
        .map(|r| match r {
            SubResult::Ok {
                instrument,
                mode,
                depth,
            } => json!({
                "symbol": instrument.symbol,
                "exchange": instrument.exchange,
                "status": "success",
                "mode": mode.label(),
                "depth": depth,
                "broker": BROKER,
            }),
            SubResult::Failed {
                instrument,
                message,
            } => json!({
                "symbol": instrument.symbol,
                "exchange": instrument.exchange,
                "status": "error",
                "message": message,
                "broker": BROKER,
            }),
        })
        .collect();
    with_request_id(
        json!({
            "type": "subscribe",
            "status": if any_failed { "partial" } else { "success" },
            "subscriptions": subs,
            "message": "Subscription processing complete",
            "broker": BROKER,
        }),
        request_id,
    )
}

/// An unsubscribe (or unsubscribe_all) ack. `failed` carries each item's message.
pub fn unsubscribe_ack(
    successful: &[Instrument],
    failed: &[(Instrument, String)],
    request_id: Option<&Value>,
) -> String {
    let status = match (successful.is_empty(), failed.is_empty()) {
        (_, true) => "success",
        (false, false) => "partial",
        (true, false) => "error",
    };
    let ok: Vec<Value> = successful
        .iter()
        .map(|i| json!({"symbol": i.symbol, "exchange": i.exchange, "status": "success", "broker": BROKER}))
        .collect();
    let bad: Vec<Value> = failed
        .iter()
        .map(|(i, message)| {
            json!({"symbol": i.symbol, "exchange": i.exchange, "status": "error", "message": message, "broker": BROKER})
        })
        .collect();
    with_request_id(
        json!({
            "type": "unsubscribe",
            "status": status,
            "message": "Unsubscription processing complete",
            "successful": ok,
            "failed": bad,
            "broker": BROKER,
        }),
        request_id,
    )
}

pub fn broker_info(user_id: &str) -> String {
    json!({
        "type": "broker_info",
        "status": "success",
        "broker": BROKER,
        "adapter_status": "connected",
        "user_id": user_id,
    })
    .to_string()
}

pub fn supported_brokers() -> String {
    json!({"type": "supported_brokers", "status": "success", "brokers": [BROKER], "count": 1})
        .to_string()
}

pub fn pong(server_ms: i64, timestamp: Option<&Value>, ping_id: Option<&Value>) -> String {
    let mut m = Map::new();
    m.insert("type".into(), json!("pong"));
    m.insert("status".into(), json!("success"));
    m.insert("server_timestamp".into(), json!(server_ms));
    if let Some(t) = timestamp {
        m.insert("client_timestamp".into(), t.clone());
    }
    if let Some(p) = ping_id {
        m.insert("_pingId".into(), p.clone());
    }
    Value::Object(m).to_string()
}

pub fn orders_ack(subscribed: bool, request_id: Option<&Value>) -> String {
    let (ty, msg) = if subscribed {
        ("subscribe_orders", "Subscribed to order updates")
    } else {
        ("unsubscribe_orders", "Unsubscribed from order updates")
    };
    with_request_id(
        json!({"type": ty, "status": "success", "message": msg}),
        request_id,
    )
}

/// The `market_data` message for `tick` at `mode`, encoded once and shared by every client
/// that receives it at that mode.
///
/// `data` carries the union of the names OpenAlgo's adapters, the SDK and the web UI use
/// (reference §1.7) for everything the paper market models; see docs/ARCHITECTURE.md for
/// the names it leaves out (average price, circuits, orders per level).
pub fn market_data(tick: &Tick, mode: Mode) -> String {
    let mut d = Map::new();
    d.insert("ltp".into(), json!(tick.ltp));
    d.insert("ltt".into(), json!(tick.timestamp));
    d.insert("timestamp".into(), json!(tick.timestamp));
    if mode == Mode::Ltp {
        d.insert("symbol".into(), json!(tick.symbol));
        d.insert("exchange".into(), json!(tick.exchange));
        d.insert("mode".into(), json!(1));
    } else {
        let change = tick.ltp - tick.close;
        let change_percent = if tick.close > 0.0 {
            round2(change / tick.close * 100.0)
        } else {
            0.0
        };
        let change = round2(change);
        for (k, v) in [
            ("open", json!(tick.open)),
            ("high", json!(tick.high)),
            ("low", json!(tick.low)),
            ("close", json!(tick.close)),
            ("volume", json!(tick.volume)),
            ("last_trade_quantity", json!(tick.ltq)),
            ("last_quantity", json!(tick.ltq)),
            ("total_buy_quantity", json!(tick.totalbuyqty)),
            ("total_sell_quantity", json!(tick.totalsellqty)),
            ("oi", json!(tick.oi)),
            ("open_interest", json!(tick.oi)),
            ("change", json!(change)),
            ("change_percent", json!(change_percent)),
            ("price_change", json!(change)),
            ("price_change_percent", json!(change_percent)),
            ("bid_price", json!(tick.bid)),
            ("ask_price", json!(tick.ask)),
            ("bid_size", json!(tick.bid_qty)),
            ("ask_size", json!(tick.ask_qty)),
        ] {
            d.insert(k.into(), v);
        }
        if mode == Mode::Depth {
            let side = |levels: &[algogate_broker::DepthLevel]| -> Vec<Value> {
                levels
                    .iter()
                    .map(|l| json!({"price": l.price, "quantity": l.quantity}))
                    .collect()
            };
            d.insert(
                "depth".into(),
                json!({"buy": side(&tick.bids), "sell": side(&tick.asks)}),
            );
        }
    }
    json!({
        "type": "market_data",
        "symbol": tick.symbol,
        "exchange": tick.exchange,
        "mode": mode.number(),
        "data": d,
        "broker": BROKER,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn modes_parse_as_openalgo_does() {
        assert_eq!(Mode::parse(&json!(1)), Ok(Mode::Ltp));
        assert_eq!(Mode::parse(&json!(" dEpTh ")), Ok(Mode::Depth));
        assert_eq!(Mode::parse(&json!("Quote")), Ok(Mode::Quote));
        assert_eq!(
            Mode::parse(&json!(7)).unwrap_err(),
            "Invalid mode 7; expected 1 (LTP), 2 (Quote), or 3 (Depth)"
        );
        assert_eq!(
            Mode::parse(&json!("zzz")).unwrap_err(),
            "Invalid mode 'zzz'; expected 'LTP', 'Quote', or 'Depth' (case-insensitive)"
        );
        assert_eq!(
            Mode::parse(&json!(true)).unwrap_err(),
            "Mode must be int or str, got bool (True)"
        );
        assert_eq!(
            Mode::parse(&json!(1.0)).unwrap_err(),
            "Mode must be int or str, got float"
        );
        assert!(Mode::parse(&json!(null)).is_err());
        assert!(Mode::parse(&json!(u64::MAX)).is_err());
    }

    #[test]
    fn highest_mode_of_a_mask() {
        assert_eq!(Mode::highest(0), None);
        assert_eq!(
            Mode::highest(Mode::Ltp.bit() | Mode::Quote.bit()),
            Some(Mode::Quote)
        );
        assert_eq!(Mode::highest(0b111), Some(Mode::Depth));
    }

    #[test]
    fn dispatch_reads_action_then_type() {
        assert_eq!(
            parse(r#"{"type":"auth","apikey":"k"}"#).unwrap(),
            Request::Auth {
                key: Some("k".into())
            }
        );
        assert_eq!(
            parse(r#"{"action":"authenticate","api_key":""}"#).unwrap(),
            Request::Auth { key: None }
        );
        assert_eq!(parse("{}").unwrap(), Request::Unknown("None".into()));
        assert_eq!(
            parse(r#"{"action":"dance"}"#).unwrap(),
            Request::Unknown("dance".into())
        );
        assert_eq!(
            parse(r#"{"action":5}"#).unwrap(),
            Request::Unknown("5".into())
        );
        for bad in ["", "not json", "[1]", "\"x\"", "{\"a\":"] {
            assert_eq!(
                v(&parse(bad).unwrap_err()),
                json!({"status":"error","code":"INVALID_JSON","message":"Invalid JSON message"})
            );
        }
    }

    #[test]
    fn subscribe_forms() {
        let r = parse(r#"{"action":"subscribe","symbols":[{"symbol":"A","exchange":"NSE","mode":3},{"symbol":"B"}],"mode":"ltp","request_id":"r1"}"#).unwrap();
        assert_eq!(
            r,
            Request::Subscribe {
                mode: Ok(Mode::Ltp),
                items: Some(vec![Instrument {
                    symbol: "A".into(),
                    exchange: "NSE".into()
                }]),
                depth: json!(5),
                request_id: Some(json!("r1")),
            }
        );
        let Request::Subscribe { mode, items, .. } =
            parse(r#"{"action":"subscribe","symbol":"A","exchange":"NSE"}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(mode, Ok(Mode::Quote));
        assert_eq!(items.unwrap().len(), 1);
        let Request::Subscribe { items, .. } = parse(r#"{"action":"subscribe"}"#).unwrap() else {
            panic!()
        };
        assert_eq!(items, None);
    }

    #[test]
    fn unsubscribe_list_form_ignores_the_top_level_mode() {
        let Request::Unsubscribe { items, .. } = parse(
            r#"{"action":"unsubscribe","symbols":[{"symbol":"A","exchange":"NSE"},{"symbol":"B","exchange":"NSE","mode":"x"}],"mode":1}"#,
        )
        .unwrap() else {
            panic!()
        };
        let items = items.unwrap();
        assert_eq!(items[0].mode, Ok(Mode::Quote));
        assert!(items[1].mode.is_err());
        assert_eq!(
            parse(r#"{"action":"unsubscribe","unsubscribe_all":true}"#).unwrap(),
            Request::UnsubscribeAll { request_id: None }
        );
    }

    #[test]
    fn acks_have_openalgo_shapes() {
        let a = Instrument {
            symbol: "A".into(),
            exchange: "NSE".into(),
        };
        let ack = v(&subscribe_ack(
            &[
                SubResult::Ok {
                    instrument: a.clone(),
                    mode: Mode::Depth,
                    depth: 5,
                },
                SubResult::Failed {
                    instrument: a.clone(),
                    message: "nope".into(),
                },
            ],
            Some(&json!(7)),
        ));
        assert_eq!(
            ack,
            json!({"type":"subscribe","status":"partial","subscriptions":[
                {"symbol":"A","exchange":"NSE","status":"success","mode":"Depth","depth":5,"broker":"sandbox"},
                {"symbol":"A","exchange":"NSE","status":"error","message":"nope","broker":"sandbox"}],
                "message":"Subscription processing complete","broker":"sandbox","request_id":7})
        );
        let keys: Vec<_> = ack.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "type",
                "status",
                "subscriptions",
                "message",
                "broker",
                "request_id"
            ]
        );
        assert_eq!(
            v(&unsubscribe_ack(&[], &[(a.clone(), "m".into())], None))["status"],
            "error"
        );
        assert_eq!(
            v(&unsubscribe_ack(
                std::slice::from_ref(&a),
                &[(a.clone(), "m".into())],
                None
            ))["status"],
            "partial"
        );
        assert_eq!(
            v(&pong(5, Some(&json!(1)), None)),
            json!({"type":"pong","status":"success","server_timestamp":5,"client_timestamp":1})
        );
    }

    #[test]
    fn depth_falls_back_to_five_levels() {
        assert_eq!(depth_used(&json!(5)), Ok(5));
        assert_eq!(depth_used(&json!(50)), Ok(5));
        assert_eq!(
            depth_used(&json!(7)).unwrap_err(),
            "Invalid depth level 7. Must be 5, 20, 30 or 50"
        );
        assert!(depth_used(&json!("x")).is_err());
    }

    fn tick() -> Tick {
        let lvl = |p: f64| algogate_broker::DepthLevel {
            price: p,
            quantity: 10,
        };
        Tick {
            symbol: "SBIN".into(),
            exchange: algogate_broker::Exchange::Nse,
            token: "3045".into(),
            ltp: 101.0,
            ltq: 5,
            open: 99.0,
            high: 102.0,
            low: 98.5,
            close: 100.0,
            prev_close: 100.0,
            volume: 1234,
            oi: 0,
            bid: 100.95,
            ask: 101.05,
            bid_qty: 10,
            ask_qty: 10,
            totalbuyqty: 50,
            totalsellqty: 50,
            bids: [100.95, 100.9, 100.85, 100.8, 100.75].map(lvl),
            asks: [101.05, 101.1, 101.15, 101.2, 101.25].map(lvl),
            timestamp: 1_764_000_000_123,
        }
    }

    #[test]
    fn market_data_per_mode() {
        let t = tick();
        let l = v(&market_data(&t, Mode::Ltp));
        assert_eq!(
            l,
            json!({"type": "market_data", "symbol": "SBIN", "exchange": "NSE", "mode": 1,
                "data": {"ltp": 101.0, "ltt": 1_764_000_000_123_i64, "timestamp": 1_764_000_000_123_i64,
                    "symbol": "SBIN", "exchange": "NSE", "mode": 1},
                "broker": "sandbox"})
        );
        let q = v(&market_data(&t, Mode::Quote));
        assert_eq!(q["mode"], 2);
        assert_eq!(q["data"]["change"], 1.0);
        assert_eq!(q["data"]["change_percent"], 1.0);
        assert_eq!(q["data"]["total_buy_quantity"], 50);
        assert_eq!(q["data"]["bid_price"], 100.95);
        assert!(q["data"].get("depth").is_none());
        let d = v(&market_data(&t, Mode::Depth));
        assert_eq!(
            d["data"]["depth"]["buy"][0],
            json!({"price": 100.95, "quantity": 10})
        );
        assert_eq!(
            d["data"]["depth"]["sell"][4],
            json!({"price": 101.25, "quantity": 10})
        );
        assert_eq!(d["data"]["volume"], 1234);
    }

    #[test]
    fn python_str_and_repr() {
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_str(&json!([true, null, "a"])), "[True, None, 'a']");
    }
}
