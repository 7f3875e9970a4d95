//! The simulated market: prices every instrument lazily from a deterministic process
//! (see [`path`]), answers quotes, depth and history, and feeds ticks to subscribers.

mod bs;
mod chains;
pub mod history;
pub(crate) mod path;
pub(crate) mod rng;
mod ticks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{Datelike, NaiveDate};

use self::path::{BaseSpec, DayPath, DerivFlow, MapKind, Mapping};
use crate::api::{DepthData, DepthLevel, Intervals, MultiQuoteItem, MultiQuotes, QuoteData};
use crate::calendar::{MarketCalendar, Session};
use crate::clock::Clock;
use crate::domain::{Exchange, InstrumentType};
use crate::error::BrokerError;
use crate::feed::Feed;
use crate::instruments::{Instrument, InstrumentMaster};
use crate::time::ist_epoch;

/// How the simulated market behaves. `Default` is what a fresh install runs.
#[derive(Debug, Clone)]
pub struct MarketConfig {
    /// Same seed and clock, same prices.
    pub seed: u64,
    pub calendar: MarketCalendar,
    /// How often the ticker publishes subscribed instruments.
    pub tick_interval: Duration,
    /// Ticks a slow receiver may fall behind before it starts losing them.
    pub channel_capacity: usize,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            seed: 0x0A16_0A7E,
            calendar: MarketCalendar::Continuous,
            tick_interval: Duration::from_secs(1),
            channel_capacity: 4096,
        }
    }
}

/// Day paths kept for quick quotes; the oldest half is dropped when full.
const CACHE_ENTRIES: usize = 256;
/// Rupee turnover per day behind the simulated equity volumes, by volatility class.
const TURNOVER: [(f64, f64); 3] = [(0.25, 6e9), (0.33, 1.5e9), (f64::INFINITY, 5e8)];

/// Everything known about one instrument at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Snapshot {
    pub ltp: i64,
    pub open: i64,
    pub high: i64,
    pub low: i64,
    pub prev_close: i64,
    pub volume: u64,
    pub oi: u64,
    pub tick: f64,
    /// Seconds into the session (its length once closed) and the session's date.
    pub elapsed: u32,
    pub date: NaiveDate,
}

impl Snapshot {
    pub fn px(&self, ticks: i64) -> f64 {
        to_price(ticks, self.tick)
    }
}

/// Ticks to rupees without binary noise (`1560.05`, not `1560.0500000000002`).
pub(crate) fn to_price(ticks: i64, tick: f64) -> f64 {
    (ticks as f64 * tick * 10_000.0).round() / 10_000.0
}

/// The paper broker's market. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct PaperMarket {
    master: RwLock<Arc<InstrumentMaster>>,
    clock: Arc<dyn Clock>,
    cfg: MarketConfig,
    cache: Mutex<HashMap<(u64, i64), Arc<DayPath>>>,
    pub(crate) feed: Feed,
}

impl PaperMarket {
    pub fn new(master: InstrumentMaster, clock: Arc<dyn Clock>, cfg: MarketConfig) -> Arc<Self> {
        let feed = Feed::new(cfg.channel_capacity);
        Arc::new(PaperMarket {
            master: RwLock::new(Arc::new(master)),
            clock,
            cfg,
            cache: Mutex::new(HashMap::new()),
            feed,
        })
    }

    /// The builtin master for the clock's date, its chains centred on the spots now.
    pub fn with_builtin(clock: Arc<dyn Clock>, cfg: MarketConfig) -> Arc<Self> {
        // The spots price from the indices and equities alone, so those come first.
        let market = Self::new(InstrumentMaster::builtin_spots(), clock, cfg);
        market.regenerate_chains(&Default::default());
        market
    }

    /// The exchange holidays expiries are moved back from.
    pub(crate) fn holidays(&self) -> crate::calendar::Holidays {
        match &self.cfg.calendar {
            MarketCalendar::Exchange(h) => h.clone(),
            MarketCalendar::Continuous => crate::calendar::Holidays::builtin(),
        }
    }

    pub fn master(&self) -> Arc<InstrumentMaster> {
        Arc::clone(&self.master.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Swaps in a new master (a daily roll of expiries, or one extended from CSV).
    pub fn replace_master(&self, master: InstrumentMaster) {
        *self.master.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(master);
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn config(&self) -> &MarketConfig {
        &self.cfg
    }

    /// Whether prices are moving now.
    pub fn is_open(&self) -> bool {
        self.cfg.calendar.is_open(self.clock.now())
    }

    /// `/quotes`.
    pub fn quote(&self, symbol: &str, exchange: Exchange) -> Result<QuoteData, BrokerError> {
        let master = self.master();
        let inst = lookup(&master, symbol, exchange)?;
        let snap = self.snapshot_at(&master, inst, self.clock.now_ms() / 1000);
        let book = Book::build(self.cfg.seed, inst, &snap);
        Ok(QuoteData {
            open: snap.px(snap.open),
            high: snap.px(snap.high),
            low: snap.px(snap.low),
            ltp: snap.px(snap.ltp),
            ask: book.asks[0].price,
            bid: book.bids[0].price,
            prev_close: snap.px(snap.prev_close),
            volume: snap.volume,
            oi: snap.oi,
        })
    }

    /// `/multiquotes`: unknown symbols first (OpenAlgo's order), then quotes in request order.
    pub fn multiquotes(&self, items: &[(String, String)]) -> MultiQuotes {
        let (mut bad, mut good) = (Vec::new(), Vec::new());
        for (symbol, exchange) in items {
            let quote = Exchange::parse_lenient(exchange)
                .map_err(BrokerError::from)
                .and_then(|ex| self.quote(symbol, ex));
            let (data, error) = match quote {
                Ok(q) => (Some(q), None),
                Err(BrokerError::InvalidExchange(_)) | Err(BrokerError::SymbolNotFound { .. }) => (
                    None,
                    Some(BrokerError::not_found(symbol, exchange).to_string()),
                ),
                Err(e) => (None, Some(e.to_string())),
            };
            let item = MultiQuoteItem {
                symbol: symbol.clone(),
                exchange: exchange.clone(),
                data,
                error,
            };
            if item.data.is_some() {
                good.push(item)
            } else {
                bad.push(item)
            }
        }
        bad.extend(good);
        MultiQuotes { results: bad }
    }

    /// `/depth`.
    pub fn depth(&self, symbol: &str, exchange: Exchange) -> Result<DepthData, BrokerError> {
        let master = self.master();
        let inst = lookup(&master, symbol, exchange)?;
        let snap = self.snapshot_at(&master, inst, self.clock.now_ms() / 1000);
        let book = Book::build(self.cfg.seed, inst, &snap);
        Ok(DepthData {
            open: snap.px(snap.open),
            high: snap.px(snap.high),
            low: snap.px(snap.low),
            ltp: snap.px(snap.ltp),
            ltq: book.ltq,
            prev_close: snap.px(snap.prev_close),
            volume: snap.volume,
            oi: snap.oi,
            totalbuyqty: book.bids.iter().map(|l| l.quantity).sum(),
            totalsellqty: book.asks.iter().map(|l| l.quantity).sum(),
            asks: book.asks,
            bids: book.bids,
        })
    }

    /// `/intervals`.
    pub fn intervals(&self) -> Intervals {
        Intervals::all()
    }

    /// The state of `inst` at epoch second `t`.
    pub(crate) fn snapshot_at(
        &self,
        master: &InstrumentMaster,
        inst: &Instrument,
        t: i64,
    ) -> Snapshot {
        let Some((session, elapsed)) = self.cfg.calendar.current_session(t) else {
            return self.flat_snapshot(inst);
        };
        let path = self.day_path(master, inst, session);
        let m = elapsed / 60;
        let s = (elapsed % 60) as usize;
        let done_high = path.hi[..m as usize].iter().copied().max();
        let done_low = path.lo[..m as usize].iter().copied().min();
        let (ltp, part_high, part_low, part_vol) = if m < path.minutes() {
            let secs = path.seconds(m);
            let seen = &secs[..=s];
            let minute_vol = path.cum_vol[m as usize + 1] - path.cum_vol[m as usize];
            let vol = minute_vol * s as u64 / 60;
            (
                secs[s],
                seen.iter().copied().max(),
                seen.iter().copied().min(),
                vol,
            )
        } else {
            (path.bar.close, None, None, 0)
        };
        let fold = |a: Option<i64>, b: Option<i64>, f: fn(i64, i64) -> i64| match (a, b) {
            (Some(x), Some(y)) => f(x, y),
            (x, y) => x.or(y).unwrap_or(ltp),
        };
        let (oi0, oi1) = path.oi;
        let frac = f64::from(elapsed) / f64::from(session.len_secs.max(1));
        let lot = u64::from(inst.lotsize.max(1));
        let oi =
            ((oi0 as f64 + (oi1 as f64 - oi0 as f64) * frac) / lot as f64).round() as u64 * lot;
        Snapshot {
            ltp,
            open: path.bar.open,
            high: fold(done_high, part_high, i64::max),
            low: fold(done_low, part_low, i64::min),
            prev_close: path.bar.prev_close,
            volume: path.cum_vol[m as usize] + part_vol,
            oi,
            tick: path.tick,
            elapsed,
            date: session.date,
        }
    }

    /// No session within reach (a calendar closed for weeks): reference prices, no trading.
    fn flat_snapshot(&self, inst: &Instrument) -> Snapshot {
        let p = ((inst.ref_price / inst.tick_size).round() as i64).max(1);
        Snapshot {
            ltp: p,
            open: p,
            high: p,
            low: p,
            prev_close: p,
            volume: 0,
            oi: 0,
            tick: inst.tick_size,
            elapsed: 0,
            date: self.clock.today_ist(),
        }
    }

    /// The minute path of `inst` for a session, cached.
    pub(crate) fn day_path(
        &self,
        master: &InstrumentMaster,
        inst: &Instrument,
        s: Session,
    ) -> Arc<DayPath> {
        let key = (inst_key(inst), s.start);
        if let Some(p) = self.cache_get(key) {
            return p;
        }
        let path = Arc::new(self.build_path(master, inst, s));
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHE_ENTRIES {
            let mut keys: Vec<_> = cache.keys().copied().collect();
            keys.sort_by_key(|k| k.1);
            for k in &keys[..keys.len() / 2] {
                cache.remove(k);
            }
        }
        cache.insert(key, Arc::clone(&path));
        path
    }

    fn cache_get(&self, key: (u64, i64)) -> Option<Arc<DayPath>> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned()
    }

    fn build_path(&self, master: &InstrumentMaster, inst: &Instrument, s: Session) -> DayPath {
        match self.derivation(master, inst, s) {
            Some((under, map, flow)) => {
                let up = self.day_path(master, under, s);
                DayPath::derived(up, map, flow)
            }
            None => {
                let spec = self.base_spec(inst);
                let bar = self.base_bar(&spec, s);
                DayPath::base(spec, bar, s.minutes())
            }
        }
    }

    pub(crate) fn base_spec(&self, inst: &Instrument) -> BaseSpec {
        let daily_volume = if inst.is_index() || inst.exchange.is_index() {
            0.0
        } else {
            let turnover = TURNOVER
                .iter()
                .find(|(v, _)| inst.vol <= *v)
                .map_or(5e8, |t| t.1);
            (turnover / inst.ref_price.max(1.0)).max(1000.0)
        };
        BaseSpec {
            seed: self.cfg.seed,
            key: inst_key(inst),
            ref_price: inst.ref_price.max(inst.tick_size),
            vol: inst.vol.max(0.0),
            tick: inst.tick_size,
            gaps: matches!(self.cfg.calendar, MarketCalendar::Exchange(_)),
            daily_volume,
        }
    }

    /// The bar of a base process for one session.
    pub(crate) fn base_bar(&self, spec: &BaseSpec, s: Session) -> path::DayBar {
        let day = day_number(s.date);
        let prev = self
            .cfg
            .calendar
            .previous_trading_day(s.date)
            .map_or(day - 1, day_number);
        let closes = spec.log_closes(prev, day);
        spec.day_bar(day, closes[0], closes[closes.len() - 1], s.minutes())
    }

    /// For a derivative with a known underlying: the underlying, how price maps, and its flow.
    pub(crate) fn derivation<'m>(
        &self,
        master: &'m InstrumentMaster,
        inst: &Instrument,
        s: Session,
    ) -> Option<(&'m Instrument, Mapping, DerivFlow)> {
        let under = master.underlying(inst)?;
        let expiry = inst.expiry?;
        let expiry_ts = ist_epoch(expiry, 15, 30);
        let prev_start = self
            .cfg
            .calendar
            .previous_trading_day(s.date)
            .and_then(|d| self.cfg.calendar.session(d))
            .map_or(s.start - 86_400, |p| p.start);
        let years = |from: i64| (expiry_ts - from).max(0) as f64 / (365.0 * 86_400.0);
        let moneyness = (inst.strike.max(0.01) / under.ref_price.max(0.01)).ln();
        let (kind, lots) = match inst.option() {
            Some((kind, strike)) => {
                let iv = inst.vol.max(0.05) * (1.0 + 2.0 * moneyness * moneyness);
                let base = if under.is_index() {
                    300_000.0
                } else {
                    15_000.0
                };
                let lots = base * (-(moneyness / 0.05).powi(2)).exp() + 50.0;
                (MapKind::Option { kind, strike, iv }, lots)
            }
            None => (
                MapKind::Future,
                if under.is_index() { 80_000.0 } else { 8_000.0 },
            ),
        };
        let map = Mapping {
            tick: inst.tick_size,
            t: years(s.start),
            t_prev: years(prev_start),
            kind,
        };
        let flow = DerivFlow::draw(
            self.cfg.seed,
            inst_key(inst),
            day_number(s.date),
            lots,
            inst.lotsize.max(1),
        );
        Some((under, map, flow))
    }
}

fn lookup<'m>(
    m: &'m InstrumentMaster,
    symbol: &str,
    ex: Exchange,
) -> Result<&'m Instrument, BrokerError> {
    m.get(symbol, ex)
        .ok_or_else(|| BrokerError::not_found(symbol, ex.as_str()))
}

pub(crate) fn inst_key(inst: &Instrument) -> u64 {
    rng::instrument_key(inst.exchange.as_str(), &inst.symbol)
}

pub(crate) fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

/// Five levels a side around the last price, with quantities drawn per second.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Book {
    pub bids: [DepthLevel; 5],
    pub asks: [DepthLevel; 5],
    pub ltq: u64,
}

impl Book {
    pub fn build(seed: u64, inst: &Instrument, snap: &Snapshot) -> Self {
        let empty = [DepthLevel::default(); 5];
        if inst.instrumenttype == InstrumentType::Index || inst.exchange.is_index() {
            return Book {
                bids: empty,
                asks: empty,
                ltq: 0,
            };
        }
        let k = rng::key(&[
            seed,
            inst_key(inst),
            snap.date.num_days_from_ce() as u64,
            u64::from(snap.elapsed),
        ]);
        let draw = |i: u64| rng::uniform(rng::key(&[k, i]));
        // Spread in ticks: a few basis points for cash and futures, wider for options.
        let frac = if inst.instrumenttype.is_option() {
            0.004
        } else {
            0.0002
        };
        let half = ((snap.ltp as f64 * frac / 2.0).round() as i64).max(1);
        let lot = u64::from(inst.lotsize.max(1));
        let qty = |i: u64| lot * (1 + (draw(i) * 40.0) as u64) * if lot == 1 { 25 } else { 1 };
        let mut book = Book {
            bids: empty,
            asks: empty,
            ltq: qty(99).min(lot * 10),
        };
        for lvl in 0..5 {
            let bid = snap.ltp - half - lvl as i64;
            let ask = snap.ltp + half + lvl as i64;
            book.asks[lvl] = DepthLevel {
                price: snap.px(ask),
                quantity: qty(lvl as u64),
            };
            if bid > 0 {
                book.bids[lvl] = DepthLevel {
                    price: snap.px(bid),
                    quantity: qty(10 + lvl as u64),
                };
            }
        }
        book
    }
}

#[cfg(test)]
mod tests;
