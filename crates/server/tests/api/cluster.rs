//! Several instances on one PostgreSQL database, whatever backend the rest of the suite
//! runs on: in-process apps and real `algogate serve` processes sharing a database of
//! their own. Key changes reach the other instance within a measured bound, order updates
//! cross instances, orders split across them never overdraw and both books agree, an
//! approval raced on two instances executes once, and when the leader is killed the other
//! instance takes over the resting orders and fills each once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use algogate_app::clock::SystemClock;
use algogate_store::OrderMode;
use serde_json::{Value, json};

use crate::binary::{Spawned, cmd, serve, wait_for_addr};
use crate::helpers::*;
use crate::ws::Ws;

/// An in-process instance on `url`.
async fn instance(url: &str) -> TestApp {
    let url = url.to_owned();
    spawn_app_with(Arc::new(SystemClock), move |c| {
        c.database_url = url;
        // Hundreds of orders a second here: the per-instance limits are not under test.
        c.rate_limits.order.clear();
        c.rate_limits.api.clear();
    })
    .await
}

/// An `algogate serve` process on `url`: its HTTP base URL and WebSocket URL.
async fn process(url: &str) -> (Spawned, Arc<std::sync::Mutex<String>>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cmd(dir.path());
    c.env("DATABASE_URL", url)
        .env("ORDER_RATE_LIMIT", "10000 per second")
        .env("API_RATE_LIMIT", "10000 per second");
    let (server, out) = serve(&mut c);
    let addr = wait_for_addr(&out).await;
    let ws = wait_for_line(&out, "WebSocket feed on ", Duration::from_secs(10))
        .await
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // The data directory only holds generated files; the database is the shared one.
    std::mem::forget(dir);
    (server, out, addr, ws)
}

async fn wait_for_line(out: &std::sync::Mutex<String>, prefix: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        if let Some(rest) = out
            .lock()
            .unwrap()
            .lines()
            .find_map(|l| l.find(prefix).map(|i| l[i + prefix.len()..].to_owned()))
        {
            return rest;
        }
        assert!(Instant::now() < deadline, "no line with {prefix:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    key: &str,
    mut body: Value,
) -> (u16, Value) {
    body["apikey"] = Value::from(key);
    let r = client
        .post(format!("{base}/api/v1/{name}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A figure of OpenAlgo's funds (a number, or a number in a string).
fn num(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

fn order(extra: Value) -> Value {
    let mut body = json!({
        "strategy": "cluster", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
        "quantity": "1", "pricetype": "MARKET", "product": "MIS",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_keys_order_updates_funds_and_approvals() {
    let url = algogate_testpg::fresh_database("cluster").await;
    let a = instance(&url).await;
    let (mut b_proc, _b_out, b, b_ws) = process(&url).await;
    let http = reqwest::Client::new();
    let (uid, key) = a.create_user("trader").await;
    let mut key = key.expose().to_string();

    // Regenerated on A: the old key fails on A at once and on B within the bound.
    let runs: usize = std::env::var("ALGOGATE_CLUSTER_REGENERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut waits = Vec::with_capacity(runs);
    for _ in 0..runs {
        assert_eq!(call(&http, &b, "ping", &key, json!({})).await.0, 200);
        let (new, _) = a.state.keys().regenerate(uid).await.unwrap();
        let done = Instant::now();
        assert_eq!(a.ping(&key).await.0, 403);
        loop {
            if call(&http, &b, "ping", &key, json!({})).await.0 == 403 {
                break;
            }
            assert!(
                done.elapsed() < Duration::from_secs(5),
                "B kept the old key"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        waits.push(done.elapsed());
        key = new.expose().to_string();
    }
    waits.sort();
    let p = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "cluster: old key refused on the other instance after regeneration, {runs} runs: \
         p50 {:.1} ms, p99 {:.1} ms, p100 {:.1} ms",
        p(0.5),
        p(0.99),
        p(1.0)
    );
    // The fallback is the once-a-second poll: a notification must beat it.
    assert!(p(1.0) < 1000.0, "{waits:?}");

    // An order placed on A reaches an order socket on B.
    let mut ws = Ws::connect(&b_ws).await;
    ws.auth(&key).await;
    ws.ask(json!({"action": "subscribe_orders"})).await;
    let (s, placed) = call(&http, &a.base, "placeorder", &key, order(json!({}))).await;
    assert_eq!(s, 200, "{placed}");
    let id = placed["orderid"].as_str().unwrap().to_owned();
    let update = loop {
        let v = ws.json().await;
        if v["type"] == "order_update" && v["orderid"] == id.as_str() {
            break v;
        }
    };
    assert_eq!(update["user_id"], "trader", "{update}");

    // 200 resting orders split across both never overdraw, and both books agree.
    let (_, funds) = call(&http, &a.base, "funds", &key, json!({})).await;
    let cash = num(&funds["data"]["availablecash"]);
    let ltp = a
        .state
        .market()
        .quote("SBIN", algogate_broker::Exchange::Nse)
        .unwrap()
        .ltp;
    let price = (ltp * 0.5).round();
    // About 150 fit whatever the margin rule: sized on what the first order blocks.
    let probe = order(json!({"pricetype": "LIMIT", "price": price.to_string(), "quantity": "10"}));
    assert_eq!(call(&http, &a.base, "placeorder", &key, probe).await.0, 200);
    let (_, after) = call(&http, &b, "funds", &key, json!({})).await;
    let left = num(&after["data"]["availablecash"]);
    let per_ten = cash - left;
    assert!(per_ten > 0.0, "{funds} {after}");
    let qty = ((left / 150.0) / (per_ten / 10.0)).floor().max(1.0) as i64;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.clone()
        };
        let (http, key) = (http.clone(), key.clone());
        let body = order(json!({"pricetype": "LIMIT", "price": price.to_string(),
                                "quantity": qty.to_string()}));
        tasks.push(tokio::spawn(async move {
            call(&http, &base, "placeorder", &key, body).await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        let (s, body) = t.await.unwrap();
        match s {
            200 => ok += 1,
            400 => {
                refused += 1;
                assert!(
                    body["message"].as_str().unwrap_or("").contains("margin")
                        || body["message"].as_str().unwrap_or("").contains("funds"),
                    "{body}"
                );
            }
            _ => panic!("{s} {body}"),
        }
    }
    assert!(ok > 100 && refused > 0, "ok {ok}, refused {refused}");
    let (_, fa) = call(&http, &a.base, "funds", &key, json!({})).await;
    let (_, fb) = call(&http, &b, "funds", &key, json!({})).await;
    assert_eq!(fa["data"], fb["data"]);
    let available = num(&fa["data"]["availablecash"]);
    assert!(available >= 0.0, "{fa}");
    let (_, ba) = call(&http, &a.base, "orderbook", &key, json!({})).await;
    let (_, bb) = call(&http, &b, "orderbook", &key, json!({})).await;
    assert_eq!(ba["data"], bb["data"]);
    let open = ba["data"]["statistics"]["total_open_orders"]
        .as_u64()
        .unwrap();
    assert_eq!(open as usize, ok + 1, "{}", ba["data"]["statistics"]);

    // A queued order approved 20 times at once, on two instances: executed once.
    let a2 = instance(&url).await;
    a.state
        .keys()
        .set_order_mode(uid, OrderMode::SemiAuto)
        .await
        .unwrap();
    // B hears of the mode within the bound measured above; give it ten times the worst.
    tokio::time::sleep(Duration::from_millis((p(1.0) * 10.0).max(200.0) as u64)).await;
    let (s, queued) = call(&http, &b, "placeorder", &key, order(json!({}))).await;
    assert_eq!(s, 200, "{queued}");
    let pending = queued["pending_order_id"].as_i64().expect("queued");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = if i % 2 == 0 {
            a.state.clone()
        } else {
            a2.state.clone()
        };
        tasks.push(tokio::spawn(async move {
            app.action_center()
                .approve(app.engine(), uid, "trader", pending)
                .await
                .unwrap()
        }));
    }
    let mut executed = 0;
    for t in tasks {
        if matches!(
            t.await.unwrap(),
            algogate_app::action_center::Approval::Executed { .. }
        ) {
            executed += 1;
        }
    }
    assert_eq!(executed, 1);
    let (_, book) = call(&http, &b, "orderbook", &key, json!({})).await;
    assert_eq!(
        book["data"]["orders"].as_array().unwrap().len(),
        ba["data"]["orders"].as_array().unwrap().len() + 1
    );

    crate::binary::sigterm_and_wait(&mut b_proc);
    a2.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_leader_is_killed_the_other_instance_fills_its_resting_orders_once() {
    let url = algogate_testpg::fresh_database("failover").await;
    let (mut leader, out, _, _) = process(&url).await;
    wait_for_line(&out, "this instance leads", Duration::from_secs(10)).await;
    let a = instance(&url).await;
    let (_, key) = a.create_user("trader").await;
    let key = key.expose().to_string();
    let http = reqwest::Client::new();
    // Resting orders a tick either side of the market: one of them fills on the next
    // moves, on whichever instance leads.
    let ltp = a
        .state
        .market()
        .quote("SBIN", algogate_broker::Exchange::Nse)
        .unwrap()
        .ltp;
    let mut ids = Vec::new();
    for (action, price) in [("BUY", ltp - 0.05), ("SELL", ltp + 0.05)] {
        let body = order(json!({"action": action, "pricetype": "LIMIT",
                                "price": format!("{price:.2}")}));
        let (s, b) = call(&http, &a.base, "placeorder", &key, body).await;
        assert_eq!(s, 200, "{b}");
        ids.push(b["orderid"].as_str().unwrap().to_owned());
    }
    assert!(!a.state.engine().leading());
    // kill -9: no goodbye; PostgreSQL releases the dead session's lock.
    leader.0.kill().unwrap();
    leader.0.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.state.engine().leading() {
        assert!(
            Instant::now() < deadline,
            "the other instance never took over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let filled = loop {
        let (_, book) = call(&http, &a.base, "orderbook", &key, json!({})).await;
        let done: Vec<String> = book["data"]["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["order_status"] == "complete")
            .map(|o| o["orderid"].as_str().unwrap().to_owned())
            .collect();
        if !done.is_empty() {
            break done;
        }
        assert!(
            Instant::now() < deadline,
            "no resting order filled in two minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Once: one trade per filled order.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, trades) = call(&http, &a.base, "tradebook", &key, json!({})).await;
    for id in &filled {
        let n = trades["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["orderid"] == id.as_str())
            .count();
        assert_eq!(n, 1, "{trades}");
    }
    a.stop().await;
}

/// Failed logins and denied keys count once across instances: an attacker who spreads
/// attempts over two instances gets the allowance of one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_failures_and_invalid_keys_count_across_instances() {
    use algogate_app::throttle::{LoginThrottle, ThrottleConfig, ThrottleError};
    let url = algogate_testpg::fresh_database("cluster_counters").await;
    let a = instance(&url).await;
    let b = instance(&url).await;
    let cfg = ThrottleConfig {
        max_per_user: 4,
        max_per_ip: 100,
        window_ms: 60_000,
    };
    let on_a = LoginThrottle::for_store(Arc::new(SystemClock), cfg, a.state.store());
    let on_b = LoginThrottle::for_store(Arc::new(SystemClock), cfg, b.state.store());
    let ip: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    // Four reservations at once, two per instance: the fifth waits on either.
    let (r1, r2, r3, r4) = tokio::join!(
        on_a.reserve(ip, "admin"),
        on_b.reserve(ip, "admin"),
        on_a.reserve(ip, "Admin"),
        on_b.reserve(ip, "admin"),
    );
    let held = [r1, r2, r3, r4].map(|r| r.expect("within the limit"));
    assert!(matches!(
        on_a.reserve(ip, "admin").await,
        Err(ThrottleError::Wait(1))
    ));
    for h in held {
        h.failed().await;
    }
    // Four failures, made on two instances, block the user on both for the window.
    for t in [&on_a, &on_b] {
        match t.reserve(ip, "ADMIN").await {
            Err(ThrottleError::Wait(s)) => assert!((55..=60).contains(&s), "{s}"),
            other => panic!("expected a wait, got {other:?}"),
        }
    }
    assert!(on_b.reserve(ip, "someone").await.is_ok());

    // Denied keys: three on A and two on B are five for that IP on both.
    let now = || algogate_app::clock::Clock::now_ms(&SystemClock);
    for i in 0..5u8 {
        let s = if i < 3 {
            a.state.security()
        } else {
            b.state.security()
        };
        s.record_invalid_key(ip, &i.to_string().repeat(64), now())
            .await
            .unwrap();
    }
    for s in [a.state.security(), b.state.security()] {
        let seen = s.attempts(now()).await.unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].attempt_count, 5);
    }
}
