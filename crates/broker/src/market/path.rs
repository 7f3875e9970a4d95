//! The price process, built top-down so each level is consistent with the one above:
//!
//! 1. **Days.** A trading day's close is `ref × e^(drift·t + x_d)` where `x_d` is a rolling
//!    sum of the last [`WINDOW`] quantised daily shocks: a random walk that stays within a
//!    band around the reference price, and exact in integer arithmetic, so a day computed on
//!    its own equals the same day computed in a run. Open, high, low and volume are drawn per
//!    day, so daily bars cost O(1) each.
//! 2. **Minutes.** A Brownian bridge from the open through the day's high and low (at drawn
//!    minutes) to the close, kept inside [low, high]: the intraday path reproduces the day bar
//!    exactly.
//! 3. **Seconds.** The same construction inside each minute, drawn only when asked for.
//!
//! Derivatives are monotone maps of their underlying's path (futures: carry; options:
//! Black-Scholes with the time to expiry fixed per session), so their candles are the mapped
//! candles of the underlying and stay consistent too.

use std::sync::Arc;

use super::bs;
use super::rng::{key, normal, uniform};
use crate::domain::OptionKind;

/// Days in the rolling window of daily shocks (sets how far prices wander from reference).
pub(crate) const WINDOW: i64 = 200;
/// Fixed-point scale of quantised shocks.
const Q: f64 = 1_048_576.0;
/// Annual drift of every base process.
pub(crate) const DRIFT: f64 = 0.08;
/// Day number (days from CE) where prices sit at their reference: 2025-12-01.
pub(crate) const ANCHOR_DAY: i64 = 739_586;
/// Risk-free rate used for futures carry and option pricing.
pub(crate) const RATE: f64 = 0.065;

// Purposes of draws, so different uses of one (instrument, time) never share a number.
const T_CLOSE: u64 = 1;
const T_GAP: u64 = 2;
const T_HIGH: u64 = 3;
const T_LOW: u64 = 4;
const T_POS: u64 = 5;
const T_MIN: u64 = 6;
const T_MIN_EX: u64 = 7;
const T_VOL_DAY: u64 = 8;
const T_VOL_MIN: u64 = 9;
const T_SEC: u64 = 10;
const T_SEC_POS: u64 = 11;
const T_OI: u64 = 12;

/// One base (non-derivative) process.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BaseSpec {
    pub seed: u64,
    pub key: u64,
    pub ref_price: f64,
    pub vol: f64,
    pub tick: f64,
    /// Exchange sessions open away from the previous close; a continuous market does not.
    pub gaps: bool,
    /// Shares traded per day on average (0 for indices).
    pub daily_volume: f64,
}

impl BaseSpec {
    fn sigma_day(&self) -> f64 {
        self.vol / 365f64.sqrt()
    }

    fn draw(&self, tag: u64, a: i64, b: i64) -> u64 {
        key(&[self.seed, self.key, tag, a as u64, b as u64])
    }

    fn shock(&self, day: i64) -> i64 {
        (normal(self.draw(T_CLOSE, day, 0)) * Q).round() as i64
    }

    fn log_close(&self, day: i64, window_sum: i64) -> f64 {
        let c = self.sigma_day() / std::f64::consts::SQRT_2;
        self.ref_price.ln() + DRIFT * (day - ANCHOR_DAY) as f64 / 365.25 + c * window_sum as f64 / Q
    }

    /// Log closes for every calendar day in `from..=to`, by an exact rolling sum.
    pub fn log_closes(&self, from: i64, to: i64) -> Vec<f64> {
        let mut sum: i64 = (from - WINDOW + 1..=from).map(|d| self.shock(d)).sum();
        let mut out = Vec::with_capacity((to - from + 1).max(0) as usize);
        for d in from..=to {
            if d > from {
                sum += self.shock(d) - self.shock(d - WINDOW);
            }
            out.push(self.log_close(d, sum));
        }
        out
    }

    fn ticks(&self, price: f64) -> i64 {
        ((price / self.tick).round() as i64).max(1)
    }

    /// The day bar of trading day `day`, whose previous trading day closed at `prev_log_close`.
    pub fn day_bar(&self, day: i64, prev_log_close: f64, log_close: f64, minutes: u32) -> DayBar {
        let sd = self.sigma_day();
        let gap = if self.gaps {
            0.3 * sd * normal(self.draw(T_GAP, day, 0))
        } else {
            0.0
        };
        let prev_close = self.ticks(prev_log_close.exp());
        let open = if self.gaps {
            self.ticks((prev_log_close + gap).exp())
        } else {
            prev_close
        };
        let close = self.ticks(log_close.exp());
        let (top, bottom) = (open.max(close) as f64, open.min(close) as f64);
        let up = (top * ((0.6 * sd * normal(self.draw(T_HIGH, day, 0)).abs()).exp() - 1.0)).round();
        let down =
            (bottom * (1.0 - (-0.6 * sd * normal(self.draw(T_LOW, day, 0)).abs()).exp())).round();
        let high = open.max(close) + up as i64;
        let low = (open.min(close) - down as i64).max(1);
        let (t_high, t_low) = self.extreme_minutes(day, minutes);
        let volume = if self.daily_volume > 0.0 {
            (self.daily_volume * (0.35 * normal(self.draw(T_VOL_DAY, day, 0)) - 0.06).exp()).round()
                as u64
        } else {
            0
        };
        DayBar {
            day,
            prev_close,
            open,
            high,
            low,
            close,
            volume,
            t_high,
            t_low,
        }
    }

    fn extreme_minutes(&self, day: i64, minutes: u32) -> (u32, u32) {
        let inner = minutes.saturating_sub(1).max(2);
        let h = 1 + (uniform(self.draw(T_POS, day, 0)) * f64::from(inner - 1)) as u32;
        let mut l = 1 + (uniform(self.draw(T_POS, day, 1)) * f64::from(inner - 1)) as u32;
        if l == h {
            l = if h + 1 < inner + 1 { h + 1 } else { h - 1 };
        }
        (h, l)
    }
}

/// A session's bar in ticks, plus where its extremes fall (minute boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayBar {
    pub day: i64,
    pub prev_close: i64,
    pub open: i64,
    pub high: i64,
    pub low: i64,
    pub close: i64,
    pub volume: u64,
    pub t_high: u32,
    pub t_low: u32,
}

/// One session's minute path, in ticks: `x[m]` is the price at the end of minute `m`
/// (`x[0]` the open), `hi[m]`/`lo[m]` the extremes inside minute `m+1`, `cum_vol[m]` the
/// volume traded by the end of minute `m`.
#[derive(Debug)]
pub(crate) struct DayPath {
    pub bar: DayBar,
    pub tick: f64,
    pub x: Vec<i64>,
    pub hi: Vec<i64>,
    pub lo: Vec<i64>,
    pub cum_vol: Vec<u64>,
    /// Open interest at the start and end of the session (derivatives only).
    pub oi: (u64, u64),
    source: Source,
}

#[derive(Debug)]
enum Source {
    Base { spec: BaseSpec, sigma_min: f64 },
    Derived { under: Arc<DayPath>, map: Mapping },
}

impl DayPath {
    pub fn minutes(&self) -> u32 {
        self.hi.len() as u32
    }

    /// Builds a base instrument's minute path for a bar.
    pub fn base(spec: BaseSpec, bar: DayBar, minutes: u32) -> Self {
        let sigma_min = spec.sigma_day() / f64::from(minutes).sqrt();
        let (lh, ll) = (
            (bar.high as f64 * spec.tick).ln(),
            (bar.low as f64 * spec.tick).ln(),
        );
        let mut anchors = [
            (0, bar.open),
            (bar.t_high, bar.high),
            (bar.t_low, bar.low),
            (minutes, bar.close),
        ];
        anchors.sort_by_key(|a| a.0);
        let mut x = vec![bar.open; minutes as usize + 1];
        for w in anchors.windows(2) {
            let ((a, _), (b, target)) = (w[0], w[1]);
            let target_log = (target as f64 * spec.tick).ln();
            let mut cur = (x[a as usize] as f64 * spec.tick).ln();
            for m in a + 1..=b {
                if m == b {
                    x[m as usize] = target;
                    continue;
                }
                let left = f64::from(b - m + 1);
                let z = normal(spec.draw(T_MIN, bar.day, i64::from(m)));
                cur += (target_log - cur) / left + sigma_min * ((left - 1.0) / left).sqrt() * z;
                cur = reflect(cur, ll, lh);
                x[m as usize] = spec.ticks(cur.exp()).clamp(bar.low, bar.high);
            }
        }
        let (mut hi, mut lo) = (Vec::with_capacity(x.len()), Vec::with_capacity(x.len()));
        for m in 1..=minutes as usize {
            let (top, bottom) = (x[m - 1].max(x[m]), x[m - 1].min(x[m]));
            let ex = |tag_half: i64, level: i64| {
                let z = normal(spec.draw(T_MIN_EX, bar.day, 2 * m as i64 + tag_half)).abs();
                (level as f64 * (0.5 * sigma_min * z).exp_m1()).round() as i64
            };
            hi.push((top + ex(0, top)).min(bar.high));
            lo.push((bottom - ex(1, bottom)).max(bar.low));
        }
        let cum_vol = spread_volume(bar.volume, minutes, |m| spec.draw(T_VOL_MIN, bar.day, m));
        DayPath {
            bar,
            tick: spec.tick,
            x,
            hi,
            lo,
            cum_vol,
            oi: (0, 0),
            source: Source::Base { spec, sigma_min },
        }
    }

    /// A derivative's path: the underlying's mapped through a monotone pricing function.
    pub fn derived(under: Arc<DayPath>, map: Mapping, flow: DerivFlow) -> Self {
        let f = |t: i64| map.apply(t, under.tick);
        let bar = derived_bar(&under.bar, under.tick, &map, &flow);
        let x = under.x.iter().map(|&t| f(t)).collect();
        let (hi, lo) = if map.increasing() {
            (
                under.hi.iter().map(|&t| f(t)).collect(),
                under.lo.iter().map(|&t| f(t)).collect(),
            )
        } else {
            (
                under.lo.iter().map(|&t| f(t)).collect(),
                under.hi.iter().map(|&t| f(t)).collect(),
            )
        };
        let day = under.bar.day as u64;
        let cum_vol = spread_volume(flow.volume, under.minutes(), |m| {
            key(&[flow.key, T_VOL_MIN, day, m as u64])
        });
        DayPath {
            bar,
            tick: map.tick,
            x,
            hi,
            lo,
            cum_vol,
            oi: flow.oi,
            source: Source::Derived { under, map },
        }
    }

    /// Prices at the end of each second of minute `m` (0-based): `p[0]` is the minute's open,
    /// `p[60]` its close; the minute's high and low are each hit once.
    pub fn seconds(&self, m: u32) -> [i64; 61] {
        match &self.source {
            Source::Base { spec, sigma_min } => self.base_seconds(spec, *sigma_min, m),
            Source::Derived { under, map } => under.seconds(m).map(|t| map.apply(t, under.tick)),
        }
    }

    fn base_seconds(&self, spec: &BaseSpec, sigma_min: f64, m: u32) -> [i64; 61] {
        let mi = m as usize;
        let (open, close, hi, lo) = (self.x[mi], self.x[mi + 1], self.hi[mi], self.lo[mi]);
        let pos = |k: i64| {
            1 + (uniform(spec.draw(T_SEC_POS, self.bar.day, 2 * i64::from(m) + k)) * 59.0) as usize
        };
        let (ph, mut pl) = (pos(0), pos(1));
        if pl == ph {
            pl = if ph < 59 { ph + 1 } else { ph - 1 };
        }
        let mut anchors = [(0usize, open), (ph, hi), (pl, lo), (60, close)];
        anchors.sort_by_key(|a| a.0);
        let mut p = [open; 61];
        let sigma_sec = open as f64 * sigma_min / 60f64.sqrt();
        let day_min = self.bar.day * 2000 + i64::from(m);
        for w in anchors.windows(2) {
            let ((a, _), (b, target)) = (w[0], w[1]);
            let mut cur = p[a] as f64;
            for (s, slot) in p.iter_mut().enumerate().take(b + 1).skip(a + 1) {
                if s == b {
                    *slot = target;
                    continue;
                }
                let left = (b - s + 1) as f64;
                let z = normal(spec.draw(T_SEC, day_min, s as i64));
                cur += (target as f64 - cur) / left + sigma_sec * ((left - 1.0) / left).sqrt() * z;
                cur = reflect(cur, lo as f64, hi as f64);
                *slot = (cur.round() as i64).clamp(lo, hi);
            }
        }
        p
    }
}

/// A derivative's bar: the underlying's bar through the session's monotone price map.
pub(crate) fn derived_bar(ub: &DayBar, under_tick: f64, map: &Mapping, flow: &DerivFlow) -> DayBar {
    let f = |t: i64| map.apply(t, under_tick);
    let (high, low) = if map.increasing() {
        (f(ub.high), f(ub.low))
    } else {
        (f(ub.low), f(ub.high))
    };
    DayBar {
        day: ub.day,
        prev_close: map.apply_prev(ub.prev_close, under_tick),
        open: f(ub.open),
        high,
        low,
        close: f(ub.close),
        volume: flow.volume,
        t_high: 0,
        t_low: 0,
    }
}

/// Reflects `v` back into `[lo, hi]` once, then clamps.
fn reflect(v: f64, lo: f64, hi: f64) -> f64 {
    let r = if v > hi {
        2.0 * hi - v
    } else if v < lo {
        2.0 * lo - v
    } else {
        v
    };
    r.clamp(lo, hi.max(lo))
}

/// Cumulative volume by minute: U-shaped intraday weights with noise, summing exactly to `total`.
fn spread_volume(total: u64, minutes: u32, draw: impl Fn(i64) -> u64) -> Vec<u64> {
    let weights: Vec<f64> = (0..minutes)
        .map(|m| {
            let u = (f64::from(m) + 0.5) / f64::from(minutes);
            let shape = 1.0 + 2.0 * (2.0 * u - 1.0).powi(2);
            shape * (0.5 * normal(draw(i64::from(m)))).exp()
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    let mut acc = 0.0;
    let mut out = Vec::with_capacity(minutes as usize + 1);
    out.push(0);
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        let cum = if i + 1 == weights.len() {
            total
        } else {
            (total as f64 * acc / sum).floor() as u64
        };
        out.push(cum.min(total));
    }
    out
}

/// How a derivative's price follows its underlying for one session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mapping {
    pub tick: f64,
    /// Years to expiry at the session's start (fixed for the whole session).
    pub t: f64,
    /// Years to expiry at the previous session's start, for `prev_close`.
    pub t_prev: f64,
    pub kind: MapKind,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum MapKind {
    Future,
    Option {
        kind: OptionKind,
        strike: f64,
        iv: f64,
    },
}

impl Mapping {
    fn increasing(&self) -> bool {
        !matches!(
            self.kind,
            MapKind::Option {
                kind: OptionKind::Put,
                ..
            }
        )
    }

    fn value(&self, s: f64, t: f64) -> f64 {
        match self.kind {
            MapKind::Future => s * (RATE * t).exp(),
            MapKind::Option { kind, strike, iv } => bs::price(kind, s, strike, t, RATE, iv),
        }
    }

    fn ticks_of(&self, v: f64) -> i64 {
        ((v / self.tick).round() as i64).max(1)
    }

    pub fn apply(&self, under_ticks: i64, under_tick: f64) -> i64 {
        self.ticks_of(self.value(under_ticks as f64 * under_tick, self.t))
    }

    fn apply_prev(&self, under_ticks: i64, under_tick: f64) -> i64 {
        self.ticks_of(self.value(under_ticks as f64 * under_tick, self.t_prev))
    }
}

/// A derivative's own daily volume and open interest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DerivFlow {
    pub key: u64,
    pub volume: u64,
    pub oi: (u64, u64),
}

impl DerivFlow {
    /// Volume and OI around a base number of lots a day, in units (lots × lot size).
    pub fn draw(seed: u64, inst_key: u64, day: i64, base_lots: f64, lot: u32) -> Self {
        let k = key(&[seed, inst_key]);
        let lots = |tag: u64, d: i64, sd: f64| {
            (base_lots * (sd * normal(key(&[k, tag, d as u64]))).exp()).round() as u64
                * u64::from(lot)
        };
        DerivFlow {
            key: k,
            volume: lots(T_VOL_DAY, day, 0.35),
            oi: (lots(T_OI, day - 1, 0.15), lots(T_OI, day, 0.15)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> BaseSpec {
        BaseSpec {
            seed,
            key: 42,
            ref_price: 1560.0,
            vol: 0.24,
            tick: 0.05,
            gaps: true,
            daily_volume: 3e6,
        }
    }

    fn path(seed: u64, day: i64, minutes: u32) -> DayPath {
        let s = spec(seed);
        let c = s.log_closes(day - 1, day);
        DayPath::base(s, s.day_bar(day, c[0], c[1], minutes), minutes)
    }

    #[test]
    fn rolling_closes_equal_direct_closes() {
        let s = spec(1);
        let run = s.log_closes(ANCHOR_DAY - 30, ANCHOR_DAY + 30);
        for (i, d) in (ANCHOR_DAY - 30..=ANCHOR_DAY + 30).enumerate() {
            assert_eq!(run[i], s.log_closes(d, d)[0], "day {d}");
        }
    }

    #[test]
    fn prices_stay_in_a_band_around_reference() {
        let s = spec(3);
        for lc in s.log_closes(ANCHOR_DAY - 3000, ANCHOR_DAY + 3000) {
            let drift_free = lc.exp() / 1560.0;
            assert!((0.2..5.0).contains(&drift_free), "{drift_free}");
        }
    }

    #[test]
    fn minute_path_reproduces_the_day_bar() {
        for (seed, day) in [(1, ANCHOR_DAY), (2, ANCHOR_DAY + 17), (9, ANCHOR_DAY - 400)] {
            let p = path(seed, day, 375);
            let b = p.bar;
            assert_eq!(p.x[0], b.open);
            assert_eq!(*p.x.last().unwrap(), b.close);
            assert_eq!(p.hi.iter().copied().max(), Some(b.high));
            assert_eq!(p.lo.iter().copied().min(), Some(b.low));
            assert_eq!(*p.cum_vol.last().unwrap(), b.volume);
            for m in 0..p.minutes() {
                let s = p.seconds(m);
                let mi = m as usize;
                assert_eq!((s[0], s[60]), (p.x[mi], p.x[mi + 1]));
                assert_eq!(s.iter().copied().max(), Some(p.hi[mi]), "minute {m} high");
                assert_eq!(s.iter().copied().min(), Some(p.lo[mi]), "minute {m} low");
            }
        }
    }

    #[test]
    fn continuous_sessions_open_at_the_previous_close() {
        let s = BaseSpec {
            gaps: false,
            ..spec(5)
        };
        let c = s.log_closes(ANCHOR_DAY - 1, ANCHOR_DAY);
        let bar = s.day_bar(ANCHOR_DAY, c[0], c[1], 1440);
        assert_eq!(bar.open, bar.prev_close);
    }

    #[test]
    fn volume_spreads_exactly() {
        let v = spread_volume(1_000_003, 375, |m| key(&[m as u64]));
        assert_eq!((v[0], v[375]), (0, 1_000_003));
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
    }
}
