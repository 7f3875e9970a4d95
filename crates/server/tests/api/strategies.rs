//! Strategy webhooks (TradingView, Chartink, …): OpenAlgo's decision table per mode, its
//! messages and status codes, time windows and square-off on an injected clock, and what
//! the strategy's own key adds (quantity, IPs, semi-auto, orders per day, revocation).

use std::sync::Arc;

use algogate_app::clock::ManualClock;
use algogate_app::keypolicy::KeyPolicy;
use algogate_app::strategies::{Limits, Mapping, Mode, StrategySpec, Window};
use algogate_broker::Exchange;
use algogate_broker::engine::{AccountId, Product};
use algogate_store::UserId;
use serde_json::{Value, json};

use crate::helpers::*;

fn spec(name: &str, platform: &str, mode: Mode, maps: &[&str]) -> StrategySpec {
    StrategySpec {
        name: name.into(),
        platform: platform.into(),
        mode,
        window: None,
        mappings: maps.iter().map(|m| m.parse::<Mapping>().unwrap()).collect(),
        limits: Limits::default(),
    }
}

struct Hook {
    app: TestApp,
    user: UserId,
    key: String,
}

impl Hook {
    async fn new() -> Self {
        Self::on(spawn_app().await).await
    }
    async fn on(app: TestApp) -> Self {
        let (user, key) = app.create_user("strat").await;
        Self {
            app,
            user,
            key: key.expose().to_owned(),
        }
    }
    async fn create(&self, s: &StrategySpec) -> (i64, String) {
        let (id, secret) = self
            .app
            .state
            .strategies()
            .create(self.user, s)
            .await
            .unwrap();
        note_secret(secret.expose());
        (id, secret.expose().to_owned())
    }
    async fn send(&self, route: &str, secret: &str, ct: &str, body: &str) -> (u16, Value) {
        self.app
            .post_raw(&format!("/{route}/webhook/{secret}"), ct, body.to_owned())
            .await
    }
    async fn alert(&self, secret: &str, body: Value) -> (u16, Value) {
        self.send("strategy", secret, "application/json", &body.to_string())
            .await
    }
    async fn position(&self, symbol: &str, product: Product) -> i64 {
        self.app
            .state
            .engine()
            .open_position(AccountId(self.user.0), symbol, Exchange::Nse, product)
            .await
            .unwrap()
    }
    async fn orders(&self) -> Vec<Value> {
        let (s, b) = self
            .app
            .post_json("/api/v1/orderbook", &json!({"apikey": self.key}))
            .await;
        assert_eq!(s, 200, "{b}");
        b["data"]["orders"].as_array().cloned().unwrap_or_default()
    }
    async fn log(&self, id: i64) -> Vec<algogate_store::AlertRow> {
        self.app
            .state
            .strategies()
            .alerts(self.user, id, 200)
            .await
            .unwrap()
    }
}

fn queued(symbol: &str) -> Value {
    json!({"message": format!("Order queued successfully for {symbol}")})
}

fn error(msg: &str) -> Value {
    json!({ "error": msg })
}

#[tokio::test]
async fn long_mode_enters_with_placeorder_and_exits_with_a_smart_order() {
    let h = Hook::new().await;
    let (_, s) = h
        .create(&spec(
            "sbin",
            "tradingview",
            Mode::Long,
            &["NSE:SBIN:10:MIS"],
        ))
        .await;
    let r = h
        .alert(&s, json!({"symbol": "SBIN", "action": "BUY"}))
        .await;
    assert_eq!(r, (200, queued("SBIN")));
    assert_eq!(h.position("SBIN", Product::Mis).await, 10);
    let r = h
        .alert(
            &s,
            json!({"symbol": "SBIN", "action": "buy", "position_size": 5}),
        )
        .await;
    assert_eq!(r, (200, queued("SBIN")));
    assert_eq!(h.position("SBIN", Product::Mis).await, 15);
    // Exit: a smart order to position 0 whatever the alert's size.
    let r = h
        .alert(
            &s,
            json!({"symbol": "SBIN", "action": "SELL", "quantity": 99}),
        )
        .await;
    assert_eq!(r, (200, queued("SBIN")));
    assert_eq!(h.position("SBIN", Product::Mis).await, 0);
    let orders = h.orders().await;
    assert_eq!(orders.len(), 3);
    for o in &orders {
        assert_eq!(o["strategy"], "tradingview_sbin", "{o}");
        assert_eq!(o["pricetype"], "MARKET");
        assert_eq!(o["product"], "MIS");
    }
    let mut sizes: Vec<(String, i64)> = orders
        .iter()
        .map(|o| {
            (
                o["action"].as_str().unwrap().to_owned(),
                o["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        [("BUY".into(), 5), ("BUY".into(), 10), ("SELL".into(), 15)]
    );
    h.app.stop().await;
}

#[tokio::test]
async fn short_and_both_modes_follow_openalgos_table() {
    let h = Hook::new().await;
    let (_, short) = h
        .create(&spec("s", "amibroker", Mode::Short, &["NSE:SBIN:10:MIS"]))
        .await;
    assert_eq!(
        h.alert(&short, json!({"symbol": "SBIN", "action": "SELL"}))
            .await,
        (200, queued("SBIN"))
    );
    assert_eq!(h.position("SBIN", Product::Mis).await, -10);
    assert_eq!(
        h.alert(&short, json!({"symbol": "SBIN", "action": "BUY"}))
            .await,
        (200, queued("SBIN"))
    );
    assert_eq!(h.position("SBIN", Product::Mis).await, 0);
    let (_, both) = h
        .create(&spec("b", "python", Mode::Both, &["NSE:INFY:10:MIS"]))
        .await;
    let at = |n: i64| json!({"symbol": "INFY", "action": if n >= 0 {"BUY"} else {"SELL"}, "position_size": n});
    assert_eq!(h.alert(&both, at(10)).await, (200, queued("INFY")));
    assert_eq!(h.position("INFY", Product::Mis).await, 10);
    // Reversal in one alert: the smart order trades the difference.
    assert_eq!(h.alert(&both, at(-10)).await, (200, queued("INFY")));
    assert_eq!(h.position("INFY", Product::Mis).await, -10);
    let flat = json!({"symbol": "INFY", "action": "SELL", "position_size": "0"});
    assert_eq!(h.alert(&both, flat).await, (200, queued("INFY")));
    assert_eq!(h.position("INFY", Product::Mis).await, 0);
    for (body, msg) in [
        (
            json!({"symbol": "INFY", "action": "BUY", "position_size": -1}),
            "For BUY orders in BOTH mode, position_size must be >= 0",
        ),
        (
            json!({"symbol": "INFY", "action": "SELL", "position_size": 1}),
            "For SELL orders in BOTH mode, position_size must be <= 0",
        ),
        (
            json!({"symbol": "INFY", "action": "BUY"}),
            "Missing required fields: position_size",
        ),
        (
            json!({"symbol": "INFY", "action": "SHORT", "position_size": 0}),
            "Invalid action. Use BUY or SELL",
        ),
        (
            json!({"symbol": "INFY", "action": "BUY", "position_size": "10.0"}),
            "position_size must be an integer",
        ),
    ] {
        assert_eq!(
            h.alert(&both, body.clone()).await,
            (400, error(msg)),
            "{body}"
        );
    }
    // Larger than the mapping: the strategy key's quantity limit, nothing placed.
    let (s, b) = h
        .alert(
            &both,
            json!({"symbol": "INFY", "action": "BUY", "position_size": 11}),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(
        b["error"],
        "Order quantity exceeds this API key's maximum quantity per order of 10"
    );
    assert_eq!(h.orders().await.len(), 5);
    h.app.stop().await;
}

#[tokio::test]
async fn refusals_carry_openalgos_messages_and_place_nothing() {
    let h = Hook::new().await;
    let (id, s) = h
        .create(&spec("r", "tradingview", Mode::Long, &["NSE:SBIN:10:MIS"]))
        .await;
    let unknown = "0".repeat(64);
    for bad in [unknown.as_str(), "not-a-secret", &s.to_uppercase()] {
        let r = h
            .alert(bad, json!({"symbol": "SBIN", "action": "BUY"}))
            .await;
        assert_eq!(r, (404, error("Invalid webhook ID")), "{bad}");
    }
    // The id of a strategy opens only its own route.
    let r = h.send("chartink", &s, "application/json", "{}").await;
    assert_eq!(r.0, 404);
    for (body, msg) in [
        ("", "No data received"),
        ("{}", "No data received"),
        ("[1, 2]", "Invalid JSON payload"),
        (r#"{"action":"BUY"}"#, "Missing required fields: symbol"),
        (r#"{"symbol":"SBIN"}"#, "Missing required fields: action"),
        (
            r#"{"symbol":"SBIN","action":"SHORT"}"#,
            "Invalid action for LONG mode. Use BUY to enter, SELL to exit",
        ),
        (
            r#"{"symbol":"sbin","action":"BUY"}"#,
            "No mapping found for symbol sbin",
        ),
        (
            r#"{"symbol":"RELIANCE","action":"BUY"}"#,
            "No mapping found for symbol RELIANCE",
        ),
    ] {
        let r = h.send("strategy", &s, "application/json", body).await;
        assert_eq!(r, (400, error(msg)), "{body}");
    }
    let (st, b) = h
        .alert(
            &s,
            json!({"symbol": "SBIN", "action": "BUY", "position_size": 25}),
        )
        .await;
    assert_eq!(st, 403, "{b}");
    h.app
        .state
        .strategies()
        .set_active(h.user, id, false)
        .await
        .unwrap();
    let r = h
        .alert(&s, json!({"symbol": "SBIN", "action": "BUY"}))
        .await;
    assert_eq!(r, (400, error("Strategy is inactive")));
    assert!(h.orders().await.is_empty());
    // Too large a body is refused before it is read whole.
    let big = format!(r#"{{"symbol":"SBIN","pad":"{}"}}"#, "x".repeat(70_000));
    let (st, _) = h.send("strategy", &s, "application/json", &big).await;
    assert_eq!(st, 413);
    h.app.stop().await;
}

#[tokio::test]
async fn tradingview_text_plain_bodies_are_read_as_json() {
    let h = Hook::new().await;
    let (_, s) = h
        .create(&spec("tv", "tradingview", Mode::Long, &["NSE:SBIN:3:CNC"]))
        .await;
    let r = h
        .send(
            "strategy",
            &s,
            "text/plain; charset=utf-8",
            r#"{"symbol":"SBIN","action":"BUY"}"#,
        )
        .await;
    assert_eq!(r, (200, queued("SBIN")));
    assert_eq!(h.position("SBIN", Product::Cnc).await, 3);
    // A plain-text message that is not JSON is a clear 400, never a 500.
    let r = h.send("strategy", &s, "text/plain", "BUY SBIN now").await;
    assert_eq!(r, (400, error("Invalid JSON payload")));
    h.app.stop().await;
}

#[tokio::test]
async fn time_windows_follow_the_injected_clock_at_minute_granularity() {
    let clock = Arc::new(ManualClock::at_ist(2026, 1, 6, 9, 29, 0));
    let h = Hook::on(spawn_app_with(clock.clone(), |_| {}).await).await;
    let mut sp = spec("w", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]);
    sp.window = Some(Window::parse("09:30", "15:00", "15:10").unwrap());
    let (_, s) = h.create(&sp).await;
    let buy = json!({"symbol": "SBIN", "action": "BUY"});
    let sell = json!({"symbol": "SBIN", "action": "SELL"});
    let r = h.alert(&s, buy.clone()).await;
    assert_eq!(
        r,
        (400, error("Entry orders not allowed before start time"))
    );
    let r = h.alert(&s, sell.clone()).await;
    assert_eq!(r, (400, error("Exit orders not allowed before start time")));
    clock.set(ist(2026, 1, 6, 15, 0, 59));
    assert_eq!(h.alert(&s, buy.clone()).await, (200, queued("SBIN")));
    clock.set(ist(2026, 1, 6, 15, 1, 0));
    let r = h.alert(&s, buy.clone()).await;
    assert_eq!(r, (400, error("Entry orders not allowed after end time")));
    clock.set(ist(2026, 1, 6, 15, 10, 30));
    assert_eq!(h.alert(&s, sell.clone()).await, (200, queued("SBIN")));
    clock.set(ist(2026, 1, 6, 15, 11, 0));
    let r = h.alert(&s, sell).await;
    assert_eq!(
        r,
        (400, error("Exit orders not allowed after square off time"))
    );
    h.app.stop().await;
}

fn ist(y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> chrono::DateTime<chrono::Utc> {
    use algogate_app::clock::Clock;
    ManualClock::at_ist(y, m, d, hh, mm, ss).now()
}

#[tokio::test]
async fn intraday_positions_are_squared_off_once_at_the_square_off_time() {
    let clock = Arc::new(ManualClock::at_ist(2026, 1, 6, 10, 0, 0));
    let h = Hook::on(spawn_app_with(clock.clone(), |_| {}).await).await;
    let mut sp = spec(
        "sq",
        "tradingview",
        Mode::Both,
        &["NSE:SBIN:5:MIS", "NSE:INFY:5:MIS"],
    );
    sp.window = Some(Window::parse("09:30", "15:00", "15:10").unwrap());
    let (id, s) = h.create(&sp).await;
    let r = h
        .alert(
            &s,
            json!({"symbol": "SBIN", "action": "SELL", "position_size": -5}),
        )
        .await;
    assert_eq!(r, (200, queued("SBIN")));
    let strategies = h.app.state.strategies();
    let (engine, center) = (h.app.state.engine(), h.app.state.action_center());
    clock.set(ist(2026, 1, 6, 15, 9, 59));
    assert_eq!(strategies.run_squareoffs(engine, center).await.unwrap(), 0);
    assert_eq!(h.position("SBIN", Product::Mis).await, -5);
    clock.set(ist(2026, 1, 6, 15, 10, 0));
    assert_eq!(strategies.run_squareoffs(engine, center).await.unwrap(), 1);
    assert_eq!(h.position("SBIN", Product::Mis).await, 0);
    // Once per session, however often the job runs.
    assert_eq!(strategies.run_squareoffs(engine, center).await.unwrap(), 0);
    let log = h.log(id).await;
    assert_eq!(log[0].payload, "(square-off at 15:10 IST)");
    assert_eq!(log[0].outcome, "placed");
    assert!(log[0].detail.starts_with("SBIN: "), "{}", log[0].detail);
    assert!(!log[0].detail.contains("INFY"), "no INFY position to close");
    // The next session squares off again, and only at its square-off time.
    clock.set(ist(2026, 1, 7, 10, 0, 0));
    let r = h
        .alert(
            &s,
            json!({"symbol": "INFY", "action": "BUY", "position_size": 5}),
        )
        .await;
    assert_eq!(r, (200, queued("INFY")));
    assert_eq!(strategies.run_squareoffs(engine, center).await.unwrap(), 0);
    assert_eq!(h.position("INFY", Product::Mis).await, 5);
    clock.set(ist(2026, 1, 7, 15, 12, 0));
    assert_eq!(strategies.run_squareoffs(engine, center).await.unwrap(), 1);
    assert_eq!(h.position("INFY", Product::Mis).await, 0);
    // Past the grace minutes a missed square-off does not run (a new strategy does not
    // close positions at any later hour).
    clock.set(ist(2026, 1, 8, 15, 30, 0));
    assert_eq!(strategies.run_squareoffs(engine, center).await.unwrap(), 0);
    h.app.stop().await;
}

#[tokio::test]
async fn semi_auto_strategies_queue_in_the_action_center_with_their_key() {
    let h = Hook::new().await;
    let mut sp = spec("semi", "tradingview", Mode::Long, &["NSE:SBIN:2:MIS"]);
    sp.limits.semi_auto = true;
    let (id, s) = h.create(&sp).await;
    let r = h
        .alert(&s, json!({"symbol": "SBIN", "action": "BUY"}))
        .await;
    assert_eq!(r, (200, queued("SBIN")));
    assert_eq!(h.position("SBIN", Product::Mis).await, 0);
    let store = h.app.state.store();
    let ids = store.pending_ids(h.user).await.unwrap();
    assert_eq!(ids.len(), 1);
    let row = store.pending_row(h.user, ids[0]).await.unwrap().unwrap();
    assert_eq!(row.api_type, "placeorder");
    let key = row.key_name.unwrap();
    assert!(key.starts_with(&format!("strategy.{id}.")), "{key}");
    let data: Value = serde_json::from_str(&row.order_data).unwrap();
    assert_eq!(data["strategy"], "tradingview_semi");
    assert_eq!(
        data["quantity"].as_f64(),
        Some(2.0),
        "the post-schema value"
    );
    assert!(data.get("apikey").is_none());
    let log = h.log(id).await;
    assert_eq!(log[0].outcome, "queued");
    h.app.stop().await;
}

#[tokio::test]
async fn rotation_retires_the_old_url_at_once() {
    let h = Hook::new().await;
    let (id, old) = h
        .create(&spec("rot", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]))
        .await;
    let new = h.app.state.strategies().rotate(h.user, id).await.unwrap();
    note_secret(new.expose());
    let buy = json!({"symbol": "SBIN", "action": "BUY"});
    assert_eq!(
        h.alert(&old, buy.clone()).await,
        (404, error("Invalid webhook ID"))
    );
    assert_eq!(h.alert(new.expose(), buy).await, (200, queued("SBIN")));
    h.app.stop().await;
}

#[tokio::test]
async fn the_strategy_key_carries_ip_limits_orders_per_day_and_revocation() {
    let h = Hook::new().await;
    let mut sp = spec("ip", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]);
    sp.limits.allow_ips = KeyPolicy::parse_ips(["52.89.214.238"]).unwrap();
    let (_, s) = h.create(&sp).await;
    let (st, b) = h
        .alert(&s, json!({"symbol": "SBIN", "action": "BUY"}))
        .await;
    assert_eq!(st, 403, "{b}");
    assert_eq!(
        b["error"],
        "This API key does not allow requests from this IP address (IP allowlist)"
    );
    let mut sp = spec("cap", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]);
    sp.limits.max_orders_per_day = Some(2);
    sp.limits.allow_ips = KeyPolicy::parse_ips(["127.0.0.0/8"]).unwrap();
    let (id, s) = h.create(&sp).await;
    let buy = json!({"symbol": "SBIN", "action": "BUY"});
    for _ in 0..2 {
        assert_eq!(h.alert(&s, buy.clone()).await, (200, queued("SBIN")));
    }
    let (st, b) = h.alert(&s, buy.clone()).await;
    assert_eq!(st, 403, "{b}");
    assert_eq!(
        b["error"],
        "This API key has reached its maximum of 2 orders per day"
    );
    assert_eq!(h.orders().await.len(), 2);
    // Revoking the strategy's key stops its webhook: OpenAlgo's 401.
    let key = h
        .app
        .state
        .strategies()
        .get(h.user, id)
        .await
        .unwrap()
        .key_name
        .unwrap();
    h.app.state.keys().revoke_named(h.user, &key).await.unwrap();
    assert_eq!(h.alert(&s, buy).await, (401, error("No API key found")));
    h.app.stop().await;
}

#[tokio::test]
async fn chartink_scans_place_per_stock_as_openalgo() {
    let h = Hook::new().await;
    let (id, s) = h
        .create(&spec(
            "breakout",
            "chartink",
            Mode::Long,
            &["NSE:RELIANCE:5:MIS", "NSE:SBIN:20:MIS"],
        ))
        .await;
    let scan = |name: &str, stocks: &str| {
        json!({"stocks": stocks, "trigger_prices": "2950.5,810.2", "triggered_at": "2:34 pm",
               "scan_name": name, "scan_url": "x", "alert_name": "a", "webhook_url": "u"})
        .to_string()
    };
    // The id of a Chartink strategy does not open the strategy route.
    assert_eq!(h.alert(&s, json!({"symbol": "SBIN"})).await.0, 404);
    let r = h
        .send(
            "chartink",
            &s,
            "application/json",
            &scan("Morning BUY", "RELIANCE,SBIN,TCS"),
        )
        .await;
    assert_eq!(
        r,
        (
            200,
            json!({"status": "success", "message": "Orders queued for symbols: RELIANCE, SBIN"})
        )
    );
    assert_eq!(h.position("RELIANCE", Product::Mis).await, 5);
    assert_eq!(h.position("SBIN", Product::Mis).await, 20);
    let r = h
        .send(
            "chartink",
            &s,
            "application/json",
            &scan("exit SELL", "SBIN"),
        )
        .await;
    assert_eq!(r.0, 200, "{:?}", r.1);
    assert_eq!(h.position("SBIN", Product::Mis).await, 0);
    let r = h
        .send(
            "chartink",
            &s,
            "application/json",
            &scan("Morning BUY", "TCS"),
        )
        .await;
    assert_eq!(
        r,
        (
            200,
            json!({"status": "warning", "message": "No orders were queued"})
        )
    );
    let r = h
        .send("chartink", &s, "application/json", &scan("nothing", "SBIN"))
        .await;
    assert_eq!(
        r,
        (
            400,
            json!({"status": "error",
                   "error": "No valid action keyword (BUY/SELL/SHORT/COVER) found in scan name"})
        )
    );
    let r = h
        .send("chartink", &"f".repeat(64), "application/json", "{}")
        .await;
    assert_eq!(
        r,
        (
            404,
            json!({"status": "error", "error": "Invalid webhook ID"})
        )
    );
    h.app
        .state
        .strategies()
        .set_active(h.user, id, false)
        .await
        .unwrap();
    let r = h
        .send("chartink", &s, "application/json", &scan("BUY", "SBIN"))
        .await;
    assert_eq!(
        r,
        (
            200,
            json!({"status": "success", "message": "Strategy is inactive"})
        )
    );
    h.app.stop().await;
}

#[tokio::test]
async fn the_alert_log_keeps_each_alert_masked_and_bounded() {
    let h = Hook::new().await;
    let (id, s) = h
        .create(&spec("log", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]))
        .await;
    h.alert(
        &s,
        json!({"symbol": "SBIN", "action": "BUY", "apikey": "my-old-secret-key"}),
    )
    .await;
    h.alert(&s, json!({"symbol": "TCS", "action": "BUY"})).await;
    let log = h.log(id).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, "refused");
    assert_eq!(log[0].status, 400);
    assert_eq!(log[0].detail, "No mapping found for symbol TCS");
    assert_eq!(log[1].outcome, "placed");
    assert!(log[1].detail.starts_with("SB") || !log[1].detail.is_empty());
    assert!(
        !log[1].payload.contains("my-old-secret-key"),
        "{}",
        log[1].payload
    );
    assert_eq!(log[1].source_ip.as_deref(), Some("127.0.0.1"));
    assert!(
        !log.iter()
            .any(|a| a.payload.contains(&s) || a.detail.contains(&s))
    );
    // Bounded: the newest 200 are kept.
    let store = h.app.state.store();
    for i in 0..210 {
        let at = format!("t{i}");
        let a = algogate_store::NewAlert {
            at: &at,
            source_ip: None,
            payload: "{}",
            outcome: "refused",
            status: 400,
            detail: "x",
        };
        store.insert_alert(id, &a, 200).await.unwrap();
    }
    let log = store.strategy_alerts(id, 1000).await.unwrap();
    assert_eq!(log.len(), 200);
    assert_eq!(log[0].at, "t209");
    h.app.stop().await;
}

#[tokio::test]
async fn webhooks_are_rate_limited_with_openalgos_redirect() {
    let app = spawn_app_with(Arc::new(algogate_app::clock::SystemClock), |c| {
        c.rate_limits.webhook = algogate_app::ratelimit::parse_limits("2 per minute").unwrap();
    })
    .await;
    let h = Hook::on(app).await;
    let (_, s) = h
        .create(&spec("rl", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]))
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/strategy/webhook/{s}", h.app.base);
    for want in [200, 200, 302] {
        let res = client
            .post(&url)
            .body(r#"{"symbol":"SBIN","action":"BUY"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), want);
        if want == 302 {
            assert_eq!(res.headers()["location"], "/rate-limited");
        }
    }
    // Chartink's route has its own counter.
    let res = client
        .post(format!(
            "{}/chartink/webhook/{}",
            h.app.base,
            "a".repeat(64)
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    h.app.stop().await;
}

#[tokio::test]
async fn the_cli_creates_and_lists_strategies_against_a_running_server() {
    use crate::binary::{cmd, create_admin, run, serve, sigterm_and_wait, wait_for_addr};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = create_admin(d, "strategy-cli-password-31c9");
    let (mut server, out) = serve(&mut cmd(d));
    let base = wait_for_addr(&out).await;
    let (ok, stdout, err) = run(
        d,
        &[
            "strategy",
            "create",
            "--user",
            "admin",
            "--name",
            "nifty trend",
            "--platform",
            "tradingview",
            "--mode",
            "BOTH",
            "--map",
            "NSE:SBIN:10:MIS",
            "--map",
            "NSE:INFY:4:CNC",
            "--max-orders-per-day",
            "5",
            "--base-url",
            &base,
        ],
        None,
    );
    assert!(ok, "{err}");
    let url = stdout.lines().last().unwrap().trim().to_owned();
    let secret = url
        .strip_prefix(&format!("{base}/strategy/webhook/"))
        .unwrap_or_else(|| panic!("a webhook URL: {url:?}"))
        .to_owned();
    note_secret(&secret);
    assert!(secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()));
    let client = reqwest::Client::new();
    let res = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"symbol":"SBIN","action":"BUY","position_size":"10"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, queued("SBIN"));
    let pos: Value = client
        .post(format!("{base}/api/v1/openposition"))
        .json(
            &json!({"apikey": key, "strategy": "x", "symbol": "SBIN", "exchange": "NSE",
                      "product": "MIS"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pos["quantity"], 10, "{pos}");
    let (ok, listed, err) = run(
        d,
        &["strategy", "list", "--user", "admin", "--base-url", &base],
        None,
    );
    assert!(ok, "{err}");
    assert!(listed.contains("tradingview_nifty trend"), "{listed}");
    assert!(
        listed.contains("NSE:SBIN:10:MIS NSE:INFY:4:CNC"),
        "{listed}"
    );
    assert!(listed.contains("max 5 orders/day"), "{listed}");
    assert!(listed.contains(&url), "{listed}");
    assert!(listed.contains("(placed)"), "{listed}");
    let (ok, stdout, err) = run(
        d,
        &[
            "strategy",
            "create",
            "--user",
            "admin",
            "--name",
            "chk",
            "--platform",
            "chartink",
            "--intraday",
            "--start",
            "09:20",
            "--end",
            "15:00",
            "--squareoff",
            "15:10",
            "--map",
            "NSE:SBIN:1:MIS",
            "--semi-auto",
        ],
        None,
    );
    assert!(ok, "{err}");
    let last = stdout.lines().last().unwrap();
    assert!(last.contains("/chartink/webhook/"), "{last}");
    note_secret(last.rsplit('/').next().unwrap());
    for (args, want) in [
        (vec!["--map", "NSE:SBIN:0:MIS"], "quantity"),
        (vec!["--map", "SBIN"], "map"),
        (vec!["--map", "NSE:SBIN:1:MIS", "--mode", "UP"], "mode"),
        (
            vec![
                "--map",
                "NSE:SBIN:1:MIS",
                "--intraday",
                "--start",
                "10:00",
                "--end",
                "09:00",
                "--squareoff",
                "15:00",
            ],
            "start",
        ),
        (
            vec!["--map", "NSE:SBIN:1:MIS", "--allow-ip", "nowhere"],
            "allow-ip",
        ),
    ] {
        let mut full = vec![
            "strategy",
            "create",
            "--user",
            "admin",
            "--name",
            "bad",
            "--platform",
            "python",
        ];
        full.extend(args);
        let (ok, stdout, err) = run(d, &full, None);
        assert!(!ok && stdout.is_empty(), "{full:?}: {stdout}");
        assert!(err.contains(want), "{want} in {err}");
    }
    sigterm_and_wait(&mut server);
    let log = out.lock().unwrap().clone();
    assert!(
        !log.contains(&secret),
        "a webhook secret appeared in the server output"
    );
    assert!(
        log.contains("/strategy/webhook/"),
        "the request was logged, masked"
    );
}

#[tokio::test]
async fn the_session_routes_manage_only_the_users_own_strategies() {
    let app = spawn_app().await;
    let mut b = crate::webui::logged_in(&app, "webstrat").await;
    let form = json!({
        "name": "web one", "platform": "tradingview", "trading_mode": "LONG",
        "strategy_type": "intraday", "start_time": "09:20", "end_time": "15:00",
        "squareoff_time": "15:10",
        "mappings": [{"symbol": "SBIN", "exchange": "NSE", "quantity": "5", "product_type": "MIS"}],
        "semi_auto": true, "max_orders_per_day": "3", "allow_ips": ["tradingview"],
    });
    let r = b.post("/strategy/api/strategy", &form).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["data"]["strategy_id"].as_i64().unwrap();
    let r = b.get_json("/strategy/api/strategies").await;
    let s = &r.body["strategies"][0];
    assert_eq!(s["name"], "tradingview_web one");
    assert_eq!(s["is_intraday"], true);
    assert_eq!(s["squareoff_time"], "15:10");
    assert_eq!(s["limits"]["semi_auto"], true);
    assert_eq!(s["limits"]["max_orders_per_day"], 3);
    assert_eq!(s["limits"]["allow_ips"].as_array().unwrap().len(), 4);
    assert_eq!(s["mappings"][0]["quantity"], 5);
    let path = s["webhook_path"].as_str().unwrap().to_owned();
    note_secret(path.rsplit('/').next().unwrap());
    assert!(path.starts_with("/strategy/webhook/"));
    // Bad input names the field; nothing is created.
    for (k, v, want) in [
        (
            "mappings",
            json!([{"symbol": "SBIN", "exchange": "XYZ", "quantity": 1, "product_type": "MIS"}]),
            "Invalid exchange",
        ),
        ("start_time", json!("25:00"), "start"),
        ("platform", json!(""), "Platform is required"),
        ("name", json!("bad;name"), "Strategy name can only contain"),
        ("max_orders_per_day", json!("lots"), "max-orders-per-day"),
    ] {
        let mut f = form.clone();
        f[k] = v;
        let r = b.post("/strategy/api/strategy", &f).await;
        assert_eq!(r.status, 400, "{k}: {:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(want),
            "{k}: {:?}",
            r.body
        );
    }
    let r = b.post("/strategy/api/strategy", &form).await;
    assert_eq!(
        r.status, 400,
        "a second strategy of the same name: {:?}",
        r.body
    );
    let r = b
        .post(&format!("/strategy/api/strategy/{id}/toggle"), &json!({}))
        .await;
    assert_eq!(r.body["data"]["is_active"], false);
    let r = b
        .post(&format!("/strategy/api/strategy/{id}/rotate"), &json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.body["data"]["webhook_path"], path.as_str());
    note_secret(
        r.body["data"]["webhook_path"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap(),
    );
    let old = app
        .post_json(&path, &json!({"symbol": "SBIN", "action": "BUY"}))
        .await;
    assert_eq!(old.0, 404);
    let mut edited = form.clone();
    edited["trading_mode"] = json!("BOTH");
    edited["semi_auto"] = json!(false);
    let r = b
        .post(&format!("/strategy/api/strategy/{id}"), &edited)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = b.get_json(&format!("/strategy/api/strategy/{id}")).await;
    assert_eq!(r.body["strategy"]["trading_mode"], "BOTH");
    assert_eq!(r.body["strategy"]["limits"]["semi_auto"], false);
    let r = b
        .get_json(&format!("/strategy/api/strategy/{id}/alerts"))
        .await;
    assert_eq!(r.body["alerts"], json!([]));
    // Another user sees none of it.
    let mut other = crate::webui::logged_in(&app, "otherstrat").await;
    assert_eq!(
        other.get_json("/strategy/api/strategies").await.body["strategies"],
        json!([])
    );
    assert_eq!(
        other
            .get_json(&format!("/strategy/api/strategy/{id}"))
            .await
            .status,
        404
    );
    let r = other
        .post(&format!("/strategy/{id}/delete"), &json!({}))
        .await;
    assert_eq!(r.status, 404);
    // No CSRF token: refused.
    let (st, _) = app
        .post_json(&format!("/strategy/api/strategy/{id}/toggle"), &json!({}))
        .await;
    assert!(st == 401 || st == 403, "{st}");
    let r = b.post(&format!("/strategy/{id}/delete"), &json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        b.get_json("/strategy/api/strategies").await.body["strategies"],
        json!([])
    );
    let page = b.get("/strategy", "text/html").await;
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap().contains("id=\"strategy-form\""));
    app.stop().await;
}

#[tokio::test]
async fn tradingviews_addresses_pass_behind_a_proxy_only_with_trusted_headers() {
    for trust in [false, true] {
        let app = spawn_app_with(Arc::new(algogate_app::clock::SystemClock), |c| {
            c.trust_proxy_headers = trust;
        })
        .await;
        let h = Hook::on(app).await;
        let mut sp = spec("tvips", "tradingview", Mode::Long, &["NSE:SBIN:1:MIS"]);
        let tv = algogate_app::strategies::TRADINGVIEW_IPS.iter().copied();
        sp.limits.allow_ips = KeyPolicy::parse_ips(tv).unwrap();
        let (_, s) = h.create(&sp).await;
        let res = h
            .app
            .client
            .post(format!("{}/strategy/webhook/{s}", h.app.base))
            .header("X-Forwarded-For", "34.212.75.30")
            .body(r#"{"symbol":"SBIN","action":"BUY"}"#)
            .send()
            .await
            .unwrap();
        let want = if trust { 200 } else { 403 };
        assert_eq!(res.status().as_u16(), want, "trust_proxy_headers = {trust}");
        h.app.stop().await;
    }
}
