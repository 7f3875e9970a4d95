//! The market endpoints' field tables (reference/openalgo-rest.md §3.13, §3.14, §3.16) and
//! the typed requests their validated bodies become. Each parser takes the fields the
//! schema has already coerced, so what it can still refuse is about the market (an
//! unknown interval, a symbol that cannot exist), with the broker's messages.

use std::str::FromStr;

use algogate_broker::{BrokerError, Exchange, ExpiryKind, Interval, Symbol};
use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::orders::{EXCHANGES as EXCHANGE, exchange_names};
use super::schema::{APIKEY, Field, Kind, TEXT, optional, required};

/// Most symbols one multiquotes request may ask for: OpenAlgo sets no cap; 500 bounds the
/// pricing work one request can ask for.
pub const MAX_MULTIQUOTES: usize = 500;

/// The expiry schema's F&O exchanges, in its order.
pub const FNO_EXCHANGES: [&str; 8] = exchange_names(&Exchange::FNO);

pub const KEY_ONLY: &[Field] = &[required("apikey", APIKEY)];
pub const SYMBOL_EXCHANGE: &[Field] = &[
    required("apikey", APIKEY),
    required("symbol", TEXT),
    required("exchange", EXCHANGE),
];
const PAIR: &[Field] = &[required("symbol", TEXT), required("exchange", EXCHANGE)];
pub const MULTIQUOTES: &[Field] = &[
    required("apikey", APIKEY),
    required(
        "symbols",
        Kind::List {
            item: PAIR,
            min: 1,
            max: MAX_MULTIQUOTES,
        },
    ),
];
pub const HISTORY: &[Field] = &[
    required("apikey", APIKEY),
    required("symbol", TEXT),
    required("exchange", EXCHANGE),
    required("interval", TEXT),
    required("start_date", Kind::Date),
    required("end_date", Kind::Date),
    optional("source", Kind::OneOf(&["api", "db"])),
];
pub const SEARCH: &[Field] = &[
    required("apikey", APIKEY),
    required("query", TEXT),
    optional("exchange", EXCHANGE),
];
pub const EXPIRY: &[Field] = &[
    required("apikey", APIKEY),
    required("symbol", TEXT),
    required("exchange", Kind::OneOf(&FNO_EXCHANGES)),
    required("instrumenttype", Kind::OneOf(&["futures", "options"])),
];
pub const INSTRUMENTS: &[Field] = &[
    required("apikey", APIKEY),
    optional("exchange", EXCHANGE),
    optional("format", Kind::LowerOneOf(&["json", "csv"])),
];
pub const TICKER: &[Field] = &[
    required("apikey", APIKEY),
    optional("interval", TEXT),
    required("from", Kind::Date),
    required("to", Kind::Date),
    optional("format", Kind::LowerOneOf(&["json", "txt"])),
];
/// Documented upstream for `ticker` (split adjustment, sort order) but without effect there.
pub const TICKER_IGNORED: &[&str] = &["adjusted", "sort"];

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> &'a str {
    fields.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn owned(fields: &mut Map<String, Value>, name: &str) -> String {
    match fields.remove(name) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn optional_exchange(fields: &Map<String, Value>) -> Result<Option<Exchange>, BrokerError> {
    fields
        .get("exchange")
        .and_then(Value::as_str)
        .map(Exchange::from_str)
        .transpose()
        .map_err(BrokerError::from)
}

/// A schema-normalised `YYYY-MM-DD` field.
fn date(fields: &Map<String, Value>, name: &str) -> Result<NaiveDate, BrokerError> {
    NaiveDate::parse_from_str(text(fields, name), "%Y-%m-%d").map_err(|_| BrokerError::InvalidDate)
}

/// One instrument: quotes, depth, and history's first half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    pub symbol: Symbol,
    pub exchange: Exchange,
}

impl Instrument {
    pub fn parse(fields: &Map<String, Value>) -> Result<Self, BrokerError> {
        Ok(Self {
            symbol: Symbol::parse(text(fields, "symbol"))?,
            exchange: Exchange::from_str(text(fields, "exchange"))?,
        })
    }
}

/// multiquotes' pairs as sent: each is checked by the market, which reports the invalid
/// ones per item instead of failing the request.
pub fn multiquotes_items(mut fields: Map<String, Value>) -> Vec<(String, String)> {
    let Some(Value::Array(items)) = fields.remove("symbols") else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(mut p) => Some((owned(&mut p, "symbol"), owned(&mut p, "exchange"))),
            _ => None,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRequest {
    pub instrument: Instrument,
    pub interval: Interval,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl HistoryRequest {
    pub fn parse(fields: &Map<String, Value>) -> Result<Self, BrokerError> {
        Ok(Self {
            instrument: Instrument::parse(fields)?,
            interval: Interval::from_str(text(fields, "interval"))?,
            start: date(fields, "start_date")?,
            end: date(fields, "end_date")?,
        })
    }
}

/// `/symbol`'s lookup, by the names as sent (the master's own miss is a 404 there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolQuery {
    pub symbol: String,
    pub exchange: String,
}

impl SymbolQuery {
    pub fn parse(mut fields: Map<String, Value>) -> Self {
        Self {
            symbol: owned(&mut fields, "symbol"),
            exchange: owned(&mut fields, "exchange"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub query: String,
    pub exchange: Option<Exchange>,
}

impl SearchRequest {
    pub fn parse(mut fields: Map<String, Value>) -> Result<Self, BrokerError> {
        Ok(Self {
            exchange: optional_exchange(&fields)?,
            query: owned(&mut fields, "query"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryRequest {
    /// Trimmed and upper-cased, as upstream does before the lookup.
    pub underlying: String,
    pub exchange: Exchange,
    pub kind: ExpiryKind,
}

impl ExpiryRequest {
    pub fn parse(fields: &Map<String, Value>) -> Result<Self, BrokerError> {
        let underlying = text(fields, "symbol").trim().to_ascii_uppercase();
        if underlying.is_empty() {
            return Err(BrokerError::EmptySymbol);
        }
        Ok(Self {
            underlying,
            exchange: Exchange::from_str(text(fields, "exchange"))?,
            kind: ExpiryKind::from_str(text(fields, "instrumenttype"))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentsRequest {
    /// `None`: every exchange.
    pub exchange: Option<Exchange>,
    pub csv: bool,
}

impl InstrumentsRequest {
    pub fn parse(fields: &Map<String, Value>) -> Result<Self, BrokerError> {
        Ok(Self {
            exchange: optional_exchange(fields)?,
            csv: fields.get("format").and_then(Value::as_str) == Some("csv"),
        })
    }
}

/// `ticker`'s query; the instrument comes from the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickerQuery {
    pub interval: Interval,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub txt: bool,
}

impl TickerQuery {
    pub fn parse(fields: &Map<String, Value>) -> Result<Self, BrokerError> {
        Ok(Self {
            interval: Interval::from_str(
                fields
                    .get("interval")
                    .and_then(Value::as_str)
                    .unwrap_or("D"),
            )?,
            from: date(fields, "from")?,
            to: date(fields, "to")?,
            txt: fields.get("format").and_then(Value::as_str) == Some("txt"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn exchange_lists_follow_the_broker_order() {
        use crate::openalgo::orders::EXCHANGE_NAMES;
        assert_eq!(EXCHANGE_NAMES[0], "NSE");
        assert_eq!(EXCHANGE_NAMES[13], "CRYPTO");
        assert_eq!(
            FNO_EXCHANGES,
            ["NFO", "BFO", "MCX", "CDS", "NCO", "BCD", "NCDEX", "CRYPTO"]
        );
    }

    #[test]
    fn requests_parse_into_domain_values() {
        let h = HistoryRequest::parse(&map(json!({
            "symbol": "SBIN", "exchange": "NSE", "interval": "5m",
            "start_date": "2025-01-01", "end_date": "2025-01-02",
        })))
        .unwrap();
        assert_eq!(h.instrument.exchange, Exchange::Nse);
        assert_eq!(h.interval, Interval::M5);
        assert_eq!(h.end, NaiveDate::from_ymd_opt(2025, 1, 2).unwrap());
        let bad = HistoryRequest::parse(&map(json!({
            "symbol": "SBIN", "exchange": "NSE", "interval": "7m",
            "start_date": "2025-01-01", "end_date": "2025-01-02",
        })));
        assert!(matches!(bad, Err(BrokerError::InvalidInterval(_))));

        let e = ExpiryRequest::parse(&map(json!({
            "symbol": " nifty ", "exchange": "NFO", "instrumenttype": "options",
        })))
        .unwrap();
        assert_eq!(e.underlying, "NIFTY");
        let empty = ExpiryRequest::parse(&map(json!({
            "symbol": "  ", "exchange": "NFO", "instrumenttype": "options",
        })));
        assert!(matches!(empty, Err(BrokerError::EmptySymbol)));

        let t =
            TickerQuery::parse(&map(json!({"from": "2025-01-01", "to": "2025-01-05"}))).unwrap();
        assert_eq!((t.interval, t.txt), (Interval::Day, false));

        let items = multiquotes_items(map(json!({"symbols": [
            {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "TCS", "exchange": "BSE"},
        ]})));
        assert_eq!(items[1], ("TCS".to_owned(), "BSE".to_owned()));
    }
}
