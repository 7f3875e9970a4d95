//! The master shipped with the binary: equities and indices from `data/`, and F&O series
//! generated from the calendar relative to "today".

use std::sync::Arc;

use chrono::{NaiveDate, Weekday};

use super::chain::ChainSpec;
use super::token::{fnv1a, token_for};
use super::{Instrument, MasterBuilder, csv, expiry};
use crate::calendar::Holidays;
use crate::domain::{DerivativeKind, DerivativeSymbol, Exchange, InstrumentType};

const EQUITIES: &str = include_str!("../../data/equities.csv");
const INDICES: &str = include_str!("../../data/indices.csv");

const TICK: f64 = 0.05;
/// Futures listed per underlying (near, next, far month).
const FUTURE_MONTHS: usize = 3;
/// Monthly option series listed for indices and stocks.
const INDEX_OPTION_MONTHS: usize = 3;
const STOCK_OPTION_MONTHS: usize = 2;
/// Weekly series listed for indices with weeklies.
const WEEKLIES: usize = 4;
/// Strikes listed each side of the spot: every ITM/OTM offset up to 50 resolves, with room
/// for the spot to drift a few strikes before the chain is generated again.
pub const CHAIN_STRIKES: i64 = OFFSET_REACH + CHAIN_MARGIN;
/// The deepest offset OpenAlgo's `optionsymbol` accepts (`ITM50`, `OTM50`).
pub const OFFSET_REACH: i64 = 50;
/// Strikes the spot may move from the chain's centre before it is re-centred.
pub const CHAIN_MARGIN: i64 = 5;

/// The spot each underlying's chain is centred on (`None`: its reference price).
pub(super) type Spots<'a> = &'a dyn Fn(&str, Exchange) -> Option<f64>;

/// Only the indices and equities: what prices the spots a chain is centred on.
pub(super) fn populate_spots(b: &mut MasterBuilder) {
    add_spots(b, &parse_indices(), &parse_equities());
}

fn add_spots(b: &mut MasterBuilder, indices: &[Underlying], equities: &[Equity]) {
    for ix in indices {
        b.upsert(spot(
            &ix.symbol,
            &ix.name,
            ix.exchange,
            InstrumentType::Index,
            ix.price,
            ix.vol,
            1,
        ));
    }
    for eq in equities {
        b.upsert(spot(
            &eq.symbol,
            &eq.name,
            Exchange::Nse,
            InstrumentType::Equity,
            eq.price,
            eq.vol,
            1,
        ));
        if eq.bse {
            b.upsert(spot(
                &eq.symbol,
                &eq.name,
                Exchange::Bse,
                InstrumentType::Equity,
                eq.price,
                eq.vol,
                1,
            ));
        }
    }
}

pub(super) fn populate(b: &mut MasterBuilder, today: NaiveDate, holidays: &Holidays, spots: Spots) {
    let indices = parse_indices();
    let equities = parse_equities();
    add_spots(b, &indices, &equities);
    for ix in indices.iter().filter(|ix| ix.fno.is_some()) {
        let centre = spots(&ix.symbol, ix.exchange).unwrap_or(ix.price);
        index_series(b, ix, centre, today, holidays);
    }
    for eq in equities.iter().filter(|e| e.lot > 0) {
        let centre = spots(&eq.symbol, Exchange::Nse).unwrap_or(eq.price);
        stock_series(b, eq, centre, today, holidays);
    }
}

struct Underlying {
    symbol: String,
    name: String,
    exchange: Exchange,
    price: f64,
    vol: f64,
    fno: Option<Exchange>,
    lot: u32,
    step: f64,
    freeze: u32,
    weekly: Option<Weekday>,
    monthly: Weekday,
    strikes: i64,
}

struct Equity {
    symbol: String,
    name: String,
    price: f64,
    lot: u32,
    bse: bool,
    vol: f64,
}

fn rows(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    csv::data_lines(text)
        .skip(1)
        .map(|(n, l)| csv::split_line(l).unwrap_or_else(|| panic!("builtin data line {n}")))
}

fn parse_indices() -> Vec<Underlying> {
    rows(INDICES)
        .map(|f| {
            let num = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
            Underlying {
                symbol: f[0].clone(),
                name: f[1].clone(),
                exchange: f[2].parse().expect("builtin index exchange"),
                price: num(3),
                fno: f[4].parse().ok(),
                lot: num(5) as u32,
                step: num(6),
                freeze: num(7) as u32,
                weekly: expiry::parse_weekday(&f[8]),
                monthly: expiry::parse_weekday(&f[9]).unwrap_or(Weekday::Tue),
                strikes: num(10) as i64,
                vol: num(11),
            }
        })
        .collect()
}

fn parse_equities() -> Vec<Equity> {
    rows(EQUITIES)
        .map(|f| Equity {
            symbol: f[0].clone(),
            name: f[1].clone(),
            price: f[2].parse().expect("builtin equity price"),
            lot: f[3].parse().expect("builtin lot size"),
            bse: f[4] == "1",
            vol: match f[5].as_str() {
                "L" => 0.24,
                "M" => 0.32,
                _ => 0.45,
            },
        })
        .collect()
}

fn spot(
    symbol: &str,
    name: &str,
    exchange: Exchange,
    itype: InstrumentType,
    price: f64,
    vol: f64,
    lot: u32,
) -> Instrument {
    Instrument {
        id: 0,
        symbol: symbol.into(),
        brsymbol: symbol.into(),
        name: name.into(),
        exchange,
        brexchange: exchange.as_str().into(),
        token: token_for(exchange, symbol).into(),
        expiry: None,
        strike: 0.0,
        lotsize: lot,
        instrumenttype: itype,
        tick_size: TICK,
        freeze_qty: 1,
        ref_price: price,
        vol,
        underlying: None,
    }
}

/// What every contract of one underlying's series shares.
struct Series<'a> {
    name: Arc<str>,
    exchange: Exchange,
    price: f64,
    /// The spot the strikes are laid around.
    centre: f64,
    vol: f64,
    lot: u32,
    freeze: u32,
    step: f64,
    strikes: i64,
    b: &'a mut MasterBuilder,
}

impl Series<'_> {
    fn future(&mut self, expiry: NaiveDate) {
        let d = DerivativeSymbol {
            underlying: self.name.to_string(),
            expiry,
            kind: DerivativeKind::Future,
        };
        self.push(&d, InstrumentType::Future, 0.0, self.vol);
    }

    fn options(&mut self, expiry: NaiveDate) {
        self.b.chain(ChainSpec {
            name: Arc::clone(&self.name),
            exchange: self.exchange,
            expiry,
            centre: self.centre,
            step: self.step,
            strikes: self.strikes,
            lot: self.lot,
            freeze: self.freeze,
            price: self.price,
            vol: self.vol,
            tick: TICK,
        });
    }

    fn push(&mut self, d: &DerivativeSymbol, itype: InstrumentType, strike: f64, vol: f64) {
        let symbol = d.format();
        self.b.upsert(Instrument {
            id: 0,
            token: token_for(self.exchange, &symbol).into(),
            brsymbol: symbol.as_str().into(),
            symbol: symbol.into(),
            name: Arc::clone(&self.name),
            exchange: self.exchange,
            brexchange: self.exchange.as_str().into(),
            expiry: Some(d.expiry),
            strike,
            lotsize: self.lot,
            instrumenttype: itype,
            tick_size: TICK,
            freeze_qty: self.freeze,
            ref_price: self.price,
            vol,
            underlying: None,
        });
    }
}

fn index_series(
    b: &mut MasterBuilder,
    ix: &Underlying,
    centre: f64,
    today: NaiveDate,
    h: &Holidays,
) {
    let Some(exchange) = ix.fno else { return };
    b.centre(&ix.symbol, centre, ix.step);
    let mut s = Series {
        name: ix.symbol.as_str().into(),
        exchange,
        price: ix.price,
        centre,
        vol: ix.vol,
        lot: ix.lot,
        freeze: ix.freeze,
        step: ix.step,
        strikes: ix.strikes.max(CHAIN_STRIKES),
        b,
    };
    for e in expiry::monthly(today, ix.monthly, FUTURE_MONTHS, h) {
        s.future(e);
    }
    let mut opt = expiry::monthly(today, ix.monthly, INDEX_OPTION_MONTHS, h);
    if let Some(wd) = ix.weekly {
        opt.extend(expiry::weekly(today, wd, WEEKLIES, h));
    }
    opt.sort_unstable();
    opt.dedup();
    for e in opt {
        s.options(e);
    }
}

fn stock_series(b: &mut MasterBuilder, eq: &Equity, centre: f64, today: NaiveDate, h: &Holidays) {
    // The interval of the band the stock was listed in; NSE revises it only periodically.
    let step = stock_strike_step(eq.price);
    b.centre(&eq.symbol, centre, step);
    let mut s = Series {
        name: eq.symbol.as_str().into(),
        exchange: Exchange::Nfo,
        price: eq.price,
        centre,
        vol: eq.vol,
        lot: eq.lot,
        // NSE sets stock freeze limits per contract; this approximates their usual size.
        freeze: eq.lot * 20,
        step,
        strikes: CHAIN_STRIKES,
        b,
    };
    for e in expiry::monthly(today, Weekday::Tue, FUTURE_MONTHS, h) {
        s.future(e);
    }
    for e in expiry::monthly(today, Weekday::Tue, STOCK_OPTION_MONTHS, h) {
        s.options(e);
    }
}

/// NSE's usual stock-option strike intervals by price band.
pub(super) fn stock_strike_step(price: f64) -> f64 {
    const BANDS: [(f64, f64); 10] = [
        (20.0, 0.5),
        (50.0, 1.0),
        (100.0, 2.5),
        (250.0, 5.0),
        (500.0, 10.0),
        (1000.0, 20.0),
        (2500.0, 50.0),
        (5000.0, 100.0),
        (15000.0, 250.0),
        (50000.0, 500.0),
    ];
    BANDS
        .iter()
        .find(|(upto, _)| price < *upto)
        .map_or(1000.0, |&(_, step)| step)
}

/// A plausible price for a loaded row that gave none (deterministic per symbol).
pub(super) fn guess_price(symbol: &str) -> f64 {
    100.0 + (fnv1a(symbol.bytes()) % 1900) as f64
}

pub(super) fn default_vol(itype: InstrumentType) -> f64 {
    match itype {
        InstrumentType::Index => 0.14,
        _ => 0.30,
    }
}
