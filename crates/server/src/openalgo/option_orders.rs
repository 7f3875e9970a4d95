//! optionsorder and optionsmultiorder on the wire (reference/openalgo-options-gtt-
//! calendar.md §3, §4): their field tables, the order operation a validated (or stored)
//! body becomes, and their answers. The order codec reads these, so this module uses only
//! the schema: the options data endpoints build on it, not the other way round.

use algogate_app::options::SymbolRequest;
use algogate_app::orders::Leg;
use algogate_broker::Exchange;
use algogate_broker::domain::OptionKind;
use serde_json::{Map, Value, json};

use super::checks::Range;
use super::schema::{APIKEY, EXCHANGES, Field, Kind, TEXT, nullable, optional, required};

pub const OPTION_TYPE: Kind = Kind::OneOf(&["CE", "PE", "ce", "pe"]);

pub fn text(f: &Map<String, Value>, name: &str) -> Option<String> {
    f.get(name).and_then(Value::as_str).map(str::to_owned)
}

pub fn kind(f: &Map<String, Value>) -> OptionKind {
    match f.get("option_type").and_then(Value::as_str) {
        Some("PE" | "pe") => OptionKind::Put,
        _ => OptionKind::Call,
    }
}

pub fn float(f: &Map<String, Value>, name: &str) -> Option<f64> {
    f.get(name).and_then(Value::as_f64)
}

// ---- optionsorder and optionsmultiorder (§3, §4) ----

const ORDER_RANGES_COMMON: [(&str, Range); 6] = [
    (
        "quantity",
        Range::AtLeastOne("Quantity must be a positive integer."),
    ),
    (
        "splitsize",
        Range::NonNegative("Split size must be a non-negative integer."),
    ),
    (
        "price",
        Range::NonNegative("Price must be a non-negative number."),
    ),
    (
        "trigger_price",
        Range::NonNegative("Trigger price must be a non-negative number."),
    ),
    (
        "disclosed_quantity",
        Range::NonNegative("Disclosed quantity must be a non-negative integer."),
    ),
    ("strike_int", Range::Within(1.0, None)),
];
pub const OPTIONS_ORDER_RANGES: &[(&str, Range)] = &ORDER_RANGES_COMMON;
/// Legs have no `strike_int` (it is common to all of them).
pub const LEG_RANGES: &[(&str, Range)] = ORDER_RANGES_COMMON.split_at(5).0;
pub const MULTI_ORDER_RANGES: &[(&str, Range)] = &[("strike_int", Range::Within(1.0, None))];

const ACTION: Kind = Kind::OneOf(&["BUY", "SELL", "buy", "sell"]);
const PRICETYPE: Kind = Kind::OneOf(&["MARKET", "LIMIT", "SL", "SL-M"]);
const PRODUCT: Kind = Kind::OneOf(&["MIS", "NRML"]);

pub const OPTIONS_ORDER: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("underlying", TEXT),
    required("exchange", EXCHANGES),
    optional("expiry_date", TEXT),
    nullable("strike_int", Kind::Int),
    required("offset", TEXT),
    required("option_type", OPTION_TYPE),
    required("action", ACTION),
    required("quantity", Kind::Int),
    nullable("splitsize", Kind::Int),
    optional("pricetype", PRICETYPE),
    optional("product", PRODUCT),
    optional("price", Kind::Float),
    optional("trigger_price", Kind::Float),
    optional("disclosed_quantity", Kind::Int),
];

/// Most legs one optionsmultiorder may carry (OpenAlgo's `Length(1, 20)`).
pub const MAX_LEGS: usize = 20;
pub const LEGS_MESSAGE: &str = "Legs must contain 1 to 20 items.";

pub const LEG: &[Field] = &[
    required("offset", TEXT),
    required("option_type", OPTION_TYPE),
    required("action", ACTION),
    required("quantity", Kind::Int),
    nullable("splitsize", Kind::Int),
    optional("expiry_date", TEXT),
    optional("pricetype", PRICETYPE),
    optional("product", PRODUCT),
    optional("price", Kind::Float),
    optional("trigger_price", Kind::Float),
    optional("disclosed_quantity", Kind::Int),
];

pub const OPTIONS_MULTI: &[Field] = &[
    required("apikey", APIKEY),
    required("strategy", TEXT),
    required("underlying", TEXT),
    required("exchange", EXCHANGES),
    optional("expiry_date", TEXT),
    nullable("strike_int", Kind::Int),
    required(
        "legs",
        Kind::List {
            item: LEG,
            min: 1,
            max: MAX_LEGS,
        },
    ),
];

fn order_of(
    f: &Map<String, Value>,
    strategy: &str,
) -> Option<algogate_broker::engine::OrderRequest> {
    use algogate_broker::engine::{Action, OrderRequest};
    let or = |k: &str, d: &'static str| f.get(k).and_then(Value::as_str).unwrap_or(d);
    Some(OrderRequest {
        symbol: String::new(),
        exchange: Exchange::Nfo,
        action: Action::parse_any_case(or("action", ""))?,
        quantity: f.get("quantity").and_then(Value::as_f64)?.trunc() as i64,
        pricetype: or("pricetype", "MARKET").parse().ok()?,
        product: or("product", "MIS").parse().ok()?,
        price: float(f, "price").unwrap_or(0.0),
        trigger_price: float(f, "trigger_price").unwrap_or(0.0),
        strategy: strategy.to_owned(),
    })
}

/// One options leg from its fields and the request's common ones (`top`); `None` for a
/// stored row that no longer reads as one.
fn leg_of(
    f: &Map<String, Value>,
    top: &Map<String, Value>,
) -> Option<algogate_app::orders::OptionLeg> {
    let strategy = top.get("strategy").and_then(Value::as_str).unwrap_or("");
    Some(algogate_app::orders::OptionLeg {
        contract: SymbolRequest {
            underlying: text(top, "underlying")?,
            exchange: top.get("exchange")?.as_str()?.parse().ok()?,
            expiry_date: text(f, "expiry_date").or_else(|| text(top, "expiry_date")),
            strike_int: top.get("strike_int").and_then(Value::as_i64),
            offset: text(f, "offset")?,
            kind: kind(f),
        },
        order: order_of(f, strategy)?,
        // A null split size is no split (upstream's multiorder answers it with a 500).
        split: f
            .get("splitsize")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0),
    })
}

/// The operation a validated (or stored) optionsorder / optionsmultiorder body describes.
pub fn decode_options(
    multi: bool,
    f: &Map<String, Value>,
) -> Option<algogate_app::orders::OrderOp> {
    use algogate_app::orders::OrderOp;
    if !multi {
        return leg_of(f, f).map(OrderOp::Options);
    }
    let legs = f.get("legs")?.as_array()?;
    legs.iter()
        .map(|l| leg_of(l.as_object()?, f))
        .collect::<Option<Vec<_>>>()
        .map(OrderOp::OptionsMulti)
}

/// optionsorder's answer (§3.3): the contract, then the order id or the split's children.
pub fn options_order_body(r: &algogate_app::orders::OptionResult) -> Value {
    use algogate_app::orders::OptionFill;
    let c = &r.leg.contract;
    let mut v = json!({
        "status": "success",
        "underlying": c.underlying,
        "offset": c.offset,
        "option_type": c.kind.as_str(),
    });
    if let Some(res) = &r.resolved {
        v["symbol"] = json!(res.symbol);
        v["exchange"] = json!(res.exchange);
        v["underlying_ltp"] = json!(res.underlying_ltp);
    }
    match &r.fill {
        OptionFill::Placed(id) => v["orderid"] = json!(id.0),
        OptionFill::Split { split, total, legs } => {
            v["split_size"] = json!(split);
            v["total_quantity"] = json!(total);
            v["results"] = Value::from(split_results(legs));
        }
        // Not produced for a single options order (those are the call's error).
        OptionFill::Unresolved(m) | OptionFill::Rejected(m) => {
            v["status"] = json!("error");
            v["message"] = json!(m);
        }
        OptionFill::TooManySplits => {
            v["status"] = json!("error");
            v["message"] = json!("Total number of orders would exceed maximum limit of 100");
        }
    }
    v
}

/// optionsmultiorder's answer (§4.3): per-leg results in request order.
pub fn options_multi_body(ltp: Option<f64>, legs: &[algogate_app::orders::OptionResult]) -> Value {
    use algogate_app::orders::OptionFill;
    let underlying = legs
        .first()
        .map(|l| l.leg.contract.underlying.clone())
        .unwrap_or_default();
    let results: Vec<Value> = legs
        .iter()
        .map(|r| {
            let mut v = json!({"leg": r.index + 1});
            if let Some(res) = &r.resolved {
                v["symbol"] = json!(res.symbol);
                v["exchange"] = json!(res.exchange);
            }
            let placed = matches!(r.fill, OptionFill::Placed(_) | OptionFill::Split { .. });
            if placed {
                v["product"] = json!(r.leg.order.product);
            }
            v["offset"] = json!(r.leg.contract.offset);
            v["option_type"] = json!(r.leg.contract.kind.as_str());
            v["action"] = json!(r.leg.order.action);
            match &r.fill {
                OptionFill::Placed(id) => {
                    v["status"] = json!("success");
                    v["orderid"] = json!(id.0);
                }
                OptionFill::Split { split, total, legs } => {
                    let ok = legs.iter().any(|l| l.result.is_ok());
                    v["status"] = json!(if ok { "success" } else { "error" });
                    v["total_quantity"] = json!(total);
                    v["split_size"] = json!(split);
                    v["split_results"] = Value::from(split_results(legs));
                }
                OptionFill::TooManySplits => {
                    v["status"] = json!("error");
                    v["message"] = json!("Split orders would exceed maximum limit of 100 per leg");
                }
                OptionFill::Unresolved(m) | OptionFill::Rejected(m) => {
                    v["status"] = json!("error");
                    v["message"] = json!(m);
                }
            }
            if placed {
                v["mode"] = json!("analyze");
            }
            v
        })
        .collect();
    json!({
        "status": "success",
        "underlying": underlying,
        "underlying_ltp": ltp,
        "results": results,
    })
}

/// A split's children as `{order_num, quantity, status, orderid | message}`.
pub fn split_results(legs: &[Leg]) -> Vec<Value> {
    legs.iter()
        .enumerate()
        .map(|(i, Leg { order, result })| match result {
            Ok(id) => json!({
                "order_num": i + 1, "orderid": id.0, "quantity": order.quantity,
                "status": "success",
            }),
            Err(message) => json!({
                "order_num": i + 1, "quantity": order.quantity, "status": "error",
                "message": message,
            }),
        })
        .collect()
}
