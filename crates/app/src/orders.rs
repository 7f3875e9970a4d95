//! The order operations that semi-auto mode queues (placeorder, placesmartorder,
//! basketorder, splitorder, placegttorder): typed as the surfaces parse them, planned (checked without
//! placing anything) and executed on the paper engine. The `/api/v1` handlers run them at
//! once in auto mode; the Action Center runs the stored ones after approval. Both go
//! through [`execute`], so an approved order behaves exactly as the API call would have.

use algogate_broker::engine::{
    AccountId, Action, Engine, EngineError, GttId, GttRequest, OrderId, OrderRequest, SmartOutcome,
};
use algogate_store::StoreError;

use crate::options::{Options, OptionsError, Resolved, SymbolRequest};

/// OpenAlgo's cap on the orders one split may create.
pub const MAX_SPLIT_ORDERS: i64 = 100;

/// A queueable operation; `as_str` is OpenAlgo's `pending_orders.api_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Place,
    Smart,
    Basket,
    Split,
    Options,
    OptionsMulti,
    Gtt,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Place => "placeorder",
            Self::Smart => "smartorder",
            Self::Basket => "basketorder",
            Self::Split => "splitorder",
            Self::Options => "optionsorder",
            Self::OptionsMulti => "optionsmultiorder",
            Self::Gtt => "placegttorder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "placeorder" => Self::Place,
            "smartorder" => Self::Smart,
            "basketorder" => Self::Basket,
            "splitorder" => Self::Split,
            "optionsorder" => Self::Options,
            "optionsmultiorder" => Self::OptionsMulti,
            "placegttorder" => Self::Gtt,
            _ => return None,
        })
    }
}

/// One operation, as a surface parsed it from its validated request.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderOp {
    Place(OrderRequest),
    /// Trade to reach `position_size` (OpenAlgo's smart order).
    Smart {
        order: OrderRequest,
        position_size: i64,
    },
    /// The legs in request order.
    Basket(Vec<OrderRequest>),
    /// `order.quantity` in orders of `split` (the last one smaller).
    Split {
        order: OrderRequest,
        split: i64,
    },
    /// A GTT to place (it fires later, on the market's ticks).
    Gtt(GttRequest),
    /// An option chosen by offset, then ordered (in orders of `split` when it is > 0).
    Options(OptionLeg),
    /// The legs in request order (BUY legs run first).
    OptionsMulti(Vec<OptionLeg>),
}

/// One option order: the contract by offset, and the order its symbol is filled into.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionLeg {
    pub contract: SymbolRequest,
    /// `symbol` and `exchange` are set once the contract is resolved.
    pub order: OrderRequest,
    /// 0: one order.
    pub split: i64,
}

/// What became of one option order.
#[derive(Debug, Clone)]
pub enum OptionFill {
    /// The offset named no contract (the resolution's message).
    Unresolved(String),
    Placed(OrderId),
    /// The engine refused it.
    Rejected(String),
    Split {
        split: i64,
        total: i64,
        legs: Vec<Leg>,
    },
    TooManySplits,
}

/// One leg of an options order and its outcome.
#[derive(Debug, Clone)]
pub struct OptionResult {
    /// Position in the request (0-based).
    pub index: usize,
    pub leg: OptionLeg,
    pub resolved: Option<Resolved>,
    pub fill: OptionFill,
}

impl OrderOp {
    pub fn kind(&self) -> OrderKind {
        match self {
            Self::Place(_) => OrderKind::Place,
            Self::Smart { .. } => OrderKind::Smart,
            Self::Basket(_) => OrderKind::Basket,
            Self::Split { .. } => OrderKind::Split,
            Self::Options(_) => OrderKind::Options,
            Self::OptionsMulti(_) => OrderKind::OptionsMulti,
            Self::Gtt(_) => OrderKind::Gtt,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The engine refused or could not find the order, or its ledger failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("Total number of orders would exceed maximum limit of {MAX_SPLIT_ORDERS}")]
    TooManySplits,
    /// A stored operation that no longer reads as one (a damaged Action Center row).
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The named key's policy refuses the order (a limit).
    #[error(transparent)]
    Denied(#[from] crate::keypolicy::Denial),
    /// An options order's contract could not be resolved.
    #[error(transparent)]
    Options(#[from] OptionsError),
}

/// The order sizes of a split: `total / split` orders of `split`, then the remainder;
/// `None` past [`MAX_SPLIT_ORDERS`], counted before any size is built, so a huge quantity
/// (or a damaged stored order) costs nothing.
pub fn split_sizes(total: i64, split: i64) -> Option<Vec<i64>> {
    let split = split.max(1);
    let (full, rem) = (total.max(0) / split, total.max(0) % split);
    if full.saturating_add(i64::from(rem > 0)) > MAX_SPLIT_ORDERS {
        return None;
    }
    Some(
        (0..full)
            .map(|_| split)
            .chain((rem > 0).then_some(rem))
            .collect(),
    )
}

/// The engine orders an operation places.
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
    /// Resolved only when run (the contract follows the spot).
    Options(Vec<OptionLeg>),
    Gtt(GttRequest),
}

/// The engine orders `op` would place, checked without placing anything (the split count
/// limit), so an order that could never run is refused before it is queued.
pub fn plan(op: &OrderOp) -> Result<Plan, OrderError> {
    Ok(match op {
        OrderOp::Place(o) => Plan::One(o.clone()),
        OrderOp::Smart {
            order,
            position_size,
        } => Plan::Smart(order.clone(), *position_size),
        OrderOp::Basket(legs) => {
            let mut legs = legs.clone();
            // BUY legs first, then SELL legs, as OpenAlgo does.
            legs.sort_by_key(|l| l.action != Action::Buy);
            Plan::Basket(legs)
        }
        OrderOp::Split { order, split } => {
            let split = (*split).max(1);
            let total = order.quantity;
            let legs = split_sizes(total, split)
                .ok_or(OrderError::TooManySplits)?
                .into_iter()
                .map(|quantity| OrderRequest {
                    quantity,
                    ..order.clone()
                })
                .collect();
            Plan::Split { split, total, legs }
        }
        OrderOp::Options(leg) => {
            if leg.split > 0 && split_sizes(leg.order.quantity, leg.split).is_none() {
                return Err(OrderError::TooManySplits);
            }
            Plan::Options(vec![leg.clone()])
        }
        OrderOp::OptionsMulti(legs) => Plan::Options(legs.clone()),
        OrderOp::Gtt(g) => Plan::Gtt(g.clone()),
    })
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

/// One leg of a batch and what became of it (its order id or the rejection message).
#[derive(Debug, Clone)]
pub struct Leg {
    pub order: OrderRequest,
    pub result: Result<OrderId, String>,
}

/// What an execution did.
#[derive(Debug, Clone)]
pub enum Outcome {
    Placed(OrderId),
    Smart(SmartOutcome),
    Basket(Vec<Leg>),
    Split {
        split: i64,
        total: i64,
        legs: Vec<Leg>,
    },
    /// optionsorder: the contract and its fill.
    Options(Box<OptionResult>),
    /// optionsmultiorder: the underlying's LTP (fetched once) and the legs in request order.
    OptionsMulti {
        underlying_ltp: Option<f64>,
        legs: Vec<OptionResult>,
    },
    /// The GTT placed (no order exists until it fires).
    Gtt(GttId),
}

/// An execution's outcome and the engine orders it created.
#[derive(Debug, Clone)]
pub struct Executed {
    pub outcome: Outcome,
    pub order_ids: Vec<OrderId>,
    /// Legs attempted (1 for place/smart) and how many of them failed.
    pub legs: usize,
    pub failed: usize,
}

/// Runs `op` on `acc`. A single order's rejection is an `Err`; a basket or split succeeds
/// with per-leg results (only a ledger failure aborts it).
pub async fn execute(
    engine: &Engine,
    acc: AccountId,
    op: &OrderOp,
    sink: &impl LegSink,
) -> Result<Executed, OrderError> {
    let one = |outcome, order_ids| Executed {
        outcome,
        order_ids,
        legs: 1,
        failed: 0,
    };
    match plan(op)? {
        Plan::One(req) => {
            let id = engine.place(acc, &req).await?;
            sink.placed(&id).await;
            Ok(one(Outcome::Placed(id.clone()), vec![id]))
        }
        Plan::Smart(req, target) => {
            let out = engine.smart_order(acc, &req, target).await?;
            let ids = match &out {
                SmartOutcome::Placed(id) => {
                    sink.placed(id).await;
                    vec![id.clone()]
                }
                SmartOutcome::AlreadyMatched | SmartOutcome::NothingToExit => vec![],
            };
            Ok(one(Outcome::Smart(out), ids))
        }
        Plan::Basket(orders) => {
            let legs = place_legs(engine, acc, orders, sink).await?;
            Ok(batch(legs, Outcome::Basket))
        }
        Plan::Split { split, total, legs } => {
            let legs = place_legs(engine, acc, legs, sink).await?;
            Ok(batch(legs, |legs| Outcome::Split { split, total, legs }))
        }
        Plan::Options(legs) => match op {
            OrderOp::OptionsMulti(_) => options_multi(engine, acc, legs, sink).await,
            _ => {
                let leg = legs.into_iter().next().ok_or(OrderError::Unreadable(
                    "the options order has no leg".into(),
                ))?;
                options_one(engine, acc, leg, sink).await
            }
        },
        Plan::Gtt(req) => {
            let id = engine.place_gtt(acc, &req).await?;
            Ok(one(Outcome::Gtt(id), vec![]))
        }
    }
}

/// optionsorder: a resolution failure or a single order's rejection is the call's error
/// (OpenAlgo answers with it); a split reports per child.
async fn options_one(
    engine: &Engine,
    acc: AccountId,
    leg: OptionLeg,
    sink: &impl LegSink,
) -> Result<Executed, OrderError> {
    let resolved = Options::new(engine).resolve(&leg.contract, None).await?;
    let order = OrderRequest {
        symbol: resolved.symbol.clone(),
        exchange: resolved.exchange,
        ..leg.order.clone()
    };
    let result = |fill, order_ids: Vec<OrderId>, legs, failed| Executed {
        outcome: Outcome::Options(Box::new(OptionResult {
            index: 0,
            leg: leg.clone(),
            resolved: Some(resolved.clone()),
            fill,
        })),
        order_ids,
        legs,
        failed,
    };
    if leg.split > 0 {
        let sizes = split_sizes(order.quantity, leg.split).ok_or(OrderError::TooManySplits)?;
        let children = sizes
            .into_iter()
            .map(|quantity| OrderRequest {
                quantity,
                ..order.clone()
            })
            .collect();
        let legs = place_legs(engine, acc, children, sink).await?;
        let ids: Vec<OrderId> = legs.iter().filter_map(|l| l.result.clone().ok()).collect();
        let (n, failed) = (legs.len(), legs.len() - ids.len());
        let fill = OptionFill::Split {
            split: leg.split,
            total: order.quantity,
            legs,
        };
        return Ok(result(fill, ids, n, failed));
    }
    let id = engine.place(acc, &order).await?;
    sink.placed(&id).await;
    Ok(result(OptionFill::Placed(id.clone()), vec![id], 1, 0))
}

/// optionsmultiorder: one underlying quote, BUY legs before SELL legs, each leg resolved
/// and placed in turn with its own result; no leg stops the others (a ledger failure does).
async fn options_multi(
    engine: &Engine,
    acc: AccountId,
    legs: Vec<OptionLeg>,
    sink: &impl LegSink,
) -> Result<Executed, OrderError> {
    let svc = Options::new(engine);
    let ltp = legs
        .first()
        .and_then(|l| svc.underlying_ltp(&l.contract.underlying, l.contract.exchange));
    let mut order: Vec<(usize, OptionLeg)> = legs.into_iter().enumerate().collect();
    order.sort_by_key(|(_, l)| l.order.action != Action::Buy);
    let (mut results, mut ids, mut attempted, mut failed) = (Vec::new(), Vec::new(), 0, 0);
    for (index, leg) in order {
        let mut out = OptionResult {
            index,
            leg: leg.clone(),
            resolved: None,
            fill: OptionFill::TooManySplits,
        };
        let resolved = match svc.resolve(&leg.contract, ltp).await {
            Ok(r) => r,
            Err(e) => {
                out.fill = OptionFill::Unresolved(e.to_string());
                (attempted, failed) = (attempted + 1, failed + 1);
                results.push(out);
                continue;
            }
        };
        let req = OrderRequest {
            symbol: resolved.symbol.clone(),
            exchange: resolved.exchange,
            ..leg.order.clone()
        };
        out.resolved = Some(resolved);
        out.fill = if leg.split > 0 {
            match split_sizes(req.quantity, leg.split) {
                None => {
                    (attempted, failed) = (attempted + 1, failed + 1);
                    OptionFill::TooManySplits
                }
                Some(sizes) => {
                    let children = sizes
                        .into_iter()
                        .map(|quantity| OrderRequest {
                            quantity,
                            ..req.clone()
                        })
                        .collect();
                    let legs = place_legs(engine, acc, children, sink).await?;
                    for l in &legs {
                        attempted += 1;
                        match &l.result {
                            Ok(id) => ids.push(id.clone()),
                            Err(_) => failed += 1,
                        }
                    }
                    OptionFill::Split {
                        split: leg.split,
                        total: req.quantity,
                        legs,
                    }
                }
            }
        } else {
            attempted += 1;
            match engine.place(acc, &req).await {
                Ok(id) => {
                    sink.placed(&id).await;
                    ids.push(id.clone());
                    OptionFill::Placed(id)
                }
                Err(e @ EngineError::Ledger(_)) => return Err(e.into()),
                Err(e) => {
                    failed += 1;
                    OptionFill::Rejected(e.to_string())
                }
            }
        };
        results.push(out);
    }
    results.sort_by_key(|r| r.index);
    Ok(Executed {
        outcome: Outcome::OptionsMulti {
            underlying_ltp: ltp,
            legs: results,
        },
        order_ids: ids,
        legs: attempted,
        failed,
    })
}

fn batch(legs: Vec<Leg>, outcome: impl FnOnce(Vec<Leg>) -> Outcome) -> Executed {
    let order_ids: Vec<OrderId> = legs
        .iter()
        .filter_map(|l| l.result.as_ref().ok().cloned())
        .collect();
    Executed {
        legs: legs.len(),
        failed: legs.len() - order_ids.len(),
        order_ids,
        outcome: outcome(legs),
    }
}

/// Places each leg in turn; a rejection is that leg's result, a ledger failure aborts.
async fn place_legs(
    engine: &Engine,
    acc: AccountId,
    orders: Vec<OrderRequest>,
    sink: &impl LegSink,
) -> Result<Vec<Leg>, OrderError> {
    let mut legs = Vec::with_capacity(orders.len());
    for order in orders {
        let result = match engine.place(acc, &order).await {
            Ok(id) => {
                sink.placed(&id).await;
                Ok(id)
            }
            Err(e @ EngineError::Ledger(_)) => return Err(e.into()),
            Err(e) => Err(e.to_string()),
        };
        legs.push(Leg { order, result });
    }
    Ok(legs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use algogate_broker::Exchange;
    use algogate_broker::engine::{PriceType, Product};

    fn order(quantity: i64) -> OrderRequest {
        OrderRequest {
            symbol: "SBIN".into(),
            exchange: Exchange::Nse,
            action: Action::Buy,
            quantity,
            pricetype: PriceType::Market,
            product: Product::Mis,
            price: 0.0,
            trigger_price: 0.0,
            strategy: "t".into(),
        }
    }

    #[test]
    fn split_sizes_end_with_the_remainder() {
        assert_eq!(split_sizes(10, 3), Some(vec![3, 3, 3, 1]));
        assert_eq!(split_sizes(9, 3), Some(vec![3, 3, 3]));
        assert_eq!(split_sizes(2, 5), Some(vec![2]));
        assert_eq!(split_sizes(0, 5), Some(Vec::<i64>::new()));
        assert_eq!(
            split_sizes(4, 0),
            Some(vec![1, 1, 1, 1]),
            "a split below 1 counts as 1"
        );
        let cap = MAX_SPLIT_ORDERS;
        assert_eq!(split_sizes(cap, 1).map(|v| v.len() as i64), Some(cap));
        assert_eq!(split_sizes(cap + 1, 1), None);
        assert_eq!(split_sizes(cap * 2 + 1, 2), None, "the remainder counts");
        assert_eq!(split_sizes(i64::MAX, 1), None);
    }

    #[test]
    fn a_split_over_the_cap_is_refused_before_its_legs_exist() {
        let op = OrderOp::Split {
            order: order(i64::MAX),
            split: 1,
        };
        assert!(matches!(plan(&op), Err(OrderError::TooManySplits)));
        let op = OrderOp::Split {
            order: order(100),
            split: 1,
        };
        assert!(matches!(plan(&op), Ok(Plan::Split { legs, .. }) if legs.len() == 100));
    }

    #[test]
    fn basket_legs_run_buys_first() {
        let mut sell = order(1);
        sell.action = Action::Sell;
        let op = OrderOp::Basket(vec![sell.clone(), order(2)]);
        let Ok(Plan::Basket(legs)) = plan(&op) else {
            panic!("a basket plan");
        };
        assert_eq!(legs, vec![order(2), sell]);
    }
}
