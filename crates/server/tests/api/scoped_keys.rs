//! Named API keys: scopes on every `/api/v1` route and WebSocket action, the primary key
//! unchanged, no side effect on a refusal, and the CLI against a running server.

use algogate_app::keypolicy::{KeyPolicy, PolicyInput};
use algogate_broker::engine::Product;
use algogate_keys::{Scope, Scopes};
use algogate_store::UserId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::header_key::{Form, cases, send};
use crate::helpers::*;

/// The scope each route needs (`None`: any valid key).
fn need(route: &str) -> Option<Scope> {
    let name = route.trim_start_matches("/api/v1/");
    Some(match name {
        "ping" => return None,
        "placeorder" | "placesmartorder" | "basketorder" | "splitorder" | "placegttorder"
        | "optionsorder" | "optionsmultiorder" => Scope::Place,
        "modifyorder" | "modifygttorder" => Scope::Modify,
        "cancelorder" | "cancelallorder" | "cancelgttorder" => Scope::Cancel,
        "closeposition" => Scope::Close,
        "orderstatus" | "openposition" | "margin" | "funds" | "orderbook" | "tradebook"
        | "positionbook" | "holdings" | "analyzer" | "analyzer/toggle" | "pnl/symbols"
        | "chart" | "gttorderbook" => Scope::Account,
        _ => Scope::Data,
    })
}

pub async fn named_key(app: &TestApp, user: UserId, name: &str, policy: KeyPolicy) -> String {
    let (key, _) = app
        .state
        .keys()
        .create_named(user, name, policy, None)
        .await
        .unwrap();
    note_secret(key.expose());
    key.expose().to_owned()
}

fn scoped(scopes: &[Scope]) -> KeyPolicy {
    KeyPolicy {
        scopes: scopes.iter().copied().collect(),
        ..KeyPolicy::default()
    }
}

pub fn lacks(scope: Scope) -> Value {
    json!({"status": "error", "message": format!("This API key lacks the '{scope}' scope")})
}

#[tokio::test]
async fn each_scope_allows_exactly_its_routes() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("scopes").await;
    let cases = cases();
    let routes = algogate_server::api_v1::paths();
    let mut keys = Vec::new();
    for scope in Scope::ALL {
        keys.push((
            scope,
            named_key(&app, user, scope.as_str(), scoped(&[scope])).await,
        ));
    }
    let all = named_key(&app, user, "all", KeyPolicy::default()).await;
    for route in &routes {
        let Some(case) = cases.get(route.trim_end_matches('/')).or(cases.get(route)) else {
            panic!("no case for {route}");
        };
        // The malformed-ticker route is a 400 before any key is looked at.
        if route.ends_with("/ticker/") {
            continue;
        }
        let needed = need(route);
        for (scope, key) in &keys {
            let (status, body) = send(&app, case, Form::Body, key).await;
            if needed.is_none_or(|n| n == *scope) {
                assert_ne!(body, lacks(*scope), "{route} with {scope}");
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{route} with {scope}: {body}"
                );
            } else {
                let n = needed.unwrap();
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{route} with {scope}: {body}"
                );
                assert_eq!(body, lacks(n), "{route} with {scope}");
            }
        }
        // Every scope, and the primary key: never refused for a scope.
        for key in [all.as_str(), primary.expose()] {
            let (status, body) = send(&app, case, Form::XApiKey, key).await;
            assert_ne!(status, StatusCode::FORBIDDEN, "{route}: {body}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_refused_order_places_nothing() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("noside").await;
    let data = named_key(&app, user, "reader", scoped(&[Scope::Data, Scope::Account])).await;
    let order = json!({"apikey": data, "strategy": "t", "exchange": "NSE", "symbol": "SBIN",
        "action": "BUY", "quantity": "1", "pricetype": "MARKET", "product": "MIS"});
    let (status, body) = app.post_json("/api/v1/placeorder", &order).await;
    assert_eq!((status, body), (403, lacks(Scope::Place)));
    let (status, body) = app
        .post_json("/api/v1/orderbook", &json!({"apikey": primary.expose()}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["orders"], json!([]), "{body}");
    // The same key reads the book: account is in its scopes.
    let (status, _) = app
        .post_json("/api/v1/orderbook", &json!({"apikey": data}))
        .await;
    assert_eq!(status, 200);
    // The refusal is in the user's audit log, naming the rule.
    let log = app.state.store().audit_log(user, 10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.event == "denied" && e.key_name == "reader" && e.detail.contains("'place'")),
        "{log:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn named_keys_verify_in_one_lookup_and_unknown_keys_cost_no_argon2() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("o1").await;
    let key = named_key(&app, user, "bot", KeyPolicy::default()).await;
    let (before_runs, before_lookups) = (app.argon2_runs(), app.db_lookups());
    assert_eq!(app.ping(&key).await, (200, pong()));
    assert_eq!(app.db_lookups() - before_lookups, 1);
    assert_eq!(app.argon2_runs() - before_runs, 1);
    // Cached: no more lookups or Argon2.
    for _ in 0..5 {
        assert_eq!(app.ping(&key).await, (200, pong()));
    }
    assert_eq!(app.db_lookups() - before_lookups, 1);
    assert_eq!(app.argon2_runs() - before_runs, 1);
    let runs = app.argon2_runs();
    assert_eq!(app.ping(&"ab".repeat(32)).await, (403, invalid_key()));
    assert_eq!(app.argon2_runs(), runs);
    // The primary key is untouched.
    assert_eq!(app.ping(primary.expose()).await, (200, pong()));
    let stored = app
        .state
        .store()
        .named_key(user, "bot")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.policy.scopes, Scopes::ALL.to_list());
    app.stop().await;
}

fn order(key: &str, symbol: &str, qty: &str) -> Value {
    json!({"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": symbol,
        "action": "BUY", "quantity": qty, "pricetype": "MARKET", "product": "MIS"})
}

fn refused(message: &str) -> (u16, Value) {
    (403, json!({"status": "error", "message": message}))
}

async fn order_count(app: &TestApp, primary: &str) -> usize {
    let (_, book) = app
        .post_json("/api/v1/orderbook", &json!({"apikey": primary}))
        .await;
    book["data"]["orders"].as_array().unwrap().len()
}

#[tokio::test]
async fn each_limit_refuses_with_its_message_and_places_nothing() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("limits").await;
    let primary = primary.expose();
    let key = named_key(
        &app,
        user,
        "bot",
        KeyPolicy {
            symbols: KeyPolicy::parse_symbols("NSE:SBIN,NFO:*").unwrap(),
            max_qty: Some(10),
            max_value: Some(1_000_000.0),
            max_orders_per_day: Some(2),
            ..KeyPolicy::default()
        },
    )
    .await;
    let sym = "This API key is not allowed to trade NSE:TCS (allowed symbols limit)";
    assert_eq!(
        app.post_json("/api/v1/placeorder", &order(&key, "TCS", "1"))
            .await,
        refused(sym)
    );
    let qty = "Order quantity exceeds this API key's maximum quantity per order of 10";
    assert_eq!(
        app.post_json("/api/v1/placeorder", &order(&key, "SBIN", "11"))
            .await,
        refused(qty)
    );
    // A split is measured whole; a basket leg by leg.
    let mut split = order(&key, "SBIN", "20");
    split["splitsize"] = json!("5");
    assert_eq!(
        app.post_json("/api/v1/splitorder", &split).await,
        refused(qty)
    );
    let mut leg = order(&key, "TCS", "1");
    leg.as_object_mut().unwrap().remove("apikey");
    leg.as_object_mut().unwrap().remove("strategy");
    let basket = json!({"apikey": key, "strategy": "t", "orders": [leg]});
    assert_eq!(
        app.post_json("/api/v1/basketorder", &basket).await,
        refused(sym)
    );
    let mut smart = order(&key, "TCS", "1");
    smart["position_size"] = json!("1");
    assert_eq!(
        app.post_json("/api/v1/placesmartorder", &smart).await,
        refused(sym)
    );
    let gtt = json!({"apikey": key, "strategy": "dip", "trigger_type": "SINGLE",
        "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "product": "CNC",
        "quantity": 50, "pricetype": "LIMIT", "price": 1.0, "triggerprice_sl": 1.0,
        "triggerprice_tg": 0});
    assert_eq!(
        app.post_json("/api/v1/placegttorder", &gtt).await,
        refused(qty)
    );
    let (_, book) = app
        .post_json("/api/v1/gttorderbook", &json!({"apikey": primary}))
        .await;
    assert_eq!(book["data"].as_array().map_or(0, Vec::len), 0, "{book}");
    assert_eq!(order_count(&app, primary).await, 0);

    // Two orders a day; refusals above counted nothing.
    for _ in 0..2 {
        let (status, body) = app
            .post_json("/api/v1/placeorder", &order(&key, "SBIN", "1"))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        app.post_json("/api/v1/placeorder", &order(&key, "SBIN", "1"))
            .await,
        refused("This API key has reached its maximum of 2 orders per day")
    );
    assert_eq!(order_count(&app, primary).await, 2);
    // The primary key has no limits.
    let (status, _) = app
        .post_json("/api/v1/placeorder", &order(primary, "TCS", "100"))
        .await;
    assert_eq!(status, 200);
    let log = app.state.store().audit_log(user, 50).await.unwrap();
    let denied = log.iter().filter(|e| e.event == "denied").count();
    assert_eq!(denied, 7, "{log:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_product_limit_applies_to_every_order_path() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("products").await;
    let primary = primary.expose();
    let policy = PolicyInput {
        products: Some(" mis ,MIS".into()),
        ..PolicyInput::default()
    }
    .apply(KeyPolicy::default())
    .unwrap();
    assert_eq!(policy.products, Some(vec![Product::Mis]));
    let key = named_key(&app, user, "intraday", policy).await;
    // A resting CNC order of the primary key, for the modify case.
    let mut resting = order(primary, "SBIN", "1");
    resting["product"] = json!("CNC");
    resting["pricetype"] = json!("LIMIT");
    resting["price"] = json!("1");
    let (status, body) = app.post_json("/api/v1/placeorder", &resting).await;
    assert_eq!(status, 200, "{body}");
    let resting_id = body["orderid"].clone();

    let cnc = || {
        let mut o = order(&key, "SBIN", "1");
        o["product"] = json!("CNC");
        o
    };
    let mut smart = cnc();
    smart["position_size"] = json!("1");
    let mut split = cnc();
    split["splitsize"] = json!("1");
    let mut leg = cnc();
    leg.as_object_mut().unwrap().remove("apikey");
    leg.as_object_mut().unwrap().remove("strategy");
    let basket = json!({"apikey": key, "strategy": "t", "orders": [leg]});
    // GTTs take CNC or NRML, options orders MIS or NRML.
    let gtt = json!({"apikey": key, "strategy": "t", "trigger_type": "SINGLE",
        "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "product": "CNC",
        "quantity": 1, "pricetype": "LIMIT", "price": 1.0, "triggerprice_sl": 1.05});
    let options = json!({"apikey": key, "strategy": "t", "underlying": "NIFTY",
        "exchange": "NSE_INDEX", "expiry_date": "30DEC25", "offset": "ATM",
        "option_type": "CE", "action": "BUY", "quantity": 75, "product": "NRML"});
    let modify = json!({"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": "SBIN",
        "orderid": resting_id, "action": "BUY", "product": "CNC", "pricetype": "LIMIT",
        "price": "2", "quantity": "1", "disclosed_quantity": "0", "trigger_price": "0"});
    for (route, body, product) in [
        ("placeorder", cnc(), "CNC"),
        ("placesmartorder", smart, "CNC"),
        ("splitorder", split, "CNC"),
        ("basketorder", basket, "CNC"),
        ("placegttorder", gtt, "CNC"),
        ("optionsorder", options, "NRML"),
        ("modifyorder", modify, "CNC"),
    ] {
        let denied = refused(&format!(
            "This API key is not allowed to trade product {product} (allowed products limit)"
        ));
        let got = app.post_json(&format!("/api/v1/{route}"), &body).await;
        assert_eq!(got, denied, "{route}");
    }
    // Nothing was placed, queued or changed by the refusals.
    assert_eq!(order_count(&app, primary).await, 1);
    let (_, book) = app
        .post_json("/api/v1/gttorderbook", &json!({"apikey": primary}))
        .await;
    assert_eq!(book["data"].as_array().map_or(0, Vec::len), 0, "{book}");
    let (_, st) = app
        .post_json(
            "/api/v1/orderstatus",
            &json!({"apikey": primary, "strategy": "t", "orderid": resting_id}),
        )
        .await;
    assert_eq!(st["data"]["price"], json!(1.0), "{st}");
    // The allowed product passes.
    let (status, body) = app
        .post_json("/api/v1/placeorder", &order(&key, "SBIN", "1"))
        .await;
    assert_eq!(status, 200, "{body}");
    let log = app.state.store().audit_log(user, 50).await.unwrap();
    let denied = log
        .iter()
        .filter(|e| e.event == "denied" && e.detail.contains("allowed products"))
        .count();
    assert_eq!(denied, 7, "{log:?}");
    // A bad product is refused with the field.
    let bad = PolicyInput {
        products: Some("MIS,BO".into()),
        ..PolicyInput::default()
    }
    .apply(KeyPolicy::default())
    .unwrap_err();
    assert_eq!(
        bad.to_string(),
        "products: \"BO\" is not a product (MIS, CNC or NRML)"
    );
    app.stop().await;
}

#[tokio::test]
async fn max_value_prices_market_orders_at_the_ltp_and_limits_modify() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("value").await;
    let (_, q) = app
        .post_json(
            "/api/v1/quotes",
            &json!({"apikey": primary.expose(), "symbol": "SBIN", "exchange": "NSE"}),
        )
        .await;
    let ltp = q["data"]["ltp"].as_f64().unwrap();
    assert!(ltp > 0.0);
    // Room for 2 shares at the LTP (with a margin for ticks), not for 4.
    let key = named_key(
        &app,
        user,
        "v",
        KeyPolicy {
            max_value: Some(ltp * 2.5),
            ..KeyPolicy::default()
        },
    )
    .await;
    let msg = format!(
        "Order value exceeds this API key's maximum order value of {}",
        ltp * 2.5
    );
    assert_eq!(
        app.post_json("/api/v1/placeorder", &order(&key, "SBIN", "4"))
            .await,
        refused(&msg)
    );
    assert_eq!(order_count(&app, primary.expose()).await, 0);
    // A LIMIT order far below the market rests; raising it past the value is refused.
    let mut limit = order(&key, "SBIN", "1");
    limit["pricetype"] = json!("LIMIT");
    limit["price"] = json!((ltp * 0.5).floor().to_string());
    let (status, body) = app.post_json("/api/v1/placeorder", &limit).await;
    assert_eq!(status, 200, "{body}");
    let id = body["orderid"].as_str().unwrap().to_owned();
    let modify = json!({"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": "SBIN",
        "orderid": id, "action": "BUY", "product": "MIS", "pricetype": "LIMIT",
        "price": (ltp * 0.5).floor().to_string(), "quantity": "10",
        "disclosed_quantity": "0", "trigger_price": "0"});
    assert_eq!(
        app.post_json("/api/v1/modifyorder", &modify).await,
        refused(&msg)
    );
    let (_, st) = app
        .post_json(
            "/api/v1/orderstatus",
            &json!({"apikey": primary.expose(), "strategy": "t", "orderid": id}),
        )
        .await;
    assert_eq!(st["data"]["quantity"], json!(1), "{st}");
    app.stop().await;
}

#[tokio::test]
async fn a_semi_auto_key_queues_and_the_action_center_names_it() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("semi").await;
    let (key, _) = app
        .state
        .keys()
        .create_named(
            user,
            "alerts",
            KeyPolicy::default(),
            Some(algogate_store::OrderMode::SemiAuto),
        )
        .await
        .unwrap();
    note_secret(key.expose());
    let (status, body) = app
        .post_json("/api/v1/placeorder", &order(key.expose(), "SBIN", "1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert!(
        body.get("pending_order_id").is_some()
            || body["message"].as_str().unwrap_or("").contains("queued"),
        "{body}"
    );
    assert_eq!(order_count(&app, primary.expose()).await, 0);
    let rows = app
        .state
        .store()
        .pending_rows(user, Some("pending"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key_name.as_deref(), Some("alerts"));
    // The primary key keeps the user's mode (auto).
    let (status, body) = app
        .post_json("/api/v1/placeorder", &order(primary.expose(), "SBIN", "1"))
        .await;
    assert_eq!(status, 200);
    assert!(body.get("orderid").is_some(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn ip_allowlist_guards_order_changes_or_everything() {
    for trust in [false, true] {
        let app = spawn_app_with(std::sync::Arc::new(algogate_app::clock::SystemClock), |c| {
            c.trust_proxy_headers = trust;
        })
        .await;
        let (user, _) = app.create_user("ips").await;
        let ips = |list: &[&str], all: bool| KeyPolicy {
            allow_ips: KeyPolicy::parse_ips(list.iter().copied()).unwrap(),
            ip_all_requests: all,
            ..KeyPolicy::default()
        };
        let office = named_key(&app, user, "office", ips(&["10.0.0.0/8"], false)).await;
        let strict = named_key(&app, user, "strict", ips(&["10.0.0.0/8"], true)).await;
        let local = named_key(&app, user, "local", ips(&["127.0.0.1"], false)).await;
        let post = |key: String, path: &'static str, body: Value, fwd: Option<&'static str>| {
            let app = &app;
            async move {
                let mut body = body;
                body["apikey"] = json!(key);
                let mut r = app.client.post(format!("{}{path}", app.base)).json(&body);
                if let Some(f) = fwd {
                    r = r.header("X-Forwarded-For", f);
                }
                let res = r.send().await.unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            }
        };
        let ip_msg = "This API key does not allow requests from this IP address (IP allowlist)";
        let buy = order("", "SBIN", "1");
        let quote = json!({"symbol": "SBIN", "exchange": "NSE"});
        // From 127.0.0.1 (or a forwarded 10.x when trusted).
        assert_eq!(
            post(office.clone(), "/api/v1/placeorder", buy.clone(), None).await,
            refused(ip_msg)
        );
        assert_eq!(
            post(office.clone(), "/api/v1/quotes", quote.clone(), None)
                .await
                .0,
            200
        );
        assert_eq!(
            post(strict.clone(), "/api/v1/quotes", quote.clone(), None).await,
            refused(ip_msg)
        );
        assert_eq!(
            post(local.clone(), "/api/v1/placeorder", buy.clone(), None)
                .await
                .0,
            200
        );
        let fwd = post(
            office.clone(),
            "/api/v1/placeorder",
            buy.clone(),
            Some("10.1.2.3"),
        )
        .await;
        if trust {
            assert_eq!(fwd.0, 200, "{fwd:?}");
        } else {
            assert_eq!(fwd, refused(ip_msg));
        }
        let fwd = post(
            local.clone(),
            "/api/v1/placeorder",
            buy.clone(),
            Some("10.1.2.3"),
        )
        .await;
        assert_eq!(fwd.0 == 200, !trust, "{fwd:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn expiry_and_revocation_end_a_key_at_once() {
    let t0 = chrono::Utc::now();
    let clock = std::sync::Arc::new(algogate_app::clock::ManualClock::new(t0));
    let app = spawn_app_with(clock.clone(), |_| {}).await;
    let (user, primary) = app.create_user("ends").await;
    let expiring = named_key(
        &app,
        user,
        "temp",
        KeyPolicy {
            expires_at: Some(t0 + chrono::Duration::seconds(60)),
            ..KeyPolicy::default()
        },
    )
    .await;
    let doomed = named_key(&app, user, "doomed", KeyPolicy::default()).await;
    assert_eq!(app.ping(&expiring).await, (200, pong()));
    assert_eq!(app.ping(&doomed).await, (200, pong()));
    clock.advance_ms(61_000);
    assert_eq!(app.ping(&expiring).await, (403, invalid_key()));
    app.state.keys().revoke_named(user, "doomed").await.unwrap();
    assert_eq!(app.ping(&doomed).await, (403, invalid_key()));
    assert_eq!(app.ping(primary.expose()).await, (200, pong()));
    let events: Vec<_> = app
        .state
        .store()
        .audit_log(user, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.key_name, e.event))
        .collect();
    for want in [
        ("temp", "expired"),
        ("doomed", "revoked"),
        ("doomed", "created"),
    ] {
        assert!(
            events.iter().any(|(k, e)| k == want.0 && e == want.1),
            "{want:?} in {events:?}"
        );
    }
    assert!(app.state.keys().revoke_named(user, "doomed").await.is_err());
    app.stop().await;
}

#[tokio::test]
async fn rotation_with_grace_under_concurrent_clients() {
    let t0 = chrono::Utc::now();
    let clock = std::sync::Arc::new(algogate_app::clock::ManualClock::new(t0));
    let app = spawn_app_with(clock.clone(), |_| {}).await;
    let (user, _) = app.create_user("rotor").await;
    let old = named_key(&app, user, "r", KeyPolicy::default()).await;
    assert_eq!(app.ping(&old).await, (200, pong()));
    let new = app
        .state
        .keys()
        .rotate_named(user, "r", std::time::Duration::from_secs(30))
        .await
        .unwrap();
    note_secret(new.expose());
    let new = new.expose().to_owned();
    let burst = |key: String| {
        let app = &app;
        async move {
            let pings = (0..16).map(|_| app.ping(&key));
            futures_util::future::join_all(pings)
                .await
                .into_iter()
                .filter(|(s, _)| *s == 200)
                .count()
        }
    };
    assert_eq!(burst(new.clone()).await, 16);
    assert_eq!(
        burst(old.clone()).await,
        16,
        "old key works during the grace period"
    );
    clock.advance_ms(30_001);
    assert_eq!(
        burst(old.clone()).await,
        0,
        "0 successes after the deadline"
    );
    assert_eq!(burst(new.clone()).await, 16);
    // Rotating without grace ends the current secret at once.
    let newer = app
        .state
        .keys()
        .rotate_named(user, "r", std::time::Duration::ZERO)
        .await
        .unwrap();
    note_secret(newer.expose());
    assert_eq!(burst(new).await, 0);
    assert_eq!(app.ping(newer.expose()).await, (200, pong()));
    app.stop().await;
}

#[tokio::test]
async fn last_use_is_written_in_batches_and_a_new_ip_is_audited_once() {
    let app = spawn_app().await;
    let (user, _) = app.create_user("usage").await;
    let key = named_key(&app, user, "u", KeyPolicy::default()).await;
    let before = app
        .state
        .store()
        .named_key(user, "u")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.last_used_at, None);
    for _ in 0..50 {
        assert_eq!(app.ping(&key).await, (200, pong()));
    }
    // 50 requests from one address are at most one pending write.
    let flushed = app.state.keys().flush_uses().await.unwrap();
    assert!(flushed <= 1, "{flushed}");
    let after = app
        .state
        .store()
        .named_key(user, "u")
        .await
        .unwrap()
        .unwrap();
    assert!(after.last_used_at.is_some());
    assert_eq!(after.last_ip.as_deref(), Some("127.0.0.1"));
    for _ in 0..5 {
        app.ping(&key).await;
    }
    app.state.keys().flush_uses().await.unwrap();
    let log = app.state.store().audit_log(user, 50).await.unwrap();
    let new_ip: Vec<_> = log.iter().filter(|e| e.event == "new_ip").collect();
    assert_eq!(new_ip.len(), 1, "{log:?}");
    assert_eq!(new_ip[0].detail, "127.0.0.1");
    app.stop().await;
}

#[tokio::test]
async fn bad_policies_are_refused_with_the_field() {
    let app = spawn_app().await;
    let (user, _) = app.create_user("bad").await;
    let keys = app.state.keys();
    for (name, policy, want) in [
        ("", KeyPolicy::default(), "name"),
        ("has space", KeyPolicy::default(), "name"),
        (
            "q",
            KeyPolicy {
                max_qty: Some(0),
                ..KeyPolicy::default()
            },
            "max-qty",
        ),
        (
            "v",
            KeyPolicy {
                max_value: Some(f64::NAN),
                ..KeyPolicy::default()
            },
            "max-value",
        ),
        (
            "e",
            KeyPolicy {
                expires_at: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
                ..KeyPolicy::default()
            },
            "expires",
        ),
    ] {
        let e = keys
            .create_named(user, name, policy, None)
            .await
            .unwrap_err();
        assert!(e.to_string().starts_with(want), "{name}: {e}");
    }
    named_key(&app, user, "dup", KeyPolicy::default()).await;
    let e = keys
        .create_named(user, "dup", KeyPolicy::default(), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    app.stop().await;
}

/// Waits (at most 10 s) until `key` answers ping with `want`.
async fn ping_until(base: &str, key: &str, want: u16) {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = client
            .post(format!("{base}/api/v1/ping"))
            .json(&json!({ "apikey": key }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ping stayed {status}, wanted {want}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn last_line_key(out: &str) -> String {
    let key = out.lines().last().unwrap_or_default().trim().to_owned();
    assert!(
        key.len() == 64
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "the last stdout line is a key: {out:?}"
    );
    note_secret(&key);
    key
}

#[tokio::test]
async fn the_apikey_cli_works_against_a_running_server() {
    use crate::binary::{cmd, create_admin, run, serve, sigterm_and_wait, wait_for_addr};
    let dir = tempfile::tempdir().unwrap();
    let (mut server, out) = serve(&mut cmd(dir.path()));
    let base = wait_for_addr(&out).await;
    let primary = create_admin(dir.path(), "cli-scoped-password-1f9a");
    let d = dir.path();

    let (ok, stdout, err) = run(
        d,
        &[
            "apikey",
            "create",
            "--user",
            "admin",
            "--name",
            "reader",
            "--scopes",
            "data,account",
            "--mode",
            "semi_auto",
            "--allow-ip",
            "127.0.0.1",
            "--allow-ip",
            "10.0.0.0/8",
            "--symbols",
            "NSE:SBIN",
            "--max-qty",
            "5",
            "--max-value",
            "50000",
            "--max-orders-per-day",
            "3",
            "--expires",
            "2099-01-01T00:00:00Z",
        ],
        None,
    );
    assert!(ok, "{err}");
    let reader = last_line_key(&stdout);
    ping_until(&base, &reader, 200).await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/v1/placeorder"))
        .json(&order(&reader, "SBIN", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(res.json::<Value>().await.unwrap(), lacks(Scope::Place));

    let (ok, stdout, err) = run(d, &["apikey", "list", "--user", "admin"], None);
    assert!(ok, "{err}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("reader"))
        .unwrap_or_else(|| panic!("{stdout}"));
    for part in [
        "data,account",
        "semi_auto",
        "symbols=NSE:SBIN",
        "max_qty=5",
        "max_orders_per_day=3",
        "2099-01-01",
    ] {
        assert!(row.contains(part), "{part} in {row}");
    }
    assert!(
        !stdout.contains(&reader) && !stdout.contains(&primary),
        "no secrets in the list"
    );

    // Rotation without grace reaches the server within a second or so.
    let (ok, stdout, err) = run(
        d,
        &["apikey", "rotate", "--user", "admin", "--name", "reader"],
        None,
    );
    assert!(ok, "{err}");
    let rotated = last_line_key(&stdout);
    ping_until(&base, &reader, 403).await;
    ping_until(&base, &rotated, 200).await;

    let (ok, _, err) = run(
        d,
        &["apikey", "revoke", "--user", "admin", "--name", "reader"],
        None,
    );
    assert!(ok, "{err}");
    ping_until(&base, &rotated, 403).await;
    ping_until(&base, &primary, 200).await;

    // Bad input names the flag; nothing is created.
    for (args, want) in [
        (vec!["--scopes", "data,trade"], "--scopes"),
        (vec!["--mode", "manual"], "--mode"),
        (vec!["--allow-ip", "10.0.0.0/99"], "allow-ip"),
        (vec!["--symbols", "SBIN"], "symbols"),
        (vec!["--expires", "tomorrow"], "expires"),
        (vec!["--max-qty", "0"], "max-qty"),
    ] {
        let mut full = vec!["apikey", "create", "--user", "admin", "--name", "bad"];
        full.extend(args);
        let (ok, stdout, err) = run(d, &full, None);
        assert!(!ok && stdout.is_empty(), "{full:?}: {stdout}");
        assert!(err.contains(want), "{want} in {err}");
    }
    let (_, stdout, _) = run(
        d,
        &["apikey", "revoke", "--user", "admin", "--name", "bad"],
        None,
    );
    assert!(stdout.is_empty());
    sigterm_and_wait(&mut server);
    let log = out.lock().unwrap().clone();
    for secret in [&primary, &reader, &rotated] {
        assert!(
            !log.contains(secret.as_str()),
            "a key appeared in the server output"
        );
    }
}

#[tokio::test]
async fn gtt_and_options_orders_obey_the_keys_limits() {
    let app = spawn_app().await;
    let (user, primary) = app.create_user("gttlimits").await;
    let primary = primary.expose();
    let key = named_key(
        &app,
        user,
        "gtt-bot",
        KeyPolicy {
            symbols: KeyPolicy::parse_symbols("NSE:SBIN").unwrap(),
            max_qty: Some(10),
            ..KeyPolicy::default()
        },
    )
    .await;
    let gtt = |symbol: &str, qty: i64| {
        json!({"apikey": key, "strategy": "t", "trigger_type": "SINGLE", "exchange": "NSE",
            "symbol": symbol, "action": "BUY", "product": "CNC", "quantity": qty,
            "pricetype": "LIMIT", "price": 1.0, "triggerprice_sl": 1.05})
    };
    let qty = "Order quantity exceeds this API key's maximum quantity per order of 10";
    assert_eq!(
        app.post_json("/api/v1/placegttorder", &gtt("SBIN", 11))
            .await,
        refused(qty)
    );
    assert_eq!(
        app.post_json("/api/v1/placegttorder", &gtt("TCS", 1)).await,
        refused("This API key is not allowed to trade NSE:TCS (allowed symbols limit)")
    );
    let (status, placed) = app
        .post_json("/api/v1/placegttorder", &gtt("SBIN", 5))
        .await;
    assert_eq!(status, 200, "{placed}");
    // A modification is measured as the GTT it becomes.
    let mut modify = gtt("SBIN", 50);
    modify["trigger_id"] = placed["trigger_id"].clone();
    assert_eq!(
        app.post_json("/api/v1/modifygttorder", &modify).await,
        refused(qty)
    );
    let (_, book) = app
        .post_json("/api/v1/gttorderbook", &json!({"apikey": primary}))
        .await;
    let book = book["data"].as_array().unwrap();
    assert_eq!(book.len(), 1, "{book:?}");
    assert_eq!(book[0]["legs"][0]["quantity"], json!(5), "{book:?}");
    // An options order's contract is chosen at execution, outside a symbol list: refused.
    let (status, body) = app
        .post_json(
            "/api/v1/optionsorder",
            &json!({"apikey": key, "strategy": "t", "underlying": "NIFTY",
                "exchange": "NSE_INDEX", "expiry_date": "30DEC25", "offset": "ATM",
                "option_type": "CE", "action": "BUY", "quantity": 1}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(order_count(&app, primary).await, 0);
    app.stop().await;
}

/// POSTs a placeorder until its answer is `want` (the CLI's change reaches the running
/// server through the database within a second or so).
async fn place_until(base: &str, body: &Value, want: &(u16, Value)) {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let res = client
            .post(format!("{base}/api/v1/placeorder"))
            .json(body)
            .send()
            .await
            .unwrap();
        let got = (res.status().as_u16(), res.json::<Value>().await.unwrap());
        if &got == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "placeorder stayed {got:?}, wanted {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_apikey_cli_updates_a_keys_limits_on_a_running_server() {
    use crate::binary::{cmd, create_admin, run, serve, sigterm_and_wait, wait_for_addr};
    let dir = tempfile::tempdir().unwrap();
    let (mut server, out) = serve(&mut cmd(dir.path()));
    let base = wait_for_addr(&out).await;
    let primary = create_admin(dir.path(), "cli-update-password-3c2b");
    let d = dir.path();
    let (ok, stdout, err) = run(
        d,
        &[
            "apikey",
            "create",
            "--user",
            "admin",
            "--name",
            "bot",
            "--symbols",
            "NSE:SBIN",
            "--max-qty",
            "5",
            "--max-orders-per-day",
            "7",
        ],
        None,
    );
    assert!(ok, "{err}");
    let key = last_line_key(&stdout);
    let qty = |n: i64| {
        refused(&format!(
            "Order quantity exceeds this API key's maximum quantity per order of {n}"
        ))
    };
    place_until(&base, &order(&key, "SBIN", "6"), &qty(5)).await;

    // Only the flags given change; the row printed shows the new policy, no secret.
    let (ok, stdout, err) = run(
        d,
        &[
            "apikey",
            "update",
            "--user",
            "admin",
            "--name",
            "bot",
            "--max-qty",
            "3",
        ],
        None,
    );
    assert!(ok, "{err}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("bot"))
        .unwrap_or_else(|| panic!("{stdout}"));
    for part in ["symbols=NSE:SBIN", "max_qty=3", "max_orders_per_day=7"] {
        assert!(row.contains(part), "{part} in {row}");
    }
    assert!(!stdout.contains(&key) && !stdout.contains(&primary));
    place_until(&base, &order(&key, "SBIN", "4"), &qty(3)).await;
    let symbols = refused("This API key is not allowed to trade NSE:TCS (allowed symbols limit)");
    place_until(&base, &order(&key, "TCS", "4"), &symbols).await;

    // --clear removes a limit; the key keeps its secret.
    let (ok, stdout, err) = run(
        d,
        &[
            "apikey", "update", "--user", "admin", "--name", "bot", "--clear", "symbols",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(!stdout.contains("symbols="), "{stdout}");
    place_until(&base, &order(&key, "TCS", "4"), &qty(3)).await;

    // Bad input names the flag and changes nothing; an unknown key is an error.
    for (args, want) in [
        (vec!["--name", "bot", "--max-qty", "0"], "max-qty"),
        (vec!["--name", "bot", "--clear", "colour"], "--clear"),
        (vec!["--name", "bot", "--scopes", "trade"], "--scopes"),
        (
            vec!["--name", "bot", "--expires", "2000-01-01T00:00:00Z"],
            "expires",
        ),
        (vec!["--name", "nosuch", "--max-qty", "2"], "nosuch"),
    ] {
        let mut full = vec!["apikey", "update", "--user", "admin"];
        full.extend(args);
        let (ok, stdout, err) = run(d, &full, None);
        assert!(!ok && stdout.is_empty(), "{full:?}: {stdout}");
        assert!(err.contains(want), "{want} in {err}");
    }
    place_until(&base, &order(&key, "TCS", "4"), &qty(3)).await;
    let (ok, stdout, _) = run(d, &["apikey", "list", "--user", "admin"], None);
    assert!(ok && stdout.contains("max_qty=3"), "{stdout}");

    sigterm_and_wait(&mut server);
    let log = out.lock().unwrap().clone();
    assert!(!log.contains(&key) && !log.contains(&primary));
}
