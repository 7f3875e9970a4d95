//! The options data endpoints against a live server on a fixed clock: 30 Dec 2025 10:00
//! IST, the expiry day of NIFTY's December monthly (`30DEC25`).

use std::sync::Arc;

use algogate_app::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::*;

async fn setup() -> (TestApp, String) {
    let app = spawn_app_with(
        Arc::new(ManualClock::at_ist(2025, 12, 30, 10, 0, 0)),
        |_| {},
    )
    .await;
    let (_, key) = app.create_user("trader").await;
    let key = key.expose().to_string();
    (app, key)
}

async fn call(app: &TestApp, key: &str, endpoint: &str, mut body: Value) -> (u16, Value) {
    body["apikey"] = json!(key);
    app.post_json(&format!("/api/v1/{endpoint}"), &body).await
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

async fn nifty_ltp(app: &TestApp, key: &str) -> f64 {
    let (s, q) = call(
        app,
        key,
        "quotes",
        json!({"symbol": "NIFTY", "exchange": "NSE_INDEX"}),
    )
    .await;
    assert_eq!(s, 200, "{q}");
    q["data"]["ltp"].as_f64().unwrap()
}

fn atm_of(ltp: f64) -> f64 {
    // Nearest multiple of 50, the lower one on a tie.
    let lo = (ltp / 50.0).floor() * 50.0;
    if ltp - lo <= lo + 50.0 - ltp {
        lo
    } else {
        lo + 50.0
    }
}

#[tokio::test]
async fn optionsymbol_resolves_offsets_from_the_spot() {
    let (app, key) = setup().await;
    let ltp = nifty_ltp(&app, &key).await;
    let atm = atm_of(ltp);
    let body = |offset: &str, t: &str| {
        json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25",
               "offset": offset, "option_type": t})
    };
    let (s, r) = call(&app, &key, "optionsymbol", body("ATM", "CE")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        keys(&r),
        [
            "status",
            "symbol",
            "exchange",
            "lotsize",
            "tick_size",
            "freeze_qty",
            "underlying_ltp"
        ]
    );
    assert_eq!(r["symbol"], format!("NIFTY30DEC25{atm:.0}CE"));
    assert_eq!(r["exchange"], "NFO");
    assert_eq!(
        (r["lotsize"].clone(), r["freeze_qty"].clone()),
        (json!(65), json!(1800))
    );
    assert_eq!(r["tick_size"], json!(0.05));
    assert_eq!(r["underlying_ltp"].as_f64(), Some(ltp));
    for (offset, t, strike) in [
        ("itm2", "pe", atm + 100.0),
        ("OTM50", "CE", atm + 2500.0),
        ("ITM50", "CE", atm - 2500.0),
        ("OTM50", "PE", atm - 2500.0),
    ] {
        let (s, r) = call(&app, &key, "optionsymbol", body(offset, t)).await;
        assert_eq!(s, 200, "{offset} {r}");
        let right = t.to_ascii_uppercase();
        assert_eq!(
            r["symbol"],
            format!("NIFTY30DEC25{strike:.0}{right}"),
            "{offset}"
        );
    }
    // An embedded expiry on NFO quotes the index; a lower-case expiry still resolves.
    let (s, r) = call(
        &app,
        &key,
        "optionsymbol",
        json!({"underlying": "NIFTY30DEC25FUT",
        "exchange": "NFO", "offset": "ATM", "option_type": "PE"}),
    )
    .await;
    assert_eq!(
        (s, r["symbol"].clone()),
        (200, json!(format!("NIFTY30DEC25{atm:.0}PE")))
    );
    let (s, r) = call(
        &app,
        &key,
        "optionsymbol",
        json!({"underlying": "NIFTY",
        "exchange": "NSE_INDEX", "expiry_date": "30dec25", "offset": "ATM", "option_type": "CE"}),
    )
    .await;
    assert_eq!(
        (s, r["symbol"].clone()),
        (200, json!(format!("NIFTY30DEC25{atm:.0}CE")))
    );
    // The `expiry` endpoint's own `DD-MMM-YY` feeds optionsymbol unchanged; another
    // dashed form is not an expiry.
    let (s, e) = call(
        &app,
        &key,
        "expiry",
        json!({"symbol": "NIFTY", "exchange": "NFO", "instrumenttype": "options"}),
    )
    .await;
    assert_eq!((s, e["data"][0].clone()), (200, json!("30-DEC-25")), "{e}");
    for (sent, status) in [
        ("30-DEC-25", 200),
        ("30-DEC-2025", 404),
        ("2025-12-30", 404),
    ] {
        let (s, r) = call(
            &app,
            &key,
            "optionsymbol",
            json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": sent,
                   "offset": "ATM", "option_type": "CE"}),
        )
        .await;
        assert_eq!(s, status, "{sent}: {r}");
        if status == 200 {
            assert_eq!(r["symbol"], format!("NIFTY30DEC25{atm:.0}CE"));
        }
    }
    // A stock on NFO is quoted on NSE.
    let (s, r) = call(
        &app,
        &key,
        "optionsymbol",
        json!({"underlying": "RELIANCE",
        "exchange": "NFO", "expiry_date": "30DEC25", "offset": "OTM2", "option_type": "CE"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(r["symbol"].as_str().unwrap().starts_with("RELIANCE30DEC25"));
    app.stop().await;
}

#[tokio::test]
async fn optionsymbol_errors_are_openalgos() {
    let (app, key) = setup().await;
    let post = |b: Value| call(&app, &key, "optionsymbol", b);
    let (s, r) = post(
        json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM",
        "option_type": "CE"}),
    )
    .await;
    assert_eq!(
        (s, r["message"].as_str().unwrap()),
        (
            400,
            "Expiry date required. Provide via expiry_date parameter or embed in underlying (e.g., NIFTY28OCT25FUT)."
        )
    );
    let (s, r) = post(json!({"underlying": "NIFTY", "exchange": "NSE_INDEX",
        "expiry_date": "31DEC25", "offset": "ATM", "option_type": "CE"}))
    .await;
    assert_eq!(
        (s, r["message"].as_str().unwrap()),
        (
            404,
            "No strikes found for NIFTY expiring 31DEC25. Please check expiry date or update master contract."
        )
    );
    let (s, r) = post(json!({"underlying": "NOPE", "exchange": "NSE_INDEX",
        "expiry_date": "30DEC25", "offset": "ATM", "option_type": "CE"}))
    .await;
    assert_eq!(s, 400, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("Failed to fetch LTP for NOPE. "),
        "{r}"
    );
    // Past the chain with the legacy method: the contract does not exist.
    let (s, r) = post(
        json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_int": "50",
        "expiry_date": "30DEC25", "offset": "OTM50", "option_type": "CE"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = post(
        json!({"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_int": 7,
        "expiry_date": "30DEC25", "offset": "ATM", "option_type": "CE"}),
    )
    .await;
    assert_eq!(s, 404, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .ends_with("not found in NFO. Symbol may not exist or master contract needs update."),
        "{r}"
    );
    // Schema errors: style E, in declaration order, unknown fields last.
    let (s, r) = post(
        json!({"exchange": "NSX", "strike_int": 0, "offset": "ITM51",
        "option_type": "XE", "extra": 1}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        r,
        json!({"status": "error", "message": "Validation error", "errors": {
            "underlying": ["Missing data for required field."],
            "exchange": ["Must be one of: NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, NCO, NSE_INDEX, BSE_INDEX, MCX_INDEX, GLOBAL_INDEX, CRYPTO."],
            "strike_int": ["Must be greater than or equal to 1."],
            "option_type": ["Must be one of: CE, PE, ce, pe."],
            "extra": ["Unknown field."],
        }})
    );
    let (s, r) = post(json!({"underlying": "NIFTY", "exchange": "NSE_INDEX",
        "expiry_date": "30DEC25", "offset": "ITM51", "option_type": "CE"}))
    .await;
    assert_eq!(
        (s, r["errors"].clone()),
        (
            400,
            json!({"offset": ["Offset must be ATM, ITM1-ITM50, or OTM1-OTM50"]})
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn optionchain_marks_the_atm_and_obeys_put_call_parity() {
    let (app, key) = setup().await;
    let ltp = nifty_ltp(&app, &key).await;
    let atm = atm_of(ltp);
    let (s, c) = call(
        &app,
        &key,
        "optionchain",
        json!({"underlying": "NIFTY",
        "exchange": "NSE_INDEX", "expiry_date": "30DEC25", "strike_count": 5, "with_greeks": true}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        keys(&c),
        [
            "status",
            "underlying",
            "underlying_symbol",
            "underlying_exchange",
            "underlying_ltp",
            "underlying_prev_close",
            "expiry_date",
            "expiry_ts",
            "server_ts",
            "atm_strike",
            "quotes_included",
            "greeks_included",
            "forward_price",
            "chain"
        ]
    );
    assert_eq!(c["atm_strike"].as_f64(), Some(atm));
    assert_eq!(c["underlying_exchange"], "NSE_INDEX");
    // 30 Dec 2025 15:30 IST.
    assert_eq!(c["expiry_ts"], json!(1_767_088_800));
    let rows = c["chain"].as_array().unwrap();
    assert_eq!(rows.len(), 11);
    for (i, row) in rows.iter().enumerate() {
        let steps = i as i64 - 5;
        assert_eq!(row["strike"].as_f64(), Some(atm + 50.0 * steps as f64));
        let (ce, pe) = match steps {
            0 => ("ATM".to_string(), "ATM".to_string()),
            s if s < 0 => (format!("ITM{}", -s), format!("OTM{}", -s)),
            s => (format!("OTM{s}"), format!("ITM{s}")),
        };
        assert_eq!(row["ce"]["label"], json!(ce));
        assert_eq!(row["pe"]["label"], json!(pe));
        for leg in [&row["ce"], &row["pe"]] {
            assert!(leg["ltp"].as_f64().unwrap() > 0.0, "{leg}");
            assert!(
                leg.get("delta").is_some() && leg.get("rho").is_none(),
                "{leg}"
            );
        }
    }
    // Parity of the simulated prices: C - P + K·D is one forward-like value for every
    // strike with one discount D (within ₹0.5: each leg is rounded to ₹0.05 and priced
    // at its own second), and that value is the spot to within ₹5 (the carry to 15:30).
    let cp = |r: &Value| r["ce"]["ltp"].as_f64().unwrap() - r["pe"]["ltp"].as_f64().unwrap();
    let k = |r: &Value| r["strike"].as_f64().unwrap();
    let (first, last) = (&rows[0], &rows[10]);
    let disc = (cp(first) - cp(last)) / (k(last) - k(first));
    assert!(disc > 0.999 && disc <= 1.0 + 1e-3, "{disc}");
    let implied: Vec<f64> = rows.iter().map(|r| cp(r) + k(r) * disc).collect();
    let (lo, hi) = implied
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(hi - lo < 0.5, "{implied:?}");
    assert!((implied[5] - ltp).abs() < 5.0, "{implied:?} vs {ltp}");
    // Schema: strike_count's range, with_greeks' boolean.
    let (s, r) = call(&app, &key, "optionchain", json!({"underlying": "NIFTY",
        "exchange": "NSE_INDEX", "expiry_date": "30DEC25", "strike_count": 101, "with_greeks": "maybe"})).await;
    assert_eq!(
        (s, r["errors"].clone()),
        (
            400,
            json!({
                "strike_count": ["Must be greater than or equal to 1 and less than or equal to 100."],
                "with_greeks": ["Not a valid boolean."],
            })
        )
    );
    let (s, r) = call(
        &app,
        &key,
        "optionchain",
        json!({"underlying": "NIFTY", "exchange": "NSE_INDEX"}),
    )
    .await;
    assert_eq!(
        (s, r["errors"].clone()),
        (
            400,
            json!({"expiry_date": ["Missing data for required field."]})
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn greeks_and_the_synthetic_future() {
    let (app, key) = setup().await;
    let ltp = nifty_ltp(&app, &key).await;
    let atm = atm_of(ltp);
    let (s, f) = call(
        &app,
        &key,
        "syntheticfuture",
        json!({"underlying": "NIFTY",
        "exchange": "NSE_INDEX", "expiry_date": "30DEC25"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["atm_strike"].as_f64(), Some(atm));
    assert_eq!(f["expiry"], "30DEC25");
    let synthetic = f["synthetic_future_price"].as_f64().unwrap();
    assert!((synthetic - ltp).abs() < 5.0, "{synthetic} vs {ltp}");

    let ce = format!("NIFTY30DEC25{atm:.0}CE");
    let (s, g) = call(
        &app,
        &key,
        "optiongreeks",
        json!({"symbol": ce, "exchange": "NFO"}),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["spot_price"].as_f64(), Some(synthetic));
    assert_eq!(g["expiry_date"], "30-Dec-2025");
    assert_eq!(g["days_to_expiry"].as_f64(), Some(0.2292));
    assert_eq!(g["interest_rate"], json!(0));
    let iv = g["implied_volatility"].as_f64().unwrap();
    assert!(iv > 1.0 && iv < 100.0, "{g}");
    let delta = g["greeks"]["delta"].as_f64().unwrap();
    assert!(delta > 0.2 && delta < 0.8, "{g}");
    assert!(g["greeks"]["theta"].as_f64().unwrap() < 0.0);
    assert!(g["greeks"]["rho"].as_f64().unwrap() <= 0.0);

    // A forward far above a deep ITM put's premium: no time value, theoretical greeks.
    let pe = format!("NIFTY30DEC25{:.0}PE", atm + 1000.0);
    let (s, g) = call(
        &app,
        &key,
        "optiongreeks",
        json!({"symbol": pe, "exchange": "NFO",
        "forward_price": ltp - 2000.0, "interest_rate": 6.5}),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(
        g["note"],
        "Deep ITM option with no time value - theoretical Greeks returned"
    );
    assert_eq!(g["greeks"]["delta"], json!(-1.0));
    assert_eq!(g["interest_rate"], json!(6.5));

    // Errors: a bad symbol is a 400 with OpenAlgo's text (upstream: 500); a bad expiry_time too.
    let (s, g) = call(
        &app,
        &key,
        "optiongreeks",
        json!({"symbol": "NIFTYX", "exchange": "NFO"}),
    )
    .await;
    assert_eq!(
        (s, g["message"].as_str().unwrap()),
        (
            400,
            "Failed to get option Greeks: Failed to parse option symbol NIFTYX: Invalid option symbol format: NIFTYX"
        )
    );
    let (s, g) = call(
        &app,
        &key,
        "optiongreeks",
        json!({"symbol": ce, "exchange": "NFO", "expiry_time": "25:00"}),
    )
    .await;
    assert_eq!(
        (s, g["message"].as_str().unwrap()),
        (
            400,
            "Failed to get option Greeks: Invalid expiry_time values: 25:00. Hour must be 0-23, minute must be 0-59"
        )
    );
    let (s, g) = call(
        &app,
        &key,
        "optiongreeks",
        json!({"symbol": ce, "exchange": "NFO", "expiry_time": "09:00"}),
    )
    .await;
    assert_eq!(
        (s, g["message"].as_str().unwrap()),
        (400, "Option has expired on 30-Dec-2025")
    );
    let (s, g) = call(
        &app,
        &key,
        "optiongreeks",
        json!({"symbol": ce, "exchange": "NSE",
        "interest_rate": 101, "forward_price": -1}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        g,
        json!({"status": "error", "message": "Validation failed", "errors": {
            "exchange": ["Must be one of: NFO, BFO, MCX, CDS, NCO, BCD, NCDEX, CRYPTO."],
            "interest_rate": ["Must be greater than or equal to 0 and less than or equal to 100."],
            "forward_price": ["Must be greater than or equal to 0."],
        }})
    );

    // Multi: one good, one unknown contract, one expired by the cut-off override.
    let (s, m) = call(
        &app,
        &key,
        "multioptiongreeks",
        json!({"symbols": [
            {"symbol": ce, "exchange": "NFO"},
            {"symbol": "NIFTY30DEC2599999CE", "exchange": "NFO"},
        ]}),
    )
    .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["status"], "partial");
    assert_eq!(m["summary"], json!({"total": 2, "success": 1, "failed": 1}));
    assert_eq!(m["data"][0]["symbol"], json!(ce));
    assert_eq!(m["data"][1]["status"], "error");
    let (s, m) = call(
        &app,
        &key,
        "multioptiongreeks",
        json!({"symbols": [
        {"symbol": ce, "exchange": "NFO"}], "expiry_time": "09:00"}),
    )
    .await;
    assert_eq!((s, m["status"].clone()), (200, json!("success")));
    assert_eq!(
        m["data"][0]["note"],
        "Option has expired - Greeks are no longer applicable"
    );
    let (s, m) = call(&app, &key, "multioptiongreeks", json!({"symbols": []})).await;
    assert_eq!(
        (s, m["errors"].clone()),
        (
            400,
            json!({"symbols": ["Length must be between 1 and 50."]})
        )
    );
    let many: Vec<Value> = (0..51)
        .map(|_| json!({"symbol": ce, "exchange": "NFO"}))
        .collect();
    let (s, m) = call(&app, &key, "multioptiongreeks", json!({"symbols": many})).await;
    assert_eq!(
        (s, m["errors"].clone()),
        (
            400,
            json!({"symbols": ["Length must be between 1 and 50."]})
        )
    );
    let (s, m) = call(
        &app,
        &key,
        "multioptiongreeks",
        json!({"symbols": [
        {"symbol": ce, "exchange": "NFO", "forward_price": 1}]}),
    )
    .await;
    assert_eq!(
        (s, m["errors"].clone()),
        (
            400,
            json!({"symbols": {"0": {"forward_price": ["Unknown field."]}}})
        )
    );
    app.stop().await;
}

async fn orderbook(app: &TestApp, key: &str) -> Vec<Value> {
    let (s, b) = call(app, key, "orderbook", json!({})).await;
    assert_eq!(s, 200, "{b}");
    b["data"]["orders"].as_array().unwrap().clone()
}

#[tokio::test]
async fn optionsorder_places_through_the_order_path() {
    let (app, key) = setup().await;
    let ltp = nifty_ltp(&app, &key).await;
    let atm = atm_of(ltp);
    let order = |extra: Value| {
        let mut b = json!({"strategy": "straddle", "underlying": "NIFTY", "exchange": "NSE_INDEX",
            "expiry_date": "30DEC25", "offset": "ATM", "option_type": "ce", "action": "BUY",
            "quantity": 65, "product": "NRML"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (s, r) = call(&app, &key, "optionsorder", order(json!({}))).await;
    assert_eq!(s, 200, "{r}");
    let symbol = format!("NIFTY30DEC25{atm:.0}CE");
    assert_eq!(r["symbol"], json!(symbol));
    assert_eq!(
        (r["exchange"].clone(), r["offset"].clone()),
        (json!("NFO"), json!("ATM"))
    );
    assert_eq!(
        (r["option_type"].clone(), r["underlying"].clone()),
        (json!("CE"), json!("NIFTY"))
    );
    assert_eq!(r["underlying_ltp"].as_f64(), Some(ltp));
    assert_eq!(r["mode"], "analyze");
    assert_eq!(r["orderid"].as_str().unwrap().len(), 14);
    let book = orderbook(&app, &key).await;
    assert_eq!(book.len(), 1);
    assert_eq!(book[0]["symbol"], json!(symbol));

    // Split: 160 in 65s is 65, 65, 30; the last is not a whole lot, which the paper
    // broker refuses for that child alone.
    let split = order(json!({"quantity": 160, "splitsize": 65, "offset": "OTM2",
        "option_type": "PE"}));
    let (s, r) = call(&app, &key, "optionsorder", split).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["split_size"].clone(), r["total_quantity"].clone()),
        (json!(65), json!(160))
    );
    let children = r["results"].as_array().unwrap();
    let sizes: Vec<i64> = children
        .iter()
        .map(|c| c["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(sizes, [65, 65, 30]);
    let statuses: Vec<&str> = children
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["success", "success", "error"], "{r}");
    assert_eq!(r["status"], "success");
    // The refused child never became an order.
    assert_eq!(orderbook(&app, &key).await.len(), 3);
    // A null splitsize is no split.
    let (s, r) = call(
        &app,
        &key,
        "optionsorder",
        order(json!({"splitsize": null})),
    )
    .await;
    assert_eq!((s, r["orderid"].is_string()), (200, true), "{r}");

    // The offset is not schema-checked: the service refuses what names no strike.
    let (s, r) = call(
        &app,
        &key,
        "optionsorder",
        order(json!({"offset": "OTM60"})),
    )
    .await;
    assert_eq!(
        (s, r["message"].as_str().unwrap()),
        (
            400,
            "Offset OTM60 is out of range for available strikes. Please use a smaller offset."
        )
    );
    let (s, r) = call(&app, &key, "optionsorder", order(json!({"offset": "ITMX"}))).await;
    assert_eq!(
        (s, r["message"].as_str().unwrap()),
        (400, "invalid literal for int() with base 10: 'X'")
    );
    let (s, r) = call(
        &app,
        &key,
        "optionsorder",
        order(json!({"quantity": 6500, "splitsize": 1})),
    )
    .await;
    assert_eq!(
        (s, r["message"].as_str().unwrap()),
        (
            400,
            "Total number of orders would exceed maximum limit of 100"
        )
    );
    let (s, r) = call(
        &app,
        &key,
        "optionsorder",
        order(json!({"quantity": 0, "product": "CNC",
        "splitsize": -1, "price": -1})),
    )
    .await;
    assert_eq!(
        (s, r),
        (
            400,
            json!({"status": "error", "message": "Validation error", "errors": {
                "quantity": ["Quantity must be a positive integer."],
                "splitsize": ["Split size must be a non-negative integer."],
                "product": ["Must be one of: MIS, NRML."],
                "price": ["Price must be a non-negative number."],
            }})
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn optionsmultiorder_runs_buy_legs_first_and_reports_each_leg() {
    let (app, key) = setup().await;
    let ltp = nifty_ltp(&app, &key).await;
    let atm = atm_of(ltp);
    let mut updates = app.state.engine().updates();
    let (s, r) = call(&app, &key, "optionsmultiorder", json!({"strategy": "ic",
        "underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25", "legs": [
            {"offset": "ATM", "option_type": "CE", "action": "SELL", "quantity": 65},
            {"offset": "OTM5", "option_type": "CE", "action": "BUY", "quantity": 130, "splitsize": 65},
            {"offset": "OTM60", "option_type": "PE", "action": "SELL", "quantity": 65},
            {"offset": "OTM5", "option_type": "PE", "action": "buy", "quantity": 65, "product": "NRML"},
        ]})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["status"].clone(), r["underlying"].clone()),
        (json!("success"), json!("NIFTY"))
    );
    assert_eq!(r["underlying_ltp"].as_f64(), Some(ltp));
    let legs = r["results"].as_array().unwrap();
    let n: Vec<i64> = legs.iter().map(|l| l["leg"].as_i64().unwrap()).collect();
    assert_eq!(n, [1, 2, 3, 4]);
    assert_eq!(legs[0]["symbol"], json!(format!("NIFTY30DEC25{atm:.0}CE")));
    assert_eq!(
        (legs[0]["status"].clone(), legs[0]["mode"].clone()),
        (json!("success"), json!("analyze"))
    );
    assert_eq!(legs[1]["split_results"].as_array().unwrap().len(), 2);
    assert_eq!(
        legs[2],
        json!({"leg": 3, "offset": "OTM60", "option_type": "PE", "action": "SELL",
        "status": "error",
        "message": "Offset OTM60 is out of range for available strikes. Please use a smaller offset."})
    );
    assert_eq!(legs[3]["action"], "BUY");
    // BUY legs were placed before the SELL leg, although listed after it.
    let mut placed = Vec::new();
    while let Ok(u) = updates.try_recv() {
        if !placed.contains(&u.orderid) {
            placed.push(u.orderid.clone());
        }
    }
    let at = |id: &Value| {
        placed
            .iter()
            .position(|p| p == id.as_str().unwrap())
            .unwrap()
    };
    let sell = at(&legs[0]["orderid"]);
    assert!(
        at(&legs[1]["split_results"][1]["orderid"]) < sell,
        "{placed:?}"
    );
    assert!(at(&legs[3]["orderid"]) < sell, "{placed:?}");
    assert_eq!(orderbook(&app, &key).await.len(), 4);

    let multi = |legs: Value| {
        json!({"strategy": "x", "underlying": "NIFTY", "exchange": "NSE_INDEX",
        "expiry_date": "30DEC25", "legs": legs})
    };
    let (s, r) = call(&app, &key, "optionsmultiorder", multi(json!([]))).await;
    assert_eq!(
        (s, r["errors"].clone()),
        (400, json!({"legs": ["Legs must contain 1 to 20 items."]}))
    );
    let leg = json!({"offset": "ATM", "option_type": "CE", "action": "BUY", "quantity": 65});
    let (s, r) = call(
        &app,
        &key,
        "optionsmultiorder",
        multi(json!(vec![leg.clone(); 21])),
    )
    .await;
    assert_eq!(
        (s, r["errors"].clone()),
        (400, json!({"legs": ["Legs must contain 1 to 20 items."]}))
    );
    let (s, r) = call(&app, &key, "optionsmultiorder", multi(json!([
        {"offset": "ATM", "option_type": "CE", "action": "BUY", "quantity": 65, "strategy": "s"},
    ]))).await;
    assert_eq!(
        (s, r["errors"].clone()),
        (
            400,
            json!({"legs": {"0": {"strategy": ["Unknown field."]}}})
        )
    );
    let (s, r) = call(
        &app,
        &key,
        "optionsmultiorder",
        multi(json!([leg,
            {"offset": "ATM", "option_type": "CE", "action": "BUY", "quantity": 0},
        ])),
    )
    .await;
    assert_eq!(
        (s, r["errors"].clone()),
        (
            400,
            json!({"legs": {"1": {"quantity": ["Quantity must be a positive integer."]}}})
        )
    );
    app.stop().await;
}
