//! Events between instances on one PostgreSQL database: each is one `NOTIFY` on one
//! channel, a JSON payload stamped with the sending store's origin, and every instance
//! `LISTEN`s. PostgreSQL delivers a transaction's notifications when (and only if) it
//! commits, in commit order, so an account's event never arrives before its rows. A
//! listener that loses its connection cannot know what it missed: it reconnects and
//! reports [`Heard::Resync`] first, and the instance reloads everything it caches.
//! On SQLite there is one instance per file and nothing to send.

use std::time::Duration;

use algogate_broker::engine::{AccountId, Order, OrderId, OrderUpdate};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use crate::{Db, Store};

const CHANNEL: &str = "algogate";

/// PostgreSQL's limit on a notification's payload is 8000 bytes.
pub(crate) const MAX_PAYLOAD: usize = 8000;

/// What one instance tells the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum BusEvent {
    /// A user's keys, named keys or order mode changed (`None`: anyone's, e.g. the CLI).
    Keys { user: Option<i64> },
    /// A paper account was committed at `version`.
    Account { user: i64, version: i64 },
    /// An order changed state (the engine's `order_update`).
    Order(Box<WireUpdate>),
    /// The IP ban list changed.
    Bans,
    /// A user's Action Center changed (an order queued, approved, rejected): the event
    /// its pages receive.
    Pending {
        user: i64,
        name: String,
        data: serde_json::Value,
    },
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Event(BusEvent),
    /// The connection was lost and is back: notifications may have been missed.
    Resync,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The sending store's origin: an instance skips its own events.
    o: u64,
    #[serde(flatten)]
    e: BusEvent,
}

/// An order update in plain fields (the engine's types print and parse as OpenAlgo's
/// strings), rebuilt into the engine's form on arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireUpdate {
    id: String,
    user: i64,
    symbol: String,
    exchange: String,
    action: String,
    quantity: i64,
    price: f64,
    trigger_price: f64,
    pricetype: String,
    product: String,
    status: String,
    filled: i64,
    average_price: f64,
    reason: String,
    ts: i64,
}

impl From<&OrderUpdate> for WireUpdate {
    fn from(u: &OrderUpdate) -> Self {
        Self {
            id: u.orderid.clone(),
            user: u.user_id.0,
            symbol: u.symbol.clone(),
            exchange: u.exchange.as_str().to_owned(),
            action: u.action.as_str().to_owned(),
            quantity: u.quantity,
            price: u.price,
            trigger_price: u.trigger_price,
            pricetype: u.pricetype.as_str().to_owned(),
            product: u.product.as_str().to_owned(),
            status: u.order_status.as_str().to_owned(),
            filled: u.filled_quantity,
            average_price: u.average_price,
            reason: u.rejection_reason.clone(),
            ts: u.timestamp,
        }
    }
}

impl WireUpdate {
    /// The engine's update; `None` when a field does not parse (a newer sender).
    pub fn to_update(&self) -> Option<OrderUpdate> {
        let order = Order {
            id: OrderId(self.id.clone()),
            account: AccountId(self.user),
            symbol: self.symbol.clone(),
            exchange: self.exchange.parse().ok()?,
            action: self.action.parse().ok()?,
            quantity: self.quantity,
            price: self.price,
            trigger_price: self.trigger_price,
            pricetype: self.pricetype.parse().ok()?,
            product: self.product.parse().ok()?,
            status: self.status.parse().ok()?,
            filled_quantity: self.filled,
            average_price: self.average_price,
            rejection_reason: self.reason.clone(),
            strategy: String::new(),
            margin_blocked: 0.0,
            contract: algogate_broker::engine::Contract {
                kind: algogate_broker::InstrumentType::Equity,
                lot_size: 1,
                expiry: None,
            },
            created_ms: self.ts,
            updated_ms: self.ts,
        };
        Some(OrderUpdate::from(&order))
    }
}

/// A random origin per opened store.
pub(crate) fn new_origin() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    })
}

pub(crate) fn payload(origin: u64, e: &BusEvent) -> String {
    // Serialising plain fields cannot fail.
    serde_json::to_string(&Envelope {
        o: origin,
        e: e.clone(),
    })
    .unwrap_or_default()
}

impl Store {
    /// Whether several instances may share this database (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Tells the other instances (after the change it reports has committed). Best
    /// effort: a failure is logged (the others resync when their connection drops; a
    /// payload past PostgreSQL's 8000 bytes is not sent).
    pub async fn publish(&self, e: &BusEvent) {
        let Db::Postgres(p) = &self.db else { return };
        let text = payload(self.origin, e);
        if text.len() >= MAX_PAYLOAD {
            tracing::warn!(
                bytes = text.len(),
                "an event too large to tell other instances"
            );
            return;
        }
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(text)
            .execute(p)
            .await
        {
            tracing::warn!(error = %e, "cannot tell other instances of a change");
        }
    }

    /// The other instances' events, in commit order; `None` on SQLite. The listener runs
    /// until the receiver is dropped.
    pub fn listen(&self) -> Option<mpsc::Receiver<Heard>> {
        let Db::Postgres(pool) = &self.db else {
            return None;
        };
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run_listener(pool.clone(), self.origin, tx));
        Some(rx)
    }
}

async fn connect(pool: &PgPool) -> std::result::Result<PgListener, sqlx::Error> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

async fn run_listener(pool: PgPool, origin: u64, tx: mpsc::Sender<Heard>) {
    let mut first = true;
    loop {
        let mut listener = match connect(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other instances' changes; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(500)) => continue,
                    () = tx.closed() => return,
                }
            }
        };
        // Listening again: what was missed meanwhile is reloaded, not replayed.
        if !first && tx.send(Heard::Resync).await.is_err() {
            return;
        }
        first = false;
        loop {
            let n = tokio::select! {
                n = listener.try_recv() => n,
                () = tx.closed() => return,
            };
            match n {
                Ok(Some(n)) => {
                    let Ok(env) = serde_json::from_str::<Envelope>(n.payload()) else {
                        tracing::warn!("an unreadable notification from another instance");
                        continue;
                    };
                    if env.o != origin && tx.send(Heard::Event(env.e)).await.is_err() {
                        return;
                    }
                }
                Ok(None) | Err(_) => {
                    tracing::warn!("lost the connection that hears other instances; reconnecting");
                    break;
                }
            }
        }
    }
}

/// Advisory-lock key of the instance that runs the once-only work.
const LEADER_LOCK: i64 = 0x6167_0000_0000_0001;

/// The leader's lock: a session-level advisory lock on a connection of its own, held
/// until the connection closes (the process dies, or [`Leadership`] is dropped), when
/// PostgreSQL releases it for another instance.
#[derive(Debug)]
pub struct Leadership {
    conn: sqlx::PgConnection,
}

impl Leadership {
    /// Whether the lock is still held (its connection still answers).
    pub async fn holds(&mut self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&mut self.conn)
            .await
            .is_ok()
    }
}

impl Store {
    /// Takes the leader's lock if no other instance holds it. On SQLite there is one
    /// instance, always the leader: `Ok(None)` is never the answer there.
    pub async fn try_lead(&self) -> crate::Result<Option<Leadership>> {
        let Db::Postgres(pool) = &self.db else {
            return Err(crate::StoreError::NotFound(
                "a leader lock on SQLite (one instance leads)".into(),
            ));
        };
        let mut conn = pool.acquire().await?.detach();
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_LOCK)
            .fetch_one(&mut conn)
            .await?;
        Ok(got.then_some(Leadership { conn }))
    }
}
