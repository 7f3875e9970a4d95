//! The Action Center (SPEC §5, reference §5): orders queued in semi-auto mode, their
//! approval, rejection and deletion, and the events the page listens to.
//!
//! Life cycle of a row: `pending` → `rejected`, or `pending` → `approved` with
//! `execution_state` `executing` → `executed` | `failed`. Approval is exactly once: the
//! transition out of `pending` is one conditional UPDATE (`WHERE id AND user_id AND
//! status='pending'`), and only the caller whose statement changed the row executes it.
//! Each engine order id is appended to the row as soon as it exists, and the outcome (ids,
//! broker status, the API's response body or the error) is recorded on the row.
//!
//! A restart can leave rows `executing` (the process died between the claim and the
//! outcome). They are never executed again: at start-up [`recover_interrupted`] marks them
//! `failed` with a reason that says so, keeping the order ids recorded before the
//! interruption (at most the one leg in flight at that moment can be missing from them).

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, watch};

use crate::shutdown::Shutdown;

use algogate_broker::engine::{
    AccountId, Engine, GttRequest, Modification, OrderId, OrderRequest, PriceType,
};
use algogate_broker::time::ist_timestamp;
use algogate_store::bus::BusEvent;
use algogate_store::{
    OrderMode, Outcome, PendingRow, PendingStats, Stamp, Store, StoreError, UserId,
};

use crate::clock::Clock;
use crate::keypolicy::Denial;
use crate::keyservice::AuthedUser;
use crate::orders::{
    Executed, LegSink, MAX_SPLIT_ORDERS, NoSink, OptionLeg, OrderError, OrderKind, OrderOp,
    execute, plan, split_sizes,
};

pub const INTERRUPTED: &str = "Execution was interrupted by a server restart before its \
     result was recorded; it was not retried. The order ids recorded before the interruption \
     are kept; check the order book for any other.";
/// OpenAlgo keeps `broker_order_id` within 255 characters.
const BROKER_ID_MAX: usize = 255;

const EVENT_CREATED: &str = "pending_order_created";
const EVENT_UPDATED: &str = "pending_order_updated";

/// Something the Action Center page of `user` should hear about (SSE).
#[derive(Debug, Clone)]
pub struct ActionEvent {
    pub user: UserId,
    /// `pending_order_created` or `pending_order_updated` (OpenAlgo's Socket.IO names).
    pub name: &'static str,
    pub data: Value,
}

/// How the stored rows read and what they record, in the API's own terms: the server's
/// OpenAlgo module implements it, so approving an order answers exactly as the API call
/// would have.
pub trait OrderCodec: Send + Sync + std::fmt::Debug {
    /// The operation a stored `order_data` describes.
    fn decode(&self, kind: OrderKind, data: &Map<String, Value>) -> Result<OrderOp, OrderError>;
    /// The API's response body for an execution.
    fn executed_body(&self, ex: &Executed) -> Value;
    /// The API's error body for a failed one.
    fn error_body(&self, e: &OrderError) -> Value;
}

/// The outcome of one approval.
#[derive(Debug)]
pub enum Approval {
    /// Not the user's row, or no longer pending: nothing was executed.
    NotPending,
    Executed {
        broker_order_id: Option<String>,
        result: Value,
    },
    /// `error` is the message recorded on the row; `cause` is the execution's error (none
    /// when every leg of a batch was rejected).
    Failed {
        error: Value,
        cause: Option<OrderError>,
    },
}

/// The outcome of approve-all.
#[derive(Debug, Clone, Default)]
pub struct ApproveAll {
    pub approved: usize,
    pub executed: usize,
    pub failed: Vec<(i64, Value)>,
}

#[derive(Debug)]
pub struct ActionCenter {
    store: Store,
    clock: Arc<dyn Clock>,
    codec: Arc<dyn OrderCodec>,
    events: broadcast::Sender<ActionEvent>,
    shutdown: Shutdown,
}

fn stamps(clock: &dyn Clock) -> (String, String) {
    let now = clock.now();
    (
        now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        format!("{} IST", ist_timestamp(now.timestamp_millis())),
    )
}

/// Marks rows a previous process left `executing` as failed (never re-executed).
pub async fn recover_interrupted(store: &Store, clock: &dyn Clock) -> Result<Vec<i64>, StoreError> {
    let (_, ist) = stamps(clock);
    let ids = store.fail_interrupted_pending(INTERRUPTED, &ist).await?;
    if !ids.is_empty() {
        tracing::warn!(
            ?ids,
            "pending orders interrupted during execution marked failed"
        );
    }
    Ok(ids)
}

/// Records each engine order on the row as soon as it exists.
struct RowSink<'a> {
    store: &'a Store,
    id: i64,
    ids: Mutex<Vec<String>>,
}

impl LegSink for RowSink<'_> {
    async fn placed(&self, oid: &OrderId) {
        if let Ok(mut v) = self.ids.lock() {
            v.push(oid.0.clone());
        }
        if let Err(e) = self.store.record_pending_leg(self.id, &oid.0).await {
            tracing::error!(error = %e, pending_order_id = self.id, "cannot record an order id");
        }
    }
}

/// Comma-joined ids, or `"<first> (+N more)"` past 255 characters (as OpenAlgo).
fn join_ids(ids: &[String]) -> Option<String> {
    let first = ids.first()?;
    let joined = ids.join(",");
    Some(if joined.len() <= BROKER_ID_MAX {
        joined
    } else {
        format!("{first} (+{} more)", ids.len() - 1)
    })
}

impl ActionCenter {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        codec: Arc<dyn OrderCodec>,
        shutdown: Shutdown,
    ) -> Self {
        let (events, _) = broadcast::channel(256);
        Self {
            store,
            clock,
            codec,
            events,
            shutdown,
        }
    }

    /// The event stream and a signal that turns true at shutdown (open streams end then).
    pub fn subscribe(&self) -> (broadcast::Receiver<ActionEvent>, watch::Receiver<bool>) {
        (self.events.subscribe(), self.shutdown.watch())
    }

    async fn emit(&self, user: UserId, name: &'static str, data: Value) {
        let e = BusEvent::Pending {
            user: user.0,
            name: name.to_owned(),
            data: data.clone(),
        };
        // No subscriber is fine: notifications are best-effort, as in OpenAlgo.
        let _ = self.events.send(ActionEvent { user, name, data });
        // Other instances' pages hear it too.
        self.store.publish(&e).await;
    }

    /// An event another instance emitted, for this one's pages.
    pub fn emitted_elsewhere(&self, user: UserId, name: &str, data: Value) {
        let Some(name) = [EVENT_CREATED, EVENT_UPDATED]
            .into_iter()
            .find(|n| *n == name)
        else {
            return;
        };
        let _ = self.events.send(ActionEvent { user, name, data });
    }

    /// Queues `op`, storing `order_data` (the request as OpenAlgo stores it, without the
    /// key), and returns the pending order's id. The operation's own checks run first (a
    /// split over 100 orders is refused now, not at approval).
    pub async fn queue(
        &self,
        user: &AuthedUser,
        op: &OrderOp,
        order_data: Map<String, Value>,
    ) -> Result<i64, OrderError> {
        plan(op)?;
        let kind = op.kind();
        let data = Value::Object(order_data).to_string();
        let (utc, ist) = stamps(self.clock.as_ref());
        let id = self
            .store
            .insert_pending(
                user.user_id,
                kind.as_str(),
                &data,
                Stamp {
                    utc: &utc,
                    ist: &ist,
                },
                user.key_name(),
            )
            .await?;
        tracing::info!(
            pending_order_id = id,
            api_type = kind.as_str(),
            "order queued for approval"
        );
        self.emit(
            user.user_id,
            EVENT_CREATED,
            json!({
                "pending_order_id": id,
                "user_id": user.username,
                "api_type": kind.as_str(),
                "message": format!("New {} order queued for approval", kind.as_str()),
            }),
        )
        .await;
        Ok(id)
    }

    /// Approves and executes row `id` of `user`, at most once whatever the concurrency.
    pub async fn approve(
        &self,
        engine: &Engine,
        user: UserId,
        username: &str,
        id: i64,
    ) -> Result<Approval, StoreError> {
        let out = self.approve_quietly(engine, user, username, id).await?;
        if !matches!(out, Approval::NotPending) {
            self.emit(
                user,
                EVENT_UPDATED,
                json!({"action": "approved", "order_id": id, "user_id": username}),
            )
            .await;
        }
        Ok(out)
    }

    async fn approve_quietly(
        &self,
        engine: &Engine,
        user: UserId,
        username: &str,
        id: i64,
    ) -> Result<Approval, StoreError> {
        let (utc, ist) = stamps(self.clock.as_ref());
        let at = Stamp {
            utc: &utc,
            ist: &ist,
        };
        if !self.store.claim_pending(user, id, username, at).await? {
            return Ok(Approval::NotPending);
        }
        // This caller alone owns the execution from here on.
        let Some(row) = self.store.pending_row(user, id).await? else {
            return Ok(Approval::NotPending);
        };
        let sink = RowSink {
            store: &self.store,
            id,
            ids: Mutex::new(Vec::new()),
        };
        let acc = AccountId(user.0);
        let op = match (
            OrderKind::parse(&row.api_type),
            serde_json::from_str::<Map<String, Value>>(&row.order_data),
        ) {
            (Some(kind), Ok(fields)) => self.codec.decode(kind, &fields),
            (None, _) => Err(OrderError::Unreadable(format!(
                "Unknown order type: {}",
                row.api_type
            ))),
            (_, Err(e)) => Err(OrderError::Unreadable(format!(
                "stored order {id} is not a JSON object: {e}"
            ))),
        };
        let result = match op {
            Ok(op) => execute(engine, acc, &op, &sink).await,
            Err(e) => Err(e),
        };
        let ids = sink.ids.lock().map(|v| v.clone()).unwrap_or_default();
        let mut broker_order_id = join_ids(&ids);
        let (_, done_ist) = stamps(self.clock.as_ref());
        let approval = match result {
            Ok(ex) if ex.failed < ex.legs || ex.legs == 0 => {
                // A GTT records its trigger id and stays open until it fires (upstream's
                // broker_order_id = trigger_id, broker_status = open).
                let status = match &ex.outcome {
                    crate::orders::Outcome::Gtt(gtt) => {
                        broker_order_id = Some(gtt.0.clone());
                        "open".to_owned()
                    }
                    _ => broker_status(engine, acc, &ex).await,
                };
                let result = self.codec.executed_body(&ex);
                let body = result.to_string();
                self.store
                    .finish_pending(
                        id,
                        Outcome {
                            executed: true,
                            broker_order_id: broker_order_id.as_deref(),
                            broker_status: &status,
                            result_json: Some(&body),
                            error: None,
                            at_ist: &done_ist,
                        },
                    )
                    .await?;
                Approval::Executed {
                    broker_order_id,
                    result,
                }
            }
            Ok(ex) => {
                // Every leg of a batch was rejected: the approval did nothing.
                let body = self.codec.executed_body(&ex).to_string();
                let error = Value::from(format!("All {} orders were rejected", ex.legs));
                self.store
                    .finish_pending(
                        id,
                        Outcome {
                            executed: false,
                            broker_order_id: None,
                            broker_status: "rejected",
                            result_json: Some(&body),
                            error: error.as_str(),
                            at_ist: &done_ist,
                        },
                    )
                    .await?;
                Approval::Failed { error, cause: None }
            }
            Err(e) => {
                let body = self.codec.error_body(&e);
                let error = body.get("message").cloned().unwrap_or(Value::Null);
                let text = match &error {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let body_text = body.to_string();
                self.store
                    .finish_pending(
                        id,
                        Outcome {
                            executed: false,
                            broker_order_id: broker_order_id.as_deref(),
                            broker_status: if ids.is_empty() {
                                "rejected"
                            } else {
                                "partial"
                            },
                            result_json: Some(&body_text),
                            error: Some(&text),
                            at_ist: &done_ist,
                        },
                    )
                    .await?;
                Approval::Failed {
                    error,
                    cause: Some(e),
                }
            }
        };
        Ok(approval)
    }

    /// Approves every row pending when it starts, one after another. Rows queued meanwhile
    /// stay pending; a row someone else decided meanwhile is skipped.
    pub async fn approve_all(
        &self,
        engine: &Engine,
        user: UserId,
        username: &str,
    ) -> Result<ApproveAll, StoreError> {
        let mut out = ApproveAll::default();
        for id in self.store.pending_ids(user).await? {
            match self.approve_quietly(engine, user, username, id).await? {
                Approval::NotPending => {}
                Approval::Executed { .. } => {
                    out.approved += 1;
                    out.executed += 1;
                }
                Approval::Failed { error, .. } => {
                    out.approved += 1;
                    out.failed.push((id, error));
                }
            }
        }
        if out.approved > 0 {
            self.emit(
                user,
                EVENT_UPDATED,
                json!({"action": "batch_approved", "user_id": username, "count": out.approved}),
            )
            .await;
        }
        Ok(out)
    }

    pub async fn reject(
        &self,
        user: UserId,
        username: &str,
        id: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let (utc, ist) = stamps(self.clock.as_ref());
        let ok = self
            .store
            .reject_pending(
                user,
                id,
                username,
                reason,
                Stamp {
                    utc: &utc,
                    ist: &ist,
                },
            )
            .await?;
        if ok {
            self.emit(
                user,
                EVENT_UPDATED,
                json!({"action": "rejected", "order_id": id, "user_id": username}),
            )
            .await;
        }
        Ok(ok)
    }

    pub async fn delete(&self, user: UserId, username: &str, id: i64) -> Result<bool, StoreError> {
        let ok = self.store.delete_pending(user, id).await?;
        if ok {
            self.emit(
                user,
                EVENT_UPDATED,
                json!({"action": "deleted", "order_id": id, "user_id": username}),
            )
            .await;
        }
        Ok(ok)
    }

    pub async fn count(&self, user: UserId) -> Result<i64, StoreError> {
        self.store.count_pending(user).await
    }

    /// The user's rows (`status` filters them; None: all) and statistics over all rows.
    pub async fn rows(
        &self,
        user: UserId,
        status: Option<&str>,
    ) -> Result<(Vec<PendingRow>, PendingStats), StoreError> {
        let rows = self.store.pending_rows(user, status).await?;
        let stats = self.store.pending_stats(user).await?;
        Ok((rows, stats))
    }
}

/// The broker status recorded after a successful execution: a single order's status in the
/// engine; for a batch `partial` when some legs failed, else `complete` when every order
/// filled, else `open`.
async fn broker_status(engine: &Engine, acc: AccountId, ex: &Executed) -> String {
    if ex.order_ids.is_empty() {
        return "no action".into();
    }
    if ex.failed > 0 {
        return "partial".into();
    }
    let mut statuses = Vec::new();
    for id in &ex.order_ids {
        match engine.order_status(acc, id).await {
            Ok(v) => statuses.push(
                serde_json::to_value(v.order_status)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            ),
            Err(_) => statuses.push(String::new()),
        }
    }
    if ex.order_ids.len() == 1 {
        return statuses.pop().unwrap_or_default();
    }
    if statuses.iter().all(|s| s == "complete") {
        "complete".into()
    } else {
        "open".into()
    }
}

/// What became of a submitted operation.
#[derive(Debug)]
pub enum Submitted {
    /// Semi-auto: queued in the Action Center as this pending order.
    Queued(i64),
    Executed(Executed),
}

/// Runs `op` for `user` now (auto mode) or queues it for approval (semi-auto), with
/// `order_data` as the row the Action Center stores (OpenAlgo's post-schema request,
/// without the key).
pub async fn submit(
    engine: &Engine,
    center: &ActionCenter,
    user: &AuthedUser,
    op: &OrderOp,
    order_data: impl FnOnce() -> serde_json::Map<String, serde_json::Value>,
) -> Result<Submitted, OrderError> {
    let counted = match center.check_key_limits(engine, user, op).await {
        Ok(c) => c,
        Err(e) => {
            if let (OrderError::Denied(d), Some(name)) = (&e, user.key_name()) {
                center.audit(user, name, "denied", &d.to_string()).await;
            }
            return Err(e);
        }
    };
    let done = if user.order_mode == OrderMode::SemiAuto {
        center
            .queue(user, op, order_data())
            .await
            .map(Submitted::Queued)
    } else {
        let acc = AccountId(user.user_id.0);
        execute(engine, acc, op, &NoSink)
            .await
            .map(Submitted::Executed)
    };
    // An order refused before anything was placed does not count against the day's limit.
    if done.is_err()
        && let Some((key, session, n)) = counted
        && let Err(e) = center.store.return_key_orders(key, &session, n).await
    {
        tracing::error!(error = %e, "cannot return a key's order count");
    }
    done
}

/// The engine orders an operation would place, for the orders-per-day count.
fn order_count(op: &OrderOp) -> i64 {
    match op {
        OrderOp::Place(_) | OrderOp::Smart { .. } => 1,
        OrderOp::Basket(legs) => legs.len() as i64,
        OrderOp::Split { order, split } => {
            split_sizes(order.quantity, *split).map_or(MAX_SPLIT_ORDERS + 1, |v| v.len() as i64)
        }
        OrderOp::Options(leg) => option_leg_count(leg),
        OrderOp::OptionsMulti(legs) => legs.iter().map(option_leg_count).sum(),
        // Counted when placed: a GTT places at most one order when it fires.
        OrderOp::Gtt(_) => 1,
    }
}

fn option_leg_count(leg: &OptionLeg) -> i64 {
    if leg.split > 0 {
        split_sizes(leg.order.quantity, leg.split).map_or(MAX_SPLIT_ORDERS + 1, |v| v.len() as i64)
    } else {
        1
    }
}

impl ActionCenter {
    /// A named key's limits for `op`: allowed symbols, quantity and value per order (a
    /// split is measured whole, so splitting cannot get round them; MARKET orders at the
    /// LTP), then the orders-per-day count, taken durably. Returns what was counted, to
    /// give back if the order then fails.
    async fn check_key_limits(
        &self,
        engine: &Engine,
        user: &AuthedUser,
        op: &OrderOp,
    ) -> Result<Option<(i64, String, i64)>, OrderError> {
        let Some(key) = &user.named else {
            return Ok(None);
        };
        let policy = &key.policy;
        if let OrderOp::Gtt(g) = op {
            policy.check_gtt(g)?;
        }
        let orders: Vec<&OrderRequest> = match op {
            OrderOp::Place(o)
            | OrderOp::Smart { order: o, .. }
            | OrderOp::Split { order: o, .. } => {
                vec![o]
            }
            OrderOp::Basket(legs) => legs.iter().collect(),
            // The contract is chosen at execution: before that its symbol is unknown, so a
            // symbol list or a value limit refuses it (fail closed); quantity limits apply.
            OrderOp::Options(leg) => vec![&leg.order],
            OrderOp::OptionsMulti(legs) => legs.iter().map(|l| &l.order).collect(),
            OrderOp::Gtt(_) => vec![],
        };
        for o in orders {
            let ltp = if policy.needs_ltp() && o.pricetype == PriceType::Market {
                engine
                    .market()
                    .quote(&o.symbol, o.exchange)
                    .ok()
                    .map(|q| q.ltp)
            } else {
                None
            };
            policy.check_order(o, ltp)?;
        }
        let Some(max) = policy.max_orders_per_day else {
            return Ok(None);
        };
        let session = self.session_id(engine);
        let n = order_count(op);
        if !self.store.take_key_orders(key.id, &session, n, max).await? {
            return Err(Denial::MaxOrders(max).into());
        }
        Ok(Some((key.id, session, n)))
    }

    /// The current trading session (orders-per-day counts reset at its boundary).
    fn session_id(&self, engine: &Engine) -> String {
        let start = algogate_broker::time::session_start_ms(
            self.clock.now_ms(),
            engine.config().session_boundary,
        );
        start.to_string()
    }

    /// Appends to the user's key audit log (failures logged only).
    pub async fn audit(&self, user: &AuthedUser, key: &str, event: &str, detail: &str) {
        let at = self.clock.now().to_rfc3339();
        if let Err(e) = self
            .store
            .insert_audit(user.user_id, key, event, detail, &at)
            .await
        {
            tracing::error!(error = %e, "cannot write the key audit log");
        }
    }

    /// The limits a named key puts on a GTT as modified (a full replacement).
    pub async fn check_gtt_modify(
        &self,
        user: &AuthedUser,
        g: &GttRequest,
    ) -> Result<(), OrderError> {
        let Some(key) = &user.named else {
            return Ok(());
        };
        if let Err(d) = key.policy.check_gtt(g) {
            self.audit(user, &key.name, "denied", &d.to_string()).await;
            return Err(d.into());
        }
        Ok(())
    }

    /// The limits a named key puts on a modification: quantity and value (at the new or the
    /// resting price) of the order as modified, and its symbol.
    pub async fn check_modify(
        &self,
        engine: &Engine,
        user: &AuthedUser,
        id: &OrderId,
        change: &Modification,
    ) -> Result<(), OrderError> {
        let Some(key) = &user.named else {
            return Ok(());
        };
        let p = &key.policy;
        if !p.limits_orders() {
            return Ok(());
        }
        let acc = AccountId(user.user_id.0);
        let o = engine.order_status(acc, id).await?;
        let modified = OrderRequest {
            symbol: o.symbol,
            exchange: o.exchange,
            action: o.action,
            quantity: change.quantity.unwrap_or(o.quantity),
            pricetype: o.pricetype,
            product: o.product,
            price: change.price.unwrap_or(o.price),
            trigger_price: change.trigger_price.unwrap_or(o.trigger_price),
            strategy: o.strategy,
        };
        let ltp = if p.needs_ltp() && modified.pricetype == PriceType::Market {
            engine
                .market()
                .quote(&modified.symbol, modified.exchange)
                .ok()
                .map(|q| q.ltp)
        } else {
            None
        };
        if let Err(d) = p.check_order(&modified, ltp) {
            self.audit(user, &key.name, "denied", &d.to_string()).await;
            return Err(d.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_id_lists_are_shortened_like_openalgo() {
        assert_eq!(join_ids(&[]), None);
        assert_eq!(join_ids(&["a".into(), "b".into()]).as_deref(), Some("a,b"));
        let many: Vec<String> = (0..40).map(|i| format!("2501010000{i:04}")).collect();
        assert_eq!(
            join_ids(&many).as_deref(),
            Some("25010100000000 (+39 more)")
        );
    }
}
