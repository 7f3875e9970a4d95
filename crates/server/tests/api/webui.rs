//! The web UI's session routes: setup, login/logout, sessions, CSRF, throttling, the
//! API-key routes and the security headers, through a cookie-keeping test browser.

use std::sync::Arc;

use algogate_app::accounts::{self, NewAccount};
use algogate_app::clock::{ManualClock, SystemClock};
use algogate_keys::Password;
use algogate_server::config::Config;
use algogate_store::UserId;
use reqwest::header::{HeaderMap, SET_COOKIE};

pub(crate) use crate::browser::Browser;
use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) const PASSWORD: &str = "Webui-test-pass-42";

pub(crate) async fn create_account(app: &TestApp, name: &str) -> UserId {
    accounts::create_user(
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
    .unwrap()
}

pub(crate) async fn logged_in(app: &TestApp, name: &str) -> Browser {
    create_account(app, name).await;
    let mut b = Browser::new(app);
    let r = b.login(name, PASSWORD).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    b
}

fn set_cookie_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no Set-Cookie for {name}"))
}

fn session_expired() -> Value {
    json!({"status": "error", "error": "session_expired",
           "message": "Your session has expired. Please log in again."})
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_no_inline_script() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    for path in ["/login", "/static/css/app.css", "/auth/csrf-token"] {
        let r = b.get(path, "text/html").await;
        assert_eq!(r.status, 200, "{path}");
        let h = |k: &str| r.headers.get(k).unwrap().to_str().unwrap().to_string();
        let csp = h("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("style-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "no-referrer");
    }
    let r = b.get("/login", "text/html").await;
    let html = r.body.as_str().unwrap();
    assert!(html.contains("<form id=\"login-form\""));
    assert!(!html.contains("<script>") && !html.contains(" style="));
    let r = b.get("/static/js/pages/apikey.js", "*/*").await;
    assert_eq!(r.headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(b.get("/static/nope.js", "*/*").await.status, 404);
    assert_eq!(b.get("/static/../Cargo.toml", "*/*").await.status, 404);
    // The root leads to the key page, which sends a browser without a session to login.
    assert_eq!(b.get("/", "text/html").await.status, 303);
    let r = b.get("/apikey", "text/html").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/login?next=/apikey");
    app.stop().await;
}

#[tokio::test]
async fn setup_creates_the_admin_with_a_key_once_and_then_is_gone() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    // Not opened (spawn_app does not issue a token): 404.
    assert_eq!(b.get("/setup?token=abc", "text/html").await.status, 404);
    let token = app.state.setup().issue();
    let t = token.expose().to_string();
    assert_eq!(b.get("/setup?token=wrong", "text/html").await.status, 403);
    assert_eq!(b.get("/setup", "text/html").await.status, 403);
    let r = b.get(&format!("/setup?token={t}"), "text/html").await;
    assert_eq!(r.status, 200);
    assert!(!r.body.as_str().unwrap().contains(&t), "token not echoed");

    let form = |token: &str, pw: &str, confirm: &str| json!({"token": token, "username": "admin", "password": pw, "confirm": confirm});
    // No CSRF token: refused before anything else.
    let r = b.post("/setup", &form(&t, PASSWORD, PASSWORD)).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    b.fetch_csrf().await;
    let r = b
        .post("/setup", &form("f".repeat(64).as_str(), PASSWORD, PASSWORD))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body["message"],
        "This setup link is not valid or was already used."
    );
    // Weak or mismatched passwords do not burn the token.
    let r = b.post("/setup", &form(&t, "password", "password")).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Password too weak"),
        "{:?}",
        r.body
    );
    let r = b
        .post("/setup", &form(&t, PASSWORD, "Webui-test-pass-43"))
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (400, Some("The passwords do not match."))
    );
    assert_eq!(b.post_raw("/setup", "{not json".into()).await.status, 400);

    let r = b.post("/setup", &form(&t, PASSWORD, PASSWORD)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["redirect"], "/login");
    // The admin has a working API key from the start.
    let user = app
        .state
        .store()
        .user_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    assert!(user.is_admin);
    let key = app
        .state
        .keys()
        .overview(user.user_id())
        .await
        .unwrap()
        .api_key
        .unwrap();
    assert_eq!(app.ping(key.expose()).await, (200, pong()));

    // Reusing the token, or visiting setup at all, now finds nothing.
    let r = b.post("/setup", &form(&t, PASSWORD, PASSWORD)).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        b.get(&format!("/setup?token={t}"), "text/html")
            .await
            .status,
        404
    );
    assert_eq!(app.state.store().count_users().await.unwrap(), 1);
    // And the admin can log in.
    assert_eq!(b.login("admin", PASSWORD).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn login_gives_one_generic_error_and_always_runs_argon2() {
    let app = spawn_app().await;
    create_account(&app, "alice").await;
    let mut b = Browser::new(&app);
    let before = app.argon2_runs();
    let wrong = b.login("alice", "Wrong-password-1").await;
    let unknown = b.login("nobody", PASSWORD).await;
    assert_eq!(
        app.argon2_runs() - before,
        2,
        "one verification each, dummy for unknown"
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["message"], "Invalid username or password.");
    assert!(b.session().is_none());
    // Without the CSRF token, login is refused.
    let mut fresh = Browser::new(&app);
    let r = fresh
        .post(
            "/auth/login",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (403, Some("csrf_failed"))
    );
    // Malformed bodies are a 400, not a 500.
    fresh.fetch_csrf().await;
    assert_eq!(fresh.post_raw("/auth/login", "[]".into()).await.status, 400);
    assert_eq!(
        fresh.post_raw("/auth/login", "\u{0}".into()).await.status,
        400
    );
    app.stop().await;
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_renews_the_id_and_stores_only_a_digest() {
    let app = spawn_app().await;
    create_account(&app, "alice").await;
    let mut b = Browser::new(&app);
    let r = b.login("alice", PASSWORD).await;
    let sc = set_cookie_of(&r.headers, "algogate_session");
    assert!(
        sc.contains("HttpOnly") && sc.contains("SameSite=Strict") && sc.contains("Path=/"),
        "{sc}"
    );
    assert!(!sc.contains("Secure"), "plain HTTP: {sc}");
    let first = b.session().unwrap().clone();
    assert_eq!(first.len(), 64);
    let rows: Vec<String> = on_test_db!(app.state.store().db(), |p| {
        sqlx::query_scalar("SELECT id_hash FROM sessions")
            .fetch_all(p)
            .await
            .unwrap()
    });
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0], first);
    // Logging in again from the same browser gives a new id and ends the old session.
    assert_eq!(b.login("alice", PASSWORD).await.status, 200);
    let second = b.session().unwrap().clone();
    assert_ne!(first, second);
    let mut old = Browser::new(&app);
    old.cookies.insert("algogate_session".into(), first);
    assert_eq!(old.get_json("/apikey").await.body, session_expired());
    assert_eq!(app.state.store().count_sessions().await.unwrap(), 1);
    // A logged-in browser visiting /login goes to its key page.
    let r = b.get("/login", "text/html").await;
    assert_eq!(
        (r.status, r.headers["location"].to_str().unwrap()),
        (303, "/apikey")
    );
    app.stop().await;
}

#[tokio::test]
async fn secure_cookies_by_config_or_a_trusted_forwarded_proto_only() {
    for (secure, trust, proto, expect) in [
        (true, false, None, true),
        (false, true, Some("https"), true),
        (false, false, Some("https"), false),
        (false, true, Some("http"), false),
    ] {
        let app = spawn_app_with(Arc::new(SystemClock), |c: &mut Config| {
            c.cookie_secure = secure;
            c.trust_proxy_headers = trust;
        })
        .await;
        create_account(&app, "alice").await;
        let mut b = Browser::new(&app);
        b.fetch_csrf().await;
        let mut req = b
            .client
            .post(format!("{}/auth/login", app.base))
            .header("content-type", "application/json")
            .header("x-csrftoken", b.csrf.clone().unwrap())
            .body(json!({"username": "alice", "password": PASSWORD}).to_string());
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        let r = b.send(req).await;
        assert_eq!(r.status, 200);
        let sc = set_cookie_of(&r.headers, "algogate_session");
        assert_eq!(
            sc.contains("; Secure"),
            expect,
            "{secure} {trust} {proto:?}: {sc}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn state_changing_session_routes_need_the_sessions_csrf_token() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let good = b.csrf.clone().unwrap();
    for token in [None, Some("0".repeat(64)), Some("garbage".to_string())] {
        b.csrf = token;
        for (path, body) in [
            ("/apikey", json!({})),
            ("/apikey/mode", json!({"mode": "semi_auto"})),
            ("/auth/logout", json!({})),
        ] {
            let r = b.post(path, &body).await;
            assert_eq!(r.status, 403, "{path}");
            assert_eq!(r.body["error"], "csrf_failed");
        }
    }
    // Another session's token is no good either.
    let other = logged_in(&app, "bob").await;
    b.csrf = other.csrf.clone();
    assert_eq!(
        b.post("/apikey/mode", &json!({"mode": "semi_auto"}))
            .await
            .status,
        403
    );
    b.csrf = Some(good);
    assert_eq!(
        b.post("/apikey/mode", &json!({"mode": "semi_auto"}))
            .await
            .status,
        200
    );
    // /api/v1 is key-authenticated and needs no CSRF token.
    let key = app
        .state
        .keys()
        .overview(UserId(1))
        .await
        .unwrap()
        .api_key
        .unwrap();
    assert_eq!(app.ping(key.expose()).await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn without_a_session_api_like_requests_get_401_json_and_pages_a_redirect() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let r = b.get_json("/apikey").await;
    assert_eq!((r.status, &r.body), (401, &session_expired()));
    b.fetch_csrf().await;
    for path in ["/apikey", "/apikey/mode", "/auth/logout"] {
        let r = b.post(path, &json!({"mode": "auto"})).await;
        assert_eq!((r.status, &r.body), (401, &session_expired()), "{path}");
    }
    let req = b
        .client
        .get(format!("{}/apikey", app.base))
        .header("x-requested-with", "XMLHttpRequest");
    assert_eq!(b.send(req).await.status, 401);
    // A forged or malformed cookie is just no session.
    for bad in ["x", &"a".repeat(64), "%00", &"A".repeat(64)] {
        let mut f = Browser::new(&app);
        f.cookies.insert("algogate_session".into(), bad.to_string());
        assert_eq!(f.get_json("/apikey").await.status, 401);
        assert_eq!(f.get("/apikey", "text/html").await.status, 303);
    }
    app.stop().await;
}

#[tokio::test]
async fn sessions_expire_when_idle_at_their_maximum_age_and_at_0300_ist() {
    // Idle: 10 min; each request within it keeps the session alive.
    let clock = Arc::new(ManualClock::at_ist(2026, 3, 2, 10, 0, 0));
    let app = spawn_app_with(clock.clone(), |c: &mut Config| {
        c.session_idle_secs = 600;
        c.session_max_secs = 3600;
    })
    .await;
    let mut b = logged_in(&app, "alice").await;
    for _ in 0..3 {
        clock.advance_ms(590_000);
        assert_eq!(b.get_json("/apikey").await.status, 200);
    }
    clock.advance_ms(600_000);
    assert_eq!(b.get_json("/apikey").await.body, session_expired());
    assert_eq!(
        app.state.store().count_sessions().await.unwrap(),
        0,
        "expired row deleted"
    );

    // Absolute: an hour after login, however active.
    let mut b = Browser::new(&app);
    assert_eq!(b.login("alice", PASSWORD).await.status, 200);
    for _ in 0..6 {
        clock.advance_ms(595_000);
        assert_eq!(b.get_json("/apikey").await.status, 200);
    }
    clock.advance_ms(30_000);
    assert_eq!(b.get_json("/apikey").await.status, 401);
    app.stop().await;

    // The daily boundary: a login at 02:58 IST ends at 03:00 IST.
    let clock = Arc::new(ManualClock::at_ist(2026, 3, 3, 2, 58, 0));
    let app = spawn_app_with(clock.clone(), |_| {}).await;
    let mut b = logged_in(&app, "alice").await;
    clock.advance_ms(119_000);
    assert_eq!(b.get_json("/apikey").await.status, 200);
    clock.advance_ms(1_000);
    assert_eq!(b.get_json("/apikey").await.body, session_expired());
    let r = b.get("/apikey", "text/html").await;
    assert_eq!(r.status, 303);
    app.stop().await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_username_and_per_ip() {
    let clock = Arc::new(ManualClock::at_ist(2026, 3, 2, 10, 0, 0));
    let app = spawn_app_with(clock.clone(), |c: &mut Config| {
        c.login_max_failures_per_user = 3;
        c.login_max_failures_per_ip = 5;
        c.login_window_secs = 60;
    })
    .await;
    create_account(&app, "alice").await;
    let mut b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(b.login("alice", "Wrong-password-1").await.status, 401);
        clock.advance_ms(1_000);
    }
    // Blocked, even with the right password, and without spending Argon2 on it.
    let runs = app.argon2_runs();
    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.body["message"],
        "Too many failed login attempts. Try again in 57 s."
    );
    assert_eq!(r.headers["retry-after"], "57");
    assert_eq!(app.argon2_runs(), runs);
    clock.advance_ms(57_000);
    assert_eq!(b.login("alice", PASSWORD).await.status, 200);

    // Per IP: failures for different names add up (all tests come from 127.0.0.1).
    clock.advance_ms(120_000);
    for i in 0..5 {
        assert_eq!(b.login(&format!("user{i}"), "x").await.status, 401);
    }
    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("Try again in 60 s"),
        "{:?}",
        r.body
    );
    app.stop().await;
}

#[tokio::test]
async fn apikey_json_shows_the_logged_in_users_own_key_and_mode() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let r = b.get_json("/apikey").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["login_username"], "alice");
    assert_eq!(r.body["has_api_key"], true);
    assert_eq!(r.body["order_mode"], "auto");
    let key = r.body["api_key"].as_str().unwrap().to_string();
    assert_eq!(app.ping(&key).await, (200, pong()));
    assert_eq!(
        r.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["login_username", "has_api_key", "api_key", "order_mode"]
    );
    // Without that Accept header: the page, which never contains the key.
    let page = b.get("/apikey", "text/html").await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().unwrap();
    assert!(html.contains("API Key Management") && !html.contains(&key));
    app.stop().await;
}

#[tokio::test]
async fn regenerate_ignores_a_user_id_in_the_body_and_kills_the_old_key_at_once() {
    let app = spawn_app().await;
    let bob = create_account(&app, "bob").await;
    let bob_key = app
        .state
        .keys()
        .overview(bob)
        .await
        .unwrap()
        .api_key
        .unwrap();
    let mut b = logged_in(&app, "alice").await;
    let old = b.get_json("/apikey").await.body["api_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.ping(&old).await.0, 200, "cached now");
    let r = b.post("/apikey", &json!({"user_id": "bob"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["message"], "API key updated successfully.");
    assert!(r.body["key_id"].is_i64());
    let new = r.body["api_key"].as_str().unwrap().to_string();
    assert_eq!(new.len(), 64);
    assert_eq!(app.ping(&old).await, (403, invalid_key()));
    assert_eq!(app.ping(&new).await, (200, pong()));
    // Bob's key is untouched.
    assert_eq!(app.ping(bob_key.expose()).await.0, 200);
    assert_eq!(b.get_json("/apikey").await.body["api_key"], new.as_str());
    // Any body, or none, does the same.
    assert_eq!(b.post_raw("/apikey", "not json".into()).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn order_mode_switches_and_rejects_anything_else() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let r = b
        .post(
            "/apikey/mode",
            &json!({"mode": "semi_auto", "user_id": "bob"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"message": "Order mode updated to semi_auto", "mode": "semi_auto"})
        )
    );
    assert_eq!(b.get_json("/apikey").await.body["order_mode"], "semi_auto");
    let key = b.get_json("/apikey").await.body["api_key"]
        .as_str()
        .unwrap()
        .to_string();
    let user = app.state.keys().verify(&key).await.unwrap().unwrap();
    assert_eq!(user.order_mode.as_str(), "semi_auto");
    let invalid = json!({"error": "Invalid mode. Must be \"auto\" or \"semi_auto\""});
    for body in [
        r#"{"mode":"manual"}"#,
        r#"{"mode":1}"#,
        "{}",
        "nonsense",
        r#"{"mode":"AUTO"}"#,
    ] {
        let r = b.post_raw("/apikey/mode", body.into()).await;
        assert_eq!((r.status, &r.body), (400, &invalid), "{body}");
    }
    let r = b.post("/apikey/mode", &json!({"mode": "auto"})).await;
    assert_eq!(r.body["message"], "Order mode updated to auto");
    assert_eq!(b.get_json("/apikey").await.body["order_mode"], "auto");
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "alice").await;
    let id = b.session().unwrap().clone();
    let r = b.post("/auth/logout", &json!({})).await;
    assert_eq!(r.status, 200);
    assert!(set_cookie_of(&r.headers, "algogate_session").contains("Max-Age=0"));
    assert!(b.session().is_none());
    let mut replay = Browser::new(&app);
    replay.cookies.insert("algogate_session".into(), id);
    assert_eq!(replay.get_json("/apikey").await.status, 401);
    assert_eq!(app.state.store().count_sessions().await.unwrap(), 0);
    app.stop().await;
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let at = |c: &mut Config| {
        c.data_dir = dir.path().to_path_buf();
        c.database_url = format!("sqlite://{}/algogate.db", dir.path().display());
    };
    let app = spawn_app_with(Arc::new(SystemClock), at).await;
    let b = logged_in(&app, "alice").await;
    let (id, csrf) = (b.session().unwrap().clone(), b.csrf.clone());
    app.stop().await;

    let app = spawn_app_with(Arc::new(SystemClock), at).await;
    let mut b = Browser::new(&app);
    b.cookies.insert("algogate_session".into(), id);
    b.csrf = csrf;
    assert_eq!(b.get_json("/apikey").await.body["login_username"], "alice");
    assert_eq!(
        b.post("/apikey/mode", &json!({"mode": "semi_auto"}))
            .await
            .status,
        200
    );
    app.stop().await;
}

async fn delete(b: &mut Browser, path: &str) -> crate::browser::Res {
    with_csrf(b, reqwest::Method::DELETE, path, None).await
}

async fn patch(b: &mut Browser, path: &str, body: &Value) -> crate::browser::Res {
    with_csrf(b, reqwest::Method::PATCH, path, Some(body)).await
}

/// A session request with the CSRF header the browser holds (if any).
async fn with_csrf(
    b: &mut Browser,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> crate::browser::Res {
    let mut req = b
        .client
        .request(method, format!("{}{path}", b.base))
        .header("accept", "application/json");
    if let Some(body) = body {
        req = req.json(body);
    }
    if let Some(t) = &b.csrf {
        req = req.header("x-csrftoken", t);
    }
    b.send(req).await
}

#[tokio::test]
async fn a_named_keys_policy_is_edited_from_the_session_routes() {
    let app = spawn_app().await;
    let mut alice = logged_in(&app, "alice").await;
    let mut bob = logged_in(&app, "bob").await;
    let r = alice
        .post(
            "/apikey/keys",
            &json!({"name": "bot", "scopes": ["data"], "symbols": "NSE:SBIN"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    note_secret(&key);
    let order = |symbol: &str, qty: i64, product: &str| {
        json!({"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": symbol,
            "action": "BUY", "quantity": qty, "pricetype": "MARKET", "product": product})
    };
    let place = |body: Value| {
        let app = &app;
        async move { app.post_json("/api/v1/placeorder", &body).await }
    };
    assert_eq!(place(order("SBIN", 1, "MIS")).await.0, 403);

    // An edit changes what it names, and the key's very next request obeys it.
    let r = patch(
        &mut alice,
        "/apikey/keys/bot",
        &json!({"scopes": ["data", "place"], "max_qty": 2, "products": ["MIS"], "name": "x"}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(place(order("SBIN", 1, "MIS")).await.0, 200);
    let limited = |m: &str| (403, json!({"status": "error", "message": m}));
    for (body, want) in [
        (
            order("SBIN", 3, "MIS"),
            "Order quantity exceeds this API key's maximum quantity per order of 2",
        ),
        (
            order("TCS", 1, "MIS"),
            "This API key is not allowed to trade NSE:TCS (allowed symbols limit)",
        ),
        (
            order("SBIN", 1, "CNC"),
            "This API key is not allowed to trade product CNC (allowed products limit)",
        ),
    ] {
        assert_eq!(place(body).await, limited(want));
    }
    let row = &alice.get_json("/apikey/keys").await.body["keys"][0];
    assert_eq!(row["name"], "bot", "the body's name is ignored");
    assert_eq!(row["policy"], "symbols=NSE:SBIN products=MIS max_qty=2");
    // A blank field removes its limit.
    let r = patch(
        &mut alice,
        "/apikey/keys/bot",
        &json!({"symbols": "", "products": []}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(place(order("TCS", 1, "CNC")).await.0, 200);

    // Bad fields name the field and change nothing.
    for (body, want) in [
        (
            json!({"max_qty": 0}),
            "max_qty: must be a positive whole number",
        ),
        (
            json!({"products": ["BO"]}),
            "products: \"BO\" is not a product",
        ),
        (
            json!({"scopes": []}),
            "scopes: at least one scope is required",
        ),
        (json!({"user_id": 2}), "Unknown field: user_id"),
    ] {
        let r = patch(&mut alice, "/apikey/keys/bot", &body).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(
            r.body["message"].as_str().unwrap().starts_with(want),
            "{body}: {:?}",
            r.body
        );
    }
    let row = &alice.get_json("/apikey/keys").await.body["keys"][0];
    assert_eq!(row["policy"], "max_qty=2");
    // Another user's key is not found; without the CSRF token nothing changes.
    let r = patch(&mut bob, "/apikey/keys/bot", &json!({"max_qty": 100})).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    let good = alice.csrf.take();
    assert_eq!(
        patch(&mut alice, "/apikey/keys/bot", &json!({"max_qty": 100}))
            .await
            .status,
        403
    );
    alice.csrf = good;
    assert_eq!(place(order("SBIN", 3, "MIS")).await.0, 403);
    let audit = alice.get_json("/apikey/audit").await.body.to_string();
    assert_eq!(audit.matches("\"updated\"").count(), 2, "{audit}");
    app.stop().await;
}

async fn primary_key(app: &TestApp, user: UserId) -> String {
    let key = app.state.keys().overview(user).await.unwrap().api_key;
    let key = key.unwrap().expose().to_owned();
    note_secret(&key);
    key
}

#[tokio::test]
async fn named_keys_from_the_session_routes_are_the_users_own() {
    let app = spawn_app().await;
    let mut alice = logged_in(&app, "alice").await;
    let mut bob = logged_in(&app, "bob").await;

    // Bad fields are 400s naming the field; nothing is created.
    for (body, want) in [
        (json!({"scopes": ["data"]}), "name: is required"),
        (json!({"name": "has space"}), "name: must be 1 to 64"),
        (
            json!({"name": "k", "scopes": ["trade"]}),
            "scopes: unknown scope \"trade\"",
        ),
        (
            json!({"name": "k", "max_value": -5}),
            "max_value: must be a positive number",
        ),
        (
            json!({"name": "k", "expires": "2000-01-01T00:00:00Z"}),
            "expires: the time is already past",
        ),
        (
            json!({"name": "k", "allow_ips": ["300.1.1.1"]}),
            "allow-ip: \"300.1.1.1\" is not",
        ),
        (json!({"name": "k", "user_id": 2}), "Unknown field: user_id"),
    ] {
        let r = alice.post("/apikey/keys", &body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.body["status"], "error");
        let m = r.body["message"].as_str().unwrap();
        assert!(m.starts_with(want), "{body}: {m}");
    }
    let r = alice.post_raw("/apikey/keys", "[1]".into()).await;
    assert_eq!(r.status, 400);
    assert_eq!(alice.get_json("/apikey/keys").await.body["keys"], json!([]));

    let r = alice
        .post(
            "/apikey/keys",
            &json!({"name": "reader", "scopes": ["data", "account"], "max_qty": 5,
                    "symbols": "NSE:SBIN", "mode": "semi_auto"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    note_secret(&key);
    assert_eq!(app.ping(&key).await.0, 200);
    let dup = alice.post("/apikey/keys", &json!({"name": "reader"})).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["message"], "a key named \"reader\" already exists");

    // The list has the policy and no secret; the primary key's state comes along.
    let list = alice.get_json("/apikey/keys").await;
    assert_eq!(list.status, 200);
    assert!(!list.body.to_string().contains(&key));
    assert_eq!(list.body["primary"]["has_api_key"], true);
    let row = &list.body["keys"][0];
    assert_eq!(
        (&row["name"], &row["scopes"], &row["mode"]),
        (
            &json!("reader"),
            &json!("data,account"),
            &json!("semi_auto")
        )
    );
    assert_eq!(row["policy"], "symbols=NSE:SBIN max_qty=5");
    let secret = alice.get_json("/apikey/keys/reader/secret").await;
    assert_eq!(secret.body["api_key"], key.as_str());

    // Another user sees none of it and cannot touch it.
    assert_eq!(bob.get_json("/apikey/keys").await.body["keys"], json!([]));
    for r in [
        bob.get_json("/apikey/keys/reader/secret").await,
        bob.post("/apikey/keys/reader/rotate", &json!({})).await,
        delete(&mut bob, "/apikey/keys/reader").await,
    ] {
        assert_eq!(r.status, 404, "{:?}", r.body);
        assert_eq!(r.body["message"], "a key named \"reader\" not found");
    }
    assert_eq!(app.ping(&key).await.0, 200);
    assert!(
        !bob.get_json("/apikey/audit")
            .await
            .body
            .to_string()
            .contains("reader")
    );

    // Without the session's CSRF token nothing changes; without a session, 401.
    let good = alice.csrf.take();
    assert_eq!(
        alice
            .post("/apikey/keys", &json!({"name": "x"}))
            .await
            .status,
        403
    );
    assert_eq!(
        alice
            .post("/apikey/keys/reader/rotate", &json!({}))
            .await
            .status,
        403
    );
    assert_eq!(delete(&mut alice, "/apikey/keys/reader").await.status, 403);
    alice.csrf = good;
    let mut anon = Browser::new(&app);
    for path in [
        "/apikey/keys",
        "/apikey/audit",
        "/apikey/keys/reader/secret",
    ] {
        let r = anon.get_json(path).await;
        assert_eq!((r.status, r.body), (401, session_expired()), "{path}");
    }

    // Rotation: a grace period keeps the old secret; its bounds are checked.
    for (grace, want) in [
        (json!(-1), "grace_seconds: must be a whole number"),
        (json!("soon"), "grace_seconds: must be a whole number"),
        (json!(31 * 24 * 3600), "grace: at most 2592000 seconds"),
    ] {
        let r = alice
            .post(
                "/apikey/keys/reader/rotate",
                &json!({"grace_seconds": grace}),
            )
            .await;
        assert_eq!(r.status, 400, "{grace}");
        assert!(
            r.body["message"].as_str().unwrap().starts_with(want),
            "{:?}",
            r.body
        );
    }
    let r = alice
        .post("/apikey/keys/reader/rotate", &json!({"grace_seconds": 600}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let new = r.body["api_key"].as_str().unwrap().to_owned();
    note_secret(&new);
    assert_eq!(app.ping(&new).await.0, 200);
    assert_eq!(
        app.ping(&key).await.0,
        200,
        "the old secret works in its grace period"
    );
    let r = alice.post("/apikey/keys/reader/rotate", &json!({})).await;
    let newest = r.body["api_key"].as_str().unwrap().to_owned();
    note_secret(&newest);
    assert_eq!(app.ping(&key).await.0, 403);
    assert_eq!(app.ping(&new).await.0, 403);
    assert_eq!(app.ping(&newest).await.0, 200);

    // Revocation fails the key's very next request; the primary key is untouched.
    let r = delete(&mut alice, "/apikey/keys/reader").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.ping(&newest).await.0, 403);
    let alice_id = app
        .state
        .store()
        .user_by_username("alice")
        .await
        .unwrap()
        .unwrap()
        .user_id();
    assert_eq!(app.ping(&primary_key(&app, alice_id).await).await.0, 200);

    let audit = alice.get_json("/apikey/audit").await;
    let events: Vec<&str> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        // First use from an IP is written when uses are flushed, whenever that is.
        .filter(|e| *e != "new_ip")
        .collect();
    assert_eq!(events, ["revoked", "rotated", "rotated", "created"]);
    assert!(!audit.body.to_string().contains(&newest));
    app.stop().await;
}

#[tokio::test]
async fn the_account_pages_gtt_routes_list_modify_and_cancel_the_users_own() {
    let app = spawn_app().await;
    let mut alice = logged_in(&app, "alice").await;
    let mut bob = logged_in(&app, "bob").await;
    let alice_id = app
        .state
        .store()
        .user_by_username("alice")
        .await
        .unwrap()
        .unwrap()
        .user_id();
    let key = primary_key(&app, alice_id).await;
    let (s, placed) = app
        .post_json(
            "/api/v1/placegttorder",
            &json!({"apikey": key, "strategy": "web", "trigger_type": "OCO", "exchange": "NSE",
                "symbol": "SBIN", "action": "SELL", "product": "CNC", "quantity": 10,
                "pricetype": "LIMIT", "price": 1.0, "triggerprice_sl": 1.0, "stoploss": 0.95,
                "triggerprice_tg": 100000.0, "target": 100001.0}),
        )
        .await;
    assert_eq!(s, 200, "{placed}");
    let id = placed["trigger_id"].as_str().unwrap().to_owned();

    let book = alice.get_json("/account/api/gtt").await;
    assert_eq!(book.status, 200);
    let g = &book.body["data"][0];
    assert_eq!(g["trigger_id"], id.as_str());
    assert_eq!(g["trigger_prices"], json!([1.0, 100000.0]));
    assert_eq!(
        (&g["legs"][0]["direction"], &g["legs"][1]["direction"]),
        (&json!("below"), &json!("above"))
    );
    assert_eq!(g["legs"][1]["price"], 100001.0);
    assert_eq!(
        bob.get_json("/account/api/gtt").await.body["data"],
        json!([])
    );

    let modify = format!("/account/api/gtt/modify/{id}");
    let cancel = format!("/account/api/gtt/cancel/{id}");
    for (body, want) in [
        (json!({}), "Nothing to modify: give quantity or legs"),
        (
            json!({"quantity": -2}),
            "quantity must be a positive whole number",
        ),
        (
            json!({"legs": [{"trigger_price": 2}]}),
            "legs must be a list of 2 leg(s), as the GTT has",
        ),
        (
            json!({"legs": [{"trigger_price": 200000}, {}]}),
            "The stoploss trigger must be less than the target trigger",
        ),
        (json!({"symbol": "TCS"}), "Unknown field: symbol"),
    ] {
        let r = alice.post(&modify, &body).await;
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (400, Some(want)),
            "{body}"
        );
    }
    let r = alice
        .post("/account/api/gtt/modify/..%2Fx", &json!({"quantity": 1}))
        .await;
    assert_eq!(r.status, 400);
    // Bob's session cannot see, change or cancel Alice's GTT.
    assert_eq!(bob.post(&modify, &json!({"quantity": 1})).await.status, 404);
    assert_eq!(bob.post(&cancel, &json!({})).await.status, 404);
    // CSRF as every state-changing session route.
    let good = alice.csrf.take();
    assert_eq!(
        alice.post(&modify, &json!({"quantity": 1})).await.status,
        403
    );
    assert_eq!(alice.post(&cancel, &json!({})).await.status, 403);
    alice.csrf = good;

    let r = alice
        .post(
            &modify,
            &json!({"quantity": 4, "legs": [{"trigger_price": 2}, {"price": 100002}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["trigger_id"], id.as_str());
    let (_, api_book) = app
        .post_json("/api/v1/gttorderbook", &json!({"apikey": key}))
        .await;
    let g = &api_book["data"][0];
    assert_eq!(g["trigger_prices"], json!([2.0, 100000.0]));
    assert_eq!(g["legs"][0]["quantity"], 4);
    assert_eq!(g["legs"][0]["price"], 0.95);
    assert_eq!(g["legs"][1]["price"], 100002.0);

    let r = alice.post(&cancel, &json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        alice.get_json("/account/api/gtt").await.body["data"],
        json!([])
    );
    assert_eq!(alice.post(&cancel, &json!({})).await.status, 404);
    app.stop().await;
}
