//! Shared application state, cheap to clone into every handler.

use std::sync::Arc;

use algogate_broker::PaperMarket;
use algogate_store::Store;

use crate::clock::Clock;
use crate::config::Config;
use crate::keyservice::KeyService;
use crate::ratelimit::RateLimiter;
use crate::security::Security;
use crate::setup::SetupGate;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    store: Store,
    keys: Arc<KeyService>,
    market: Arc<PaperMarket>,
    setup: SetupGate,
    rate_limiter: RateLimiter,
    security: Arc<Security>,
    clock: Arc<dyn Clock>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        keys: Arc<KeyService>,
        market: Arc<PaperMarket>,
        security: Arc<Security>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self(Arc::new(Inner {
            config,
            store,
            keys,
            market,
            setup: SetupGate::default(),
            rate_limiter: RateLimiter::default(),
            security,
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
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.0.rate_limiter
    }
    pub fn security(&self) -> &Arc<Security> {
        &self.0.security
    }
    pub fn setup(&self) -> &SetupGate {
        &self.0.setup
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }
}
