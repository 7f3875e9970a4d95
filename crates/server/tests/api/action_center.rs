//! Semi-auto mode and the Action Center: queueing, exactly-once approval under races,
//! approve-all while orders arrive, reject/delete rules, per-user isolation, restart
//! recovery of interrupted executions, CSRF, and the live event stream.

use std::sync::Arc;

use algogate_app::accounts::{self, NewAccount};
use algogate_app::clock::SystemClock;
use algogate_keys::Password;
use algogate_server::config::Config;
use algogate_store::{Stamp, UserId};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::helpers::*;

const PASSWORD: &str = "Action-center-pass-42";

/// A logged-in user: the test browser (cookie session, CSRF token) and the API key.
#[derive(Clone)]
struct User {
    web: Browser,
    key: String,
    id: UserId,
}

impl User {
    async fn new(app: &TestApp, name: &str) -> Self {
        let id = accounts::create_user(
            app.state.store(),
            app.state.keys(),
            NewAccount {
                username: name,
                email: None,
                is_admin: false,
                password: Password::new(PASSWORD),
            },
        )
        .await
        .unwrap();
        let mut web = Browser::new(app);
        let r = web.login(name, PASSWORD).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let key = web.call("GET", "/apikey", None).await.1["api_key"]
            .as_str()
            .unwrap()
            .to_string();
        note_secret(&key);
        User { web, key, id }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> reqwest::RequestBuilder {
        self.web.request(method, path, body, csrf)
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.web.call(method, path, body).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None).await
    }

    async fn post(&self, path: &str) -> (u16, Value) {
        self.send("POST", path, Some(json!({}))).await
    }

    async fn set_mode(&self, mode: &str) {
        let (s, b) = self
            .send("POST", "/apikey/mode", Some(json!({"mode": mode})))
            .await;
        assert_eq!(s, 200, "{b}");
    }

    async fn api(&self, name: &str, mut body: Value) -> (u16, Value) {
        body["apikey"] = Value::from(self.key.clone());
        let res = self
            .web
            .client
            .post(format!("{}/api/v1/{name}", self.web.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn place(&self, qty: i64) -> (u16, Value) {
        self.api(
            "placeorder",
            json!({"strategy": "ac", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": qty, "pricetype": "MARKET", "product": "MIS"}),
        )
        .await
    }

    async fn queue(&self, qty: i64) -> i64 {
        let (s, b) = self.place(qty).await;
        assert_eq!(s, 200, "{b}");
        b["pending_order_id"].as_i64().unwrap()
    }

    async fn engine_orders(&self) -> usize {
        let (s, b) = self.api("orderbook", json!({})).await;
        assert_eq!(s, 200, "{b}");
        b["data"]["orders"].as_array().unwrap().len()
    }

    async fn data(&self, status: &str) -> Value {
        let (s, b) = self
            .get(&format!("/action-center/api/data?status={status}"))
            .await;
        assert_eq!(s, 200, "{b}");
        b["data"].clone()
    }

    async fn row(&self, id: i64) -> Value {
        self.data("all").await["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    }
}

async fn semi_auto_user(app: &TestApp, name: &str) -> User {
    let u = User::new(app, name).await;
    u.set_mode("semi_auto").await;
    u
}

fn failed(what: &str) -> Value {
    json!({"status": "error", "message": format!("Failed to {what} order")})
}

#[tokio::test]
async fn semi_auto_queues_orders_after_validation_and_never_stores_the_key() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "alice").await;

    let (s, b) = u.place(5).await;
    assert_eq!(s, 200, "{b}");
    let id = b["pending_order_id"].as_i64().unwrap();
    assert_eq!(
        b,
        json!({"status": "success", "message": "Order queued for approval in Action Center",
               "mode": "semi_auto", "pending_order_id": id})
    );
    assert_eq!(u.engine_orders().await, 0, "queued, not executed");

    // Smart, basket and split orders queue too.
    let (s, b) = u
        .api(
            "placesmartorder",
            json!({"strategy": "ac", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": 1, "position_size": 3}),
        )
        .await;
    assert_eq!((s, b["mode"].clone()), (200, json!("semi_auto")), "{b}");
    let (s, b) = u
        .api(
            "basketorder",
            json!({"strategy": "ac", "orders": [
                {"exchange": "NSE", "symbol": "SBIN", "action": "SELL", "quantity": 1},
                {"exchange": "NSE", "symbol": "INFY", "action": "BUY", "quantity": 2}]}),
        )
        .await;
    assert_eq!((s, b["mode"].clone()), (200, json!("semi_auto")), "{b}");
    let (s, b) = u
        .api(
            "splitorder",
            json!({"strategy": "ac", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": 25, "splitsize": 10}),
        )
        .await;
    assert_eq!((s, b["mode"].clone()), (200, json!("semi_auto")), "{b}");

    // Validation still runs first: bad bodies and over-long splits are refused, not queued.
    let (s, b) = u.place(0).await;
    assert_eq!(s, 400, "{b}");
    let (s, b) = u
        .api(
            "splitorder",
            json!({"strategy": "ac", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": 1000, "splitsize": 1}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(
        b["message"],
        "Total number of orders would exceed maximum limit of 100"
    );
    // An unknown key is a 403, never queued.
    let (s, _) = app
        .post_json(
            "/api/v1/placeorder",
            &json!({"apikey": "0".repeat(64), "strategy": "s", "exchange": "NSE",
                    "symbol": "SBIN", "action": "BUY", "quantity": 1}),
        )
        .await;
    assert_eq!(s, 403);

    let (s, c) = u.get("/action-center/count").await;
    assert_eq!((s, c), (200, json!({"count": 4})));

    // Reads run immediately; cancel/modify/close reach the paper broker (analyze mode).
    let (s, b) = u.api("funds", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = u
        .api("cancelorder", json!({"strategy": "ac", "orderid": "nope"}))
        .await;
    assert_eq!(
        (s, b["message"].clone()),
        (404, json!("Order nope not found"))
    );
    let (s, b) = u.api("closeposition", json!({"strategy": "ac"})).await;
    assert_eq!(
        (s, b["message"].clone()),
        (200, json!("No open positions to close"))
    );

    // The key is nowhere in the stored rows or the page data.
    let data = u.data("all").await;
    assert!(!data.to_string().contains(&u.key));
    for row in app.state.store().pending_rows(u.id, None).await.unwrap() {
        assert!(!row.order_data.contains(&u.key));
        assert!(!row.order_data.contains("apikey"));
    }
    let orders = data["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 4);
    // Newest first; the post-schema fields with defaults filled in.
    let split = &orders[0];
    assert_eq!(split["api_type"], "splitorder");
    assert_eq!(split["split_sizes"], json!([10, 10, 5]));
    let basket = &orders[1];
    assert_eq!(basket["symbol"], "Basket (2 orders)");
    assert_eq!(basket["action"], "MULTI");
    assert_eq!(basket["legs"].as_array().unwrap().len(), 2);
    let place = &orders[3];
    assert_eq!(place["id"], id);
    assert_eq!(
        (
            place["symbol"].clone(),
            place["action"].clone(),
            place["price_type"].clone()
        ),
        (json!("SBIN"), json!("BUY"), json!("MARKET"))
    );
    assert_eq!(place["status"], "pending");
    assert_eq!(
        place["raw_order_data"]["product"], "MIS",
        "defaults filled in"
    );
    assert_eq!(place["raw_order_data"]["trigger_price"], 0.0);
    assert_eq!(basket["legs"][0]["pricetype"], "MARKET");
    assert_eq!(place["user_id"], "alice");
    let st = &data["statistics"];
    assert_eq!(st["total_pending"], 4);
    assert_eq!(st["total_placeorder"], 1);
    assert_eq!(st["total_smartorder"], 1);
    assert_eq!(st["total_basketorder"], 1);
    assert_eq!(st["total_splitorder"], 1);
    assert_eq!(st["total_buy_orders"], 3);

    // Back in auto mode, orders execute at once again.
    u.set_mode("auto").await;
    let (s, b) = u.place(1).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["orderid"].is_string(), "{b}");
    assert_eq!(u.engine_orders().await, 1);
    app.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_approvals_execute_the_order_once() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "racer").await;
    let id = u.queue(7).await;
    let path = format!("/action-center/approve/{id}");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (u, path) = (u.clone(), path.clone());
            tokio::spawn(async move { u.post(&path).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let (s, b) = t.await.unwrap();
        if s == 200 {
            ok += 1;
            assert_eq!(b["status"], "success", "{b}");
            assert_eq!(b["message"], "Order approved and executed successfully");
            assert!(b["broker_order_id"].is_string(), "{b}");
        } else {
            assert_eq!((s, b), (400, failed("approve")));
        }
    }
    assert_eq!(ok, 1, "exactly one approval wins");
    assert_eq!(u.engine_orders().await, 1, "the engine saw one order");
    let row = u.row(id).await;
    assert_eq!(row["status"], "approved");
    assert_eq!(row["execution_state"], "executed");
    assert_eq!(row["broker_status"], "complete");
    assert_eq!(row["approved_by"], "racer");
    assert_eq!(row["order_ids"].as_array().unwrap().len(), 1);
    assert_eq!(row["broker_order_id"], row["order_ids"][0]);
    assert_eq!(row["execution_result"]["orderid"], row["broker_order_id"]);
    assert_eq!(u.get("/action-center/count").await.1, json!({"count": 0}));
    app.stop().await;
}

#[tokio::test]
async fn approving_batches_records_every_leg_and_failures_are_visible() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "batcher").await;
    let (_, b) = u
        .api(
            "splitorder",
            json!({"strategy": "ac", "exchange": "NSE", "symbol": "SBIN", "action": "BUY",
                   "quantity": 25, "splitsize": 10}),
        )
        .await;
    let split = b["pending_order_id"].as_i64().unwrap();
    let (s, b) = u.post(&format!("/action-center/approve/{split}")).await;
    assert_eq!(s, 200, "{b}");
    let row = u.row(split).await;
    assert_eq!(row["order_ids"].as_array().unwrap().len(), 3);
    assert_eq!(
        row["broker_order_id"].as_str().unwrap().split(',').count(),
        3
    );
    assert_eq!(u.engine_orders().await, 3);

    // An order the broker rejects: approved, execution failed, the reason on the row.
    let (_, b) = u
        .api(
            "placeorder",
            json!({"strategy": "ac", "exchange": "NSE", "symbol": "NOSUCHSYMBOL",
                   "action": "BUY", "quantity": 1}),
        )
        .await;
    let bad = b["pending_order_id"].as_i64().unwrap();
    let (s, b) = u.post(&format!("/action-center/approve/{bad}")).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["status"], "warning");
    assert_eq!(b["message"], "Order approved but execution failed");
    assert!(b["error"].is_string(), "{b}");
    let row = u.row(bad).await;
    assert_eq!(row["status"], "approved");
    assert_eq!(row["execution_state"], "failed");
    assert_eq!(row["broker_status"], "rejected");
    assert_eq!(row["execution_error"], b["error"]);
    assert_eq!(u.engine_orders().await, 3);
    let st = u.data("approved").await;
    assert_eq!(st["orders"].as_array().unwrap().len(), 2);
    assert_eq!(st["statistics"]["total_approved"], 2);
    app.stop().await;
}

#[tokio::test]
async fn reject_then_approve_fails_cleanly_and_rows_belong_to_their_user() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "rita").await;
    let other = semi_auto_user(&app, "mallory").await;
    let id = u.queue(1).await;
    let mine = other.queue(1).await;

    // Another user can neither see nor touch the row.
    assert!(other.row(id).await.is_null());
    assert_eq!(
        other.post(&format!("/action-center/approve/{id}")).await,
        (400, failed("approve"))
    );
    assert_eq!(
        other
            .send(
                "POST",
                &format!("/action-center/reject/{id}"),
                Some(json!({"reason": "x"}))
            )
            .await,
        (400, failed("reject"))
    );
    assert_eq!(
        other.get("/action-center/count").await.1,
        json!({"count": 1})
    );
    let (s, b) = other.post("/action-center/approve-all").await;
    assert_eq!((s, b["approved_count"].clone()), (200, json!(1)), "{b}");
    assert_eq!(u.row(id).await["status"], "pending");
    assert_eq!(other.row(mine).await["execution_state"], "executed");

    // Pending rows cannot be deleted.
    assert_eq!(
        u.send("DELETE", &format!("/action-center/delete/{id}"), None)
            .await,
        (400, failed("delete"))
    );
    let (s, b) = u
        .send(
            "POST",
            &format!("/action-center/reject/{id}"),
            Some(json!({"reason": "  too risky  "})),
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "success", "message": "Order rejected successfully"})
        )
    );
    assert_eq!(
        u.post(&format!("/action-center/approve/{id}")).await,
        (400, failed("approve"))
    );
    assert_eq!(
        u.send(
            "POST",
            &format!("/action-center/reject/{id}"),
            Some(json!({}))
        )
        .await,
        (400, failed("reject"))
    );
    assert_eq!(u.engine_orders().await, 0);
    let row = u.row(id).await;
    assert_eq!(row["status"], "rejected");
    assert_eq!(row["rejected_reason"], "too risky");
    assert_eq!(row["rejected_by"], "rita");
    assert!(row["execution_state"].is_null());
    assert_eq!(
        u.data("rejected").await["orders"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        u.data("pending").await["orders"].as_array().unwrap().len(),
        0
    );

    // Reason defaults; bad inputs are 400s, never 500s.
    let id2 = u.queue(1).await;
    let (s, _) = u
        .send(
            "POST",
            &format!("/action-center/reject/{id2}"),
            Some(json!({"reason": 5})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = u
        .send("POST", &format!("/action-center/reject/{id2}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(u.row(id2).await["rejected_reason"], "No reason provided");
    assert_eq!(
        u.post("/action-center/approve/abc").await,
        (400, failed("approve"))
    );
    assert_eq!(
        u.post("/action-center/approve/99999999999999999999").await,
        (400, failed("approve"))
    );
    assert_eq!(u.get("/action-center/api/data?status=bogus").await.0, 400);

    // Other users cannot delete it; the owner can, once.
    assert_eq!(
        other
            .send("DELETE", &format!("/action-center/delete/{id}"), None)
            .await,
        (400, failed("delete"))
    );
    let del = u
        .send("DELETE", &format!("/action-center/delete/{id}"), None)
        .await;
    assert_eq!(
        del,
        (
            200,
            json!({"status": "success", "message": "Order deleted successfully"})
        )
    );
    assert_eq!(
        u.send("DELETE", &format!("/action-center/delete/{id}"), None)
            .await
            .0,
        400
    );
    app.stop().await;
}

#[tokio::test]
async fn state_changes_need_a_session_and_its_csrf_token() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "carol").await;
    let id = u.queue(1).await;
    let no_csrf = u
        .request(
            "POST",
            &format!("/action-center/approve/{id}"),
            Some(json!({})),
            false,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status().as_u16(), 403);
    let mut anon = u.clone();
    anon.web.cookies.clear();
    assert_eq!(
        anon.post(&format!("/action-center/approve/{id}")).await.0,
        401
    );
    assert_eq!(anon.get("/action-center/count").await.0, 401);
    assert_eq!(anon.get("/action-center/api/data").await.0, 401);
    let page = anon
        .web
        .client
        .get(format!("{}/action-center", anon.web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 303);
    let page = u
        .request("GET", "/action-center", None, false)
        .header("accept", "text/html");
    let res = page.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("/static/js/pages/action-center.js")
    );
    assert_eq!(u.row(id).await["status"], "pending");
    assert_eq!(u.engine_orders().await, 0);
    app.stop().await;
}

#[tokio::test]
async fn approve_all_while_orders_arrive_executes_each_once() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "busy").await;
    for q in 1..=5 {
        u.queue(q).await;
    }
    let producer = {
        let u = u.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for q in 1..=15 {
                ids.push(u.queue(q).await);
            }
            ids
        })
    };
    let approvers: Vec<_> = (0..3)
        .map(|_| {
            let u = u.clone();
            tokio::spawn(async move {
                let mut executed = 0;
                for _ in 0..4 {
                    let (s, b) = u.post("/action-center/approve-all").await;
                    assert_eq!(s, 200, "{b}");
                    if b["status"] != "info" {
                        assert_eq!(b["status"], "success", "{b}");
                        executed += b["executed_count"].as_i64().unwrap();
                    }
                }
                executed
            })
        })
        .collect();
    let queued = producer.await.unwrap();
    assert_eq!(queued.len(), 15);
    let mut executed = 0;
    for a in approvers {
        executed += a.await.unwrap();
    }
    // Whatever arrived after the last sweep is still pending; sweep it now.
    let (_, b) = u.post("/action-center/approve-all").await;
    executed += b["executed_count"].as_i64().unwrap_or(0);
    assert_eq!(executed, 20, "every queued order executed exactly once");
    assert_eq!(u.engine_orders().await, 20);
    let data = u.data("all").await;
    assert_eq!(data["statistics"]["total_approved"], 20);
    assert_eq!(data["statistics"]["total_pending"], 0);
    let mut ids: Vec<String> = data["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["broker_order_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each row has its own engine order");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_fails_interrupted_executions_without_executing_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let at = |c: &mut Config| {
        c.data_dir = dir.path().to_path_buf();
        c.database_url = format!("sqlite://{}/algogate.db", dir.path().display());
    };
    let app = spawn_app_with(Arc::new(SystemClock), at).await;
    let u = semi_auto_user(&app, "phoenix").await;
    let untouched = u.queue(1).await;
    let claimed = u.queue(2).await;
    let half = u.queue(3).await;
    // Simulate a crash mid-execution: rows claimed (executing), one with an order placed
    // and recorded, then the process stops before recording the outcome.
    let store = app.state.store();
    let t = Stamp {
        utc: "2026-01-01T00:00:00.000Z",
        ist: "2026-01-01 05:30:00 IST",
    };
    assert!(
        store
            .claim_pending(u.id, claimed, "phoenix", t)
            .await
            .unwrap()
    );
    assert!(store.claim_pending(u.id, half, "phoenix", t).await.unwrap());
    let (s, b) = {
        u.set_mode("auto").await;
        let r = u.place(3).await;
        u.set_mode("semi_auto").await;
        r
    };
    assert_eq!(s, 200, "{b}");
    let placed = b["orderid"].as_str().unwrap().to_string();
    store.record_pending_leg(half, &placed).await.unwrap();
    app.stop().await;

    let app = spawn_app_with(Arc::new(SystemClock), at).await;
    let mut u2 = u.clone();
    u2.web.base = app.base.clone();
    assert_eq!(u2.engine_orders().await, 1, "nothing was executed again");
    let row = u2.row(claimed).await;
    assert_eq!(row["status"], "approved");
    assert_eq!(row["execution_state"], "failed");
    assert_eq!(row["broker_status"], "rejected");
    assert!(
        row["execution_error"]
            .as_str()
            .unwrap()
            .contains("server restart")
    );
    let row = u2.row(half).await;
    assert_eq!(row["execution_state"], "failed");
    assert_eq!(row["broker_status"], "partial");
    assert_eq!(row["broker_order_id"], placed);
    // Neither can be approved again; the untouched one still can.
    assert_eq!(
        u2.post(&format!("/action-center/approve/{claimed}")).await,
        (400, failed("approve"))
    );
    assert_eq!(
        u2.post("/action-center/approve-all").await.1["approved_count"],
        1
    );
    assert_eq!(u2.row(untouched).await["execution_state"], "executed");
    assert_eq!(u2.engine_orders().await, 2);
    // Decided rows can be deleted, including the failed ones.
    assert_eq!(
        u2.send("DELETE", &format!("/action-center/delete/{claimed}"), None)
            .await
            .0,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn the_event_stream_announces_queued_and_decided_orders_to_their_owner_only() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "watcher").await;
    let other = semi_auto_user(&app, "stranger").await;
    let mut res = u
        .request("GET", "/action-center/events", None, false)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    other.queue(1).await;
    let id = u.queue(1).await;
    let mut seen = String::new();
    let read = async {
        while !seen.contains("pending_order_updated") {
            let chunk = res.chunk().await.unwrap().expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("pending_order_created") && !seen.contains("updated") {
                u.send(
                    "POST",
                    &format!("/action-center/reject/{id}"),
                    Some(json!({"reason": "r"})),
                )
                .await;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("events arrive");
    assert!(seen.contains("event: pending_order_created"), "{seen}");
    assert!(
        seen.contains(&format!("\"pending_order_id\":{id}")),
        "{seen}"
    );
    assert!(seen.contains("\"action\":\"rejected\""), "{seen}");
    assert!(
        !seen.contains("stranger"),
        "another user's events leak: {seen}"
    );
    drop(res);
    app.stop().await;
}

/// The nearest NIFTY option expiry as `DDMMMYY`.
async fn nifty_expiry(u: &User) -> String {
    let (s, b) = u
        .api(
            "expiry",
            json!({"symbol": "NIFTY", "exchange": "NFO", "instrumenttype": "options"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["data"][0].as_str().unwrap().replace('-', "")
}

#[tokio::test]
async fn options_orders_queue_with_openalgos_names_and_execute_once() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "optioneer").await;
    let expiry = nifty_expiry(&u).await;
    let (s, b) = u
        .api(
            "optionsorder",
            json!({"strategy": "s", "underlying": "NIFTY", "exchange": "NSE_INDEX",
                   "expiry_date": expiry, "offset": "ATM", "option_type": "CE",
                   "action": "BUY", "quantity": 65}),
        )
        .await;
    assert_eq!((s, b["mode"].clone()), (200, json!("semi_auto")), "{b}");
    let one = b["pending_order_id"].as_i64().unwrap();
    let (s, b) = u
        .api(
            "optionsmultiorder",
            json!({"strategy": "s", "underlying": "NIFTY", "exchange": "NSE_INDEX",
                   "expiry_date": expiry, "legs": [
                       {"offset": "ATM", "option_type": "CE", "action": "SELL", "quantity": 65},
                       {"offset": "OTM3", "option_type": "PE", "action": "BUY", "quantity": 65},
                       {"offset": "OTM70", "option_type": "PE", "action": "SELL", "quantity": 65}]}),
        )
        .await;
    assert_eq!((s, b["mode"].clone()), (200, json!("semi_auto")), "{b}");
    let multi = b["pending_order_id"].as_i64().unwrap();
    assert_eq!(u.engine_orders().await, 0, "nothing runs before approval");
    let row = u.row(one).await;
    assert_eq!(row["api_type"], "optionsorder");
    assert_eq!(row["symbol"], "NIFTY ATM CE");
    assert!(row["raw_order_data"].get("apikey").is_none());
    let row = u.row(multi).await;
    assert_eq!(row["api_type"], "optionsmultiorder");
    assert_eq!(row["symbol"], "NIFTY (3 legs)");
    assert_eq!(row["action"], "MULTI");

    // Ten racing approvals of each: each executes once.
    for (id, orders) in [(one, 1), (multi, 3)] {
        let path = format!("/action-center/approve/{id}");
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (u, path) = (u.clone(), path.clone());
                tokio::spawn(async move { u.post(&path).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().0 == 200 {
                ok += 1;
            }
        }
        assert_eq!(ok, 1, "one approval of {id} wins");
        assert_eq!(u.engine_orders().await, orders);
    }
    let row = u.row(one).await;
    assert_eq!(row["execution_state"], "executed");
    assert_eq!(row["order_ids"].as_array().unwrap().len(), 1);
    let row = u.row(multi).await;
    // Two legs placed, the out-of-range one failed: partial, with both order ids.
    assert_eq!(row["order_ids"].as_array().unwrap().len(), 2, "{row}");
    assert_eq!(row["broker_status"], "partial", "{row}");
    let results = row["execution_result"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2]["status"], "error");
    app.stop().await;
}

#[tokio::test]
async fn semi_auto_queues_placegttorder_and_approval_places_the_gtt() {
    let app = spawn_app().await;
    let u = semi_auto_user(&app, "gtter").await;
    let body = json!({"strategy": "ac-gtt", "trigger_type": "single", "exchange": "NSE",
        "symbol": "SBIN", "action": "buy", "product": "CNC", "quantity": 3,
        "pricetype": "LIMIT", "price": 1.0, "triggerprice_sl": 1.05, "triggerprice_tg": 0,
        "junk": "dropped"});
    // Validation still comes first.
    let mut bad = body.clone();
    bad["product"] = json!("MIS");
    let (s, _) = u.api("placegttorder", bad).await;
    assert_eq!(s, 400);
    let (s, b) = u.api("placegttorder", body).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["mode"], "semi_auto");
    let id = b["pending_order_id"].as_i64().unwrap();
    let (_, book) = u.api("gttorderbook", json!({})).await;
    assert_eq!(book["data"], json!([]), "nothing placed before approval");
    let row = u.row(id).await;
    assert_eq!(row["api_type"], "placegttorder");
    let data = &row["raw_order_data"];
    assert_eq!(data["trigger_type"], "SINGLE");
    assert_eq!(data["action"], "BUY");
    assert_eq!(data["trigger_price"], 1.05);
    assert!(
        data.get("apikey").is_none() && data.get("junk").is_none(),
        "{data}"
    );
    let (_, st) = u.get("/action-center/api/data?status=all").await;
    assert_eq!(st["data"]["statistics"]["total_placegttorder"], 1, "{st}");

    let (s, b) = u.post(&format!("/action-center/approve/{id}")).await;
    assert_eq!(s, 200, "{b}");
    let (_, book) = u.api("gttorderbook", json!({})).await;
    let gtt = &book["data"][0];
    assert_eq!(gtt["strategy"], "ac-gtt");
    let row = u.row(id).await;
    assert_eq!(row["execution_state"], "executed");
    assert_eq!(row["broker_order_id"], gtt["trigger_id"]);
    assert_eq!(row["broker_status"], "open");
    assert_eq!(row["execution_result"]["trigger_id"], gtt["trigger_id"]);
    // Modify and cancel are not blocked (this broker is always in analyze mode).
    let (s, b) = u
        .api(
            "cancelgttorder",
            json!({"strategy": "ac-gtt", "trigger_id": gtt["trigger_id"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.stop().await;
}
