//! The WebSocket feed end to end with a real client (tokio-tungstenite): the protocol table
//! of reference §1, fan-out, order updates, timeouts, revocation, Origin, slow consumers.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use algogate_server::config::Config;
use algogate_server::openalgo::order_update::OrderUpdate;
use algogate_store::UserId;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(10);

pub(crate) struct Ws {
    s: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the next frame was.
#[derive(Debug)]
enum Got {
    Json(Value),
    Closed(Option<(u16, String)>),
    Ping,
}

impl Ws {
    pub(crate) async fn connect(url: &str) -> Ws {
        let (s, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Ws { s }
    }

    async fn send(&mut self, v: Value) {
        self.send_text(&v.to_string()).await;
    }

    async fn send_text(&mut self, t: &str) {
        self.s.send(Message::text(t)).await.unwrap();
    }

    async fn frame(&mut self) -> Got {
        loop {
            let m = tokio::time::timeout(WAIT, self.s.next())
                .await
                .expect("timed out waiting for a frame");
            match m {
                Some(Ok(Message::Text(t))) => return Got::Json(serde_json::from_str(&t).unwrap()),
                Some(Ok(Message::Close(f))) => {
                    return Got::Closed(f.map(|f| (u16::from(f.code), f.reason.to_string())));
                }
                Some(Ok(Message::Ping(_))) => {
                    // tungstenite queues the pong; flushing sends it.
                    let _ = self.s.flush().await;
                    return Got::Ping;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Got::Closed(None),
            }
        }
    }

    /// The next JSON message, skipping protocol pings.
    pub(crate) async fn json(&mut self) -> Value {
        loop {
            match self.frame().await {
                Got::Json(v) => return v,
                Got::Ping => continue,
                Got::Closed(c) => panic!("closed: {c:?}"),
            }
        }
    }

    /// The next message that is not market data.
    async fn reply(&mut self) -> Value {
        loop {
            let v = self.json().await;
            if v["type"] != "market_data" {
                return v;
            }
        }
    }

    async fn market_data(&mut self) -> Value {
        loop {
            let v = self.json().await;
            if v["type"] == "market_data" {
                return v;
            }
        }
    }

    pub(crate) async fn ask(&mut self, v: Value) -> Value {
        self.send(v).await;
        self.reply().await
    }

    /// Reads until the close frame, returning its code and reason.
    async fn closed(&mut self) -> Option<(u16, String)> {
        loop {
            if let Got::Closed(c) = self.frame().await {
                return c;
            }
        }
    }

    pub(crate) async fn auth(&mut self, key: &str) {
        let r = self
            .ask(json!({"action": "authenticate", "api_key": key}))
            .await;
        assert_eq!(r["status"], "success", "{r}");
    }
}

async fn app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with(Arc::new(algogate_app::clock::SystemClock), tweak).await
}

fn err(code: &str, message: &str) -> Value {
    json!({"status": "error", "code": code, "message": message})
}

#[tokio::test]
async fn ws_before_authentication_only_ping_auth_and_broker_list_work() {
    let app = spawn_app().await;
    let mut ws = Ws::connect(&app.ws_url).await;
    for action in [
        "subscribe",
        "unsubscribe",
        "unsubscribe_all",
        "subscribe_orders",
        "unsubscribe_orders",
        "get_broker_info",
    ] {
        let r = ws
            .ask(json!({"action": action, "symbol": "SBIN", "exchange": "NSE"}))
            .await;
        assert_eq!(
            r,
            err("NOT_AUTHENTICATED", "You must authenticate first"),
            "{action}"
        );
    }
    let r = ws
        .ask(json!({"action": "ping", "timestamp": 123, "_pingId": "p1"}))
        .await;
    assert_eq!(r["type"], "pong");
    assert_eq!(r["status"], "success");
    assert_eq!(r["client_timestamp"], 123);
    assert_eq!(r["_pingId"], "p1");
    let now = chrono::Utc::now().timestamp_millis();
    assert!((r["server_timestamp"].as_i64().unwrap() - now).abs() < 60_000);
    let r = ws.ask(json!({"action": "ping"})).await;
    assert_eq!(
        r.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["type", "status", "server_timestamp"]
    );
    assert_eq!(
        ws.ask(json!({"type": "get_supported_brokers"})).await,
        json!({"type": "supported_brokers", "status": "success", "brokers": ["sandbox"], "count": 1})
    );
    // Bad input is answered and the socket stays open.
    ws.send_text("{not json").await;
    assert_eq!(
        ws.reply().await,
        err("INVALID_JSON", "Invalid JSON message")
    );
    // Unknown actions need authentication too (reference §1.9).
    assert_eq!(
        ws.ask(json!({"action": "dance"})).await,
        err("NOT_AUTHENTICATED", "You must authenticate first")
    );
    assert_eq!(
        ws.ask(json!({"action": "authenticate"})).await,
        err("AUTHENTICATION_ERROR", "API key is required")
    );
    assert_eq!(
        ws.ask(json!({"action": "authenticate", "api_key": "0".repeat(64)}))
            .await,
        err("AUTHENTICATION_ERROR", "Invalid API key")
    );
    assert_eq!(
        ws.ask(json!({"action": "get_broker_info"})).await,
        err("NOT_AUTHENTICATED", "You must authenticate first")
    );
    app.stop().await;
}

#[tokio::test]
async fn ws_authenticates_with_either_field_name_and_reports_the_broker() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let expected = json!({"type": "auth", "status": "success", "message": "Authentication successful",
        "broker": "sandbox", "user_id": "alice",
        "supported_features": {"ltp": true, "quote": true, "depth": true}});
    for field in ["api_key", "apikey"] {
        let mut ws = Ws::connect(&app.ws_url).await;
        let r = ws.ask(json!({"action": "auth", field: key.expose()})).await;
        assert_eq!(r, expected);
        let keys: Vec<_> = r.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "type",
                "status",
                "message",
                "broker",
                "user_id",
                "supported_features"
            ]
        );
        assert_eq!(
            ws.ask(json!({"action": "get_broker_info"})).await,
            json!({"type": "broker_info", "status": "success", "broker": "sandbox",
                "adapter_status": "connected", "user_id": "alice"})
        );
    }
    // The same service at /ws on the HTTP port.
    let mut ws = Ws::connect(&format!("{}/ws", app.base.replace("http", "ws"))).await;
    assert_eq!(
        ws.ask(json!({"action": "authenticate", "api_key": key.expose()}))
            .await,
        expected
    );
    app.stop().await;
}

#[tokio::test]
async fn ws_subscribe_acks_and_market_data_payloads() {
    let app = app_with(|c| c.market_tick_ms = 50).await;
    let (_, key) = app.create_user("alice").await;
    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(key.expose()).await;
    assert_eq!(
        ws.ask(json!({})).await,
        err("INVALID_ACTION", "Invalid action: None")
    );
    assert_eq!(
        ws.ask(json!({"action": "dance"})).await,
        err("INVALID_ACTION", "Invalid action: dance")
    );

    // Mode is checked before the symbols.
    assert_eq!(
        ws.ask(json!({"action": "subscribe", "mode": 7})).await,
        err(
            "INVALID_MODE",
            "Invalid mode 7; expected 1 (LTP), 2 (Quote), or 3 (Depth)"
        )
    );
    assert_eq!(
        ws.ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "zzz"}))
            .await,
        err(
            "INVALID_MODE",
            "Invalid mode 'zzz'; expected 'LTP', 'Quote', or 'Depth' (case-insensitive)"
        )
    );
    assert_eq!(
        ws.ask(json!({"action": "subscribe", "mode": 1.0, "symbol": "SBIN", "exchange": "NSE"}))
            .await,
        err("INVALID_MODE", "Mode must be int or str, got float")
    );
    assert_eq!(
        ws.ask(json!({"action": "subscribe", "mode": 1})).await,
        err(
            "INVALID_PARAMETERS",
            "At least one symbol must be specified"
        )
    );

    let r = ws
        .ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1, "request_id": "r1"}))
        .await;
    assert_eq!(
        r,
        json!({"type": "subscribe", "status": "success",
            "subscriptions": [{"symbol": "SBIN", "exchange": "NSE", "status": "success", "mode": "LTP", "depth": 5, "broker": "sandbox"}],
            "message": "Subscription processing complete", "broker": "sandbox", "request_id": "r1"})
    );
    let md = ws.market_data().await;
    assert_eq!(md["symbol"], "SBIN");
    assert_eq!(md["exchange"], "NSE");
    assert_eq!(md["mode"], 1);
    assert_eq!(md["broker"], "sandbox");
    assert!(md["data"]["ltp"].as_f64().unwrap() > 0.0);
    let ts = md["data"]["timestamp"].as_i64().unwrap();
    assert!(
        (ts - chrono::Utc::now().timestamp_millis()).abs() < 60_000,
        "epoch ms: {ts}"
    );
    assert!(md["data"].get("depth").is_none());

    // List form: top-level mode for every item; an unknown symbol makes it partial; items
    // missing a field are skipped.
    let r = ws
        .ask(json!({"action": "subscribe", "mode": "Quote", "symbols": [
            {"symbol": "RELIANCE", "exchange": "NSE", "mode": 3},
            {"symbol": "NOPE", "exchange": "NSE"},
            {"symbol": "TCS"}]}))
        .await;
    assert_eq!(r["status"], "partial");
    assert!(r.get("request_id").is_none());
    let subs = r["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[0]["mode"], "Quote");
    assert_eq!(
        subs[1],
        json!({"symbol": "NOPE", "exchange": "NSE", "status": "error",
            "message": "Symbol NOPE not found for exchange NSE", "broker": "sandbox"})
    );
    // Every item failing is still "partial".
    let r = ws
        .ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "XYZ"}))
        .await;
    assert_eq!(r["status"], "partial");

    // Depth: 50 is served at the paper broker's 5 levels, shown in the ack.
    let r = ws
        .ask(json!({"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": "depth", "depth": 50}))
        .await;
    assert_eq!(r["subscriptions"][0]["depth"], 5);
    assert_eq!(r["subscriptions"][0]["mode"], "Depth");
    let md = loop {
        let m = ws.market_data().await;
        if m["symbol"] == "INFY" {
            break m;
        }
    };
    assert_eq!(md["mode"], 3);
    let d = &md["data"];
    for f in [
        "ltp",
        "ltt",
        "timestamp",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "last_trade_quantity",
        "last_quantity",
        "total_buy_quantity",
        "total_sell_quantity",
        "oi",
        "change",
        "change_percent",
        "bid_price",
        "ask_price",
        "bid_size",
        "ask_size",
    ] {
        assert!(d.get(f).is_some(), "data lacks {f}: {d}");
    }
    let buy = d["depth"]["buy"].as_array().unwrap();
    let sell = d["depth"]["sell"].as_array().unwrap();
    assert_eq!((buy.len(), sell.len()), (5, 5));
    assert!(buy[0]["price"].as_f64() < sell[0]["price"].as_f64());
    assert!(buy[0]["price"].as_f64() > buy[4]["price"].as_f64());
    assert_eq!(d["bid_price"], buy[0]["price"]);
    assert_eq!(
        ws.ask(json!({"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "depth": 7}))
            .await["subscriptions"][0]["message"],
        "Invalid depth level 7. Must be 5, 20, 30 or 50"
    );
    app.stop().await;
}

#[tokio::test]
async fn ws_mode_hierarchy_one_message_per_tick_at_the_highest_mode_held() {
    let app = app_with(|c| c.market_tick_ms = 40).await;
    let (_, key) = app.create_user("alice").await;
    let mut both = Ws::connect(&app.ws_url).await;
    both.auth(key.expose()).await;
    let mut ltp = Ws::connect(&app.ws_url).await;
    ltp.auth(key.expose()).await;
    for m in [1, 2] {
        both.ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": m}))
            .await;
    }
    ltp.ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "LTP"}))
        .await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..8 {
        let m = both.market_data().await;
        assert_eq!(m["mode"], 2);
        assert!(m["data"].get("volume").is_some());
        // One message per tick: timestamps never repeat (the snapshot after the second
        // subscribe may share the first's).
        seen.insert(m["data"]["timestamp"].as_i64().unwrap());
        let l = ltp.market_data().await;
        assert_eq!(l["mode"], 1);
    }
    assert!(seen.len() >= 6, "{seen:?}");
    // Dropping Quote leaves LTP: messages come at mode 1.
    let r = both
        .ask(json!({"action": "unsubscribe", "symbol": "SBIN", "exchange": "NSE"}))
        .await;
    assert_eq!(r["status"], "success");
    let mut modes = vec![];
    for _ in 0..6 {
        modes.push(both.market_data().await["mode"].as_u64().unwrap());
    }
    assert_eq!(modes.last(), Some(&1), "{modes:?}");
    // Encoded once per mode, not per client.
    let st = &app.state.ws().stats;
    assert!(st.delivered.load(Ordering::Relaxed) > st.encoded.load(Ordering::Relaxed));
    app.stop().await;
}

#[tokio::test]
async fn ws_unsubscribe_forms_and_cleanup() {
    let app = app_with(|c| c.market_tick_ms = 30).await;
    let (_, key) = app.create_user("alice").await;
    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(key.expose()).await;
    assert_eq!(
        ws.ask(json!({"action": "unsubscribe"})).await,
        err(
            "INVALID_PARAMETERS",
            "Either symbols or unsubscribe_all is required"
        )
    );
    ws.ask(json!({"action": "subscribe", "symbols": [{"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "TCS", "exchange": "NSE"}], "mode": 1}))
        .await;
    ws.ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 2}))
        .await;
    // List form: each item's mode (default 2); the top-level mode is ignored.
    let r = ws
        .ask(json!({"action": "unsubscribe", "mode": 1, "request_id": 9,
            "symbols": [{"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "TCS", "exchange": "NSE", "mode": "bad"}]}))
        .await;
    assert_eq!(
        r,
        json!({"type": "unsubscribe", "status": "partial", "message": "Unsubscription processing complete",
            "successful": [{"symbol": "SBIN", "exchange": "NSE", "status": "success", "broker": "sandbox"}],
            "failed": [{"symbol": "TCS", "exchange": "NSE", "status": "error",
                "message": "Invalid mode 'bad'; expected 'LTP', 'Quote', or 'Depth' (case-insensitive)", "broker": "sandbox"}],
            "broker": "sandbox", "request_id": 9})
    );
    // Never subscribed: still success. All bad: error.
    let r = ws
        .ask(json!({"action": "unsubscribe", "symbol": "WIPRO", "exchange": "NSE", "mode": 3}))
        .await;
    assert_eq!(r["status"], "success");
    let r = ws
        .ask(json!({"action": "unsubscribe", "symbol": "WIPRO", "exchange": "NSE", "mode": 9}))
        .await;
    assert_eq!(r["status"], "error");
    assert_eq!(
        app.state.market().subscriptions().len(),
        2,
        "SBIN (LTP) and TCS remain"
    );
    let r = ws.ask(json!({"action": "unsubscribe_all"})).await;
    assert_eq!(r["type"], "unsubscribe");
    assert_eq!(r["status"], "success");
    let mut names: Vec<_> = r["successful"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["symbol"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["SBIN", "TCS"]);
    assert!(app.state.market().subscriptions().is_empty());
    // Nothing more arrives after the ack (a tick already queued may precede it).
    let quiet = tokio::time::timeout(Duration::from_millis(300), ws.market_data()).await;
    assert!(quiet.is_err(), "data after unsubscribe_all: {quiet:?}");

    // Disconnecting releases the market subscription too.
    ws.ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE"}))
        .await;
    assert_eq!(app.state.market().subscriptions().len(), 1);
    drop(ws);
    let deadline = Instant::now() + WAIT;
    while !app.state.market().subscriptions().is_empty() {
        assert!(Instant::now() < deadline, "subscription leaked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn ws_auth_timeout_closes_with_4401_and_protocol_pings_are_sent() {
    let app = app_with(|c| {
        c.ws_auth_timeout = Duration::from_millis(300);
        c.ws_ping_interval = Duration::from_millis(100);
    })
    .await;
    let mut ws = Ws::connect(&app.ws_url).await;
    let started = Instant::now();
    let mut pings = 0;
    let close = loop {
        match ws.frame().await {
            Got::Ping => pings += 1,
            Got::Closed(c) => break c,
            Got::Json(v) => panic!("unexpected {v}"),
        }
    };
    assert_eq!(close, Some((4401, "auth timeout".into())));
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(pings >= 1, "no protocol ping");

    // Authenticated sockets stay past the grace period.
    let (_, key) = app.create_user("alice").await;
    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(key.expose()).await;
    // Answering the protocol pings (reading does) keeps it open past the grace period.
    let until = Instant::now() + Duration::from_millis(600);
    while let Ok(f) = tokio::time::timeout_at(until.into(), ws.frame()).await {
        assert!(matches!(f, Got::Ping), "{f:?}");
    }
    assert_eq!(ws.ask(json!({"action": "ping"})).await["type"], "pong");
    // A client that stops answering pings is closed.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        ws.closed().await,
        Some((1011, "keepalive ping timeout".into()))
    );
    app.stop().await;
}

#[tokio::test]
async fn ws_a_regenerated_key_ends_its_sockets_only() {
    let app = spawn_app().await;
    let (alice, key) = app.create_user("alice").await;
    let (_, bob_key) = app.create_user("bob").await;
    let mut a = Ws::connect(&app.ws_url).await;
    a.auth(key.expose()).await;
    let mut b = Ws::connect(&app.ws_url).await;
    b.auth(bob_key.expose()).await;
    // An order-mode change keeps the key valid: the socket stays.
    app.state
        .keys()
        .set_order_mode(alice, algogate_store::OrderMode::SemiAuto)
        .await
        .unwrap();
    assert_eq!(a.ask(json!({"action": "ping"})).await["type"], "pong");
    app.state.keys().regenerate(alice).await.unwrap();
    let r = a.json().await;
    assert_eq!(r["status"], "error");
    assert_eq!(r["code"], "AUTHENTICATION_ERROR");
    assert_eq!(a.closed().await, Some((4401, "api key revoked".into())));
    assert_eq!(b.ask(json!({"action": "ping"})).await["type"], "pong");
    // The old key no longer authenticates.
    let mut c = Ws::connect(&app.ws_url).await;
    assert_eq!(
        c.ask(json!({"action": "auth", "api_key": key.expose()}))
            .await,
        err("AUTHENTICATION_ERROR", "Invalid API key")
    );
    app.stop().await;
}

#[tokio::test]
async fn ws_checks_the_origin_of_browser_connections() {
    let app = app_with(|c| c.ws_allowed_origins = vec!["https://app.example".into()]).await;
    let with_origin = |origin: &str| {
        let mut req = app.ws_url.as_str().into_client_request().unwrap();
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req
    };
    let refused = tokio_tungstenite::connect_async(with_origin("https://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    for ok in [
        "http://127.0.0.1:5000",
        "http://localhost:3000",
        "https://app.example",
    ] {
        let (mut s, _) = tokio_tungstenite::connect_async(with_origin(ok))
            .await
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
        s.send(Message::text(r#"{"action":"ping"}"#)).await.unwrap();
        assert!(matches!(s.next().await, Some(Ok(Message::Text(_)))));
    }
    app.stop().await;
}

fn order(user: UserId, name: &str, id: &str) -> OrderUpdate {
    OrderUpdate {
        user,
        user_id: name.into(),
        mode: "analyze".into(),
        broker: "sandbox".into(),
        orderid: id.into(),
        symbol: "SBIN".into(),
        exchange: "NSE".into(),
        action: "BUY".into(),
        quantity: 10,
        price: 0.0,
        trigger_price: 0.0,
        pricetype: "MARKET".into(),
        product: "MIS".into(),
        order_status: "complete".into(),
        filled_quantity: 10,
        pending_quantity: 0,
        average_price: 812.5,
        rejection_reason: String::new(),
    }
}

#[tokio::test]
async fn ws_order_updates_reach_only_the_users_subscribed_sockets() {
    let app = spawn_app().await;
    let (alice, key) = app.create_user("alice").await;
    let (bob, bob_key) = app.create_user("bob").await;
    let mut a = Ws::connect(&app.ws_url).await;
    a.auth(key.expose()).await;
    let mut a2 = Ws::connect(&app.ws_url).await;
    a2.auth(key.expose()).await;
    let mut b = Ws::connect(&app.ws_url).await;
    b.auth(bob_key.expose()).await;
    assert_eq!(
        a.ask(json!({"action": "subscribe_orders", "request_id": "o"}))
            .await,
        json!({"type": "subscribe_orders", "status": "success",
            "message": "Subscribed to order updates", "request_id": "o"})
    );
    b.ask(json!({"action": "subscribe_orders"})).await;
    let tx = app.state.order_events();
    tx.send(Arc::new(order(alice, "alice", "A1"))).unwrap();
    tx.send(Arc::new(order(bob, "bob", "B1"))).unwrap();
    let got = a.json().await;
    assert_eq!(got["type"], "order_update");
    assert_eq!(got["orderid"], "A1");
    assert_eq!(got["user_id"], "alice");
    assert_eq!(got["order_status"], "complete");
    assert_eq!(b.json().await["orderid"], "B1");
    // a2 never subscribed: its next message is the answer to its ping.
    assert_eq!(a2.ask(json!({"action": "ping"})).await["type"], "pong");
    assert_eq!(
        a.ask(json!({"action": "unsubscribe_orders"})).await,
        json!({"type": "unsubscribe_orders", "status": "success", "message": "Unsubscribed from order updates"})
    );
    tx.send(Arc::new(order(alice, "alice", "A2"))).unwrap();
    tx.send(Arc::new(order(bob, "bob", "B2"))).unwrap();
    assert_eq!(b.json().await["orderid"], "B2");
    assert_eq!(a.ask(json!({"action": "ping"})).await["type"], "pong");
    app.stop().await;
}

#[tokio::test]
async fn ws_subscription_limit_per_connection() {
    let app = app_with(|c| c.ws_max_subscriptions = 2).await;
    let (_, key) = app.create_user("alice").await;
    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(key.expose()).await;
    let r = ws
        .ask(json!({"action": "subscribe", "mode": 1, "symbols": [
            {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "TCS", "exchange": "NSE"},
            {"symbol": "INFY", "exchange": "NSE"}]}))
        .await;
    assert_eq!(r["status"], "partial");
    assert_eq!(
        r["subscriptions"][2]["message"],
        "Subscription limit reached: at most 2 subscriptions per connection"
    );
    // Re-subscribing what is held costs nothing; freeing one makes room.
    let r = ws
        .ask(json!({"action": "subscribe", "mode": 1, "symbol": "SBIN", "exchange": "NSE"}))
        .await;
    assert_eq!(r["status"], "success");
    ws.ask(json!({"action": "unsubscribe", "mode": 1, "symbol": "TCS", "exchange": "NSE"}))
        .await;
    let r = ws
        .ask(json!({"action": "subscribe", "mode": 1, "symbol": "INFY", "exchange": "NSE"}))
        .await;
    assert_eq!(r["status"], "success");
    app.stop().await;
}

#[tokio::test]
async fn ws_a_slow_consumer_is_dropped_without_delaying_a_fast_one() {
    let app = app_with(|c| {
        c.market_tick_ms = 2;
        c.ws_queue_capacity = 64;
    })
    .await;
    let (_, key) = app.create_user("alice").await;
    let symbols: Vec<Value> = [
        "SBIN",
        "TCS",
        "INFY",
        "RELIANCE",
        "HDFCBANK",
        "ICICIBANK",
        "ITC",
        "LT",
        "WIPRO",
        "AXISBANK",
        "MARUTI",
        "SUNPHARMA",
        "TITAN",
        "ONGC",
        "NTPC",
        "HCLTECH",
        "KOTAKBANK",
        "BAJFINANCE",
        "ASIANPAINT",
        "HINDUNILVR",
    ]
    .iter()
    .map(|s| json!({"symbol": s, "exchange": "NSE"}))
    .collect();
    let sub = json!({"action": "subscribe", "mode": 3, "symbols": symbols});
    // A small receive buffer so the kernel cannot hide the slowness for long.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock
        .connect(app.ws_url.trim_start_matches("ws://").parse().unwrap())
        .await
        .unwrap();
    let (s, _) = tokio_tungstenite::client_async(app.ws_url.as_str(), MaybeTlsStream::Plain(tcp))
        .await
        .unwrap();
    let mut slow = Ws { s };
    slow.auth(key.expose()).await;
    slow.ask(sub.clone()).await;
    let mut fast = Ws::connect(&app.ws_url).await;
    fast.auth(key.expose()).await;
    fast.ask(sub).await;
    // The slow client reads nothing while the fast one drains, until the slow one has
    // filled its socket buffers and its queue and is dropped (and one more second).
    let started = Instant::now();
    let mut n = 0u64;
    let mut worst_gap = Duration::ZERO;
    let mut last = Instant::now();
    let mut dropped_at = None;
    loop {
        fast.market_data().await;
        n += 1;
        worst_gap = worst_gap.max(last.elapsed());
        last = Instant::now();
        let dropped = app.state.ws().stats.slow_dropped.load(Ordering::Relaxed);
        if dropped >= 1 && dropped_at.is_none() {
            dropped_at = Some(Instant::now());
        }
        if dropped_at.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the slow client was not dropped ({n} fast messages)"
        );
    }
    assert!(n > 500, "the fast client got only {n} messages");
    assert!(
        worst_gap < Duration::from_millis(500),
        "the fast client stalled for {worst_gap:?}"
    );
    // The slow client's stream ends (its close frame, if its buffers let it through).
    let close = loop {
        match tokio::time::timeout(WAIT, slow.s.next()).await.unwrap() {
            Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break None,
        }
    };
    if let Some(code) = close {
        assert_eq!(code, 4008);
    }
    app.stop().await;
}

#[tokio::test]
async fn ws_shutdown_closes_sockets_with_1001() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(key.expose()).await;
    let mut anon = Ws::connect(&app.ws_url).await;
    let stop = tokio::spawn(app.stop());
    assert_eq!(
        ws.closed().await,
        Some((1001, "server shutting down".into()))
    );
    assert_eq!(anon.closed().await.map(|c| c.0), Some(1001));
    tokio::time::timeout(WAIT, stop).await.unwrap().unwrap();
}

#[tokio::test]
async fn ws_orders_placed_over_rest_reach_the_owners_order_subscription() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let mut a = Ws::connect(&app.ws_url).await;
    a.auth(key.expose()).await;
    a.ask(json!({"action": "subscribe_orders"})).await;
    let (status, body) = app
        .post_json(
            "/api/v1/placeorder",
            &json!({"apikey": key.expose(), "strategy": "ws-test", "exchange": "NSE",
                "symbol": "SBIN", "action": "BUY", "quantity": "1", "pricetype": "MARKET",
                "product": "MIS"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let got = a.reply().await;
    assert_eq!(got["type"], "order_update", "{got}");
    assert_eq!(got["orderid"], body["orderid"]);
    assert_eq!(got["user_id"], "alice");
    assert_eq!(got["symbol"], "SBIN");
    assert_eq!(got["action"], "BUY");
    assert_eq!(got["pricetype"], "MARKET");
    assert_eq!(got["mode"], "analyze");
    assert!(
        ["open", "complete"].contains(&got["order_status"].as_str().unwrap()),
        "{got}"
    );
}

/// A handshake request to `url` with these extra headers.
fn handshake(
    url: &str,
    headers: &[(&'static str, String)],
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = url.into_client_request().unwrap();
    for (name, value) in headers {
        req.headers_mut().insert(*name, value.parse().unwrap());
    }
    req
}

async fn refused_with(
    req: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> (u16, Value) {
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().unwrap_or_default();
            (res.status().as_u16(), serde_json::from_slice(body).unwrap())
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn ws_a_key_in_the_handshake_headers_authenticates_the_socket() {
    // Short enough that a socket still waiting for an `authenticate` would be closed.
    let app = app_with(|c| c.ws_auth_timeout = Duration::from_millis(50)).await;
    let (_, key) = app.create_user("wsheader").await;
    let key = key.expose().to_owned();
    let http_ws = format!("{}/ws", app.base.replace("http://", "ws://"));
    for (url, header) in [
        (app.ws_url.as_str(), ("x-api-key", key.clone())),
        (http_ws.as_str(), ("authorization", format!("Bearer {key}"))),
    ] {
        let (s, _) = tokio_tungstenite::connect_async(handshake(url, &[header]))
            .await
            .unwrap();
        let mut c = Ws { s };
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Nothing was sent unasked, and the socket is authenticated: it subscribes.
        let r = c
            .ask(json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1}))
            .await;
        assert_eq!(r["status"], "success", "{r}");
        assert_eq!(
            c.ask(json!({"action": "get_broker_info"})).await["user_id"],
            "wsheader"
        );
        // An `authenticate` message still works: the same key, then a wrong one, which is
        // answered and leaves the socket as it was.
        c.auth(&key).await;
        assert_eq!(
            c.ask(json!({"action": "authenticate", "api_key": "0".repeat(64)}))
                .await,
            err("AUTHENTICATION_ERROR", "Invalid API key")
        );
        let r = c.ask(json!({"action": "subscribe_orders"})).await;
        assert_eq!(r["status"], "success", "{r}");
    }

    // A bad key is refused before the upgrade, with the REST API's answer.
    let wrong = "0".repeat(64);
    assert_eq!(
        refused_with(handshake(&app.ws_url, &[("x-api-key", wrong.clone())])).await,
        (403, invalid_key())
    );
    assert_eq!(
        refused_with(handshake(
            &http_ws,
            &[("authorization", format!("Bearer {wrong}"))]
        ))
        .await,
        (403, invalid_key())
    );
    let (status, body) = refused_with(handshake(
        &app.ws_url,
        &[
            ("x-api-key", key.clone()),
            ("authorization", format!("Bearer {wrong}")),
        ],
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("different API keys"),
        "{body}"
    );
    assert!(!body.to_string().contains(&key));
    let (status, _) = refused_with(handshake(
        &app.ws_url,
        &[("authorization", "Bearer".into())],
    ))
    .await;
    assert_eq!(status, 400);
    // Browser origins are checked first, as before, key or not.
    let req = handshake(
        &app.ws_url,
        &[
            ("x-api-key", key.clone()),
            ("origin", "https://evil.example".into()),
        ],
    );
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    // Another scheme is not ours: the socket opens unauthenticated.
    let (s, _) = tokio_tungstenite::connect_async(handshake(
        &app.ws_url,
        &[("authorization", "Basic dXNlcjpwYXNz".into())],
    ))
    .await
    .unwrap();
    let mut c = Ws { s };
    assert_eq!(c.closed().await, Some((4401, "auth timeout".into())));
    app.stop().await;
}

#[tokio::test]
async fn ws_a_regenerated_key_ends_a_socket_authenticated_by_its_headers() {
    let app = app_with(|_| {}).await;
    let (id, key) = app.create_user("wsregen").await;
    let (s, _) = tokio_tungstenite::connect_async(handshake(
        &app.ws_url,
        &[("x-api-key", key.expose().to_owned())],
    ))
    .await
    .unwrap();
    let mut c = Ws { s };
    assert_eq!(c.ask(json!({"action": "ping"})).await["type"], "pong");
    let (new, _) = app.state.keys().regenerate(id).await.unwrap();
    note_secret(new.expose());
    assert_eq!(
        c.reply().await["code"],
        "AUTHENTICATION_ERROR",
        "told before the close"
    );
    assert_eq!(c.closed().await, Some((4401, "api key revoked".into())));
    app.stop().await;
}

#[tokio::test]
async fn ws_named_key_scopes_gate_market_data_and_order_updates() {
    use algogate_app::keypolicy::KeyPolicy;
    use algogate_keys::Scope;
    let app = spawn_app().await;
    let (user, _) = app.create_user("wsscope").await;
    let policy = |s: Scope| KeyPolicy {
        scopes: [s].into_iter().collect(),
        ..KeyPolicy::default()
    };
    let data = crate::scoped_keys::named_key(&app, user, "d", policy(Scope::Data)).await;
    let account = crate::scoped_keys::named_key(&app, user, "a", policy(Scope::Account)).await;
    let sub = json!({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1});
    let denied = |s: &str| {
        err(
            "PERMISSION_DENIED",
            &format!("This API key lacks the '{s}' scope"),
        )
    };

    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(&account).await;
    assert_eq!(ws.ask(sub.clone()).await, denied("data"));
    let r = ws.ask(json!({"action": "subscribe_orders"})).await;
    assert_eq!(r["status"], "success", "{r}");
    // Still usable after a refusal.
    assert_eq!(ws.ask(json!({"action": "ping"})).await["type"], "pong");

    let mut ws = Ws::connect(&app.ws_url).await;
    ws.auth(&data).await;
    assert_eq!(
        ws.ask(json!({"action": "subscribe_orders"})).await,
        denied("account")
    );
    let r = ws.ask(sub).await;
    assert_eq!(r["status"], "success", "{r}");
    app.stop().await;
}

#[tokio::test]
async fn ws_a_gtt_firing_sends_the_order_update_of_its_order() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let mut a = Ws::connect(&app.ws_url).await;
    a.auth(key.expose()).await;
    a.ask(json!({"action": "subscribe_orders"})).await;
    let ltp = app
        .state
        .market()
        .quote("SBIN", algogate_broker::Exchange::Nse)
        .unwrap()
        .ltp;
    // A below trigger above the market is already crossed: the next tick fires it.
    let (status, body) = app
        .post_json(
            "/api/v1/placegttorder",
            &json!({"apikey": key.expose(), "strategy": "ws-gtt", "trigger_type": "SINGLE",
                "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "product": "CNC",
                "quantity": 1, "pricetype": "MARKET", "price": 0,
                "triggerprice_sl": (ltp * 2.0).round()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let got = a.reply().await;
    assert_eq!(got["type"], "order_update", "{got}");
    assert_eq!(got["symbol"], "SBIN");
    assert_eq!(got["action"], "BUY");
    assert_eq!(got["pricetype"], "MARKET");
    assert_eq!(got["quantity"], 1);
    app.stop().await;
}

#[tokio::test]
async fn ws_named_key_revocation_and_expiry_close_its_sockets() {
    use algogate_app::keypolicy::KeyPolicy;
    let app = spawn_app().await;
    let (user, primary) = app.create_user("wsend").await;
    let revoked = crate::scoped_keys::named_key(&app, user, "gone", KeyPolicy::default()).await;
    // Far enough ahead that creating the keys and three authentications (each an Argon2
    // verification) fit before it on a loaded machine.
    let expiry = chrono::Utc::now() + chrono::Duration::seconds(8);
    let expiring = crate::scoped_keys::named_key(
        &app,
        user,
        "brief",
        KeyPolicy {
            expires_at: Some(expiry),
            ..KeyPolicy::default()
        },
    )
    .await;
    let mut a = Ws::connect(&app.ws_url).await;
    a.auth(&revoked).await;
    let mut b = Ws::connect(&app.ws_url).await;
    b.auth(&expiring).await;
    let mut c = Ws::connect(&app.ws_url).await;
    c.auth(primary.expose()).await;

    app.state.keys().revoke_named(user, "gone").await.unwrap();
    let r = a.json().await;
    assert_eq!(r["code"], "AUTHENTICATION_ERROR", "{r}");
    assert_eq!(a.closed().await.map(|c| c.0), Some(4401));
    let r = b.json().await;
    let late = chrono::Utc::now() - expiry;
    assert_eq!(r["code"], "AUTHENTICATION_ERROR", "{r}");
    assert_eq!(b.closed().await.map(|c| c.0), Some(4401));
    // Closed at its expiry: not before it, and promptly after.
    assert!(late >= chrono::Duration::zero(), "closed {late} early");
    assert!(late < chrono::Duration::seconds(5), "closed {late} late");
    // The primary key's socket is untouched.
    assert_eq!(c.ask(json!({"action": "ping"})).await["type"], "pong");
    app.stop().await;
}
