//! GTT orders (reference/openalgo-options-gtt-calendar.md §10): placegttorder,
//! modifygttorder, cancelgttorder and gttorderbook over the paper engine's GTTs
//! (`algogate_broker::engine::rules::gtt`: fired by the market's ticks, exactly once).
//! Errors are style S with the sandbox's `mode`; the book's are style D.
//!
//! Semi-auto mode queues placegttorder in the Action Center (`api_type` `placegttorder`,
//! the normalised body as `order_data`); approval places the GTT. Modify and cancel run in
//! semi-auto mode too: upstream blocks them only while analyze
//! mode is off, and this paper broker always answers as analyze mode.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value};

use algogate_app::action_center::{Submitted, submit};
use algogate_app::orders::{OrderKind, Outcome};
use algogate_broker::engine::{AccountId, GttId, GttRequest};

use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, Endpoint, Need};
use crate::openalgo::gtt::{
    CANCEL_GTT_FIELDS, MODIFY_GTT_FIELDS, PLACE_GTT_FIELDS, check_gtt, gtt_book_body, gtt_request,
    trigger_body, trigger_id,
};
use crate::openalgo::market::KEY_ONLY;
use crate::openalgo::orders::{OrderCall, executed_body, queued_body};
use crate::openalgo::schema::Field;
use crate::state::AppState;

const STYLE: ErrorStyle = ErrorStyle::ReprAnalyze;

fn schema(fields: &[Field], body: &Value) -> Result<Map<String, Value>, ApiError> {
    check_gtt(fields, body).map_err(|errors| ApiError::Schema {
        errors,
        style: STYLE,
    })
}

fn request(fields: &Map<String, Value>) -> Result<GttRequest, ApiError> {
    gtt_request(fields).map_err(ApiError::BadRequest)
}

fn account(call: &ApiCall<impl Endpoint>) -> AccountId {
    AccountId(call.user.user_id.0)
}

#[derive(Debug)]
pub struct PlaceGtt;
impl Endpoint for PlaceGtt {
    const NEED: Need = Need::Place;
    const FIELDS: &'static [Field] = PLACE_GTT_FIELDS;
    const STYLE: ErrorStyle = STYLE;
    type Request = OrderCall;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        schema(Self::FIELDS, body)
    }
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::Gtt, fields)?)
    }
}

#[derive(Debug)]
pub struct ModifyGtt;
impl Endpoint for ModifyGtt {
    const NEED: Need = Need::Modify;
    const FIELDS: &'static [Field] = MODIFY_GTT_FIELDS;
    const STYLE: ErrorStyle = STYLE;
    type Request = (GttId, GttRequest);
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        schema(Self::FIELDS, body)
    }
    fn parse(fields: Map<String, Value>) -> Result<(GttId, GttRequest), ApiError> {
        Ok((trigger_id(&fields), request(&fields)?))
    }
}

#[derive(Debug)]
pub struct CancelGtt;
impl Endpoint for CancelGtt {
    const NEED: Need = Need::Cancel;
    const FIELDS: &'static [Field] = CANCEL_GTT_FIELDS;
    const STYLE: ErrorStyle = STYLE;
    type Request = GttId;
    fn parse(fields: Map<String, Value>) -> Result<GttId, ApiError> {
        Ok(trigger_id(&fields))
    }
}

#[derive(Debug)]
pub struct GttBook;
impl Endpoint for GttBook {
    const NEED: Need = Need::Account;
    const FIELDS: &'static [Field] = KEY_ONLY;
    const STYLE: ErrorStyle = ErrorStyle::Dict;
    type Request = ();
    fn parse(_: Map<String, Value>) -> Result<(), ApiError> {
        Ok(())
    }
}

pub async fn placegttorder(
    State(st): State<AppState>,
    call: ApiCall<PlaceGtt>,
) -> Result<Json<Value>, ApiError> {
    let (op, order_data) = call.req.into_parts();
    let done = submit(st.engine(), st.action_center(), &call.user, &op, order_data).await?;
    Ok(Json(match done {
        Submitted::Queued(id) => queued_body(id),
        Submitted::Executed(ex) => match &ex.outcome {
            Outcome::Gtt(id) => trigger_body(id),
            _ => executed_body(&ex),
        },
    }))
}

pub async fn modifygttorder(
    State(st): State<AppState>,
    call: ApiCall<ModifyGtt>,
) -> Result<Json<Value>, ApiError> {
    let (id, req) = &call.req;
    st.action_center().check_gtt_modify(&call.user, req).await?;
    st.engine().modify_gtt(account(&call), id, req).await?;
    Ok(Json(trigger_body(id)))
}

pub async fn cancelgttorder(
    State(st): State<AppState>,
    call: ApiCall<CancelGtt>,
) -> Result<Json<Value>, ApiError> {
    st.engine().cancel_gtt(account(&call), &call.req).await?;
    Ok(Json(trigger_body(&call.req)))
}

pub async fn gttorderbook(
    State(st): State<AppState>,
    call: ApiCall<GttBook>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(gtt_book_body(
        &st.engine().gtt_book(account(&call)).await?,
    )))
}
