//! Shared application state, cheap to clone into every handler.

use std::sync::Arc;

use algogate_broker::PaperMarket;
use algogate_store::Store;

use crate::clock::Clock;
use crate::config::Config;
use crate::keyservice::KeyService;
use crate::setup::SetupGate;
use crate::ws::{Hub, OrderUpdate};
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    store: Store,
    keys: Arc<KeyService>,
    market: Arc<PaperMarket>,
    setup: SetupGate,
    clock: Arc<dyn Clock>,
    ws: Arc<Hub>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        keys: Arc<KeyService>,
        market: Arc<PaperMarket>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let ws = Arc::new(Hub::new(market.clone(), config.ws_queue_capacity));
        Self(Arc::new(Inner {
            ws,
            config,
            store,
            keys,
            market,
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
    pub fn setup(&self) -> &SetupGate {
        &self.0.setup
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }
    /// The WebSocket feed's subscriptions and fan-out.
    pub fn ws(&self) -> &Arc<Hub> {
        &self.0.ws
    }
    /// Where the trading engine publishes order events; `subscribe_orders` sockets of the
    /// event's user receive them as `order_update` messages.
    pub fn order_events(&self) -> &broadcast::Sender<Arc<OrderUpdate>> {
        self.0.ws.order_events()
    }
}
