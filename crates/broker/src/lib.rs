//! # algogate-broker
//!
//! Owns the broker interface ([`Broker`]) and the paper broker's market side: the domain
//! values parsed once at the edge ([`Exchange`], [`Symbol`], [`Interval`], ...), the injected
//! [`Clock`], the [`MarketCalendar`], the instrument master shipped with the binary
//! ([`InstrumentMaster`]), and a deterministic simulated market ([`PaperMarket`]) that prices
//! quotes, depth and history from one lazily computed price process and publishes [`Tick`]s
//! on an in-process broadcast channel.
//!
//! It must not know about HTTP, axum, request parsing, API keys or the database: the server
//! parses requests into these types, calls one function, and shapes the response. Every
//! struct returned here already uses OpenAlgo's field names, so the server serialises it as is.

pub mod api;
pub mod broker;
pub mod calendar;
pub mod clock;
pub mod domain;
pub mod engine;
pub mod error;
pub mod feed;
pub mod instruments;
pub mod market;
pub mod num;
pub mod options;
pub mod time;

pub use api::{Candle, DepthData, DepthLevel, Intervals, MultiQuoteItem, MultiQuotes, QuoteData};
pub use broker::{Broker, BrokerFuture};
pub use calendar::{Holidays, MarketCalendar};
pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::{Exchange, ExpiryKind, InstrumentType, Interval, OptionKind, Symbol};
pub use error::BrokerError;
pub use feed::{Subscription, Tick};
pub use instruments::{Instrument, InstrumentMaster};
pub use market::history::MAX_CANDLES;
pub use market::{MarketConfig, PaperMarket};
pub use num::round2;
