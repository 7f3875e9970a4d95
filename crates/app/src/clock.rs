//! Injected time. Session boundaries, cache expiry and square-off times are computed from
//! a `Clock` (the broker crate's, shared by the whole server), so tests move time instead of
//! waiting for it.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Kolkata;

pub use algogate_broker::clock::{Clock, ManualClock, SystemClock};

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
}
