//! When the simulated market is open, and which days expiries may fall on.

pub mod book;

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};

use crate::error::BrokerError;
use crate::time::{ist_date, ist_epoch};
use book::HolidayBook;

/// Exchange holidays (NSE's trading-holiday list, which BSE shares).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays(BTreeSet<NaiveDate>);

impl Holidays {
    /// The list shipped with the binary.
    pub fn builtin() -> Self {
        Self::from_book(&HolidayBook::builtin())
    }

    /// The days of `book` without a normal session (settlement holidays trade).
    pub fn from_book(book: &HolidayBook) -> Self {
        Self::from_dates(book.closing_dates())
    }

    /// The rows of a holiday list (`data/holidays.csv`'s format).
    pub fn from_csv(text: &str) -> Result<Self, BrokerError> {
        HolidayBook::from_csv(text).map(|b| Self::from_book(&b))
    }

    pub fn from_dates(dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        Holidays(dates.into_iter().collect())
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.0.contains(&d)
    }

    /// Weekdays that are not holidays. Expiries move to the previous such day.
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.contains(d)
    }
}

/// One trading session: the day it belongs to and its span in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub date: NaiveDate,
    pub start: i64,
    pub len_secs: u32,
}

impl Session {
    pub fn end(&self) -> i64 {
        self.start + i64::from(self.len_secs)
    }

    pub fn minutes(&self) -> u32 {
        self.len_secs / 60
    }
}

/// Decides when prices move. Chosen by configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MarketCalendar {
    /// Never closes: every day is a trading day from IST midnight to midnight.
    #[default]
    Continuous,
    /// IST hours 09:15-15:30 on weekdays that are not holidays (NSE, BSE, NFO and indices).
    Exchange(Holidays),
}

/// NSE/BSE cash and F&O normal market hours.
pub const OPEN_IST: (u32, u32) = (9, 15);
pub const CLOSE_IST: (u32, u32) = (15, 30);

/// How far back to look for the previous trading day; longer closures do not happen.
const MAX_CLOSED_RUN: u64 = 20;

impl MarketCalendar {
    /// `continuous` or `exchange` (with the builtin holidays), as configuration spells them.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "continuous" => Some(MarketCalendar::Continuous),
            "exchange" => Some(MarketCalendar::Exchange(Holidays::builtin())),
            _ => None,
        }
    }

    pub fn is_trading_day(&self, d: NaiveDate) -> bool {
        match self {
            MarketCalendar::Continuous => true,
            MarketCalendar::Exchange(h) => h.is_business_day(d),
        }
    }

    /// The session on `d`, if it is a trading day.
    pub fn session(&self, d: NaiveDate) -> Option<Session> {
        if !self.is_trading_day(d) {
            return None;
        }
        let ((oh, om), (ch, cm)) = match self {
            MarketCalendar::Continuous => ((0, 0), (24, 0)),
            MarketCalendar::Exchange(_) => (OPEN_IST, CLOSE_IST),
        };
        let start = ist_epoch(d, oh, om);
        let len = (ch * 3600 + cm * 60) - (oh * 3600 + om * 60);
        Some(Session {
            date: d,
            start,
            len_secs: len,
        })
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let t = at.timestamp();
        self.session(ist_date(t))
            .is_some_and(|s| s.start <= t && t < s.end())
    }

    /// The latest session that has started at `t` (epoch seconds), and how far into it `t` is
    /// (clamped to its length once it has closed).
    pub fn current_session(&self, t: i64) -> Option<(Session, u32)> {
        let today = ist_date(t);
        (0..=MAX_CLOSED_RUN)
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .filter_map(|d| self.session(d))
            .find(|s| s.start <= t)
            .map(|s| (s, (t - s.start).clamp(0, i64::from(s.len_secs)) as u32))
    }

    /// The trading day before `d`.
    pub fn previous_trading_day(&self, d: NaiveDate) -> Option<NaiveDate> {
        (1..=MAX_CLOSED_RUN)
            .filter_map(|back| d.checked_sub_days(Days::new(back)))
            .find(|&x| self.is_trading_day(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn exchange() -> MarketCalendar {
        MarketCalendar::Exchange(Holidays::builtin())
    }

    fn open_at(cal: &MarketCalendar, clock: &ManualClock) -> bool {
        cal.is_open(clock.now())
    }

    #[test]
    fn exchange_calendar_follows_ist_hours() {
        let cal = exchange();
        // Tuesday 30 Dec 2025.
        assert!(
            !open_at(&cal, &ManualClock::at_ist(2025, 12, 30, 9, 14, 59)),
            "pre-open"
        );
        assert!(open_at(&cal, &ManualClock::at_ist(2025, 12, 30, 9, 15, 0)));
        assert!(open_at(
            &cal,
            &ManualClock::at_ist(2025, 12, 30, 15, 29, 59)
        ));
        assert!(
            !open_at(&cal, &ManualClock::at_ist(2025, 12, 30, 15, 30, 0)),
            "closed"
        );
    }

    #[test]
    fn exchange_calendar_closes_on_weekends_and_holidays() {
        let cal = exchange();
        assert!(
            !open_at(&cal, &ManualClock::at_ist(2026, 1, 3, 11, 0, 0)),
            "Saturday"
        );
        assert!(
            !open_at(&cal, &ManualClock::at_ist(2026, 1, 4, 11, 0, 0)),
            "Sunday"
        );
        assert!(
            !open_at(&cal, &ManualClock::at_ist(2025, 12, 25, 11, 0, 0)),
            "Christmas"
        );
        assert!(open_at(&cal, &ManualClock::at_ist(2025, 12, 26, 11, 0, 0)));
    }

    #[test]
    fn custom_holidays_close_the_market() {
        let d = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let cal = MarketCalendar::Exchange(Holidays::from_dates([d]));
        assert!(!open_at(&cal, &ManualClock::at_ist(2025, 12, 31, 11, 0, 0)));
        assert!(open_at(
            &exchange(),
            &ManualClock::at_ist(2025, 12, 31, 11, 0, 0)
        ));
    }

    #[test]
    fn continuous_calendar_never_closes() {
        let cal = MarketCalendar::Continuous;
        for (d, h) in [(3, 0), (4, 23), (25, 3)] {
            let month = if d == 25 { 12 } else { 1 };
            let year = if d == 25 { 2025 } else { 2026 };
            assert!(open_at(
                &cal,
                &ManualClock::at_ist(year, month, d, h, 30, 0)
            ));
        }
    }

    #[test]
    fn current_session_before_open_is_the_previous_trading_day() {
        let cal = exchange();
        // Monday 5 Jan 2026 08:00: the last session is Friday 2 Jan, complete.
        let t = ManualClock::at_ist(2026, 1, 5, 8, 0, 0).now().timestamp();
        let (s, elapsed) = cal.current_session(t).unwrap();
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
        assert_eq!(elapsed, s.len_secs);
        assert_eq!(s.minutes(), 375);
        let t = ManualClock::at_ist(2026, 1, 5, 9, 16, 30).now().timestamp();
        assert_eq!(cal.current_session(t).unwrap().1, 90);
    }

    #[test]
    fn previous_trading_day_skips_weekend() {
        let cal = exchange();
        let mon = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(
            cal.previous_trading_day(mon),
            NaiveDate::from_ymd_opt(2026, 1, 2)
        );
        assert_eq!(
            MarketCalendar::Continuous.previous_trading_day(mon),
            NaiveDate::from_ymd_opt(2026, 1, 4)
        );
    }

    #[test]
    fn names_from_configuration() {
        assert_eq!(
            MarketCalendar::from_name("Continuous"),
            Some(MarketCalendar::Continuous)
        );
        assert!(matches!(
            MarketCalendar::from_name("exchange"),
            Some(MarketCalendar::Exchange(_))
        ));
        assert_eq!(MarketCalendar::from_name("sometimes"), None);
    }
}
