//! Market data, symbols and analyzer status (reference/openalgo-rest.md §3.13, §3.14,
//! §3.16): quotes, multiquotes, depth, history, intervals, ticker, symbol, search, expiry,
//! instruments, analyzer.
//!
//! Each handler parses the validated fields into the broker's domain types, makes one call
//! on the paper market (through the [`Broker`] trait, or its instrument master) and shapes
//! OpenAlgo's response. Market data never carries `"mode": "analyze"`: upstream it always
//! comes from the live broker, even in analyze mode.
//!
//! Where OpenAlgo misbehaves we do the sensible thing instead (SPEC §3):
//! - `GET instruments` without `exchange` lists every exchange, as its docs and SDK say
//!   (upstream answers 400 `Field may not be null.`).
//! - `GET ticker/{EXCH:SYMBOL}` without a colon is a 400 (upstream silently serves
//!   `NSE:RELIANCE`); an unknown `format` is a 400 (upstream falls back to JSON); daily and
//!   longer bars print a date only in `txt` (upstream adds `00:00:00` for `W`/`M`).
//! - Unknown symbols and bad intervals in history are 400s with the message (upstream lets
//!   the broker raise and answers 500).
//! - `history`'s `source` is accepted (`api` or `db`) and both read the simulated market:
//!   it is this broker's only data store.

use std::str::FromStr;

use algogate_broker::api::{expiry_message, search_message};
use algogate_broker::domain::format_expiry;
use algogate_broker::instruments::{SearchItem, SymbolInfo};
use algogate_broker::time::IST_OFFSET_SECS;
use algogate_broker::{Broker, BrokerError, Candle, Exchange, Interval, Symbol};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Days, NaiveDate};
use serde_json::{Map, Value, json};

use super::{PREFIX, method_not_allowed};
use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, ApiQuery, Endpoint, Need};
use crate::middleware::ClientIp;
use crate::openalgo::market::{
    EXPIRY, ExpiryRequest, HISTORY, HistoryRequest, INSTRUMENTS, Instrument, InstrumentsRequest,
    KEY_ONLY, MULTIQUOTES, SEARCH, SYMBOL_EXCHANGE, SearchRequest, SymbolQuery, TICKER,
    TICKER_IGNORED, TickerQuery, multiquotes_items,
};
use crate::openalgo::schema::Field;
use crate::state::AppState;

/// Registers every route of this module, each as `/name` and `/name/`.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    table().into_iter().fold(router, |r, (path, m)| {
        let m = m.fallback(method_not_allowed);
        if path.ends_with('/') {
            r.route(&format!("{PREFIX}{path}"), m)
        } else {
            r.route(&format!("{PREFIX}{path}"), m.clone())
                .route(&format!("{PREFIX}{path}/"), m)
        }
    })
}

/// This module's routes, relative to [`PREFIX`].
pub(super) fn table() -> [(&'static str, MethodRouter<AppState>); 12] {
    [
        ("/quotes", post(quotes)),
        ("/multiquotes", post(multiquotes)),
        ("/depth", post(depth)),
        ("/history", post(history)),
        ("/intervals", post(intervals)),
        ("/symbol", post(symbol)),
        ("/search", post(search)),
        ("/expiry", post(expiry)),
        ("/analyzer", post(analyzer)),
        ("/instruments", get(instruments)),
        ("/ticker/{ticker}", get(ticker)),
        // `ticker` with an empty symbol part (`/ticker/`) is upstream's default-symbol
        // case; we answer it with the same 400 as any malformed ticker.
        ("/ticker/", get(ticker_without_symbol)),
    ]
}

macro_rules! endpoint {
    (@need) => { Need::Data };
    (@need $need:ident) => { Need::$need };
    ($name:ident, $fields:expr, $style:expr, $req:ty, $parse:expr $(, ignored = $ignored:expr)? $(, need = $need:ident)?) => {
        #[derive(Debug)]
        pub struct $name;
        impl Endpoint for $name {
            const FIELDS: &'static [Field] = $fields;
            const NEED: Need = endpoint!(@need $($need)?);
            const STYLE: ErrorStyle = $style;
            $(const IGNORED: &'static [&'static str] = $ignored;)?
            type Request = $req;
            fn parse(fields: Map<String, Value>) -> Result<$req, ApiError> {
                let parse: fn(Map<String, Value>) -> Result<$req, BrokerError> = $parse;
                Ok(parse(fields)?)
            }
        }
    };
}

const DICT: ErrorStyle = ErrorStyle::Dict;
endpoint!(Quotes, SYMBOL_EXCHANGE, DICT, Instrument, |f| {
    Instrument::parse(&f)
});
endpoint!(Depth, SYMBOL_EXCHANGE, DICT, Instrument, |f| {
    Instrument::parse(&f)
});
endpoint!(SymbolLookup, SYMBOL_EXCHANGE, DICT, SymbolQuery, |f| Ok(
    SymbolQuery::parse(f)
));
endpoint!(MultiQuotes, MULTIQUOTES, DICT, Vec<(String, String)>, |f| {
    Ok(multiquotes_items(f))
});
endpoint!(History, HISTORY, DICT, HistoryRequest, |f| {
    HistoryRequest::parse(&f)
});
endpoint!(Intervals, KEY_ONLY, DICT, (), |_| Ok(()));
endpoint!(Search, SEARCH, DICT, SearchRequest, SearchRequest::parse);
endpoint!(Expiry, EXPIRY, DICT, ExpiryRequest, |f| {
    ExpiryRequest::parse(&f)
});
endpoint!(
    Analyzer,
    KEY_ONLY,
    ErrorStyle::Repr,
    (),
    |_| Ok(()),
    need = Account
);
endpoint!(Instruments, INSTRUMENTS, DICT, InstrumentsRequest, |f| {
    InstrumentsRequest::parse(&f)
});
endpoint!(
    Ticker,
    TICKER,
    DICT,
    TickerQuery,
    |f| TickerQuery::parse(&f),
    ignored = TICKER_IGNORED
);

fn broker(state: &AppState) -> &dyn Broker {
    state.market().as_ref()
}

fn success(data: impl serde::Serialize) -> Json<Value> {
    Json(json!({"status": "success", "data": data}))
}

async fn quotes(
    State(state): State<AppState>,
    call: ApiCall<Quotes>,
) -> Result<Json<Value>, ApiError> {
    let Instrument { symbol, exchange } = &call.req;
    Ok(success(broker(&state).quote(symbol, *exchange).await?))
}

async fn depth(
    State(state): State<AppState>,
    call: ApiCall<Depth>,
) -> Result<Json<Value>, ApiError> {
    let Instrument { symbol, exchange } = &call.req;
    Ok(success(broker(&state).depth(symbol, *exchange).await?))
}

async fn multiquotes(
    State(state): State<AppState>,
    call: ApiCall<MultiQuotes>,
) -> Result<Response, ApiError> {
    let quotes = broker(&state).multiquotes(&call.req).await?;
    if let Some(first) = quotes.all_invalid() {
        let invalid: Vec<Value> = quotes
            .results
            .iter()
            .map(|r| json!({"symbol": r.symbol, "exchange": r.exchange, "error": r.error}))
            .collect();
        let body = json!({"status": "error", "message": first, "invalid_symbols": invalid});
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    Ok(Json(json!({"status": "success", "results": quotes.results})).into_response())
}

async fn history(
    State(state): State<AppState>,
    call: ApiCall<History>,
) -> Result<Json<Value>, ApiError> {
    let HistoryRequest {
        instrument: Instrument { symbol, exchange },
        interval,
        start,
        end,
    } = &call.req;
    let candles = broker(&state)
        .history(symbol, *exchange, *interval, *start, *end)
        .await?;
    Ok(success(candles))
}

async fn intervals(State(state): State<AppState>, _call: ApiCall<Intervals>) -> Json<Value> {
    success(broker(&state).intervals())
}

async fn symbol(
    State(state): State<AppState>,
    call: ApiCall<SymbolLookup>,
) -> Result<Json<Value>, ApiError> {
    let master = broker(&state).instruments();
    let info: SymbolInfo<'_> = master.symbol_info(&call.req.symbol, &call.req.exchange)?;
    Ok(success(info))
}

async fn search(
    State(state): State<AppState>,
    call: ApiCall<Search>,
) -> Result<Json<Value>, ApiError> {
    let master = broker(&state).instruments();
    let hits = master.search(&call.req.query, call.req.exchange)?;
    let data: Vec<SearchItem<'_>> = hits.iter().map(|i| SearchItem::from(&**i)).collect();
    Ok(Json(json!({
        "status": "success",
        "message": search_message(data.len()),
        "data": data,
    })))
}

async fn expiry(
    State(state): State<AppState>,
    call: ApiCall<Expiry>,
) -> Result<Json<Value>, ApiError> {
    let ExpiryRequest {
        underlying,
        exchange,
        kind,
    } = &call.req;
    let (exchange, kind) = (*exchange, *kind);
    let dates = broker(&state)
        .instruments()
        .expiries(underlying, exchange, kind)?;
    let data: Vec<String> = dates.into_iter().map(format_expiry).collect();
    Ok(Json(json!({
        "status": "success",
        "message": expiry_message(underlying, kind.as_str(), exchange.as_str(), data.len()),
        "data": data,
    })))
}

/// Analyzer status. The paper broker is the only execution path for now, so the gateway is
/// always in analyze (sandbox) mode; there is no analyzer request log yet, hence no entries.
async fn analyzer(_call: ApiCall<Analyzer>) -> Json<Value> {
    success(json!({"mode": "analyze", "analyze_mode": true, "total_logs": 0}))
}

/// The raw `format` query parameter, lower-cased as upstream does, before validation (it
/// decides how errors are rendered).
fn raw_format(uri: &Uri) -> Option<String> {
    let query = uri.query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == "format").then(|| v.to_ascii_lowercase())
    })
}

async fn instruments(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let csv = raw_format(&uri).as_deref() == Some("csv");
    match instruments_inner(&state, &uri, &headers, ip.map(|e| e.0)).await {
        Ok(res) => res,
        Err(e) if csv => e.into_text_response(),
        Err(e) => e.into_response(),
    }
}

async fn instruments_inner(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    ip: Option<ClientIp>,
) -> Result<Response, ApiError> {
    let InstrumentsRequest { exchange, csv } =
        ApiQuery::<Instruments>::from_uri(uri, headers, ip, state)
            .await?
            .req;
    let master = broker(state).instruments();
    if csv {
        let name = exchange.map_or("all", Exchange::as_str);
        let disposition = format!("attachment; filename=instruments_{name}.csv");
        let mut res = master.to_csv(exchange).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(res);
    }
    let rows = master.rows(exchange);
    let message = if rows.is_empty() {
        "No instruments found".to_owned()
    } else {
        format!("Found {} instruments", rows.len())
    };
    Ok(Json(json!({"status": "success", "message": message, "data": rows})).into_response())
}

/// The longest range `ticker` serves: 30 days intraday, ten years otherwise; an earlier
/// `from` is moved forward, as upstream does.
fn ticker_max_days(interval: Interval) -> u64 {
    if interval.is_intraday() { 30 } else { 10 * 365 }
}

async fn ticker(
    State(state): State<AppState>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let txt = raw_format(&uri).as_deref() == Some("txt");
    let result = match path {
        Ok(Path(ticker)) => ticker_inner(&state, &ticker, &uri, &headers, ip.map(|e| e.0)).await,
        Err(_) => Err(bad_ticker()),
    };
    match result {
        Ok(res) => res,
        Err(e) if txt => e.into_text_response(),
        Err(e) => e.into_response(),
    }
}

async fn ticker_without_symbol(uri: Uri) -> Response {
    if raw_format(&uri).as_deref() == Some("txt") {
        bad_ticker().into_text_response()
    } else {
        bad_ticker().into_response()
    }
}

fn bad_ticker() -> ApiError {
    ApiError::BadRequest(
        "The ticker must be EXCHANGE:SYMBOL, for example /api/v1/ticker/NSE:RELIANCE".into(),
    )
}

async fn ticker_inner(
    state: &AppState,
    ticker: &str,
    uri: &Uri,
    headers: &HeaderMap,
    ip: Option<ClientIp>,
) -> Result<Response, ApiError> {
    let (exchange, symbol) = ticker.split_once(':').ok_or_else(bad_ticker)?;
    let TickerQuery {
        interval,
        from,
        to,
        txt,
    } = ApiQuery::<Ticker>::from_uri(uri, headers, ip, state)
        .await?
        .req;
    let exchange = Exchange::from_str(exchange)?;
    let symbol = Symbol::parse(symbol)?;
    let earliest = to
        .checked_sub_days(Days::new(ticker_max_days(interval)))
        .unwrap_or(NaiveDate::MIN);
    let candles = broker(state)
        .history(&symbol, exchange, interval, from.max(earliest), to)
        .await?;
    if txt {
        let text = ticker_text(exchange, &symbol, interval, &candles);
        let mut res = text.into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return Ok(res);
    }
    Ok(success(candles).into_response())
}

/// Upstream's `txt` lines: `NSE:SBIN,2025-01-02,o,h,l,c,vol`, intraday with `HH:MM:SS` after
/// the date (IST); prices as Python prints floats; lines joined by `\n`.
fn ticker_text(
    exchange: Exchange,
    symbol: &Symbol,
    interval: Interval,
    candles: &[Candle],
) -> String {
    candles
        .iter()
        .map(|c| {
            let when = DateTime::from_timestamp(c.timestamp + IST_OFFSET_SECS, 0)
                .unwrap_or_default()
                .naive_utc();
            let stamp = if interval.is_intraday() {
                when.format("%Y-%m-%d,%H:%M:%S").to_string()
            } else {
                when.format("%Y-%m-%d").to_string()
            };
            format!(
                "{exchange}:{symbol},{stamp},{:?},{:?},{:?},{:?},{}",
                c.open, c.high, c.low, c.close, c.volume
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticker_text_prints_dates_in_ist_and_floats_like_python() {
        let sym = Symbol::parse("SBIN").unwrap();
        // 2025-01-02 00:00 IST and 09:15 IST.
        let day = Candle {
            timestamp: 1_735_756_200,
            open: 800.0,
            high: 805.5,
            low: 799.05,
            close: 801.0,
            volume: 1200,
            oi: 0,
        };
        let bar = Candle {
            timestamp: 1_735_756_200 + 9 * 3600 + 15 * 60,
            ..day
        };
        assert_eq!(
            ticker_text(Exchange::Nse, &sym, Interval::Day, &[day, day]),
            "NSE:SBIN,2025-01-02,800.0,805.5,799.05,801.0,1200\nNSE:SBIN,2025-01-02,800.0,805.5,799.05,801.0,1200"
        );
        assert_eq!(
            ticker_text(Exchange::Nse, &sym, Interval::M5, &[bar]),
            "NSE:SBIN,2025-01-02,09:15:00,800.0,805.5,799.05,801.0,1200"
        );
    }

    #[test]
    fn raw_format_reads_the_first_format_parameter() {
        let uri: Uri = "/x?apikey=k&format=TXT&format=json".parse().unwrap();
        assert_eq!(raw_format(&uri).as_deref(), Some("txt"));
        let uri: Uri = "/x?apikey=k".parse().unwrap();
        assert_eq!(raw_format(&uri), None);
    }
}
