//! The broker interface the server talks to. The paper market implements it today; live
//! adapters (network-bound, hence the futures) implement it later.
//!
//! Part 1 covers market data and instruments. Orders (`place`, `modify`, `cancel`), books
//! (orders, trades, positions, holdings, funds) join as further methods in part 2; they take
//! the same parsed domain types and return the same error type, so callers holding a
//! `dyn Broker` do not change.

use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::Arc;

use chrono::NaiveDate;
use tokio::sync::broadcast;

use crate::api::{Candle, DepthData, Intervals, MultiQuotes, QuoteData};
use crate::domain::{Exchange, Interval, Symbol};
use crate::error::BrokerError;
use crate::feed::{Subscription, Tick};
use crate::instruments::InstrumentMaster;
use crate::market::PaperMarket;

/// A boxed future, so `dyn Broker` stays object-safe.
pub type BrokerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BrokerError>> + Send + 'a>>;

/// What the server needs from a broker for market data.
pub trait Broker: Send + Sync + std::fmt::Debug {
    /// The broker's master contract (symbol, search, expiry, instruments read it directly).
    fn instruments(&self) -> Arc<InstrumentMaster>;

    fn quote<'a>(&'a self, symbol: &'a Symbol, exchange: Exchange) -> BrokerFuture<'a, QuoteData>;

    /// `(symbol, exchange)` pairs as the client sent them; unknown ones come back as errors.
    fn multiquotes<'a>(&'a self, items: &'a [(String, String)]) -> BrokerFuture<'a, MultiQuotes>;

    fn depth<'a>(&'a self, symbol: &'a Symbol, exchange: Exchange) -> BrokerFuture<'a, DepthData>;

    fn history<'a>(
        &'a self,
        symbol: &'a Symbol,
        exchange: Exchange,
        interval: Interval,
        start: NaiveDate,
        end: NaiveDate,
    ) -> BrokerFuture<'a, Vec<Candle>>;

    fn intervals(&self) -> Intervals;

    /// Keeps `symbol` on the live feed while the returned guard lives.
    fn subscribe(&self, symbol: &Symbol, exchange: Exchange) -> Result<Subscription, BrokerError>;

    /// Every published tick.
    fn ticks(&self) -> broadcast::Receiver<Arc<Tick>>;
}

impl Broker for PaperMarket {
    fn instruments(&self) -> Arc<InstrumentMaster> {
        self.master()
    }

    fn quote<'a>(&'a self, symbol: &'a Symbol, exchange: Exchange) -> BrokerFuture<'a, QuoteData> {
        Box::pin(ready(PaperMarket::quote(self, symbol.as_str(), exchange)))
    }

    fn multiquotes<'a>(&'a self, items: &'a [(String, String)]) -> BrokerFuture<'a, MultiQuotes> {
        Box::pin(ready(Ok(PaperMarket::multiquotes(self, items))))
    }

    fn depth<'a>(&'a self, symbol: &'a Symbol, exchange: Exchange) -> BrokerFuture<'a, DepthData> {
        Box::pin(ready(PaperMarket::depth(self, symbol.as_str(), exchange)))
    }

    fn history<'a>(
        &'a self,
        symbol: &'a Symbol,
        exchange: Exchange,
        interval: Interval,
        start: NaiveDate,
        end: NaiveDate,
    ) -> BrokerFuture<'a, Vec<Candle>> {
        Box::pin(ready(PaperMarket::history(
            self,
            symbol.as_str(),
            exchange,
            interval,
            start,
            end,
        )))
    }

    fn intervals(&self) -> Intervals {
        PaperMarket::intervals(self)
    }

    fn subscribe(&self, symbol: &Symbol, exchange: Exchange) -> Result<Subscription, BrokerError> {
        PaperMarket::subscribe(self, symbol.as_str(), exchange)
    }

    fn ticks(&self) -> broadcast::Receiver<Arc<Tick>> {
        PaperMarket::ticks(self)
    }
}
