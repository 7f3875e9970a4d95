//! From an OpenAlgo options request to a contract: the underlying's base and embedded
//! expiry (§1.2), where its price is quoted (§1.3), the strike an offset names (§1.4), and
//! an option symbol's parts and expiry instant for the greeks (§6.2, §6.4).

use chrono::NaiveDate;

use crate::domain::{Exchange, OptionKind, format_strike};
use crate::instruments::InstrumentMaster;
use crate::time::ist_epoch;

/// An `underlying` as sent: `NIFTY`, or `NIFTY28OCT25FUT` (base and expiry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Underlying {
    /// Upper case.
    pub base: String,
    /// `DDMMMYY`, when the underlying embeds one.
    pub embedded_expiry: Option<String>,
    /// The underlying exactly as sent.
    pub sent: String,
}

/// OpenAlgo's `^([A-Z]+)(\d{2}[A-Z]{3}\d{2})(?:FUT)?$` on the upper-cased input; anything
/// else is a base as it is (`M&M`, `NIFTYNXT50`).
pub fn parse_underlying(sent: &str) -> Underlying {
    let up = sent.to_ascii_uppercase();
    let body = up.strip_suffix("FUT").unwrap_or(&up);
    let letters = body.bytes().take_while(u8::is_ascii_uppercase).count();
    let rest = &body[letters..];
    let is_code = rest.len() == 7
        && rest[..2].bytes().all(|b| b.is_ascii_digit())
        && rest[2..5].bytes().all(|b| b.is_ascii_uppercase())
        && rest[5..].bytes().all(|b| b.is_ascii_digit());
    if letters > 0 && is_code {
        Underlying {
            base: body[..letters].to_owned(),
            embedded_expiry: Some(rest.to_owned()),
            sent: sent.to_owned(),
        }
    } else {
        Underlying {
            base: up,
            embedded_expiry: None,
            sent: sent.to_owned(),
        }
    }
}

const NSE_INDICES: [&str; 6] = [
    "NIFTY",
    "BANKNIFTY",
    "FINNIFTY",
    "MIDCPNIFTY",
    "NIFTYNXT50",
    "INDIAVIX",
];
const BSE_INDICES: [&str; 3] = ["SENSEX", "BANKEX", "SENSEX50"];

/// Where the underlying's LTP is quoted (§1.3 step 1): F&O segments map to the index or
/// cash segment of their exchange.
pub fn quote_exchange(exchange: Exchange, base: &str) -> Exchange {
    match exchange {
        Exchange::Nfo | Exchange::Bfo if NSE_INDICES.contains(&base) => Exchange::NseIndex,
        Exchange::Nfo | Exchange::Bfo if BSE_INDICES.contains(&base) => Exchange::BseIndex,
        Exchange::Nfo => Exchange::Nse,
        Exchange::Bfo => Exchange::Bse,
        other => other,
    }
}

/// The symbol quoted for the underlying's LTP (§1.3 step 2, crypto aside).
pub fn quote_symbol(u: &Underlying, quote_exchange: Exchange) -> String {
    match &u.embedded_expiry {
        Some(_) if matches!(quote_exchange, Exchange::Mcx | Exchange::Cds) => {
            u.sent.to_ascii_uppercase()
        }
        Some(_) => u.base.clone(),
        None => u.sent.clone(),
    }
}

/// The options segment of a quote exchange (§1.3 step 3).
pub fn options_exchange(quote_exchange: Exchange) -> Exchange {
    match quote_exchange {
        Exchange::Nse | Exchange::NseIndex => Exchange::Nfo,
        Exchange::Bse | Exchange::BseIndex => Exchange::Bfo,
        e @ (Exchange::Mcx
        | Exchange::Cds
        | Exchange::Nco
        | Exchange::Bcd
        | Exchange::Ncdex
        | Exchange::Crypto) => e,
        _ => Exchange::Nfo,
    }
}

/// A strike relative to the at-the-money one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    Atm,
    Itm(i64),
    Otm(i64),
}

/// Why an offset names no strike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OffsetError {
    /// An unknown prefix, or a strike beyond the series.
    #[error("Offset {0} is out of range for available strikes. Please use a smaller offset.")]
    OutOfRange(String),
    /// `ITMX`: the count is not an integer (Python's own message).
    #[error("invalid literal for int() with base 10: {}", python_str(.0))]
    NotAnInteger(String),
    /// The legacy `strike_int` method with an unknown prefix.
    #[error("Invalid offset: {0}")]
    Invalid(String),
}

/// The Python repr of a string, as its `ValueError` quotes it.
fn python_str(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// `optionsymbol`'s schema rule: `ATM`, `ITM1`..`ITM50`, `OTM1`..`OTM50`, any case.
pub fn is_listed_offset(s: &str) -> bool {
    let up = s.to_ascii_uppercase();
    if up == "ATM" {
        return true;
    }
    let (prefix, n) = up.split_at(up.len().min(3));
    (prefix == "ITM" || prefix == "OTM")
        && !n.is_empty()
        && !n.starts_with('0')
        && n.len() <= 2
        && n.bytes().all(|b| b.is_ascii_digit())
        && n.parse::<u32>().is_ok_and(|n| (1..=50).contains(&n))
}

/// Python's `int()` on a string: surrounding whitespace, an optional sign, digits.
fn python_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Anything past i64 is out of every series anyway.
    Some(t.parse::<i64>().unwrap_or(if t.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    }))
}

/// The service's reading of an offset (§1.4): upper-cased, `ATM`, or `ITM`/`OTM` with an
/// integer (`ITM0` is the ATM).
pub fn parse_offset(sent: &str, legacy: bool) -> Result<Offset, OffsetError> {
    let up = sent.to_ascii_uppercase();
    if up == "ATM" {
        return Ok(Offset::Atm);
    }
    let prefix = up.get(..3).unwrap_or("");
    let ctor: fn(i64) -> Offset = match prefix {
        "ITM" => Offset::Itm,
        "OTM" => Offset::Otm,
        _ if legacy => return Err(OffsetError::Invalid(up)),
        _ => return Err(OffsetError::OutOfRange(sent.to_owned())),
    };
    let rest = &sent[3..];
    python_int(rest)
        .map(ctor)
        .ok_or_else(|| OffsetError::NotAnInteger(rest.to_owned()))
}

/// Steps from the ATM towards higher strikes.
fn steps_up(offset: Offset, kind: OptionKind) -> i64 {
    match (offset, kind) {
        (Offset::Atm, _) => 0,
        (Offset::Itm(n), OptionKind::Call) | (Offset::Otm(n), OptionKind::Put) => {
            n.saturating_neg()
        }
        (Offset::Otm(n), OptionKind::Call) | (Offset::Itm(n), OptionKind::Put) => n,
    }
}

/// The index of the strike nearest `ltp` in an ascending list; the lower one on a tie.
pub fn atm_index(strikes: &[f64], ltp: f64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, k) in strikes.iter().enumerate() {
        let d = (k - ltp).abs();
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

/// The strike `offset` names in `strikes` (ascending) around `ltp`.
pub fn offset_strike(
    strikes: &[f64],
    ltp: f64,
    offset: Offset,
    kind: OptionKind,
    sent: &str,
) -> Result<f64, OffsetError> {
    let out = || OffsetError::OutOfRange(sent.to_owned());
    let atm = atm_index(strikes, ltp).ok_or_else(out)?;
    let at = (atm as i64)
        .checked_add(steps_up(offset, kind))
        .ok_or_else(out)?;
    usize::try_from(at)
        .ok()
        .and_then(|i| strikes.get(i).copied())
        .ok_or_else(out)
}

/// The legacy method: ATM = `round(ltp / step) × step` (half to even), then `n × step`.
pub fn legacy_strike(ltp: f64, step: i64, offset: Offset, kind: OptionKind) -> f64 {
    let step = step as f64;
    let atm = (ltp / step).round_ties_even() * step;
    atm + steps_up(offset, kind) as f64 * step
}

/// `<BASE><DDMMMYY><STRIKE><CE|PE>`.
pub fn option_symbol(base: &str, expiry: &str, strike: f64, kind: OptionKind) -> String {
    format!("{base}{expiry}{}{}", format_strike(strike), kind.as_str())
}

/// The ascending strikes of a series.
pub fn series_strikes(
    master: &InstrumentMaster,
    base: &str,
    exchange: Exchange,
    expiry: NaiveDate,
    kind: OptionKind,
) -> Vec<f64> {
    master
        .strikes(base, exchange, expiry, kind)
        .map(|(k, _)| k)
        .collect()
}

/// An expiry as a client sent it, with the `DD-MMM-YY` form that the `expiry` endpoint
/// answers folded to `DDMMMYY`, so its output feeds an options request unchanged
/// (upstream builds a symbol that never resolves from it). Anything else is kept as sent.
pub fn undash_expiry(sent: &str) -> String {
    let b = sent.as_bytes();
    if b.len() == 9 && b[2] == b'-' && b[6] == b'-' {
        sent.replace('-', "")
    } else {
        sent.to_owned()
    }
}

/// `DDMMMYY` (any case) as a date.
pub fn parse_ddmmmyy(s: &str) -> Option<NaiveDate> {
    if s.len() != 7 || !s.is_ascii() {
        return None;
    }
    crate::domain::parse_expiry(&format!("{}-{}-{}", &s[..2], &s[2..5], &s[5..]))
}

/// An option symbol's parts, as the greeks endpoints read it (§6.4).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSymbol {
    pub base: String,
    pub expiry: NaiveDate,
    pub strike: f64,
    pub kind: OptionKind,
}

/// `([A-Z]+)(\d{2})([A-Z]{3})(\d{2})([\d.]+)(CE|PE)` at the start of the upper-cased
/// symbol, trailing text tolerated; the error is the reason OpenAlgo gives.
pub fn parse_option_symbol(symbol: &str) -> Result<OptionSymbol, String> {
    let bad = || format!("Invalid option symbol format: {symbol}");
    let up = symbol.to_ascii_uppercase();
    let b = up.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    // The base is greedy, but must leave the date behind it: back off to the last run of
    // letters followed by two digits.
    let mut end = letters;
    while end > 0 && !(b.len() >= end + 7 && b[end..end + 2].iter().all(u8::is_ascii_digit)) {
        end -= 1;
    }
    if end == 0 || end != letters {
        return Err(bad());
    }
    let rest = &up[end..];
    let ok = rest.len() > 9
        && rest[2..5].bytes().all(|c| c.is_ascii_uppercase())
        && rest[5..7].bytes().all(|c| c.is_ascii_digit());
    if !ok {
        return Err(bad());
    }
    let tail = &rest[7..];
    let strike_len = tail
        .bytes()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    let kind = match tail.get(strike_len..strike_len + 2) {
        Some("CE") => OptionKind::Call,
        Some("PE") => OptionKind::Put,
        _ => return Err(bad()),
    };
    if strike_len == 0 {
        return Err(bad());
    }
    let expiry = parse_ddmmmyy(&rest[..7]).ok_or_else(bad)?;
    let strike: f64 = tail[..strike_len].parse().map_err(|_| {
        format!(
            "could not convert string to float: '{}'",
            &tail[..strike_len]
        )
    })?;
    Ok(OptionSymbol {
        base: up[..end].to_owned(),
        expiry,
        strike,
        kind,
    })
}

/// The exchange the greeks quote an option's underlying on when the request names none.
pub fn greeks_underlying_exchange(base: &str, option_exchange: Exchange) -> Exchange {
    const NSE: [&str; 8] = [
        "NIFTY",
        "BANKNIFTY",
        "FINNIFTY",
        "MIDCPNIFTY",
        "NIFTYNXT50",
        "NIFTYIT",
        "NIFTYPHARMA",
        "NIFTYBANK",
    ];
    const CDS: [&str; 4] = ["USDINR", "EURINR", "GBPINR", "JPYINR"];
    const MCX: [&str; 16] = [
        "GOLD",
        "GOLDM",
        "GOLDPETAL",
        "SILVER",
        "SILVERM",
        "SILVERMIC",
        "CRUDEOIL",
        "CRUDEOILM",
        "NATURALGAS",
        "COPPER",
        "ZINC",
        "LEAD",
        "ALUMINIUM",
        "NICKEL",
        "COTTONCANDY",
        "MENTHAOIL",
    ];
    if NSE.contains(&base) {
        Exchange::NseIndex
    } else if BSE_INDICES.contains(&base) {
        Exchange::BseIndex
    } else if CDS.contains(&base) || option_exchange == Exchange::Cds {
        Exchange::Cds
    } else if MCX.contains(&base) || option_exchange == Exchange::Mcx {
        Exchange::Mcx
    } else if option_exchange == Exchange::Crypto {
        Exchange::Crypto
    } else {
        Exchange::Nse
    }
}

/// The IST time of day an option on `exchange` stops trading on its expiry date.
pub fn expiry_cutoff(exchange: Exchange) -> (u32, u32) {
    match exchange {
        Exchange::Mcx => (23, 30),
        Exchange::Cds => (12, 30),
        _ => (15, 30),
    }
}

/// Years clamped below this (about 53 minutes) keep the model finite near the cut-off.
pub const MIN_YEARS: f64 = 0.0001;
/// [`MIN_YEARS`] in days, as OpenAlgo reports it.
const MIN_DAYS: f64 = 0.0365;

/// Calendar time to the expiry instant: (days, years), clamped at [`MIN_YEARS`]; `None`
/// once the instant has passed.
pub fn time_to_expiry(expiry: NaiveDate, cutoff: (u32, u32), now_ms: i64) -> Option<(f64, f64)> {
    let at = ist_epoch(expiry, cutoff.0, cutoff.1) as f64;
    let days = (at - now_ms as f64 / 1000.0) / 86_400.0;
    if days <= 0.0 {
        return None;
    }
    let years = days / 365.0;
    if years < MIN_YEARS {
        Some((MIN_DAYS, MIN_YEARS))
    } else {
        Some((days, years))
    }
}
