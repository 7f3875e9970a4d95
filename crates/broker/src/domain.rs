//! Validated values parsed once at the edge: exchanges, symbols, intervals, instrument types.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

/// Text that names no value of a domain type: which type, and the text given. The broker's
/// error type turns it into OpenAlgo's message (which lists the valid values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Exchange(String),
    Symbol(String),
    Interval(String),
    ExpiryKind,
}

/// OpenAlgo's `VALID_EXCHANGES`, declared in its error-message order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exchange {
    Nse,
    Nfo,
    Cds,
    Bse,
    Bfo,
    Bcd,
    Mcx,
    Ncdex,
    Nco,
    NseIndex,
    BseIndex,
    McxIndex,
    GlobalIndex,
    Crypto,
}

impl Exchange {
    /// Every exchange, in OpenAlgo's order.
    pub const ALL: [Exchange; 14] = [
        Exchange::Nse,
        Exchange::Nfo,
        Exchange::Cds,
        Exchange::Bse,
        Exchange::Bfo,
        Exchange::Bcd,
        Exchange::Mcx,
        Exchange::Ncdex,
        Exchange::Nco,
        Exchange::NseIndex,
        Exchange::BseIndex,
        Exchange::McxIndex,
        Exchange::GlobalIndex,
        Exchange::Crypto,
    ];

    /// The F&O exchanges of the expiry and greeks schemas, in their order.
    pub const FNO: [Exchange; 8] = [
        Exchange::Nfo,
        Exchange::Bfo,
        Exchange::Mcx,
        Exchange::Cds,
        Exchange::Nco,
        Exchange::Bcd,
        Exchange::Ncdex,
        Exchange::Crypto,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Exchange::Nse => "NSE",
            Exchange::Nfo => "NFO",
            Exchange::Cds => "CDS",
            Exchange::Bse => "BSE",
            Exchange::Bfo => "BFO",
            Exchange::Bcd => "BCD",
            Exchange::Mcx => "MCX",
            Exchange::Ncdex => "NCDEX",
            Exchange::Nco => "NCO",
            Exchange::NseIndex => "NSE_INDEX",
            Exchange::BseIndex => "BSE_INDEX",
            Exchange::McxIndex => "MCX_INDEX",
            Exchange::GlobalIndex => "GLOBAL_INDEX",
            Exchange::Crypto => "CRYPTO",
        }
    }

    /// Whether the exchange lists futures and options (expiry endpoint, lot-size checks).
    pub fn is_fno(self) -> bool {
        Exchange::FNO.contains(&self)
    }

    /// Whether instruments here are indices (not tradable, no depth).
    pub fn is_index(self) -> bool {
        matches!(
            self,
            Exchange::NseIndex | Exchange::BseIndex | Exchange::McxIndex | Exchange::GlobalIndex
        )
    }

    /// `NSE, NFO, ...` as OpenAlgo lists them in messages.
    pub fn list() -> String {
        join(Exchange::ALL.iter().map(|e| e.as_str()))
    }

    /// Case-insensitive parse, as OpenAlgo's data services upper-case the exchange first.
    pub fn parse_lenient(s: &str) -> Result<Self, ParseError> {
        s.trim()
            .to_ascii_uppercase()
            .parse()
            .map_err(|_| ParseError::Exchange(s.to_owned()))
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

impl FromStr for Exchange {
    type Err = ParseError;

    /// Exact, case-sensitive match (marshmallow's `OneOf`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Exchange::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| ParseError::Exchange(s.to_owned()))
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Exchange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A trading symbol in OpenAlgo's format (`RELIANCE`, `NIFTY30DEC25FUT`, `NIFTY30DEC2524000CE`).
///
/// Only the shape is checked here; whether it exists is the instrument master's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(Box<str>);

/// Longest symbol accepted; OpenAlgo's margin schema caps symbols at 50 characters.
pub const MAX_SYMBOL_LEN: usize = 64;

impl Symbol {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok =
            !s.trim().is_empty() && s.len() <= MAX_SYMBOL_LEN && !s.chars().any(char::is_control);
        if ok {
            Ok(Symbol(s.into()))
        } else {
            Err(ParseError::Symbol(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Splits a derivative symbol into its parts; `None` for anything else.
    pub fn derivative(&self) -> Option<DerivativeSymbol> {
        DerivativeSymbol::parse(&self.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Option right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptionKind {
    Call,
    Put,
}

impl OptionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            OptionKind::Call => "CE",
            OptionKind::Put => "PE",
        }
    }
}

/// What follows the expiry in a derivative symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DerivativeKind {
    Future,
    Option { strike: f64, kind: OptionKind },
}

/// `NAME + DD + MMM + YY + (FUT | strike + CE/PE)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivativeSymbol {
    pub underlying: String,
    pub expiry: NaiveDate,
    pub kind: DerivativeKind,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// `DDMMMYY`, upper case: the date part of derivative symbols.
pub fn format_ddmmmyy(d: NaiveDate) -> String {
    format!(
        "{:02}{}{:02}",
        d.day(),
        MONTHS[d.month0() as usize],
        d.year() % 100
    )
}

/// `DD-MMM-YY`: OpenAlgo's expiry field format.
pub fn format_expiry(d: NaiveDate) -> String {
    format!(
        "{:02}-{}-{:02}",
        d.day(),
        MONTHS[d.month0() as usize],
        d.year() % 100
    )
}

/// Parses `DD-MMM-YY` (case-insensitive month), the inverse of [`format_expiry`].
pub fn parse_expiry(s: &str) -> Option<NaiveDate> {
    let mut parts = s.trim().split('-');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.len() != 2 || y.len() != 2 {
        return None;
    }
    ddmmmyy(d, m, y)
}

fn ddmmmyy(d: &str, m: &str, y: &str) -> Option<NaiveDate> {
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(d) || !all_digits(y) {
        return None;
    }
    let month = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(m))? as u32 + 1;
    NaiveDate::from_ymd_opt(2000 + y.parse::<i32>().ok()?, month, d.parse().ok()?)
}

impl DerivativeSymbol {
    /// Finds the last `DDMMMYY` in the symbol that is followed by `FUT` or `<strike>CE|PE`.
    pub fn parse(s: &str) -> Option<Self> {
        if !s.is_ascii() || s.len() < 10 {
            return None;
        }
        (1..=s.len() - 7).rev().find_map(|i| Self::parse_at(s, i))
    }

    fn parse_at(s: &str, i: usize) -> Option<Self> {
        let (underlying, rest) = s.split_at(i);
        let expiry = ddmmmyy(&rest[0..2], &rest[2..5], &rest[5..7])?;
        let tail = &rest[7..];
        let kind = if tail == "FUT" {
            DerivativeKind::Future
        } else {
            let (strike, right) = tail.split_at(tail.len().checked_sub(2)?);
            let kind = match right {
                "CE" => OptionKind::Call,
                "PE" => OptionKind::Put,
                _ => return None,
            };
            let valid_strike = !strike.is_empty()
                && strike.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && !strike.starts_with('.');
            if !valid_strike {
                return None;
            }
            DerivativeKind::Option {
                strike: strike.parse().ok()?,
                kind,
            }
        };
        Some(DerivativeSymbol {
            underlying: underlying.to_owned(),
            expiry,
            kind,
        })
    }

    /// The OpenAlgo symbol; strikes print without a trailing `.0`.
    pub fn format(&self) -> String {
        let date = format_ddmmmyy(self.expiry);
        match self.kind {
            DerivativeKind::Future => format!("{}{date}FUT", self.underlying),
            DerivativeKind::Option { strike, kind } => {
                format!(
                    "{}{date}{}{}",
                    self.underlying,
                    format_strike(strike),
                    kind.as_str()
                )
            }
        }
    }
}

/// `24000` for whole strikes, `52.5` otherwise.
pub fn format_strike(strike: f64) -> String {
    if strike.fract() == 0.0 {
        format!("{strike:.0}")
    } else {
        format!("{strike}")
    }
}

/// History intervals, OpenAlgo's enumeration in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interval {
    S1,
    S5,
    S10,
    S15,
    S30,
    S45,
    M1,
    M2,
    M3,
    M5,
    M10,
    M15,
    M20,
    M30,
    H1,
    H2,
    H3,
    H4,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// How an interval's buckets are laid out in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalUnit {
    /// Fixed number of seconds from the session's start.
    Seconds(u32),
    Days,
    Weeks,
    /// Calendar months per bucket (1, 3 or 12).
    Months(u32),
}

impl Interval {
    pub const ALL: [Interval; 23] = [
        Interval::S1,
        Interval::S5,
        Interval::S10,
        Interval::S15,
        Interval::S30,
        Interval::S45,
        Interval::M1,
        Interval::M2,
        Interval::M3,
        Interval::M5,
        Interval::M10,
        Interval::M15,
        Interval::M20,
        Interval::M30,
        Interval::H1,
        Interval::H2,
        Interval::H3,
        Interval::H4,
        Interval::Day,
        Interval::Week,
        Interval::Month,
        Interval::Quarter,
        Interval::Year,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Interval::S1 => "1s",
            Interval::S5 => "5s",
            Interval::S10 => "10s",
            Interval::S15 => "15s",
            Interval::S30 => "30s",
            Interval::S45 => "45s",
            Interval::M1 => "1m",
            Interval::M2 => "2m",
            Interval::M3 => "3m",
            Interval::M5 => "5m",
            Interval::M10 => "10m",
            Interval::M15 => "15m",
            Interval::M20 => "20m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H2 => "2h",
            Interval::H3 => "3h",
            Interval::H4 => "4h",
            Interval::Day => "D",
            Interval::Week => "W",
            Interval::Month => "M",
            Interval::Quarter => "Q",
            Interval::Year => "Y",
        }
    }

    pub const fn unit(self) -> IntervalUnit {
        match self {
            Interval::S1 => IntervalUnit::Seconds(1),
            Interval::S5 => IntervalUnit::Seconds(5),
            Interval::S10 => IntervalUnit::Seconds(10),
            Interval::S15 => IntervalUnit::Seconds(15),
            Interval::S30 => IntervalUnit::Seconds(30),
            Interval::S45 => IntervalUnit::Seconds(45),
            Interval::M1 => IntervalUnit::Seconds(60),
            Interval::M2 => IntervalUnit::Seconds(120),
            Interval::M3 => IntervalUnit::Seconds(180),
            Interval::M5 => IntervalUnit::Seconds(300),
            Interval::M10 => IntervalUnit::Seconds(600),
            Interval::M15 => IntervalUnit::Seconds(900),
            Interval::M20 => IntervalUnit::Seconds(1200),
            Interval::M30 => IntervalUnit::Seconds(1800),
            Interval::H1 => IntervalUnit::Seconds(3600),
            Interval::H2 => IntervalUnit::Seconds(7200),
            Interval::H3 => IntervalUnit::Seconds(10800),
            Interval::H4 => IntervalUnit::Seconds(14400),
            Interval::Day => IntervalUnit::Days,
            Interval::Week => IntervalUnit::Weeks,
            Interval::Month => IntervalUnit::Months(1),
            Interval::Quarter => IntervalUnit::Months(3),
            Interval::Year => IntervalUnit::Months(12),
        }
    }

    /// Intraday intervals are built from the second/minute path; the rest from daily bars.
    pub const fn is_intraday(self) -> bool {
        matches!(self.unit(), IntervalUnit::Seconds(_))
    }
}

impl FromStr for Interval {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Interval::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| ParseError::Interval(s.to_owned()))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `instrumenttype` column, in the vocabulary OpenAlgo's docs show (`EQ`, `FUT`, `CE`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstrumentType {
    Equity,
    Index,
    Future,
    Call,
    Put,
}

impl InstrumentType {
    pub const fn as_str(self) -> &'static str {
        match self {
            InstrumentType::Equity => "EQ",
            InstrumentType::Index => "INDEX",
            InstrumentType::Future => "FUT",
            InstrumentType::Call => "CE",
            InstrumentType::Put => "PE",
        }
    }

    pub const fn is_option(self) -> bool {
        matches!(self, InstrumentType::Call | InstrumentType::Put)
    }

    pub const fn is_derivative(self) -> bool {
        matches!(
            self,
            InstrumentType::Future | InstrumentType::Call | InstrumentType::Put
        )
    }

    /// Accepts the broker vocabularies found in master contracts (`FUTIDX`, `OPTSTK`, ...);
    /// `OPT*` needs the symbol's `CE`/`PE` suffix to decide the right.
    pub fn parse_with_symbol(s: &str, symbol: &str) -> Option<Self> {
        let t = s.trim().to_ascii_uppercase();
        Some(match t.as_str() {
            "EQ" | "EQUITY" | "BE" | "" => InstrumentType::Equity,
            "INDEX" | "INDICES" | "AMXIDX" => InstrumentType::Index,
            "FUT" | "FUTIDX" | "FUTSTK" | "FUTCOM" | "FUTCUR" | "FUTENR" | "FUTIRC" => {
                InstrumentType::Future
            }
            "CE" => InstrumentType::Call,
            "PE" => InstrumentType::Put,
            "OPTIDX" | "OPTSTK" | "OPTFUT" | "OPTCUR" | "OPTIRC" if symbol.ends_with("CE") => {
                InstrumentType::Call
            }
            "OPTIDX" | "OPTSTK" | "OPTFUT" | "OPTCUR" | "OPTIRC" if symbol.ends_with("PE") => {
                InstrumentType::Put
            }
            _ => return None,
        })
    }
}

impl fmt::Display for InstrumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InstrumentType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `futures` or `options`, the expiry endpoint's `instrumenttype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpiryKind {
    Futures,
    Options,
}

impl ExpiryKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ExpiryKind::Futures => "futures",
            ExpiryKind::Options => "options",
        }
    }
}

impl FromStr for ExpiryKind {
    type Err = ParseError;

    /// Case-insensitive, as OpenAlgo lower-cases it before checking.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "futures" => Ok(ExpiryKind::Futures),
            "options" => Ok(ExpiryKind::Options),
            _ => Err(ParseError::ExpiryKind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchanges_parse_exactly_and_list_in_openalgo_order() {
        assert_eq!("NSE_INDEX".parse::<Exchange>().unwrap(), Exchange::NseIndex);
        assert!("nse".parse::<Exchange>().is_err());
        assert_eq!(Exchange::parse_lenient(" nfo ").unwrap(), Exchange::Nfo);
        assert_eq!(
            Exchange::list(),
            "NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, NCO, NSE_INDEX, BSE_INDEX, MCX_INDEX, \
             GLOBAL_INDEX, CRYPTO"
        );
        for e in Exchange::ALL {
            assert_eq!(e.as_str().parse::<Exchange>().unwrap(), e);
        }
    }

    #[test]
    fn derivative_symbols_round_trip() {
        for s in [
            "NIFTY30DEC25FUT",
            "NIFTY30DEC2524000CE",
            "BANKNIFTY27JAN2652500PE",
            "M&M30DEC253200CE",
        ] {
            let d = DerivativeSymbol::parse(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(d.format(), s);
        }
        let d = DerivativeSymbol::parse("NIFTY30DEC2524000CE").unwrap();
        assert_eq!(d.underlying, "NIFTY");
        assert_eq!(d.expiry, NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
        assert_eq!(
            d.kind,
            DerivativeKind::Option {
                strike: 24000.0,
                kind: OptionKind::Call
            }
        );
        let half = DerivativeSymbol::parse("IDEA30DEC257.5CE").unwrap();
        assert_eq!(
            half.kind,
            DerivativeKind::Option {
                strike: 7.5,
                kind: OptionKind::Call
            }
        );
        assert_eq!(half.format(), "IDEA30DEC257.5CE");
    }

    #[test]
    fn equities_and_junk_are_not_derivatives() {
        for s in [
            "RELIANCE",
            "NIFTY",
            "",
            "30DEC25FUT",
            "NIFTY31FEB25FUT",
            "NIFTY30DEC25CE",
            "XX30DEC25.5CE",
        ] {
            assert_eq!(DerivativeSymbol::parse(s), None, "{s}");
        }
    }

    #[test]
    fn expiry_format_round_trips() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
        assert_eq!(format_expiry(d), "06-JAN-26");
        assert_eq!(parse_expiry("06-JAN-26"), Some(d));
        assert_eq!(parse_expiry("06-jan-26"), Some(d));
        assert_eq!(parse_expiry("6-JAN-26"), None);
    }

    #[test]
    fn intervals_parse_case_sensitively() {
        for i in Interval::ALL {
            assert_eq!(i.as_str().parse::<Interval>().unwrap(), i);
        }
        assert!("1d".parse::<Interval>().is_err());
        assert!("d".parse::<Interval>().is_err());
    }

    #[test]
    fn symbols_reject_blank_control_and_overlong() {
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("  ").is_err());
        assert!(Symbol::parse("A\nB").is_err());
        assert!(Symbol::parse(&"A".repeat(MAX_SYMBOL_LEN + 1)).is_err());
        assert_eq!(Symbol::parse("M&M").unwrap().as_str(), "M&M");
    }
}
