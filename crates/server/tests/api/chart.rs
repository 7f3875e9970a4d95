//! `/api/v1/chart`: preferences per user in the database, GET and POST merge, every check
//! of the reference in its order, value types, and the per-user totals.

use serde_json::{Map, Value, json};

use crate::helpers::*;

async fn get(app: &TestApp, query: &str) -> (u16, Value) {
    let r = app
        .client
        .get(format!("{}/api/v1/chart{query}", app.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn post(app: &TestApp, body: &Value) -> (u16, Value) {
    app.post_json("/api/v1/chart", body).await
}

fn updated() -> Value {
    json!({"status": "success", "message": "Preferences updated successfully"})
}

fn msg(m: &str) -> Value {
    json!({"status": "error", "message": m})
}

#[tokio::test]
async fn preferences_merge_per_user_and_round_trip() {
    let app = spawn_app().await;
    let (_, a) = app.create_user("alice").await;
    let (_, b) = app.create_user("bob").await;
    let (a, b) = (a.expose().to_string(), b.expose().to_string());

    assert_eq!(
        get(&app, &format!("?apikey={a}")).await,
        (200, json!({"status": "success", "data": {}}))
    );
    let layout = r#"{"timeframe":"1D"}"#;
    let (s, r) = post(
        &app,
        &json!({"apikey": a, "tv_theme": "dark", "tv_chart_layout": layout}),
    )
    .await;
    assert_eq!((s, r), (200, updated()));
    // A second POST merges: one key replaced, one added, the rest kept.
    let (s, _) = post(
        &app,
        &json!({"apikey": a, "tv_theme": "light", "n": 5, "f": 2.5, "on": true, "gone": null,
            "obj": {"a": [1, 2]}, "list": [1, "x"]}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, r) = get(&app, &format!("?apikey={a}&extra=ignored")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["data"],
        json!({"tv_theme": "light", "tv_chart_layout": layout, "n": "5", "f": "2.5",
            "on": "true", "gone": null, "obj": r#"{"a":[1,2]}"#, "list": r#"[1,"x"]"#})
    );
    // Another user sees only their own.
    assert_eq!(
        get(&app, &format!("?apikey={b}")).await.1["data"],
        json!({})
    );
    // The key may come in a header.
    let r = app
        .client
        .get(format!("{}/api/v1/chart", app.base))
        .header("X-API-KEY", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["tv_theme"], "light");
}

#[tokio::test]
async fn get_checks_the_key() {
    let app = spawn_app().await;
    assert_eq!(get(&app, "").await, (400, msg("Missing apikey parameter")));
    assert_eq!(
        get(&app, "?apikey=").await,
        (400, msg("Missing apikey parameter"))
    );
    assert_eq!(get(&app, "?apikey=nope").await, (403, invalid_key()));
}

#[tokio::test]
async fn post_checks_in_the_reference_order() {
    let app = spawn_app_with(std::sync::Arc::new(algogate_app::clock::SystemClock), |c| {
        c.body_limit_bytes = 4 * 1024 * 1024;
    })
    .await;
    let (_, key) = app.create_user("carol").await;
    let key = key.expose().to_string();

    for body in [
        json!({}),
        json!(null),
        json!([]),
        json!(""),
        json!(0),
        json!(false),
    ] {
        assert_eq!(
            post(&app, &body).await,
            (400, msg("No data provided")),
            "{body}"
        );
    }
    let (s, r) = post(&app, &json!([1])).await;
    assert_eq!(
        (s, r["message"].clone()),
        (400, json!({"_schema": ["Invalid input type."]}))
    );
    let (s, r) = post(&app, &json!({"tv_theme": "dark"})).await;
    assert_eq!(
        (s, r["message"].clone()),
        (400, json!({"apikey": ["Missing data for required field."]}))
    );
    let (s, r) = post(&app, &json!({"apikey": 5, "tv_theme": "dark"})).await;
    assert_eq!(
        (s, r["message"].clone()),
        (400, json!({"apikey": ["Not a valid string."]}))
    );
    let (s, r) = post(&app, &json!({"apikey": "", "x": 1})).await;
    assert_eq!(
        (s, r["message"].clone()),
        (
            400,
            json!({"apikey": ["Length must be between 1 and 256."]})
        )
    );

    // Counts, key length and value size come before the key check: a bad key still gets them.
    let mut many = Map::new();
    many.insert("apikey".into(), json!("wrong"));
    for i in 0..51 {
        many.insert(format!("k{i}"), json!(i));
    }
    assert_eq!(
        post(&app, &Value::Object(many)).await,
        (400, msg("Too many preference keys (max 50)"))
    );
    let long = "abcdefghijklmnopqrstuvwxyz".repeat(2);
    assert_eq!(
        post(&app, &json!({"apikey": "wrong", long.clone(): 1})).await,
        (
            400,
            msg("Preference key too long: abcdefghijklmnopqrst... (max 50 chars)")
        )
    );
    // 50 characters is allowed.
    let (s, _) = post(&app, &json!({"apikey": key, &long[..50]: 1})).await;
    assert_eq!(s, 200);
    // json.dumps of the value: the quotes count, so 1,048,574 characters fit and 1,048,575 do not.
    let fits = "x".repeat(1_048_574);
    let (s, r) = post(&app, &json!({"apikey": key, "big": fits})).await;
    assert_eq!(s, 200, "{r}");
    let over = "x".repeat(1_048_575);
    assert_eq!(
        post(&app, &json!({"apikey": "wrong", "big": over})).await,
        (
            400,
            msg("Preference value too large for key: big (max 1MB)")
        )
    );
    // Non-ASCII counts as its \u escape.
    let wide = "é".repeat(174_763);
    assert_eq!(
        post(&app, &json!({"apikey": key, "wide": wide})).await.0,
        400
    );
    assert_eq!(
        post(&app, &json!({"apikey": "wrong"})).await,
        (400, msg("No preferences provided to update"))
    );
    assert_eq!(
        post(&app, &json!({"apikey": "wrong", "a": 1})).await,
        (403, invalid_key())
    );
}

#[tokio::test]
async fn a_user_keeps_at_most_two_hundred_keys() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("dave").await;
    let key = key.expose().to_string();
    let batch = |from: usize| {
        let mut m = Map::new();
        m.insert("apikey".into(), json!(key));
        for i in from..from + 50 {
            m.insert(format!("k{i}"), json!("v"));
        }
        Value::Object(m)
    };
    for n in 0..4 {
        assert_eq!(post(&app, &batch(n * 50)).await, (200, updated()));
    }
    // Rewriting stored keys is fine; a 201st key refuses the whole batch.
    assert_eq!(post(&app, &batch(150)).await.0, 200);
    assert_eq!(
        post(&app, &batch(175)).await,
        (
            400,
            msg("Too many preference keys stored (max 200 per user)")
        )
    );
    let (_, r) = get(&app, &format!("?apikey={key}")).await;
    let data = r["data"].as_object().unwrap();
    assert_eq!(data.len(), 200);
    assert!(!data.contains_key("k200"));
}
