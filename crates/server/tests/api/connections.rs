//! Slow and idle clients: header, body and idle timeouts, and the connection cap, seen
//! through raw sockets (a real client library would hide exactly these behaviours).

use std::sync::Arc;
use std::time::Duration;

use algogate_app::clock::SystemClock;
use algogate_server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use crate::helpers::{TEST_PEPPER, TEST_SALT, TestApp, spawn_app_with};

/// Upper bound for anything that should happen "soon": generous, since the machine may be
/// loaded; none of these tests measures speed.
const WAIT: Duration = Duration::from_secs(20);
/// A timeout no test is meant to reach.
const LONG: Duration = Duration::from_secs(120);
/// Timers may fire a little early relative to the client's own clock; never by this much.
const SLACK: Duration = Duration::from_millis(100);

const PING: &str = "POST /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                    Content-Type: application/json\r\nContent-Length: 14\r\n\r\n\
                    {\"apikey\":\"x\"}";

async fn app(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with(Arc::new(SystemClock), |c| {
        c.http_header_timeout = LONG;
        c.http_body_timeout = LONG;
        c.http_idle_timeout = LONG;
        tweak(c);
    })
    .await
}

fn http_addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

fn ws_addr(app: &TestApp) -> String {
    app.ws_url.trim_start_matches("ws://").to_string()
}

async fn connect(addr: &str) -> TcpStream {
    timeout(WAIT, TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect")
}

/// Reads until the peer closes (EOF or reset) or `limit` passes; returns what arrived and
/// whether the connection closed.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return (got, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one response with a `Content-Length` body; returns the status and the body.
async fn read_response(s: &mut TcpStream) -> (u16, String) {
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            let status = head[9..12].parse().expect("status code");
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("content-length");
            if got.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&got[end + 4..end + 4 + len]).to_string();
                return (status, body);
            }
        }
        let n = tokio::time::timeout_at(deadline, s.read(&mut buf))
            .await
            .expect("response in time")
            .expect("read");
        assert!(
            n > 0,
            "closed mid-response: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

fn status_of(response: &[u8]) -> String {
    String::from_utf8_lossy(response)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_partial_request_head_is_closed_after_the_header_timeout() {
    let app = app(|c| c.http_header_timeout = Duration::from_secs(1)).await;
    // Both listeners: the WebSocket handshake is an HTTP request too.
    for addr in [http_addr(&app), ws_addr(&app)] {
        let started = Instant::now();
        let mut s = connect(&addr).await;
        s.write_all(b"POST /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let (got, closed) = read_until_closed(&mut s, WAIT).await;
        assert!(closed, "{addr}: still open after {WAIT:?}");
        assert!(
            got.is_empty(),
            "{addr}: {:?}",
            String::from_utf8_lossy(&got)
        );
        assert!(started.elapsed() + SLACK >= Duration::from_secs(1));
    }
    // A silent connection, too, has the header timeout from the moment it opened.
    let mut silent = connect(&http_addr(&app)).await;
    assert!(read_until_closed(&mut silent, WAIT).await.1);
    app.stop().await;
}

#[tokio::test]
async fn a_trickled_request_head_cannot_outlast_the_header_timeout() {
    let app = app(|c| c.http_header_timeout = Duration::from_secs(1)).await;
    let mut s = connect(&http_addr(&app)).await;
    let started = Instant::now();
    let head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = false;
    // One byte every 200 ms: each one arrives well within the timeout, the head never does.
    for byte in head.iter().cycle().take(100) {
        if s.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let (_, eof) = read_until_closed(&mut s, Duration::from_millis(200)).await;
        if eof {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "a trickled head kept the connection for {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() + SLACK >= Duration::from_secs(1));
    app.stop().await;
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_gets_408_after_the_body_timeout() {
    let app = app(|c| c.http_body_timeout = Duration::from_secs(1)).await;
    let mut s = connect(&http_addr(&app)).await;
    let started = Instant::now();
    s.write_all(
        b"POST /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"apikey\":",
    )
    .await
    .unwrap();
    let (got, closed) = read_until_closed(&mut s, WAIT).await;
    assert!(closed, "still open after {WAIT:?}");
    assert_eq!(status_of(&got), "HTTP/1.1 408 Request Timeout");
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("Request body not received in time"), "{text}");
    assert!(started.elapsed() + SLACK >= Duration::from_secs(1));
    app.stop().await;
}

#[tokio::test]
async fn a_chunked_body_that_never_ends_gets_408_after_the_body_timeout() {
    let app = app(|c| c.http_body_timeout = Duration::from_secs(1)).await;
    let mut s = connect(&http_addr(&app)).await;
    let started = Instant::now();
    s.write_all(
        b"POST /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
    )
    .await
    .unwrap();
    // A one-space chunk every 200 ms: the deadline is for the whole body, not per read.
    let mut got = Vec::new();
    let mut closed = false;
    for _ in 0..100 {
        if s.write_all(b"1\r\n \r\n").await.is_err() {
            break;
        }
        let (part, eof) = read_until_closed(&mut s, Duration::from_millis(200)).await;
        got.extend_from_slice(&part);
        if eof {
            closed = true;
            break;
        }
        if !got.is_empty() {
            break;
        }
    }
    if !closed {
        let (rest, eof) = read_until_closed(&mut s, WAIT).await;
        got.extend_from_slice(&rest);
        closed = eof;
    }
    assert!(closed, "still open after {:?}", started.elapsed());
    assert_eq!(status_of(&got), "HTTP/1.1 408 Request Timeout");
    assert!(started.elapsed() + SLACK >= Duration::from_secs(1));
    app.stop().await;
}

#[tokio::test]
async fn keep_alive_outlives_the_header_timeout_then_closes_when_idle() {
    let app = app(|c| {
        c.http_header_timeout = Duration::from_secs(1);
        c.http_idle_timeout = Duration::from_secs(6);
    })
    .await;
    let mut s = connect(&http_addr(&app)).await;
    let health = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    s.write_all(health).await.unwrap();
    assert_eq!(
        read_response(&mut s).await,
        (200, r#"{"status":"ok"}"#.into())
    );
    // Between requests the idle timeout applies, not the header timeout.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    s.write_all(health).await.unwrap();
    assert_eq!(
        read_response(&mut s).await,
        (200, r#"{"status":"ok"}"#.into())
    );
    let idle_from = Instant::now();
    let (got, closed) = read_until_closed(&mut s, WAIT).await;
    assert!(closed, "idle connection still open after {WAIT:?}");
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
    assert!(idle_from.elapsed() + SLACK >= Duration::from_secs(6));
    app.stop().await;
}

#[tokio::test]
async fn at_the_connection_cap_a_new_client_is_still_served() {
    const CAP: usize = 20;
    let app = app(|c| c.max_connections = CAP).await;
    let addr = http_addr(&app);
    let mut silent = Vec::new();
    for _ in 0..CAP {
        silent.push(connect(&addr).await);
    }
    // Already at the cap: the newcomer takes the longest-idle one's place.
    let mut s = connect(&addr).await;
    s.write_all(PING.as_bytes()).await.unwrap();
    let (status, body) = read_response(&mut s).await;
    assert_eq!(status, 403, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, crate::helpers::invalid_key());
    // ...so some silent connection was closed, long before any timeout.
    let mut reads = tokio::task::JoinSet::new();
    for mut c in silent {
        reads.spawn(async move { read_until_closed(&mut c, WAIT).await.1 });
    }
    let mut shed = false;
    while let Some(closed) = reads.join_next().await {
        if closed.unwrap() {
            shed = true;
            break;
        }
    }
    assert!(shed, "no silent connection was closed for the newcomer");
    // The silent ones left close as the tasks end; the server then shuts down at once.
    reads.shutdown().await;
    drop(s);
    timeout(WAIT, app.stop()).await.expect("shutdown in time");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let app = app(|_| {}).await;
    let mut s = connect(&http_addr(&app)).await;
    let (head, body) = PING.split_at(PING.len() - 6);
    s.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stop = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stop.is_finished(), "shutdown did not wait for the request");
    s.write_all(body.as_bytes()).await.unwrap();
    let (status, _) = read_response(&mut s).await;
    assert_eq!(status, 403);
    timeout(WAIT, stop)
        .await
        .expect("shutdown in time")
        .unwrap();
}

/// The log without terminal colours.
fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The situation that used to lock the server up: more silent connections than the process
/// has descriptors. Run as the real binary, so the limit is its own.
#[tokio::test]
async fn the_binary_under_a_low_descriptor_limit_serves_past_more_silent_clients_than_fds() {
    const LIMIT: usize = 128;
    let dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new("sh")
        .arg("-c")
        // Soft and hard limit both: `serve` raises the soft one to the hard one.
        .arg(format!(
            "ulimit -n {LIMIT} && exec \"$0\" serve --http-addr 127.0.0.1:0 --ws-addr 127.0.0.1:0"
        ))
        .arg(env!("CARGO_BIN_EXE_algogate"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("API_KEY_PEPPER", TEST_PEPPER)
        .env("FERNET_SALT", TEST_SALT)
        .env("ALGOGATE_DATA_DIR", dir.path())
        .env("ALGOGATE_LOG", "debug")
        // Only the cap can make room here, not a timeout.
        .env("ALGOGATE_HTTP_HEADER_TIMEOUT_SECS", "600")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = crate::binary::capture(&mut server);
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let found = out.lock().unwrap().lines().find_map(|l| {
            l.strip_prefix("algogate is listening on http://")
                .map(|a| a.trim().to_string())
        });
        if let Some(a) = found {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "not started: {}",
            out.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut silent = Vec::new();
    for _ in 0..LIMIT + 22 {
        silent.push(connect(&addr).await);
    }
    let mut s = connect(&addr).await;
    s.write_all(PING.as_bytes()).await.unwrap();
    let (status, body) = read_response(&mut s).await;
    assert_eq!(status, 403, "{body}");
    // Shutdown does not wait for connections that never sent a byte.
    let pid = server.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = server.kill();
            panic!("still running after SIGTERM: {}", out.lock().unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(silent);
    assert!(status.success(), "exit status {status}");
    std::thread::sleep(Duration::from_millis(100));
    let log = plain(&out.lock().unwrap());
    assert!(log.contains("open-file limit limit=128"), "{log}");
    assert!(
        log.contains("max_connections lowered to fit the open-file limit max_connections=64"),
        "{log}"
    );
    assert!(
        log.contains("connection limit reached; closing the longest-idle"),
        "{log}"
    );
    assert!(!log.contains("accept error"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}
