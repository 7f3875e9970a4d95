//! Market data, symbol and analyzer endpoints against a live server with a fixed clock
//! (so quotes and history are computed for the same instant and can be compared).

use std::sync::Arc;

use algogate_app::clock::ManualClock;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Asia::Kolkata;
use serde_json::{Value, json};

use crate::helpers::*;

/// 2025-12-30 10:00 IST: a Tuesday, NFO series generated around it.
fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_ist(2025, 12, 30, 10, 0, 0))
}

const TODAY: &str = "2025-12-30";

async fn setup() -> (TestApp, String) {
    let app = spawn_app_with(clock(), |_| {}).await;
    let (_, key) = app.create_user("trader").await;
    let key = key.expose().to_string();
    (app, key)
}

/// Posts `body` with `apikey` added.
async fn call(app: &TestApp, key: &str, endpoint: &str, mut body: Value) -> (u16, Value) {
    body["apikey"] = json!(key);
    app.post_json(&format!("/api/v1/{endpoint}"), &body).await
}

/// GET: status, content type, body text.
async fn get(app: &TestApp, path_and_query: &str) -> (u16, String, String) {
    let res = app
        .client
        .get(format!("{}/api/v1/{path_and_query}", app.base))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

async fn get_json(app: &TestApp, path_and_query: &str) -> (u16, Value) {
    let (status, ct, text) = get(app, path_and_query).await;
    assert!(ct.starts_with("application/json"), "{path_and_query}: {ct}");
    (status, serde_json::from_str(&text).unwrap())
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn bad(message: Value) -> Value {
    json!({"status": "error", "message": message})
}

const EXCHANGE_CHOICES: &str = "Must be one of: NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, NCO, \
                                NSE_INDEX, BSE_INDEX, MCX_INDEX, GLOBAL_INDEX, CRYPTO.";

fn not_found(symbol: &str, exchange: &str) -> String {
    format!(
        "Symbol '{symbol}' not found for exchange '{exchange}'. Please verify the symbol name \
         and ensure master contracts are downloaded."
    )
}

#[tokio::test]
async fn quotes_return_openalgo_fields_without_a_mode() {
    let (app, key) = setup().await;
    for path in ["quotes", "quotes/"] {
        let (status, body) = call(
            &app,
            &key,
            path,
            json!({"symbol": "RELIANCE", "exchange": "NSE"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            keys(&body),
            sorted(&["status", "data"]),
            "no mode key: {body}"
        );
        assert_eq!(body["status"], "success");
        let d = &body["data"];
        assert_eq!(
            keys(d),
            sorted(&[
                "open",
                "high",
                "low",
                "ltp",
                "ask",
                "bid",
                "prev_close",
                "volume",
                "oi"
            ])
        );
        assert!(
            f(&d["bid"]) <= f(&d["ltp"]) && f(&d["ltp"]) <= f(&d["ask"]),
            "{d}"
        );
        assert!(
            f(&d["low"]) <= f(&d["ltp"]) && f(&d["ltp"]) <= f(&d["high"]),
            "{d}"
        );
        assert!(d["volume"].as_u64().unwrap() > 0);
    }
    let (status, body) = call(
        &app,
        &key,
        "quotes",
        json!({"symbol": "NIFTY", "exchange": "NSE_INDEX"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(f(&body["data"]["ltp"]) > 1000.0);
}

#[tokio::test]
async fn quotes_and_depth_reject_bad_requests_with_openalgo_messages() {
    let (app, key) = setup().await;
    for ep in ["quotes", "depth"] {
        let cases = [
            (
                json!({"exchange": "NSE"}),
                json!({"symbol": ["Missing data for required field."]}),
            ),
            (
                json!({"symbol": "RELIANCE", "exchange": "NSE", "qty": 1}),
                json!({"qty": ["Unknown field."]}),
            ),
            (
                json!({"symbol": 123, "exchange": "nse"}),
                json!({"symbol": ["Not a valid string."], "exchange": [EXCHANGE_CHOICES]}),
            ),
            (
                json!({"symbol": "RELIANCE", "exchange": null}),
                json!({"exchange": ["Field may not be null."]}),
            ),
        ];
        for (body, message) in cases {
            assert_eq!(
                call(&app, &key, ep, body.clone()).await,
                (400, bad(message)),
                "{ep} {body}"
            );
        }
        let (status, body) = call(
            &app,
            &key,
            ep,
            json!({"symbol": "NOSUCHSYM", "exchange": "NSE"}),
        )
        .await;
        assert_eq!(
            (status, body),
            (400, bad(json!(not_found("NOSUCHSYM", "NSE"))))
        );
        // A real symbol on the wrong exchange is just as unknown.
        let (status, body) = call(
            &app,
            &key,
            ep,
            json!({"symbol": "RELIANCE", "exchange": "NFO"}),
        )
        .await;
        assert_eq!(
            (status, body),
            (400, bad(json!(not_found("RELIANCE", "NFO"))))
        );
        // No body at all, and a JSON array.
        let (status, _) = app
            .post_raw(&format!("/api/v1/{ep}"), "application/json", "")
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            app.post_json(&format!("/api/v1/{ep}"), &json!([1])).await,
            (400, bad(json!({"_schema": ["Invalid input type."]})))
        );
    }
}

#[tokio::test]
async fn every_post_endpoint_refuses_an_invalid_key_and_a_wrong_method() {
    let (app, _) = setup().await;
    let bodies = [
        ("quotes", json!({"symbol": "RELIANCE", "exchange": "NSE"})),
        (
            "multiquotes",
            json!({"symbols": [{"symbol": "RELIANCE", "exchange": "NSE"}]}),
        ),
        ("depth", json!({"symbol": "RELIANCE", "exchange": "NSE"})),
        (
            "history",
            json!({"symbol": "RELIANCE", "exchange": "NSE", "interval": "D",
                   "start_date": TODAY, "end_date": TODAY}),
        ),
        ("intervals", json!({})),
        ("symbol", json!({"symbol": "RELIANCE", "exchange": "NSE"})),
        ("search", json!({"query": "RELIANCE"})),
        (
            "expiry",
            json!({"symbol": "NIFTY", "exchange": "NFO", "instrumenttype": "options"}),
        ),
        ("analyzer", json!({})),
    ];
    let wrong = "0".repeat(64);
    for (ep, body) in bodies {
        assert_eq!(
            call(&app, &wrong, ep, body.clone()).await,
            (403, invalid_key()),
            "{ep}"
        );
        // A missing key is a schema error, not a 403.
        let (status, _) = app.post_json(&format!("/api/v1/{ep}"), &body).await;
        assert_eq!(status, 400, "{ep}");
        for path in [ep.to_string(), format!("{ep}/")] {
            let (status, body) = get_json(&app, &path).await;
            assert_eq!(status, 405, "GET {path}");
            assert_eq!(body["status"], "error");
        }
    }
}

#[tokio::test]
async fn multiquotes_put_invalid_symbols_first_and_refuse_all_invalid() {
    let (app, key) = setup().await;
    let (status, body) = call(
        &app,
        &key,
        "multiquotes",
        json!({"symbols": [
            {"symbol": "RELIANCE", "exchange": "NSE"},
            {"symbol": "NOSUCH", "exchange": "NSE"},
            {"symbol": "TCS", "exchange": "NSE"},
            {"symbol": "NIFTY", "exchange": "NSE_INDEX"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), sorted(&["status", "results"]));
    let r = body["results"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(
        r[0],
        json!({"symbol": "NOSUCH", "exchange": "NSE", "error": not_found("NOSUCH", "NSE")})
    );
    let order: Vec<&str> = r.iter().map(|x| x["symbol"].as_str().unwrap()).collect();
    assert_eq!(order, ["NOSUCH", "RELIANCE", "TCS", "NIFTY"]);
    for item in &r[1..] {
        assert_eq!(keys(item), sorted(&["symbol", "exchange", "data"]));
        assert!(f(&item["data"]["ltp"]) > 0.0);
    }
    // The same instant gives the same quote as /quotes.
    let (_, q) = call(
        &app,
        &key,
        "quotes",
        json!({"symbol": "TCS", "exchange": "NSE"}),
    )
    .await;
    assert_eq!(r[2]["data"], q["data"]);

    let (status, body) = call(
        &app,
        &key,
        "multiquotes",
        json!({"symbols": [{"symbol": "AAA", "exchange": "NSE"}, {"symbol": "BBB", "exchange": "BSE"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "status": "error",
            "message": not_found("AAA", "NSE"),
            "invalid_symbols": [
                {"symbol": "AAA", "exchange": "NSE", "error": not_found("AAA", "NSE")},
                {"symbol": "BBB", "exchange": "BSE", "error": not_found("BBB", "BSE")},
            ]
        })
    );
}

#[tokio::test]
async fn multiquotes_validate_the_list_like_marshmallow() {
    let (app, key) = setup().await;
    let cases = [
        (
            json!({"symbols": []}),
            json!({"symbols": ["Shorter than minimum length 1."]}),
        ),
        (
            json!({"symbols": "RELIANCE"}),
            json!({"symbols": ["Not a valid list."]}),
        ),
        (
            json!({}),
            json!({"symbols": ["Missing data for required field."]}),
        ),
        (
            json!({"symbols": [{"symbol": "RELIANCE", "exchange": "NSE"}, {"symbol": "X", "exchange": "nse", "ltp": 1}, 7]}),
            json!({"symbols": {
                "1": {"exchange": [EXCHANGE_CHOICES], "ltp": ["Unknown field."]},
                "2": {"_schema": ["Invalid input type."]},
            }}),
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            call(&app, &key, "multiquotes", body.clone()).await,
            (400, bad(message)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn depth_has_five_sorted_levels_a_side() {
    let (app, key) = setup().await;
    let (status, body) = call(
        &app,
        &key,
        "depth",
        json!({"symbol": "INFY", "exchange": "NSE"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), sorted(&["status", "data"]));
    let d = &body["data"];
    assert_eq!(
        keys(d),
        sorted(&[
            "open",
            "high",
            "low",
            "ltp",
            "ltq",
            "prev_close",
            "volume",
            "oi",
            "totalbuyqty",
            "totalsellqty",
            "asks",
            "bids"
        ])
    );
    let side = |name: &str| -> Vec<(f64, u64)> {
        d[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                assert_eq!(keys(l), sorted(&["price", "quantity"]));
                (f(&l["price"]), l["quantity"].as_u64().unwrap())
            })
            .collect()
    };
    let (bids, asks) = (side("bids"), side("asks"));
    assert_eq!((bids.len(), asks.len()), (5, 5));
    assert!(bids.windows(2).all(|w| w[0].0 > w[1].0), "{bids:?}");
    assert!(asks.windows(2).all(|w| w[0].0 < w[1].0), "{asks:?}");
    assert!(bids[0].0 < asks[0].0);
    let total = |v: &[(f64, u64)]| v.iter().map(|l| l.1).sum::<u64>();
    assert_eq!(d["totalbuyqty"].as_u64().unwrap(), total(&bids));
    assert_eq!(d["totalsellqty"].as_u64().unwrap(), total(&asks));
}

fn history_body(symbol: &str, exchange: &str, interval: &str, start: &str, end: &str) -> Value {
    json!({"symbol": symbol, "exchange": exchange, "interval": interval,
           "start_date": start, "end_date": end})
}

#[tokio::test]
async fn history_timestamps_are_epoch_seconds_and_agree_with_the_quote() {
    let (app, key) = setup().await;
    let (_, quote) = call(
        &app,
        &key,
        "quotes",
        json!({"symbol": "SBIN", "exchange": "NSE"}),
    )
    .await;
    let q = &quote["data"];

    let (status, body) = call(
        &app,
        &key,
        "history",
        history_body("SBIN", "NSE", "D", "2025-12-20", TODAY),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), sorted(&["status", "data"]));
    let days = body["data"].as_array().unwrap();
    // Continuous calendar: one bar per day, the 20th to today.
    assert_eq!(days.len(), 11);
    for (i, c) in days.iter().enumerate() {
        assert_eq!(
            keys(c),
            sorted(&["timestamp", "open", "high", "low", "close", "volume", "oi"])
        );
        let date = NaiveDate::from_ymd_opt(2025, 12, 20 + i as u32).unwrap();
        let midnight = Kolkata
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .timestamp();
        assert_eq!(
            c["timestamp"],
            json!(midnight),
            "bar {i} at IST midnight, in seconds"
        );
        assert!(f(&c["low"]) <= f(&c["open"]) && f(&c["open"]) <= f(&c["high"]));
        assert!(f(&c["low"]) <= f(&c["close"]) && f(&c["close"]) <= f(&c["high"]));
    }
    let today = days.last().unwrap();
    for (bar, quote) in [
        ("open", "open"),
        ("high", "high"),
        ("low", "low"),
        ("close", "ltp"),
    ] {
        assert_eq!(today[bar], q[quote], "today's {bar} vs the quote's {quote}");
    }
    assert_eq!(today["volume"], q["volume"]);
    // Yesterday's close is today's prev_close.
    assert_eq!(days[days.len() - 2]["close"], q["prev_close"]);

    // Intraday: minute bars of today end at the quote's price and span its range.
    let (status, body) = call(
        &app,
        &key,
        "history",
        history_body("SBIN", "NSE", "1m", TODAY, TODAY),
    )
    .await;
    assert_eq!(status, 200);
    let mins = body["data"].as_array().unwrap();
    assert_eq!(mins.len(), 600, "00:00 to 10:00 IST");
    let ts: Vec<i64> = mins
        .iter()
        .map(|c| c["timestamp"].as_i64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[1] - w[0] == 60));
    assert_eq!(mins.last().unwrap()["close"], q["ltp"]);
    let high = mins.iter().map(|c| f(&c["high"])).fold(f64::MIN, f64::max);
    let low = mins.iter().map(|c| f(&c["low"])).fold(f64::MAX, f64::min);
    assert_eq!((high, low), (f(&q["high"]), f(&q["low"])));
}

#[tokio::test]
async fn history_serves_every_interval_it_lists() {
    let (app, key) = setup().await;
    let (status, body) = call(&app, &key, "intervals", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": "success", "data": {
            "seconds": ["1s", "5s", "10s", "15s", "30s", "45s"],
            "minutes": ["1m", "2m", "3m", "5m", "10m", "15m", "20m", "30m"],
            "hours": ["1h", "2h", "3h", "4h"],
            "days": ["D"], "weeks": ["W"], "months": ["M", "Q", "Y"],
        }})
    );
    for group in body["data"].as_object().unwrap().values() {
        for interval in group.as_array().unwrap() {
            let interval = interval.as_str().unwrap();
            let start = if interval.ends_with(['s', 'm', 'h']) {
                TODAY
            } else {
                "2024-01-01"
            };
            let (status, res) = call(
                &app,
                &key,
                "history",
                history_body("RELIANCE", "NSE", interval, start, TODAY),
            )
            .await;
            assert_eq!(status, 200, "{interval}: {res}");
            let data = res["data"].as_array().unwrap();
            assert!(!data.is_empty(), "{interval}");
            let ts: Vec<i64> = data
                .iter()
                .map(|c| c["timestamp"].as_i64().unwrap())
                .collect();
            assert!(ts.windows(2).all(|w| w[0] < w[1]), "{interval} ascending");
            assert!(
                ts.iter()
                    .all(|t| (1_000_000_000..10_000_000_000).contains(t))
            );
        }
    }
}

#[tokio::test]
async fn history_rejects_bad_fields_dates_and_ranges_with_400() {
    let (app, key) = setup().await;
    let intervals = "1s, 5s, 10s, 15s, 30s, 45s, 1m, 2m, 3m, 5m, 10m, 15m, 20m, 30m, 1h, 2h, \
                     3h, 4h, D, W, M, Q, Y";
    let cases: Vec<(Value, Value)> = vec![
        (
            history_body("SBIN", "NSE", "D", "2025-13-01", "30-12-2025"),
            json!({"start_date": ["Not a valid date."], "end_date": ["Not a valid date."]}),
        ),
        (
            json!({"symbol": "SBIN", "exchange": "NSE", "interval": "D", "start_date": 20251201, "end_date": TODAY}),
            json!({"start_date": ["Not a valid date."]}),
        ),
        (
            json!({"symbol": "SBIN", "exchange": "NSE"}),
            json!({
                "interval": ["Missing data for required field."],
                "start_date": ["Missing data for required field."],
                "end_date": ["Missing data for required field."],
            }),
        ),
        (
            {
                let mut b = history_body("SBIN", "NSE", "D", TODAY, TODAY);
                b["source"] = json!("web");
                b
            },
            json!({"source": ["Must be one of: api, db."]}),
        ),
        (
            history_body("SBIN", "NSE", "1d", TODAY, TODAY),
            json!(format!(
                "Invalid interval '1d'. Must be one of: {intervals}"
            )),
        ),
        (
            history_body("NOSUCH", "NSE", "D", TODAY, TODAY),
            json!(not_found("NOSUCH", "NSE")),
        ),
        (
            history_body("SBIN", "NSE", "D", TODAY, "2025-12-01"),
            json!("start_date must be on or before end_date"),
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            call(&app, &key, "history", body.clone()).await,
            (400, bad(message)),
            "{body}"
        );
    }
    // Ranges too large for one response: a clear 400, never a 500 or a timeout.
    for (interval, start) in [
        ("1s", "2025-11-01"),
        ("D", "1900-01-01"),
        ("1m", "0001-01-01"),
    ] {
        let (status, body) = call(
            &app,
            &key,
            "history",
            history_body("SBIN", "NSE", interval, start, "9999-12-31"),
        )
        .await;
        assert_eq!(status, 400, "{interval} {start}: {body}");
        let msg = body["message"].as_str().unwrap();
        assert!(msg.starts_with("Date range too large"), "{msg}");
    }
    // The SDK always sends source=api; db is accepted too.
    for source in ["api", "db"] {
        let mut b = history_body("SBIN", "NSE", "D", TODAY, TODAY);
        b["source"] = json!(source);
        assert_eq!(call(&app, &key, "history", b).await.0, 200, "{source}");
    }
}

#[tokio::test]
async fn symbol_returns_every_field_and_404_for_unknown() {
    let (app, key) = setup().await;
    let (status, body) = call(
        &app,
        &key,
        "symbol",
        json!({"symbol": "RELIANCE", "exchange": "NSE"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(
        keys(d),
        sorted(&[
            "id",
            "symbol",
            "brsymbol",
            "name",
            "exchange",
            "brexchange",
            "token",
            "expiry",
            "strike",
            "lotsize",
            "instrumenttype",
            "tick_size",
            "freeze_qty"
        ])
    );
    assert_eq!(
        (d["symbol"].as_str(), d["exchange"].as_str()),
        (Some("RELIANCE"), Some("NSE"))
    );
    assert_eq!(
        call(
            &app,
            &key,
            "symbol",
            json!({"symbol": "NOSUCH", "exchange": "NSE"})
        )
        .await,
        (404, bad(json!("Symbol NOSUCH not found in exchange NSE")))
    );
    assert_eq!(
        call(
            &app,
            &key,
            "symbol",
            json!({"symbol": "RELIANCE", "exchange": "XX"})
        )
        .await,
        (400, bad(json!({"exchange": [EXCHANGE_CHOICES]})))
    );
}

#[tokio::test]
async fn search_ranks_exact_then_prefix_and_caps_at_500() {
    let (app, key) = setup().await;
    let (status, body) = call(&app, &key, "search", json!({"query": "nifty"})).await;
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 500, "NIFTY has more derivatives than the limit");
    assert_eq!(body["message"], "Found 500 matching symbols");
    assert_eq!(data[0]["symbol"], "NIFTY", "exact match first");
    assert_eq!(
        keys(&data[0]),
        sorted(&[
            "symbol",
            "brsymbol",
            "name",
            "exchange",
            "brexchange",
            "token",
            "expiry",
            "strike",
            "lotsize",
            "instrumenttype",
            "tick_size",
            "freeze_qty"
        ])
    );
    // Every prefix match comes before any hit that only contains the query.
    let prefix: Vec<bool> = data
        .iter()
        .map(|d| d["symbol"].as_str().unwrap().starts_with("NIFTY"))
        .collect();
    let first_non_prefix = prefix.iter().position(|p| !p).unwrap_or(prefix.len());
    assert!(
        prefix[first_non_prefix..].iter().all(|p| !p),
        "prefix hits are grouped first"
    );

    // Exchange filter, and a name match (no symbol contains "TATA CONSULTANCY").
    let (_, body) = call(
        &app,
        &key,
        "search",
        json!({"query": "RELIANCE", "exchange": "NSE"}),
    )
    .await;
    let data = body["data"].as_array().unwrap();
    assert_eq!(data[0]["symbol"], "RELIANCE");
    assert!(data.iter().all(|d| d["exchange"] == "NSE"));

    assert_eq!(
        call(&app, &key, "search", json!({"query": "ZZQQXX"})).await,
        (
            200,
            json!({"status": "success", "message": "No matching symbols found", "data": []})
        )
    );
    for q in ["", "   "] {
        assert_eq!(
            call(&app, &key, "search", json!({"query": q})).await,
            (
                400,
                bad(json!("Query parameter is required and cannot be empty"))
            )
        );
    }
    assert_eq!(
        call(
            &app,
            &key,
            "search",
            json!({"query": "X", "exchange": "nse"})
        )
        .await,
        (400, bad(json!({"exchange": [EXCHANGE_CHOICES]})))
    );
}

#[tokio::test]
async fn expiry_lists_sorted_dd_mmm_yy_dates() {
    let (app, key) = setup().await;
    for kind in ["options", "futures"] {
        let (status, body) = call(
            &app,
            &key,
            "expiry",
            json!({"symbol": "nifty", "exchange": "NFO", "instrumenttype": kind}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let data: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert!(!data.is_empty());
        assert_eq!(
            body["message"],
            format!("Found {} expiry dates for NIFTY {kind} in NFO", data.len())
        );
        let dates: Vec<NaiveDate> = data
            .iter()
            .map(|d| {
                assert_eq!(d.len(), 9, "{d}");
                assert_eq!(d.to_ascii_uppercase(), *d);
                NaiveDate::parse_from_str(d, "%d-%b-%y").unwrap_or_else(|_| panic!("{d}"))
            })
            .collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]), "{data:?}");
        assert!(dates[0] >= NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
    }
    assert_eq!(
        call(
            &app,
            &key,
            "expiry",
            json!({"symbol": "RELIANCE", "exchange": "NSE", "instrumenttype": "Options"})
        )
        .await,
        (
            400,
            bad(json!({
                "exchange": ["Must be one of: NFO, BFO, MCX, CDS, NCO, BCD, NCDEX, CRYPTO."],
                "instrumenttype": ["Must be one of: futures, options."],
            }))
        )
    );
    assert_eq!(
        call(
            &app,
            &key,
            "expiry",
            json!({"symbol": " ", "exchange": "NFO", "instrumenttype": "futures"})
        )
        .await,
        (
            400,
            bad(json!("Symbol parameter is required and cannot be empty"))
        )
    );
    assert_eq!(
        call(
            &app,
            &key,
            "expiry",
            json!({"symbol": "NOSUCH", "exchange": "NFO", "instrumenttype": "futures"})
        )
        .await,
        (
            200,
            json!({"status": "success", "message": "No expiry dates found for NOSUCH futures in NFO", "data": []})
        )
    );
}

#[tokio::test]
async fn analyzer_reports_analyze_mode_with_style_s_errors() {
    let (app, key) = setup().await;
    assert_eq!(
        call(&app, &key, "analyzer", json!({})).await,
        (
            200,
            json!({"status": "success", "data": {"mode": "analyze", "analyze_mode": true, "total_logs": 0}})
        )
    );
    assert_eq!(
        call(&app, &key, "analyzer", json!({"mode": true})).await,
        (400, bad(json!("{'mode': ['Unknown field.']}")))
    );
}

#[tokio::test]
async fn instruments_serve_json_and_csv_with_or_without_exchange() {
    let (app, key) = setup().await;
    let total = app.state.market().master().len();

    let (status, body) = get_json(&app, &format!("instruments?apikey={key}&exchange=NSE")).await;
    assert_eq!(status, 200);
    let nse = body["data"].as_array().unwrap();
    assert!(nse.len() > 200, "hundreds of NSE equities");
    assert_eq!(body["message"], format!("Found {} instruments", nse.len()));
    assert!(nse.iter().all(|r| r["exchange"] == "NSE"));
    assert_eq!(
        keys(&nse[0]),
        sorted(&[
            "symbol",
            "brsymbol",
            "name",
            "exchange",
            "brexchange",
            "token",
            "expiry",
            "strike",
            "lotsize",
            "instrumenttype",
            "tick_size"
        ])
    );

    // No exchange: everything (OpenAlgo answers 400 here, contrary to its docs and SDK).
    for path in [
        format!("instruments?apikey={key}"),
        format!("instruments/?apikey={key}&format=json"),
    ] {
        let (status, body) = get_json(&app, &path).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"].as_array().unwrap().len(), total);
    }

    let (status, ct, text) = get(
        &app,
        &format!("instruments?apikey={key}&format=CSV&exchange=NFO"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "symbol,brsymbol,name,exchange,brexchange,token,expiry,strike,lotsize,instrumenttype,tick_size"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.iter().all(|l| l.split(',').nth(3) == Some("NFO")));
    let (_, nfo) = get_json(&app, &format!("instruments?apikey={key}&exchange=NFO")).await;
    assert_eq!(rows.len(), nfo["data"].as_array().unwrap().len());
    let res = app
        .client
        .get(format!(
            "{}/api/v1/instruments?apikey={key}&format=csv",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=instruments_all.csv"
    );
}

#[tokio::test]
async fn instruments_reject_bad_queries() {
    let (app, key) = setup().await;
    let cases = [
        (
            "instruments".to_string(),
            400,
            bad(json!({"apikey": ["Field may not be null."]})),
        ),
        (
            format!("instruments?apikey={key}&exchange=nse"),
            400,
            bad(json!({"exchange": [EXCHANGE_CHOICES]})),
        ),
        (
            format!("instruments?apikey={key}&format=xml"),
            400,
            bad(json!({"format": ["Must be one of: json, csv."]})),
        ),
        (
            format!("instruments?apikey={key}&exchnage=NSE"),
            400,
            bad(json!({"exchnage": ["Unknown field."]})),
        ),
        (
            format!("instruments?apikey={}", "f".repeat(64)),
            403,
            invalid_key(),
        ),
    ];
    for (path, status, body) in cases {
        assert_eq!(get_json(&app, &path).await, (status, body), "{path}");
    }
    // CSV callers get plain-text errors, as upstream.
    let (status, ct, text) = get(
        &app,
        &format!("instruments?apikey={}&format=csv", "f".repeat(64)),
    )
    .await;
    assert_eq!((status, text.as_str()), (403, "Invalid openalgo apikey\n"));
    assert!(ct.starts_with("text/plain"));
    // POST is the wrong method.
    let (status, body) = app
        .post_json("/api/v1/instruments", &json!({"apikey": key}))
        .await;
    assert_eq!(status, 405, "{body}");
}

#[tokio::test]
async fn ticker_serves_json_and_txt() {
    let (app, key) = setup().await;
    let q = format!("apikey={key}&from=2025-12-28&to={TODAY}");
    let (status, body) = get_json(&app, &format!("ticker/NSE:SBIN?{q}")).await;
    assert_eq!(status, 200, "{body}");
    let (_, hist) = call(
        &app,
        &key,
        "history",
        history_body("SBIN", "NSE", "D", "2025-12-28", TODAY),
    )
    .await;
    assert_eq!(body["data"], hist["data"], "ticker JSON is history's data");

    let (status, ct, text) = get(&app, &format!("ticker/NSE:SBIN?{q}&format=txt")).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/plain"), "{ct}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let first: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(first[..2], ["NSE:SBIN", "2025-12-28"]);
    assert_eq!(first.len(), 7);
    assert_eq!(
        first[2].parse::<f64>().unwrap(),
        f(&hist["data"][0]["open"])
    );

    let (status, _, text) = get(
        &app,
        &format!("ticker/NSE:SBIN/?apikey={key}&interval=5m&from={TODAY}&to={TODAY}&format=txt&adjusted=true&sort=asc"),
    )
    .await;
    assert_eq!(status, 200);
    let first: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(first[..3], ["NSE:SBIN", TODAY, "00:00:00"]);
    assert_eq!(text.lines().count(), 120);

    // Intraday ranges are clamped to 30 days instead of refused.
    let (status, body) = get_json(
        &app,
        &format!("ticker/NSE:SBIN?apikey={key}&interval=1m&from=2025-01-01&to={TODAY}"),
    )
    .await;
    assert_eq!(status, 200);
    let first = body["data"][0]["timestamp"].as_i64().unwrap();
    let earliest = Kolkata
        .with_ymd_and_hms(2025, 11, 30, 0, 0, 0)
        .unwrap()
        .timestamp();
    assert_eq!(first, earliest);

    // The far past is just more simulated history (and the clamp cannot underflow).
    let (status, body) = get_json(
        &app,
        &format!("ticker/NSE:SBIN?apikey={key}&from=0000-01-01&to=0000-01-03"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn ticker_rejects_bad_requests_in_the_requested_format() {
    let (app, key) = setup().await;
    let cases = [
        (
            format!("ticker/NSE:SBIN?apikey={key}&to={TODAY}"),
            400,
            bad(json!({"from": ["Field may not be null."]})),
        ),
        (
            format!("ticker/NSE:SBIN?apikey={key}&from=yesterday&to={TODAY}"),
            400,
            bad(json!({"from": ["Not a valid date."]})),
        ),
        (
            format!("ticker/SBIN?apikey={key}&from={TODAY}&to={TODAY}"),
            400,
            bad(json!(
                "The ticker must be EXCHANGE:SYMBOL, for example /api/v1/ticker/NSE:RELIANCE"
            )),
        ),
        (
            format!("ticker/NSE:NOSUCH?apikey={key}&from={TODAY}&to={TODAY}"),
            400,
            bad(json!(not_found("NOSUCH", "NSE"))),
        ),
        (
            format!("ticker/NSE:SBIN?apikey={key}&from={TODAY}&to={TODAY}&interval=7m"),
            400,
            bad(json!(format!(
                "Invalid interval '7m'. Must be one of: 1s, 5s, 10s, 15s, 30s, 45s, 1m, 2m, \
                 3m, 5m, 10m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, D, W, M, Q, Y"
            ))),
        ),
        (
            format!("ticker/NSE:SBIN?apikey={key}&from={TODAY}&to={TODAY}&limit=5"),
            400,
            bad(json!({"limit": ["Unknown field."]})),
        ),
        (
            format!(
                "ticker/NSE:SBIN?apikey={}&from={TODAY}&to={TODAY}",
                "a".repeat(64)
            ),
            403,
            invalid_key(),
        ),
    ];
    for (path, status, body) in cases {
        assert_eq!(get_json(&app, &path).await, (status, body), "{path}");
    }
    let (status, ct, text) = get(
        &app,
        &format!(
            "ticker/NSE:SBIN?apikey={}&from={TODAY}&to={TODAY}&format=txt",
            "a".repeat(64)
        ),
    )
    .await;
    assert_eq!((status, text.as_str()), (403, "Invalid openalgo apikey\n"));
    assert!(ct.starts_with("text/plain"));
    let (status, _, text) = get(&app, &format!("ticker/NSE:SBIN?apikey={key}&format=txt")).await;
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            "{'from': ['Field may not be null.'], 'to': ['Field may not be null.']}\n"
        )
    );
}
