//! Start-up: open the database, resolve secrets, check the pepper, build the key service,
//! then serve until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use algogate_broker::engine::{Engine, EngineConfig};
use algogate_broker::{MarketCalendar, MarketConfig, PaperMarket};
use algogate_keys::{Fingerprinter, Hasher, KeyCipher};
use algogate_store::Store;
use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::connections::{self, Connections, Limits};
use crate::secrets;
use crate::state::AppState;
use crate::tls::Tls;
use algogate_app::clock::{Clock, SystemClock};
use algogate_app::keyservice::{Crypto, KeyService, KeyServiceConfig};
use algogate_app::security::Security;

/// Everything the server and the CLI commands share.
#[derive(Debug)]
pub struct Runtime {
    pub config: Config,
    pub store: Store,
    pub keys: Arc<KeyService>,
    pub market: Arc<PaperMarket>,
    pub security: Arc<Security>,
    pub engine: Arc<Engine>,
    pub clock: Arc<dyn Clock>,
    /// What this start generated into `secrets.env` (shown once, with a backup hint).
    pub secrets_generated: secrets::Generated,
}

/// Opens the database and derives the key material. `env` is injected for tests.
pub async fn bootstrap(
    config: Config,
    env: &dyn Fn(&str) -> Option<String>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Runtime> {
    let store = Store::open(&config.database_url).await.with_context(|| {
        // A URL may carry a password (postgres://user:password@host/…).
        let url = algogate_store::redact_url(&config.database_url);
        format!("cannot open the database {url}")
    })?;
    // Orders a previous process left half-executed are closed, never executed again.
    algogate_app::action_center::recover_interrupted(&store, clock.as_ref())
        .await
        .context("cannot recover interrupted Action Center executions")?;
    let fresh = secrets::db_is_fresh(&store).await?;
    let secrets_path = config.secrets_file();
    let s = secrets::load(&secrets_path, env, fresh)?;
    let fingerprinter = Fingerprinter::new(&s.pepper);
    let shown_url = algogate_store::redact_url(&config.database_url);
    secrets::check_pepper(&store, &fingerprinter, &shown_url, &secrets_path).await?;
    let crypto = Arc::new(Crypto {
        cipher: KeyCipher::new(&s.pepper, &s.fernet_salt),
        hasher: Hasher::new(s.pepper.clone()),
        fingerprinter,
    });
    let keys = KeyService::new(
        store.clone(),
        crypto,
        clock.clone(),
        KeyServiceConfig {
            session_expiry_time: config.session_expiry_time,
            cache_capacity: config.key_cache_capacity,
            negative_capacity: config.negative_cache_capacity,
            negative_ttl: Duration::from_secs(config.negative_cache_ttl_secs),
            argon2_workers: config.argon2_workers,
        },
    )
    .await?;
    let calendar = MarketCalendar::from_name(&config.market_calendar)
        .context("market_calendar: expected \"continuous\" or \"exchange\"")?;
    let mis_gates = matches!(calendar, MarketCalendar::Exchange(_));
    let market = PaperMarket::with_builtin(
        clock.clone(),
        MarketConfig {
            seed: config.market_seed,
            calendar,
            tick_interval: Duration::from_millis(config.market_tick_ms),
            ..MarketConfig::default()
        },
    );
    let security = Arc::new(
        Security::new(
            config.security.clone(),
            config.trust_proxy_headers,
            store.clone(),
            clock.now_ms(),
        )
        .await?,
    );
    // Loads every paper account and puts resting orders back on the feed.
    let engine = Engine::start(
        market.clone(),
        Arc::new(store.clone()),
        EngineConfig {
            session_boundary: config.session_expiry_time,
            mis_gates,
            ..EngineConfig::default()
        },
    )
    .await
    .context("cannot load the paper trading accounts")?;
    Ok(Runtime {
        config,
        store,
        keys: Arc::new(keys),
        market,
        security,
        engine,
        clock,
        secrets_generated: s.generated,
    })
}

impl Runtime {
    /// What to tell the user when this start generated secrets.
    pub fn generated_secrets_note(&self) -> Option<String> {
        let names = self.secrets_generated.names()?;
        Some(format!(
            "Generated {names} into {} (mode 0600). Back this file up: every API key and \
             password depends on it.",
            self.config.secrets_file().display()
        ))
    }
}

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A bound, not yet running server (tests bind port 0 and read the address).
#[derive(Debug)]
pub struct Server {
    pub state: AppState,
    listener: TcpListener,
    ws_listener: TcpListener,
    /// The plain-HTTP listener that redirects to HTTPS, when configured.
    redirect_listener: Option<TcpListener>,
}

impl Server {
    pub async fn bind(rt: Runtime) -> anyhow::Result<Self> {
        // Before any port is taken: a bad certificate path or key stops start-up here.
        let tls = Tls::from_config(&rt.config).context("cannot set up HTTPS")?;
        let listener = TcpListener::bind(rt.config.http_addr)
            .await
            .with_context(|| format!("cannot listen on {}", rt.config.http_addr))?;
        // Like OpenAlgo: a busy port is an error, never another port (the SDK defaults
        // to 8765).
        let ws_listener = TcpListener::bind(rt.config.ws_addr)
            .await
            .with_context(|| format!("cannot listen on {} (WebSocket)", rt.config.ws_addr))?;
        let redirect_listener =
            match rt.config.http_redirect_addr {
                Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| {
                    format!("cannot listen on {addr} (HTTP to HTTPS redirect)")
                })?),
                None => None,
            };
        let state = AppState::new(
            rt.config,
            rt.store,
            rt.keys,
            rt.market,
            rt.security,
            rt.engine,
            rt.clock,
        );
        if let Some(tls) = tls {
            state.set_tls(tls);
        }
        Ok(Self {
            state,
            listener,
            ws_listener,
            redirect_listener,
        })
    }

    /// `https` under TLS, else `http` (`wss`/`ws` for the feed with `ws`).
    fn scheme(&self, ws: bool) -> &'static str {
        match (self.state.tls().is_some(), ws) {
            (true, false) => "https",
            (true, true) => "wss",
            (false, false) => "http",
            (false, true) => "ws",
        }
    }

    /// `scheme://host:port` of a listener: under TLS the first served name (what the
    /// certificate is valid for), else the bound address.
    fn origin(&self, addr: SocketAddr, ws: bool) -> String {
        let host = self
            .state
            .tls()
            .and_then(|t| t.names().into_iter().next())
            .unwrap_or_else(|| addr.ip().to_string());
        let host = match addr.ip() {
            std::net::IpAddr::V6(_) if !host.contains(|c: char| c.is_ascii_alphabetic()) => {
                format!("[{host}]")
            }
            _ => host,
        };
        match (self.scheme(ws), addr.port()) {
            // The default port of the scheme is left out, as a browser shows it.
            ("https" | "wss", 443) => format!("{}://{host}", self.scheme(ws)),
            (scheme, port) => format!("{scheme}://{host}:{port}"),
        }
    }

    /// The REST API and web UI's base URL (`https://name:port` under TLS).
    pub fn base_url(&self) -> String {
        self.origin(self.local_addr(), false)
    }

    /// The feed port's URL (`wss://` under TLS).
    pub fn ws_url(&self) -> String {
        self.origin(self.ws_local_addr(), true)
    }

    /// The redirect listener's address, when configured.
    pub fn redirect_local_addr(&self) -> Option<SocketAddr> {
        self.redirect_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound socket has an address")
    }

    /// The WebSocket feed's own port (the same service is at `/ws` on the HTTP port).
    pub fn ws_local_addr(&self) -> SocketAddr {
        self.ws_listener
            .local_addr()
            .expect("bound socket has an address")
    }

    /// When no user exists, opens setup and returns the one-time URL to print.
    pub async fn setup_url(&self) -> anyhow::Result<Option<String>> {
        if self.state.store().count_users().await? > 0 {
            return Ok(None);
        }
        let token = self.state.setup().issue();
        Ok(Some(format!(
            "{}/setup?token={}",
            self.base_url(),
            token.expose()
        )))
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and closes the
    /// database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let watcher = tokio::spawn(watch_key_generation(state.clone()));
        // Several instances on one PostgreSQL: hear the others' changes, and run the
        // once-only work (fills, timed jobs, strategy square-off) on one of them.
        let heard = state
            .store()
            .listen()
            .map(|rx| tokio::spawn(hear_other_instances(state.clone(), rx)));
        let leader = state
            .store()
            .is_shared()
            .then(|| tokio::spawn(lead(state.clone())));
        let ticker = state.market().spawn_ticker();
        let pruner = tokio::spawn(prune_rate_limits(state.clone()));
        let squareoff = tokio::spawn(square_off_strategies(state.clone()));
        // Fills resting orders from the tick feed; square-off, expiry, T+1 and the session
        // roll every second of the injected clock.
        let engine_tasks = state.engine().spawn(Duration::from_secs(1));
        let order_bridge = tokio::spawn(forward_order_updates(state.clone()));
        let hub = state.ws().clone();
        let fanout = hub.spawn();
        let trigger = tokio::spawn({
            let signal = state.shutdown().clone();
            async move {
                shutdown.await;
                signal.begin();
            }
        });
        // One table for both listeners: the descriptor limit is the process's.
        let limits = Limits::new(state.config(), connections::nofile_limit());
        if limits.max_connections < state.config().max_connections {
            tracing::info!(
                max_connections = limits.max_connections,
                "max_connections lowered to fit the open-file limit"
            );
        }
        let conns = Connections::new(limits);
        let tls = state.tls().cloned();
        let acceptor = tls.as_ref().map(Tls::transport);
        let certificates = tls.as_ref().map(|t| t.spawn(state.clock().clone()));
        let https_addr = self.local_addr();
        let http = connections::serve(
            self.listener,
            crate::app::app(state.clone()),
            conns.clone(),
            acceptor.clone(),
            state.shutdown().begun(),
        );
        let ws = connections::serve(
            self.ws_listener,
            crate::ws::router(state.clone()),
            conns.clone(),
            acceptor,
            state.shutdown().begun(),
        );
        let redirect = async {
            if let (Some(listener), Some(tls)) = (self.redirect_listener, tls) {
                connections::serve(
                    listener,
                    crate::tls::redirect::router(tls, https_addr),
                    conns,
                    None,
                    state.shutdown().begun(),
                )
                .await;
            }
        };
        tokio::join!(http, ws, redirect);
        if let Some(t) = certificates {
            t.abort();
        }
        // Upgraded sockets outlive their HTTP connection: each closes itself with 1001.
        state.shutdown().begin();
        hub.drain(Duration::from_secs(5)).await;
        trigger.abort();
        fanout.abort();
        watcher.abort();
        for t in [heard, leader].into_iter().flatten() {
            t.abort();
        }
        // The uses noted since the last batch, before the database closes.
        if let Err(e) = state.keys().flush_uses().await {
            tracing::warn!(error = %e, "cannot record API key uses");
        }
        ticker.abort();
        pruner.abort();
        squareoff.abort();
        order_bridge.abort();
        for t in engine_tasks {
            t.abort();
        }
        state.store().close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Publishes the paper engine's order updates on the feed's order channel
/// (`subscribe_orders`), with the owner's username as OpenAlgo's `user_id`.
async fn forward_order_updates(state: AppState) {
    use tokio::sync::broadcast::error::RecvError;
    let mut updates = state.engine().updates();
    let mut names: std::collections::HashMap<i64, String> = Default::default();
    loop {
        let u = match updates.recv().await {
            Ok(u) => u,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(skipped = n, "order updates lagged behind the engine");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let id = u.user_id.0;
        let name = match names.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                match state.store().user_by_id(algogate_store::UserId(id)).await {
                    Ok(Some(row)) => slot.insert(row.username).clone(),
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot name the owner of an order update");
                        continue;
                    }
                }
            }
        };
        let ev = crate::openalgo::order_update::OrderUpdate::from_engine(&u, name);
        // No receiver just means no socket asked for order updates.
        let _ = state.order_events().send(std::sync::Arc::new(ev));
    }
}

/// Another process (the CLI) changed keys: drop cached verdicts within a second. Also
/// writes the named keys' last uses.
async fn watch_key_generation(state: AppState) {
    let mut seen = state.store().key_generation().await.unwrap_or(0);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        match state.store().key_generation().await {
            Ok(g) if g != seen => {
                seen = g;
                tracing::info!("API keys changed outside this process; key cache cleared");
                state.keys().invalidate_all().await;
                if state.store().count_users().await.unwrap_or(0) > 0 {
                    state.setup().close();
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the key generation"),
        }
        // Named keys' last use, in one batch a second.
        if let Err(e) = state.keys().flush_uses().await {
            tracing::warn!(error = %e, "cannot record API key uses");
        }
    }
}

/// Applies another instance's change to what this one caches, and passes its events to
/// this one's sockets and pages.
async fn hear_other_instances(
    state: AppState,
    mut rx: tokio::sync::mpsc::Receiver<algogate_store::bus::Heard>,
) {
    use algogate_broker::engine::AccountId;
    use algogate_store::UserId;
    use algogate_store::bus::{BusEvent, Heard};
    while let Some(heard) = rx.recv().await {
        let now = state.clock().now_ms();
        match heard {
            Heard::Event(BusEvent::Keys { user }) => {
                state.keys().changed_elsewhere(user.map(UserId)).await;
                if user.is_none() && state.store().count_users().await.unwrap_or(0) > 0 {
                    state.setup().close();
                }
            }
            Heard::Event(BusEvent::Account { user, version }) => {
                if let Err(e) = state.engine().sync(AccountId(user), version).await {
                    tracing::warn!(error = %e, "cannot reload a paper account changed elsewhere");
                }
            }
            Heard::Event(BusEvent::Order(w)) => {
                if let Some(u) = w.to_update() {
                    state.engine().publish_remote(u);
                }
            }
            Heard::Event(BusEvent::Bans) => {
                if let Err(e) = state.security().reload_bans(now).await {
                    tracing::warn!(error = %e, "cannot reload the ban list");
                }
            }
            Heard::Event(BusEvent::Pending { user, name, data }) => {
                state
                    .action_center()
                    .emitted_elsewhere(UserId(user), &name, data);
            }
            Heard::Resync => {
                tracing::info!("heard other instances again; reloading keys, bans and accounts");
                state.keys().invalidate_all().await;
                if let Err(e) = state.security().reload_bans(now).await {
                    tracing::warn!(error = %e, "cannot reload the ban list");
                }
                if let Err(e) = state.engine().sync_all().await {
                    tracing::warn!(error = %e, "cannot reload the paper accounts");
                }
            }
        }
    }
}

/// Competes for the leader's lock every half second; the leader checks it still holds it
/// as often. Takes up the work only after reloading every account.
async fn lead(state: AppState) {
    let mut held: Option<algogate_store::bus::Leadership> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        match held.as_mut() {
            Some(l) => {
                if !l.holds().await {
                    state.engine().set_leading(false);
                    held = None;
                    tracing::warn!("lost the leader's lock; fills and timed jobs stop here");
                }
            }
            None => match state.store().try_lead().await {
                Ok(Some(l)) => match state.engine().sync_all().await {
                    Ok(()) => {
                        held = Some(l);
                        state.engine().set_leading(true);
                        tracing::info!("this instance leads: fills and timed jobs run here");
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot reload accounts to lead"),
                },
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot compete for the leader's lock"),
            },
        }
    }
}

/// Intraday strategies' square-off, checked every second on the injected clock (by the
/// leader, when several instances share the database).
async fn square_off_strategies(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if !state.engine().leading() {
            continue;
        }
        if let Err(e) = state
            .strategies()
            .run_squareoffs(state.engine(), state.action_center())
            .await
        {
            tracing::warn!(error = %e, "strategy square-off failed");
        }
    }
}

/// Keeps the rate-limit table to clients seen within the longest configured window.
async fn prune_rate_limits(state: AppState) {
    let r = &state.config().rate_limits;
    let longest = [&r.api, &r.order, &r.smart_order, &r.webhook]
        .into_iter()
        .flatten()
        .map(|l| l.window_ms)
        .max()
        .unwrap_or(1000);
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        state.rate_limiter().prune(state.clock().now_ms(), longest);
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// `algogate serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    // Before anything opens files: the usual soft limit (1024) is below what the
    // connection cap allows.
    connections::raise_nofile_limit();
    let rt = bootstrap(config, &process_env, Arc::new(SystemClock)).await?;
    if let Some(note) = rt.generated_secrets_note() {
        println!("{note}");
    }
    let server = Server::bind(rt).await?;
    let addr = server.local_addr();
    let ws_addr = server.ws_local_addr();
    if let Some(url) = server.setup_url().await? {
        println!("No user exists yet. Create the admin account (one-time link):\n\n    {url}\n");
        println!("or from the command line: algogate user create --username admin --admin\n");
    }
    let (base, ws_url) = (server.base_url(), server.ws_url());
    tracing::info!(%addr, tls = server.state.tls().is_some(), "algogate listening (REST API and web UI)");
    println!("algogate is listening on {base}");
    tracing::info!(%ws_addr, "WebSocket feed listening");
    // http → ws, https → wss.
    let also = format!("{}/ws", base.replacen("http", "ws", 1));
    println!("WebSocket feed on {ws_url} (also {also})");
    if let Some(r) = server.redirect_local_addr() {
        tracing::info!(addr = %r, "redirecting plain HTTP to HTTPS");
        println!("Plain HTTP on {r} redirects to HTTPS");
    }
    if let Some(status) = server.state.tls().and_then(|t| t.acme().cloned()) {
        let s = status.snapshot();
        if s.not_after.is_none() {
            println!(
                "Requesting a certificate for {} from {} (TLS-ALPN-01 on port {})",
                s.domains.join(", "),
                s.directory,
                addr.port()
            );
        }
    }
    server.run(shutdown_signal()).await
}
