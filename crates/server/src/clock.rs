//! Injected time. Session boundaries, cache expiry and (later) square-off times are
//! computed from a `Clock`, so tests move time instead of waiting for it.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Kolkata;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// The first instant strictly after `now` at which the IST wall clock reads `boundary`
/// (OpenAlgo's daily session boundary, 03:00 IST by default).
pub fn next_session_boundary(now: DateTime<Utc>, boundary: NaiveTime) -> DateTime<Utc> {
    let local = now.with_timezone(&Kolkata);
    let mut day = local.date_naive();
    loop {
        // IST has no DST, so the local time always exists exactly once.
        let candidate = Kolkata
            .from_local_datetime(&day.and_time(boundary))
            .single()
            .expect("IST has no DST gaps")
            .with_timezone(&Utc);
        if candidate > now {
            return candidate;
        }
        day = day.succ_opt().expect("date in range");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn boundary_is_next_0300_ist() {
        let three = NaiveTime::from_hms_opt(3, 0, 0).unwrap();
        // 02:00 IST = 20:30 UTC the day before: boundary an hour later.
        assert_eq!(
            next_session_boundary(t("2026-01-01T20:30:00Z"), three),
            t("2026-01-01T21:30:00Z")
        );
        // Exactly at the boundary: the next day's.
        assert_eq!(
            next_session_boundary(t("2026-01-01T21:30:00Z"), three),
            t("2026-01-02T21:30:00Z")
        );
        // 12:00 IST: tomorrow 03:00 IST.
        assert_eq!(
            next_session_boundary(t("2026-01-02T06:30:00Z"), three),
            t("2026-01-02T21:30:00Z")
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(t("2026-01-01T00:00:00Z"));
        assert_eq!(c.now(), t("2026-01-01T00:00:00Z"));
        c.advance(Duration::hours(2));
        assert_eq!(c.now(), t("2026-01-01T02:00:00Z"));
    }
}
