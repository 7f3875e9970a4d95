//! `market/holidays` and `market/timings` (reference/openalgo-options-gtt-calendar.md §11):
//! the field tables, the typed requests and the answers.

use algogate_broker::calendar::book::{HolidayEntry, Window};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::schema::{APIKEY, Field, Kind, SchemaErrors, TEXT, optional, parse_date, required};

pub const HOLIDAYS: &[Field] = &[required("apikey", APIKEY), optional("year", Kind::Int)];
pub const TIMINGS: &[Field] = &[required("apikey", APIKEY), required("date", TEXT)];

/// The years OpenAlgo's schema and service accept.
pub const FIRST_YEAR: i32 = 2020;
pub const LAST_YEAR: i32 = 2050;

/// marshmallow's `Range(min=2020, max=2050)` on `year`, run on the deserialised value (so
/// `2050.7` is 2050, in range, as marshmallow truncates before validating).
pub fn check_year(fields: &Map<String, Value>) -> Result<(), SchemaErrors> {
    match fields.get("year").and_then(Value::as_i64) {
        Some(y) if !(i64::from(FIRST_YEAR)..=i64::from(LAST_YEAR)).contains(&y) => {
            Err(SchemaErrors::single(
                "year",
                format!(
                    "Must be greater than or equal to {FIRST_YEAR} and less than or equal to \
                     {LAST_YEAR}."
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// The validated `year`, if one was sent (in range: [`check_year`] ran first).
pub fn year_of(fields: &Map<String, Value>) -> Option<i32> {
    fields
        .get("year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok())
}

/// Why a `market/timings` date is refused: the service's two messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    Format,
    Range,
}

impl DateError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Format => "Invalid date format. Use YYYY-MM-DD",
            Self::Range => "Date must be between 2020-01-01 and 2050-12-31",
        }
    }
}

/// The `date` of `market/timings`, read as Python's `strptime(date, "%Y-%m-%d")` does
/// (`2025-1-5` is 5 January), within the years served.
pub fn timings_date(fields: &Map<String, Value>) -> Result<NaiveDate, DateError> {
    let d = fields
        .get("date")
        .and_then(Value::as_str)
        .and_then(parse_date)
        .ok_or(DateError::Format)?;
    let year = chrono::Datelike::year(&d);
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(d)
    } else {
        Err(DateError::Range)
    }
}

fn window_json(w: &Window) -> Value {
    json!({"exchange": w.exchange.as_str(), "start_time": w.start_ms, "end_time": w.end_ms})
}

/// `market/holidays`'s answer for `year`.
pub fn holidays_body<'a>(year: i32, entries: impl Iterator<Item = &'a HolidayEntry>) -> Value {
    let data: Vec<Value> = entries
        .map(|e| {
            json!({
                "date": e.date.format("%Y-%m-%d").to_string(),
                "description": e.description,
                "holiday_type": e.kind.as_str(),
                "closed_exchanges": e.closed.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                "open_exchanges": e.open.iter().map(window_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"status": "success", "data": data, "timezone": "Asia/Kolkata", "year": year})
}

/// `market/timings`'s answer.
pub fn timings_body(windows: &[Window]) -> Value {
    json!({"status": "success", "data": windows.iter().map(window_json).collect::<Vec<_>>()})
}
