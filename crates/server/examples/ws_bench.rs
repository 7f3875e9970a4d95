//! WebSocket fan-out load generator (loopback only, bounded duration).
//!
//! Starts an algogate server in-process (temporary data directory, ports chosen by the OS),
//! opens N WebSocket clients that authenticate and subscribe to the same S NSE equities,
//! and counts the `market_data` messages the clients actually receive per second, with the
//! tick-to-client latency (tick timestamp to receipt, ms resolution) and the memory per idle
//! authenticated connection (process RSS, so it includes the client side too).
//!
//! ```sh
//! cargo run --release -p algogate-server --example ws_bench -- \
//!     --clients 1000 --symbols 50 --tick-ms 100 --mode 1 --secs 10
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use algogate_app::clock::SystemClock;
use algogate_broker::InstrumentType;
use algogate_keys::ApiKey;
use algogate_server::config::{Config, Overrides};
use algogate_server::startup::{Server, bootstrap};
use algogate_store::NewUser;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Debug)]
struct Args {
    clients: usize,
    symbols: usize,
    tick_ms: u64,
    mode: u8,
    secs: u64,
    warmup_secs: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        clients: 1000,
        symbols: 50,
        tick_ms: 100,
        mode: 1,
        secs: 10,
        warmup_secs: 3,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let flag = argv[i].as_str();
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        let n: u64 = v
            .parse()
            .map_err(|_| anyhow::anyhow!("{flag}: expected a number, got {v:?}"))?;
        match flag {
            "--clients" => a.clients = n as usize,
            "--symbols" => a.symbols = n as usize,
            "--tick-ms" => a.tick_ms = n.max(1),
            "--mode" => a.mode = n.clamp(1, 3) as u8,
            // Bounded: the benchmark never runs open-ended.
            "--secs" => a.secs = n.clamp(1, 120),
            "--warmup-secs" => a.warmup_secs = n.min(60),
            other => anyhow::bail!(
                "unknown argument {other} (--clients --symbols --tick-ms --mode --secs --warmup-secs)"
            ),
        }
        i += 2;
    }
    Ok(a)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The tick timestamp of a market_data message, without a full JSON parse.
fn timestamp_of(text: &str) -> Option<i64> {
    let at = text.find("\"timestamp\":")? + "\"timestamp\":".len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

struct Counters {
    received: AtomicU64,
    latency_ms: Vec<AtomicU64>,
    ready: AtomicUsize,
    failed: AtomicUsize,
}

const MAX_LAT: usize = 10_000;

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(a))
}

async fn run(a: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = Config::load(
        &Overrides {
            data_dir: Some(dir.path().to_path_buf()),
            http_addr: Some("127.0.0.1:0".parse()?),
            ws_addr: Some("127.0.0.1:0".parse()?),
            ..Default::default()
        },
        &|_| None,
    )?;
    config.market_tick_ms = a.tick_ms;
    config.log = "warn".into();
    let rt = bootstrap(config, &|_| None, Arc::new(SystemClock)).await?;
    let server = Server::bind(rt).await?;
    let url = format!("ws://{}", server.ws_local_addr());
    let state = server.state.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server_task = tokio::spawn(server.run(async move {
        let _ = stop_rx.await;
    }));

    let key = ApiKey::generate();
    let sealed = state.keys().seal_new(key.clone()).await?;
    state
        .store()
        .create_user(
            &NewUser {
                username: "bench",
                email: None,
                password_hash: "$argon2id$unused",
                is_admin: false,
            },
            Some(&sealed),
        )
        .await?;
    let symbols: Vec<serde_json::Value> = state
        .market()
        .master()
        .iter(Some(algogate_broker::Exchange::Nse))
        .filter(|i| i.instrumenttype == InstrumentType::Equity)
        .take(a.symbols)
        .map(|i| json!({"symbol": &*i.symbol, "exchange": "NSE"}))
        .collect();
    anyhow::ensure!(symbols.len() == a.symbols, "not enough NSE equities");
    let subscribe = json!({"action": "subscribe", "mode": a.mode, "symbols": symbols}).to_string();
    let auth = json!({"action": "authenticate", "api_key": key.expose()}).to_string();

    let counters = Arc::new(Counters {
        received: AtomicU64::new(0),
        latency_ms: (0..=MAX_LAT).map(|_| AtomicU64::new(0)).collect(),
        ready: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    });
    let go = Arc::new(tokio::sync::Semaphore::new(0));
    let rss_before = rss_kib();
    let connect_started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(64));
    let mut clients = Vec::with_capacity(a.clients);
    for _ in 0..a.clients {
        let (url, auth, subscribe) = (url.clone(), auth.clone(), subscribe.clone());
        let (c, limit, go) = (counters.clone(), limit.clone(), go.clone());
        clients.push(tokio::spawn(async move {
            let permit = limit.acquire_owned().await;
            let cfg = WebSocketConfig::default().read_buffer_size(16 * 1024);
            let Ok((mut ws, _)) =
                tokio_tungstenite::connect_async_with_config(url.as_str(), Some(cfg), false).await
            else {
                c.failed.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if ws.send(Message::text(auth)).await.is_err() {
                c.failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // The auth reply.
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.contains("\"auth\"") => {}
                _ => {
                    c.failed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            drop(permit);
            c.ready.fetch_add(1, Ordering::Relaxed);
            // Idle until every client is connected (memory is measured then).
            let Ok(_go) = go.acquire().await else { return };
            if ws.send(Message::text(subscribe)).await.is_err() {
                c.failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m
                    && t.starts_with("{\"type\":\"market_data\"")
                {
                    c.received.fetch_add(1, Ordering::Relaxed);
                    if let Some(ts) = timestamp_of(&t) {
                        let lat = (now_ms() - ts).clamp(0, MAX_LAT as i64) as usize;
                        c.latency_ms[lat].fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    while counters.ready.load(Ordering::Relaxed) + counters.failed.load(Ordering::Relaxed)
        < a.clients
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = counters.ready.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = rss_kib();
    println!(
        "connected and authenticated {connected} clients in {:.1}s ({} failed)",
        connect_started.elapsed().as_secs_f64(),
        counters.failed.load(Ordering::Relaxed)
    );
    println!(
        "memory per idle authenticated connection: {:.1} KiB (process RSS {} -> {} KiB; server and client sides)",
        (rss_idle.saturating_sub(rss_before)) as f64 / connected.max(1) as f64,
        rss_before,
        rss_idle
    );
    go.add_permits(a.clients);
    tokio::time::sleep(Duration::from_secs(a.warmup_secs)).await;

    let hub = state.ws().clone();
    let r0 = counters.received.load(Ordering::Relaxed);
    let d0 = hub.stats.delivered.load(Ordering::Relaxed);
    let e0 = hub.stats.encoded.load(Ordering::Relaxed);
    for b in &counters.latency_ms {
        b.store(0, Ordering::Relaxed);
    }
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(a.secs)).await;
    let el = t0.elapsed().as_secs_f64();
    let received = counters.received.load(Ordering::Relaxed) - r0;
    let delivered = hub.stats.delivered.load(Ordering::Relaxed) - d0;
    let encoded = hub.stats.encoded.load(Ordering::Relaxed) - e0;
    let hist: Vec<u64> = counters
        .latency_ms
        .iter()
        .map(|b| b.load(Ordering::Relaxed))
        .collect();
    let total: u64 = hist.iter().sum();
    let pct = |p: f64| -> usize {
        let want = (total as f64 * p).ceil() as u64;
        let mut acc = 0;
        for (ms, n) in hist.iter().enumerate() {
            acc += n;
            if acc >= want {
                return ms;
            }
        }
        MAX_LAT
    };
    let offered = (a.clients * a.symbols) as f64 * 1000.0 / a.tick_ms as f64;
    println!(
        "clients={} symbols={} mode={} tick={}ms measured={:.1}s",
        connected, a.symbols, a.mode, a.tick_ms, el
    );
    println!(
        "offered (clients x symbols / tick interval): {:.0} msg/s",
        offered
    );
    println!(
        "received by clients: {:.0} market_data msg/s ({:.1}% of offered)",
        received as f64 / el,
        received as f64 / el / offered * 100.0
    );
    println!(
        "queued by the server: {:.0} msg/s; encodings: {:.0}/s ({:.0} messages per encoding)",
        delivered as f64 / el,
        encoded as f64 / el,
        delivered as f64 / encoded.max(1) as f64
    );
    println!(
        "tick-to-client latency: p50 {} ms, p99 {} ms, max {} ms",
        pct(0.50),
        pct(0.99),
        hist.iter().rposition(|n| *n > 0).unwrap_or(0)
    );
    println!(
        "slow clients dropped: {}, ticks the fan-out lagged behind: {}",
        hub.stats.slow_dropped.load(Ordering::Relaxed),
        hub.stats.lagged.load(Ordering::Relaxed)
    );
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server_task).await;
    for c in clients {
        c.abort();
    }
    Ok(())
}
