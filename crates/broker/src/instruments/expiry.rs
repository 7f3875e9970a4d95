//! Expiry dates from the calendar: monthly on the last given weekday, weekly on every one,
//! moved to the previous business day when that day is a holiday.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::calendar::Holidays;

/// The last `wd` of the month, before any holiday adjustment.
pub fn last_weekday_of_month(year: i32, month: u32, wd: Weekday) -> Option<NaiveDate> {
    let first_next = NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
    let last = first_next.pred_opt()?;
    let back = (7 + last.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    last.checked_sub_days(Days::new(u64::from(back)))
}

/// Moves an expiry that falls on a holiday or weekend to the business day before it.
pub fn adjust_back(mut d: NaiveDate, holidays: &Holidays) -> NaiveDate {
    for _ in 0..10 {
        if holidays.is_business_day(d) {
            return d;
        }
        match d.pred_opt() {
            Some(p) => d = p,
            None => return d,
        }
    }
    d
}

/// The next `count` monthly expiries on or after `today`.
pub fn monthly(today: NaiveDate, wd: Weekday, count: usize, holidays: &Holidays) -> Vec<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    (0..count as u32 + 1)
        .filter_map(|k| first.checked_add_months(Months::new(k)))
        .filter_map(|m| last_weekday_of_month(m.year(), m.month(), wd))
        .map(|d| adjust_back(d, holidays))
        .filter(|&d| d >= today)
        .take(count)
        .collect()
}

/// The next `count` weekly expiries on or after `today`.
pub fn weekly(today: NaiveDate, wd: Weekday, count: usize, holidays: &Holidays) -> Vec<NaiveDate> {
    let ahead = (7 + wd.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let Some(first) = today.checked_add_days(Days::new(u64::from(ahead))) else {
        return Vec::new();
    };
    // A holiday on the first week's expiry can pull it before today; keep only those ahead.
    (0..count as u64 + 1)
        .filter_map(|w| first.checked_add_days(Days::new(7 * w)))
        .map(|d| adjust_back(d, holidays))
        .filter(|&d| d >= today)
        .take(count)
        .collect()
}

/// `MON`..`SUN` as the data files spell weekdays.
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_uppercase().as_str() {
        "MON" => Weekday::Mon,
        "TUE" => Weekday::Tue,
        "WED" => Weekday::Wed,
        "THU" => Weekday::Thu,
        "FRI" => Weekday::Fri,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn last_tuesdays() {
        assert_eq!(
            last_weekday_of_month(2025, 12, Weekday::Tue),
            Some(d(2025, 12, 30))
        );
        assert_eq!(
            last_weekday_of_month(2026, 1, Weekday::Tue),
            Some(d(2026, 1, 27))
        );
        assert_eq!(
            last_weekday_of_month(2026, 2, Weekday::Tue),
            Some(d(2026, 2, 24))
        );
        assert_eq!(
            last_weekday_of_month(2026, 3, Weekday::Tue),
            Some(d(2026, 3, 31))
        );
    }

    #[test]
    fn monthly_expiries_roll_after_the_last_tuesday_and_skip_holidays() {
        let h = Holidays::builtin();
        assert_eq!(
            monthly(d(2025, 12, 1), Weekday::Tue, 3, &h),
            vec![d(2025, 12, 30), d(2026, 1, 27), d(2026, 2, 24)]
        );
        // Expiry day itself still lists the contract; the day after, it is gone.
        assert_eq!(
            monthly(d(2025, 12, 30), Weekday::Tue, 1, &h),
            vec![d(2025, 12, 30)]
        );
        assert_eq!(
            monthly(d(2025, 12, 31), Weekday::Tue, 1, &h),
            vec![d(2026, 1, 27)]
        );
        // 31 Mar 2026 is a holiday (Mahavir Jayanti): the expiry moves to Monday the 30th.
        assert_eq!(
            monthly(d(2026, 3, 1), Weekday::Tue, 1, &h),
            vec![d(2026, 3, 30)]
        );
    }

    #[test]
    fn weekly_expiries_every_tuesday() {
        let h = Holidays::builtin();
        assert_eq!(
            weekly(d(2025, 12, 1), Weekday::Tue, 4, &h),
            vec![
                d(2025, 12, 2),
                d(2025, 12, 9),
                d(2025, 12, 16),
                d(2025, 12, 23)
            ]
        );
        assert_eq!(
            weekly(d(2025, 12, 3), Weekday::Tue, 1, &h),
            vec![d(2025, 12, 9)]
        );
    }

    #[test]
    fn weekly_on_a_holiday_moves_back() {
        let h = Holidays::from_dates([d(2026, 1, 6)]);
        assert_eq!(
            weekly(d(2026, 1, 1), Weekday::Tue, 2, &h),
            vec![d(2026, 1, 5), d(2026, 1, 13)]
        );
    }
}
