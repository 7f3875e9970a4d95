//! The paper-account, TradingView and security pages' session routes: books, cancel,
//! modify, close, the order-update event stream, the symbol search, bans — and their bad
//! paths (no session, wrong CSRF, bad input, another user's order, non-admins).

use algogate_app::accounts::{self, NewAccount};
use algogate_app::clock::SystemClock;
use algogate_keys::Password;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::webui::{Browser, PASSWORD, logged_in};

async fn key_of(b: &mut Browser) -> String {
    let r = b.get_json("/apikey").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["api_key"].as_str().unwrap().to_string()
}

async fn place(app: &TestApp, key: &str, extra: Value) -> Value {
    let mut body = json!({
        "apikey": key, "strategy": "pages", "exchange": "NSE", "symbol": "SBIN",
        "action": "BUY", "quantity": "10", "pricetype": "MARKET", "product": "MIS",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, b) = app.post_json("/api/v1/placeorder", &body).await;
    assert_eq!(s, 200, "{b}");
    b
}

fn ltp(app: &TestApp) -> f64 {
    app.state
        .market()
        .quote("SBIN", algogate_broker::Exchange::Nse)
        .unwrap()
        .ltp
}

async fn resting_limit(app: &TestApp, key: &str) -> (String, f64) {
    let price = (ltp(app) * 0.8).round();
    let b = place(app, key, json!({"pricetype": "LIMIT", "price": price})).await;
    (b["orderid"].as_str().unwrap().to_string(), price)
}

async fn admin_browser(app: &TestApp, name: &str) -> Browser {
    accounts::create_user(
        app.state.store(),
        app.state.keys(),
        NewAccount {
            username: name,
            email: None,
            is_admin: true,
            password: Password::new(PASSWORD),
        },
    )
    .await
    .unwrap();
    let mut b = Browser::new(app);
    let r = b.login(name, PASSWORD).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    b
}

fn order<'a>(book: &'a Value, id: &str) -> &'a Value {
    book["data"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["orderid"] == id)
        .unwrap_or_else(|| panic!("order {id} not in {book}"))
}

#[tokio::test]
async fn account_books_show_the_session_users_orders_trades_positions_and_funds() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let key = key_of(&mut b).await;
    let filled = place(&app, &key, json!({})).await;
    let id = filled["orderid"].as_str().unwrap();

    let r = b.get_json("/account/api/orders").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(order(&r.body, id)["order_status"], "complete");
    // The same shape as /api/v1/orderbook.
    let (_, api) = app
        .post_json("/api/v1/orderbook", &json!({"apikey": key}))
        .await;
    assert_eq!(r.body, api);

    let r = b.get_json("/account/api/trades").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"][0]["orderid"], id);
    let r = b.get_json("/account/api/positions").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"][0]["symbol"], "SBIN");
    assert_eq!(r.body["data"][0]["quantity"], 10);
    assert!(r.body.get("total_pnl").is_some(), "{:?}", r.body);
    let r = b.get_json("/account/api/funds").await;
    assert_eq!(r.status, 200);
    assert!(r.body["data"]["utiliseddebits"].as_f64().unwrap() > 0.0);
    let r = b.get_json("/account/api/holdings").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "success");

    // Another user sees none of it.
    let mut other = logged_in(&app, "bob").await;
    let r = other.get_json("/account/api/orders").await;
    assert_eq!(r.body["data"]["orders"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn cancel_and_modify_a_resting_order_from_the_page() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let key = key_of(&mut b).await;
    let (id, price) = resting_limit(&app, &key).await;

    let r = b
        .post(
            &format!("/account/api/modify/{id}"),
            &json!({"price": price - 1.0, "quantity": 20}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["message"], "Order modified successfully");
    let book = b.get_json("/account/api/orders").await.body;
    assert_eq!(order(&book, &id)["quantity"], 20);
    assert_eq!(order(&book, &id)["price"], price - 1.0);

    let r = b
        .post(&format!("/account/api/cancel/{id}"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["message"], "Order cancelled successfully");
    let book = b.get_json("/account/api/orders").await.body;
    assert_eq!(order(&book, &id)["order_status"], "cancelled");
    // Cancelling it again is the engine's refusal, not a 500.
    let r = b
        .post(&format!("/account/api/cancel/{id}"), &json!({}))
        .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["status"], "error");
    app.stop().await;
}

#[tokio::test]
async fn close_one_position_or_all_of_them() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let key = key_of(&mut b).await;
    place(&app, &key, json!({})).await;
    place(
        &app,
        &key,
        json!({"symbol": "INFY", "action": "SELL", "quantity": "3"}),
    )
    .await;

    let r = b
        .post(
            "/account/api/close",
            &json!({"symbol": "SBIN", "exchange": "NSE", "product": "MIS"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["orderid"].is_string());
    let pos = b.get_json("/account/api/positions").await.body;
    let qty = |sym: &str| {
        pos["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["symbol"] == sym)
            .map(|p| p["quantity"].as_i64().unwrap())
    };
    assert_eq!(qty("SBIN"), Some(0));
    assert_eq!(qty("INFY"), Some(-3));

    // Closing a flat position is a clear 400.
    let r = b
        .post(
            "/account/api/close",
            &json!({"symbol": "SBIN", "exchange": "NSE", "product": "MIS"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["message"], "No open position");

    let r = b.post("/account/api/close", &json!({"all": true})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["closed_positions"], 1);
    app.stop().await;
}

#[tokio::test]
async fn account_routes_refuse_bad_paths() {
    let app = spawn_app().await;
    let mut alice = logged_in(&app, "alice").await;
    let key = key_of(&mut alice).await;
    let (id, _) = resting_limit(&app, &key).await;

    // No session: 401 JSON for API-like requests, a redirect for the page.
    let mut anon = Browser::new(&app);
    for path in [
        "/account/api/funds",
        "/account/api/orders",
        "/account/api/trades",
        "/account/api/positions",
        "/account/api/holdings",
        "/account/api/events",
        "/tradingview/api/search?q=SBIN",
        "/security/api/data",
        "/auth/me",
    ] {
        let r = anon.get_json(path).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.body["error"], "session_expired", "{path}");
    }
    for page in ["/account", "/tradingview", "/security"] {
        let r = anon.get(page, "text/html").await;
        assert_eq!(r.status, 303, "{page}");
        assert_eq!(
            r.headers["location"],
            format!("/login?next={}", page).as_str()
        );
    }
    anon.fetch_csrf().await;
    let r = anon
        .post(&format!("/account/api/cancel/{id}"), &json!({}))
        .await;
    assert_eq!(r.status, 401);

    // Wrong CSRF token on every state change.
    let good = alice.csrf.replace("0".repeat(64)).unwrap();
    for (path, body) in [
        (format!("/account/api/cancel/{id}"), json!({})),
        (format!("/account/api/modify/{id}"), json!({"price": 1})),
        ("/account/api/close".into(), json!({"all": true})),
    ] {
        let r = alice.post(&path, &body).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.body["error"], "csrf_failed");
    }
    alice.csrf = Some(good);

    // Bad ids and inputs: 400 with a message.
    for (path, body, msg) in [
        ("/account/api/cancel/..%2Fx", json!({}), "Invalid order id"),
        ("/account/api/cancel/a%20b", json!({}), "Invalid order id"),
        (
            "/account/api/modify/12;3",
            json!({"price": 1}),
            "Invalid order id",
        ),
        (
            &*format!("/account/api/modify/{id}"),
            json!({}),
            "Nothing to modify",
        ),
        (
            &*format!("/account/api/modify/{id}"),
            json!({"quantity": 0}),
            "quantity must be",
        ),
        (
            &*format!("/account/api/modify/{id}"),
            json!({"price": -5}),
            "price must be",
        ),
        (
            &*format!("/account/api/modify/{id}"),
            json!({"price": "x"}),
            "price must be",
        ),
        (
            &*format!("/account/api/modify/{id}"),
            json!({"colour": 1}),
            "Unknown field: colour",
        ),
        (
            "/account/api/close",
            json!({"symbol": "SBIN"}),
            "exchange is required",
        ),
        (
            "/account/api/close",
            json!({"symbol": "SBIN", "exchange": "XYZ", "product": "MIS"}),
            "Invalid exchange",
        ),
        (
            "/account/api/close",
            json!({"symbol": "SBIN", "exchange": "NSE", "product": "ABC"}),
            "Invalid product",
        ),
        ("/account/api/close", json!([1, 2]), "must be a JSON object"),
    ] {
        let r = alice.post(path, &body).await;
        assert_eq!(r.status, 400, "{path} {body}: {:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(msg),
            "{path} {body}: {:?}",
            r.body
        );
    }
    let r = alice
        .post_raw(&format!("/account/api/modify/{id}"), "{not json".into())
        .await;
    assert_eq!(r.status, 400);

    // Another user's order, and an unknown one: 404, nothing changed.
    let mut bob = logged_in(&app, "bob").await;
    for path in [
        format!("/account/api/cancel/{id}"),
        "/account/api/cancel/123456".to_string(),
    ] {
        let r = bob.post(&path, &json!({})).await;
        assert_eq!(r.status, 404, "{path}: {:?}", r.body);
        assert!(r.body["message"].as_str().unwrap().contains("not found"));
    }
    let r = bob
        .post(&format!("/account/api/modify/{id}"), &json!({"price": 2}))
        .await;
    assert_eq!(r.status, 404);
    let book = alice.get_json("/account/api/orders").await.body;
    assert_eq!(order(&book, &id)["order_status"], "open");
    app.stop().await;
}

#[tokio::test]
async fn the_event_stream_carries_only_the_users_own_order_updates() {
    let app = spawn_app().await;
    let mut alice = logged_in(&app, "alice").await;
    let key = key_of(&mut alice).await;
    let mut bob = logged_in(&app, "bob").await;
    let bob_key = key_of(&mut bob).await;

    let cookie = format!(
        "algogate_session={}",
        alice.cookies.get("algogate_session").unwrap()
    );
    let mut res = app
        .client
        .get(format!("{}/account/api/events", app.base))
        .header("cookie", cookie)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    place(&app, &bob_key, json!({"symbol": "INFY"})).await;
    let mine = place(&app, &key, json!({})).await;
    let id = mine["orderid"].as_str().unwrap();

    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains(id) {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("an order update within 10 s")
            .unwrap()
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: order_update"), "{seen}");
    assert!(
        !seen.contains("INFY"),
        "another user's update leaked: {seen}"
    );
    drop(res);
    app.stop().await;
}

#[tokio::test]
async fn shutdown_ends_an_open_event_stream() {
    let app = spawn_app().await;
    let b = logged_in(&app, "alice").await;
    let cookie = format!(
        "algogate_session={}",
        b.cookies.get("algogate_session").unwrap()
    );
    let res = app
        .client
        .get(format!("{}/account/api/events", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Graceful shutdown must not wait for the stream's client to go away.
    tokio::time::timeout(std::time::Duration::from_secs(10), app.stop())
        .await
        .expect("server stopped with a stream open");
    drop(res);
}

/// Icons are inline SVG: glyphs such as ⧉ render as an empty box on systems without a font
/// that has them.
#[tokio::test]
async fn pages_draw_icons_as_svg_and_the_key_page_links_the_playground() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    for page in [
        "/apikey",
        "/tradingview",
        "/playground",
        "/account",
        "/action-center",
    ] {
        let r = b.get(page, "text/html").await;
        assert_eq!(r.status, 200, "{page}");
        let html = r.body.as_str().unwrap();
        for glyph in ["⧉", "👁"] {
            assert!(!html.contains(glyph), "{page} draws {glyph} as text");
        }
    }
    let r = b.get("/apikey", "text/html").await;
    let html = r.body.as_str().unwrap();
    assert!(html.contains(r#"href="/playground""#), "{html}");
    assert!(!html.contains("later release"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn tradingview_search_finds_instruments_and_refuses_bad_queries() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let r = b.get_json("/tradingview/api/search?q=sbin").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let hits = r.body["data"].as_array().unwrap();
    assert_eq!(hits[0]["symbol"], "SBIN");
    assert!(hits.len() <= 20);
    let r = b
        .get_json("/tradingview/api/search?q=NIFTY&exchange=NFO")
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["exchange"] == "NFO")
    );
    for (q, msg) in [
        ("", "Enter a symbol"),
        ("?q=%20", "Enter a symbol"),
        ("?q=SBIN&exchange=XYZ", "Unknown exchange"),
        (&*format!("?q={}", "A".repeat(65)), "too long"),
    ] {
        let r = b.get_json(&format!("/tradingview/api/search{q}")).await;
        assert_eq!(r.status, 400, "{q}");
        assert!(
            r.body["message"].as_str().unwrap().contains(msg),
            "{q}: {:?}",
            r.body
        );
    }
    let r = b.get("/tradingview", "text/html").await;
    assert_eq!(r.status, 200);
    let html = r.body.as_str().unwrap();
    assert!(html.contains("/static/js/pages/tradingview.js"));
    // The key is never written into the page.
    let key = key_of(&mut b).await;
    assert!(!html.contains(&key));
    app.stop().await;
}

#[tokio::test]
async fn admins_ban_and_unban_and_see_attempts_and_settings() {
    let app = spawn_app_with(std::sync::Arc::new(SystemClock), |c| {
        c.trust_proxy_headers = true;
    })
    .await;
    let mut admin = admin_browser(&app, "root").await;
    let r = admin.get_json("/auth/me").await;
    assert_eq!(r.body, json!({"username": "root", "is_admin": true}));

    // An invalid key from a (proxied) client is counted; loopback never is.
    let res = app
        .client
        .post(format!("{}/api/v1/ping", app.base))
        .header("x-real-ip", "198.51.100.5")
        .json(&json!({"apikey": "f".repeat(64)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let r = admin.get_json("/security/api/data").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["attempts"][0]["ip_address"], "198.51.100.5");
    assert_eq!(r.body["attempts"][0]["attempt_count"], 1);
    assert_eq!(
        r.body["settings"],
        json!({"auto_ban_enabled": false, "api_threshold": 100, "api_ban_duration_hours": 0,
               "repeat_offender_limit": 2, "trust_proxy_headers": true})
    );

    let r = admin
        .post(
            "/security/api/ban",
            &json!({"ip": "203.0.113.7", "reason": "spraying keys", "hours": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["ban"]["is_permanent"], false);
    let r = admin
        .post(
            "/security/api/ban",
            &json!({"ip": "2001:db8::1", "permanent": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["ban"]["is_permanent"], true);
    assert_eq!(r.body["ban"]["ban_reason"], "Manual ban");
    let now = app.state.clock().now_ms();
    assert!(
        app.state
            .security()
            .is_banned("203.0.113.7".parse().unwrap(), now)
    );

    let r = admin.get_json("/security/api/data").await;
    let bans = r.body["bans"].as_array().unwrap();
    assert_eq!(bans.len(), 2);
    let b = bans
        .iter()
        .find(|b| b["ip_address"] == "203.0.113.7")
        .unwrap();
    assert_eq!(b["ban_reason"], "spraying keys");
    assert_eq!(b["active"], true);
    assert_eq!(b["created_by"], "manual");

    let r = admin
        .post("/security/api/unban", &json!({"ip": "203.0.113.7"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(
        !app.state
            .security()
            .is_banned("203.0.113.7".parse().unwrap(), now)
    );
    let r = admin
        .post("/security/api/unban", &json!({"ip": "203.0.113.7"}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "203.0.113.7 is not banned");

    // Bad input.
    for (path, body, msg) in [
        ("/security/api/ban", json!({}), "ip is required"),
        (
            "/security/api/ban",
            json!({"ip": "300.1.1.1"}),
            "Not an IP address",
        ),
        ("/security/api/ban", json!({"ip": "127.0.0.1"}), "Loopback"),
        ("/security/api/ban", json!({"ip": "::1"}), "Loopback"),
        (
            "/security/api/ban",
            json!({"ip": "203.0.113.8", "hours": 0}),
            "hours must be",
        ),
        (
            "/security/api/ban",
            json!({"ip": "203.0.113.8", "hours": 9000}),
            "hours must be",
        ),
        (
            "/security/api/ban",
            json!({"ip": "203.0.113.8", "reason": "x".repeat(201)}),
            "reason must be",
        ),
        (
            "/security/api/ban",
            json!({"ip": "203.0.113.8", "why": 1}),
            "Unknown field: why",
        ),
        (
            "/security/api/unban",
            json!({"ip": "nope"}),
            "Not an IP address",
        ),
    ] {
        let r = admin.post(path, &body).await;
        assert_eq!(r.status, 400, "{path} {body}: {:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(msg),
            "{body}: {:?}",
            r.body
        );
    }
    assert!(
        !app.state
            .security()
            .is_banned("203.0.113.8".parse().unwrap(), now)
    );

    // Wrong CSRF.
    admin.csrf = Some("0".repeat(64));
    let r = admin
        .post("/security/api/ban", &json!({"ip": "203.0.113.9"}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error"], "csrf_failed");
    app.stop().await;
}

#[tokio::test]
async fn non_admins_get_403_on_every_security_route() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let r = b.get_json("/auth/me").await;
    assert_eq!(r.body["is_admin"], false);
    let r = b.get_json("/security/api/data").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["message"], "This page is for administrators only.");
    let r = b.get("/security", "text/html").await;
    assert_eq!(r.status, 403);
    for (path, body) in [
        ("/security/api/ban", json!({"ip": "203.0.113.7"})),
        ("/security/api/unban", json!({"ip": "203.0.113.7"})),
    ] {
        let r = b.post(path, &body).await;
        assert_eq!(r.status, 403, "{path}");
    }
    assert!(
        !app.state
            .security()
            .is_banned("203.0.113.7".parse().unwrap(), app.state.clock().now_ms())
    );
    app.stop().await;
}
