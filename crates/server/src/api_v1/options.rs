//! The options data endpoints (reference/openalgo-options-gtt-calendar.md §2, §5, §7–§9):
//! optionsymbol, optionchain, optiongreeks, multioptiongreeks, syntheticfuture. Each parses
//! the validated body into the app's request, calls the options service once, and shapes
//! OpenAlgo's body. Answered from the paper market (upstream quotes a live broker).

use algogate_app::options::{GreeksReport, Options};
use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ErrorStyle};
use crate::extract::{ApiCall, Endpoint, Need};
use crate::openalgo::checks::check;
use crate::openalgo::options::MAX_GREEKS_SYMBOLS;
use algogate_app::orders::OrderKind;

use crate::openalgo::option_orders::{
    LEG, LEG_RANGES, LEGS_MESSAGE, MAX_LEGS, MULTI_ORDER_RANGES, OPTIONS_MULTI, OPTIONS_ORDER,
    OPTIONS_ORDER_RANGES,
};
use crate::openalgo::options::{
    CHAIN_RANGES, GREEKS_RANGES, MULTI_GREEKS, MULTI_RANGES, OPTION_CHAIN, OPTION_GREEKS,
    OPTION_SYMBOL, STRIKE_INT, SYNTHETIC, chain_body, chain_request, check_offset, expiry_title,
    greeks_body, greeks_request, symbol_body, symbol_request, synthetic_body,
};
use crate::openalgo::orders::OrderCall;
use crate::openalgo::schema::{Field, FieldErrors, SchemaErrors};
use crate::state::AppState;

fn service(st: &AppState) -> Options<'_> {
    Options::new(st.engine())
}

fn schema(errors: SchemaErrors, style: ErrorStyle) -> ApiError {
    ApiError::Schema { errors, style }
}

macro_rules! options_endpoint {
    ($name:ident, $fields:expr, $style:expr, $ranges:expr $(, then = $then:expr)? $(, errors = $fix:expr)?) => {
        #[derive(Debug)]
        pub struct $name;
        impl Endpoint for $name {
            const NEED: Need = Need::Data;
            const FIELDS: &'static [Field] = $fields;
            const STYLE: ErrorStyle = $style;
            fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
                let fields = check(Self::FIELDS, $ranges, false, body)
                    $( .map_err(|e| $fix(e, body)) )?
                    .map_err(|e| schema(e, Self::STYLE))?;
                $( $then(&fields).map_err(|e| schema(e, Self::STYLE))?; )?
                Ok(fields)
            }
            type Request = Map<String, Value>;
            fn parse(fields: Map<String, Value>) -> Result<Self::Request, ApiError> {
                Ok(fields)
            }
        }
    };
}

options_endpoint!(
    OptionSymbol,
    OPTION_SYMBOL,
    ErrorStyle::Errors,
    STRIKE_INT,
    then = check_offset
);
options_endpoint!(OptionChain, OPTION_CHAIN, ErrorStyle::Errors, CHAIN_RANGES);
options_endpoint!(
    OptionGreeks,
    OPTION_GREEKS,
    ErrorStyle::ErrorsFailed,
    GREEKS_RANGES
);
options_endpoint!(
    MultiOptionGreeks,
    MULTI_GREEKS,
    ErrorStyle::ErrorsFailed,
    MULTI_RANGES,
    errors = empty_symbols
);
options_endpoint!(SyntheticFuture, SYNTHETIC, ErrorStyle::Errors, &[]);

/// `symbols` is `Length(1, 50)`: an empty list gets that message too.
fn empty_symbols(mut errors: SchemaErrors, body: &Value) -> SchemaErrors {
    if body
        .get("symbols")
        .and_then(Value::as_array)
        .is_some_and(|l| l.is_empty())
    {
        for (field, e) in &mut errors.0 {
            if field == "symbols" {
                *e = FieldErrors::Messages(vec![format!(
                    "Length must be between 1 and {MAX_GREEKS_SYMBOLS}."
                )]);
            }
        }
    }
    errors
}

pub async fn optionsymbol(
    State(st): State<AppState>,
    call: ApiCall<OptionSymbol>,
) -> Result<Json<Value>, ApiError> {
    let r = service(&st)
        .resolve(&symbol_request(&call.req), None)
        .await?;
    Ok(Json(symbol_body(&r)))
}

pub async fn optionchain(
    State(st): State<AppState>,
    call: ApiCall<OptionChain>,
) -> Result<Json<Value>, ApiError> {
    let c = service(&st).chain(&chain_request(&call.req)).await?;
    Ok(Json(chain_body(&c)))
}

fn expired(g: &GreeksReport) -> ApiError {
    ApiError::BadRequest(format!("Option has expired on {}", expiry_title(g.expiry)))
}

pub async fn optiongreeks(
    State(st): State<AppState>,
    call: ApiCall<OptionGreeks>,
) -> Result<Json<Value>, ApiError> {
    let g = service(&st)
        .greeks(&greeks_request(&call.req, &call.req))
        .await?;
    if g.expired {
        return Err(expired(&g));
    }
    Ok(Json(greeks_body(&g)))
}

pub async fn multioptiongreeks(
    State(st): State<AppState>,
    call: ApiCall<MultiOptionGreeks>,
) -> Result<Json<Value>, ApiError> {
    let svc = service(&st);
    let items = call
        .req
        .get("symbols")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut data = Vec::with_capacity(items.len());
    let mut failures: Vec<String> = Vec::new();
    for item in &items {
        let Some(obj) = item.as_object() else {
            continue;
        };
        let req = greeks_request(obj, &call.req);
        match svc.greeks(&req).await {
            Ok(g) => data.push(greeks_body(&g)),
            Err(e) => {
                let message = match e.to_string() {
                    m if m.starts_with("Failed to get option Greeks: ") => format!(
                        "Failed to parse option symbol: {}",
                        &m["Failed to get option Greeks: ".len()..]
                    ),
                    m => m,
                };
                data.push(json!({
                    "status": "error",
                    "symbol": req.symbol,
                    "exchange": req.exchange,
                    "message": message,
                }));
                failures.push(message);
            }
        }
    }
    let total = data.len();
    let failed = failures.len();
    let status = match failed {
        0 => "success",
        n if n == total => "error",
        _ => "partial",
    };
    let mut body = json!({
        "status": status,
        "data": data,
        "summary": {"total": total, "success": total - failed, "failed": failed},
    });
    if failed > 0 {
        let mut shown: Vec<&str> = Vec::new();
        for m in &failures {
            if !shown.contains(&m.as_str()) && shown.len() < 3 {
                shown.push(m);
            }
        }
        body["message"] = json!(if failed == total {
            format!(
                "All option Greeks calculations failed: {}",
                shown.join("; ")
            )
        } else {
            format!(
                "{failed} option Greeks calculation(s) failed: {}",
                shown.join("; ")
            )
        });
    }
    Ok(Json(body))
}

pub async fn syntheticfuture(
    State(st): State<AppState>,
    call: ApiCall<SyntheticFuture>,
) -> Result<Json<Value>, ApiError> {
    let f = &call.req;
    let text = |n: &str| f.get(n).and_then(Value::as_str).unwrap_or_default();
    let exchange = text("exchange")
        .parse()
        .unwrap_or(algogate_broker::Exchange::Nfo);
    let s = service(&st)
        .synthetic(text("underlying"), exchange, text("expiry_date"))
        .await?;
    Ok(Json(synthetic_body(&s)))
}

// ---- optionsorder and optionsmultiorder: the order path, queued in semi-auto ----

#[derive(Debug)]
pub struct OptionsOrder;
impl Endpoint for OptionsOrder {
    const NEED: Need = Need::Place;
    const FIELDS: &'static [Field] = OPTIONS_ORDER;
    const STYLE: ErrorStyle = ErrorStyle::Errors;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        check(Self::FIELDS, OPTIONS_ORDER_RANGES, false, body).map_err(|e| schema(e, Self::STYLE))
    }
    type Request = OrderCall;
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::Options, fields)?)
    }
}

pub async fn optionsorder(
    State(st): State<AppState>,
    call: ApiCall<OptionsOrder>,
) -> Result<Json<Value>, ApiError> {
    super::orders::run(&st, call.user, call.req).await
}

#[derive(Debug)]
pub struct OptionsMultiOrder;
impl Endpoint for OptionsMultiOrder {
    const NEED: Need = Need::Place;
    const FIELDS: &'static [Field] = OPTIONS_MULTI;
    const STYLE: ErrorStyle = ErrorStyle::Errors;
    fn validate(body: &Value) -> Result<Map<String, Value>, ApiError> {
        let legs_len = body.get("legs").and_then(Value::as_array).map(Vec::len);
        let legs_message = |mut e: SchemaErrors| {
            // `Length(1, 20)` with OpenAlgo's own message, for too few and too many.
            if legs_len.is_some_and(|n| n == 0 || n > MAX_LEGS) {
                for (field, errs) in &mut e.0 {
                    if field == "legs" {
                        *errs = FieldErrors::Messages(vec![LEGS_MESSAGE.into()]);
                    }
                }
            }
            schema(e, Self::STYLE)
        };
        let fields = check(Self::FIELDS, MULTI_ORDER_RANGES, false, body).map_err(legs_message)?;
        // Each leg's ranges, keyed by its index as marshmallow reports nested errors.
        let items: Vec<(usize, SchemaErrors)> = body
            .get("legs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, leg)| check(LEG, LEG_RANGES, false, leg).err().map(|e| (i, e)))
            .collect();
        if !items.is_empty() {
            return Err(schema(
                SchemaErrors(vec![("legs".into(), FieldErrors::Items(items))]),
                Self::STYLE,
            ));
        }
        Ok(fields)
    }
    type Request = OrderCall;
    fn parse(fields: Map<String, Value>) -> Result<OrderCall, ApiError> {
        Ok(OrderCall::parse(OrderKind::OptionsMulti, fields)?)
    }
}

/// BUY legs run before SELL legs; results come back in request order.
pub async fn optionsmultiorder(
    State(st): State<AppState>,
    call: ApiCall<OptionsMultiOrder>,
) -> Result<Json<Value>, ApiError> {
    super::orders::run(&st, call.user, call.req).await
}
