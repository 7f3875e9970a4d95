//! The standing abuse suite: each test reproduces an attack a hostile test run found and
//! asserts the fixed behaviour (wide and deep bodies, concurrent logins, bad framing,
//! unbounded strings). Figures for the wide body under load are in docs/PERFORMANCE.md
//! (`loadgen --suite abuse`); nothing here is timed.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;
use crate::webui::{Browser, PASSWORD, create_account};

fn wide_body(keys: usize) -> String {
    let mut s = String::from("{");
    for i in 0..keys {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"k{i:06}\":1"));
    }
    s.push('}');
    s
}

#[tokio::test]
async fn a_body_wider_than_any_client_sends_is_refused_with_a_short_400() {
    let app = spawn_app().await;
    // 80,000 unknown keys (about 880 KB, under the 1 MiB limit), no key.
    let body = wide_body(80_000);
    assert!(body.len() < 1024 * 1024);
    let (status, answer) = app.post_raw("/api/v1/ping", "application/json", body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"status": "error", "message": "Request body has an object with more than 1000 keys."})
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_fields_are_listed_up_to_twenty_then_counted() {
    let app = spawn_app().await;
    let (status, answer) = app
        .post_raw("/api/v1/ping", "application/json", wide_body(500))
        .await;
    assert_eq!(status, 400);
    let errors = answer["message"].as_object().expect("style D errors");
    // apikey missing, 20 unknown fields by name, the other 480 counted.
    assert_eq!(errors.len(), 22, "{errors:?}");
    assert_eq!(
        errors["apikey"],
        json!(["Missing data for required field."])
    );
    assert_eq!(errors["k000000"], json!(["Unknown field."]));
    assert_eq!(errors["k000019"], json!(["Unknown field."]));
    assert!(!errors.contains_key("k000020"));
    assert_eq!(
        errors["_schema"],
        json!(["480 more unknown fields are not listed."])
    );
    // Style S endpoints say the same in the Python repr.
    let (_, key) = app.create_user("wide").await;
    let mut order = json!({"apikey": key.expose(), "strategy": "t", "exchange": "NSE",
        "symbol": "SBIN", "action": "BUY", "quantity": 1});
    for i in 0..25 {
        order[format!("x{i:02}")] = json!(1);
    }
    let (status, answer) = app.post_json("/api/v1/placeorder", &order).await;
    assert_eq!(status, 400);
    let m = answer["message"].as_str().unwrap();
    assert!(m.contains("'x19': ['Unknown field.']"), "{m}");
    assert!(!m.contains("'x20'"), "{m}");
    assert!(
        m.ends_with("'_schema': ['5 more unknown fields are not listed.']}"),
        "{m}"
    );
    app.stop().await;
}

#[tokio::test]
async fn deep_and_long_bodies_are_refused_by_name() {
    let app = spawn_app().await;
    let deep = format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000));
    let (status, answer) = app.post_raw("/api/v1/ping", "application/json", deep).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Request body is nested too deeply: at most 32 levels of objects and arrays."
    );
    let long = format!(
        "{{\"apikey\":\"k\",\"symbols\":[{}]}}",
        vec!["1"; 20_000].join(",")
    );
    let (status, answer) = app
        .post_raw("/api/v1/multiquotes", "application/json", long)
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Request body has an array with more than 10000 elements."
    );
    app.stop().await;
}

#[tokio::test]
async fn strings_without_an_openalgo_bound_have_ours() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("longstr").await;
    let order = json!({"apikey": key.expose(), "strategy": "s".repeat(1_000_000),
        "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1});
    let (status, answer) = app.post_json("/api/v1/placeorder", &order).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "{'strategy': ['Longer than maximum length 255.']}"
    );
    // Nothing was stored.
    let (_, book) = app
        .post_json("/api/v1/orderbook", &json!({"apikey": key.expose()}))
        .await;
    assert_eq!(book["data"]["orders"], json!([]), "{book}");
    // 255 characters is still fine.
    let mut ok = order.clone();
    ok["strategy"] = json!("s".repeat(255));
    let (status, answer) = app.post_json("/api/v1/placeorder", &ok).await;
    assert_eq!(status, 200, "{answer}");
    app.stop().await;
}

/// Sends `request` on a fresh connection and returns the status line's code.
async fn raw_status(app: &TestApp, request: &[u8]) -> u16 {
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Until the status line is complete; bounded by time and size.
    let read = async {
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 65536 {
            let n = s.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("an answer");
    let line = String::from_utf8_lossy(&buf);
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {line:?}"))
}

#[tokio::test]
async fn broken_framing_is_a_400_and_only_a_big_body_a_413() {
    let app = spawn_app().await;
    let bad_chunk = b"POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
        Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    assert_eq!(raw_status(&app, bad_chunk).await, 400);
    let big = format!(
        "POST /api/v1/ping HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    assert_eq!(raw_status(&app, big.as_bytes()).await, 413);
    app.stop().await;
}

#[tokio::test]
async fn a_hundred_concurrent_logins_get_at_most_five_password_checks() {
    let app = spawn_app().await;
    create_account(&app, "victim").await;
    // One pre-login CSRF token (cookie and header) shared by every attempt.
    let mut b = Browser::new(&app);
    let csrf = b.fetch_csrf().await;
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let runs_before = app.argon2_runs();
    let client = reqwest::Client::new();
    let attempts: Vec<_> = (0..100)
        .map(|i| {
            let password = if i == 99 {
                PASSWORD.to_string()
            } else {
                format!("Wrong-password-{i}")
            };
            let req = client
                .post(format!("{}/auth/login", app.base))
                .header("content-type", "application/json")
                .header("x-csrftoken", &csrf)
                .header("cookie", &cookie)
                .body(json!({"username": "victim", "password": password}).to_string());
            tokio::spawn(async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                (i, status, body)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for a in attempts {
        outcomes.push(a.await.unwrap());
    }
    let checked: Vec<_> = outcomes.iter().filter(|(_, s, _)| *s != 429).collect();
    assert!(
        checked.len() <= 5,
        "{} attempts were checked",
        checked.len()
    );
    assert!(
        app.argon2_runs() - runs_before <= 5,
        "{} password checks ran",
        app.argon2_runs() - runs_before
    );
    let right = outcomes.iter().find(|(i, _, _)| *i == 99).unwrap();
    if right.1 == 429 {
        assert!(
            right.2["message"]
                .as_str()
                .unwrap()
                .starts_with("Too many failed login attempts."),
            "{:?}",
            right.2
        );
    } else {
        // It was among the checked ones: then it succeeded, and it alone.
        assert_eq!(right.1, 200, "{:?}", right.2);
    }
    assert!(
        outcomes
            .iter()
            .all(|(i, s, _)| *s == 429 || *s == 401 || (*i == 99 && *s == 200)),
        "{outcomes:?}"
    );
    app.stop().await;
}
