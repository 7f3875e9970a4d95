//! GTT orders on the wire (reference/openalgo-options-gtt-calendar.md §10): the place and
//! modify schema (unknown keys dropped, `""` triggers as 0, `""` limits as null), its
//! field and cross-field messages, the cancel schema, the typed request, and the bodies.
//! Errors are style S with `"mode": "analyze"` (this broker is always the sandbox).

use algogate_broker::Exchange;
use algogate_broker::engine::{
    Action, Direction, Gtt, GttId, GttKind, GttLeg, GttRequest, PriceType, Product,
};
use algogate_broker::time::{IST_OFFSET_SECS, ist};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};

use super::checks::{Range, check};
use super::schema::{
    ACTIONS, APIKEY, EXCHANGES, Field, Kind, SchemaErrors, TEXT, optional, required,
};

const fn nullable(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: true,
    }
}

/// marshmallow's `Length(min=1)` (no maximum; the body limit bounds it).
const TRIGGER_ID: Kind = Kind::Str {
    min: 1,
    max: usize::MAX,
};

macro_rules! gtt_fields {
    ([$($id:expr),*], [$($tail:expr),*]) => {
        &[
            required("apikey", APIKEY),
            required("strategy", TEXT),
            $($id,)*
            required("trigger_type", TEXT),
            required("exchange", EXCHANGES),
            required("symbol", TEXT),
            required("action", ACTIONS),
            required("product", TEXT),
            required("quantity", Kind::Float),
            optional("pricetype", Kind::OneOf(&["LIMIT", "MARKET"])),
            required("price", Kind::Float),
            optional("triggerprice_sl", Kind::Float),
            optional("triggerprice_tg", Kind::Float),
            nullable("stoploss", Kind::Float),
            nullable("target", Kind::Float),
            $($tail,)*
        ]
    };
}

pub const PLACE_GTT_FIELDS: &[Field] = gtt_fields!([], [nullable("expires_at", TEXT)]);
pub const MODIFY_GTT_FIELDS: &[Field] = gtt_fields!([required("trigger_id", TRIGGER_ID)], []);
pub const CANCEL_GTT_FIELDS: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("trigger_id", TRIGGER_ID),
];

const RANGES: &[(&str, Range)] = &[
    (
        "quantity",
        Range::Positive("Quantity must be a positive number."),
    ),
    (
        "price",
        Range::NonNegative("Price must be a non-negative number."),
    ),
    (
        "triggerprice_sl",
        Range::NonNegative("triggerprice_sl must be non-negative."),
    ),
    (
        "triggerprice_tg",
        Range::NonNegative("triggerprice_tg must be non-negative."),
    ),
];

const PRODUCT_MSG: &str =
    "GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only.";

/// The declared keys only (upstream's schema drops the rest), with its blank-value rules:
/// `""` triggers read as 0, `""` limits as null.
fn declared(fields: &[Field], body: &Value) -> Value {
    let Some(obj) = body.as_object() else {
        return body.clone();
    };
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = obj.get(f.name) {
            let v = match (f.name, v) {
                ("triggerprice_sl" | "triggerprice_tg", Value::String(s)) if s.is_empty() => {
                    Value::from(0.0)
                }
                ("stoploss" | "target", Value::String(s)) if s.is_empty() => Value::Null,
                _ => v.clone(),
            };
            out.insert(f.name.to_owned(), v);
        }
    }
    Value::Object(out)
}

fn num(m: &Map<String, Value>, k: &str) -> f64 {
    m.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Validates a place or modify body: fields (kinds, ranges, the trigger type and product
/// rules) in declaration order, then the schema's cross-field rules. Returns the
/// normalised fields (trigger type and action upper-cased, defaults filled).
pub fn check_gtt(fields: &[Field], body: &Value) -> Result<Map<String, Value>, SchemaErrors> {
    let input = declared(fields, body);
    let mut result = check(fields, RANGES, false, &input);
    if let Some(obj) = input.as_object() {
        let mut extra = Vec::new();
        if let Some(Value::String(t)) = obj.get("trigger_type")
            && !matches!(t.to_ascii_uppercase().as_str(), "SINGLE" | "OCO")
        {
            extra.push(("trigger_type", "Must be 'SINGLE' or 'OCO'."));
        }
        if let Some(Value::String(p)) = obj.get("product")
            && !matches!(p.as_str(), "CNC" | "NRML")
        {
            extra.push(("product", PRODUCT_MSG));
        }
        if !extra.is_empty() {
            let mut errors = result.err().unwrap_or_default();
            for (f, m) in extra {
                errors.push(f, m);
            }
            let pos = |f: &str| {
                fields
                    .iter()
                    .position(|x| x.name == f)
                    .unwrap_or(usize::MAX)
            };
            errors.0.sort_by_key(|(f, _)| pos(f));
            result = Err(errors);
        }
    }
    let mut m = result?;
    let q = num(&m, "quantity");
    if q.fract() != 0.0 && m.get("exchange").and_then(Value::as_str) != Some("CRYPTO") {
        return Err(SchemaErrors::single(
            "quantity",
            format!("Fractional quantity ({q}) is not allowed for non-crypto exchanges."),
        ));
    }
    let kind = m["trigger_type"]
        .as_str()
        .unwrap_or("")
        .to_ascii_uppercase();
    m.insert("trigger_type".into(), Value::from(kind.clone()));
    let action = m["action"].as_str().unwrap_or("").to_ascii_uppercase();
    m.insert("action".into(), Value::from(action));
    m.entry("pricetype").or_insert_with(|| Value::from("LIMIT"));
    let (sl, tg) = (num(&m, "triggerprice_sl"), num(&m, "triggerprice_tg"));
    let nonzero = |m: &Map<String, Value>, k: &str| {
        m.get(k).and_then(Value::as_f64).is_some_and(|x| x != 0.0)
    };
    if kind == "OCO" {
        for (k, msg) in [
            ("triggerprice_sl", "Required for OCO (stoploss trigger)."),
            ("stoploss", "Required for OCO (stoploss leg limit)."),
            ("triggerprice_tg", "Required for OCO (target trigger)."),
            ("target", "Required for OCO (target leg limit)."),
        ] {
            if !nonzero(&m, k) {
                return Err(SchemaErrors::single(k, msg));
            }
        }
        if sl >= tg {
            return Err(SchemaErrors::single(
                "triggerprice_sl",
                "Stoploss trigger must be less than target trigger (triggerprice_tg).",
            ));
        }
        m.insert("trigger_price".into(), Value::from(tg));
    } else {
        if sl <= 0.0 && tg <= 0.0 {
            return Err(SchemaErrors::single(
                "triggerprice_sl",
                "SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg.",
            ));
        }
        // Both given: the stoploss trigger is kept, as upstream does.
        let (sl, tg) = if sl > 0.0 {
            (Some(sl), None)
        } else {
            (None, Some(tg))
        };
        m.insert(
            "triggerprice_sl".into(),
            sl.map_or(Value::Null, Value::from),
        );
        m.insert(
            "triggerprice_tg".into(),
            tg.map_or(Value::Null, Value::from),
        );
        m.insert("stoploss".into(), Value::Null);
        m.insert("target".into(), Value::Null);
        m.insert(
            "trigger_price".into(),
            Value::from(sl.or(tg).unwrap_or(0.0)),
        );
    }
    if q.fract() == 0.0 {
        m.insert("quantity".into(), Value::from(q as i64));
    }
    Ok(m)
}

/// `expires_at` as the sandbox reads it: ISO-8601 (an offset is honoured), then
/// `YYYY-MM-DD HH:MM:SS`, then `YYYY-MM-DD`; a time without an offset is IST. Anything
/// else is `None` (the default lifetime).
pub fn expires_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    Some((naive.and_utc().timestamp() - IST_OFFSET_SECS) * 1000)
}

/// Why a validated body is not an order the paper engine can hold.
pub fn gtt_request(m: &Map<String, Value>) -> Result<GttRequest, String> {
    let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("");
    let exchange: Exchange = s("exchange")
        .parse()
        .map_err(|_| "Invalid exchange".to_owned())?;
    let q = num(m, "quantity");
    if q.fract() != 0.0 {
        return Err("Fractional quantities are not supported by the paper broker".into());
    }
    let kind = if s("trigger_type") == "OCO" {
        GttKind::Oco
    } else {
        GttKind::Single
    };
    let price = num(m, "price");
    let limit = |k: &str| Some(num(m, k)).filter(|x| *x > 0.0).unwrap_or(price);
    let (sl, tg) = (num(m, "triggerprice_sl"), num(m, "triggerprice_tg"));
    let leg = |trigger_price, direction, price| GttLeg {
        trigger_price,
        direction,
        price,
    };
    let legs = match kind {
        GttKind::Oco => vec![
            leg(sl, Direction::Below, limit("stoploss")),
            leg(tg, Direction::Above, limit("target")),
        ],
        GttKind::Single if sl > 0.0 => vec![leg(sl, Direction::Below, price)],
        GttKind::Single => vec![leg(tg, Direction::Above, price)],
    };
    Ok(GttRequest {
        kind,
        symbol: s("symbol").to_owned(),
        exchange,
        action: if s("action") == "SELL" {
            Action::Sell
        } else {
            Action::Buy
        },
        quantity: q as i64,
        pricetype: if s("pricetype") == "MARKET" {
            PriceType::Market
        } else {
            PriceType::Limit
        },
        product: if s("product") == "NRML" {
            Product::Nrml
        } else {
            Product::Cnc
        },
        legs,
        strategy: s("strategy").to_owned(),
        expires_ms: m
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(expires_ms),
    })
}

pub fn trigger_id(m: &Map<String, Value>) -> GttId {
    GttId(
        m.get("trigger_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    )
}

/// place, modify and cancel answer the id.
pub fn trigger_body(id: &GttId) -> Value {
    json!({"status": "success", "trigger_id": id.0, "mode": "analyze"})
}

/// The sandbox's timestamps: ISO without a zone (IST wall time here).
fn iso(ms: i64) -> String {
    ist(ms).format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub fn gtt_json(g: &Gtt) -> Value {
    let legs: Vec<Value> = g
        .legs
        .iter()
        .map(|l| {
            json!({"action": g.action.as_str(), "quantity": g.quantity, "price": l.price,
                   "pricetype": g.pricetype.as_str(), "product": g.product.as_str()})
        })
        .collect();
    json!({
        "trigger_id": g.id.0,
        "trigger_type": g.kind.as_str(),
        "status": g.status.as_str(),
        "symbol": g.symbol,
        "exchange": g.exchange.as_str(),
        "trigger_prices": g.legs.iter().map(|l| l.trigger_price).collect::<Vec<_>>(),
        "last_price": g.last_price,
        "legs": legs,
        "strategy": g.strategy,
        "margin_blocked": 0.0,
        "created_at": iso(g.created_ms),
        "updated_at": iso(g.updated_ms),
        "expires_at": iso(g.expires_ms),
    })
}

pub fn gtt_book_body(gtts: &[Gtt]) -> Value {
    json!({"status": "success", "data": gtts.iter().map(gtt_json).collect::<Vec<_>>(),
           "mode": "analyze"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(extra: Value) -> Result<Map<String, Value>, String> {
        let mut b = json!({"apikey": "k", "strategy": "s", "trigger_type": "single",
            "exchange": "NSE", "symbol": "SBIN", "action": "buy", "product": "CNC",
            "quantity": 10, "price": 780.0, "triggerprice_sl": 781.0, "triggerprice_tg": 0});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        check_gtt(PLACE_GTT_FIELDS, &b).map_err(|e| e.to_python_repr())
    }

    #[test]
    fn the_reference_messages() {
        assert_eq!(
            place(json!({"product": "MIS"})).unwrap_err(),
            "{'product': ['GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only.']}"
        );
        assert_eq!(
            place(json!({"triggerprice_sl": 0})).unwrap_err(),
            "{'triggerprice_sl': ['SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg.']}"
        );
        assert_eq!(
            place(json!({"trigger_type": "OCO", "triggerprice_sl": 120, "triggerprice_tg": 260, "target": 259.5})).unwrap_err(),
            "{'stoploss': ['Required for OCO (stoploss leg limit).']}"
        );
        assert_eq!(
            place(json!({"trigger_type": "x"})).unwrap_err(),
            "{'trigger_type': [\"Must be 'SINGLE' or 'OCO'.\"]}"
        );
        assert_eq!(
            place(json!({"trigger_type": "OCO", "triggerprice_sl": 300, "triggerprice_tg": 260, "stoploss": 1, "target": 2})).unwrap_err(),
            "{'triggerprice_sl': ['Stoploss trigger must be less than target trigger (triggerprice_tg).']}"
        );
        assert_eq!(
            place(json!({"quantity": 1.5})).unwrap_err(),
            "{'quantity': ['Fractional quantity (1.5) is not allowed for non-crypto exchanges.']}"
        );
        assert_eq!(
            place(json!({"quantity": -1, "price": -1, "triggerprice_tg": -2, "product": "MIS"}))
                .unwrap_err(),
            "{'product': ['GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only.'], 'quantity': ['Quantity must be a positive number.'], 'price': ['Price must be a non-negative number.'], 'triggerprice_tg': ['triggerprice_tg must be non-negative.']}"
        );
        assert_eq!(
            place(json!({"pricetype": "SL"})).unwrap_err(),
            "{'pricetype': ['Must be one of: LIMIT, MARKET.']}"
        );
        assert_eq!(
            place(json!({"triggerprice_sl": null})).unwrap_err(),
            "{'triggerprice_sl': ['Field may not be null.']}"
        );
    }

    #[test]
    fn normalised_like_upstream() {
        // Unknown keys (even trigger_price) are dropped; both triggers keep the stoploss one.
        let m =
            place(json!({"trigger_price": 5, "last_price": 1, "junk": 1, "triggerprice_tg": 900}))
                .unwrap();
        assert_eq!(m["trigger_type"], "SINGLE");
        assert_eq!(m["action"], "BUY");
        assert_eq!(m["quantity"], 10);
        assert_eq!(m["triggerprice_sl"], 781.0);
        assert_eq!(m["triggerprice_tg"], Value::Null);
        assert_eq!(m["trigger_price"], 781.0);
        assert_eq!(m["pricetype"], "LIMIT");
        assert!(!m.contains_key("junk"));
        let m =
            place(json!({"triggerprice_sl": "", "triggerprice_tg": 900, "stoploss": ""})).unwrap();
        assert_eq!(m["trigger_price"], 900.0);
        let r = gtt_request(&m).unwrap();
        assert_eq!(r.legs[0].direction, Direction::Above);
    }

    #[test]
    fn expiry_formats() {
        assert_eq!(expires_ms("2026-01-06"), Some(1_767_637_800_000));
        assert_eq!(expires_ms("2026-01-06 00:00:00"), Some(1_767_637_800_000));
        assert_eq!(expires_ms("2026-01-05T18:30:00Z"), Some(1_767_637_800_000));
        assert_eq!(expires_ms("soon"), None);
    }
}
