use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_returns_ok() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn ping_with_a_valid_key_returns_pong_with_and_without_trailing_slash() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    assert_eq!(app.ping(key.expose()).await, (200, pong()));
    let res = app
        .post_json("/api/v1/ping/", &json!({"apikey": key.expose()}))
        .await;
    assert_eq!(res, (200, pong()));
}

#[tokio::test]
async fn ping_accepts_any_content_type_whose_body_is_a_json_object() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("tv").await;
    let body = format!("{{\"apikey\":\"{}\"}}", key.expose());
    assert_eq!(
        app.post_raw("/api/v1/ping", "text/plain", body.clone())
            .await,
        (200, pong())
    );
    assert_eq!(
        app.post_raw("/api/v1/ping", "application/x-www-form-urlencoded", body)
            .await,
        (200, pong())
    );
}

#[tokio::test]
async fn ping_returns_403_for_an_unknown_key_without_any_argon2_work() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let before = app.argon2_runs();
    let unknown = "f".repeat(64);
    assert_eq!(app.ping(&unknown).await, (403, invalid_key()));
    assert_eq!(app.db_lookups(), 1);
    // The second time the negative cache answers: no database either.
    assert_eq!(app.ping(&unknown).await, (403, invalid_key()));
    assert_eq!(app.db_lookups(), 1);
    assert_eq!(
        app.argon2_runs(),
        before,
        "unknown keys must cost no Argon2"
    );
    // A wrong key looks exactly like an unknown one.
    let mut wrong = key.expose().to_string();
    wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
    assert_eq!(app.ping(&wrong).await, (403, invalid_key()));
}

#[tokio::test]
async fn malformed_keys_never_reach_the_database() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let cases = [
        "x".to_string(),
        "a".repeat(63),
        "a".repeat(65),
        "A".repeat(64),
        "g".repeat(64),
        format!("{} ", "a".repeat(63)),
        "é".repeat(32),
        "a".repeat(256),
    ];
    for k in &cases {
        assert_eq!(app.ping(k).await, (403, invalid_key()), "{k:?}");
    }
    assert_eq!(app.db_lookups(), 0);
}

#[tokio::test]
async fn ping_validation_errors_match_openalgo() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let msg = |v: serde_json::Value| json!({"status": "error", "message": v});
    let cases = vec![
        (
            json!({}),
            msg(json!({"apikey": ["Missing data for required field."]})),
        ),
        (
            json!({"apikey": ""}),
            msg(json!({"apikey": ["Length must be between 1 and 256."]})),
        ),
        (
            json!({"apikey": 123}),
            msg(json!({"apikey": ["Not a valid string."]})),
        ),
        (
            json!({"apikey": null}),
            msg(json!({"apikey": ["Field may not be null."]})),
        ),
        (
            json!({"apikey": "a".repeat(257)}),
            msg(json!({"apikey": ["Length must be between 1 and 256."]})),
        ),
        (
            json!({"apikey": key.expose(), "extra": 1}),
            msg(json!({"extra": ["Unknown field."]})),
        ),
        (json!([]), msg(json!({"_schema": ["Invalid input type."]}))),
        (
            json!(null),
            msg(json!({"_schema": ["Invalid input type."]})),
        ),
        (
            json!("apikey"),
            msg(json!({"_schema": ["Invalid input type."]})),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            app.post_json("/api/v1/ping", &body).await,
            (400, expected),
            "{body}"
        );
    }
    // Not JSON at all, or empty: 400 with a message, never a 500.
    for raw in [
        "{",
        "apikey=abc",
        "",
        "   ",
        "\u{0}\u{1}",
        "{\"apikey\": \"\\ud800\"}",
    ] {
        let (status, body) = app
            .post_raw("/api/v1/ping", "application/json", raw.to_string())
            .await;
        assert_eq!(status, 400, "{raw:?} -> {body}");
        assert_eq!(body["status"], "error");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Request body"),
            "{body}"
        );
    }
    assert_eq!(app.db_lookups(), 0, "validation runs before authentication");
}

#[tokio::test]
async fn oversized_bodies_get_413_json() {
    let app = spawn_app().await;
    let big = format!("{{\"apikey\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let (status, body) = app.post_raw("/api/v1/ping", "application/json", big).await;
    assert_eq!(status, 413);
    assert_eq!(body["status"], "error");
    assert!(body["message"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = spawn_app().await;
    let (status, body) = app.post_json("/api/v1/nope", &json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"status": "error", "message": "Not found", "path": "/api/v1/nope"})
    );
    let res = app
        .client
        .get(format!("{}/api/v1/ping", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "error");
}
