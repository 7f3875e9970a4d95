use std::sync::Arc;

use algogate_app::clock::{Clock, ManualClock};
use algogate_app::security::{Security, SecurityConfig};
use serde_json::json;

use crate::helpers::*;

async fn ping_from(app: &TestApp, ip: &str, key: &str) -> (u16, String) {
    let res = app
        .client
        .post(format!("{}/api/v1/ping", app.base))
        .header("x-forwarded-for", ip)
        .json(&json!({ "apikey": key }))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn banning(c: &mut algogate_server::config::Config) {
    c.security = SecurityConfig {
        auto_ban_enabled: true,
        api_threshold: 3,
        api_ban_duration_hours: 1,
        repeat_offender_limit: 2,
    };
    c.trust_proxy_headers = true;
}

#[tokio::test]
async fn repeated_invalid_keys_ban_an_ip_until_the_ban_expires_then_repeat_offenders_for_good() {
    let clock = Arc::new(ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap()));
    let app = spawn_app_with(clock.clone(), banning).await;
    let (_, key) = app.create_user("alice").await;
    let bad = ["1".repeat(64), "2".repeat(64), "short".to_string()];
    // The same wrong key repeated counts once.
    for _ in 0..5 {
        assert_eq!(ping_from(&app, "203.0.113.7", &bad[0]).await.0, 403);
    }
    assert_eq!(ping_from(&app, "203.0.113.7", key.expose()).await.0, 200);
    assert_eq!(ping_from(&app, "203.0.113.7", &bad[1]).await.0, 403);
    assert_eq!(ping_from(&app, "203.0.113.7", &bad[2]).await.0, 403); // third distinct: ban
    let (status, body) = ping_from(&app, "203.0.113.7", key.expose()).await;
    assert_eq!(
        (status, body.as_str()),
        (403, "Access Denied: Your IP has been banned")
    );
    let res = app
        .client
        .get(format!("{}/health", app.base))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "every path is refused");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    // Other clients are unaffected.
    assert_eq!(ping_from(&app, "198.51.100.1", key.expose()).await.0, 200);
    // The ban survives a restart of the security layer (it lives in the database).
    let reloaded = Security::new(
        app.state.config().security.clone(),
        true,
        app.state.store().clone(),
        clock.now_ms(),
    )
    .await
    .unwrap();
    assert!(reloaded.is_banned("203.0.113.7".parse().unwrap(), clock.now_ms()));

    clock.advance_ms(3_600_001);
    assert_eq!(
        ping_from(&app, "203.0.113.7", key.expose()).await.0,
        200,
        "ban expired"
    );
    for b in &bad {
        ping_from(&app, "203.0.113.7", b).await;
    }
    clock.advance_ms(100 * 3_600_000);
    assert_eq!(
        ping_from(&app, "203.0.113.7", key.expose()).await.0,
        403,
        "a second ban is permanent (repeat offender)"
    );
    assert!(
        app.state
            .security()
            .unban("203.0.113.7".parse().unwrap())
            .await
            .unwrap()
    );
    assert_eq!(ping_from(&app, "203.0.113.7", key.expose()).await.0, 200);
}

#[tokio::test]
async fn loopback_is_never_banned_and_auto_ban_is_off_by_default() {
    let app = spawn_app_with(
        Arc::new(ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap())),
        banning,
    )
    .await;
    let (_, key) = app.create_user("alice").await;
    for i in 0..5u8 {
        assert_eq!(app.ping(&format!("{i}").repeat(64)).await.0, 403);
    }
    assert_eq!(
        app.ping(key.expose()).await.0,
        200,
        "127.0.0.1 is never banned"
    );
    assert!(
        app.state
            .security()
            .ban("127.0.0.1".parse().unwrap(), "x", None, "manual", 0)
            .await
            .is_err()
    );

    let app = spawn_app().await;
    let (_, key) = app.create_user("bob").await;
    for i in 0..5u8 {
        assert_eq!(
            ping_from(&app, "203.0.113.9", &format!("{i}").repeat(64))
                .await
                .0,
            403
        );
    }
    assert_eq!(ping_from(&app, "203.0.113.9", key.expose()).await.0, 200);
    // Without trusted proxy headers, the header is ignored: the peer is loopback.
    let now = app.state.clock().now_ms();
    assert!(app.state.security().attempts(now).await.unwrap().is_empty());
}
