//! Shared application state, cheap to clone into every handler.

use std::sync::Arc;

use algogate_broker::PaperMarket;
use algogate_broker::engine::Engine;
use algogate_store::Store;

use crate::config::Config;
use crate::tls::Tls;
use algogate_app::shutdown::Shutdown;

use crate::feed::Hub;
use crate::openalgo::order_update::OrderUpdate;
use crate::playground::Catalog;
use algogate_app::action_center::ActionCenter;
use algogate_app::chart::ChartPrefs;
use algogate_app::clock::Clock;
use algogate_app::keyservice::KeyService;
use algogate_app::ratelimit::RateLimiter;
use algogate_app::security::Security;
use algogate_app::session::{SessionConfig, SessionService};
use algogate_app::setup::SetupGate;
use algogate_app::strategies::Strategies;
use algogate_app::throttle::{LoginThrottle, ThrottleConfig};
use tokio::sync::broadcast;

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
    rate_limiter: RateLimiter,
    security: Arc<Security>,
    sessions: SessionService,
    throttle: LoginThrottle,
    clock: Arc<dyn Clock>,
    ws: Arc<Hub>,
    /// Flips to true when the server starts shutting down: long-lived responses (the
    /// account page's event stream) end so graceful shutdown does not wait on them.
    shutdown: Shutdown,
    action_center: ActionCenter,
    chart: ChartPrefs,
    strategies: Strategies,
    playground: Arc<Catalog>,
    /// Set once at bind when HTTPS is configured.
    tls: std::sync::OnceLock<Tls>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        keys: Arc<KeyService>,
        market: Arc<PaperMarket>,
        security: Arc<Security>,
        engine: Arc<Engine>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let sessions = SessionService::new(
            store.clone(),
            clock.clone(),
            SessionConfig {
                idle: std::time::Duration::from_secs(config.session_idle_secs),
                max_age: std::time::Duration::from_secs(config.session_max_secs),
                daily_boundary: config.session_expiry_time,
            },
        );
        let throttle = LoginThrottle::for_store(
            clock.clone(),
            ThrottleConfig {
                max_per_user: config.login_max_failures_per_user,
                max_per_ip: config.login_max_failures_per_ip,
                window_ms: i64::try_from(config.login_window_secs.saturating_mul(1000))
                    .unwrap_or(i64::MAX),
            },
            &store,
        );
        let shutdown = Shutdown::default();
        let ws = Arc::new(Hub::new(
            market.clone(),
            config.ws_queue_capacity,
            shutdown.clone(),
        ));
        let action_center = ActionCenter::new(
            store.clone(),
            clock.clone(),
            Arc::new(crate::openalgo::orders::Codec),
            shutdown.clone(),
        );
        let chart = ChartPrefs::new(store.clone(), clock.clone());
        let strategies = strategies_service(&store, &keys, &clock);
        let playground = Arc::new(Catalog::load(config.collections_dir.clone()));
        Self(Arc::new(Inner {
            ws,
            playground,
            config,
            store,
            keys,
            market,
            engine,
            setup: SetupGate::default(),
            rate_limiter: RateLimiter::default(),
            security,
            sessions,
            throttle,
            clock,
            shutdown,
            action_center,
            chart,
            strategies,
            tls: std::sync::OnceLock::new(),
        }))
    }
    /// The API Playground's view of our Bruno collection.
    pub fn playground(&self) -> &Arc<Catalog> {
        &self.0.playground
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
    /// The paper trading engine (orders, books, funds; order updates for the feed).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.0.engine
    }
    pub fn setup(&self) -> &SetupGate {
        &self.0.setup
    }
    /// Web UI login sessions.
    pub fn sessions(&self) -> &SessionService {
        &self.0.sessions
    }
    /// What logging in needs.
    pub fn login(&self) -> algogate_app::login::Login<'_> {
        algogate_app::login::Login {
            store: &self.0.store,
            keys: &self.0.keys,
            sessions: &self.0.sessions,
            throttle: &self.0.throttle,
        }
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
    /// The one shutdown signal: listeners stop, sockets close with 1001, long-lived
    /// responses (event streams) end.
    pub fn shutdown(&self) -> &Shutdown {
        &self.0.shutdown
    }
    /// Semi-auto mode's queue of orders awaiting approval.
    pub fn action_center(&self) -> &ActionCenter {
        &self.0.action_center
    }
    /// Per-user chart preferences.
    pub fn chart(&self) -> &ChartPrefs {
        &self.0.chart
    }
    /// Strategy webhooks (TradingView, Chartink, …), their keys and alert logs.
    pub fn strategies(&self) -> &Strategies {
        &self.0.strategies
    }
    /// HTTPS (certificate and ACME state), when configured.
    pub fn tls(&self) -> Option<&Tls> {
        self.0.tls.get()
    }
    /// Called once, before serving.
    pub fn set_tls(&self, tls: Tls) {
        let _ = self.0.tls.set(tls);
    }
}

/// The strategies service over OpenAlgo's order calls (also used by the CLI).
pub fn strategies_service(
    store: &Store,
    keys: &Arc<KeyService>,
    clock: &Arc<dyn Clock>,
) -> Strategies {
    Strategies::new(
        store.clone(),
        keys.clone(),
        clock.clone(),
        Arc::new(crate::openalgo::webhook::WebhookCodec),
    )
}
