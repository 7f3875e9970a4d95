//! Shared application state, cheap to clone into every handler.

use std::sync::Arc;

use algogate_broker::PaperMarket;
use algogate_broker::engine::Engine;
use algogate_store::Store;

use crate::action_center::ActionCenter;
use crate::clock::Clock;
use crate::config::Config;
use crate::keyservice::KeyService;
use crate::ratelimit::RateLimiter;
use crate::security::Security;
use crate::session::{SessionConfig, SessionService};
use crate::setup::SetupGate;
use crate::throttle::{LoginThrottle, ThrottleConfig};

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
    action_center: ActionCenter,
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
        let throttle = LoginThrottle::new(
            clock.clone(),
            ThrottleConfig {
                max_per_user: config.login_max_failures_per_user,
                max_per_ip: config.login_max_failures_per_ip,
                window_ms: i64::try_from(config.login_window_secs.saturating_mul(1000))
                    .unwrap_or(i64::MAX),
            },
        );
        let action_center = ActionCenter::new(store.clone(), clock.clone());
        Self(Arc::new(Inner {
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
            action_center,
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
    pub fn login_throttle(&self) -> &LoginThrottle {
        &self.0.throttle
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }
    /// Semi-auto mode's queue of orders awaiting approval.
    pub fn action_center(&self) -> &ActionCenter {
        &self.0.action_center
    }
}
