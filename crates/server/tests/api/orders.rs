//! Order endpoints against a live server: placing, fills, books, smart orders, cancels,
//! closes, baskets and splits, the reference's bad inputs, square-off and the session
//! boundary with a manual clock, and concurrent orders on one account.

use std::sync::Arc;

use algogate_app::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::*;

struct Trader {
    app: TestApp,
    key: String,
}

impl Trader {
    async fn new() -> Self {
        let app = spawn_app().await;
        Self::on(app).await
    }
    async fn on(app: TestApp) -> Self {
        let (_, key) = app.create_user("trader").await;
        Trader {
            key: key.expose().to_string(),
            app,
        }
    }
    async fn call(&self, name: &str, mut body: Value) -> (u16, Value) {
        body["apikey"] = Value::from(self.key.clone());
        self.app.post_json(&format!("/api/v1/{name}"), &body).await
    }
    async fn place(&self, extra: Value) -> (u16, Value) {
        let mut body = json!({
            "strategy": "test", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
            "quantity": "10", "pricetype": "MARKET", "product": "MIS",
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.call("placeorder", body).await
    }
    async fn ltp(&self, symbol: &str) -> f64 {
        self.app
            .state
            .market()
            .quote(symbol, algogate_broker::Exchange::Nse)
            .unwrap()
            .ltp
    }
    async fn book(&self, name: &str) -> Value {
        let (s, b) = self.call(name, json!({})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["mode"], "analyze");
        b
    }
    async fn position(&self, symbol: &str, product: &str) -> i64 {
        let (s, b) = self
            .call(
                "openposition",
                json!({"strategy": "t", "symbol": symbol, "exchange": "NSE", "product": product}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["quantity"].as_i64().unwrap()
    }
}

fn funds_invariant(f: &Value) {
    let avail = f["availablecash"].as_f64().unwrap();
    let used = f["utiliseddebits"].as_f64().unwrap();
    let realized = f["total_realized_pnl"].as_f64().unwrap();
    assert!(
        (avail + used - realized - 10_000_000.0).abs() < 0.02,
        "funds invariant: {f}"
    );
    assert!(avail >= 0.0);
}

#[tokio::test]
async fn a_market_order_fills_and_shows_in_every_book() {
    let t = Trader::new().await;
    let (s, b) = t.place(json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "success");
    assert_eq!(b["mode"], "analyze");
    let id = b["orderid"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 14);
    assert!(id.chars().all(|c| c.is_ascii_digit()));

    let ob = t.book("orderbook").await;
    let o = &ob["data"]["orders"][0];
    assert_eq!(o["orderid"], id.as_str());
    assert_eq!(o["order_status"], "complete");
    assert_eq!(o["filled_quantity"], 10);
    assert_eq!(o["pending_quantity"], 0);
    assert_eq!(o["rejection_reason"], "");
    assert_eq!(o["strategy"], "test");
    assert_eq!(ob["data"]["statistics"]["total_buy_orders"], 1);
    assert_eq!(ob["data"]["statistics"]["total_completed_orders"], 1);
    assert_eq!(ob["data"]["statistics"]["total_trigger_pending_orders"], 0);

    let tb = t.book("tradebook").await;
    let tr = &tb["data"][0];
    assert_eq!(tr["orderid"], id.as_str());
    assert!(tr["tradeid"].as_str().unwrap().starts_with("TRADE-"));
    let avg = tr["average_price"].as_f64().unwrap();
    assert!((tr["trade_value"].as_f64().unwrap() - avg * 10.0).abs() < 0.01);

    let pb = t.book("positionbook").await;
    assert_eq!(pb["data"][0]["quantity"], 10);
    assert_eq!(pb["data"][0]["product"], "MIS");
    assert!(pb.get("total_pnl").is_some());
    assert_eq!(t.position("SBIN", "MIS").await, 10);

    let (s, st) = t
        .call("orderstatus", json!({"strategy": "t", "orderid": id}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(st["data"]["order_status"], "complete");
    assert_eq!(st["data"]["pricetype"], "MARKET");
    assert_eq!(st["data"]["average_price"].as_f64().unwrap(), avg);

    let f = t.book("funds").await;
    let used = f["data"]["utiliseddebits"].as_f64().unwrap();
    assert!(
        (used - avg * 10.0 / 5.0).abs() < 0.02,
        "MIS margin is 1/5: {f}"
    );
    assert_eq!(f["data"]["grossexposure"], f["data"]["utiliseddebits"]);
    funds_invariant(&f["data"]);
    assert_eq!(t.book("holdings").await["data"]["holdings"], json!([]));
}

#[tokio::test]
async fn limit_orders_rest_modify_reblocks_and_cancel_releases() {
    let t = Trader::new().await;
    let ltp = t.ltp("SBIN").await;
    let price = (ltp * 0.8).round();
    let (s, b) = t
        .place(json!({"pricetype": "LIMIT", "price": price, "product": "CNC"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let id = b["orderid"].as_str().unwrap().to_string();
    let f = t.book("funds").await;
    assert!((f["data"]["utiliseddebits"].as_f64().unwrap() - price * 10.0).abs() < 0.01);
    let (s, b) = t
        .call(
            "modifyorder",
            json!({"strategy": "t", "exchange": "NSE", "symbol": "SBIN", "orderid": id,
                   "action": "BUY", "product": "CNC", "pricetype": "LIMIT", "price": price - 1.0,
                   "quantity": "20", "disclosed_quantity": "0", "trigger_price": "0"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["message"], "Order modified successfully");
    let f = t.book("funds").await;
    let used = f["data"]["utiliseddebits"].as_f64().unwrap();
    assert!(
        (used - (price - 1.0) * 20.0).abs() < 0.01,
        "re-blocked: {f}"
    );
    let (s, b) = t
        .call("cancelorder", json!({"strategy": "t", "orderid": id}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"status": "success", "message": "Order cancelled successfully",
               "orderid": id, "mode": "analyze"})
    );
    let f = t.book("funds").await;
    assert_eq!(f["data"]["utiliseddebits"], 0.0);
    assert_eq!(f["data"]["availablecash"], 10_000_000.0);
    let (s, b) = t
        .call("cancelorder", json!({"strategy": "t", "orderid": id}))
        .await;
    assert_eq!(
        (s, b["message"].as_str()),
        (400, Some("Cannot cancel order in cancelled status"))
    );
    let (s, b) = t
        .call("cancelorder", json!({"strategy": "t", "orderid": "123"}))
        .await;
    assert_eq!(
        (s, b),
        (
            404,
            json!({"status": "error", "message": "Order 123 not found", "mode": "analyze"})
        )
    );
}

#[tokio::test]
async fn cancel_all_includes_trigger_pending_orders() {
    let t = Trader::new().await;
    let ltp = t.ltp("SBIN").await;
    let (_, a) = t
        .place(json!({"pricetype": "LIMIT", "price": (ltp * 0.8).round()}))
        .await;
    let (_, b) = t
        .place(json!({"pricetype": "SL-M", "trigger_price": (ltp * 1.2).round()}))
        .await;
    let (_, c) = t
        .place(json!({"pricetype": "SL", "price": (ltp * 1.3).round(), "trigger_price": (ltp * 1.2).round()}))
        .await;
    let ob = t.book("orderbook").await;
    assert_eq!(ob["data"]["statistics"]["total_trigger_pending_orders"], 2);
    assert_eq!(ob["data"]["statistics"]["total_open_orders"], 1);
    let (s, r) = t.call("cancelallorder", json!({"strategy": "x"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["message"],
        "Canceled 3 orders. Failed to cancel 0 orders."
    );
    let mut got: Vec<&str> = r["canceled_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![
        a["orderid"].as_str().unwrap(),
        b["orderid"].as_str().unwrap(),
        c["orderid"].as_str().unwrap(),
    ];
    want.sort();
    assert_eq!(got, want);
    let (_, r) = t.call("cancelallorder", json!({"strategy": "x"})).await;
    assert_eq!(r["message"], "No open orders to cancel");
    assert_eq!(t.book("funds").await["data"]["utiliseddebits"], 0.0);
}

#[tokio::test]
async fn smart_orders_trade_to_the_target_and_honour_pricetype() {
    let t = Trader::new().await;
    let smart = |size: i64, qty: &str, extra: Value| {
        let mut b = json!({"strategy": "tv", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                           "quantity": qty, "position_size": size.to_string(),
                           "pricetype": "MARKET", "product": "MIS"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (s, b) = t.call("placesmartorder", smart(5, "1", json!({}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(t.position("SBIN", "MIS").await, 5);
    let (_, b) = t.call("placesmartorder", smart(5, "1", json!({}))).await;
    assert_eq!(b["message"], "Positions Already Matched. No Action needed.");
    assert_eq!(b["mode"], "analyze");
    let (_, b) = t.call("placesmartorder", smart(5, "0", json!({}))).await;
    assert_eq!(
        b["message"],
        "No OpenPosition Found. Not placing Exit order."
    );
    t.call("placesmartorder", smart(-3, "1", json!({}))).await;
    assert_eq!(t.position("SBIN", "MIS").await, -3);
    t.call("placesmartorder", smart(0, "1", json!({}))).await;
    assert_eq!(t.position("SBIN", "MIS").await, 0);
    // Absurd sizes are refused, never a 500.
    let (s, b) = t
        .call(
            "placesmartorder",
            smart(0, "1", json!({"position_size": "-1e30"})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .starts_with("Insufficient funds."),
        "{b}"
    );
    // pricetype is honoured: a LIMIT far from the market rests.
    let ltp = t.ltp("SBIN").await;
    let (_, b) = t
        .call(
            "placesmartorder",
            smart(
                2,
                "1",
                json!({"pricetype": "LIMIT", "price": (ltp * 0.8).round()}),
            ),
        )
        .await;
    let id = b["orderid"].as_str().unwrap();
    let (_, st) = t
        .call("orderstatus", json!({"strategy": "t", "orderid": id}))
        .await;
    assert_eq!(st["data"]["order_status"], "open");
    assert_eq!(st["data"]["pricetype"], "LIMIT");
    assert_eq!(t.position("SBIN", "MIS").await, 0);
}

#[tokio::test]
async fn close_position_squares_everything_off_and_books_pnl() {
    let t = Trader::new().await;
    t.place(json!({})).await;
    t.place(json!({"symbol": "RELIANCE", "action": "SELL", "quantity": 3}))
        .await;
    let (s, b) = t.call("closeposition", json!({"strategy": "x"})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["message"], "Closed 2 positions");
    assert_eq!(
        (
            b["closed_positions"].as_i64(),
            b["failed_closures"].as_i64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(t.position("SBIN", "MIS").await, 0);
    assert_eq!(t.position("RELIANCE", "MIS").await, 0);
    let (_, b) = t.call("closeposition", json!({"strategy": "x"})).await;
    assert_eq!(b["message"], "No open positions to close");
    let ob = t.book("orderbook").await;
    let auto = ob["data"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["strategy"] == "AUTO_SQUARE_OFF")
        .count();
    assert_eq!(auto, 2);
    let f = t.book("funds").await;
    assert_eq!(f["data"]["utiliseddebits"], 0.0);
    funds_invariant(&f["data"]);
}

#[tokio::test]
async fn basket_runs_buy_legs_first_and_split_caps_at_100() {
    let t = Trader::new().await;
    let (s, b) = t
        .call(
            "basketorder",
            json!({"strategy": "b", "orders": [
                {"exchange": "NSE", "symbol": "SBIN", "action": "SELL", "quantity": "1"},
                {"exchange": "NSE", "symbol": "RELIANCE", "action": "BUY", "quantity": 2},
                {"exchange": "NSE", "symbol": "NOSUCH", "action": "BUY", "quantity": 1},
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = b["results"].as_array().unwrap();
    assert_eq!(r[0]["symbol"], "RELIANCE");
    assert_eq!(r[0]["batch_order"], true);
    assert_eq!(r[1]["status"], "error");
    assert_eq!(r[1]["message"], "Symbol NOSUCH not found on NSE");
    assert_eq!(r[2]["symbol"], "SBIN");
    assert_eq!(r[2]["is_last_order"], true);

    let (s, b) = t
        .call(
            "splitorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": 105, "splitsize": 20}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["split_size"].as_i64(), b["total_quantity"].as_i64()),
        (Some(20), Some(105))
    );
    let q: Vec<i64> = b["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(q, vec![20, 20, 20, 20, 20, 5]);
    let (s, b) = t
        .call(
            "splitorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": 101, "splitsize": 1}),
        )
        .await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"status": "error", "mode": "analyze",
                     "message": "Total number of orders would exceed maximum limit of 100"})
        )
    );
}

#[tokio::test]
async fn bad_inputs_give_the_reference_400s() {
    let t = Trader::new().await;
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "placeorder",
            json!({"strategy": "s"}),
            json!({"status": "error", "message": "{'exchange': ['Missing data for required field.'], 'symbol': ['Missing data for required field.'], 'action': ['Missing data for required field.'], 'quantity': ['Missing data for required field.']}"}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1, "target": "5"}),
            json!({"status": "error", "message": "{'target': ['Unknown field.']}"}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1, "pricetype": "market"}),
            json!({"status": "error", "message": "{'pricetype': ['Must be one of: MARKET, LIMIT, SL, SL-M.']}"}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": "-1", "price": -1}),
            json!({"status": "error", "message": "{'quantity': ['Quantity must be a positive number.'], 'price': ['Price must be a non-negative number.']}"}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1.5}),
            json!({"status": "error", "message": "{'quantity': ['Fractional quantity (1.5) is not allowed for non-crypto exchanges.']}"}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1, "product": "NRML"}),
            json!({"status": "error", "mode": "analyze", "message": "NRML product not allowed for NSE equity segment. Use CNC for delivery or MIS for intraday."}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1, "pricetype": "LIMIT"}),
            json!({"status": "error", "mode": "analyze", "message": "LIMIT orders require price"}),
        ),
        (
            "placeorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "NOPE", "action": "BUY", "quantity": 1}),
            json!({"status": "error", "mode": "analyze", "message": "Symbol NOPE not found on NSE"}),
        ),
        (
            "placesmartorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1}),
            json!({"status": "error", "mode": "analyze", "message": "{'position_size': ['Missing data for required field.']}"}),
        ),
        (
            "cancelorder",
            json!({"orderid": 123}),
            json!({"status": "error", "mode": "analyze", "message": "{'strategy': ['Missing data for required field.'], 'orderid': ['Not a valid string.']}"}),
        ),
        (
            "modifyorder",
            json!({"strategy": "s", "orderid": "1"}),
            json!({"status": "error", "mode": "analyze", "message": "{'exchange': ['Missing data for required field.'], 'symbol': ['Missing data for required field.'], 'action': ['Missing data for required field.'], 'product': ['Missing data for required field.'], 'pricetype': ['Missing data for required field.'], 'price': ['Missing data for required field.'], 'quantity': ['Missing data for required field.'], 'disclosed_quantity': ['Missing data for required field.'], 'trigger_price': ['Missing data for required field.']}"}),
        ),
        (
            "orderstatus",
            json!({"strategy": "s", "orderid": "42"}),
            json!({"status": "error", "mode": "analyze", "message": "Order 42 not found"}),
        ),
        (
            "basketorder",
            json!({"strategy": "s", "orders": [{"exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1}, {"symbol": "SBIN", "action": "HOLD", "quantity": 1, "strategy": "x"}]}),
            json!({"status": "error", "mode": "analyze", "message": "{'orders': {1: {'exchange': ['Missing data for required field.'], 'action': ['Must be one of: BUY, SELL, buy, sell.'], 'strategy': ['Unknown field.']}}}"}),
        ),
        (
            "splitorder",
            json!({"strategy": "s", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 0, "splitsize": 0}),
            json!({"status": "error", "mode": "analyze", "message": "{'quantity': ['Total quantity must be a positive number.'], 'splitsize': ['Split size must be a positive integer.']}"}),
        ),
        (
            "margin",
            json!({"positions": [{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 65, "product": "MIS", "pricetype": "MARKET"}]}),
            json!({"status": "error", "message": "{'positions': {0: {'quantity': ['Not a valid string.']}}}"}),
        ),
        (
            "margin",
            json!({"positions": []}),
            json!({"status": "error", "message": "{'positions': ['Length must be between 1 and 50.']}"}),
        ),
        (
            "funds",
            json!({"x": 1}),
            json!({"status": "error", "message": {"x": ["Unknown field."]}}),
        ),
        (
            "analyzer/toggle",
            json!({"mode": "maybe"}),
            json!({"status": "error", "message": "{'mode': ['Not a valid boolean.']}"}),
        ),
    ];
    for (name, body, want) in cases {
        let (s, got) = t.call(name, body.clone()).await;
        assert_eq!(
            (s, &got),
            (
                if want["message"]
                    .as_str()
                    .is_some_and(|m| m.ends_with("not found"))
                {
                    404
                } else {
                    400
                },
                &want
            ),
            "{name} {body}"
        );
    }
    // A body that is no object, and a wrong key.
    let (s, b) = t.app.post_json("/api/v1/placeorder", &json!([1])).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (400, Some("{'_schema': ['Invalid input type.']}"))
    );
    let (s, b) = t
        .app
        .post_json("/api/v1/funds", &json!({"apikey": "0".repeat(64)}))
        .await;
    assert_eq!((s, b), (403, invalid_key()));
    // Trailing slash and wrong method.
    let (s, _) = t.call("funds/", json!({})).await;
    assert_eq!(s, 200);
    let res = t
        .app
        .client
        .get(format!("{}/api/v1/orderbook/", t.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    // TradingView's text/plain.
    let body = json!({"apikey": t.key, "strategy": "tv", "exchange": "NSE", "symbol": "SBIN",
                      "action": "buy", "quantity": "1"});
    let (s, b) = t
        .app
        .post_raw("/api/v1/placeorder", "text/plain", body.to_string())
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn margin_and_analyzer() {
    let t = Trader::new().await;
    let (s, b) = t
        .call(
            "margin",
            json!({"positions": [
                {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "10",
                 "product": "CNC", "pricetype": "LIMIT", "price": "800"},
                {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "10",
                 "product": "MIS", "pricetype": "LIMIT", "price": "800"}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["total_margin_required"], 9600.0);
    let (s, b) = t.call("analyzer/toggle", json!({"mode": true})).await;
    assert_eq!(s, 200);
    assert_eq!(b["data"]["message"], "Analyzer mode switched to analyze");
    let (s, b) = t.call("analyzer/toggle", json!({"mode": false})).await;
    assert_eq!(s, 400);
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("no live broker is configured")
    );
    let (s, b) = t.call("analyzer", json!({})).await;
    assert_eq!((s, &b["data"]["mode"]), (200, &json!("analyze")));
}

#[tokio::test]
async fn mis_square_off_and_session_boundary_follow_the_clock() {
    let clock = Arc::new(ManualClock::at_ist(2026, 1, 6, 15, 0, 0));
    let app = spawn_app_with(clock.clone(), |c| c.market_calendar = "exchange".into()).await;
    let t = Trader::on(app).await;
    let (s, b) = t.place(json!({})).await;
    assert_eq!(s, 200, "{b}");
    t.place(json!({"product": "CNC", "quantity": 2})).await;
    clock.advance_ms(16 * 60_000); // 15:16
    let (s, b) = t.place(json!({})).await;
    assert_eq!(s, 400);
    assert_eq!(
        b["message"],
        "MIS orders cannot be placed after square-off time (15:15 IST). Trading resumes at 09:00 AM IST."
    );
    t.app.state.engine().run_jobs().await;
    assert_eq!(t.position("SBIN", "MIS").await, 0);
    assert_eq!(t.position("SBIN", "CNC").await, 2);
    let ob = t.book("orderbook").await;
    assert_eq!(ob["data"]["orders"][0]["strategy"], "AUTO_SQUARE_OFF");
    // The buy, the CNC buy and the square-off (a gate refusal records no order).
    assert_eq!(ob["data"]["orders"].as_array().unwrap().len(), 3);
    // Next day 03:00 IST: a new session. Books are empty, the CNC buy is a holding (T+1).
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-01-07T03:00:00+05:30")
            .unwrap()
            .into(),
    );
    let ob = t.book("orderbook").await;
    assert_eq!(ob["data"]["orders"], json!([]));
    assert_eq!(t.book("tradebook").await["data"], json!([]));
    let h = t.book("holdings").await;
    assert_eq!(h["data"]["holdings"][0]["quantity"], 2);
    assert_eq!(h["data"]["holdings"][0]["settlement_date"], "2026-01-07");
    let f = t.book("funds").await;
    assert_eq!(f["data"]["today_realized_pnl"], 0.0);
    funds_invariant(&f["data"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_on_one_account_never_overdraw() {
    let t = Arc::new(Trader::new().await);
    // Each CNC limit far below the market blocks ₹4,00,000: exactly 25 fit in ₹1 crore.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            t.place(
                json!({"pricetype": "LIMIT", "price": "1", "quantity": "400000", "product": "CNC"}),
            )
            .await
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for task in tasks {
        let (s, b) = task.await.unwrap();
        match s {
            200 => ok += 1,
            400 => {
                assert!(
                    b["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("Insufficient funds."),
                    "{b}"
                );
                refused += 1;
            }
            _ => panic!("{s} {b}"),
        }
    }
    assert_eq!((ok, refused), (25, 15));
    let f = t.book("funds").await;
    assert_eq!(f["data"]["availablecash"], 0.0);
    assert_eq!(f["data"]["utiliseddebits"], 10_000_000.0);
}
