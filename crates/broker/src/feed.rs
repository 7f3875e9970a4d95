//! Live ticks: subscriptions with reference counts, a ticker task that prices only what is
//! subscribed, and one broadcast channel the WebSocket layer listens to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::api::DepthLevel;
use crate::domain::Exchange;

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

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<Key, usize>> {
        self.subs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one more subscriber of an instrument (the caller has checked it exists).
    pub(crate) fn subscribe(&self, symbol: &str, exchange: Exchange) -> Subscription {
        let key: Key = (exchange, symbol.into());
        *self.counts().entry(key.clone()).or_insert(0) += 1;
        Subscription {
            key,
            subs: Arc::clone(&self.subs),
        }
    }

    /// Instruments with subscribers and their counts, sorted.
    pub(crate) fn subscriptions(&self) -> Vec<(Exchange, String, usize)> {
        let mut v: Vec<_> = self
            .counts()
            .iter()
            .map(|((e, s), n)| (*e, s.to_string(), *n))
            .collect();
        v.sort();
        v
    }

    /// The instruments to price on this round, if anyone listens.
    pub(crate) fn wanted(&self) -> Vec<(Exchange, Box<str>)> {
        if self.tx.receiver_count() == 0 {
            return Vec::new();
        }
        self.counts().keys().cloned().collect()
    }

    pub(crate) fn receiver(&self) -> broadcast::Receiver<Arc<Tick>> {
        self.tx.subscribe()
    }

    /// False when every receiver is gone (the next round will see that).
    pub(crate) fn send(&self, tick: Tick) -> bool {
        self.tx.send(Arc::new(tick)).is_ok()
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
