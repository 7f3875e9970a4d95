//! Named API keys: scopes on every `/api/v1` route and WebSocket action, the primary key
//! unchanged, no side effect on a refusal, and the CLI against a running server.

use algogate_app::keypolicy::KeyPolicy;
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
        "placeorder" | "placesmartorder" | "basketorder" | "splitorder" => Scope::Place,
        "modifyorder" => Scope::Modify,
        "cancelorder" | "cancelallorder" => Scope::Cancel,
        "closeposition" => Scope::Close,
        "orderstatus" | "openposition" | "margin" | "funds" | "orderbook" | "tradebook"
        | "positionbook" | "holdings" | "analyzer" | "analyzer/toggle" | "pnl/symbols" => {
            Scope::Account
        }
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
