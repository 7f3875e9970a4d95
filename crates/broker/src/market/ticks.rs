//! Ticks priced from the market for the feed's subscribers: the ticker task and the first
//! tick after a subscribe.

use std::sync::{Arc, Weak};

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::{Book, PaperMarket, Snapshot};
use crate::domain::Exchange;
use crate::error::BrokerError;
use crate::feed::{Subscription, Tick};
use crate::instruments::{Instrument, InstrumentMaster};

impl PaperMarket {
    /// Puts an instrument on the ticker (reference-counted across subscribers).
    pub fn subscribe(&self, symbol: &str, exchange: Exchange) -> Result<Subscription, BrokerError> {
        if self.master().get(symbol, exchange).is_none() {
            return Err(BrokerError::not_found(symbol, exchange.as_str()));
        }
        Ok(self.feed.subscribe(symbol, exchange))
    }

    /// Instruments on the ticker and their subscriber counts.
    pub fn subscriptions(&self) -> Vec<(Exchange, String, usize)> {
        self.feed.subscriptions()
    }

    /// A receiver of every published tick; filter by symbol on the receiving side.
    pub fn ticks(&self) -> broadcast::Receiver<Arc<Tick>> {
        self.feed.receiver()
    }

    /// The tick for an instrument now (for the first message after a subscribe).
    pub fn tick(&self, symbol: &str, exchange: Exchange) -> Result<Tick, BrokerError> {
        let master = self.master();
        let inst = master
            .get(symbol, exchange)
            .ok_or_else(|| BrokerError::not_found(symbol, exchange.as_str()))?;
        Ok(self.make_tick(&master, inst))
    }

    fn make_tick(&self, master: &InstrumentMaster, inst: &Instrument) -> Tick {
        let now_ms = self.clock().now_ms();
        let snap = self.snapshot_at(master, inst, now_ms / 1000);
        let book = Book::build(self.config().seed, inst, &snap);
        tick_from(inst, &snap, &book, now_ms)
    }

    /// Publishes one tick per subscribed instrument, if the market is open. Returns how many.
    pub fn publish_ticks(&self) -> usize {
        if !self.is_open() {
            return 0;
        }
        let keys = self.feed.wanted();
        let master = self.master();
        let mut sent = 0;
        for (exchange, symbol) in keys {
            if let Some(inst) = master.get(&symbol, exchange) {
                if self.feed.send(self.make_tick(&master, inst)) {
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
