//! The exchanges' holiday list (each day's kind, the exchanges it closes and those that
//! still trade, with their hours) and the trading hours of any date: OpenAlgo's
//! `market/holidays` and `market/timings`. Every instant is computed on the IST wall
//! clock, whatever the server's time zone.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

use crate::domain::Exchange;
use crate::error::BrokerError;
use crate::time::ist_ms;

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayKind {
    /// The listed exchanges are closed (some may trade a session given in `open`).
    Trading,
    /// Trading is normal; only settlement is closed.
    Settlement,
    /// Only the sessions in `open` trade (Muhurat trading).
    Special,
}

impl HolidayKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trading => "TRADING_HOLIDAY",
            Self::Settlement => "SETTLEMENT_HOLIDAY",
            Self::Special => "SPECIAL_SESSION",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Trading, Self::Settlement, Self::Special]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Whether the normal session does not happen on such a day.
    pub fn closes_normal_session(self) -> bool {
        !matches!(self, Self::Settlement)
    }
}

/// One exchange's trading window, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub exchange: Exchange,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// One listed day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayEntry {
    pub date: NaiveDate,
    pub description: String,
    pub kind: HolidayKind,
    pub closed: Vec<Exchange>,
    pub open: Vec<Window>,
}

/// Normal hours, in OpenAlgo's `SUPPORTED_EXCHANGES` order: IST seconds after midnight.
pub const NORMAL_HOURS: [(Exchange, u32, u32); 9] = [
    (Exchange::Nse, hm(9, 15), hm(15, 30)),
    (Exchange::Bse, hm(9, 15), hm(15, 30)),
    (Exchange::Nfo, hm(9, 15), hm(15, 40)),
    (Exchange::Bfo, hm(9, 15), hm(15, 40)),
    (Exchange::Mcx, hm(9, 0), hm(23, 55)),
    (Exchange::Bcd, hm(9, 0), hm(17, 0)),
    (Exchange::Cds, hm(9, 0), hm(17, 0)),
    (Exchange::Nco, hm(9, 0), hm(23, 55)),
    (Exchange::Crypto, 0, hm(23, 59) + 59),
];

const fn hm(h: u32, m: u32) -> u32 {
    h * 3600 + m * 60
}

/// Epoch ms of `secs` after IST midnight of `day` (past 24 h runs into the next day).
fn at(day: NaiveDate, secs: u32) -> i64 {
    ist_ms(day, NaiveTime::MIN) + i64::from(secs) * 1000
}

/// The holiday list, ordered by date (one entry a date).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayBook(Vec<HolidayEntry>);

const BUILTIN: &str = include_str!("../../data/holidays.csv");

impl HolidayBook {
    /// The list shipped with the binary (`data/holidays.csv`, which names its sources).
    pub fn builtin() -> Self {
        Self::from_csv(BUILTIN).expect("builtin holiday list is valid")
    }

    /// `date,description[,type,closed,open]` per line (see `data/holidays.csv`); `#`
    /// comments and the `date,...` header are skipped. A line with only a date and a
    /// description is a trading holiday.
    pub fn from_csv(text: &str) -> Result<Self, BrokerError> {
        let mut rows: Vec<HolidayEntry> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |reason: String| BrokerError::InstrumentCsv {
                line: i + 1,
                reason,
            };
            let mut cols = line.splitn(5, ',').map(str::trim);
            let first = cols.next().unwrap_or("");
            if first.is_empty() || first.starts_with('#') || first == "date" {
                continue;
            }
            let date = NaiveDate::parse_from_str(first, "%Y-%m-%d")
                .map_err(|_| bad(format!("bad date '{first}'")))?;
            let description = cols.next().unwrap_or("").to_owned();
            let kind = match cols.next().unwrap_or("") {
                "" => HolidayKind::Trading,
                k => HolidayKind::parse(k).ok_or_else(|| bad(format!("bad type '{k}'")))?,
            };
            let closed = cols
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(|e| e.parse().map_err(|_| bad(format!("bad exchange '{e}'"))))
                .collect::<Result<Vec<Exchange>, _>>()?;
            let open = cols
                .next()
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|w| window(date, w).ok_or_else(|| bad(format!("bad session '{w}'"))))
                .collect::<Result<Vec<_>, _>>()?;
            if rows.last().is_some_and(|r| r.date >= date) {
                return Err(bad(format!("{date} is out of order or repeated")));
            }
            rows.push(HolidayEntry {
                date,
                description,
                kind,
                closed,
                open,
            });
        }
        Ok(Self(rows))
    }

    pub fn entries(&self) -> &[HolidayEntry] {
        &self.0
    }

    /// The entries of one calendar year, by date.
    pub fn year(&self, year: i32) -> impl Iterator<Item = &HolidayEntry> {
        self.0.iter().filter(move |e| e.date.year() == year)
    }

    pub fn on(&self, date: NaiveDate) -> Option<&HolidayEntry> {
        self.0
            .binary_search_by_key(&date, |e| e.date)
            .ok()
            .map(|i| &self.0[i])
    }

    /// The days without a normal session (trading holidays and special sessions).
    pub fn closing_dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.0
            .iter()
            .filter(|e| e.kind.closes_normal_session())
            .map(|e| e.date)
    }

    /// Who trades on `date`, and when: a listed day's own sessions (normal hours for
    /// every exchange on a settlement holiday); on a weekend CRYPTO alone; else every
    /// exchange's normal hours.
    pub fn timings(&self, date: NaiveDate) -> Vec<Window> {
        let normal = |(exchange, start, end): (Exchange, u32, u32)| Window {
            exchange,
            start_ms: at(date, start),
            end_ms: at(date, end),
        };
        match self.on(date) {
            Some(e) if e.kind != HolidayKind::Settlement => e.open.clone(),
            Some(_) => NORMAL_HOURS.into_iter().map(normal).collect(),
            None if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => NORMAL_HOURS
                .into_iter()
                .filter(|(x, _, _)| *x == Exchange::Crypto)
                .map(normal)
                .collect(),
            None => NORMAL_HOURS.into_iter().map(normal).collect(),
        }
    }
}

/// `EXCH HH:MM-HH:MM` on `date`; an end before the start is on the next day.
fn window(date: NaiveDate, text: &str) -> Option<Window> {
    let (exchange, span) = text.split_once(' ')?;
    let (start, end) = span.trim().split_once('-')?;
    let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
    let (start, end) = (t(start)?, t(end)?);
    let end_day = if end <= start {
        date.checked_add_days(Days::new(1))?
    } else {
        date
    };
    Some(Window {
        exchange: exchange.parse().ok()?,
        start_ms: ist_ms(date, start),
        end_ms: ist_ms(end_day, end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn builtin_list_covers_both_years_in_order() {
        let b = HolidayBook::builtin();
        assert_eq!(b.year(2025).count(), 14);
        assert_eq!(b.year(2026).count(), 18);
        assert_eq!(b.year(2024).count(), 0);
        // Every trading holiday closes NSE, and every listed session is a real span.
        for e in b.entries() {
            if e.kind == HolidayKind::Trading {
                assert!(e.closed.contains(&Exchange::Nse), "{}", e.date);
            }
            for w in &e.open {
                assert!(w.start_ms < w.end_ms, "{}", e.date);
            }
        }
    }

    #[test]
    fn holi_2026_keeps_the_mcx_evening() {
        let b = HolidayBook::builtin();
        let e = b.on(d(2026, 3, 3)).unwrap();
        assert_eq!(e.kind, HolidayKind::Trading);
        assert_eq!(
            b.timings(d(2026, 3, 3)),
            vec![Window {
                exchange: Exchange::Mcx,
                start_ms: 1_772_537_400_000,
                end_ms: 1_772_562_300_000,
            }]
        );
    }

    #[test]
    fn normal_day_weekend_and_closed_day() {
        let b = HolidayBook::builtin();
        let friday = b.timings(d(2025, 12, 19));
        assert_eq!(friday.len(), 9);
        assert_eq!(friday[0].start_ms, 1_766_115_900_000);
        assert_eq!(friday[2].exchange, Exchange::Nfo);
        assert_eq!(friday[2].end_ms, 1_766_139_000_000);
        let sat = b.timings(d(2025, 12, 20));
        assert_eq!(sat.len(), 1);
        assert_eq!(sat[0].exchange, Exchange::Crypto);
        assert!(b.timings(d(2026, 1, 26)).is_empty());
        // A settlement holiday trades normally.
        assert_eq!(b.timings(d(2026, 2, 19)).len(), 9);
    }

    #[test]
    fn muhurat_runs_past_midnight_on_mcx() {
        let b = HolidayBook::builtin();
        let w = b.timings(d(2026, 11, 8));
        assert_eq!(w.len(), 7);
        let mcx = w.iter().find(|w| w.exchange == Exchange::Mcx).unwrap();
        assert_eq!(mcx.end_ms - mcx.start_ms, (6 * 3600 + 15 * 60) * 1000);
    }

    #[test]
    fn bad_rows_name_their_line() {
        for text in [
            "2026-01-01,x,HOLIDAY,,",
            "2026-01-01,x,TRADING_HOLIDAY,NYSE,",
            "2026-01-01,x,TRADING_HOLIDAY,,MCX 25:00-23:00",
            "2026-01-02,x\n2026-01-01,y",
        ] {
            assert!(HolidayBook::from_csv(text).is_err(), "{text}");
        }
        let b = HolidayBook::from_csv("2026-01-01,New Year").unwrap();
        assert_eq!(b.entries()[0].kind, HolidayKind::Trading);
    }
}
