//! The API Playground's routes: session protection, the key route, the endpoint list
//! (shape, order, blanked keys), the collections, the WebSocket URL, and reloading the
//! collection when its files change (a broken file is skipped, the rest stays).

use std::sync::Arc;

use algogate_app::accounts::{self, NewAccount};
use algogate_app::clock::SystemClock;
use algogate_keys::Password;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::*;

const PASSWORD: &str = "Playground-pass-42";

/// Logs in through the real routes and keeps the session cookie.
struct Session {
    base: String,
    client: reqwest::Client,
    cookie: String,
}

struct Res {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: String, cookie: &str, accept: &str) -> Res {
    let mut req = client.get(url).header("accept", accept);
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    let res = req.send().await.unwrap();
    Res {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        text: res.text().await.unwrap(),
    }
}

fn cookies_of(headers: &reqwest::header::HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

impl Session {
    async fn login(app: &TestApp, name: &str) -> (Self, String) {
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
        let client = client();
        let r = get(
            &client,
            format!("{}/auth/csrf-token", app.base),
            "",
            "application/json",
        )
        .await;
        let token = r.json()["csrf_token"].as_str().unwrap().to_owned();
        let pre = cookies_of(&r.headers).join("; ");
        let res = client
            .post(format!("{}/auth/login", app.base))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("x-csrftoken", token)
            .header("cookie", pre)
            .body(json!({"username": name, "password": PASSWORD}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = cookies_of(res.headers())
            .into_iter()
            .find(|c| c.starts_with("algogate_session="))
            .unwrap();
        let s = Self {
            base: app.base.clone(),
            client,
            cookie,
        };
        let key = s.json("/apikey").await["api_key"]
            .as_str()
            .unwrap()
            .to_owned();
        note_secret(&key);
        (s, key)
    }

    async fn get(&self, path: &str, accept: &str) -> Res {
        get(
            &self.client,
            format!("{}{path}", self.base),
            &self.cookie,
            accept,
        )
        .await
    }

    async fn json(&self, path: &str) -> Value {
        let r = self.get(path, "application/json").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.json()
    }
}

#[tokio::test]
async fn every_route_needs_a_session() {
    let app = spawn_app().await;
    let c = client();
    let anon =
        |path: &str, accept: &'static str| get(&c, format!("{}{path}", app.base), "", accept);

    let r = anon("/playground", "text/html").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/login?next=/playground");
    let r = anon("/playground/", "text/html").await;
    assert_eq!(r.headers["location"], "/playground");

    // OpenAlgo's body for the key route.
    let r = anon("/playground/api-key", "application/json").await;
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": "Not authenticated"}))
    );
    let r = anon("/playground/api-key", "text/html").await;
    assert_eq!(r.status, 401);

    for path in [
        "/playground/endpoints",
        "/playground/collections",
        "/playground/collections?format=postman",
        "/playground/websocket",
    ] {
        let r = anon(path, "application/json").await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.json()["error"], "session_expired", "{path}");
    }
    // A made-up session cookie is no session.
    let r = get(
        &c,
        format!("{}/playground/api-key", app.base),
        "algogate_session=forged",
        "application/json",
    )
    .await;
    assert_eq!(r.status, 401);
    app.stop().await;
}

#[tokio::test]
async fn the_page_and_the_key_route() {
    let app = spawn_app().await;
    let (s, key) = Session::login(&app, "alice").await;
    assert_eq!(key.len(), 64);

    let page = s.get("/playground", "text/html").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("/static/js/pages/playground.js"));
    assert!(page.text.contains("href=\"/playground\""));
    assert!(
        !page.text.contains(&key),
        "the key must never be in the HTML"
    );
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(page.headers["cache-control"], "no-store");

    assert_eq!(
        s.json("/playground/api-key").await,
        json!({ "api_key": key })
    );
    // The key is the one that works on the API.
    assert_eq!(app.ping(&key).await, (200, pong()));
    app.stop().await;
}

#[tokio::test]
async fn endpoints_have_openalgos_shape_sorted_with_the_key_blanked() {
    let app = spawn_app().await;
    let (s, key) = Session::login(&app, "bob").await;
    let r = s.get("/playground/endpoints", "application/json").await;
    assert_eq!(r.status, 200);
    assert!(!r.text.contains(&key));
    assert!(!r.text.contains("{{apikey}}"), "placeholders are blanked");
    let v = r.json();
    let cats: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        cats,
        ["account", "orders", "data", "utilities", "websocket"]
    );

    for (cat, items) in v.as_object().unwrap() {
        let items = items.as_array().unwrap();
        assert!(!items.is_empty(), "{cat}");
        let names: Vec<String> = items
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_lowercase())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{cat} is sorted by name, ignoring case");
        for item in items {
            let keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(&keys[..3], ["name", "method", "path"], "{item}");
            assert!(keys[3] == "body" || keys[3] == "params", "{item}");
            if cat == "websocket" {
                assert_eq!(item["method"], "WS");
                assert_eq!(item["path"], "/ws");
            } else {
                assert!(item["path"].as_str().unwrap().starts_with("/api/v1/"));
                assert!(["GET", "POST"].contains(&item["method"].as_str().unwrap()));
                assert!(
                    keys.len() == 4,
                    "description is for WebSocket entries: {item}"
                );
            }
        }
    }
    let find = |cat: &str, name: &str| -> Value {
        v[cat]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("{cat}/{name}"))
            .clone()
    };
    let place = find("orders", "Place Order");
    assert_eq!(place["method"], "POST");
    assert_eq!(place["path"], "/api/v1/placeorder");
    assert_eq!(place["body"]["apikey"], "");
    assert_eq!(place["body"]["symbol"], "SBIN");
    // The body keeps the file's key order.
    let body_keys: Vec<&String> = place["body"].as_object().unwrap().keys().collect();
    assert_eq!(body_keys[..3], ["apikey", "strategy", "symbol"]);

    let ticker = find("data", "Ticker");
    assert_eq!(ticker["method"], "GET");
    assert_eq!(ticker["path"], "/api/v1/ticker/NSE:RELIANCE");
    assert_eq!(ticker["params"]["apikey"], "");
    assert_eq!(ticker["params"]["interval"], "D");
    assert!(ticker.get("body").is_none());

    let auth = find("websocket", "WebSocket Authenticate");
    assert_eq!(
        auth["body"],
        json!({"action": "authenticate", "api_key": ""})
    );
    assert!(auth["description"].as_str().unwrap().contains("15 s"));
    assert_eq!(find("utilities", "Ping")["body"], json!({"apikey": ""}));
    assert_eq!(find("account", "Funds")["path"], "/api/v1/funds");
    app.stop().await;
}

#[tokio::test]
async fn collections_as_bruno_and_postman() {
    let app = spawn_app().await;
    let (s, key) = Session::login(&app, "carol").await;
    let r = s.get("/playground/collections", "application/json").await;
    assert_eq!(r.status, 200);
    assert!(!r.text.contains(&key));
    let list = r.json();
    assert_eq!(list[0]["type"], "postman");
    assert_eq!(list[1]["type"], "bruno");

    let r = s.get("/playground/collections?format=postman", "*/*").await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let postman = r.json();
    assert_eq!(postman, list[0]["data"]);
    assert_eq!(
        postman["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    let folders: Vec<&str> = postman["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // WebSocket items cannot be described in Postman v2.1.
    assert_eq!(folders, ["account", "data", "orders", "utilities"]);
    let vars = postman["variable"].as_array().unwrap();
    assert!(vars.iter().any(|v| v["key"] == "host"));
    assert!(
        vars.iter()
            .any(|v| v["key"] == "apikey" && v["value"] == "")
    );

    let bruno = s.json("/playground/collections?format=bruno").await;
    assert_eq!(bruno, list[1]["data"]);
    assert_eq!(bruno["name"], "algogate");
    let ws = bruno["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "websocket")
        .unwrap();
    assert_eq!(ws["type"], "folder");
    assert_eq!(ws["items"][0]["type"], "ws-request");
    assert_eq!(
        ws["items"][0]["data"]["meta"]["name"],
        "WebSocket Authenticate"
    );

    let r = s
        .get("/playground/collections?format=xml", "application/json")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "format must be \"bruno\" or \"postman\""})
    );
    let r = s
        .get("/playground/collections?format=%ZZ", "application/json")
        .await;
    assert!(
        r.status == 400 || r.status == 200,
        "never a 500: {}",
        r.status
    );
    app.stop().await;
}

#[tokio::test]
async fn the_websocket_url_reaches_the_feed_from_the_page_origin() {
    let app = spawn_app().await;
    let (s, key) = Session::login(&app, "dave").await;
    let cfg = s.json("/playground/websocket").await;
    let host = app.base.trim_start_matches("http://");
    assert_eq!(cfg["websocket_url"], format!("ws://{host}/ws"));
    assert_eq!(cfg["is_secure"], false);
    assert!(!cfg.to_string().contains(&key));

    // What the page does: connect with its own origin, authenticate with the key from
    // /playground/api-key.
    let mut req = cfg["websocket_url"]
        .as_str()
        .unwrap()
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", app.base.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let key = s.json("/playground/api-key").await["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.send(Message::text(
        json!({"action": "authenticate", "api_key": key}).to_string(),
    ))
    .await
    .unwrap();
    let reply = loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => break serde_json::from_str::<Value>(&t).unwrap(),
            _ => continue,
        }
    };
    assert_eq!(reply["type"], "auth");
    assert_eq!(reply["status"], "success");
    app.stop().await;
}

const PING_BRU: &str = "meta {\n  name: ping\n  type: http\n  seq: 1\n}\n\npost {\n  url: {{host}}/api/v1/ping\n  body: json\n  auth: none\n}\n\nbody:json {\n  {\"apikey\": \"{{apikey}}\"}\n}\n";

fn names(v: &Value, cat: &str) -> Vec<String> {
    v[cat]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_collection_is_reloaded_when_its_files_change_and_broken_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("collections");
    let util = root.join("utilities");
    std::fs::create_dir_all(&util).unwrap();
    std::fs::write(util.join("ping.bru"), PING_BRU).unwrap();
    let app = spawn_app_with(Arc::new(SystemClock), |c| {
        c.collections_dir = root.clone();
    })
    .await;
    let (s, _) = Session::login(&app, "erin").await;

    let v = s.json("/playground/endpoints").await;
    assert_eq!(names(&v, "utilities"), ["ping"]);
    assert_eq!(
        v["orders"],
        json!([]),
        "only the directory's files, not the embedded ones"
    );

    // A new file and an edited one show up on the next request; names sort ignoring case.
    std::fs::write(
        util.join("alpha.bru"),
        PING_BRU.replace("name: ping", "name: Alpha"),
    )
    .unwrap();
    std::fs::write(
        util.join("ping.bru"),
        PING_BRU.replace("name: ping", "name: Zeta ping"),
    )
    .unwrap();
    let v = s.json("/playground/endpoints").await;
    assert_eq!(names(&v, "utilities"), ["Alpha", "Zeta ping"]);

    // A broken file is skipped; the others stay, the server keeps serving.
    std::fs::write(
        util.join("broken.bru"),
        "meta {\n  name: broken\n\npost {\n",
    )
    .unwrap();
    let v = s.json("/playground/endpoints").await;
    assert_eq!(names(&v, "utilities"), ["Alpha", "Zeta ping"]);
    let snap = app.state.playground().current().await;
    assert_eq!(snap.errors.len(), 1, "{:?}", snap.errors);
    assert!(
        snap.errors[0].starts_with("utilities/broken.bru: Line "),
        "{:?}",
        snap.errors
    );
    assert_eq!(app.ping("x").await.0, 403, "the server is still up");

    // A body that is not JSON is reported and skipped too.
    std::fs::write(
        util.join("badjson.bru"),
        PING_BRU.replace("{\"apikey\": \"{{apikey}}\"}", "{apikey: {{apikey}}}"),
    )
    .unwrap();
    let v = s.json("/playground/endpoints").await;
    assert_eq!(names(&v, "utilities"), ["Alpha", "Zeta ping"]);
    let snap = app.state.playground().current().await;
    assert!(
        snap.errors
            .iter()
            .any(|e| e.starts_with("utilities/badjson.bru: body:json is not JSON")),
        "{:?}",
        snap.errors
    );

    // Without the directory, the copy embedded in the binary serves.
    std::fs::remove_dir_all(&root).unwrap();
    let v = s.json("/playground/endpoints").await;
    assert!(names(&v, "orders").contains(&"Place Order".to_owned()));
    assert_eq!(
        app.state.playground().source().await,
        algogate_server::playground::Source::Embedded
    );
    app.stop().await;
}
