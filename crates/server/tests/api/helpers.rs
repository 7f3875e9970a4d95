use std::sync::Arc;
use std::sync::atomic::Ordering;

use algogate_app::clock::{Clock, SystemClock};
use algogate_keys::{ApiKey, Password};
use algogate_server::config::{Config, Overrides};
use algogate_server::startup::{Server, bootstrap};
use algogate_server::state::AppState;
use algogate_store::{NewUser, UserId};
use serde_json::{Value, json};

/// `on_test_db!(store.db(), |p| body)`: `body` with `p` the app's pool, on either backend
/// (compiled once per backend; SQL in `$1` placeholders runs on both).
macro_rules! on_test_db {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            algogate_store::Db::Sqlite($p) => $body,
            algogate_store::Db::Postgres($p) => $body,
        }
    };
}

pub const TEST_PEPPER: &str = "test-pepper-for-algogate-integration-tests-0001";
pub const TEST_SALT: &str = "00112233445566778899aabbccddeeff";

pub fn test_env(name: &str) -> Option<String> {
    match name {
        "API_KEY_PEPPER" => Some(TEST_PEPPER.into()),
        "FERNET_SALT" => Some(TEST_SALT.into()),
        _ => None,
    }
}

/// When `ALGOGATE_SECRETS_MANIFEST` names a file, every secret the tests use is appended to
/// it, so the secrecy check (.ci/run) can search all captured output for them.
pub fn note_secret(secret: &str) {
    use std::io::Write;
    if let Ok(path) = std::env::var("ALGOGATE_SECRETS_MANIFEST") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("secrets manifest");
        writeln!(f, "{secret}").expect("secrets manifest");
    }
}

/// With `ALGOGATE_TEST_LOG` set (`1` for debug, or a filter such as `trace`), the servers
/// under test log through the binary's filter (`algogate_server::logging`), so the
/// secrecy check sees everything they could say. With `ALGOGATE_CAPTURE_DIR` set too, the
/// log goes to `rust-tests-<pid>.log` there instead of stderr: at debug level it runs to
/// megabytes, which would bury the test results.
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Some(level) = std::env::var_os("ALGOGATE_TEST_LOG") {
            use tracing_subscriber::fmt::writer::BoxMakeWriter;
            use tracing_subscriber::layer::SubscriberExt;
            use tracing_subscriber::util::SubscriberInitExt;
            use tracing_subscriber::{Layer, fmt};
            let level = match level.to_string_lossy().as_ref() {
                "" | "1" => "debug".to_string(),
                other => other.to_string(),
            };
            let writer = match std::env::var_os("ALGOGATE_CAPTURE_DIR") {
                Some(dir) => {
                    let path = std::path::Path::new(&dir)
                        .join(format!("rust-tests-{}.log", std::process::id()));
                    let file = std::fs::File::create(&path)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    BoxMakeWriter::new(std::sync::Mutex::new(file))
                }
                None => BoxMakeWriter::new(std::io::stderr),
            };
            let _ = tracing_subscriber::registry()
                .with(
                    fmt::layer()
                        .with_writer(writer)
                        .with_ansi(false)
                        .with_filter(algogate_server::logging::filter(&level)),
                )
                .try_init();
        }
        note_secret(TEST_PEPPER);
        note_secret(TEST_SALT);
    });
}

/// In the PostgreSQL run (`ALGOGATE_TEST_DATABASE` set), the SQLite database an app would
/// keep in its data directory (`sqlite://<data_dir>/algogate.db`, the default) is a
/// PostgreSQL database of its own instead, the same one for the same directory (so a
/// restart finds its data). Other URLs a test sets on purpose are left alone.
pub fn on_test_backend(c: &mut Config) {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static DATABASES: Mutex<Option<HashMap<std::path::PathBuf, String>>> = Mutex::new(None);
    if !on_postgres() {
        return;
    }
    if c.database_url != format!("sqlite://{}", c.data_dir.join("algogate.db").display()) {
        return;
    }
    let mut dbs = DATABASES.lock().unwrap();
    c.database_url = dbs
        .get_or_insert_with(HashMap::new)
        .entry(c.data_dir.clone())
        .or_insert_with(|| algogate_testpg::fresh_database_blocking("api"))
        .clone();
}

/// Whether the apps under test run on PostgreSQL (see [`on_test_backend`]).
pub fn on_postgres() -> bool {
    std::env::var_os(algogate_testpg::ENV).is_some_and(|v| !v.is_empty())
}

pub fn test_config(dir: &std::path::Path) -> Config {
    init_logging();
    let mut c = Config::load(
        &Overrides {
            data_dir: Some(dir.to_path_buf()),
            http_addr: Some("127.0.0.1:0".parse().unwrap()),
            ws_addr: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        },
        &|_| None,
    )
    .unwrap();
    c.argon2_workers = 2;
    // Tests hammer endpoints from one IP; the limiter has its own tests (ratelimit.rs).
    let generous = algogate_app::ratelimit::parse_limits("1000000 per second").unwrap();
    c.rate_limits.api = generous.clone();
    c.rate_limits.order = generous.clone();
    c.rate_limits.smart_order = generous;
    on_test_backend(&mut c);
    c
}

pub struct TestApp {
    pub base: String,
    /// The WebSocket feed's own port (`ws://127.0.0.1:<port>`).
    pub ws_url: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Arc::new(SystemClock), |_| {}).await
}

pub async fn spawn_app_with(clock: Arc<dyn Clock>, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    tweak(&mut config);
    on_test_backend(&mut config);
    let rt = bootstrap(config, &test_env, clock).await.unwrap();
    let server = Server::bind(rt).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let ws_url = format!("ws://{}", server.ws_local_addr());
    let state = server.state.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    TestApp {
        base,
        ws_url,
        client: reqwest::Client::new(),
        state,
        _dir: dir,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    /// A user with a real API key (one Argon2 hash); the password hash is a placeholder.
    pub async fn create_user(&self, name: &str) -> (UserId, ApiKey) {
        let key = ApiKey::generate();
        let sealed = self.state.keys().seal_new(key.clone()).await.unwrap();
        let user = NewUser {
            username: name,
            email: None,
            password_hash: "$argon2id$placeholder",
            is_admin: false,
        };
        let id = self
            .state
            .store()
            .create_user(&user, Some(&sealed))
            .await
            .unwrap();
        note_secret(key.expose());
        (id, key)
    }

    pub async fn create_user_with_password(&self, name: &str, password: &str) -> UserId {
        note_secret(password);
        let hash = self
            .state
            .keys()
            .hash_password(Password::new(password))
            .await
            .unwrap();
        let user = NewUser {
            username: name,
            email: None,
            password_hash: &hash,
            is_admin: true,
        };
        self.state.store().create_user(&user, None).await.unwrap()
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, "application/json", body.to_string())
            .await
    }

    pub async fn ping(&self, key: &str) -> (u16, Value) {
        self.post_json("/api/v1/ping", &json!({ "apikey": key }))
            .await
    }

    pub fn argon2_runs(&self) -> u64 {
        self.state.keys().argon2_runs()
    }

    pub fn db_lookups(&self) -> u64 {
        self.state.keys().stats.db_lookups.load(Ordering::Relaxed)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

pub fn pong() -> Value {
    json!({"status": "success", "data": {"message": "pong", "broker": "sandbox"}})
}

pub fn invalid_key() -> Value {
    json!({"status": "error", "message": "Invalid openalgo apikey"})
}
