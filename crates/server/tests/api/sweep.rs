//! The bad-input sweep: malformed, wrongly typed, oversized and random bodies sent to every
//! `/api/v1` endpoint with a valid key. Nothing may answer 5xx or drop the connection, every
//! error is a JSON body with `status: "error"` and a message, and nothing is written.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use crate::helpers::*;

/// Every POST endpoint with a valid body (the key is added per request).
pub(crate) fn endpoints() -> Vec<(&'static str, Value)> {
    let order = json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
        "quantity": "1", "pricetype": "MARKET", "product": "MIS"});
    let mut smart = order.clone();
    smart["position_size"] = json!("1");
    vec![
        ("ping", json!({})),
        ("funds", json!({})),
        ("orderbook", json!({})),
        ("tradebook", json!({})),
        ("positionbook", json!({})),
        ("holdings", json!({})),
        ("analyzer", json!({})),
        ("intervals", json!({})),
        ("placeorder", order.clone()),
        ("placesmartorder", smart),
        (
            "modifyorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN",
            "orderid": "1", "action": "BUY", "product": "MIS", "pricetype": "LIMIT",
            "price": "1", "quantity": "1", "disclosed_quantity": "0", "trigger_price": "0"}),
        ),
        ("cancelorder", json!({"strategy": "s", "orderid": "1"})),
        ("cancelallorder", json!({"strategy": "s"})),
        ("closeposition", json!({"strategy": "s"})),
        ("orderstatus", json!({"strategy": "s", "orderid": "1"})),
        (
            "openposition",
            json!({"strategy": "s", "symbol": "SBIN", "exchange": "NSE",
            "product": "MIS"}),
        ),
        (
            "basketorder",
            json!({"strategy": "s", "orders": [order.clone()]}),
        ),
        (
            "splitorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN",
            "action": "BUY", "quantity": "2", "splitsize": "1", "pricetype": "MARKET",
            "product": "MIS"}),
        ),
        (
            "margin",
            json!({"positions": [{"symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "quantity": "1", "product": "MIS", "pricetype": "MARKET"}]}),
        ),
        ("analyzer/toggle", json!({"mode": true})),
        ("quotes", json!({"symbol": "SBIN", "exchange": "NSE"})),
        (
            "multiquotes",
            json!({"symbols": [{"symbol": "SBIN", "exchange": "NSE"}]}),
        ),
        ("depth", json!({"symbol": "SBIN", "exchange": "NSE"})),
        (
            "history",
            json!({"symbol": "SBIN", "exchange": "NSE", "interval": "D",
            "start_date": "2026-01-01", "end_date": "2026-01-10"}),
        ),
        ("symbol", json!({"symbol": "SBIN", "exchange": "NSE"})),
        ("search", json!({"query": "SBI"})),
        (
            "expiry",
            json!({"symbol": "NIFTY", "exchange": "NFO", "instrumenttype": "options"}),
        ),
        ("market/holidays", json!({"year": 2026})),
        ("market/timings", json!({"date": "2025-12-30"})),
        ("pnl/symbols", json!({})),
        (
            "optionsymbol",
            json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25",
            "offset": "ATM", "option_type": "CE"}),
        ),
        (
            "optionchain",
            json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25",
            "strike_count": 2}),
        ),
        // A contract outside the chain: the option quote is a 404, whatever the form.
        (
            "optiongreeks",
            json!({"symbol": "NIFTY30DEC25100CE", "exchange": "NFO"}),
        ),
        (
            "multioptiongreeks",
            json!({"symbols": [{"symbol": "NIFTY30DEC25100CE", "exchange": "NFO"}]}),
        ),
        (
            "syntheticfuture",
            json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25"}),
        ),
    ]
}

/// Values of the wrong kind for any field.
fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(1.5e308),
        json!("NaN"),
        json!("-Infinity"),
        json!(""),
        json!("x".repeat(10_000)),
        json!("\u{0}\u{202e}ñ"),
        json!([]),
        json!([[[[[[1]]]]]]),
        json!({"nested": {"deep": [1, 2]}}),
        json!(9_007_199_254_740_993_i64),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

async fn check(app: &TestApp, name: &str, content_type: &str, body: Vec<u8>) {
    let res = app
        .client
        .post(format!("{}/api/v1/{name}", app.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: connection failed: {e}"));
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert!(status < 500, "{name} answered {status}: {text}");
    assert_ne!(status, 200, "{name} accepted a malformed body: {text}");
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{name}: not JSON: {text}"));
    assert_eq!(v["status"], "error", "{name}: {text}");
    assert!(!v["message"].is_null(), "{name}: no message: {text}");
}

#[tokio::test]
async fn malformed_bodies_never_cause_a_5xx_a_panic_or_a_write() {
    let app = spawn_app().await;
    let (user, key) = app.create_user("sweep").await;
    let funds_before = app
        .post_json("/api/v1/funds", &json!({"apikey": key.expose()}))
        .await
        .1;
    let mut runner = TestRunner::new(Config {
        cases: 1,
        ..Config::default()
    });
    let random = arbitrary_json();
    let mut sent = 0;
    for (name, valid) in endpoints() {
        let with_key = |mut v: Value| {
            v["apikey"] = json!(key.expose());
            v
        };
        // Each field in turn replaced by a value of the wrong kind, plus an unknown field
        // (which every schema refuses), so no variant can be a valid order.
        let fields: Vec<String> = valid.as_object().unwrap().keys().cloned().collect();
        for bad in wrong_values() {
            for f in fields
                .iter()
                .map(String::as_str)
                .chain(["apikey", "zz_unknown"])
            {
                let mut v = with_key(valid.clone());
                v[f] = bad.clone();
                v["zz_unknown"] = json!(1);
                check(&app, name, "application/json", v.to_string().into_bytes()).await;
                sent += 1;
            }
        }
        // Missing each required field.
        for f in &fields {
            let mut v = with_key(valid.clone());
            v.as_object_mut().unwrap().remove(f);
            v["zz_unknown"] = json!(1);
            check(&app, name, "text/plain", v.to_string().into_bytes()).await;
            sent += 1;
        }
        // Random JSON documents, objects among them, with the key and an unknown field.
        for _ in 0..12 {
            let mut v = random.new_tree(&mut runner).unwrap().current();
            if let Some(o) = v.as_object_mut() {
                o.insert("apikey".into(), json!(key.expose()));
                o.insert("zz_unknown".into(), json!(1));
            }
            check(&app, name, "application/json", v.to_string().into_bytes()).await;
            sent += 1;
        }
        // Bytes that are not JSON, and a body over the limit.
        for raw in [
            &b"{"[..],
            b"\xff\xfe\x00",
            b"{\"apikey\":",
            b"[1,2",
            b"\"\\ud800\"",
        ] {
            check(&app, name, "application/json", raw.to_vec()).await;
            sent += 1;
        }
        let huge = format!(
            "{{\"apikey\":\"{}\",\"x\":\"{}\"}}",
            key.expose(),
            "a".repeat(2 << 20)
        );
        check(&app, name, "application/json", huge.into_bytes()).await;
        sent += 1;
    }
    assert!(sent > 1000, "the sweep sent {sent} requests");
    // Nothing was written: no order, no trade, the same funds.
    let book = app
        .post_json("/api/v1/orderbook", &json!({"apikey": key.expose()}))
        .await
        .1;
    assert_eq!(book["data"]["orders"], json!([]), "{book}");
    let trades = app
        .post_json("/api/v1/tradebook", &json!({"apikey": key.expose()}))
        .await
        .1;
    assert_eq!(trades["data"], json!([]), "{trades}");
    let funds_after = app
        .post_json("/api/v1/funds", &json!({"apikey": key.expose()}))
        .await
        .1;
    assert_eq!(
        funds_before["data"]["availablecash"],
        funds_after["data"]["availablecash"]
    );
    let pending = app.state.store().pending_rows(user, None).await.unwrap();
    assert_eq!(pending.len(), 0);
}
