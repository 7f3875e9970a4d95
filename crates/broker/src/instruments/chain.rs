//! Generated option series kept as a description, not as rows. The chains laid around the
//! spots are tens of thousands of contracts, each a function of its series and strike, and
//! stored row by row they were most of the server's memory. A contract becomes a row the
//! first time it is looked up (for the master's life); listing the master lays the others
//! out on the fly.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;

use super::Instrument;
use super::token::token_for;
use crate::domain::{Exchange, InstrumentType, OptionKind, format_ddmmmyy};

/// What a generated series is made from (its strikes are laid around `centre`).
#[derive(Debug, Clone)]
pub(crate) struct ChainSpec {
    pub name: Arc<str>,
    pub exchange: Exchange,
    pub expiry: NaiveDate,
    pub centre: f64,
    pub step: f64,
    /// Strikes each side of the one nearest `centre`.
    pub strikes: i64,
    pub lot: u32,
    pub freeze: u32,
    pub price: f64,
    pub vol: f64,
    pub tick: f64,
}

/// One generated series: both rights at every strike `(atm + k) × step`, `k` in
/// `k_lo..=k_hi`, each strike's call then its put.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub name: Arc<str>,
    pub exchange: Exchange,
    pub expiry: NaiveDate,
    /// `name` + `DDMMMYY`: how every symbol of the series begins.
    pub prefix: Box<str>,
    atm: f64,
    step: f64,
    k_lo: i64,
    k_hi: i64,
    lot: u32,
    freeze: u32,
    price: f64,
    vol: f64,
    tick: f64,
    pub underlying: Option<u32>,
    /// The series' first row among the master's generated rows.
    pub first: u32,
}

impl Chain {
    /// `None` when no strike of the series would be positive.
    pub fn new(s: ChainSpec) -> Option<Self> {
        let atm = (s.centre / s.step).round();
        if !(atm.is_finite() && s.step > 0.0) {
            return None;
        }
        // Strikes must be positive: (atm + k) > 0.
        let k_lo = (-s.strikes).max(-(atm as i64) + 1);
        let k_hi = s.strikes;
        (k_lo <= k_hi).then(|| Chain {
            prefix: format!("{}{}", s.name, format_ddmmmyy(s.expiry)).into(),
            name: s.name,
            exchange: s.exchange,
            expiry: s.expiry,
            atm,
            step: s.step,
            k_lo,
            k_hi,
            lot: s.lot,
            freeze: s.freeze,
            price: s.price,
            vol: s.vol,
            tick: s.tick,
            underlying: None,
            first: 0,
        })
    }

    pub fn rows(&self) -> u32 {
        2 * (self.k_hi - self.k_lo + 1) as u32
    }

    pub fn strike(&self, row: u32) -> f64 {
        (self.atm + (self.k_lo + i64::from(row / 2)) as f64) * self.step
    }

    pub fn kind(row: u32) -> OptionKind {
        if row % 2 == 0 {
            OptionKind::Call
        } else {
            OptionKind::Put
        }
    }

    pub fn itype(row: u32) -> InstrumentType {
        match Self::kind(row) {
            OptionKind::Call => InstrumentType::Call,
            OptionKind::Put => InstrumentType::Put,
        }
    }

    /// Appends the row's symbol to `out` (no allocation once `out` has grown).
    pub fn write_symbol(&self, row: u32, out: &mut String) {
        out.push_str(&self.prefix);
        let strike = self.strike(row);
        // As `format_strike`: whole strikes without a fraction (as an integer, which
        // formats several times faster than a float: search writes every symbol).
        let _ = if strike.fract() == 0.0 {
            write!(out, "{}", strike as i64)
        } else {
            write!(out, "{strike}")
        };
        out.push_str(Self::kind(row).as_str());
    }

    /// The row whose symbol is `prefix` + `rest`, if the series lists it.
    pub fn row_of(&self, rest: &str) -> Option<u32> {
        let (strike_text, kind) = if let Some(s) = rest.strip_suffix("CE") {
            (s, 0)
        } else {
            (rest.strip_suffix("PE")?, 1)
        };
        let strike: f64 = strike_text.parse().ok()?;
        let k = (strike / self.step).round() - self.atm;
        if !k.is_finite() || k < self.k_lo as f64 || k > self.k_hi as f64 {
            return None;
        }
        let row = 2 * (k as i64 - self.k_lo) as u32 + kind;
        // Only the canonical spelling names the contract (not `026000` or `26000.0`).
        let mut canonical = String::with_capacity(self.prefix.len() + rest.len());
        self.write_symbol(row, &mut canonical);
        (canonical[self.prefix.len()..] == *rest).then_some(row)
    }

    /// The contract at `row`, as the master lists it with id `id`.
    pub fn instrument(&self, row: u32, id: u32) -> Instrument {
        let mut symbol = String::with_capacity(self.prefix.len() + 10);
        self.write_symbol(row, &mut symbol);
        Instrument {
            id,
            token: token_for(self.exchange, &symbol).into(),
            brsymbol: symbol.as_str().into(),
            symbol: symbol.into(),
            name: Arc::clone(&self.name),
            exchange: self.exchange,
            brexchange: self.exchange.as_str().into(),
            expiry: Some(self.expiry),
            strike: self.strike(row),
            lotsize: self.lot,
            instrumenttype: Self::itype(row),
            tick_size: self.tick,
            freeze_qty: self.freeze,
            ref_price: self.price,
            vol: self.vol,
            underlying: self.underlying,
        }
    }
}

/// An option symbol as the series prefix (underlying + `DDMMMYY`) and the rest (strike and
/// right): the month is the symbol's last run of letters before the strike.
pub(super) fn split_option_symbol(symbol: &str) -> Option<(&str, &str)> {
    let body = symbol
        .strip_suffix("CE")
        .or_else(|| symbol.strip_suffix("PE"))?;
    let month_end = body.bytes().rposition(|b| b.is_ascii_alphabetic())? + 1;
    let cut = month_end + 2;
    let year = body.as_bytes().get(month_end..cut)?;
    (year.iter().all(u8::is_ascii_digit) && cut < body.len())
        .then(|| (&symbol[..cut], &symbol[cut..]))
}
