//! Shared application state, cheap to clone into every handler.

use std::sync::Arc;

use algogate_broker::PaperMarket;
use algogate_broker::engine::Engine;
use algogate_store::Store;

use crate::clock::Clock;
use crate::config::Config;
use crate::keyservice::KeyService;
use crate::setup::SetupGate;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    store: Store,
    keys: Arc<KeyService>,
    market: Arc<PaperMarket>,
    engine: Arc<Engine>,
    setup: SetupGate,
    clock: Arc<dyn Clock>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        keys: Arc<KeyService>,
        market: Arc<PaperMarket>,
        engine: Arc<Engine>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self(Arc::new(Inner {
            config,
            store,
            keys,
            market,
            engine,
            setup: SetupGate::default(),
            clock,
        }))
    }
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    pub fn store(&self) -> &Store {
        &self.0.store
    }
    pub fn keys(&self) -> &Arc<KeyService> {
        &self.0.keys
    }
    /// The simulated market (instruments, quotes, history, ticks).
    pub fn market(&self) -> &Arc<PaperMarket> {
        &self.0.market
    }
    /// The paper trading engine (orders, books, funds; order updates for the feed).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.0.engine
    }
    pub fn setup(&self) -> &SetupGate {
        &self.0.setup
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }
}
