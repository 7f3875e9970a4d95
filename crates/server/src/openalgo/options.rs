//! The options data endpoints' field tables and bodies (reference/openalgo-options-gtt-
//! calendar.md §2, §5, §7–§9): optionsymbol, optionchain, optiongreeks, multioptiongreeks,
//! syntheticfuture. Requests become the app's typed requests; answers are shaped here.

use algogate_app::options::{
    Chain, ChainLeg, ChainRequest, GreeksReport, GreeksRequest, Resolved, SymbolRequest, Synthetic,
};
use algogate_broker::options::is_listed_offset;
use algogate_broker::{Exchange, QuoteData};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::checks::Range;
use super::market::FNO_EXCHANGES;
use super::option_orders::{OPTION_TYPE, float, kind, text};
use super::schema::EXCHANGES;
use super::schema::{APIKEY, Field, Kind, SchemaErrors, TEXT, nullable, optional, required};

/// Most options one multioptiongreeks request may carry (OpenAlgo's limit).
pub const MAX_GREEKS_SYMBOLS: usize = 50;

const FNO: Kind = Kind::OneOf(&FNO_EXCHANGES);

pub const OPTION_SYMBOL: &[Field] = &[
    required("apikey", APIKEY),
    nullable("strategy", TEXT),
    required("underlying", TEXT),
    required("exchange", EXCHANGES),
    optional("expiry_date", TEXT),
    nullable("strike_int", Kind::Int),
    required("offset", TEXT),
    required("option_type", OPTION_TYPE),
];
pub const STRIKE_INT: &[(&str, Range)] = &[("strike_int", Range::Within(1.0, None))];

pub const OPTION_CHAIN: &[Field] = &[
    required("apikey", APIKEY),
    required("underlying", TEXT),
    required("exchange", EXCHANGES),
    required("expiry_date", TEXT),
    nullable("strike_count", Kind::Int),
    optional("with_greeks", Kind::Bool),
    nullable("interest_rate", Kind::Float),
];
pub const CHAIN_RANGES: &[(&str, Range)] = &[
    ("strike_count", Range::Within(1.0, Some(100.0))),
    ("interest_rate", Range::Within(0.0, Some(100.0))),
];

pub const OPTION_GREEKS: &[Field] = &[
    required("apikey", APIKEY),
    required("symbol", TEXT),
    required("exchange", FNO),
    optional("interest_rate", Kind::Float),
    optional("forward_price", Kind::Float),
    optional("underlying_symbol", TEXT),
    optional("underlying_exchange", TEXT),
    optional("expiry_time", TEXT),
];
pub const GREEKS_RANGES: &[(&str, Range)] = &[
    ("interest_rate", Range::Within(0.0, Some(100.0))),
    ("forward_price", Range::Within(0.0, None)),
];

pub const GREEKS_ITEM: &[Field] = &[
    required("symbol", TEXT),
    required("exchange", FNO),
    optional("underlying_symbol", TEXT),
    optional("underlying_exchange", TEXT),
];
pub const MULTI_GREEKS: &[Field] = &[
    required("apikey", APIKEY),
    required(
        "symbols",
        Kind::List {
            item: GREEKS_ITEM,
            min: 1,
            max: MAX_GREEKS_SYMBOLS,
        },
    ),
    optional("interest_rate", Kind::Float),
    optional("expiry_time", TEXT),
];
pub const MULTI_RANGES: &[(&str, Range)] = &[("interest_rate", Range::Within(0.0, Some(100.0)))];

pub const SYNTHETIC: &[Field] = &[
    required("apikey", APIKEY),
    required("underlying", TEXT),
    required("exchange", EXCHANGES),
    required("expiry_date", TEXT),
];

/// optionsymbol's custom offset rule, after the field checks (its message is OpenAlgo's).
pub fn check_offset(fields: &Map<String, Value>) -> Result<(), SchemaErrors> {
    match fields.get("offset").and_then(Value::as_str) {
        Some(o) if !is_listed_offset(o) => Err(SchemaErrors::single(
            "offset",
            "Offset must be ATM, ITM1-ITM50, or OTM1-OTM50",
        )),
        _ => Ok(()),
    }
}

fn exchange(f: &Map<String, Value>) -> Exchange {
    // The schema has already checked it against the exchange list.
    f.get("exchange")
        .and_then(Value::as_str)
        .and_then(|e| e.parse().ok())
        .unwrap_or(Exchange::Nfo)
}

pub fn symbol_request(f: &Map<String, Value>) -> SymbolRequest {
    SymbolRequest {
        underlying: text(f, "underlying").unwrap_or_default(),
        exchange: exchange(f),
        expiry_date: text(f, "expiry_date"),
        strike_int: f.get("strike_int").and_then(Value::as_i64),
        offset: text(f, "offset").unwrap_or_default(),
        kind: kind(f),
    }
}

pub fn chain_request(f: &Map<String, Value>) -> ChainRequest {
    ChainRequest {
        underlying: text(f, "underlying").unwrap_or_default(),
        exchange: exchange(f),
        expiry_date: text(f, "expiry_date").unwrap_or_default(),
        strike_count: f
            .get("strike_count")
            .and_then(Value::as_u64)
            .map(|n| n as usize),
        with_greeks: f
            .get("with_greeks")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        interest_rate: float(f, "interest_rate"),
    }
}

/// One option of either greeks endpoint; the multi one passes its shared fields in `top`.
pub fn greeks_request(item: &Map<String, Value>, top: &Map<String, Value>) -> GreeksRequest {
    GreeksRequest {
        symbol: text(item, "symbol").unwrap_or_default(),
        exchange: exchange(item),
        interest_rate: float(top, "interest_rate"),
        forward_price: float(top, "forward_price"),
        underlying_symbol: text(item, "underlying_symbol"),
        underlying_exchange: text(item, "underlying_exchange"),
        expiry_time: text(top, "expiry_time"),
    }
}

pub fn symbol_body(r: &Resolved) -> Value {
    json!({
        "status": "success",
        "symbol": r.symbol,
        "exchange": r.exchange,
        "lotsize": r.lotsize,
        "tick_size": r.tick_size,
        "freeze_qty": r.freeze_qty,
        "underlying_ltp": r.underlying_ltp,
    })
}

fn leg_body(l: &ChainLeg) -> Value {
    let q: &QuoteData = &l.quote;
    let mut v = json!({
        "symbol": l.symbol,
        "label": l.label,
        "ltp": q.ltp,
        "bid": q.bid,
        "ask": q.ask,
        "bid_qty": l.bid_qty,
        "ask_qty": l.ask_qty,
        "open": q.open,
        "high": q.high,
        "low": q.low,
        "prev_close": q.prev_close,
        "volume": q.volume,
        "oi": q.oi,
        "lotsize": l.lotsize,
        "tick_size": l.tick_size,
    });
    if let Some(g) = &l.greeks {
        v["implied_volatility"] = json!(g.iv);
        v["delta"] = json!(g.delta);
        v["gamma"] = json!(g.gamma);
        v["theta"] = json!(g.theta);
        v["vega"] = json!(g.vega);
    }
    v
}

pub fn chain_body(c: &Chain) -> Value {
    let rows: Vec<Value> = c
        .rows
        .iter()
        .map(|r| {
            json!({
                "strike": r.strike,
                "ce": r.ce.as_ref().map(leg_body),
                "pe": r.pe.as_ref().map(leg_body),
            })
        })
        .collect();
    json!({
        "status": "success",
        "underlying": c.underlying,
        "underlying_symbol": c.underlying_symbol,
        "underlying_exchange": c.underlying_exchange,
        "underlying_ltp": c.underlying_ltp,
        "underlying_prev_close": c.underlying_prev_close,
        "expiry_date": c.expiry_date,
        "expiry_ts": c.expiry_ts,
        "server_ts": c.server_ts,
        "atm_strike": c.atm_strike,
        "quotes_included": true,
        "greeks_included": c.with_greeks,
        "forward_price": c.forward_price,
        "chain": rows,
    })
}

/// `28-Aug-2025`.
pub fn expiry_title(d: NaiveDate) -> String {
    d.format("%d-%b-%Y").to_string()
}

/// A number as OpenAlgo prints it: `0` when the value is a whole zero it never computed.
fn zero_int(x: f64) -> Value {
    if x == 0.0 { json!(0) } else { json!(x) }
}

pub fn greeks_body(g: &GreeksReport) -> Value {
    let interest = if g.interest_sent {
        json!(g.interest_rate)
    } else {
        json!(0)
    };
    let mut v = json!({
        "status": "success",
        "symbol": g.symbol,
        "exchange": g.exchange,
        "underlying": g.underlying,
        "strike": g.strike,
        "option_type": g.kind.as_str(),
        "expiry_date": expiry_title(g.expiry),
        "days_to_expiry": zero_int(g.days_to_expiry),
        "spot_price": g.spot_price,
        "option_price": g.option_price,
        "interest_rate": interest,
    });
    match g.theoretical {
        Some((intrinsic, time_value, note)) => {
            v["intrinsic_value"] = json!(intrinsic);
            v["time_value"] = zero_int(time_value);
            v["implied_volatility"] = json!(0);
            v["greeks"] = json!({"delta": g.delta, "gamma": 0, "theta": 0, "vega": 0, "rho": 0});
            v["note"] = json!(note);
        }
        None => {
            v["implied_volatility"] = json!(g.iv);
            v["greeks"] = json!({
                "delta": g.delta, "gamma": g.gamma, "theta": g.theta, "vega": g.vega, "rho": g.rho,
            });
        }
    }
    v
}

pub fn synthetic_body(s: &Synthetic) -> Value {
    json!({
        "status": "success",
        "underlying": s.underlying,
        "underlying_ltp": s.underlying_ltp,
        "expiry": s.expiry,
        "atm_strike": s.atm_strike,
        "synthetic_future_price": s.price,
    })
}
