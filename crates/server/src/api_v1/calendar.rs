//! The market calendar (reference/openalgo-options-gtt-calendar.md §11): `market/holidays`
//! and `market/timings` from the holiday list shipped with the binary, every instant on the
//! IST wall clock whatever the server's time zone (upstream follows the server's `TZ`).
//!
//! Unlike upstream, which only length-checks the key here, the key is verified as on every
//! other endpoint: a calendar is not secret, but an endpoint that answers any string would
//! be the one place a key is never checked.

use std::sync::LazyLock;

use algogate_broker::calendar::book::HolidayBook;
use axum::Json;
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, Endpoint, Need};
use crate::openalgo::calendar::{
    HOLIDAYS, TIMINGS, check_year, holidays_body, timings_body, timings_date, year_of,
};
use crate::openalgo::schema::{Field, validate};
use crate::state::AppState;

static BOOK: LazyLock<HolidayBook> = LazyLock::new(HolidayBook::builtin);

#[derive(Debug)]
pub struct Holidays;
impl Endpoint for Holidays {
    const FIELDS: &'static [Field] = HOLIDAYS;
    const NEED: Need = Need::Data;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    /// The year asked for; `None` is the current one.
    type Request = Option<i32>;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        let schema = |errors| ApiError::Schema {
            errors,
            style: Self::STYLE,
        };
        let fields = validate(Self::FIELDS, body).map_err(schema)?;
        check_year(&fields).map_err(schema)?;
        Ok(fields)
    }
    fn parse(fields: Map<String, Value>) -> Result<Option<i32>, ApiError> {
        Ok(year_of(&fields))
    }
}

#[derive(Debug)]
pub struct Timings;
impl Endpoint for Timings {
    const FIELDS: &'static [Field] = TIMINGS;
    const NEED: Need = Need::Data;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    type Request = NaiveDate;
    fn parse(fields: Map<String, Value>) -> Result<NaiveDate, ApiError> {
        timings_date(&fields).map_err(|e| ApiError::BadRequest(e.message().into()))
    }
}

pub async fn holidays(
    State(st): State<AppState>,
    call: ApiCall<Holidays>,
) -> Result<Json<Value>, ApiError> {
    let year = call.req.unwrap_or_else(|| st.clock().today_ist().year());
    Ok(Json(holidays_body(year, BOOK.year(year))))
}

pub async fn timings(call: ApiCall<Timings>) -> Result<Json<Value>, ApiError> {
    Ok(Json(timings_body(&BOOK.timings(call.req))))
}
