//! The market calendar (`market/holidays`, `market/timings`) and `pnl/symbols` against a
//! live server: holidays, a weekend, a special session and a normal day, every validation
//! message of the reference, IST whatever the server process's time zone, and the P&L
//! checked against the tradebook.

use std::process::Stdio;
use std::sync::Arc;

use algogate_app::clock::ManualClock;
use serde_json::{Value, json};

use crate::binary::{Spawned, capture, cmd, run, wait_for_addr};
use crate::helpers::*;

async fn user(app: &TestApp) -> String {
    let (_, key) = app.create_user("cal").await;
    key.expose().to_string()
}

async fn call(app: &TestApp, key: &str, path: &str, mut body: Value) -> (u16, Value) {
    body["apikey"] = Value::from(key);
    app.post_json(&format!("/api/v1/{path}"), &body).await
}

const NSE_HOLIDAY_CLOSED: [&str; 6] = ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD"];

#[tokio::test]
async fn holidays_list_the_year_with_types_and_exchanges() {
    let app = spawn_app_with(Arc::new(ManualClock::at_ist(2025, 12, 2, 11, 0, 0)), |_| {}).await;
    let key = user(&app).await;
    let (s, b) = call(&app, &key, "market/holidays", json!({"year": 2026})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "success");
    assert_eq!(b["timezone"], "Asia/Kolkata");
    assert_eq!(b["year"], 2026);
    let data = b["data"].as_array().unwrap();
    assert_eq!(data.len(), 18);
    let dates: Vec<&str> = data.iter().map(|d| d["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "ordered by date");
    let holi = data.iter().find(|d| d["date"] == "2026-03-03").unwrap();
    assert_eq!(
        holi,
        &json!({"closed_exchanges": NSE_HOLIDAY_CLOSED, "date": "2026-03-03",
            "description": "Holi", "holiday_type": "TRADING_HOLIDAY",
            "open_exchanges": [{"end_time": 1772562300000_i64, "exchange": "MCX",
                "start_time": 1772537400000_i64}]})
    );
    let muhurat = data.iter().find(|d| d["date"] == "2026-11-08").unwrap();
    assert_eq!(muhurat["holiday_type"], "SPECIAL_SESSION");
    assert_eq!(muhurat["closed_exchanges"], json!([]));
    assert_eq!(muhurat["open_exchanges"].as_array().unwrap().len(), 7);
    assert_eq!(
        muhurat["open_exchanges"][0]["start_time"],
        1794141000000_i64
    );
    assert_eq!(muhurat["open_exchanges"][0]["end_time"], 1794145500000_i64);
    let settlement = data.iter().find(|d| d["date"] == "2026-02-19").unwrap();
    assert_eq!(settlement["holiday_type"], "SETTLEMENT_HOLIDAY");

    // No year: the current IST year (the clock says 2025); a numeric string is accepted;
    // a year with no rows is an empty list.
    let (s, b) = call(&app, &key, "market/holidays", json!({})).await;
    assert_eq!((s, b["year"].clone()), (200, json!(2025)), "{b}");
    assert_eq!(b["data"].as_array().unwrap().len(), 14);
    let (s, b) = call(&app, &key, "market/holidays", json!({"year": "2026"})).await;
    assert_eq!((s, b["year"].clone()), (200, json!(2026)));
    let (s, b) = call(&app, &key, "market/holidays", json!({"year": 2030})).await;
    assert_eq!((s, b["data"].clone()), (200, json!([])));
}

#[tokio::test]
async fn holidays_and_timings_validation_messages() {
    let app = spawn_app().await;
    let key = user(&app).await;
    let range = "Must be greater than or equal to 2020 and less than or equal to 2050.";
    for (body, errors) in [
        (json!({"year": 2019}), json!({"year": [range]})),
        (json!({"year": 2051}), json!({"year": [range]})),
        (
            json!({"year": null}),
            json!({"year": ["Field may not be null."]}),
        ),
        (
            json!({"year": "20x6"}),
            json!({"year": ["Not a valid integer."]}),
        ),
        (
            json!({"year": 2026, "x": 1}),
            json!({"x": ["Unknown field."]}),
        ),
    ] {
        let (s, b) = call(&app, &key, "market/holidays", body.clone()).await;
        assert_eq!(s, 400, "{body}: {b}");
        assert_eq!(b, json!({"status": "error", "message": errors}), "{body}");
    }
    let (s, b) = app.post_json("/api/v1/market/holidays", &json!({})).await;
    assert_eq!(s, 400);
    assert_eq!(
        b["message"],
        json!({"apikey": ["Missing data for required field."]})
    );
    let (s, b) = app
        .post_json("/api/v1/market/holidays", &json!({"apikey": ""}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        b["message"],
        json!({"apikey": ["Length must be between 1 and 256."]})
    );
    // Marshmallow truncates before the range check.
    let (s, _) = call(&app, &key, "market/holidays", json!({"year": 2050.7})).await;
    assert_eq!(s, 200);

    for (date, msg) in [
        ("19-12-2025", "Invalid date format. Use YYYY-MM-DD"),
        ("2025-02-30", "Invalid date format. Use YYYY-MM-DD"),
        ("2025/12/19", "Invalid date format. Use YYYY-MM-DD"),
        ("", "Invalid date format. Use YYYY-MM-DD"),
        (
            "2019-12-31",
            "Date must be between 2020-01-01 and 2050-12-31",
        ),
        (
            "2051-01-01",
            "Date must be between 2020-01-01 and 2050-12-31",
        ),
    ] {
        let (s, b) = call(&app, &key, "market/timings", json!({"date": date})).await;
        assert_eq!(s, 400, "{date}: {b}");
        assert_eq!(b, json!({"status": "error", "message": msg}), "{date}");
    }
    for (body, errors) in [
        (
            json!({}),
            json!({"date": ["Missing data for required field."]}),
        ),
        (
            json!({"date": 20251219}),
            json!({"date": ["Not a valid string."]}),
        ),
        (
            json!({"date": null}),
            json!({"date": ["Field may not be null."]}),
        ),
    ] {
        let (s, b) = call(&app, &key, "market/timings", body.clone()).await;
        assert_eq!(s, 400, "{body}: {b}");
        assert_eq!(b["message"], errors, "{body}");
    }
    // The key is verified (upstream only length-checks it).
    let (s, b) = app
        .post_json(
            "/api/v1/market/timings",
            &json!({"apikey": "x", "date": "2025-12-19"}),
        )
        .await;
    assert_eq!((s, b), (403, invalid_key()));
    // Python's strptime is lenient about leading zeros.
    let (s, b) = call(&app, &key, "market/timings", json!({"date": "2025-12-1"})).await;
    assert_eq!(s, 200, "{b}");
}

fn exchanges(b: &Value) -> Vec<&str> {
    b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["exchange"].as_str().unwrap())
        .collect()
}

/// The four kinds of day, as a server whose process runs in another time zone answers them.
async fn check_timings(post: impl AsyncFn(&str) -> (u16, Value)) {
    // A normal Friday: all nine exchanges, IST midnight + offsets.
    let (s, b) = post("2025-12-19").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        exchanges(&b),
        [
            "NSE", "BSE", "NFO", "BFO", "MCX", "BCD", "CDS", "NCO", "CRYPTO"
        ]
    );
    assert_eq!(
        b["data"][0],
        json!({"end_time": 1766138400000_i64, "exchange": "NSE", "start_time": 1766115900000_i64})
    );
    assert_eq!(b["data"][2]["end_time"], 1766139000000_i64);
    let crypto = &b["data"][8];
    assert_eq!(
        crypto["end_time"].as_i64().unwrap() - crypto["start_time"].as_i64().unwrap(),
        86_399_000
    );
    // A weekend: CRYPTO only.
    let (_, b) = post("2025-12-20").await;
    assert_eq!(exchanges(&b), ["CRYPTO"]);
    assert_eq!(b["data"][0]["start_time"], 1766169000000_i64);
    // A trading holiday: only the MCX evening; one with every exchange closed: nothing.
    let (_, b) = post("2026-03-03").await;
    assert_eq!(
        b["data"],
        json!([{"end_time": 1772562300000_i64, "exchange": "MCX", "start_time": 1772537400000_i64}])
    );
    let (_, b) = post("2026-01-26").await;
    assert_eq!(b["data"], json!([]));
    // A special session (Muhurat, a Sunday): its seven sessions, MCX past midnight.
    let (_, b) = post("2026-11-08").await;
    assert_eq!(
        exchanges(&b),
        ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"]
    );
    assert_eq!(b["data"][0]["start_time"], 1794141000000_i64);
    assert_eq!(b["data"][6]["end_time"], 1794163500000_i64);
}

#[tokio::test]
async fn timings_in_process() {
    let app = spawn_app().await;
    let key = user(&app).await;
    check_timings(async |date: &str| {
        call(&app, &key, "market/timings", json!({"date": date})).await
    })
    .await;
}

#[tokio::test]
async fn timings_are_ist_whatever_the_server_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &[
            "user",
            "create",
            "--username",
            "zoneclock",
            "--password-stdin",
        ],
        Some("Kiritimati-sunrise-9f2b\n"),
    );
    assert!(
        ok,
        "{}",
        err.lines().rev().take(3).collect::<Vec<_>>().join("\n")
    );
    let (ok, key, err) = run(dir.path(), &["apikey", "show", "--user", "zoneclock"], None);
    assert!(ok, "{err}");
    let key = key.trim().to_string();
    note_secret(&key);
    for tz in ["America/New_York", "Pacific/Kiritimati", "UTC"] {
        let mut server = cmd(dir.path())
            .env("TZ", tz)
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
        let out = capture(&mut server.0);
        let base = wait_for_addr(&out).await;
        let client = reqwest::Client::new();
        check_timings(async |date: &str| {
            let r = client
                .post(format!("{base}/api/v1/market/timings"))
                .json(&json!({"apikey": key, "date": date}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        })
        .await;
        drop(server);
    }
}

#[tokio::test]
async fn pnl_by_symbol_matches_the_tradebook() {
    let app = spawn_app_with(Arc::new(ManualClock::at_ist(2026, 1, 6, 11, 0, 0)), |_| {}).await;
    let key = user(&app).await;
    let (s, b) = call(&app, &key, "pnl/symbols", json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"status": "success", "data": [], "mode": "analyze", "total_pnl": 0.0,
            "total_pnl_today": 0.0, "total_today_realized_pnl": 0.0, "total_unrealized_pnl": 0.0})
    );
    let order = |action: &str, qty: &str, symbol: &str| {
        json!({"strategy": "pnl", "exchange": "NSE", "symbol": symbol, "action": action,
            "quantity": qty, "pricetype": "MARKET", "product": "MIS"})
    };
    for (a, q, sym) in [
        ("BUY", "10", "SBIN"),
        ("SELL", "4", "SBIN"),
        ("SELL", "5", "INFY"),
        ("BUY", "5", "INFY"),
        ("SELL", "3", "TCS"),
    ] {
        let (s, b) = call(&app, &key, "placeorder", order(a, q, sym)).await;
        assert_eq!(s, 200, "{b}");
    }
    let (_, tb) = call(&app, &key, "tradebook", json!({})).await;
    let px = |sym: &str, action: &str| -> f64 {
        tb["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["symbol"] == sym && t["action"] == action)
            .unwrap()["average_price"]
            .as_f64()
            .unwrap()
    };
    let ltp = |sym: &str| {
        app.state
            .market()
            .quote(sym, algogate_broker::Exchange::Nse)
            .unwrap()
            .ltp
    };
    let (s, b) = call(&app, &key, "pnl/symbols", json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["mode"], "analyze");
    let row = |sym: &str| {
        b["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["symbol"] == sym)
            .unwrap()
            .clone()
    };
    let close = |a: f64, e: f64| assert!((a - e).abs() < 0.011, "{a} vs {e}");
    let f = |v: &Value| v.as_f64().unwrap();

    let sbin = row("SBIN");
    assert_eq!(sbin["quantity"], 6);
    assert_eq!(sbin["product"], "MIS");
    assert_eq!(sbin["exchange"], "NSE");
    close(
        f(&sbin["today_realized_pnl"]),
        (px("SBIN", "SELL") - px("SBIN", "BUY")) * 4.0,
    );
    close(
        f(&sbin["unrealized_pnl"]),
        (ltp("SBIN") - px("SBIN", "BUY")) * 6.0,
    );
    close(
        f(&sbin["pnl"]),
        f(&sbin["today_realized_pnl"]) + f(&sbin["unrealized_pnl"]),
    );
    // A short closed the same session: realized only.
    let infy = row("INFY");
    assert_eq!(infy["quantity"], 0);
    assert_eq!(infy["unrealized_pnl"], 0.0);
    close(
        f(&infy["today_realized_pnl"]),
        (px("INFY", "SELL") - px("INFY", "BUY")) * 5.0,
    );
    close(f(&infy["total_pnl_today"]), f(&infy["today_realized_pnl"]));
    // An open short: negative quantity, (avg - ltp) * |qty|.
    let tcs = row("TCS");
    assert_eq!(tcs["quantity"], -3);
    close(
        f(&tcs["unrealized_pnl"]),
        (px("TCS", "SELL") - ltp("TCS")) * 3.0,
    );
    let sum = |k: &str| {
        b["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| f(&r[k]))
            .sum::<f64>()
    };
    close(f(&b["total_pnl"]), sum("total_pnl_today"));
    close(f(&b["total_pnl_today"]), sum("total_pnl_today"));
    close(f(&b["total_unrealized_pnl"]), sum("unrealized_pnl"));
    close(f(&b["total_today_realized_pnl"]), sum("today_realized_pnl"));
    let mut keys: Vec<&String> = sbin.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "exchange",
            "pnl",
            "product",
            "quantity",
            "symbol",
            "today_realized_pnl",
            "total_pnl_today",
            "unrealized_pnl"
        ]
    );

    for (body, errors) in [(json!({"x": 1}), json!({"x": ["Unknown field."]}))] {
        let (s, b) = call(&app, &key, "pnl/symbols", body).await;
        assert_eq!((s, b["message"].clone()), (400, errors));
    }
    let (s, b) = app
        .post_json("/api/v1/pnl/symbols", &json!({"apikey": "nope"}))
        .await;
    assert_eq!((s, b), (403, invalid_key()));
}
