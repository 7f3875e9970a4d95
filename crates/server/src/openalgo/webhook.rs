//! The strategy and Chartink webhooks' wire format (reference §14.3, §15.3): the alert
//! bodies (any content type: TradingView sends `text/plain` for a message that is not
//! JSON to it), the payload as the alert log keeps it (secrets masked), the answers, and
//! the placeorder / placesmartorder call each decision stands for, validated by the same
//! field tables as the API endpoints.

use serde_json::{Map, Value, json};

use algogate_app::orders::{OrderError, OrderKind, OrderOp};
use algogate_app::strategies::{
    Alert, Body, ChartinkAlert, Intent, Reply, Size, StrategyCodec, is_secret_field,
};

use super::checks::check;
use super::orders::{
    OrderCall, PLACE_FIELDS, PLACE_RANGES, SMART_FIELDS, SMART_RANGES, order_error_body,
};
use crate::json::{JsonLimits, parse};

/// Largest webhook body read (a Chartink alert lists its stocks; TradingView caps alert
/// messages at a few KB).
pub const MAX_BODY: usize = 64 * 1024;
/// Longest payload kept in the alert log.
const MAX_LOGGED: usize = 2048;

/// Python truthiness of a parsed body (OpenAlgo's `if not data`).
fn falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn parse_body(bytes: &[u8]) -> Result<Map<String, Value>, bool> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(true);
    }
    match parse(bytes, JsonLimits::UNTRUSTED) {
        Ok(v) if falsy(&v) => Err(true),
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(false),
    }
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        // Python's str() of a number, as upstream's string handling would see it.
        other => Some(other.to_string()),
    }
}

/// Python's `int()` on a JSON value: ints, floats truncated, integer strings (with
/// surrounding spaces); anything else is invalid.
fn py_int(v: &Value) -> Option<Size> {
    Some(match v {
        Value::Null => return None,
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Size::Int(i),
            (None, Some(f)) if f.is_finite() && f.abs() < 9.0e15 => Size::Int(f.trunc() as i64),
            _ => Size::Invalid,
        },
        Value::String(s) => s.trim().parse::<i64>().map_or(Size::Invalid, Size::Int),
        _ => Size::Invalid,
    })
}

/// A strategy alert body.
pub fn strategy_body(bytes: &[u8]) -> Body<Alert> {
    match parse_body(bytes) {
        Err(true) => Body::Empty,
        Err(false) => Body::Invalid,
        Ok(m) => Body::Data(Alert {
            symbol: text(&m, "symbol"),
            action: text(&m, "action"),
            position_size: m.get("position_size").and_then(py_int),
        }),
    }
}

/// A Chartink alert body.
pub fn chartink_body(bytes: &[u8]) -> Body<ChartinkAlert> {
    match parse_body(bytes) {
        Err(true) => Body::Empty,
        Err(false) => Body::Invalid,
        Ok(m) => Body::Data(ChartinkAlert {
            scan_name: text(&m, "scan_name"),
            stocks: text(&m, "stocks"),
        }),
    }
}

fn mask(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if is_secret_field(k) && !val.is_null() {
                    *val = Value::from("***");
                } else {
                    mask(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask),
        _ => {}
    }
}

/// The body as the alert log keeps it: JSON with the values of secret-looking fields
/// (`apikey`, `token`, …) replaced by `***`, cut to 2 KB; other text as received, cut.
pub fn logged_payload(bytes: &[u8]) -> String {
    let mut s = match parse(bytes, JsonLimits::UNTRUSTED) {
        Ok(mut v) => {
            mask(&mut v);
            v.to_string()
        }
        Err(_) => String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_LOGGED)]).into_owned(),
    };
    if s.len() > MAX_LOGGED {
        let mut cut = MAX_LOGGED;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// `/strategy/webhook` answers: `{"message": …}` on success, `{"error": …}` otherwise.
pub fn strategy_answer(reply: &Reply) -> Value {
    match reply {
        Reply::Accepted { symbol, .. } => {
            json!({"message": format!("Order queued successfully for {symbol}")})
        }
        Reply::NotFound => json!({"error": "Invalid webhook ID"}),
        Reply::Refused(r) => json!({"error": r.message()}),
        // Not produced on this route.
        Reply::ChartinkInactive | Reply::Chartink { .. } => json!({"error": "Invalid webhook ID"}),
    }
}

/// `/chartink/webhook` answers.
pub fn chartink_answer(reply: &Reply) -> Value {
    match reply {
        Reply::ChartinkInactive => json!({"status": "success", "message": "Strategy is inactive"}),
        Reply::Chartink { accepted, .. } if accepted.is_empty() => {
            json!({"status": "warning", "message": "No orders were queued"})
        }
        Reply::Chartink { accepted, .. } => {
            let names: Vec<&str> = accepted.iter().map(|(s, _)| s.as_str()).collect();
            json!({"status": "success", "message": format!("Orders queued for symbols: {}", names.join(", "))})
        }
        Reply::NotFound => json!({"status": "error", "error": "Invalid webhook ID"}),
        Reply::Refused(r) => json!({"status": "error", "error": r.message()}),
        Reply::Accepted { .. } => json!({"status": "error", "error": "Invalid webhook ID"}),
    }
}

/// Builds the calls OpenAlgo's webhook sends to `/api/v1/placeorder` and
/// `/api/v1/placesmartorder` (§14.3's payloads) and runs them through those endpoints'
/// own validation, so they are stored and executed exactly as the API's.
#[derive(Debug, Default)]
pub struct WebhookCodec;

impl StrategyCodec for WebhookCodec {
    fn order(
        &self,
        i: &Intent,
        strategy: &str,
    ) -> Result<(OrderOp, Map<String, Value>), OrderError> {
        let mut body = json!({
            // The endpoint tables require the key, which OpenAlgo's webhook fills in with
            // the owner's; this call never authenticates with it (the strategy's key is
            // the caller) and OrderCall drops it.
            "apikey": "strategy-webhook",
            "strategy": strategy,
            "symbol": i.symbol,
            "exchange": i.exchange.as_str(),
            "product": i.product.as_str(),
            "action": i.action.as_str(),
            "pricetype": "MARKET",
            "quantity": i.quantity.to_string(),
        });
        let (fields, ranges) = match i.kind {
            OrderKind::Smart => {
                body["position_size"] = Value::from(i.position_size.to_string());
                for k in ["price", "trigger_price", "disclosed_quantity"] {
                    body[k] = Value::from("0");
                }
                (SMART_FIELDS, SMART_RANGES)
            }
            _ => (PLACE_FIELDS, PLACE_RANGES),
        };
        let fields = check(fields, ranges, true, &body)
            .map_err(|e| OrderError::Unreadable(e.to_python_repr()))?;
        let call = OrderCall::parse(i.kind, fields)?;
        let (op, data) = call.into_parts();
        Ok((op, data()))
    }

    fn error_message(&self, e: &OrderError) -> String {
        order_error_body(e)
            .and_then(|(_, b)| b.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "An unexpected error occurred".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_as_openalgo_reads_them() {
        assert_eq!(strategy_body(b""), Body::Empty);
        assert_eq!(strategy_body(b"{}"), Body::Empty);
        assert_eq!(strategy_body(b"null"), Body::Empty);
        assert_eq!(strategy_body(b"buy SBIN"), Body::Invalid);
        assert_eq!(strategy_body(b"[1]"), Body::Invalid);
        let Body::Data(a) =
            strategy_body(br#"{"symbol":"SBIN","action":"buy","position_size":"-5"}"#)
        else {
            panic!()
        };
        assert_eq!(a.position_size, Some(Size::Int(-5)));
        for (v, want) in [
            ("10.9", Some(Size::Int(10))),
            ("\" 7 \"", Some(Size::Int(7))),
            ("\"10.0\"", Some(Size::Invalid)),
            ("true", Some(Size::Invalid)),
            ("null", None),
        ] {
            let Body::Data(a) =
                strategy_body(format!(r#"{{"symbol":"S","position_size":{v}}}"#).as_bytes())
            else {
                panic!()
            };
            assert_eq!(a.position_size, want, "{v}");
        }
    }

    #[test]
    fn logged_payloads_mask_secrets_and_stay_bounded() {
        let p = logged_payload(br#"{"apikey":"abc123","symbol":"SBIN","nested":{"token":"t"}}"#);
        assert!(!p.contains("abc123") && !p.contains("\"t\""), "{p}");
        assert!(p.contains("SBIN"));
        assert!(logged_payload(&vec![b'x'; 100_000]).len() <= MAX_LOGGED + 4);
    }
}
