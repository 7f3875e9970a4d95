//! The project's own Bruno collection (`collections/` at the repository root)
//! parses, and every request documents itself and asserts on the response.

use std::path::{Path, PathBuf};

use algogate_bruno::{
    RequestKind, parse_collection, parse_environment, parse_request, parse_request_openalgo,
    parse_request_view,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../collections")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.file_name().is_some_and(|n| n == "node_modules") {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "bru") {
            out.push(p);
        }
    }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn requests() -> Vec<(String, String)> {
    let mut files = Vec::new();
    walk(&root(), &mut files);
    files
        .into_iter()
        .map(|p| (rel(&p), std::fs::read_to_string(&p).unwrap()))
        .filter(|(r, _)| {
            !r.starts_with("environments/")
                && !r.ends_with("collection.bru")
                && !r.ends_with("folder.bru")
        })
        .collect()
}

#[test]
fn every_file_under_collections_parses() {
    let mut files = Vec::new();
    walk(&root(), &mut files);
    assert!(
        files.len() >= 20,
        "collection looks incomplete: {} files",
        files.len()
    );
    for p in &files {
        let text = std::fs::read_to_string(p).unwrap();
        let name = rel(p);
        let parsed = if name.starts_with("environments/") {
            parse_environment(&text)
        } else if name.ends_with("collection.bru") || name.ends_with("folder.bru") {
            parse_collection(&text)
        } else {
            parse_request_openalgo(&text)
        };
        if let Err(e) = parsed {
            panic!("{}", e.with_file(name));
        }
    }
}

#[test]
fn http_requests_parse_with_the_official_grammar() {
    // `bru run` uses the official parser, so HTTP files must not need the extension.
    for (name, text) in requests()
        .iter()
        .filter(|(n, _)| !n.starts_with("websocket/"))
    {
        parse_request(text).unwrap_or_else(|e| panic!("{}", e.with_file(name.as_str())));
    }
}

#[test]
fn every_request_has_docs_and_assertions() {
    let all = requests();
    assert!(all.len() >= 15);
    for (name, text) in &all {
        let view = parse_request_view(text).unwrap();
        assert!(
            view.docs.as_deref().is_some_and(|d| !d.trim().is_empty()),
            "{name}: no docs"
        );
        assert!(!view.assertions.is_empty(), "{name}: no assert block");
        assert!(
            !view.name.is_empty() && view.seq.is_some(),
            "{name}: meta incomplete"
        );
    }
}

#[test]
fn rest_requests_sit_in_category_folders_and_websocket_ones_in_websocket() {
    for (name, text) in requests() {
        let view = parse_request_view(&text).unwrap();
        let folder = name.split('/').next().unwrap();
        if view.is_websocket() {
            assert_eq!(folder, "websocket", "{name}");
            assert_eq!(view.ws_messages.len(), 1, "{name}: one message per file");
            let msg = &view.ws_messages[0];
            assert_eq!(msg.kind, "json");
            let body: serde_json::Value = serde_json::from_str(&msg.content).unwrap();
            assert!(body["action"].is_string(), "{name}: message has no action");
            assert_eq!(view.url, "{{ws_url}}");
        } else {
            assert!(
                ["account", "orders", "data", "utilities"].contains(&folder),
                "{name}"
            );
            assert_eq!(view.kind, RequestKind::Http);
            assert!(view.url.starts_with("{{host}}/"), "{name}: {}", view.url);
        }
    }
}

#[test]
fn websocket_folder_covers_the_protocol_actions() {
    let mut actions: Vec<String> = requests()
        .iter()
        .filter(|(n, _)| n.starts_with("websocket/"))
        .map(|(_, t)| {
            let v = parse_request_view(t).unwrap();
            let body: serde_json::Value = serde_json::from_str(&v.ws_messages[0].content).unwrap();
            let mode = body
                .get("mode")
                .map(|m| format!(" mode {m}"))
                .unwrap_or_default();
            let multi = if body.get("symbols").is_some() {
                " list"
            } else {
                ""
            };
            format!("{}{mode}{multi}", body["action"].as_str().unwrap())
        })
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "authenticate",
            "get_broker_info",
            "get_supported_brokers",
            "ping",
            "subscribe mode 1",
            "subscribe mode 1 list",
            "subscribe mode 2",
            "subscribe mode 3",
            "subscribe_orders",
            "unsubscribe mode 1",
            "unsubscribe_all",
            "unsubscribe_orders",
        ]
    );
}

#[test]
fn ping_request_view_is_what_the_playground_sends() {
    let text = std::fs::read_to_string(root().join("utilities/ping.bru")).unwrap();
    let v = parse_request_view(&text).unwrap();
    assert_eq!(v.name, "Ping");
    assert_eq!(v.method, "POST");
    assert_eq!(v.url, "{{host}}/api/v1/ping");
    assert_eq!(v.body_mode, "json");
    let body: serde_json::Value = serde_json::from_str(v.body_json.as_deref().unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({"apikey": "{{apikey}}"}));
}

#[test]
fn local_environment_defines_host_and_apikey() {
    let text = std::fs::read_to_string(root().join("environments/local.bru")).unwrap();
    let env = parse_environment(&text).unwrap();
    let vars = env["variables"].as_array().unwrap();
    let get = |n: &str| {
        vars.iter()
            .find(|v| v["name"] == n)
            .map(|v| v["value"].clone())
    };
    assert_eq!(get("host"), Some("http://127.0.0.1:5000".into()));
    assert!(get("apikey").is_some());
}
