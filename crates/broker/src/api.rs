//! Plain serialisable results with OpenAlgo's field names; the server puts them under `data`
//! (or `results`) and adds `status`.

use serde::Serialize;

use crate::domain::{Interval, IntervalUnit};

/// `/quotes` `data`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuoteData {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub ltp: f64,
    pub ask: f64,
    pub bid: f64,
    pub prev_close: f64,
    pub volume: u64,
    pub oi: u64,
}

/// One price level of the order book.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DepthLevel {
    pub price: f64,
    pub quantity: u64,
}

/// `/depth` `data`. Bids descend and asks ascend from the touch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthData {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub ltp: f64,
    pub ltq: u64,
    pub prev_close: f64,
    pub volume: u64,
    pub oi: u64,
    pub totalbuyqty: u64,
    pub totalsellqty: u64,
    pub asks: [DepthLevel; 5],
    pub bids: [DepthLevel; 5],
}

/// One `/history` row; `timestamp` is epoch seconds (the SDK parses it with `unit="s"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candle {
    pub timestamp: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: u64,
    pub oi: u64,
}

/// `/intervals` `data`: every interval `history` accepts, grouped as OpenAlgo groups them.
/// Quarterly and yearly bars are multiples of months, so `Q` and `Y` are listed there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intervals {
    pub seconds: Vec<&'static str>,
    pub minutes: Vec<&'static str>,
    pub hours: Vec<&'static str>,
    pub days: Vec<&'static str>,
    pub weeks: Vec<&'static str>,
    pub months: Vec<&'static str>,
}

impl Intervals {
    /// The paper broker supports the whole enumeration.
    pub fn all() -> Self {
        let mut out = Intervals {
            seconds: vec![],
            minutes: vec![],
            hours: vec![],
            days: vec![],
            weeks: vec![],
            months: vec![],
        };
        for i in Interval::ALL {
            let bucket = match i.unit() {
                IntervalUnit::Seconds(s) if s < 60 => &mut out.seconds,
                IntervalUnit::Seconds(s) if s < 3600 => &mut out.minutes,
                IntervalUnit::Seconds(_) => &mut out.hours,
                IntervalUnit::Days => &mut out.days,
                IntervalUnit::Weeks => &mut out.weeks,
                IntervalUnit::Months(_) => &mut out.months,
            };
            bucket.push(i.as_str());
        }
        out
    }
}

/// One `/multiquotes` result: data for a known symbol, or the error for an unknown one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiQuoteItem {
    pub symbol: String,
    pub exchange: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<QuoteData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `/multiquotes`: `results` (errors first, as OpenAlgo orders them). When every symbol is
/// unknown OpenAlgo answers 400 with the first error as `message` and the errors as
/// `invalid_symbols`: see [`MultiQuotes::all_invalid`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiQuotes {
    pub results: Vec<MultiQuoteItem>,
}

impl MultiQuotes {
    /// `Some(first error message)` when no symbol resolved.
    pub fn all_invalid(&self) -> Option<&str> {
        if self.results.iter().all(|r| r.data.is_none()) {
            self.results.first().and_then(|r| r.error.as_deref())
        } else {
            None
        }
    }
}

/// `/expiry` success message, OpenAlgo's wording.
pub fn expiry_message(symbol: &str, kind: &str, exchange: &str, count: usize) -> String {
    if count == 0 {
        format!("No expiry dates found for {symbol} {kind} in {exchange}")
    } else {
        format!("Found {count} expiry dates for {symbol} {kind} in {exchange}")
    }
}

/// `/search` success message, OpenAlgo's wording.
pub fn search_message(count: usize) -> String {
    if count == 0 {
        "No matching symbols found".to_owned()
    } else {
        format!("Found {count} matching symbols")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_cover_the_enumeration_once() {
        let i = Intervals::all();
        assert_eq!(i.seconds, ["1s", "5s", "10s", "15s", "30s", "45s"]);
        assert_eq!(
            i.minutes,
            ["1m", "2m", "3m", "5m", "10m", "15m", "20m", "30m"]
        );
        assert_eq!(i.hours, ["1h", "2h", "3h", "4h"]);
        assert_eq!((i.days.clone(), i.weeks.clone()), (vec!["D"], vec!["W"]));
        assert_eq!(i.months, ["M", "Q", "Y"]);
    }

    #[test]
    fn messages() {
        assert_eq!(
            expiry_message("NIFTY", "options", "NFO", 18),
            "Found 18 expiry dates for NIFTY options in NFO"
        );
        assert_eq!(search_message(0), "No matching symbols found");
        assert_eq!(search_message(3), "Found 3 matching symbols");
    }
}
