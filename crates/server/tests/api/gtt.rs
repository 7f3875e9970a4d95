//! GTT orders against a live server: placement, the book, modify and cancel, every
//! validation message of the reference, firing on the market's ticks in both directions
//! and for an OCO (once), margin at firing time, and a restart of the real binary with a
//! GTT waiting.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::binary::{Spawned, capture, cmd, run, sigterm_and_wait, wait_for_addr};
use crate::helpers::*;

struct Gtt {
    app: TestApp,
    key: String,
}

impl Gtt {
    async fn new() -> Self {
        let app = spawn_app().await;
        let (_, key) = app.create_user("gtt").await;
        Gtt {
            key: key.expose().to_string(),
            app,
        }
    }
    async fn call(&self, path: &str, mut body: Value) -> (u16, Value) {
        body["apikey"] = Value::from(self.key.clone());
        self.app.post_json(&format!("/api/v1/{path}"), &body).await
    }
    fn ltp(&self) -> f64 {
        self.app
            .state
            .market()
            .quote("SBIN", algogate_broker::Exchange::Nse)
            .unwrap()
            .ltp
    }
    async fn book(&self) -> Vec<Value> {
        let (s, b) = self.call("gttorderbook", json!({})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["mode"], "analyze");
        b["data"].as_array().unwrap().clone()
    }
    async fn orders(&self) -> Vec<Value> {
        let (_, b) = self.call("orderbook", json!({})).await;
        b["data"]["orders"].as_array().unwrap().clone()
    }
    /// Waits (bounded) for the GTT book to empty: the ticks fired it or it ended.
    async fn until_fired(&self) {
        for _ in 0..100 {
            if self.book().await.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the GTT never fired");
    }
}

fn single(extra: Value) -> Value {
    let mut b = json!({"strategy": "dip", "trigger_type": "SINGLE", "exchange": "NSE",
        "symbol": "SBIN", "action": "BUY", "product": "CNC", "quantity": 10,
        "pricetype": "LIMIT", "price": 1.0, "triggerprice_sl": 1.0, "triggerprice_tg": 0});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[tokio::test]
async fn place_book_modify_cancel() {
    let t = Gtt::new().await;
    assert!(t.book().await.is_empty());
    let (s, b) = t
        .call(
            "placegttorder",
            single(json!({"trigger_price": 999, "junk": "x"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "success");
    assert_eq!(b["mode"], "analyze");
    let id = b["trigger_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("GTT-") && id.len() == 19, "{id}");
    let book = t.book().await;
    assert_eq!(book.len(), 1);
    let g = &book[0];
    assert_eq!(g["trigger_id"], id.as_str());
    assert_eq!(g["trigger_type"], "single");
    assert_eq!(g["status"], "active");
    assert_eq!(g["trigger_prices"], json!([1.0]));
    assert_eq!(
        g["legs"],
        json!([{"action": "BUY", "quantity": 10, "price": 1.0, "pricetype": "LIMIT", "product": "CNC"}])
    );
    assert_eq!(g["strategy"], "dip");
    assert!(g["last_price"].as_f64().unwrap() > 0.0);
    for k in ["created_at", "updated_at", "expires_at"] {
        assert_eq!(g[k].as_str().unwrap().len(), 19, "{k}: {g}");
    }

    // Modify: a full replacement; identity fields cannot change.
    let mut m = single(json!({"quantity": 4, "triggerprice_sl": 2.0, "trigger_id": id}));
    let (s, b) = t.call("modifygttorder", m.clone()).await;
    assert_eq!((s, b["trigger_id"].clone()), (200, json!(id)), "{b}");
    let g = &t.book().await[0];
    assert_eq!(
        (
            g["legs"][0]["quantity"].clone(),
            g["trigger_prices"].clone()
        ),
        (json!(4), json!([2.0]))
    );
    m["action"] = json!("SELL");
    let (s, b) = t.call("modifygttorder", m.clone()).await;
    assert_eq!(s, 400);
    assert_eq!(
        b["message"],
        "action cannot be changed on an existing GTT (BUY -> SELL). Cancel and re-place."
    );
    m["action"] = json!("BUY");
    m["symbol"] = json!("TCS");
    let (_, b) = t.call("modifygttorder", m.clone()).await;
    assert_eq!(
        b["message"],
        "symbol cannot be changed on an existing GTT (SBIN -> TCS). Cancel and re-place."
    );
    m["symbol"] = json!("SBIN");
    m["trigger_type"] = json!("OCO");
    m["stoploss"] = json!(1.5);
    m["triggerprice_tg"] = json!(9.0);
    m["target"] = json!(9.5);
    let (_, b) = t.call("modifygttorder", m).await;
    assert_eq!(
        b["message"],
        "trigger_type cannot be changed (SINGLE -> OCO). Cancel and re-place."
    );

    let (s, b) = t
        .call(
            "cancelgttorder",
            json!({"strategy": "dip", "trigger_id": id}),
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "success", "trigger_id": id, "mode": "analyze"})
        )
    );
    assert!(t.book().await.is_empty());
    let missing = json!({"status": "error", "mode": "analyze",
        "message": format!("No active GTT with trigger_id '{id}'")});
    let (s, b) = t
        .call(
            "cancelgttorder",
            json!({"strategy": "dip", "trigger_id": id}),
        )
        .await;
    assert_eq!((s, b), (404, missing.clone()));
    let (s, b) = t
        .call("modifygttorder", single(json!({"trigger_id": id})))
        .await;
    assert_eq!((s, b), (404, missing));
    // Another user's GTT is not found either.
    let (_, b) = t.call("placegttorder", single(json!({}))).await;
    let theirs = b["trigger_id"].as_str().unwrap().to_string();
    let (_, other) = t.app.create_user("other").await;
    let (s, _) = t
        .app
        .post_json(
            "/api/v1/cancelgttorder",
            &json!({"apikey": other.expose(), "strategy": "x", "trigger_id": theirs}),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(t.book().await.len(), 1);
}

#[tokio::test]
async fn validation_messages() {
    let t = Gtt::new().await;
    let repr = |m: &str| json!({"status": "error", "message": m, "mode": "analyze"});
    for (extra, message) in [
        (
            json!({"product": "MIS"}),
            "{'product': ['GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only.']}",
        ),
        (
            json!({"triggerprice_sl": 0}),
            "{'triggerprice_sl': ['SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg.']}",
        ),
        (
            json!({"trigger_type": "OCO", "triggerprice_sl": 120, "triggerprice_tg": 260, "target": 259.5}),
            "{'stoploss': ['Required for OCO (stoploss leg limit).']}",
        ),
        (
            json!({"trigger_type": "OCO", "stoploss": 1, "triggerprice_tg": 260, "target": 259.5, "triggerprice_sl": 0}),
            "{'triggerprice_sl': ['Required for OCO (stoploss trigger).']}",
        ),
        (
            json!({"trigger_type": "OCO", "triggerprice_sl": 120, "stoploss": 119, "target": 259.5}),
            "{'triggerprice_tg': ['Required for OCO (target trigger).']}",
        ),
        (
            json!({"trigger_type": "OCO", "triggerprice_sl": 120, "stoploss": 119, "triggerprice_tg": 260}),
            "{'target': ['Required for OCO (target leg limit).']}",
        ),
        (
            json!({"trigger_type": "oco", "triggerprice_sl": 300, "stoploss": 1, "triggerprice_tg": 260, "target": 2}),
            "{'triggerprice_sl': ['Stoploss trigger must be less than target trigger (triggerprice_tg).']}",
        ),
        (
            json!({"trigger_type": "LIMIT"}),
            "{'trigger_type': [\"Must be 'SINGLE' or 'OCO'.\"]}",
        ),
        (
            json!({"quantity": 0}),
            "{'quantity': ['Quantity must be a positive number.']}",
        ),
        (
            json!({"quantity": 1.5}),
            "{'quantity': ['Fractional quantity (1.5) is not allowed for non-crypto exchanges.']}",
        ),
        (
            json!({"price": -1}),
            "{'price': ['Price must be a non-negative number.']}",
        ),
        (
            json!({"triggerprice_sl": -1}),
            "{'triggerprice_sl': ['triggerprice_sl must be non-negative.']}",
        ),
        (
            json!({"triggerprice_tg": -1}),
            "{'triggerprice_tg': ['triggerprice_tg must be non-negative.']}",
        ),
        (
            json!({"triggerprice_tg": null}),
            "{'triggerprice_tg': ['Field may not be null.']}",
        ),
        (
            json!({"pricetype": "market"}),
            "{'pricetype': ['Must be one of: LIMIT, MARKET.']}",
        ),
        (
            json!({"exchange": "NYSE"}),
            "{'exchange': ['Must be one of: NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, NCO, NSE_INDEX, BSE_INDEX, MCX_INDEX, GLOBAL_INDEX, CRYPTO.']}",
        ),
    ] {
        let (s, b) = t.call("placegttorder", single(extra.clone())).await;
        assert_eq!((s, b), (400, repr(message)), "{extra}");
    }
    let (s, b) = t
        .app
        .post_json("/api/v1/placegttorder", &json!({"apikey": t.key}))
        .await;
    assert_eq!(s, 400);
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .starts_with("{'strategy': ['Missing data for required field.'], 'trigger_type':"),
        "{b}"
    );
    // Modify needs the id; cancel rejects unknown keys.
    let (_, b) = t
        .call("modifygttorder", single(json!({"trigger_id": ""})))
        .await;
    assert_eq!(
        b,
        repr("{'trigger_id': ['Shorter than minimum length 1.']}")
    );
    let (_, b) = t.call("modifygttorder", single(json!({}))).await;
    assert_eq!(
        b,
        repr("{'trigger_id': ['Missing data for required field.']}")
    );
    let (_, b) = t
        .call(
            "cancelgttorder",
            json!({"strategy": "s", "trigger_id": "x", "junk": 1}),
        )
        .await;
    assert_eq!(b, repr("{'junk': ['Unknown field.']}"));
    let (s, b) = t.call("gttorderbook", json!({"junk": 1})).await;
    assert_eq!(
        (s, b["message"].clone()),
        (400, json!({"junk": ["Unknown field."]}))
    );
    // A bad key after a good body is the 403; an unknown symbol a sandbox 400.
    let mut body = single(json!({}));
    body["apikey"] = json!("nope");
    assert_eq!(
        t.app.post_json("/api/v1/placegttorder", &body).await,
        (403, invalid_key())
    );
    let (s, b) = t
        .call("placegttorder", single(json!({"symbol": "NOSUCH"})))
        .await;
    assert_eq!((s, b), (400, repr("Symbol not found")));
}

#[tokio::test]
async fn ticks_fire_each_direction_and_an_oco_once() {
    let t = Gtt::new().await;
    let ltp = t.ltp();
    // Below, already crossed (trigger above the market) and above, already crossed
    // (trigger below it): both fire on the next ticks as MARKET orders.
    let (s, b) = t
        .call(
            "placegttorder",
            single(json!({"pricetype": "MARKET", "price": 0,
            "triggerprice_sl": (ltp * 2.0).round()})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    t.until_fired().await;
    let (s, _) = t
        .call(
            "placegttorder",
            single(json!({"action": "SELL", "pricetype": "MARKET", "price": 0,
            "triggerprice_sl": 0, "triggerprice_tg": (ltp / 2.0).round()})),
        )
        .await;
    assert_eq!(s, 200);
    t.until_fired().await;
    // Far from the market: stays.
    let (_, b) = t
        .call(
            "placegttorder",
            single(json!({"triggerprice_sl": (ltp / 2.0).round()})),
        )
        .await;
    let waiting = b["trigger_id"].clone();
    // An OCO whose target leg is crossed: one order, for the target leg's limit.
    let (s, b) = t
        .call(
            "placegttorder",
            json!({"strategy": "oco", "trigger_type": "OCO", "exchange": "NSE",
            "symbol": "SBIN", "action": "SELL", "product": "CNC", "quantity": 10,
            "pricetype": "LIMIT", "price": 0, "triggerprice_sl": (ltp / 4.0).round(),
            "stoploss": (ltp / 4.0).round() - 1.0, "triggerprice_tg": (ltp / 2.0).round() + 1.0,
            "target": (ltp / 3.0).round()}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for _ in 0..100 {
        if t.book().await.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let book = t.book().await;
    assert_eq!(book.len(), 1, "{book:?}");
    assert_eq!(book[0]["trigger_id"], waiting);
    // More ticks: nothing fires twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let orders = t.orders().await;
    assert_eq!(orders.len(), 3, "{orders:?}");
    let strategies: Vec<&str> = orders
        .iter()
        .map(|o| o["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies.iter().filter(|s| **s == "oco").count(), 1);
    let oco = orders.iter().find(|o| o["strategy"] == "oco").unwrap();
    assert_eq!(oco["price"], (ltp / 3.0).round());
    assert_eq!(oco["action"], "SELL");
}

#[tokio::test]
async fn margin_is_checked_when_a_gtt_fires() {
    let t = Gtt::new().await;
    let ltp = t.ltp();
    // Placement reserves nothing; at firing time ten crore of shares are refused.
    let (s, _) = t
        .call(
            "placegttorder",
            single(json!({"pricetype": "MARKET", "price": 0,
            "quantity": 10_000_000, "triggerprice_sl": (ltp * 2.0).round()})),
        )
        .await;
    assert_eq!(s, 200);
    t.until_fired().await;
    assert!(t.orders().await.is_empty());
}

#[tokio::test]
async fn gtts_expire() {
    let t = Gtt::new().await;
    let (s, _) = t
        .call("placegttorder", single(json!({"expires_at": "2020-01-01"})))
        .await;
    assert_eq!(s, 200);
    // The next engine job or tick expires it.
    t.until_fired().await;
    assert!(t.orders().await.is_empty());
}

#[tokio::test]
async fn a_waiting_gtt_survives_a_restart_of_the_binary_and_fires_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &[
            "user",
            "create",
            "--username",
            "restarter",
            "--password-stdin",
        ],
        Some("Durable-trigger-pw-5e7d\n"),
    );
    assert!(ok, "{}", err.lines().last().unwrap_or(""));
    let (_, key, _) = run(dir.path(), &["apikey", "show", "--user", "restarter"], None);
    let key = key.trim().to_string();
    note_secret(&key);
    let serve = || {
        let mut s = cmd(dir.path())
            .args([
                "serve",
                "--http-addr",
                "127.0.0.1:0",
                "--ws-addr",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map(Spawned)
            .unwrap();
        let out = capture(&mut s.0);
        (s, out)
    };
    let client = reqwest::Client::new();
    let post = async |base: &str, path: &str, body: Value| -> Value {
        let mut body = body;
        body["apikey"] = json!(key);
        client
            .post(format!("{base}/api/v1/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let (mut s1, out) = serve();
    let base = wait_for_addr(&out).await;
    let b = post(
        &base,
        "placegttorder",
        single(json!({"triggerprice_sl": 1.0})),
    )
    .await;
    let id = b["trigger_id"].clone();
    assert!(id.is_string(), "{b}");
    sigterm_and_wait(&mut s1);

    // Still waiting after the restart; modified to be crossed, it fires once.
    let (mut s2, out) = serve();
    let base = wait_for_addr(&out).await;
    let book = post(&base, "gttorderbook", json!({})).await;
    assert_eq!(book["data"][0]["trigger_id"], id, "{book}");
    let b = post(
        &base,
        "modifygttorder",
        single(json!({"trigger_id": id,
        "pricetype": "MARKET", "price": 0, "triggerprice_sl": 1_000_000.0})),
    )
    .await;
    assert_eq!(b["status"], "success", "{b}");
    let mut fired = false;
    for _ in 0..100 {
        if post(&base, "gttorderbook", json!({})).await["data"] == json!([]) {
            fired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(fired);
    sigterm_and_wait(&mut s2);

    // After another restart: the one order, and no GTT left to fire.
    let (mut s3, out) = serve();
    let base = wait_for_addr(&out).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let orders = post(&base, "orderbook", json!({})).await;
    assert_eq!(
        orders["data"]["orders"].as_array().unwrap().len(),
        1,
        "{orders}"
    );
    assert_eq!(
        post(&base, "gttorderbook", json!({})).await["data"],
        json!([])
    );
    sigterm_and_wait(&mut s3);
}

/// Exactly once under load: 60 GTTs whose triggers the market has already crossed are
/// placed at once, and every other one is cancelled as soon as it is placed, racing the
/// ticks that fire it. Each ends as exactly one order or as cancelled with none: never
/// both, never twice.
#[tokio::test]
async fn under_load_each_gtt_fires_once_or_is_cancelled_without_an_order() {
    let t = std::sync::Arc::new(Gtt::new().await);
    let ltp = t.ltp();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60 {
        let t = std::sync::Arc::clone(&t);
        tasks.spawn(async move {
            let tag = format!("g{n}");
            let (s, b) = t
                .call(
                    "placegttorder",
                    single(json!({"strategy": tag, "pricetype": "MARKET", "price": 0,
                    "quantity": 1, "triggerprice_sl": (ltp * 2.0).round()})),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            if n % 2 == 1 {
                return (tag, false);
            }
            let id = b["trigger_id"].clone();
            let (s, b) = t
                .call("cancelgttorder", json!({"strategy": tag, "trigger_id": id}))
                .await;
            // 404: the ticks fired it first.
            assert!(s == 200 || s == 404, "{s} {b}");
            (tag, s == 200)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(r) = tasks.join_next().await {
        outcomes.push(r.unwrap());
    }
    t.until_fired().await;
    // More ticks: nothing fires again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let orders = t.orders().await;
    for (tag, cancelled) in &outcomes {
        let placed = orders.iter().filter(|o| o["strategy"] == *tag).count();
        assert_eq!(
            placed,
            usize::from(!cancelled),
            "{tag} (cancelled: {cancelled})"
        );
    }
    assert_eq!(
        orders.len(),
        outcomes.iter().filter(|(_, c)| !c).count(),
        "{orders:?}"
    );
}
