//! Injected time, so sessions, expiries and prices can be tested without the wall clock.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::time::{ist, ist_ms};

/// A source of "now". Everything in this crate reads time through it.
pub trait Clock: Send + Sync + Debug {
    fn now_ms(&self) -> i64;

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }

    /// Today's date in India, where every exchange here keeps its calendar.
    fn today_ist(&self) -> NaiveDate {
        ist(self.now_ms()).date_naive()
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to; for tests and replays.
#[derive(Debug)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock {
            ms: AtomicI64::new(at.timestamp_millis()),
        }
    }

    /// A clock at the given IST wall time; panics on an impossible date (test helper).
    pub fn at_ist(y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> Self {
        let day = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        let t = NaiveTime::from_hms_opt(hh, mm, ss).expect("valid time");
        ManualClock {
            ms: AtomicI64::new(ist_ms(day, t)),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.ms.store(at.timestamp_millis(), Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_ist(2025, 12, 30, 9, 15, 0);
        let t0 = c.now_ms();
        assert_eq!(c.now_ms(), t0);
        c.advance_ms(1500);
        assert_eq!(c.now_ms(), t0 + 1500);
        assert_eq!(
            c.today_ist(),
            NaiveDate::from_ymd_opt(2025, 12, 30).unwrap()
        );
        // 09:15 IST is 03:45 UTC.
        assert_eq!(c.now().format("%H:%M").to_string(), "03:45");
    }

    #[test]
    fn ist_date_differs_from_utc_date_after_18_30_utc() {
        let c = ManualClock::new(Utc.with_ymd_and_hms(2025, 12, 29, 19, 0, 0).unwrap());
        assert_eq!(
            c.today_ist(),
            NaiveDate::from_ymd_opt(2025, 12, 30).unwrap()
        );
    }
}
