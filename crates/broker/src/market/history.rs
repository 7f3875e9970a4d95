//! Candles for every interval, aggregated from the same path quotes are read from.

use chrono::{Datelike, NaiveDate};

use super::path::{DayBar, DayPath, derived_bar};
use super::{PaperMarket, to_price};
use crate::api::Candle;
use crate::calendar::Session;
use crate::domain::{Exchange, Interval, IntervalUnit};
use crate::error::BrokerError;
use crate::instruments::{Instrument, InstrumentMaster};
use crate::time::ist_epoch;

/// Most candles one request returns; larger ranges are refused with a clear message.
pub const MAX_CANDLES: u64 = 100_000;
/// Longest date range accepted at all (about a century of daily bars).
const MAX_RANGE_DAYS: u64 = 36_600;

impl PaperMarket {
    /// `/history`: candles from `start` to `end` (IST dates, inclusive), oldest first, with
    /// epoch-second timestamps (bucket starts; daily and longer bars at IST midnight).
    pub fn history(
        &self,
        symbol: &str,
        exchange: Exchange,
        interval: Interval,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Candle>, BrokerError> {
        if start > end {
            return Err(BrokerError::DateRangeReversed);
        }
        let master = self.master();
        let inst = master
            .get(symbol, exchange)
            .ok_or_else(|| BrokerError::not_found(symbol, exchange.as_str()))?;
        let too_large = |candles: u64| BrokerError::RangeTooLarge {
            interval: interval.as_str(),
            candles,
            max: MAX_CANDLES,
        };
        let span = end.signed_duration_since(start).num_days() as u64 + 1;
        if span > MAX_RANGE_DAYS {
            return Err(too_large(span));
        }
        let now = self.clock().now_ms() / 1000;
        let Some(current) = self.config().calendar.current_session(now) else {
            return Ok(Vec::new());
        };
        let sessions = self.sessions(start, end.min(current.0.date));
        let estimate = match interval.unit() {
            IntervalUnit::Seconds(step) => sessions
                .iter()
                .map(|s| u64::from(s.len_secs.div_ceil(step)))
                .sum::<u64>(),
            _ => sessions.len() as u64,
        };
        if estimate > MAX_CANDLES {
            return Err(too_large(estimate));
        }
        let ctx = Ctx {
            market: self,
            master: &master,
            inst,
            current,
        };
        Ok(match interval.unit() {
            IntervalUnit::Seconds(step) => sessions
                .iter()
                .flat_map(|s| ctx.intraday(*s, step))
                .collect(),
            unit => aggregate(sessions.iter().map(|s| ctx.daily(*s)).collect(), unit),
        })
    }

    fn sessions(&self, start: NaiveDate, end: NaiveDate) -> Vec<Session> {
        let cal = &self.config().calendar;
        start
            .iter_days()
            .take_while(|d| *d <= end)
            .filter_map(|d| cal.session(d))
            .collect()
    }
}

struct Ctx<'a> {
    market: &'a PaperMarket,
    master: &'a InstrumentMaster,
    inst: &'a Instrument,
    current: (Session, u32),
}

impl Ctx<'_> {
    /// How far into `s` the data goes: all of it, or up to now for the running session.
    fn seen(&self, s: Session) -> u32 {
        if s.start == self.current.0.start {
            self.current.1
        } else {
            s.len_secs
        }
    }

    fn intraday(&self, s: Session, step: u32) -> Vec<Candle> {
        let end = self.seen(s);
        let path = self.market.day_path(self.master, self.inst, s);
        let mut pts = Points {
            path: &path,
            cached: None,
        };
        let lot = u64::from(self.inst.lotsize.max(1));
        (0..end)
            .step_by(step as usize)
            .map(|a| {
                let b = (a + step).min(end);
                let (open, high, low, close) = pts.ohlc(a, b);
                let (oi0, oi1) = path.oi;
                let frac = f64::from(b) / f64::from(s.len_secs.max(1));
                let oi = ((oi0 as f64 + (oi1 as f64 - oi0 as f64) * frac) / lot as f64).round()
                    as u64
                    * lot;
                Candle {
                    timestamp: s.start + i64::from(a),
                    open: to_price(open, path.tick),
                    high: to_price(high, path.tick),
                    low: to_price(low, path.tick),
                    close: to_price(close, path.tick),
                    volume: pts.volume(b) - pts.volume(a),
                    oi,
                }
            })
            .collect()
    }

    /// The session's daily bar; the running session is read from the live snapshot so it
    /// equals the quote.
    fn daily(&self, s: Session) -> Candle {
        let timestamp = ist_epoch(s.date, 0, 0);
        if s.start == self.current.0.start {
            let snap = self.market.snapshot_at(
                self.master,
                self.inst,
                s.start + i64::from(self.current.1),
            );
            return Candle {
                timestamp,
                open: snap.px(snap.open),
                high: snap.px(snap.high),
                low: snap.px(snap.low),
                close: snap.px(snap.ltp),
                volume: snap.volume,
                oi: snap.oi,
            };
        }
        let (bar, tick, oi) = self.full_bar(s);
        Candle {
            timestamp,
            open: to_price(bar.open, tick),
            high: to_price(bar.high, tick),
            low: to_price(bar.low, tick),
            close: to_price(bar.close, tick),
            volume: bar.volume,
            oi,
        }
    }

    /// A completed session's bar in O(1): no minute path needed.
    fn full_bar(&self, s: Session) -> (DayBar, f64, u64) {
        match self.market.derivation(self.master, self.inst, s) {
            Some((under, map, flow)) => {
                let uspec = self.market.base_spec(under);
                let ubar = self.market.base_bar(&uspec, s);
                (
                    derived_bar(&ubar, uspec.tick, &map, &flow),
                    map.tick,
                    flow.oi.1,
                )
            }
            None => {
                let spec = self.market.base_spec(self.inst);
                (self.market.base_bar(&spec, s), spec.tick, 0)
            }
        }
    }
}

/// Prices of one session at whole seconds, drawing each minute's seconds only when needed.
struct Points<'a> {
    path: &'a DayPath,
    cached: Option<(u32, [i64; 61])>,
}

impl Points<'_> {
    fn minute(&mut self, m: u32) -> &[i64; 61] {
        if self.cached.is_none_or(|(c, _)| c != m) {
            self.cached = Some((m, self.path.seconds(m)));
        }
        &self.cached.as_ref().expect("just filled").1
    }

    fn at(&mut self, t: u32) -> i64 {
        if t % 60 == 0 {
            self.path.x[(t / 60) as usize]
        } else {
            self.minute(t / 60)[(t % 60) as usize]
        }
    }

    fn volume(&self, t: u32) -> u64 {
        let (m, s) = ((t / 60) as usize, u64::from(t % 60));
        let cum = &self.path.cum_vol;
        match cum.get(m + 1) {
            Some(next) => cum[m] + (next - cum[m]) * s / 60,
            None => cum[m],
        }
    }

    /// Open, high, low, close over the points `a..=b` (a candle spanning `(a, b]`).
    fn ohlc(&mut self, a: u32, b: u32) -> (i64, i64, i64, i64) {
        let open = self.at(a);
        let (mut high, mut low) = (open, open);
        let mut t = a;
        while t < b {
            let m = t / 60;
            let (start, stop) = (m * 60, m * 60 + 60);
            if t == start && stop <= b {
                high = high.max(self.path.hi[m as usize]);
                low = low.min(self.path.lo[m as usize]);
                t = stop;
            } else {
                let to = b.min(stop);
                let secs = self.minute(m);
                for &p in &secs[(t - start) as usize..=(to - start) as usize] {
                    high = high.max(p);
                    low = low.min(p);
                }
                t = to;
            }
        }
        (open, high, low, self.at(b))
    }
}

/// Daily candles into weeks, months, quarters or years, stamped with their first day.
fn aggregate(days: Vec<Candle>, unit: IntervalUnit) -> Vec<Candle> {
    let bucket = |ts: i64| -> (i32, u32) {
        let d = crate::time::ist_date(ts);
        match unit {
            IntervalUnit::Weeks => (d.iso_week().year(), d.iso_week().week()),
            IntervalUnit::Months(n) => (d.year(), d.month0() / n),
            _ => (d.year(), d.ordinal()),
        }
    };
    let mut out: Vec<(Candle, (i32, u32))> = Vec::new();
    for c in days {
        let b = bucket(c.timestamp);
        match out.last_mut() {
            Some((acc, key)) if *key == b => {
                acc.high = acc.high.max(c.high);
                acc.low = acc.low.min(c.low);
                acc.close = c.close;
                acc.volume += c.volume;
                acc.oi = c.oi;
            }
            _ => out.push((c, b)),
        }
    }
    out.into_iter().map(|(c, _)| c).collect()
}
