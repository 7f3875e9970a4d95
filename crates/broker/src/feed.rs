//! Live ticks: subscriptions with reference counts, a ticker task that prices only what is
//! subscribed, and one broadcast channel the WebSocket layer listens to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde::Serialize;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::api::DepthLevel;
use crate::domain::Exchange;
use crate::error::BrokerError;
use crate::instruments::Instrument;
use crate::market::{Book, PaperMarket, Snapshot};

/// One market update. `close` is the previous session's close, as OpenAlgo's feed names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub symbol: String,
    pub exchange: Exchange,
    pub token: String,
    pub ltp: f64,
    pub ltq: u64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub prev_close: f64,
    pub volume: u64,
    pub oi: u64,
    pub bid: f64,
    pub ask: f64,
    pub bid_qty: u64,
    pub ask_qty: u64,
    pub totalbuyqty: u64,
    pub totalsellqty: u64,
    pub bids: [DepthLevel; 5],
    pub asks: [DepthLevel; 5],
    /// Epoch milliseconds.
    pub timestamp: i64,
}

type Key = (Exchange, Box<str>);
type Counts = Arc<Mutex<HashMap<Key, usize>>>;

#[derive(Debug)]
pub(crate) struct Feed {
    tx: broadcast::Sender<Arc<Tick>>,
    subs: Counts,
}

impl Feed {
    pub(crate) fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Feed {
            tx,
            subs: Arc::default(),
        }
    }
}

/// Keeps an instrument on the ticker while alive; dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    key: Key,
    subs: Counts,
}

impl Subscription {
    pub fn symbol(&self) -> &str {
        &self.key.1
    }

    pub fn exchange(&self) -> Exchange {
        self.key.0
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut subs = self.subs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = subs.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                subs.remove(&self.key);
            }
        }
    }
}

impl PaperMarket {
    /// Puts an instrument on the ticker (reference-counted across subscribers).
    pub fn subscribe(&self, symbol: &str, exchange: Exchange) -> Result<Subscription, BrokerError> {
        if self.master().get(symbol, exchange).is_none() {
            return Err(BrokerError::not_found(symbol, exchange.as_str()));
        }
        let key: Key = (exchange, symbol.into());
        let subs = Arc::clone(&self.feed.subs);
        *subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_insert(0) += 1;
        Ok(Subscription { key, subs })
    }

    /// Instruments on the ticker and their subscriber counts.
    pub fn subscriptions(&self) -> Vec<(Exchange, String, usize)> {
        let subs = self
            .feed
            .subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = subs
            .iter()
            .map(|((e, s), n)| (*e, s.to_string(), *n))
            .collect();
        v.sort();
        v
    }

    /// A receiver of every published tick; filter by symbol on the receiving side.
    pub fn ticks(&self) -> broadcast::Receiver<Arc<Tick>> {
        self.feed.tx.subscribe()
    }

    /// The tick for an instrument now (for the first message after a subscribe).
    pub fn tick(&self, symbol: &str, exchange: Exchange) -> Result<Tick, BrokerError> {
        let master = self.master();
        let inst = master
            .get(symbol, exchange)
            .ok_or_else(|| BrokerError::not_found(symbol, exchange.as_str()))?;
        Ok(self.make_tick(&master, inst))
    }

    fn make_tick(&self, master: &crate::instruments::InstrumentMaster, inst: &Instrument) -> Tick {
        let now_ms = self.clock().now_ms();
        let snap = self.snapshot_at(master, inst, now_ms / 1000);
        let book = Book::build(self.config().seed, inst, &snap);
        tick_from(inst, &snap, &book, now_ms)
    }

    /// Publishes one tick per subscribed instrument, if the market is open. Returns how many.
    pub fn publish_ticks(&self) -> usize {
        if !self.is_open() || self.feed.tx.receiver_count() == 0 {
            return 0;
        }
        let keys: Vec<Key> = {
            let subs = self
                .feed
                .subs
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            subs.keys().cloned().collect()
        };
        let master = self.master();
        let mut sent = 0;
        for (exchange, symbol) in keys {
            if let Some(inst) = master.get(&symbol, exchange) {
                // A send only fails when every receiver is gone; the next round will see that.
                if self
                    .feed
                    .tx
                    .send(Arc::new(self.make_tick(&master, inst)))
                    .is_ok()
                {
                    sent += 1;
                }
            }
        }
        sent
    }

    /// Runs the ticker on the current tokio runtime until the market is dropped.
    pub fn spawn_ticker(self: &Arc<Self>) -> JoinHandle<()> {
        let weak: Weak<Self> = Arc::downgrade(self);
        let period = self.config().tick_interval;
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                let Some(market) = weak.upgrade() else { return };
                market.publish_ticks();
            }
        })
    }
}

fn tick_from(inst: &Instrument, snap: &Snapshot, book: &Book, now_ms: i64) -> Tick {
    Tick {
        symbol: inst.symbol.to_string(),
        exchange: inst.exchange,
        token: inst.token.to_string(),
        ltp: snap.px(snap.ltp),
        ltq: book.ltq,
        open: snap.px(snap.open),
        high: snap.px(snap.high),
        low: snap.px(snap.low),
        close: snap.px(snap.prev_close),
        prev_close: snap.px(snap.prev_close),
        volume: snap.volume,
        oi: snap.oi,
        bid: book.bids[0].price,
        ask: book.asks[0].price,
        bid_qty: book.bids[0].quantity,
        ask_qty: book.asks[0].quantity,
        totalbuyqty: book.bids.iter().map(|l| l.quantity).sum(),
        totalsellqty: book.asks.iter().map(|l| l.quantity).sum(),
        bids: book.bids,
        asks: book.asks,
        timestamp: now_ms,
    }
}
