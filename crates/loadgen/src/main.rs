//! Loopback load generator for algogate.
//!
//! Starts a real `algogate serve` (build it with `cargo build --release`) on a throwaway
//! data directory, creates users through its CLI, and measures scenarios side by side in
//! one run, alternating them in rounds. The machines are shared and noisy, so it reports
//! ratios between scenarios of the same run; absolute figures are only hints. Every loop is
//! bounded by a duration or a count, and only 127.0.0.1 is contacted.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

const PEPPER: &str = "loadgen-pepper-0123456789abcdef0123456789abcdef";
const SALT: &str = "0123456789abcdef0123456789abcdef";

#[derive(Debug, Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/algogate")]
    server_bin: PathBuf,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds per scenario per round.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Rounds; scenarios alternate within each round.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Cache-miss samples per database size.
    #[arg(long, default_value_t = 7)]
    miss_samples: usize,
    /// Python with argon2-cffi, for the side-by-side Argon2 reference.
    #[arg(long, default_value = ".venv/bin/python")]
    python: PathBuf,
    /// Which measurements: auth, orders, spray, market, abuse, tls, keys, or all; or
    /// postgres (not in all: it needs `ALGOGATE_TEST_DATABASE`, a PostgreSQL base URL, as
    /// `scripts/postgres-tmp.sh run` sets it).
    #[arg(long, default_value = "all")]
    suite: String,
    /// Orders in the day before the orderbook latency is measured.
    #[arg(long, default_value_t = 10_000)]
    day_orders: usize,
    /// Unknown keys per second in the spray.
    #[arg(long, default_value_t = 10_000)]
    spray_rate: u32,
}

struct Server {
    child: Child,
    addr: SocketAddr,
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// Extra environment, for the CLI too (a PostgreSQL `DATABASE_URL`).
    env: Vec<(String, std::ffi::OsString)>,
}

impl Server {
    fn command(bin: &Path, dir: &Path) -> Command {
        let mut c = Command::new(bin);
        c.env("API_KEY_PEPPER", PEPPER)
            .env("FERNET_SALT", SALT)
            .env("ALGOGATE_LOG", "warn")
            // Measure the limiter's cost, not its refusals: one client IP sends everything.
            .env("API_RATE_LIMIT", "100000000 per second")
            .env("ORDER_RATE_LIMIT", "100000000 per second")
            .arg("--data-dir")
            .arg(dir);
        c
    }

    fn start(bin: &Path) -> anyhow::Result<Self> {
        Self::start_with(bin, &[])
    }

    /// A server with extra environment (the tls suite's certificate files).
    fn start_with(bin: &Path, env: &[(&str, &Path)]) -> anyhow::Result<Self> {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_os_str().to_owned()))
            .collect();
        Self::start_env(bin, env)
    }

    fn start_env(bin: &Path, env: Vec<(String, std::ffi::OsString)>) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("server.log");
        let mut cmd = Self::command(bin, dir.path());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args([
                "serve",
                "--http-addr",
                "127.0.0.1:0",
                "--ws-addr",
                "127.0.0.1:0",
            ])
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // `http://127.0.0.1:PORT`, or `https://localhost:PORT` under TLS; it listens
            // on 127.0.0.1 either way.
            if let Some(port) = text
                .lines()
                .find_map(|l| l.strip_prefix("algogate is listening on "))
                .and_then(|u| u.trim().rsplit(':').next())
            {
                let addr = SocketAddr::from(([127, 0, 0, 1], port.parse()?));
                return Ok(Self {
                    child,
                    addr,
                    bin: bin.to_path_buf(),
                    dir,
                    env,
                });
            }
            if Instant::now() > deadline || child.try_wait()?.is_some() {
                bail!("server did not start: {text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut cmd = Self::command(&self.bin, self.dir.path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(s) = stdin {
            child.stdin.take().expect("piped").write_all(s.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_string())
    }

    fn db_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("algogate.db").display())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type MakeReq = Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>;

#[derive(Default)]
struct Stats {
    count: u64,
    elapsed: f64,
    lat_us: Vec<u32>,
    unexpected: u64,
}

impl Stats {
    fn rps(&self) -> f64 {
        self.count as f64 / self.elapsed
    }
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.lat_us.clone();
        v.sort_unstable();
        if v.is_empty() {
            return 0.0;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        f64::from(v[i]) / 1000.0
    }
    fn merge(&mut self, o: Stats) {
        self.count += o.count;
        self.elapsed += o.elapsed;
        self.lat_us.extend(o.lat_us);
        self.unexpected += o.unexpected;
    }
}

async fn load(
    addr: SocketAddr,
    make: MakeReq,
    expect: u16,
    conns: usize,
    dur: Duration,
) -> anyhow::Result<Stats> {
    load_over(addr, None, make, expect, conns, dur).await
}

/// An HTTP/1.1 connection to `addr`, over TLS when `tls` is given.
async fn connect(
    addr: SocketAddr,
    tls: Option<&tokio_rustls::TlsConnector>,
) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(match tls {
        None => {
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            send
        }
        Some(c) => {
            let name = rustls::pki_types::ServerName::try_from("localhost")?;
            let stream = c.connect(name, stream).await?;
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            send
        }
    })
}

/// `load` over plain TCP or TLS.
async fn load_over(
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsConnector>,
    make: MakeReq,
    expect: u16,
    conns: usize,
    dur: Duration,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = Vec::new();
    for c in 0..conns {
        let make = make.clone();
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            let mut send = connect(addr, tls.as_ref()).await?;
            let mut lat = Vec::with_capacity(100_000);
            let mut unexpected = 0u64;
            let mut i = (c as u64) << 40;
            while Instant::now() < deadline {
                let req = make(i);
                i += 1;
                let t = Instant::now();
                let res = send.send_request(req).await?;
                let status = res.status().as_u16();
                res.into_body().collect().await?;
                lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                if status != expect {
                    unexpected += 1;
                }
            }
            anyhow::Ok((lat, unexpected))
        }));
    }
    let mut stats = Stats::default();
    for t in tasks {
        let (lat, unexpected) = t.await??;
        stats.count += lat.len() as u64;
        stats.lat_us.extend(lat);
        stats.unexpected += unexpected;
    }
    stats.elapsed = start.elapsed().as_secs_f64();
    Ok(stats)
}

fn post(body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    Request::post("/api/v1/ping")
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("valid request")
}

/// One request's latency, on a fresh connection-less client (the miss path only).
async fn one_ping(addr: SocketAddr, key: &str) -> anyhow::Result<(u16, Duration)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let t = Instant::now();
    let res = send
        .send_request(post(format!("{{\"apikey\":\"{key}\"}}")))
        .await?;
    let status = res.status().as_u16();
    res.into_body().collect().await?;
    Ok((status, t.elapsed()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median milliseconds of one argon2-cffi verification with OpenAlgo's parameters.
fn argon2_cffi_ms(python: &Path, samples: usize) -> anyhow::Result<f64> {
    let script = format!(
        "import time, statistics\nfrom argon2 import PasswordHasher\nph = PasswordHasher()\n\
         s = 'a' * 64 + '{PEPPER}'\nh = ph.hash(s)\nts = []\nfor _ in range({samples}):\n    \
         t = time.perf_counter(); ph.verify(h, s); ts.append((time.perf_counter() - t) * 1000)\n\
         print(statistics.median(ts))\n"
    );
    let out = Command::new(python)
        .args(["-c", &script])
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !out.status.success() {
        bail!("argon2-cffi: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().parse()?)
}

async fn bulk_users(server: &Server, n: usize) -> anyhow::Result<()> {
    use sqlx::ConnectOptions;
    let mut conn =
        <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&server.db_url())?
            .connect()
            .await?;
    let mut tx = sqlx::Connection::begin(&mut conn).await?;
    for i in 0..n {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash) VALUES (?, 'x') RETURNING id",
        )
        .bind(format!("bulk{i}"))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO api_keys (user_id, api_key_hash, api_key_encrypted, key_fingerprint) VALUES (?, '$argon2id$v=19$m=65536,t=3,p=4$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x', ?)")
            .bind(id)
            .bind(format!("{i:064x}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Miss latencies: each sample regenerates the key (CLI) and times its first use.
async fn miss_samples(server: &Server, user: &str, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let key = server.cli(&["apikey", "regenerate", "--user", user], None)?;
        let (status, t) = one_ping(server.addr, &key).await?;
        if status != 200 {
            bail!("fresh key answered {status}");
        }
        out.push(t.as_secs_f64() * 1000.0);
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Server::start(&args.server_bin)?;
    server.cli(
        &["user", "create", "--username", "bench", "--password-stdin"],
        Some("Loadgen-Secret-42\n"),
    )?;
    let key = server.cli(&["apikey", "show", "--user", "bench"], None)?;
    let all = args.suite == "all";
    if all || args.suite == "auth" {
        auth_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "orders" {
        orders_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "spray" {
        spray_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "market" {
        market_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "options" {
        options_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "abuse" {
        abuse_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "keys" {
        keys_suite(&args, &server, &key).await?;
    }
    if args.suite == "postgres" {
        postgres_suite(&args, &server, &key).await?;
    }
    if all || args.suite == "tls" {
        tls_suite(&args, &server, &key).await?;
    }
    Ok(())
}

/// The cost of TLS: the same server binary once over plain TCP and once with a
/// certificate (ECDSA P-256, TLS 1.3), side by side: ping at `connections` keep-alive
/// connections, then new connections per second (connect, handshake, one ping, close) with
/// full handshakes and with session resumption.
async fn tls_suite(args: &Args, plain: &Server, key: &str) -> anyhow::Result<()> {
    let certs = tempfile::tempdir()?;
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let (cert_file, key_file) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    std::fs::write(&cert_file, ck.cert.pem())?;
    std::fs::write(&key_file, ck.signing_key.serialize_pem())?;
    let tls_server = Server::start_with(
        &args.server_bin,
        &[
            ("ALGOGATE_TLS_CERT", &cert_file),
            ("ALGOGATE_TLS_KEY", &key_file),
        ],
    )?;
    tls_server.cli(
        &["user", "create", "--username", "bench", "--password-stdin"],
        Some("Loadgen-Secret-42\n"),
    )?;
    let tls_key = tls_server.cli(&["apikey", "show", "--user", "bench"], None)?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone())?;
    let client = |resume: bool| {
        let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the defaults")
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
        if !resume {
            c.resumption = rustls::client::Resumption::disabled();
        }
        tokio_rustls::TlsConnector::from(Arc::new(c))
    };
    let (full, resumed) = (client(false), client(true));
    let ping = |k: &str| -> MakeReq {
        let body = Bytes::from(format!("{{\"apikey\":\"{k}\"}}"));
        Arc::new(move |_| post(body.clone()))
    };
    // Warm both key caches.
    load(plain.addr, ping(key), 200, 1, Duration::from_millis(300)).await?;
    load_over(
        tls_server.addr,
        Some(full.clone()),
        ping(&tls_key),
        200,
        1,
        Duration::from_millis(300),
    )
    .await?;

    let dur = Duration::from_secs_f64(args.seconds);
    let (mut p, mut t) = (Stats::default(), Stats::default());
    for _ in 0..args.rounds {
        p.merge(load(plain.addr, ping(key), 200, args.connections, dur).await?);
        t.merge(
            load_over(
                tls_server.addr,
                Some(full.clone()),
                ping(&tls_key),
                200,
                args.connections,
                dur,
            )
            .await?,
        );
    }
    println!(
        "\n### Ping over keep-alive connections, plain vs TLS ({} connections, {} rounds x {} s, alternating)\n",
        args.connections, args.rounds, args.seconds
    );
    print_periods(
        "transport | req/s",
        &[("plain HTTP".into(), &p), ("HTTPS (TLS 1.3)".into(), &t)],
    );
    println!(
        "\nTLS / plain: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x; unexpected statuses {} / {}",
        t.rps() / p.rps(),
        t.pct(0.5) / p.pct(0.5),
        t.pct(0.99) / p.pct(0.99),
        p.unexpected,
        t.unexpected
    );

    // New connections: bounded by count (no port exhaustion), 4 at a time.
    const PER_ROUND: usize = 1500;
    const PARALLEL: usize = 4;
    let (mut rp, mut rf, mut rr) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        rp.push(new_connections(plain.addr, None, key, PER_ROUND, PARALLEL).await?);
        rf.push(
            new_connections(tls_server.addr, Some(&full), &tls_key, PER_ROUND, PARALLEL).await?,
        );
        rr.push(
            new_connections(
                tls_server.addr,
                Some(&resumed),
                &tls_key,
                PER_ROUND,
                PARALLEL,
            )
            .await?,
        );
    }
    let (mp, mf, mr) = (median(rp), median(rf), median(rr));
    println!(
        "\n### New connections per second: connect, handshake, one ping, close ({PER_ROUND} per round, {PARALLEL} at a time, median of {} rounds)\n",
        args.rounds
    );
    println!("| transport | connections/s | vs plain |");
    println!("| --- | ---: | ---: |");
    println!("| plain HTTP | {mp:.0} | 1.00x |");
    println!(
        "| HTTPS, full handshake (ECDSA P-256, TLS 1.3) | {mf:.0} | {:.2}x |",
        mf / mp
    );
    println!("| HTTPS, resumed session | {mr:.0} | {:.2}x |", mr / mp);
    Ok(())
}

/// `total` connections, `parallel` at a time, each one ping then closed; per second.
async fn new_connections(
    addr: SocketAddr,
    tls: Option<&tokio_rustls::TlsConnector>,
    key: &str,
    total: usize,
    parallel: usize,
) -> anyhow::Result<f64> {
    let body = Bytes::from(format!("{{\"apikey\":\"{key}\"}}"));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..parallel {
        let tls = tls.cloned();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..total / parallel {
                let mut send = connect(addr, tls.as_ref()).await?;
                let mut req = post(body.clone());
                req.headers_mut().insert(
                    "connection",
                    hyper::header::HeaderValue::from_static("close"),
                );
                let res = send.send_request(req).await?;
                anyhow::ensure!(res.status() == 200, "ping: {}", res.status());
                res.into_body().collect().await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok((total / parallel * parallel) as f64 / start.elapsed().as_secs_f64())
}

/// A Markdown table of periods: `head` names the first two columns, then p50 and p99.
fn print_periods(head: &str, rows: &[(String, &Stats)]) {
    println!("| {head} | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, st) in rows {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} |",
            st.rps(),
            st.pct(0.5),
            st.pct(0.99)
        );
    }
}

/// A JSON object of `keys` unknown fields (80,000 make about 880 KB).
fn wide_body(keys: usize) -> Bytes {
    let mut s = String::with_capacity(keys * 12);
    s.push('{');
    for i in 0..keys {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"k{i:06}\":1"));
    }
    s.push('}');
    Bytes::from(s)
}

/// The wide body without a key: its own latency, then a valid client's ping latency at
/// `connections` while 4 clients send it back to back, against quiet periods in the same
/// rounds.
async fn abuse_suite(args: &Args, server: &Server, key: &str) -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let addr = server.addr;
    let wide = wide_body(80_000);
    let mut wide_ms = Vec::new();
    let mut answer = (0, 0);
    for _ in 0..21 {
        let (status, ms, len) = timed(addr, post(wide.clone())).await?;
        wide_ms.push(ms);
        answer = (status, len);
    }
    let k = key.to_string();
    let ping: MakeReq = Arc::new(move |_| post(format!("{{\"apikey\":\"{k}\"}}")));
    let dur = Duration::from_secs_f64(args.seconds);
    let (mut quiet, mut noisy) = (Stats::default(), Stats::default());
    let sent = Arc::new(AtomicU64::new(0));
    let mut abusive_secs = 0.0;
    for _ in 0..args.rounds {
        quiet.merge(load(addr, ping.clone(), 200, args.connections, dur).await?);
        let stop = Arc::new(AtomicBool::new(false));
        let abusers: Vec<_> = (0..4)
            .map(|_| {
                let (stop, sent, wide) = (stop.clone(), sent.clone(), wide.clone());
                tokio::spawn(async move {
                    let stream = tokio::net::TcpStream::connect(addr).await?;
                    let (mut send, conn) =
                        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                    tokio::spawn(conn);
                    // Bounded by the round: `stop` is set when the measurement ends.
                    while !stop.load(Ordering::Relaxed) {
                        let res = send.send_request(post(wide.clone())).await?;
                        res.into_body().collect().await?;
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        let started = Instant::now();
        tokio::time::sleep(Duration::from_millis(200)).await;
        noisy.merge(load(addr, ping.clone(), 200, args.connections, dur).await?);
        stop.store(true, Ordering::Relaxed);
        for a in abusers {
            a.await??;
        }
        abusive_secs += started.elapsed().as_secs_f64();
    }
    let rate = sent.load(Ordering::Relaxed) as f64 / abusive_secs;
    println!("\n## Wide bodies before authentication\n");
    println!(
        "- 80,000 unknown keys ({} bytes), no key: answered {} with {} bytes in median \
         **{:.2} ms** (max {:.2} ms of 21, fresh connection each; target < 50 ms)",
        wide.len(),
        answer.0,
        answer.1,
        median(wide_ms.clone()),
        wide_ms.iter().copied().fold(0.0, f64::max)
    );
    println!();
    print_periods(
        &format!(
            "period ({} connections) | valid ping req/s",
            args.connections
        ),
        &[
            ("quiet".to_string(), &quiet),
            (
                format!("4 clients sending the wide body ({rate:.0}/s achieved)"),
                &noisy,
            ),
        ],
    );
    println!(
        "\n- valid ping p99 under wide bodies / quiet: **{:.2}** (target <= 2); unexpected \
         statuses: {}",
        noisy.pct(0.99) / quiet.pct(0.99),
        quiet.unexpected + noisy.unexpected
    );
    Ok(())
}

/// quotes and multiquotes (50 symbols) against ping, side by side; then instrument search
/// latency over the whole master.
async fn market_suite(args: &Args, server: &Server, key: &str) -> anyhow::Result<()> {
    const SYMBOLS: [&str; 50] = [
        "RELIANCE",
        "TCS",
        "HDFCBANK",
        "INFY",
        "ICICIBANK",
        "HINDUNILVR",
        "ITC",
        "SBIN",
        "BHARTIARTL",
        "KOTAKBANK",
        "LT",
        "AXISBANK",
        "ASIANPAINT",
        "MARUTI",
        "SUNPHARMA",
        "TITAN",
        "BAJFINANCE",
        "ULTRACEMCO",
        "NESTLEIND",
        "WIPRO",
        "HCLTECH",
        "TECHM",
        "POWERGRID",
        "NTPC",
        "ONGC",
        "M&M",
        "TATAMOTORS",
        "TATASTEEL",
        "JSWSTEEL",
        "COALINDIA",
        "ADANIPORTS",
        "ADANIENT",
        "BAJAJFINSV",
        "BAJAJ-AUTO",
        "BPCL",
        "BRITANNIA",
        "CIPLA",
        "DIVISLAB",
        "DRREDDY",
        "EICHERMOT",
        "GRASIM",
        "HDFCLIFE",
        "HEROMOTOCO",
        "HINDALCO",
        "INDUSINDBK",
        "SBILIFE",
        "SHRIRAMFIN",
        "TATACONSUM",
        "APOLLOHOSP",
        "LTIM",
    ];
    let addr = server.addr;
    let k = key.to_string();
    let ping: MakeReq = Arc::new(move |_| post(format!("{{\"apikey\":\"{k}\"}}")));
    let k = key.to_string();
    let quote: MakeReq = Arc::new(move |_| {
        let body = format!("{{\"apikey\":\"{k}\",\"symbol\":\"SBIN\",\"exchange\":\"NSE\"}}");
        post_to("/api/v1/quotes", body)
    });
    let list: Vec<String> = SYMBOLS
        .iter()
        .map(|s| format!("{{\"symbol\":\"{s}\",\"exchange\":\"NSE\"}}"))
        .collect();
    let multi_body = format!("{{\"apikey\":\"{key}\",\"symbols\":[{}]}}", list.join(","));
    let multi: MakeReq = Arc::new(move |_| post_to("/api/v1/multiquotes", multi_body.clone()));
    let dur = Duration::from_secs_f64(args.seconds);
    let mut st: [Stats; 3] = Default::default();
    for _ in 0..args.rounds {
        st[0].merge(load(addr, ping.clone(), 200, args.connections, dur).await?);
        st[1].merge(load(addr, quote.clone(), 200, args.connections, dur).await?);
        st[2].merge(load(addr, multi.clone(), 200, args.connections, dur).await?);
    }
    println!(
        "\n## Market data at {} connections ({} rounds x {} s, alternating)\n",
        args.connections, args.rounds, args.seconds
    );
    println!("| scenario | req/s | p50 ms | p99 ms | unexpected status |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, s) in [
        "POST /api/v1/ping",
        "POST /api/v1/quotes",
        "POST /api/v1/multiquotes (50 symbols)",
    ]
    .iter()
    .zip(&st)
    {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} | {} |",
            s.rps(),
            s.pct(0.5),
            s.pct(0.99),
            s.unexpected
        );
    }
    println!(
        "\n- quotes / ping throughput: **{:.2}**",
        st[1].rps() / st[0].rps()
    );
    println!(
        "- multiquotes (50) / ping throughput: **{:.3}** ({:.0} quotes/s)",
        st[2].rps() / st[0].rps(),
        st[2].rps() * 50.0
    );

    println!("\n## Instrument search over the whole master (sequential, 10 requests each)\n");
    println!("| query | results | median ms |");
    println!("| --- | ---: | ---: |");
    for q in ["RELIANCE", "NIFTY", "BANK", "TATA MOTORS", "zzzz"] {
        let body = format!("{{\"apikey\":\"{key}\",\"query\":\"{q}\"}}");
        let mut times = Vec::new();
        let mut found = 0usize;
        for _ in 0..10 {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            let (mut send, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let t = Instant::now();
            let res = send
                .send_request(post_to("/api/v1/search", body.clone()))
                .await?;
            let bytes = res.into_body().collect().await?.to_bytes();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            let v: serde_json::Value = serde_json::from_slice(&bytes)?;
            found = v["data"].as_array().map_or(0, Vec::len);
        }
        println!("| {q} | {found} | {:.2} |", median(times));
    }
    Ok(())
}

/// One request on a fresh connection, its JSON answer.
async fn fetch_json(
    addr: std::net::SocketAddr,
    path: &'static str,
    body: String,
) -> anyhow::Result<serde_json::Value> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let res = send.send_request(post_to(path, body)).await?;
    let bytes = res.into_body().collect().await?.to_bytes();
    Ok(serde_json::from_slice(&bytes)?)
}

/// The options data endpoints against a single quote, side by side: optionchain for NIFTY
/// with `strike_count` 20 (41 rows, 82 legs) vs one quote; multioptiongreeks with 50
/// options vs one optiongreeks.
async fn options_suite(args: &Args, server: &Server, key: &str) -> anyhow::Result<()> {
    let addr = server.addr;
    let exp = fetch_json(
        addr,
        "/api/v1/expiry",
        format!(
            "{{\"apikey\":\"{key}\",\"symbol\":\"NIFTY\",\"exchange\":\"NFO\",\
             \"instrumenttype\":\"options\"}}"
        ),
    )
    .await?;
    let expiry = exp["data"][0]
        .as_str()
        .context("no NIFTY expiry")?
        .replace('-', "");
    let chain = fetch_json(
        addr,
        "/api/v1/optionchain",
        format!(
            "{{\"apikey\":\"{key}\",\"underlying\":\"NIFTY\",\"exchange\":\"NSE_INDEX\",\
             \"expiry_date\":\"{expiry}\",\"strike_count\":12}}"
        ),
    )
    .await?;
    let mut symbols: Vec<String> = Vec::new();
    for row in chain["chain"].as_array().context("no chain")? {
        for side in ["ce", "pe"] {
            if let Some(s) = row[side]["symbol"].as_str() {
                symbols.push(s.to_owned());
            }
        }
    }
    symbols.truncate(50);
    if symbols.len() < 50 {
        bail!("the chain has only {} contracts", symbols.len());
    }
    let atm = symbols[25].clone();
    let k = key.to_string();
    let quote: MakeReq = Arc::new(move |_| {
        let body = format!("{{\"apikey\":\"{k}\",\"symbol\":\"SBIN\",\"exchange\":\"NSE\"}}");
        post_to("/api/v1/quotes", body)
    });
    let chain_body = format!(
        "{{\"apikey\":\"{key}\",\"underlying\":\"NIFTY\",\"exchange\":\"NSE_INDEX\",\
         \"expiry_date\":\"{expiry}\",\"strike_count\":20}}"
    );
    let chain: MakeReq = Arc::new(move |_| post_to("/api/v1/optionchain", chain_body.clone()));
    let one_body = format!("{{\"apikey\":\"{key}\",\"symbol\":\"{atm}\",\"exchange\":\"NFO\"}}");
    let one: MakeReq = Arc::new(move |_| post_to("/api/v1/optiongreeks", one_body.clone()));
    let list: Vec<String> = symbols
        .iter()
        .map(|s| format!("{{\"symbol\":\"{s}\",\"exchange\":\"NFO\"}}"))
        .collect();
    let multi_body = format!("{{\"apikey\":\"{key}\",\"symbols\":[{}]}}", list.join(","));
    let multi: MakeReq =
        Arc::new(move |_| post_to("/api/v1/multioptiongreeks", multi_body.clone()));
    let dur = Duration::from_secs_f64(args.seconds);
    let mut st: [Stats; 4] = Default::default();
    for _ in 0..args.rounds {
        st[0].merge(load(addr, quote.clone(), 200, args.connections, dur).await?);
        st[1].merge(load(addr, chain.clone(), 200, args.connections, dur).await?);
        st[2].merge(load(addr, one.clone(), 200, args.connections, dur).await?);
        st[3].merge(load(addr, multi.clone(), 200, args.connections, dur).await?);
    }
    println!(
        "\n## Options data at {} connections ({} rounds x {} s, alternating)\n",
        args.connections, args.rounds, args.seconds
    );
    println!("| scenario | req/s | p50 ms | p99 ms | unexpected status |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, s) in [
        "POST /api/v1/quotes",
        "POST /api/v1/optionchain (NIFTY, strike_count 20)",
        "POST /api/v1/optiongreeks",
        "POST /api/v1/multioptiongreeks (50 symbols)",
    ]
    .iter()
    .zip(&st)
    {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} | {} |",
            s.rps(),
            s.pct(0.5),
            s.pct(0.99),
            s.unexpected
        );
    }
    println!(
        "\n- optionchain (20) / quote throughput: **{:.3}** (p50 {:.1}x)",
        st[1].rps() / st[0].rps(),
        st[1].pct(0.5) / st[0].pct(0.5)
    );
    println!(
        "- multioptiongreeks (50) / optiongreeks throughput: **{:.3}** ({:.0} options/s vs {:.0})",
        st[3].rps() / st[2].rps(),
        st[3].rps() * 50.0,
        st[2].rps()
    );
    Ok(())
}

fn order_body(key: &str, i: u64) -> String {
    // Alternating sides keep the MIS position (and the margin it blocks) near flat.
    let side = if i.is_multiple_of(2) { "BUY" } else { "SELL" };
    format!(
        "{{\"apikey\":\"{key}\",\"strategy\":\"bench\",\"exchange\":\"NSE\",\
         \"symbol\":\"SBIN\",\"action\":\"{side}\",\"quantity\":\"1\",\
         \"pricetype\":\"MARKET\",\"product\":\"MIS\"}}"
    )
}

fn post_to(path: &'static str, body: String) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("valid request")
}

/// placeorder (MARKET, committed to SQLite before the answer) against ping, side by side;
/// then orderbook latency once the day holds `day_orders` orders.
async fn orders_suite(args: &Args, server: &Server, key: &str) -> anyhow::Result<()> {
    let addr = server.addr;
    let k = key.to_string();
    let ping: MakeReq = Arc::new(move |_| post(format!("{{\"apikey\":\"{k}\"}}")));
    let k = key.to_string();
    let place: MakeReq = Arc::new(move |i| post_to("/api/v1/placeorder", order_body(&k, i)));
    let dur = Duration::from_secs_f64(args.seconds);
    let (mut p, mut o) = (Stats::default(), Stats::default());
    for _ in 0..args.rounds {
        p.merge(load(addr, ping.clone(), 200, args.connections, dur).await?);
        o.merge(load(addr, place.clone(), 200, args.connections, dur).await?);
    }
    println!(
        "\n## Orders at {} connections ({} rounds x {} s, alternating)\n",
        args.connections, args.rounds, args.seconds
    );
    println!("| scenario | req/s | p50 ms | p99 ms | unexpected status |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, st) in [
        ("POST /api/v1/ping", &p),
        ("POST /api/v1/placeorder (MARKET, durable)", &o),
    ] {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} | {} |",
            st.rps(),
            st.pct(0.5),
            st.pct(0.99),
            st.unexpected
        );
    }
    println!(
        "\n- placeorder / ping throughput: **{:.2}**",
        o.rps() / p.rps()
    );

    // Fill the day up to `day_orders`, then time orderbook with sequential requests.
    let placed = o.count as usize;
    if placed < args.day_orders {
        let per_conn = (args.day_orders - placed).div_ceil(args.connections);
        let mut tasks = Vec::new();
        for c in 0..args.connections {
            let k = key.to_string();
            tasks.push(tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await?;
                let (mut send, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(conn);
                for i in 0..per_conn {
                    let body = order_body(&k, ((c as u64) << 40) | i as u64);
                    let res = send
                        .send_request(post_to("/api/v1/placeorder", body))
                        .await?;
                    res.into_body().collect().await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
    }
    let body = format!("{{\"apikey\":\"{key}\"}}");
    let (mut book, mut pings, mut bytes) = (Vec::new(), Vec::new(), 0usize);
    for _ in 0..20 {
        let (status, ms, len) = timed(addr, post_to("/api/v1/orderbook", body.clone())).await?;
        if status != 200 {
            bail!("orderbook answered {status}");
        }
        bytes = len;
        book.push(ms);
        pings.push(timed(addr, post(body.clone())).await?.1);
    }
    let (b, pg) = (median(book), median(pings));
    println!(
        "\n## Orderbook with {} orders in the day (20 sequential requests, medians)\n",
        args.day_orders.max(placed)
    );
    println!("| request | ms | response bytes |");
    println!("| --- | ---: | ---: |");
    println!("| orderbook | {b:.2} | {bytes} |");
    println!("| ping | {pg:.3} | |");
    println!("\n- orderbook / ping latency: **{:.0}x**", b / pg);
    Ok(())
}

/// Named keys against the primary key, side by side in alternating rounds: ping with a
/// named key of every scope, ping with a named key whose whole policy is checked on every
/// request (scopes, IP allowlist on all requests), and placeorder with a key whose limits
/// apply (symbols, quantity, IP allowlist on orders).
async fn keys_suite(args: &Args, server: &Server, primary: &str) -> anyhow::Result<()> {
    let addr = server.addr;
    let create = |name: &str, extra: &[&str]| {
        let mut a = vec!["apikey", "create", "--user", "bench", "--name", name];
        a.extend_from_slice(extra);
        server.cli(&a, None)
    };
    let open = create("bench-open", &[])?;
    let policed = create(
        "bench-policed",
        &[
            "--scopes",
            "data,account,place",
            "--symbols",
            "NSE:SBIN,NSE:TCS",
            "--max-qty",
            "100",
            "--allow-ip",
            "127.0.0.1",
            "--ip-all-requests",
        ],
    )?;
    let trader = create(
        "bench-trader",
        &[
            "--scopes",
            "place",
            "--symbols",
            "NSE:SBIN",
            "--max-qty",
            "10",
            "--allow-ip",
            "127.0.0.0/8",
        ],
    )?;
    let ping = |k: &str| -> MakeReq {
        let body = format!("{{\"apikey\":\"{k}\"}}");
        Arc::new(move |_| post(body.clone()))
    };
    let place = |k: &str| -> MakeReq {
        let k = k.to_string();
        Arc::new(move |i| post_to("/api/v1/placeorder", order_body(&k, i)))
    };
    // Warm the caches and connections.
    for k in [primary, &open, &policed] {
        load(addr, ping(k), 200, 2, Duration::from_millis(200)).await?;
    }
    let scenarios: [(&str, MakeReq); 5] = [
        ("POST /api/v1/ping, primary key", ping(primary)),
        (
            "POST /api/v1/ping, named key (all scopes, no limits)",
            ping(&open),
        ),
        (
            "POST /api/v1/ping, named key (3 scopes, symbols, max qty, IP allowlist on all requests)",
            ping(&policed),
        ),
        ("POST /api/v1/placeorder, primary key", place(primary)),
        (
            "POST /api/v1/placeorder, named key (place, symbols, max qty, IP allowlist)",
            place(&trader),
        ),
    ];
    let mut results: Vec<Stats> = (0..scenarios.len()).map(|_| Stats::default()).collect();
    let dur = Duration::from_secs_f64(args.seconds);
    // Odd rounds run the scenarios in reverse (ABBA), so a cost that grows during the run
    // (the day's orders pile up) weighs on each scenario alike.
    for round in 0..args.rounds {
        let mut order: Vec<usize> = (0..scenarios.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let make = scenarios[i].1.clone();
            results[i].merge(load(addr, make, 200, args.connections, dur).await?);
        }
    }
    println!(
        "\n## Named keys at {} connections ({} rounds x {} s each, alternating, odd rounds reversed)\n",
        args.connections, args.rounds, args.seconds
    );
    println!("| scenario | req/s | p50 ms | p99 ms | unexpected status |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for ((name, _), st) in scenarios.iter().zip(&results) {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} | {} |",
            st.rps(),
            st.pct(0.5),
            st.pct(0.99),
            st.unexpected
        );
    }
    let r = |a: usize, b: usize| results[a].rps() / results[b].rps();
    println!();
    println!(
        "- ping, named key / primary key: **{:.2}** (target >= 0.95)",
        r(1, 0)
    );
    println!(
        "- ping, named key with its policy checked / primary key: **{:.2}**",
        r(2, 0)
    );
    println!(
        "- placeorder, named key with limits / primary key: **{:.2}**",
        r(4, 3)
    );
    Ok(())
}

/// One request on a fresh connection: status, milliseconds, body length.
async fn timed(addr: SocketAddr, req: Request<Full<Bytes>>) -> anyhow::Result<(u16, f64, usize)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let t = Instant::now();
    let res = send.send_request(req).await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, t.elapsed().as_secs_f64() * 1000.0, body.len()))
}

/// A valid client keeps trading (sequential placeorder) while one IP sprays distinct
/// unknown keys at `spray_rate`/s; its p99 is compared with a quiet period.
async fn spray_suite(args: &Args, server: &Server, key: &str) -> anyhow::Result<()> {
    let addr = server.addr;
    let dur = Duration::from_secs_f64(args.seconds * args.rounds as f64);
    let k = key.to_string();
    let trade: MakeReq = Arc::new(move |i| post_to("/api/v1/placeorder", order_body(&k, i)));
    let quiet = load(addr, trade.clone(), 200, 1, dur).await?;
    let conns = 8u32;
    let gap = Duration::from_secs_f64(f64::from(conns) / f64::from(args.spray_rate.max(1)));
    let started = Instant::now();
    let deadline = started + dur + Duration::from_millis(500);
    let mut sprayers = Vec::new();
    for c in 0..conns {
        sprayers.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            let (mut send, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut every = tokio::time::interval(gap);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let (mut sent, mut i) = (0u64, u64::from(c) << 40);
            while Instant::now() < deadline {
                every.tick().await;
                i += 1;
                let unknown = format!("{{\"apikey\":\"{:064x}\"}}", i ^ 0xabcd_0000_0000_0000);
                let res = send.send_request(post(unknown)).await?;
                res.into_body().collect().await?;
                sent += 1;
            }
            anyhow::Ok(sent)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let noisy = load(addr, trade, 200, 1, dur).await?;
    let mut sprayed = 0;
    for s in sprayers {
        sprayed += s.await??;
    }
    let rate = sprayed as f64 / started.elapsed().as_secs_f64();
    println!("\n## Unknown-key spray from one IP while a valid client trades\n");
    print_periods(
        "period | valid placeorder req/s",
        &[
            ("quiet".to_string(), &quiet),
            (format!("spray ({rate:.0} unknown keys/s achieved)"), &noisy),
        ],
    );
    println!(
        "\n- valid client p99 under spray / quiet: **{:.2}** (target <= 2)",
        noisy.pct(0.99) / quiet.pct(0.99)
    );
    Ok(())
}

async fn auth_suite(args: &Args, server: &Server, key: &str) -> anyhow::Result<()> {
    let addr = server.addr;

    let health: MakeReq = Arc::new(|_| {
        Request::get("/health")
            .header("host", "127.0.0.1")
            .body(Full::new(Bytes::new()))
            .expect("valid")
    });
    let valid_body = format!("{{\"apikey\":\"{key}\"}}");
    let valid: MakeReq = Arc::new(move |_| post(valid_body.clone()));
    let unknown_same: MakeReq =
        Arc::new(|_| post(format!("{{\"apikey\":\"{}\"}}", "e".repeat(64))));
    let unknown_distinct: MakeReq = Arc::new(|i| {
        post(format!(
            "{{\"apikey\":\"{:064x}\"}}",
            i ^ 0xdead_beef_0000_0000
        ))
    });
    // Warm the cache and the connections.
    load(addr, valid.clone(), 200, 2, Duration::from_millis(300)).await?;

    let scenarios: [(&str, MakeReq, u16); 4] = [
        ("GET /health (no auth)", health, 200),
        ("POST /api/v1/ping, valid key (cached)", valid, 200),
        (
            "POST /api/v1/ping, one unknown key (negative cache)",
            unknown_same,
            403,
        ),
        (
            "POST /api/v1/ping, distinct unknown keys (DB lookup each)",
            unknown_distinct,
            403,
        ),
    ];
    let mut results: Vec<Stats> = (0..scenarios.len()).map(|_| Stats::default()).collect();
    let dur = Duration::from_secs_f64(args.seconds);
    for _ in 0..args.rounds {
        for (i, (_, make, expect)) in scenarios.iter().enumerate() {
            results[i].merge(load(addr, make.clone(), *expect, args.connections, dur).await?);
        }
    }

    println!(
        "## Throughput at {} connections ({} rounds x {} s each, alternating)\n",
        args.connections, args.rounds, args.seconds
    );
    println!("| scenario | req/s | p50 ms | p99 ms | unexpected status |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for ((name, _, _), s) in scenarios.iter().zip(&results) {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} | {} |",
            s.rps(),
            s.pct(0.5),
            s.pct(0.99),
            s.unexpected
        );
    }
    let (h, v, u, d) = (
        results[0].rps(),
        results[1].rps(),
        results[2].rps(),
        results[3].rps(),
    );
    println!();
    println!(
        "- valid ping / health throughput: **{:.2}** (target >= 0.8)",
        v / h
    );
    println!(
        "- valid ping p99 at {} connections: **{:.3} ms** (target < 2 ms)",
        args.connections,
        results[1].pct(0.99)
    );
    println!(
        "- unknown key (negative cache) / valid ping: **{:.2}**",
        u / v
    );
    println!(
        "- distinct unknown keys (DB lookup, no Argon2) / valid ping: **{:.2}**",
        d / v
    );

    // Cache-miss cost against one argon2-cffi verification, same machine, same run.
    let one = median(miss_samples(server, "bench", args.miss_samples).await?);
    let py1 = argon2_cffi_ms(&args.python, args.miss_samples)?;
    bulk_users(server, 10_000).await?;
    let many = median(miss_samples(server, "bench", args.miss_samples).await?);
    let py2 = argon2_cffi_ms(&args.python, args.miss_samples)?;
    let py = median(vec![py1, py2, (py1 + py2) / 2.0]);
    println!();
    println!(
        "## Cache miss ({} samples each, medians)\n",
        args.miss_samples
    );
    println!("| case | ms |");
    println!("| --- | ---: |");
    println!("| miss, 1 user in the database | {one:.1} |");
    println!("| miss, 10,001 users in the database | {many:.1} |");
    println!("| one argon2-cffi verification (m=65536, t=3, p=4) | {py:.1} |");
    println!();
    println!(
        "- miss / argon2-cffi (1 user): **{:.2}** (target <= 1.5)",
        one / py
    );
    println!("- miss / argon2-cffi (10,001 users): **{:.2}**", many / py);
    println!(
        "- 10,001 users / 1 user: **{:.2}** (O(1) in users: ~1.0)",
        many / one
    );
    Ok(())
}

/// The same release binary on SQLite and on PostgreSQL, side by side: cached ping, the
/// cache miss (one indexed query + Argon2), durable placeorder; then two instances on one
/// PostgreSQL database against one, at the same total connections.
async fn postgres_suite(args: &Args, sqlite: &Server, sqlite_key: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let base = std::env::var("ALGOGATE_TEST_DATABASE")
        .context("ALGOGATE_TEST_DATABASE: run under scripts/postgres-tmp.sh run")?;
    let base = base.trim_end_matches('/');
    let name = format!("loadgen_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await?;
    let url = std::ffi::OsString::from(format!("{base}/{name}"));
    let pg = Server::start_env(&args.server_bin, vec![("DATABASE_URL".into(), url.clone())])?;
    pg.cli(
        &["user", "create", "--username", "bench", "--password-stdin"],
        Some("Loadgen-Secret-42\n"),
    )?;
    let pg_key = pg.cli(&["apikey", "show", "--user", "bench"], None)?;
    let pg2 = Server::start_env(&args.server_bin, vec![("DATABASE_URL".into(), url)])?;
    let dur = Duration::from_secs_f64(args.seconds);
    let conns = args.connections;
    let ping_of = |k: &str| -> MakeReq {
        let k = k.to_owned();
        Arc::new(move |_| post(format!("{{\"apikey\":\"{k}\"}}")))
    };
    let place_of = |k: &str| -> MakeReq {
        let k = k.to_owned();
        Arc::new(move |i| post_to("/api/v1/placeorder", order_body(&k, i)))
    };
    let [mut sp, mut pp, mut so, mut po, mut one, mut two]: [Stats; 6] = Default::default();
    for _ in 0..args.rounds {
        sp.merge(load(sqlite.addr, ping_of(sqlite_key), 200, conns, dur).await?);
        pp.merge(load(pg.addr, ping_of(&pg_key), 200, conns, dur).await?);
        so.merge(load(sqlite.addr, place_of(sqlite_key), 200, conns, dur).await?);
        po.merge(load(pg.addr, place_of(&pg_key), 200, conns, dur).await?);
        one.merge(load(pg.addr, ping_of(&pg_key), 200, conns, dur).await?);
        let half = (conns / 2).max(1);
        let (a, b) = tokio::join!(
            load(pg.addr, ping_of(&pg_key), 200, half, dur),
            load(pg2.addr, ping_of(&pg_key), 200, half, dur)
        );
        let (a, b) = (a?, b?);
        // Side by side over the same wall time: their counts add up.
        let mut both = Stats {
            count: a.count + b.count,
            elapsed: a.elapsed.max(b.elapsed),
            lat_us: a.lat_us,
            unexpected: a.unexpected + b.unexpected,
        };
        both.lat_us.extend(b.lat_us);
        two.merge(both);
    }
    let (sm, pm) = (
        median(miss_samples(sqlite, "bench", args.miss_samples).await?),
        median(miss_samples(&pg, "bench", args.miss_samples).await?),
    );
    println!(
        "\n## PostgreSQL against SQLite at {conns} connections ({} rounds x {} s, alternating)\n",
        args.rounds, args.seconds
    );
    println!("| scenario | req/s | p50 ms | p99 ms | unexpected status |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, st) in [
        ("ping, SQLite (cached key)", &sp),
        ("ping, PostgreSQL (cached key)", &pp),
        ("placeorder MARKET, SQLite (durable)", &so),
        ("placeorder MARKET, PostgreSQL (durable, account lock)", &po),
        ("ping, one PostgreSQL instance", &one),
        (
            "ping, two instances on one PostgreSQL (half the connections each)",
            &two,
        ),
    ] {
        println!(
            "| {name} | {:.0} | {:.3} | {:.3} | {} |",
            st.rps(),
            st.pct(0.5),
            st.pct(0.99),
            st.unexpected
        );
    }
    println!(
        "\n- ping PostgreSQL / SQLite: **{:.2}**",
        pp.rps() / sp.rps()
    );
    println!(
        "- placeorder PostgreSQL / SQLite: **{:.2}**",
        po.rps() / so.rps()
    );
    println!(
        "- two instances / one (ping): **{:.2}**",
        two.rps() / one.rps()
    );
    println!(
        "- cache miss (regenerated key's first ping, median of {}): SQLite {sm:.1} ms, \
         PostgreSQL {pm:.1} ms (**{:.2}**)",
        args.miss_samples,
        pm / sm
    );
    drop((pg, pg2));
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    Ok(())
}
