//! Layered configuration: embedded defaults, then a TOML file, then environment variables
//! (`ALGOGATE_*`, plus OpenAlgo's `DATABASE_URL`, `SESSION_EXPIRY_TIME`), then flags.
//! Secrets are not part of this struct; see `secrets.rs`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveTime;
use serde::Deserialize;

use algogate_app::ratelimit::{RateLimits, parse_limits};
use algogate_app::security::SecurityConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("{var}: {message}")]
    Env { var: String, message: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// REST API and web UI.
    pub http_addr: SocketAddr,
    /// The WebSocket feed (the SDK's default port).
    pub ws_addr: SocketAddr,
    /// Holds `secrets.env`, and the SQLite database unless `database_url` names another.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to `<data_dir>/algogate.db`.
    pub database_url: String,
    /// Daily session boundary in IST; cached keys expire there.
    pub session_expiry_time: NaiveTime,
    /// Upper bound of cached valid keys.
    pub key_cache_capacity: u64,
    /// Upper bound and lifetime of cached rejections.
    pub negative_cache_capacity: u64,
    pub negative_cache_ttl_secs: u64,
    /// Concurrent Argon2 computations (each takes 64 MiB).
    pub argon2_workers: usize,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// A request head must be complete this long after the connection opened (or after
    /// the first byte of a later request on it); else the connection is closed.
    pub http_header_timeout: Duration,
    /// A request's whole body must arrive this long after its head; else 408.
    pub http_body_timeout: Duration,
    /// A keep-alive connection with no request in flight is closed after this long.
    pub http_idle_timeout: Duration,
    /// Open connections of both listeners together (WebSockets included). At the cap the
    /// longest-idle connection is closed to make room; lowered to fit the open-file limit.
    pub max_connections: usize,
    /// `tracing` filter, e.g. `info` or `algogate_server=debug`.
    pub log: String,
    /// Seed of the simulated market: same seed and clock, same prices.
    pub market_seed: u64,
    /// `continuous` (never closes) or `exchange` (IST hours, weekends, holidays).
    pub market_calendar: String,
    /// Per-IP, per-route limits on `/api/v1` (OpenAlgo's defaults).
    pub rate_limits: RateLimits,
    /// Invalid-key tracking and IP bans (off by default).
    pub security: SecurityConfig,
    /// Web UI sessions end after this long without a request...
    pub session_idle_secs: u64,
    /// ...and at the latest this long after login (and always at the daily boundary).
    pub session_max_secs: u64,
    /// Mark cookies `Secure` (set when the UI is served over HTTPS).
    pub cookie_secure: bool,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` (only behind your own reverse proxy).
    pub trust_proxy_headers: bool,
    /// Failed logins allowed per username, and per client IP, within the window.
    pub login_max_failures_per_user: u32,
    pub login_max_failures_per_ip: u32,
    pub login_window_secs: u64,
    /// Interval of the simulated market's ticker, in milliseconds.
    pub market_tick_ms: u64,
    /// A WebSocket that has not authenticated by then is closed with 4401.
    pub ws_auth_timeout: Duration,
    /// Protocol-level pings; no pong by the next one closes the socket.
    pub ws_ping_interval: Duration,
    /// Messages queued per WebSocket client before it counts as too slow and is dropped.
    pub ws_queue_capacity: usize,
    /// (symbol, exchange, mode) subscriptions one WebSocket may hold.
    pub ws_max_subscriptions: usize,
    /// Browser origins allowed besides loopback and same-host ones (`*`: any).
    pub ws_allowed_origins: Vec<String>,
    /// The Bruno collection the API Playground reads (the copy embedded in the binary
    /// when this directory does not exist).
    pub collections_dir: PathBuf,
    /// HTTPS and WSS on both ports: from certificate files or from an ACME CA.
    pub tls: TlsSettings,
    /// A plain-HTTP listener that only redirects to HTTPS (e.g. `0.0.0.0:80`).
    pub http_redirect_addr: Option<SocketAddr>,
}

/// Let's Encrypt's production directory, the default ACME CA.
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (untrusted certificates, generous rate limits).
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Where the TLS certificate comes from. Files and ACME exclude each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM certificate chain and private key, reloaded when they change.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Names to obtain a certificate for over ACME (TLS-ALPN-01 on `http_addr`).
    pub acme_domains: Vec<String>,
    /// Contact address given to the CA (expiry notices).
    pub acme_email: Option<String>,
    /// The CA's directory URL.
    pub acme_directory: String,
    /// A PEM root to trust for the directory's own HTTPS (test CAs such as pebble);
    /// the system roots otherwise.
    pub acme_ca_root: Option<PathBuf>,
    /// Renew when less than this is left, or a third of the certificate's lifetime if
    /// that is shorter (short-lived certificates).
    pub acme_renew_before: Duration,
    /// `Strict-Transport-Security: max-age=…` under TLS; 0 sends none (local tries on
    /// `localhost`, where a browser would otherwise insist on HTTPS for every port).
    pub hsts_max_age_secs: u64,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            cert: None,
            key: None,
            acme_domains: Vec::new(),
            acme_email: None,
            acme_directory: LETS_ENCRYPT_PRODUCTION.into(),
            acme_ca_root: None,
            acme_renew_before: Duration::from_secs(30 * 86_400),
            hsts_max_age_secs: 31_536_000,
        }
    }
}

impl TlsSettings {
    /// HTTPS is on (from files or ACME).
    pub fn enabled(&self) -> bool {
        self.cert.is_some() || !self.acme_domains.is_empty()
    }
}

impl Default for Config {
    fn default() -> Self {
        let data_dir = PathBuf::from("data");
        Self {
            http_addr: ([127, 0, 0, 1], 5000).into(),
            ws_addr: ([127, 0, 0, 1], 8765).into(),
            database_url: default_db_url(&data_dir),
            data_dir,
            session_expiry_time: NaiveTime::from_hms_opt(3, 0, 0).expect("valid time"),
            key_cache_capacity: 100_000,
            negative_cache_capacity: 100_000,
            negative_cache_ttl_secs: 300,
            argon2_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            body_limit_bytes: 1024 * 1024,
            http_header_timeout: Duration::from_secs(10),
            http_body_timeout: Duration::from_secs(30),
            http_idle_timeout: Duration::from_secs(75),
            max_connections: 4096,
            log: "info".into(),
            market_seed: algogate_broker::MarketConfig::default().seed,
            market_calendar: "continuous".into(),
            rate_limits: RateLimits::default(),
            security: SecurityConfig::default(),
            session_idle_secs: 12 * 3600,
            session_max_secs: 24 * 3600,
            cookie_secure: false,
            trust_proxy_headers: false,
            login_max_failures_per_user: 5,
            login_max_failures_per_ip: 20,
            login_window_secs: 15 * 60,
            market_tick_ms: 1000,
            ws_auth_timeout: Duration::from_secs(15),
            ws_ping_interval: Duration::from_secs(20),
            ws_queue_capacity: 1024,
            ws_max_subscriptions: 1000,
            ws_allowed_origins: Vec::new(),
            collections_dir: PathBuf::from("collections"),
            tls: TlsSettings::default(),
            http_redirect_addr: None,
        }
    }
}

/// Upper bound of the HTTP timeouts (one day).
const MAX_HTTP_TIMEOUT_SECS: u64 = 86_400;

fn default_db_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("algogate.db").display())
}

/// The TOML file's shape: every key optional, unknown keys rejected (a typo must not be
/// silently ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    http_addr: Option<SocketAddr>,
    ws_addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    session_expiry_time: Option<String>,
    key_cache_capacity: Option<u64>,
    negative_cache_capacity: Option<u64>,
    negative_cache_ttl_secs: Option<u64>,
    argon2_workers: Option<usize>,
    body_limit_bytes: Option<usize>,
    http_header_timeout_secs: Option<u64>,
    http_body_timeout_secs: Option<u64>,
    http_idle_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    log: Option<String>,
    market_seed: Option<u64>,
    market_calendar: Option<String>,
    api_rate_limit: Option<String>,
    order_rate_limit: Option<String>,
    smart_order_rate_limit: Option<String>,
    webhook_rate_limit: Option<String>,
    auto_ban_enabled: Option<bool>,
    api_ban_threshold: Option<u32>,
    api_ban_duration_hours: Option<u32>,
    repeat_offender_limit: Option<u32>,
    session_idle_secs: Option<u64>,
    session_max_secs: Option<u64>,
    cookie_secure: Option<bool>,
    trust_proxy_headers: Option<bool>,
    login_max_failures_per_user: Option<u32>,
    login_max_failures_per_ip: Option<u32>,
    login_window_secs: Option<u64>,
    market_tick_ms: Option<u64>,
    ws_auth_timeout_secs: Option<u64>,
    ws_ping_interval_secs: Option<u64>,
    ws_queue_capacity: Option<usize>,
    ws_max_subscriptions: Option<usize>,
    ws_allowed_origins: Option<Vec<String>>,
    collections_dir: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    acme_domains: Option<Vec<String>>,
    acme_email: Option<String>,
    acme_directory: Option<String>,
    acme_ca_root: Option<PathBuf>,
    acme_renew_before_hours: Option<u64>,
    hsts_max_age_secs: Option<u64>,
    http_redirect_addr: Option<SocketAddr>,
}

/// Command-line overrides (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub http_addr: Option<SocketAddr>,
    pub ws_addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Replaces the configured list when not empty.
    pub acme_domains: Vec<String>,
    pub acme_email: Option<String>,
    pub acme_directory: Option<String>,
    pub http_redirect_addr: Option<SocketAddr>,
}

/// Longest accepted renew-before period (a year; certificates live 90 days or less).
const MAX_RENEW_BEFORE_HOURS: u64 = 8_760;

/// A comma-separated list, blanks dropped.
fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A DNS name a CA can issue for: letters, digits and hyphens in dot-separated labels of
/// at most 63 characters, 253 in all; lower-cased. No wildcards (TLS-ALPN-01 cannot
/// validate them) and no IP addresses.
fn acme_domain(d: &str) -> Result<String, String> {
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if d.is_empty() || d.len() > 253 || !d.split('.').all(label_ok) {
        return Err(format!("{d:?} is not a DNS name"));
    }
    if d.parse::<std::net::IpAddr>().is_ok() || d.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("{d:?} is an IP address; ACME needs a DNS name"));
    }
    Ok(d)
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .ok()
}

impl Config {
    /// Builds the configuration from all layers. `env` is injected for tests.
    pub fn load(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut c = Config::default();
        let mut db_url_set = false;

        let file = overrides
            .config_file
            .clone()
            .or_else(|| env("ALGOGATE_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: shown.clone(),
                source,
            })?;
            let f: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            set(&mut c.http_addr, f.http_addr);
            set(&mut c.ws_addr, f.ws_addr);
            set(&mut c.data_dir, f.data_dir);
            if let Some(u) = f.database_url {
                c.database_url = u;
                db_url_set = true;
            }
            if let Some(t) = f.session_expiry_time {
                c.session_expiry_time = parse_time(&t).ok_or_else(|| ConfigError::Parse {
                    path: shown.clone(),
                    message: format!("session_expiry_time: expected HH:MM, got {t:?}"),
                })?;
            }
            set(&mut c.key_cache_capacity, f.key_cache_capacity);
            set(&mut c.negative_cache_capacity, f.negative_cache_capacity);
            set(&mut c.negative_cache_ttl_secs, f.negative_cache_ttl_secs);
            set(&mut c.argon2_workers, f.argon2_workers);
            set(&mut c.body_limit_bytes, f.body_limit_bytes);
            set(
                &mut c.http_header_timeout,
                f.http_header_timeout_secs.map(Duration::from_secs),
            );
            set(
                &mut c.http_body_timeout,
                f.http_body_timeout_secs.map(Duration::from_secs),
            );
            set(
                &mut c.http_idle_timeout,
                f.http_idle_timeout_secs.map(Duration::from_secs),
            );
            set(&mut c.max_connections, f.max_connections);
            set(&mut c.log, f.log);
            set(&mut c.market_seed, f.market_seed);
            set(&mut c.market_calendar, f.market_calendar);
            set(&mut c.security.auto_ban_enabled, f.auto_ban_enabled);
            set(&mut c.security.api_threshold, f.api_ban_threshold);
            set(
                &mut c.security.api_ban_duration_hours,
                f.api_ban_duration_hours,
            );
            set(
                &mut c.security.repeat_offender_limit,
                f.repeat_offender_limit,
            );
            for (key, value, slot) in [
                ("api_rate_limit", f.api_rate_limit, &mut c.rate_limits.api),
                (
                    "order_rate_limit",
                    f.order_rate_limit,
                    &mut c.rate_limits.order,
                ),
                (
                    "smart_order_rate_limit",
                    f.smart_order_rate_limit,
                    &mut c.rate_limits.smart_order,
                ),
                (
                    "webhook_rate_limit",
                    f.webhook_rate_limit,
                    &mut c.rate_limits.webhook,
                ),
            ] {
                if let Some(v) = value {
                    *slot = parse_limits(&v).map_err(|message| ConfigError::Parse {
                        path: shown.clone(),
                        message: format!("{key}: {message}"),
                    })?;
                }
            }
            set(&mut c.session_idle_secs, f.session_idle_secs);
            set(&mut c.session_max_secs, f.session_max_secs);
            set(&mut c.cookie_secure, f.cookie_secure);
            set(&mut c.trust_proxy_headers, f.trust_proxy_headers);
            set(
                &mut c.login_max_failures_per_user,
                f.login_max_failures_per_user,
            );
            set(
                &mut c.login_max_failures_per_ip,
                f.login_max_failures_per_ip,
            );
            set(&mut c.login_window_secs, f.login_window_secs);
            set(&mut c.market_tick_ms, f.market_tick_ms);
            set(
                &mut c.ws_auth_timeout,
                f.ws_auth_timeout_secs.map(Duration::from_secs),
            );
            set(
                &mut c.ws_ping_interval,
                f.ws_ping_interval_secs.map(Duration::from_secs),
            );
            set(&mut c.ws_queue_capacity, f.ws_queue_capacity);
            set(&mut c.ws_max_subscriptions, f.ws_max_subscriptions);
            set(&mut c.ws_allowed_origins, f.ws_allowed_origins);
            set(&mut c.collections_dir, f.collections_dir);
            set(&mut c.tls.cert, f.tls_cert.map(Some));
            set(&mut c.tls.key, f.tls_key.map(Some));
            set(&mut c.tls.acme_domains, f.acme_domains);
            set(&mut c.tls.acme_email, f.acme_email.map(Some));
            set(&mut c.tls.acme_directory, f.acme_directory);
            set(&mut c.tls.acme_ca_root, f.acme_ca_root.map(Some));
            set(
                &mut c.tls.acme_renew_before,
                f.acme_renew_before_hours
                    .map(|h| Duration::from_secs(h.saturating_mul(3600))),
            );
            set(&mut c.tls.hsts_max_age_secs, f.hsts_max_age_secs);
            set(&mut c.http_redirect_addr, f.http_redirect_addr.map(Some));
        }

        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = var("ALGOGATE_HTTP_ADDR") {
            c.http_addr = parse_env("ALGOGATE_HTTP_ADDR", &v)?;
        }
        if let Some(v) = var("ALGOGATE_WS_ADDR") {
            c.ws_addr = parse_env("ALGOGATE_WS_ADDR", &v)?;
        }
        if let Some(v) = var("ALGOGATE_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("ALGOGATE_DATABASE_URL").or_else(|| var("DATABASE_URL")) {
            c.database_url = v;
            db_url_set = true;
        }
        if let Some(v) = var("ALGOGATE_SESSION_EXPIRY_TIME").or_else(|| var("SESSION_EXPIRY_TIME"))
        {
            c.session_expiry_time = parse_time(&v).ok_or_else(|| ConfigError::Env {
                var: "SESSION_EXPIRY_TIME".into(),
                message: format!("expected HH:MM, got {v:?}"),
            })?;
        }
        if let Some(v) = var("ALGOGATE_ARGON2_WORKERS") {
            c.argon2_workers = parse_env("ALGOGATE_ARGON2_WORKERS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_BODY_LIMIT_BYTES") {
            c.body_limit_bytes = parse_env("ALGOGATE_BODY_LIMIT_BYTES", &v)?;
        }
        for (name, slot) in [
            (
                "ALGOGATE_HTTP_HEADER_TIMEOUT_SECS",
                &mut c.http_header_timeout,
            ),
            ("ALGOGATE_HTTP_BODY_TIMEOUT_SECS", &mut c.http_body_timeout),
            ("ALGOGATE_HTTP_IDLE_TIMEOUT_SECS", &mut c.http_idle_timeout),
        ] {
            if let Some(v) = var(name) {
                *slot = Duration::from_secs(parse_env(name, &v)?);
            }
        }
        if let Some(v) = var("ALGOGATE_MAX_CONNECTIONS") {
            c.max_connections = parse_env("ALGOGATE_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_LOG") {
            c.log = v;
        }
        if let Some(v) = var("ALGOGATE_MARKET_SEED") {
            c.market_seed = parse_env("ALGOGATE_MARKET_SEED", &v)?;
        }
        if let Some(v) = var("ALGOGATE_SESSION_IDLE_SECS") {
            c.session_idle_secs = parse_env("ALGOGATE_SESSION_IDLE_SECS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_SESSION_MAX_SECS") {
            c.session_max_secs = parse_env("ALGOGATE_SESSION_MAX_SECS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_COOKIE_SECURE") {
            c.cookie_secure = parse_env("ALGOGATE_COOKIE_SECURE", &v)?;
        }
        if let Some(v) = var("ALGOGATE_MARKET_CALENDAR") {
            c.market_calendar = v;
        }
        for (name, slot) in [
            ("API_RATE_LIMIT", &mut c.rate_limits.api),
            ("ORDER_RATE_LIMIT", &mut c.rate_limits.order),
            ("SMART_ORDER_RATE_LIMIT", &mut c.rate_limits.smart_order),
            ("WEBHOOK_RATE_LIMIT", &mut c.rate_limits.webhook),
        ] {
            let prefixed = format!("ALGOGATE_{name}");
            if let Some((var_name, v)) = var(&prefixed)
                .map(|v| (prefixed.clone(), v))
                .or_else(|| var(name).map(|v| (name.to_string(), v)))
            {
                *slot = parse_limits(&v).map_err(|message| ConfigError::Env {
                    var: var_name,
                    message,
                })?;
            }
        }
        if let Some(v) = var("ALGOGATE_AUTO_BAN_ENABLED") {
            c.security.auto_ban_enabled = parse_bool("ALGOGATE_AUTO_BAN_ENABLED", &v)?;
        }
        if let Some(v) = var("ALGOGATE_TRUST_PROXY_HEADERS").or_else(|| var("TRUST_PROXY_HEADERS"))
        {
            c.trust_proxy_headers = parse_bool("TRUST_PROXY_HEADERS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_API_BAN_THRESHOLD") {
            c.security.api_threshold = parse_env("ALGOGATE_API_BAN_THRESHOLD", &v)?;
        }
        if let Some(v) = var("ALGOGATE_API_BAN_DURATION_HOURS") {
            c.security.api_ban_duration_hours = parse_env("ALGOGATE_API_BAN_DURATION_HOURS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_REPEAT_OFFENDER_LIMIT") {
            c.security.repeat_offender_limit = parse_env("ALGOGATE_REPEAT_OFFENDER_LIMIT", &v)?;
        }
        if c.security.api_threshold == 0 || c.security.api_ban_duration_hours > 8760 {
            return Err(ConfigError::Env {
                var: "api_ban_threshold / api_ban_duration_hours".into(),
                message: "threshold must be at least 1 and the duration at most 8760 hours".into(),
            });
        }
        if let Some(v) = var("ALGOGATE_MARKET_TICK_MS") {
            c.market_tick_ms = parse_env("ALGOGATE_MARKET_TICK_MS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_WS_AUTH_TIMEOUT_SECS") {
            c.ws_auth_timeout =
                Duration::from_secs(parse_env("ALGOGATE_WS_AUTH_TIMEOUT_SECS", &v)?);
        }
        if let Some(v) = var("ALGOGATE_WS_PING_INTERVAL_SECS") {
            c.ws_ping_interval =
                Duration::from_secs(parse_env("ALGOGATE_WS_PING_INTERVAL_SECS", &v)?);
        }
        if let Some(v) = var("ALGOGATE_WS_QUEUE_CAPACITY") {
            c.ws_queue_capacity = parse_env("ALGOGATE_WS_QUEUE_CAPACITY", &v)?;
        }
        if let Some(v) = var("ALGOGATE_WS_MAX_SUBSCRIPTIONS") {
            c.ws_max_subscriptions = parse_env("ALGOGATE_WS_MAX_SUBSCRIPTIONS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_WS_ALLOWED_ORIGINS") {
            c.ws_allowed_origins = split_list(&v);
        }
        if let Some(v) = var("ALGOGATE_COLLECTIONS_DIR") {
            c.collections_dir = PathBuf::from(v);
        }
        if let Some(v) = var("ALGOGATE_TLS_CERT") {
            c.tls.cert = Some(PathBuf::from(v));
        }
        if let Some(v) = var("ALGOGATE_TLS_KEY") {
            c.tls.key = Some(PathBuf::from(v));
        }
        if let Some(v) = var("ALGOGATE_ACME_DOMAINS") {
            c.tls.acme_domains = split_list(&v);
        }
        if let Some(v) = var("ALGOGATE_ACME_EMAIL") {
            c.tls.acme_email = Some(v);
        }
        if let Some(v) = var("ALGOGATE_ACME_DIRECTORY") {
            c.tls.acme_directory = v;
        }
        if let Some(v) = var("ALGOGATE_ACME_CA_ROOT") {
            c.tls.acme_ca_root = Some(PathBuf::from(v));
        }
        if let Some(v) = var("ALGOGATE_ACME_RENEW_BEFORE_HOURS") {
            let h: u64 = parse_env("ALGOGATE_ACME_RENEW_BEFORE_HOURS", &v)?;
            c.tls.acme_renew_before = Duration::from_secs(h.saturating_mul(3600));
        }
        if let Some(v) = var("ALGOGATE_HSTS_MAX_AGE_SECS") {
            c.tls.hsts_max_age_secs = parse_env("ALGOGATE_HSTS_MAX_AGE_SECS", &v)?;
        }
        if let Some(v) = var("ALGOGATE_HTTP_REDIRECT_ADDR") {
            c.http_redirect_addr = Some(parse_env("ALGOGATE_HTTP_REDIRECT_ADDR", &v)?);
        }
        for (name, value) in [
            ("http_header_timeout_secs", c.http_header_timeout),
            ("http_body_timeout_secs", c.http_body_timeout),
            ("http_idle_timeout_secs", c.http_idle_timeout),
        ] {
            // Zero would close every connection at once; a day is already far beyond any
            // real client (and keeps deadline arithmetic from overflowing).
            if !(1..=MAX_HTTP_TIMEOUT_SECS).contains(&value.as_secs()) {
                return Err(ConfigError::Env {
                    var: name.into(),
                    message: format!(
                        "expected 1 to {MAX_HTTP_TIMEOUT_SECS} seconds, got {}",
                        value.as_secs()
                    ),
                });
            }
        }
        if c.max_connections == 0 {
            return Err(ConfigError::Env {
                var: "max_connections".into(),
                message: "must be at least 1".into(),
            });
        }
        if algogate_broker::MarketCalendar::from_name(&c.market_calendar).is_none() {
            return Err(ConfigError::Env {
                var: "market_calendar".into(),
                message: format!(
                    "expected \"continuous\" or \"exchange\", got {:?}",
                    c.market_calendar
                ),
            });
        }

        set(&mut c.http_addr, overrides.http_addr);
        set(&mut c.ws_addr, overrides.ws_addr);
        set(&mut c.data_dir, overrides.data_dir.clone());
        set(&mut c.tls.cert, overrides.tls_cert.clone().map(Some));
        set(&mut c.tls.key, overrides.tls_key.clone().map(Some));
        if !overrides.acme_domains.is_empty() {
            c.tls.acme_domains = overrides.acme_domains.clone();
        }
        set(
            &mut c.tls.acme_email,
            overrides.acme_email.clone().map(Some),
        );
        set(&mut c.tls.acme_directory, overrides.acme_directory.clone());
        set(
            &mut c.http_redirect_addr,
            overrides.http_redirect_addr.map(Some),
        );
        check_tls(&mut c.tls)?;
        if c.http_redirect_addr.is_some() && !c.tls.enabled() {
            return Err(ConfigError::Env {
                var: "http_redirect_addr".into(),
                message: "redirects to HTTPS, so it needs tls_cert/tls_key or acme_domains".into(),
            });
        }
        if !db_url_set {
            c.database_url = default_db_url(&c.data_dir);
        }
        c.argon2_workers = c.argon2_workers.max(1);
        c.market_tick_ms = c.market_tick_ms.max(1);
        c.ws_queue_capacity = c.ws_queue_capacity.max(1);
        Ok(c)
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.data_dir.join("secrets.env")
    }
}

/// The TLS settings make sense together; domains are normalised.
fn check_tls(t: &mut TlsSettings) -> Result<(), ConfigError> {
    let err = |var: &str, message: String| ConfigError::Env {
        var: var.into(),
        message,
    };
    match (&t.cert, &t.key) {
        (Some(_), None) => return Err(err("tls_key", "tls_cert is set but tls_key is not".into())),
        (None, Some(_)) => {
            return Err(err("tls_cert", "tls_key is set but tls_cert is not".into()));
        }
        _ => {}
    }
    if t.cert.is_some() && !t.acme_domains.is_empty() {
        return Err(err(
            "acme_domains",
            "use either certificate files (tls_cert/tls_key) or ACME, not both".into(),
        ));
    }
    if t.acme_domains.len() > 100 {
        return Err(err(
            "acme_domains",
            format!(
                "at most 100 names (a CA's limit), got {}",
                t.acme_domains.len()
            ),
        ));
    }
    let mut names = Vec::with_capacity(t.acme_domains.len());
    for d in &t.acme_domains {
        let d = acme_domain(d).map_err(|m| err("acme_domains", m))?;
        if !names.contains(&d) {
            names.push(d);
        }
    }
    t.acme_domains = names;
    if !t.acme_domains.is_empty() {
        let url = url::Url::parse(&t.acme_directory).map_err(|e| {
            err(
                "acme_directory",
                format!("{e} (got {:?})", t.acme_directory),
            )
        })?;
        if url.scheme() != "https" {
            return Err(err(
                "acme_directory",
                format!("must be an https:// URL, got {:?}", t.acme_directory),
            ));
        }
        if let Some(e) = &t.acme_email {
            let e = e.trim();
            if e.is_empty() || e.len() > 254 || !e.contains('@') || e.contains(char::is_whitespace)
            {
                return Err(err("acme_email", format!("{e:?} is not an e-mail address")));
            }
        }
    }
    let hours = t.acme_renew_before.as_secs() / 3600;
    if !(1..=MAX_RENEW_BEFORE_HOURS).contains(&hours) {
        return Err(err(
            "acme_renew_before_hours",
            format!("expected 1 to {MAX_RENEW_BEFORE_HOURS} hours, got {hours}"),
        ));
    }
    Ok(())
}

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

fn parse_bool(var: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Env {
            var: var.into(),
            message: format!("expected true or false, got {v:?}"),
        }),
    }
}

fn parse_env<T: std::str::FromStr>(var: &str, v: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    v.trim().parse().map_err(|e: T::Err| ConfigError::Env {
        var: var.into(),
        message: format!("{e} (got {v:?})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults_match_the_spec() {
        let c = Config::load(&Overrides::default(), &env_of(&[])).unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:5000");
        assert_eq!(c.ws_addr.to_string(), "127.0.0.1:8765");
        assert_eq!(c.database_url, "sqlite://data/algogate.db");
        assert_eq!(c.collections_dir, PathBuf::from("collections"));
        let moved = Config::load(
            &Overrides::default(),
            &env_of(&[("ALGOGATE_COLLECTIONS_DIR", "/srv/bru")]),
        )
        .unwrap();
        assert_eq!(moved.collections_dir, PathBuf::from("/srv/bru"));
        assert_eq!(c.session_expiry_time.to_string(), "03:00:00");
        assert_eq!(c.rate_limits.order[0].count, 10);
        assert_eq!(c.rate_limits.api[0].count, 50);
    }

    #[test]
    fn rate_limits_from_openalgo_variables() {
        let c = Config::load(
            &Overrides::default(),
            &env_of(&[("ORDER_RATE_LIMIT", "5 per second;20 per minute")]),
        )
        .unwrap();
        assert_eq!(c.rate_limits.order.len(), 2);
        let e = Config::load(
            &Overrides::default(),
            &env_of(&[("API_RATE_LIMIT", "lots")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("API_RATE_LIMIT"), "{e}");
    }

    #[test]
    fn file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(
            &path,
            "http_addr = \"127.0.0.1:7000\"\ndata_dir = \"/tmp/x\"\nlog = \"debug\"\n",
        )
        .unwrap();
        let o = Overrides {
            config_file: Some(path.clone()),
            ..Default::default()
        };
        let c = Config::load(&o, &env_of(&[("ALGOGATE_LOG", "warn")])).unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:7000");
        assert_eq!(c.database_url, "sqlite:///tmp/x/algogate.db");
        assert_eq!(c.log, "warn");
        let o2 = Overrides {
            http_addr: Some("127.0.0.1:7001".parse().unwrap()),
            ..o
        };
        let c = Config::load(&o2, &env_of(&[("DATABASE_URL", "sqlite::memory:")])).unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:7001");
        assert_eq!(c.database_url, "sqlite::memory:");
    }

    #[test]
    fn websocket_settings_from_file_env_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(
            &path,
            "ws_addr = \"127.0.0.1:9000\"\nws_auth_timeout_secs = 5\nws_queue_capacity = 0\n\
             ws_allowed_origins = [\"https://a.example\"]\nmarket_tick_ms = 250\n",
        )
        .unwrap();
        let o = Overrides {
            config_file: Some(path),
            ..Default::default()
        };
        let c = Config::load(&o, &env_of(&[])).unwrap();
        assert_eq!(c.ws_addr.to_string(), "127.0.0.1:9000");
        assert_eq!(c.ws_auth_timeout, Duration::from_secs(5));
        assert_eq!(c.ws_ping_interval, Duration::from_secs(20));
        assert_eq!(c.ws_queue_capacity, 1, "clamped to at least one");
        assert_eq!(c.ws_allowed_origins, ["https://a.example"]);
        assert_eq!(c.market_tick_ms, 250);
        let c = Config::load(
            &Overrides {
                ws_addr: Some("127.0.0.1:0".parse().unwrap()),
                ..o
            },
            &env_of(&[
                (
                    "ALGOGATE_WS_ALLOWED_ORIGINS",
                    "https://b.example, ,http://c:1",
                ),
                ("ALGOGATE_WS_MAX_SUBSCRIPTIONS", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(c.ws_addr.to_string(), "127.0.0.1:0");
        assert_eq!(c.ws_allowed_origins, ["https://b.example", "http://c:1"]);
        assert_eq!(c.ws_max_subscriptions, 7);
        let e = Config::load(
            &Overrides::default(),
            &env_of(&[("ALGOGATE_WS_QUEUE_CAPACITY", "lots")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("ALGOGATE_WS_QUEUE_CAPACITY"), "{e}");
    }

    #[test]
    fn connection_limits_from_file_and_env() {
        let c = Config::load(&Overrides::default(), &env_of(&[])).unwrap();
        assert_eq!(c.http_header_timeout, Duration::from_secs(10));
        assert_eq!(c.http_body_timeout, Duration::from_secs(30));
        assert_eq!(c.http_idle_timeout, Duration::from_secs(75));
        assert_eq!(c.max_connections, 4096);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(
            &path,
            "http_header_timeout_secs = 5\nhttp_body_timeout_secs = 6\n\
             http_idle_timeout_secs = 7\nmax_connections = 100\n",
        )
        .unwrap();
        let o = Overrides {
            config_file: Some(path),
            ..Default::default()
        };
        let c = Config::load(&o, &env_of(&[("ALGOGATE_HTTP_IDLE_TIMEOUT_SECS", "8")])).unwrap();
        assert_eq!(c.http_header_timeout, Duration::from_secs(5));
        assert_eq!(c.http_body_timeout, Duration::from_secs(6));
        assert_eq!(c.http_idle_timeout, Duration::from_secs(8));
        assert_eq!(c.max_connections, 100);
        let c = Config::load(
            &Overrides::default(),
            &env_of(&[
                ("ALGOGATE_HTTP_HEADER_TIMEOUT_SECS", "2"),
                ("ALGOGATE_HTTP_BODY_TIMEOUT_SECS", "3"),
                ("ALGOGATE_MAX_CONNECTIONS", "20"),
            ]),
        )
        .unwrap();
        assert_eq!(c.http_header_timeout, Duration::from_secs(2));
        assert_eq!(c.http_body_timeout, Duration::from_secs(3));
        assert_eq!(c.max_connections, 20);
        for (var, value, named) in [
            (
                "ALGOGATE_HTTP_HEADER_TIMEOUT_SECS",
                "0",
                "http_header_timeout_secs",
            ),
            (
                "ALGOGATE_HTTP_BODY_TIMEOUT_SECS",
                "86401",
                "http_body_timeout_secs",
            ),
            (
                "ALGOGATE_HTTP_IDLE_TIMEOUT_SECS",
                "soon",
                "ALGOGATE_HTTP_IDLE_TIMEOUT_SECS",
            ),
            ("ALGOGATE_MAX_CONNECTIONS", "0", "max_connections"),
        ] {
            let e = Config::load(&Overrides::default(), &env_of(&[(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(named), "{var}={value}: {e}");
        }
    }

    #[test]
    fn bad_values_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "htp_addr = \"x\"\n").unwrap();
        let o = Overrides {
            config_file: Some(path),
            ..Default::default()
        };
        let e = Config::load(&o, &env_of(&[])).unwrap_err().to_string();
        assert!(e.contains("htp_addr"), "{e}");
        let e = Config::load(
            &Overrides::default(),
            &env_of(&[("ALGOGATE_HTTP_ADDR", "nope")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("ALGOGATE_HTTP_ADDR"), "{e}");
        let e = Config::load(
            &Overrides::default(),
            &env_of(&[("SESSION_EXPIRY_TIME", "25:00")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("SESSION_EXPIRY_TIME"), "{e}");
    }

    #[test]
    fn tls_settings_from_file_env_and_flags() {
        let c = Config::load(&Overrides::default(), &env_of(&[])).unwrap();
        assert!(!c.tls.enabled());
        assert_eq!(c.tls.acme_directory, LETS_ENCRYPT_PRODUCTION);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(
            &path,
            "acme_domains = [\"GW.example.\", \"gw.example\", \"b.example\"]\n\
             acme_email = \"ops@example.com\"\nacme_renew_before_hours = 48\n\
             http_redirect_addr = \"0.0.0.0:80\"\n",
        )
        .unwrap();
        let o = Overrides {
            config_file: Some(path),
            ..Default::default()
        };
        let c = Config::load(&o, &env_of(&[])).unwrap();
        assert!(c.tls.enabled());
        assert_eq!(c.tls.acme_domains, ["gw.example", "b.example"]);
        assert_eq!(c.tls.acme_renew_before, Duration::from_secs(48 * 3600));
        assert_eq!(c.tls.hsts_max_age_secs, 31_536_000);
        assert_eq!(c.http_redirect_addr, Some("0.0.0.0:80".parse().unwrap()));
        let c = Config::load(
            &o,
            &env_of(&[
                ("ALGOGATE_ACME_DOMAINS", "c.example, d.example"),
                ("ALGOGATE_ACME_DIRECTORY", LETS_ENCRYPT_STAGING),
            ]),
        )
        .unwrap();
        assert_eq!(c.tls.acme_domains, ["c.example", "d.example"]);
        assert_eq!(c.tls.acme_directory, LETS_ENCRYPT_STAGING);
        let c = Config::load(&o, &env_of(&[("ALGOGATE_HSTS_MAX_AGE_SECS", "0")])).unwrap();
        assert_eq!(c.tls.hsts_max_age_secs, 0);
        let flags = Overrides {
            tls_cert: Some("/c.pem".into()),
            tls_key: Some("/k.pem".into()),
            ..Default::default()
        };
        let c = Config::load(&flags, &env_of(&[])).unwrap();
        assert_eq!(c.tls.cert, Some(PathBuf::from("/c.pem")));
        assert!(c.tls.acme_domains.is_empty());
    }

    #[test]
    fn inconsistent_tls_settings_name_the_setting() {
        for (pairs, named) in [
            (vec![("ALGOGATE_TLS_CERT", "/c.pem")], "tls_key"),
            (vec![("ALGOGATE_TLS_KEY", "/k.pem")], "tls_cert"),
            (
                vec![
                    ("ALGOGATE_TLS_CERT", "/c.pem"),
                    ("ALGOGATE_TLS_KEY", "/k.pem"),
                    ("ALGOGATE_ACME_DOMAINS", "gw.example"),
                ],
                "not both",
            ),
            (
                vec![("ALGOGATE_ACME_DOMAINS", "*.example.com")],
                "acme_domains",
            ),
            (vec![("ALGOGATE_ACME_DOMAINS", "10.0.0.1")], "IP address"),
            (vec![("ALGOGATE_ACME_DOMAINS", "a..b")], "acme_domains"),
            (
                vec![
                    ("ALGOGATE_ACME_DOMAINS", "gw.example"),
                    ("ALGOGATE_ACME_DIRECTORY", "http://ca.example/dir"),
                ],
                "https://",
            ),
            (
                vec![
                    ("ALGOGATE_ACME_DOMAINS", "gw.example"),
                    ("ALGOGATE_ACME_EMAIL", "nobody"),
                ],
                "acme_email",
            ),
            (
                vec![
                    ("ALGOGATE_ACME_DOMAINS", "gw.example"),
                    ("ALGOGATE_ACME_RENEW_BEFORE_HOURS", "0"),
                ],
                "acme_renew_before_hours",
            ),
            (
                vec![("ALGOGATE_HTTP_REDIRECT_ADDR", "0.0.0.0:80")],
                "http_redirect_addr",
            ),
        ] {
            let e = Config::load(&Overrides::default(), &env_of(&pairs))
                .unwrap_err()
                .to_string();
            assert!(e.contains(named), "{pairs:?}: {e}");
        }
        let many = (0..101)
            .map(|i| format!("n{i}.example"))
            .collect::<Vec<_>>();
        let e = Config::load(
            &Overrides::default(),
            &env_of(&[("ALGOGATE_ACME_DOMAINS", &many.join(","))]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("at most 100"), "{e}");
    }
}
