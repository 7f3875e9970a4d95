//! Executing the order operations that semi-auto mode queues (reference §5.2): placeorder,
//! placesmartorder, basketorder and splitorder. The `/api/v1` handlers run them at once in
//! auto mode; the Action Center runs the stored, validated fields after approval. Both go
//! through [`execute`], so an approved order behaves exactly as the API call would have.

use serde_json::{Map, Value, json};

use algogate_broker::engine::{
    AccountId, Action, Engine, EngineError, OrderId, OrderRequest, SmartOutcome,
};

use crate::api_v1::orders::{MAX_SPLIT_ORDERS, engine_error, num, order_request, s};
use crate::error::ApiError;

/// A queueable operation; `as_str` is OpenAlgo's `pending_orders.api_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Place,
    Smart,
    Basket,
    Split,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Place => "placeorder",
            Self::Smart => "smartorder",
            Self::Basket => "basketorder",
            Self::Split => "splitorder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "placeorder" => Self::Place,
            "smartorder" => Self::Smart,
            "basketorder" => Self::Basket,
            "splitorder" => Self::Split,
            _ => return None,
        })
    }
}

/// Told about every engine order as soon as it exists (the Action Center records progress).
pub trait LegSink: Sync {
    fn placed(&self, id: &OrderId) -> impl Future<Output = ()> + Send;
}

/// No progress recording (direct API calls).
#[derive(Debug)]
pub struct NoSink;
impl LegSink for NoSink {
    async fn placed(&self, _: &OrderId) {}
}

/// What an execution did: the API's response body and the engine orders it created.
#[derive(Debug, Clone)]
pub struct Executed {
    pub body: Value,
    pub order_ids: Vec<OrderId>,
    /// Legs attempted (1 for place/smart) and how many of them failed.
    pub legs: usize,
    pub failed: usize,
}

/// OpenAlgo's schema defaults, filled into what is stored for approval (reference §5.2:
/// `order_data` is the post-schema request).
pub fn fill_defaults(kind: OrderKind, fields: &mut Map<String, Value>) {
    fn fill(m: &mut Map<String, Value>) {
        for (k, v) in [
            ("pricetype", Value::from("MARKET")),
            ("product", Value::from("MIS")),
            ("price", Value::from(0.0)),
            ("trigger_price", Value::from(0.0)),
            ("disclosed_quantity", Value::from(0)),
        ] {
            m.entry(k).or_insert(v);
        }
    }
    if kind == OrderKind::Basket {
        if let Some(Value::Array(legs)) = fields.get_mut("orders") {
            legs.iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(fill);
        }
    } else {
        fill(fields);
    }
}

/// The engine orders an operation would place, checked without placing anything: the
/// checks the API makes after the schema (split count limit, parseable fields), so an
/// order that could never run is refused before it is queued.
pub fn plan(kind: OrderKind, f: &Map<String, Value>) -> Result<Plan, ApiError> {
    Ok(match kind {
        OrderKind::Place => Plan::One(order_request(f)?),
        OrderKind::Smart => Plan::Smart(order_request(f)?, num(f, "position_size").trunc() as i64),
        OrderKind::Basket => {
            let strategy = s(f, "strategy").to_owned();
            let mut legs = Vec::new();
            for m in f
                .get("orders")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
            {
                let mut m = m.clone();
                m.insert("strategy".into(), Value::from(strategy.clone()));
                legs.push(order_request(&m)?);
            }
            // BUY legs first, then SELL legs, as OpenAlgo does.
            legs.sort_by_key(|l| l.action != Action::Buy);
            Plan::Basket(legs)
        }
        OrderKind::Split => {
            let base = order_request(f)?;
            let split = f
                .get("splitsize")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1);
            let total = base.quantity;
            let (full, rem) = (total / split, total % split);
            let count = full.saturating_add(i64::from(rem > 0));
            if count > MAX_SPLIT_ORDERS {
                return Err(ApiError::Body(
                    axum::http::StatusCode::BAD_REQUEST,
                    json!({
                        "status": "error",
                        "message": format!(
                            "Total number of orders would exceed maximum limit of {MAX_SPLIT_ORDERS}"
                        ),
                        "mode": "analyze",
                    }),
                ));
            }
            let legs = (0..full)
                .map(|_| split)
                .chain((rem > 0).then_some(rem))
                .map(|q| OrderRequest {
                    quantity: q,
                    ..base.clone()
                })
                .collect();
            Plan::Split { split, total, legs }
        }
    })
}

#[derive(Debug, Clone)]
pub enum Plan {
    One(OrderRequest),
    Smart(OrderRequest, i64),
    Basket(Vec<OrderRequest>),
    Split {
        split: i64,
        total: i64,
        legs: Vec<OrderRequest>,
    },
}

/// Runs `kind` with the validated `fields` on `acc`. Errors are the API's (a single order's
/// rejection is an `Err`; a basket or split answers 200 with per-leg results).
pub async fn execute(
    engine: &Engine,
    acc: AccountId,
    kind: OrderKind,
    fields: &Map<String, Value>,
    sink: &impl LegSink,
) -> Result<Executed, ApiError> {
    let analyze = |mut v: Value| {
        v["mode"] = Value::from("analyze");
        v
    };
    match plan(kind, fields)? {
        Plan::One(req) => {
            let id = engine.place(acc, &req).await.map_err(engine_error)?;
            sink.placed(&id).await;
            Ok(Executed {
                body: analyze(json!({"status": "success", "orderid": id.0})),
                order_ids: vec![id],
                legs: 1,
                failed: 0,
            })
        }
        Plan::Smart(req, target) => {
            let out = engine
                .smart_order(acc, &req, target)
                .await
                .map_err(engine_error)?;
            let (body, ids) = match out {
                SmartOutcome::Placed(id) => {
                    sink.placed(&id).await;
                    (json!({"status": "success", "orderid": id.0}), vec![id])
                }
                SmartOutcome::AlreadyMatched => (
                    json!({"status": "success",
                           "message": "Positions Already Matched. No Action needed."}),
                    vec![],
                ),
                SmartOutcome::NothingToExit => (
                    json!({"status": "success",
                           "message": "No OpenPosition Found. Not placing Exit order."}),
                    vec![],
                ),
            };
            Ok(Executed {
                body: analyze(body),
                order_ids: ids,
                legs: 1,
                failed: 0,
            })
        }
        Plan::Basket(legs) => {
            let n = legs.len();
            let mut results = Vec::with_capacity(n);
            let mut ids = Vec::new();
            for (i, leg) in legs.iter().enumerate() {
                match place_leg(engine, acc, leg, sink).await? {
                    Ok(id) => {
                        results.push(json!({
                            "symbol": leg.symbol, "exchange": leg.exchange, "product": leg.product,
                            "status": "success", "orderid": id.0,
                            "batch_order": true, "is_last_order": i + 1 == n,
                        }));
                        ids.push(id);
                    }
                    Err(message) => results.push(json!({
                        "symbol": leg.symbol, "status": "error", "message": message,
                    })),
                }
            }
            Ok(Executed {
                body: analyze(json!({"status": "success", "results": results})),
                failed: n - ids.len(),
                order_ids: ids,
                legs: n,
            })
        }
        Plan::Split { split, total, legs } => {
            let n = legs.len();
            let mut results = Vec::with_capacity(n);
            let mut ids = Vec::new();
            for (i, leg) in legs.iter().enumerate() {
                let q = leg.quantity;
                match place_leg(engine, acc, leg, sink).await? {
                    Ok(id) => {
                        results.push(json!({
                            "order_num": i + 1, "orderid": id.0, "quantity": q, "status": "success",
                        }));
                        ids.push(id);
                    }
                    Err(message) => results.push(json!({
                        "order_num": i + 1, "quantity": q, "status": "error", "message": message,
                    })),
                }
            }
            Ok(Executed {
                body: analyze(json!({
                    "status": "success",
                    "split_size": split,
                    "total_quantity": total,
                    "results": results,
                })),
                failed: n - ids.len(),
                order_ids: ids,
                legs: n,
            })
        }
    }
}

/// One leg of a batch: its order id, or the rejection message (a ledger failure aborts).
async fn place_leg(
    engine: &Engine,
    acc: AccountId,
    leg: &OrderRequest,
    sink: &impl LegSink,
) -> Result<Result<OrderId, String>, ApiError> {
    match engine.place(acc, leg).await {
        Ok(id) => {
            sink.placed(&id).await;
            Ok(Ok(id))
        }
        Err(EngineError::Ledger(m)) => Err(engine_error(EngineError::Ledger(m))),
        Err(e) => Ok(Err(e.to_string())),
    }
}
