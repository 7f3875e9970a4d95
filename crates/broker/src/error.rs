//! The broker layer's one error type. Messages are OpenAlgo's, word for word, where it has one.

use crate::domain::{Exchange, ParseError};

/// What went wrong, with the text a client sees. The server maps variants to status codes
/// (see [`BrokerError::is_not_found`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    #[error("Invalid exchange '{0}'. Must be one of: {list}", list = Exchange::list())]
    InvalidExchange(String),

    #[error("Invalid symbol '{0}'")]
    InvalidSymbol(String),

    /// quotes, depth, history and ticker.
    #[error(
        "Symbol '{symbol}' not found for exchange '{exchange}'. Please verify the symbol name and \
         ensure master contracts are downloaded."
    )]
    SymbolNotFound { symbol: String, exchange: String },

    /// The `/symbol` endpoint's own wording (a 404 there).
    #[error("Symbol {symbol} not found in exchange {exchange}")]
    SymbolInfoNotFound { symbol: String, exchange: String },

    #[error("Invalid interval '{0}'. Must be one of: {list}", list = interval_list())]
    InvalidInterval(String),

    #[error("Not a valid date.")]
    InvalidDate,

    #[error("start_date must be on or before end_date")]
    DateRangeReversed,

    #[error(
        "Date range too large for interval '{interval}': {candles} candles requested, at most \
         {max} are returned per request. Narrow the date range or use a larger interval."
    )]
    RangeTooLarge {
        interval: &'static str,
        candles: u64,
        max: u64,
    },

    #[error("Query parameter is required and cannot be empty")]
    EmptyQuery,

    /// expiry's underlying, blank after trimming.
    #[error("Symbol parameter is required and cannot be empty")]
    EmptySymbol,

    #[error("Instrumenttype must be either \"futures\" or \"options\"")]
    InvalidExpiryKind,

    #[error("Exchange must be one of: {list}", list = fno_list())]
    NotAnFnoExchange(String),

    #[error("Instrument file line {line}: {reason}")]
    InstrumentCsv { line: usize, reason: String },
}

impl From<ParseError> for BrokerError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Exchange(s) => BrokerError::InvalidExchange(s),
            ParseError::Symbol(s) => BrokerError::InvalidSymbol(s),
            ParseError::Interval(s) => BrokerError::InvalidInterval(s),
            ParseError::ExpiryKind => BrokerError::InvalidExpiryKind,
        }
    }
}

impl BrokerError {
    /// `/symbol` answers 404 for a missing instrument; everything else here is a 400.
    pub fn is_not_found(&self) -> bool {
        matches!(self, BrokerError::SymbolInfoNotFound { .. })
    }

    pub(crate) fn not_found(symbol: &str, exchange: &str) -> Self {
        BrokerError::SymbolNotFound {
            symbol: symbol.to_owned(),
            exchange: exchange.to_owned(),
        }
    }
}

fn interval_list() -> String {
    crate::domain::Interval::ALL
        .iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn fno_list() -> String {
    Exchange::FNO
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_openalgo() {
        assert_eq!(
            BrokerError::not_found("FOO", "NSE").to_string(),
            "Symbol 'FOO' not found for exchange 'NSE'. Please verify the symbol name and ensure \
             master contracts are downloaded."
        );
        assert_eq!(
            BrokerError::InvalidExchange("nse".into()).to_string(),
            "Invalid exchange 'nse'. Must be one of: NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, \
             NCO, NSE_INDEX, BSE_INDEX, MCX_INDEX, GLOBAL_INDEX, CRYPTO"
        );
        assert_eq!(
            BrokerError::SymbolInfoNotFound {
                symbol: "X".into(),
                exchange: "NSE".into()
            }
            .to_string(),
            "Symbol X not found in exchange NSE"
        );
    }
}
