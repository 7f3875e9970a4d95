//! The API key in a header (`X-API-KEY`, `Authorization: Bearer`) instead of the body or
//! query string: every `/api/v1` route (the list comes from the router's own tables), the
//! conflicts, the edge cases of the headers, and CORS left as it was.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// How a request carries the key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Form {
    Body,
    XApiKey,
    Bearer,
    /// The same key in the body (or query) and in `X-API-KEY`.
    BodyAndHeader,
}

/// A request for every route: (method, path, fields without the key).
pub(crate) fn cases() -> BTreeMap<String, (reqwest::Method, String, Value)> {
    let mut cases: BTreeMap<String, (reqwest::Method, String, Value)> = crate::sweep::endpoints()
        .into_iter()
        .map(|(name, body)| {
            let path = format!("/api/v1/{name}");
            (path.clone(), (reqwest::Method::POST, path, body))
        })
        .collect();
    let get = |route: &str, path: &str, query: Value| {
        (
            route.to_owned(),
            (reqwest::Method::GET, path.to_owned(), query),
        )
    };
    let order = json!({"exchange": "NSE", "symbol": "SBIN", "action": "BUY",
        "quantity": "1", "pricetype": "MARKET", "product": "MIS"});
    for (route, case) in [
        (
            "/api/v1/basketorder".to_owned(),
            (
                reqwest::Method::POST,
                "/api/v1/basketorder".to_owned(),
                json!({"strategy": "s", "orders": [order]}),
            ),
        ),
        get(
            "/api/v1/instruments",
            "/api/v1/instruments",
            json!({"exchange": "NSE"}),
        ),
        get(
            "/api/v1/ticker/{ticker}",
            "/api/v1/ticker/NSE:SBIN",
            json!({"interval": "D", "from": "2026-01-01", "to": "2026-01-10"}),
        ),
        // Always the malformed-ticker 400, whatever the key.
        get(
            "/api/v1/ticker/",
            "/api/v1/ticker/",
            json!({"interval": "D"}),
        ),
    ] {
        cases.insert(route, case);
    }
    cases
}

pub(crate) async fn send(
    app: &TestApp,
    (method, path, fields): &(reqwest::Method, String, Value),
    form: Form,
    key: &str,
) -> (StatusCode, Value) {
    let mut fields = fields.clone();
    if matches!(form, Form::Body | Form::BodyAndHeader) {
        fields["apikey"] = json!(key);
    }
    let mut req = app
        .client
        .request(method.clone(), format!("{}{path}", app.base));
    req = match form {
        Form::Body => req,
        Form::XApiKey | Form::BodyAndHeader => req.header("X-API-KEY", key),
        Form::Bearer => req.bearer_auth(key),
    };
    req = if *method == reqwest::Method::GET {
        let query: Vec<(String, String)> = fields
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        req.query(&query)
    } else {
        req.json(&fields)
    };
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// What must agree between two forms: the status, `status`, and an error's message (a
/// success carries fresh order ids and the like).
fn outcome((status, body): &(StatusCode, Value)) -> (StatusCode, Value, Value) {
    let message = if body["status"] == "success" {
        Value::Null
    } else {
        body["message"].clone()
    };
    (*status, body["status"].clone(), message)
}

#[tokio::test]
async fn every_route_takes_the_key_from_either_header_as_from_the_body() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("header").await;
    let key = key.expose().to_owned();
    let (_, other) = app.create_user("someone-else").await;
    let other = other.expose().to_owned();
    let cases = cases();
    let routes = algogate_server::api_v1::paths();
    assert!(routes.len() >= 30, "{routes:?}");
    for route in &routes {
        let case = cases
            .get(route)
            .unwrap_or_else(|| panic!("no request for the route {route}: add one"));
        let body = send(&app, case, Form::Body, &key).await;
        let without_symbol = route == "/api/v1/ticker/";
        // Order ids in the requests do not exist (404), the rest succeeds; the greeks'
        // contract is outside the chain (a 400 from its quote, after the key was checked).
        let after_auth: &[StatusCode] = if route == "/api/v1/optiongreeks" {
            &[StatusCode::BAD_REQUEST]
        } else {
            &[StatusCode::OK, StatusCode::NOT_FOUND]
        };
        if !without_symbol {
            assert!(after_auth.contains(&body.0), "{route}: {}", body.1);
        }
        for form in [Form::XApiKey, Form::Bearer, Form::BodyAndHeader] {
            let got = send(&app, case, form, &key).await;
            assert_eq!(outcome(&got), outcome(&body), "{route} {form:?}: {}", got.1);
        }
        if without_symbol {
            continue;
        }
        // The header is what authenticates: another user's key is that user, a wrong one
        // is OpenAlgo's 403.
        for form in [Form::XApiKey, Form::Bearer] {
            let got = send(&app, case, form, &"0".repeat(64)).await;
            assert_eq!(
                got,
                (StatusCode::FORBIDDEN, invalid_key()),
                "{route} {form:?}"
            );
            let got = send(&app, case, form, &other).await;
            assert_ne!(got.0, StatusCode::FORBIDDEN, "{route} {form:?}: {}", got.1);
        }
        // A different key in the body (or query string) and the header: refused, and
        // neither key is checked.
        let (method, path, fields) = case;
        let mut fields = fields.clone();
        fields["apikey"] = json!(other);
        let conflict = (method.clone(), path.clone(), fields);
        let runs = app.argon2_runs();
        let (status, res) = send(&app, &conflict, Form::XApiKey, &key).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{route}: {res}");
        let field = if *method == reqwest::Method::GET {
            "query parameter"
        } else {
            "field"
        };
        assert_eq!(
            res,
            json!({"status": "error", "message": format!(
                "The X-API-KEY header and the apikey {field} carry different API keys; send the key once."
            )}),
            "{route}"
        );
        assert_eq!(app.argon2_runs(), runs);
    }
    app.stop().await;
}

async fn ping_with(app: &TestApp, headers: &[(&str, &[u8])], body: Value) -> (u16, Value) {
    let mut req = app.client.post(format!("{}/api/v1/ping", app.base));
    for (name, value) in headers {
        req = req.header(
            *name,
            reqwest::header::HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let res = req.json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn bad(message: &str) -> (u16, Value) {
    (400, json!({"status": "error", "message": message}))
}

#[tokio::test]
async fn header_edge_cases_have_clear_answers() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("edges").await;
    let key = key.expose();
    let bearer = format!("Bearer {key}");
    let ok = (200, pong());
    let none = json!({});

    // The scheme is case-insensitive; extra spaces around the token are fine.
    for auth in [
        format!("bearer {key}"),
        format!("BEARER   {key}"),
        bearer.clone(),
    ] {
        assert_eq!(
            ping_with(&app, &[("authorization", auth.as_bytes())], none.clone()).await,
            ok
        );
    }
    // Both headers with one key, or one header repeated with it.
    assert_eq!(
        ping_with(
            &app,
            &[
                ("x-api-key", key.as_bytes()),
                ("authorization", bearer.as_bytes())
            ],
            none.clone()
        )
        .await,
        ok
    );
    assert_eq!(
        ping_with(
            &app,
            &[("x-api-key", key.as_bytes()), ("x-api-key", key.as_bytes())],
            none.clone()
        )
        .await,
        ok
    );
    // Different keys in the two headers, or in two lines of one.
    let wrong = "f".repeat(64);
    let wrong_bearer = format!("Bearer {wrong}");
    assert_eq!(
        ping_with(
            &app,
            &[
                ("x-api-key", key.as_bytes()),
                ("authorization", wrong_bearer.as_bytes())
            ],
            none.clone()
        )
        .await,
        bad(
            "The X-API-KEY header and the Authorization: Bearer header carry different API keys; send the key once."
        )
    );
    assert_eq!(
        ping_with(
            &app,
            &[
                ("x-api-key", key.as_bytes()),
                ("x-api-key", wrong.as_bytes())
            ],
            none.clone()
        )
        .await,
        bad("Two X-API-KEY headers carry different API keys; send the key once.")
    );
    // Empty, or not a key at all.
    assert_eq!(
        ping_with(&app, &[("x-api-key", b"")], none.clone()).await,
        bad("The X-API-KEY header is empty: it must carry the API key.")
    );
    for empty in [&b"Bearer"[..], b"Bearer    "] {
        assert_eq!(
            ping_with(&app, &[("authorization", empty)], json!({"apikey": key})).await,
            bad("The Authorization: Bearer header is empty: it must carry the API key.")
        );
    }
    for value in [&b"two words"[..], b"caf\xc3\xa9", b"\xff\xfe"] {
        assert_eq!(
            ping_with(&app, &[("x-api-key", value)], none.clone()).await,
            bad("The X-API-KEY header must be one API key: visible ASCII characters, no spaces.")
        );
    }
    // Other schemes (a proxy's Basic credentials) are not ours: ignored.
    let basic: &[u8] = b"Basic dXNlcjpwYXNz";
    assert_eq!(
        ping_with(&app, &[("authorization", basic)], json!({"apikey": key})).await,
        ok
    );
    assert_eq!(
        ping_with(&app, &[("authorization", basic)], none.clone()).await,
        (
            400,
            json!({"status": "error", "message": {"apikey": ["Missing data for required field."]}})
        )
    );
    // A non-string apikey beside a header is a conflict too.
    assert_eq!(
        ping_with(&app, &[("x-api-key", key.as_bytes())], json!({"apikey": 7})).await,
        bad(
            "The X-API-KEY header and the apikey field carry different API keys; send the key once."
        )
    );
    // The header counts as the apikey field: the schema's checks and order are OpenAlgo's.
    let long = "a".repeat(300);
    assert_eq!(
        ping_with(&app, &[("x-api-key", long.as_bytes())], none.clone()).await,
        (
            400,
            json!({"status": "error", "message": {"apikey": ["Length must be between 1 and 256."]}})
        )
    );
    let res = app
        .client
        .post(format!("{}/api/v1/placeorder", app.base))
        .header("x-api-key", &wrong)
        .json(
            &json!({"strategy": "s", "exchange": "NSE", "action": "BUY", "quantity": "1",
            "pricetype": "MARKET", "product": "MIS"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a bad body is a 400 even with a bad key");
    let body: Value = res.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("'symbol'") && !message.contains("apikey"),
        "{message}"
    );
    // A body that is not an object gets the schema's answer, as without a header.
    let res = app
        .client
        .post(format!("{}/api/v1/ping", app.base))
        .header("x-api-key", key)
        .json(&json!([1]))
        .send()
        .await
        .unwrap();
    let with_header: Value = res.json().await.unwrap();
    assert_eq!(
        app.post_json("/api/v1/ping", &json!([1])).await,
        (400, with_header)
    );
    // The key never appears in an answer.
    for (_, body) in [
        ping_with(
            &app,
            &[("x-api-key", wrong.as_bytes())],
            json!({"apikey": key}),
        )
        .await,
        ping_with(&app, &[("x-api-key", wrong.as_bytes())], none.clone()).await,
    ] {
        assert!(!body.to_string().contains(key) && !body.to_string().contains(&wrong));
    }
    app.stop().await;
}

#[tokio::test]
async fn cors_is_unchanged_no_other_origin_may_send_the_key_header() {
    let app = spawn_app().await;
    let res = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/ping", app.base),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key, authorization")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()
            .keys()
            .all(|h| !h.as_str().starts_with("access-control-")),
        "{:?}",
        res.headers()
    );
    app.stop().await;
}
