use std::sync::Arc;

use algogate_app::clock::ManualClock;
use algogate_app::ratelimit::RateLimits;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn api_routes_are_limited_per_route_with_429_json_and_retry_after() {
    let clock = Arc::new(ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap()));
    let app = spawn_app_with(clock.clone(), |c| c.rate_limits = RateLimits::default()).await;
    let (_, key) = app.create_user("alice").await;
    for i in 0..50 {
        assert_eq!(app.ping(key.expose()).await.0, 200, "request {i}");
    }
    let res = app
        .client
        .post(format!("{}/api/v1/ping", app.base))
        .json(&json!({"apikey": key.expose()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(body["retry_after"], 1);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("50 per 1 second")
    );
    // Another route has its own counter; a refused request never reached the handler.
    let (status, _) = app.post_json("/api/v1/nope", &json!({})).await;
    assert_eq!(status, 404);
    // A second later (moving window), the route accepts again.
    clock.advance_ms(1000);
    assert_eq!(app.ping(key.expose()).await.0, 200);
}

#[tokio::test]
async fn order_routes_default_to_ten_per_second() {
    let clock = Arc::new(ManualClock::new("2026-03-02T06:00:00Z".parse().unwrap()));
    let app = spawn_app_with(clock.clone(), |c| c.rate_limits = RateLimits::default()).await;
    // Whatever the handler answers (it may not exist yet), the limiter counts the route.
    for _ in 0..10 {
        let (status, _) = app.post_json("/api/v1/placeorder", &json!({})).await;
        assert_ne!(status, 429);
    }
    assert_eq!(app.post_json("/api/v1/placeorder", &json!({})).await.0, 429);
    assert_ne!(
        app.post_json("/api/v1/placesmartorder", &json!({})).await.0,
        429
    );
}
