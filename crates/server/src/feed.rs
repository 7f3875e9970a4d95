//! The fan-out: who holds which (instrument, mode), and the task that turns each tick into
//! at most one encoding per mode and hands a shared copy to every subscriber's bounded
//! queue. A full queue never blocks the loop: that client is flagged and dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use algogate_broker::{BrokerError, Exchange, PaperMarket, Subscription, Tick};
use algogate_store::UserId;
use axum::extract::ws::Utf8Bytes;
use tokio::sync::{Notify, broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use algogate_app::shutdown::Shutdown;

use crate::openalgo::order_update::OrderUpdate;
use crate::openalgo::ws::{self as protocol, Mode};

pub type ConnId = u64;
type Key = (Exchange, Box<str>);

/// What became of a pushed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    Queued,
    /// The queue was full: this client is now marked too slow (first time only).
    Kicked,
    /// Not queued: the client is already being dropped or gone.
    Dropped,
}

/// A connection's outgoing queue, shared by its session (replies) and the hub (data).
#[derive(Debug)]
pub struct Outbox {
    id: ConnId,
    tx: mpsc::Sender<Utf8Bytes>,
    kicked: AtomicBool,
    kick: Notify,
}

impl Outbox {
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Queues a message without waiting. A full queue marks the client as too slow and
    /// wakes its connection task, which closes it.
    pub fn push(&self, msg: Utf8Bytes) -> Push {
        match self.tx.try_send(msg) {
            Ok(()) => Push::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if self.kicked.swap(true, Ordering::AcqRel) {
                    Push::Dropped
                } else {
                    self.kick.notify_one();
                    Push::Kicked
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Push::Dropped,
        }
    }

    /// Resolves once the client has been found too slow.
    pub async fn kicked(&self) {
        self.kick.notified().await;
    }
}

#[derive(Debug)]
struct Holder {
    id: ConnId,
    modes: u8,
    out: Arc<Outbox>,
}

#[derive(Debug)]
struct Pair {
    holders: Vec<Holder>,
    /// Keeps the instrument on the paper market's ticker while anyone holds it.
    _feed: Subscription,
}

#[derive(Debug, Default)]
struct Registry {
    pairs: HashMap<Key, Pair>,
    orders: HashMap<ConnId, (UserId, Arc<Outbox>)>,
}

/// Counters for tests and the benchmark.
#[derive(Debug, Default)]
pub struct HubStats {
    /// market_data messages queued to clients.
    pub delivered: AtomicU64,
    /// Encodings made (at most one per tick and mode).
    pub encoded: AtomicU64,
    /// Clients dropped for not draining their queue.
    pub slow_dropped: AtomicU64,
    /// Ticks lost because the hub fell behind the market's channel.
    pub lagged: AtomicU64,
}

#[derive(Debug)]
pub struct Hub {
    market: Arc<PaperMarket>,
    registry: RwLock<Registry>,
    next_id: AtomicU64,
    queue_capacity: usize,
    live: AtomicUsize,
    live_changed: Notify,
    shutdown: Shutdown,
    orders_tx: broadcast::Sender<Arc<OrderUpdate>>,
    pub stats: HubStats,
}

/// Held by each connection task; counts live connections for shutdown.
#[derive(Debug)]
pub struct LiveGuard(Arc<Hub>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::AcqRel);
        self.0.live_changed.notify_waiters();
    }
}

impl Hub {
    pub fn new(market: Arc<PaperMarket>, queue_capacity: usize, shutdown: Shutdown) -> Self {
        let (orders_tx, _) = broadcast::channel(4096);
        Self {
            market,
            registry: RwLock::default(),
            next_id: AtomicU64::new(1),
            queue_capacity: queue_capacity.max(1),
            live: AtomicUsize::new(0),
            live_changed: Notify::new(),
            shutdown,
            orders_tx,
            stats: HubStats::default(),
        }
    }

    pub fn market(&self) -> &Arc<PaperMarket> {
        &self.market
    }

    /// The in-process channel order events are published on (the trading engine sends,
    /// the hub forwards each event to its user's `subscribe_orders` sockets).
    pub fn order_events(&self) -> &broadcast::Sender<Arc<OrderUpdate>> {
        &self.orders_tx
    }

    /// A new connection's outbox and the receiving end its writer drains.
    pub fn open(self: &Arc<Self>) -> (Arc<Outbox>, mpsc::Receiver<Utf8Bytes>, LiveGuard) {
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let out = Arc::new(Outbox {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            tx,
            kicked: AtomicBool::new(false),
            kick: Notify::new(),
        });
        self.live.fetch_add(1, Ordering::AcqRel);
        (out, rx, LiveGuard(self.clone()))
    }

    pub fn live_connections(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `mode` for this connection; the first holder of an instrument puts it on the
    /// market's ticker (which also checks that it exists).
    pub fn subscribe(
        &self,
        out: &Arc<Outbox>,
        exchange: Exchange,
        symbol: &str,
        mode: Mode,
    ) -> Result<(), BrokerError> {
        let mut reg = self.write();
        let key: Key = (exchange, symbol.into());
        if let Some(pair) = reg.pairs.get_mut(&key) {
            match pair.holders.iter_mut().find(|h| h.id == out.id) {
                Some(h) => h.modes |= mode.bit(),
                None => pair.holders.push(Holder {
                    id: out.id,
                    modes: mode.bit(),
                    out: out.clone(),
                }),
            }
            return Ok(());
        }
        let feed = self.market.subscribe(symbol, exchange)?;
        reg.pairs.insert(
            key,
            Pair {
                holders: vec![Holder {
                    id: out.id,
                    modes: mode.bit(),
                    out: out.clone(),
                }],
                _feed: feed,
            },
        );
        Ok(())
    }

    /// Removes the modes in `mask` for this connection; the last holder leaving takes the
    /// instrument off the ticker.
    pub fn unsubscribe(&self, id: ConnId, exchange: Exchange, symbol: &str, mask: u8) {
        let mut reg = self.write();
        let key: Key = (exchange, symbol.into());
        let Some(pair) = reg.pairs.get_mut(&key) else {
            return;
        };
        if let Some(i) = pair.holders.iter().position(|h| h.id == id) {
            pair.holders[i].modes &= !mask;
            if pair.holders[i].modes == 0 {
                pair.holders.swap_remove(i);
            }
        }
        if pair.holders.is_empty() {
            reg.pairs.remove(&key);
        }
    }

    pub fn subscribe_orders(&self, out: &Arc<Outbox>, user: UserId) {
        self.write().orders.insert(out.id, (user, out.clone()));
    }

    pub fn unsubscribe_orders(&self, id: ConnId) {
        self.write().orders.remove(&id);
    }

    /// Sends one tick to every holder of its instrument: one message per client, at the
    /// highest mode that client holds (reference §1.8 with the paper market's ticks
    /// carrying every field, i.e. published at mode 3), encoded once per mode.
    pub fn dispatch_tick(&self, tick: &Tick) -> usize {
        let reg = self.read();
        let key: Key = (tick.exchange, tick.symbol.as_str().into());
        let Some(pair) = reg.pairs.get(&key) else {
            return 0;
        };
        let mut encoded: [Option<Utf8Bytes>; 3] = [None, None, None];
        let mut sent = 0;
        for h in &pair.holders {
            let Some(mode) = Mode::highest(h.modes) else {
                continue;
            };
            let msg = encoded[mode as usize - 1].get_or_insert_with(|| {
                self.stats.encoded.fetch_add(1, Ordering::Relaxed);
                Utf8Bytes::from(protocol::market_data(tick, mode))
            });
            match h.out.push(msg.clone()) {
                Push::Queued => sent += 1,
                Push::Kicked => {
                    self.stats.slow_dropped.fetch_add(1, Ordering::Relaxed);
                }
                Push::Dropped => {}
            }
        }
        self.stats
            .delivered
            .fetch_add(sent as u64, Ordering::Relaxed);
        sent
    }

    /// Sends an order event to its user's `subscribe_orders` sockets, encoded once.
    pub fn dispatch_order(&self, ev: &OrderUpdate) -> usize {
        let reg = self.read();
        let mut msg: Option<Utf8Bytes> = None;
        let mut sent = 0;
        for (user, out) in reg.orders.values() {
            if *user != ev.user {
                continue;
            }
            let m = msg.get_or_insert_with(|| Utf8Bytes::from(ev.encode()));
            if out.push(m.clone()) == Push::Queued {
                sent += 1;
            }
        }
        sent
    }

    /// Runs the fan-out until the market's channel closes.
    pub fn spawn(self: &Arc<Self>) -> JoinHandle<()> {
        let hub = self.clone();
        let mut ticks = self.market.ticks();
        let mut orders = self.orders_tx.subscribe();
        tokio::spawn(async move {
            let mut orders_open = true;
            loop {
                tokio::select! {
                    t = ticks.recv() => match t {
                        Ok(tick) => { hub.dispatch_tick(&tick); }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            hub.stats.lagged.fetch_add(n, Ordering::Relaxed);
                            tracing::warn!(missed = n, "WebSocket fan-out fell behind the ticker");
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    o = orders.recv(), if orders_open => match o {
                        Ok(ev) => { hub.dispatch_order(&ev); }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(missed = n, "order updates lost: the WebSocket fan-out fell behind");
                        }
                        Err(broadcast::error::RecvError::Closed) => orders_open = false,
                    },
                }
            }
        })
    }

    /// Turns true at shutdown: every connection closes (1001).
    pub fn shutdown_watch(&self) -> watch::Receiver<bool> {
        self.shutdown.watch()
    }

    /// Waits (bounded) for every connection task to finish its close handshake.
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.live_changed.notified();
            if self.live_connections() == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                tracing::warn!(
                    open = self.live_connections(),
                    "WebSocket connections still open at shutdown"
                );
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use algogate_broker::{MarketConfig, SystemClock};

    fn hub(capacity: usize) -> Arc<Hub> {
        let market = PaperMarket::with_builtin(Arc::new(SystemClock), MarketConfig::default());
        Arc::new(Hub::new(market, capacity, Shutdown::default()))
    }

    #[test]
    fn one_encoding_per_mode_shared_by_every_client() {
        let hub = hub(8);
        let mut conns = Vec::new();
        for i in 0..30 {
            let (out, rx, live) = hub.open();
            let mode = Mode::ALL[i % 3];
            hub.subscribe(&out, Exchange::Nse, "SBIN", mode).unwrap();
            if i % 3 == 2 {
                // Also holds LTP: still one message, at Depth.
                hub.subscribe(&out, Exchange::Nse, "SBIN", Mode::Ltp)
                    .unwrap();
            }
            conns.push((mode, out, rx, live));
        }
        let tick = hub.market().tick("SBIN", Exchange::Nse).unwrap();
        assert_eq!(hub.dispatch_tick(&tick), 30);
        assert_eq!(hub.stats.encoded.load(Ordering::Relaxed), 3);
        let mut ptr_by_mode: HashMap<u8, *const u8> = HashMap::new();
        for (mode, _, rx, _) in &mut conns {
            let m = rx.try_recv().unwrap();
            assert!(rx.try_recv().is_err(), "one message per tick");
            let v: serde_json::Value = serde_json::from_str(m.as_str()).unwrap();
            assert_eq!(v["mode"], mode.number());
            // The same bytes (not a copy) for every client at this mode.
            let p = ptr_by_mode
                .entry(mode.number())
                .or_insert(m.as_str().as_ptr());
            assert_eq!(*p, m.as_str().as_ptr());
        }
        // Ticks for instruments nobody holds are dropped.
        let other = hub.market().tick("TCS", Exchange::Nse).unwrap();
        assert_eq!(hub.dispatch_tick(&other), 0);
    }

    #[test]
    fn a_full_queue_kicks_that_client_only_and_the_last_holder_releases_the_market() {
        let hub = hub(2);
        let (slow, _slow_rx, _l1) = hub.open();
        let (fast, mut fast_rx, _l2) = hub.open();
        for out in [&slow, &fast] {
            hub.subscribe(out, Exchange::Nse, "SBIN", Mode::Ltp)
                .unwrap();
        }
        let tick = hub.market().tick("SBIN", Exchange::Nse).unwrap();
        for _ in 0..5 {
            hub.dispatch_tick(&tick);
            assert!(fast_rx.try_recv().is_ok());
        }
        assert_eq!(hub.stats.slow_dropped.load(Ordering::Relaxed), 1);
        assert!(slow.kicked.load(Ordering::Acquire));
        assert!(!fast.kicked.load(Ordering::Acquire));
        assert_eq!(hub.market().subscriptions().len(), 1);
        hub.unsubscribe(slow.id(), Exchange::Nse, "SBIN", Mode::Ltp.bit());
        assert_eq!(hub.market().subscriptions().len(), 1);
        hub.unsubscribe(fast.id(), Exchange::Nse, "SBIN", 0b111);
        assert!(hub.market().subscriptions().is_empty());
        assert_eq!(hub.live_connections(), 2);
    }
}
