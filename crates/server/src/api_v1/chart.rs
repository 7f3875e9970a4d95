//! `/api/v1/chart` (reference/openalgo-options-gtt-calendar.md §13): GET returns the key's
//! user's chart preferences, POST merges keys into them. The checks and values are in
//! `openalgo::chart`; the limits in `algogate_app::chart`.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, ApiQuery, Endpoint, Need};
use crate::openalgo::chart::{ChartRefusal, check_post, prefs_body, update_of, updated_body};
use crate::openalgo::market::KEY_ONLY;
use crate::openalgo::schema::Field;
use crate::state::AppState;
use algogate_app::chart::PrefUpdate;

/// `GET /chart?apikey=`: only the key; other parameters are ignored, as upstream.
#[derive(Debug)]
pub struct ChartGet;
impl Endpoint for ChartGet {
    const NEED: Need = Need::Account;
    const FIELDS: &'static [Field] = KEY_ONLY;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    type Request = ();
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        match body.get("apikey") {
            Some(Value::String(k)) if !k.is_empty() => Ok(Map::from_iter([(
                "apikey".to_owned(),
                Value::from(k.clone()),
            )])),
            _ => Err(ApiError::BadRequest("Missing apikey parameter".into())),
        }
    }
    fn parse(_: Map<String, Value>) -> Result<(), ApiError> {
        Ok(())
    }
}

/// `POST /chart`: `apikey` plus the preferences to set.
#[derive(Debug)]
pub struct ChartPost;
impl Endpoint for ChartPost {
    const NEED: Need = Need::Account;
    const FIELDS: &'static [Field] = KEY_ONLY;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    type Request = PrefUpdate;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check_post(body).map_err(|r| match r {
            ChartRefusal::Message(m) => ApiError::BadRequest(m),
            ChartRefusal::Schema(errors) => ApiError::Schema {
                errors,
                style: Self::STYLE,
            },
        })
    }
    fn parse(fields: Map<String, Value>) -> Result<PrefUpdate, ApiError> {
        // `validate` already refused what `update_of` would.
        update_of(fields)
            .ok_or_else(|| ApiError::BadRequest("No preferences provided to update".into()))
    }
}

pub async fn get(
    State(st): State<AppState>,
    call: ApiQuery<ChartGet>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(prefs_body(st.chart().get(call.user.user_id).await?)))
}

pub async fn post(
    State(st): State<AppState>,
    call: ApiCall<ChartPost>,
) -> Result<Json<Value>, ApiError> {
    st.chart().update(call.user.user_id, call.req).await?;
    Ok(Json(updated_body()))
}
