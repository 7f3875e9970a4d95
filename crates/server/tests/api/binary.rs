//! The real `algogate` binary: `serve`, the CLI commands against the same data directory,
//! graceful shutdown, and a scan of everything the server printed for secrets.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_algogate");
const PASSWORD: &str = "binary-test-password-7d1e";

pub(crate) fn cmd(dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("API_KEY_PEPPER", TEST_PEPPER)
        .env("FERNET_SALT", TEST_SALT)
        .env("ALGOGATE_DATA_DIR", dir)
        .env("ALGOGATE_LOG", "debug");
    c
}

pub(crate) fn run(
    dir: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut child = cmd(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A spawned server, killed when the test ends early (a failed assertion would otherwise
/// leave it running after the test binary exits).
pub(crate) struct Spawned(pub(crate) Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Collects a child's output lines on background threads.
pub(crate) fn capture(child: &mut Child) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let readers: Vec<Box<dyn std::io::Read + Send>> = vec![
        Box::new(child.stdout.take().unwrap()),
        Box::new(child.stderr.take().unwrap()),
    ];
    for r in readers {
        let buf = buf.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                let mut b = buf.lock().unwrap();
                b.push_str(&line);
                b.push('\n');
            }
        });
    }
    buf
}

/// `algogate user create --admin` (the password on stdin), then the admin's key; both are
/// noted as secrets for the log scan.
pub(crate) fn create_admin(dir: &Path, password: &str) -> String {
    let (ok, _, err) = run(
        dir,
        &[
            "user",
            "create",
            "--username",
            "admin",
            "--admin",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    );
    assert!(ok, "{err}");
    note_secret(password);
    let (ok, key, err) = run(dir, &["apikey", "show", "--user", "admin"], None);
    assert!(ok, "{err}");
    let key = key.trim().to_owned();
    assert_eq!(key.len(), 64, "a key: {key:?}");
    note_secret(&key);
    key
}

/// `serve` on `http_addr` and a free WebSocket port, with `extra` arguments; its output is
/// captured and it is killed if the test ends early.
pub(crate) fn serve_on(
    c: &mut Command,
    http_addr: &str,
    extra: &[&str],
) -> (Spawned, Arc<Mutex<String>>) {
    let mut server = c
        .args([
            "serve",
            "--http-addr",
            http_addr,
            "--ws-addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(Spawned)
        .unwrap();
    let out = capture(&mut server.0);
    (server, out)
}

/// `serve` on free loopback ports.
pub(crate) fn serve(c: &mut Command) -> (Spawned, Arc<Mutex<String>>) {
    serve_on(c, "127.0.0.1:0", &[])
}

pub(crate) async fn wait_for_addr(out: &Arc<Mutex<String>>) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(addr) = out
            .lock()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("algogate is listening on "))
        {
            return addr.trim().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "server did not start: {}",
            out.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_ws_url(out: &Arc<Mutex<String>>) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = out
            .lock()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("WebSocket feed on "))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        if let Some(u) = found {
            return u;
        }
        assert!(Instant::now() < deadline, "no WebSocket URL printed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn sigterm_and_wait(Spawned(server): &mut Spawned) {
    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = server.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    // The reader threads drain the pipes.
    std::thread::sleep(Duration::from_millis(100));
}

#[tokio::test]
async fn the_binary_serves_manages_keys_from_the_cli_and_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, out) = serve(&mut cmd(dir.path()));
    let base = wait_for_addr(&out).await;
    assert!(
        out.lock().unwrap().contains("/setup?token="),
        "setup URL printed on a fresh database"
    );
    // The WebSocket feed's URL is printed too, and it answers.
    let ws_url = wait_for_ws_url(&out).await;
    {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .unwrap();
        ws.send(Message::text(r#"{"action":"ping"}"#))
            .await
            .unwrap();
        match ws.next().await {
            Some(Ok(Message::Text(t))) => assert!(t.contains("\"pong\""), "{t}"),
            other => panic!("no pong: {other:?}"),
        }
    }

    // Passwords never come from argv.
    let key = create_admin(dir.path(), PASSWORD);

    let client = reqwest::Client::new();
    let ping = |k: String| {
        let client = client.clone();
        let url = format!("{base}/api/v1/ping");
        async move {
            client
                .post(url)
                .json(&json!({ "apikey": k }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(ping(key.clone()).await, 200);
    assert_eq!(ping("e".repeat(64)).await, 403);
    assert_eq!(ping(key[..40].to_string()).await, 403);

    // A regenerate from another process reaches the running server within its poll.
    let (ok, new_key, err) = run(
        dir.path(),
        &["apikey", "regenerate", "--user", "admin"],
        None,
    );
    assert!(ok, "{err}");
    let new_key = new_key.trim().to_string();
    note_secret(&new_key);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ping(key.clone()).await != 403 {
        assert!(Instant::now() < deadline, "old key still accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ping(new_key.clone()).await, 200);

    // Graceful shutdown on SIGTERM.
    sigterm_and_wait(&mut server);

    let log = out.lock().unwrap().clone();
    assert!(log.contains("stopped"), "{log}");
    for secret in [TEST_PEPPER, TEST_SALT, PASSWORD, &key, &new_key] {
        assert!(
            !log.contains(secret),
            "a secret appeared in the server output"
        );
    }
    // Not even a recognisable prefix of a key.
    assert!(!log.contains(&key[..16]) && !log.contains(&new_key[..16]));
}

#[tokio::test]
async fn bad_configuration_is_reported_with_the_setting_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cmd(dir.path());
    c.env("ALGOGATE_HTTP_ADDR", "not-an-address");
    let out = c.arg("serve").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ALGOGATE_HTTP_ADDR"), "{err}");
    let (ok, _, err) = run(
        dir.path(),
        &["user", "create", "--username", "x", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!ok && err.contains("at least 10 characters"), "{err}");
    let (ok, _, err) = run(dir.path(), &["apikey", "show", "--user", "nobody"], None);
    assert!(!ok && err.contains("no user named"), "{err}");
}

/// `ALGOGATE_LOG=trace` is the most a user can ask for; dependencies that log payloads at
/// trace (tungstenite prints every received message, an `authenticate` with its key
/// among them) are held at debug. The key travels in every form: WebSocket message and
/// handshake headers, JSON body, query string, `X-API-KEY` and `Authorization: Bearer`.
/// The output goes to the capture directory too, so the secrecy check of .ci/run searches
/// a trace-level run as well.
#[tokio::test]
async fn at_trace_level_a_websocket_authentication_never_logs_the_key() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let dir = tempfile::tempdir().unwrap();
    let (mut server, out) = serve(cmd(dir.path()).env("ALGOGATE_LOG", "trace"));
    let base = wait_for_addr(&out).await;
    let ws_url = wait_for_ws_url(&out).await;

    let (ok, _, err) = run(
        dir.path(),
        &["user", "create", "--username", "tracer", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(ok, "{err}");
    let (ok, key, err) = run(dir.path(), &["apikey", "show", "--user", "tracer"], None);
    assert!(ok, "{err}");
    let key = key.trim().to_string();
    // tungstenite's frame dumps show payloads in hex.
    let key_hex = hex::encode(key.as_bytes());
    note_secret(&key);
    note_secret(&key_hex);
    note_secret(PASSWORD);

    // Both WebSocket listeners: the feed's own port and /ws on the HTTP port.
    for url in [ws_url, format!("{}/ws", base.replace("http://", "ws://"))] {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        ws.send(Message::text(
            json!({"action": "authenticate", "api_key": key}).to_string(),
        ))
        .await
        .unwrap();
        match ws.next().await {
            Some(Ok(Message::Text(t))) => assert!(t.contains("\"success\""), "{t}"),
            other => panic!("no authentication reply: {other:?}"),
        }
        ws.close(None).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
        // The key in the handshake's headers.
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        for (name, value) in [
            ("x-api-key", key.clone()),
            ("authorization", format!("Bearer {key}")),
        ] {
            let mut req = url.as_str().into_client_request().unwrap();
            req.headers_mut().insert(name, value.parse().unwrap());
            let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
            ws.send(Message::text(r#"{"action":"get_broker_info"}"#))
                .await
                .unwrap();
            match ws.next().await {
                Some(Ok(Message::Text(t))) => assert!(t.contains("\"tracer\""), "{t}"),
                other => panic!("no broker info: {other:?}"),
            }
            ws.close(None).await.unwrap();
            while let Some(Ok(_)) = ws.next().await {}
        }
    }
    // The key in a header, alone and beside a different body key (refused).
    let client = reqwest::Client::new();
    for (name, value) in [
        ("x-api-key", key.clone()),
        ("authorization", format!("Bearer {key}")),
    ] {
        let res = client
            .post(format!("{base}/api/v1/ping"))
            .header(name, &value)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = client
            .get(format!(
                "{base}/api/v1/ticker/NSE:SBIN?interval=D&from=2025-01-01&to=2025-01-10"
            ))
            .header(name, &value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = client
            .post(format!("{base}/api/v1/funds"))
            .header(name, &value)
            .json(&json!({"apikey": "0".repeat(64)}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
    }
    let res = client
        .post(format!("{base}/api/v1/ping"))
        .header("x-api-key", "f".repeat(64))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // The key in a JSON body and in a query string.
    let res = client
        .post(format!("{base}/api/v1/ping"))
        .json(&json!({ "apikey": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .get(format!(
            "{base}/api/v1/ticker/NSE:SBIN?apikey={key}&interval=D&from=2025-01-01&to=2025-01-10"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    sigterm_and_wait(&mut server);
    let log = out.lock().unwrap().clone();
    if let Ok(dir) = std::env::var("ALGOGATE_CAPTURE_DIR") {
        std::fs::write(Path::new(&dir).join("rust-binary-trace.log"), &log).unwrap();
    }
    // tungstenite is still heard at debug (the close frames), so a leak would show.
    assert!(
        log.contains("Received close frame"),
        "tungstenite is silent"
    );
    for secret in [key.as_str(), &key[..16], &key_hex[..32], PASSWORD] {
        assert!(
            !log.contains(secret),
            "a secret appeared in the trace-level output"
        );
    }
}

/// Every file under `dir`, with its bytes.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push((p.clone(), vec![]));
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_database_url_of_another_kind_stops_start_up_before_any_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "mysql://root:my-s3cret-pw@localhost/algogate",
        "mariadb://localhost/algogate",
    ] {
        let out = serve_with_database(dir.path(), url);
        assert!(!out.status.success(), "{url}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not supported"), "{url}: {err}");
        assert!(err.contains("sqlite:///path/to/algogate.db"), "{err}");
        assert!(err.contains("postgres://user@host:5432/database"), "{err}");
        assert!(!err.contains("my-s3cret-pw"), "the URL's password: {err}");
        assert_eq!(tree(dir.path()), vec![], "{url}: files were created");
    }
}

/// PostgreSQL is a backend now: one that cannot be reached stops start-up with the URL
/// shown without its password, and nothing created.
#[tokio::test]
async fn an_unreachable_postgres_stops_start_up_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on the loopback: nothing listens there.
    let out = serve_with_database(
        dir.path(),
        "postgres://trader:pg-s3cret-pw@127.0.0.1:1/algogate",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open the database postgres://…@127.0.0.1:1/algogate"),
        "{err}"
    );
    assert!(!err.contains("pg-s3cret-pw"), "the URL's password: {err}");
    assert_eq!(tree(dir.path()), vec![], "files were created");
}

fn serve_with_database(dir: &std::path::Path, url: &str) -> std::process::Output {
    cmd(&dir.join("data"))
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--ws-addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap()
}

/// `DATABASE_URL` from an OpenAlgo `.env` points at OpenAlgo's own database: algogate must
/// recognise it and leave it untouched (it used to write `_sqlx_migrations` into it).
#[tokio::test]
async fn an_openalgo_database_as_database_url_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("openalgo/db");
    std::fs::create_dir_all(&db_dir).unwrap();
    let db = db_dir.join("openalgo.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openalgo.db"),
        &db,
    )
    .unwrap();
    let before = tree(&db_dir);
    for command in [&["serve"][..], &["apikey", "show", "--user", "alice"]] {
        let out = cmd(&dir.path().join("data"))
            .env("DATABASE_URL", format!("sqlite://{}", db.display()))
            .args(command)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is an OpenAlgo database"), "{err}");
        assert!(
            err.contains(&format!("algogate import-openalgo --db {}", db.display())),
            "{err}"
        );
        assert_eq!(tree(&db_dir), before, "OpenAlgo's database was changed");
    }
}
