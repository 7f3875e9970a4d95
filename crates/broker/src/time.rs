//! India Standard Time, where every exchange here keeps its calendar, and the daily session
//! boundary (OpenAlgo's `SESSION_EXPIRY_TIME`, 03:00 IST by default) that the engine's books
//! and the server's sessions and key caches roll over at. The one place that converts.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Asia::Kolkata;
use chrono_tz::Tz;

/// IST's offset from UTC in seconds (+05:30; India keeps no daylight saving).
pub const IST_OFFSET_SECS: i64 = 5 * 3600 + 1800;

/// An epoch-ms instant on the IST wall clock; out-of-range instants read as the epoch.
pub fn ist(ms: i64) -> DateTime<Tz> {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&Kolkata)
}

/// IST date and time of day of an epoch-ms instant.
pub fn ist_parts(ms: i64) -> (NaiveDate, NaiveTime) {
    let l = ist(ms);
    (l.date_naive(), l.time())
}

/// `YYYY-MM-DD HH:MM:SS` in IST, OpenAlgo's sandbox timestamps.
pub fn ist_timestamp(ms: i64) -> String {
    ist(ms).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The IST calendar date of an epoch second.
pub fn ist_date(secs: i64) -> NaiveDate {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .with_timezone(&Kolkata)
        .date_naive()
}

/// The instant the IST wall clock reads `t` on `day`; `None` only where the zone's history
/// skips that time (never since 1945).
fn ist_instant(day: NaiveDate, t: NaiveTime) -> Option<DateTime<Utc>> {
    day.and_time(t)
        .and_local_timezone(Kolkata)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Epoch ms of an IST wall time (0 where it does not exist).
pub fn ist_ms(day: NaiveDate, t: NaiveTime) -> i64 {
    ist_instant(day, t).map_or(0, |d| d.timestamp_millis())
}

/// Epoch seconds of an IST wall time `h:m` on `d` (total: falls back to the fixed offset).
pub fn ist_epoch(d: NaiveDate, h: u32, m: u32) -> i64 {
    let midnight = ist_instant(d, NaiveTime::MIN).map_or_else(
        || d.and_time(NaiveTime::MIN).and_utc().timestamp() - IST_OFFSET_SECS,
        |x| x.timestamp(),
    );
    midnight + i64::from(h * 3600 + m * 60)
}

/// The IST date whose `boundary` opened the session that `local` falls in.
fn session_day(local: DateTime<Tz>, boundary: NaiveTime) -> NaiveDate {
    let day = local.date_naive();
    if local.time() < boundary {
        day.pred_opt().unwrap_or(day)
    } else {
        day
    }
}

/// The latest session boundary at or before `now_ms` (epoch ms).
pub fn session_start_ms(now_ms: i64, boundary: NaiveTime) -> i64 {
    ist_ms(session_day(ist(now_ms), boundary), boundary)
}

/// The first instant strictly after `now` at which the IST wall clock reads `boundary`: the
/// day after the current session's.
pub fn next_session_boundary(now: DateTime<Utc>, boundary: NaiveTime) -> DateTime<Utc> {
    let day = session_day(now.with_timezone(&Kolkata), boundary)
        .succ_opt()
        .expect("date in range");
    ist_instant(day, boundary).expect("IST has no DST gaps")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> NaiveTime {
        NaiveTime::from_hms_opt(3, 0, 0).unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn at(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> i64 {
        ist_ms(
            NaiveDate::from_ymd_opt(y, m, d).unwrap(),
            NaiveTime::from_hms_opt(hh, mm, 0).unwrap(),
        )
    }

    #[test]
    fn session_start_is_the_latest_0300_ist() {
        assert_eq!(
            session_start_ms(at(2026, 1, 7, 2, 59), three()),
            at(2026, 1, 6, 3, 0)
        );
        assert_eq!(
            session_start_ms(at(2026, 1, 7, 3, 0), three()),
            at(2026, 1, 7, 3, 0)
        );
    }

    #[test]
    fn boundary_is_next_0300_ist() {
        // 02:00 IST = 20:30 UTC the day before: boundary an hour later.
        assert_eq!(
            next_session_boundary(t("2026-01-01T20:30:00Z"), three()),
            t("2026-01-01T21:30:00Z")
        );
        // Exactly at the boundary: the next day's.
        assert_eq!(
            next_session_boundary(t("2026-01-01T21:30:00Z"), three()),
            t("2026-01-02T21:30:00Z")
        );
        // 12:00 IST: tomorrow 03:00 IST.
        assert_eq!(
            next_session_boundary(t("2026-01-02T06:30:00Z"), three()),
            t("2026-01-02T21:30:00Z")
        );
    }

    #[test]
    fn the_next_boundary_is_a_day_after_the_session_start() {
        let from = at(2026, 3, 1, 0, 0);
        for step in 0..(3 * 24 * 4) {
            let now_ms = from + step * 15 * 60_000 + 7;
            let now = DateTime::from_timestamp_millis(now_ms).unwrap();
            let start = session_start_ms(now_ms, three());
            let next = next_session_boundary(now, three()).timestamp_millis();
            assert!(start <= now_ms && now_ms < next);
            assert_eq!(next - start, 86_400_000);
        }
    }

    #[test]
    fn the_fixed_offset_matches_the_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(
            ist_epoch(d, 9, 15),
            d.and_hms_opt(9, 15, 0).unwrap().and_utc().timestamp() - IST_OFFSET_SECS
        );
        assert_eq!(ist_date(ist_epoch(d, 0, 0)), d);
        assert_eq!(ist_date(ist_epoch(d, 0, 0) - 1), d.pred_opt().unwrap());
        assert_eq!(
            ist_timestamp(ist_epoch(d, 9, 15) * 1000),
            "2026-01-05 09:15:00"
        );
    }
}
