//! Postman v2.1 export of the project's collection.

use std::path::Path;

use algogate_bruno::postman::{SCHEMA, to_postman};
use algogate_bruno::{parse_request, parse_request_openalgo};
use serde_json::{Value, json};

fn read(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../collections")
        .join(rel);
    parse_request_openalgo(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn export() -> Value {
    let files = [
        "utilities/ping.bru",
        "utilities/health.bru",
        "utilities/ping-wrong-key.bru",
        "websocket/authenticate.bru",
    ];
    let requests: Vec<(String, Value)> = files.iter().map(|f| ((*f).to_owned(), read(f))).collect();
    let vars = [("host".to_owned(), "http://127.0.0.1:5000".to_owned())];
    to_postman("algogate", &requests, &vars)
}

#[test]
fn info_and_variables() {
    let p = export();
    assert_eq!(p["info"]["schema"], SCHEMA);
    assert_eq!(p["info"]["name"], "algogate");
    assert_eq!(
        p["variable"],
        json!([{"key": "host", "value": "http://127.0.0.1:5000"}])
    );
}

#[test]
fn folders_become_item_groups_sorted_by_seq_and_websocket_is_skipped() {
    let p = export();
    let groups = p["item"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        1,
        "websocket items have no v2.1 representation"
    );
    assert_eq!(groups[0]["name"], "utilities");
    let names: Vec<&str> = groups[0]["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ping", "Ping (wrong API key)", "Health"]);
}

#[test]
fn ping_has_raw_json_body_and_host_variable_url() {
    let p = export();
    let ping = &p["item"][0]["item"][0]["request"];
    assert_eq!(ping["method"], "POST");
    assert_eq!(ping["url"]["raw"], "{{host}}/api/v1/ping");
    assert_eq!(ping["url"]["host"], json!(["{{host}}"]));
    assert_eq!(ping["url"]["path"], json!(["api", "v1", "ping"]));
    assert_eq!(ping["body"]["mode"], "raw");
    assert_eq!(ping["body"]["options"]["raw"]["language"], "json");
    let body: Value = serde_json::from_str(ping["body"]["raw"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"apikey": "{{apikey}}"}));
    assert_eq!(
        ping["header"],
        json!([{"key": "Content-Type", "value": "application/json"}])
    );
    assert!(ping["description"].as_str().unwrap().contains("pong"));
}

#[test]
fn query_params_and_nested_folders() {
    let src = "meta {\n  name: Q\n  seq: 1\n}\n\nget {\n  url: https://api.x.com/v1/items?a=1\n}\n\nparams:query {\n  b: 2\n  ~c: 3\n}\n";
    let req = parse_request(src).unwrap();
    let p = to_postman("t", &[("data/deep/q.bru".to_owned(), req)], &[]);
    let item = &p["item"][0]["item"][0]["item"][0];
    assert_eq!(p["item"][0]["name"], "data");
    assert_eq!(p["item"][0]["item"][0]["name"], "deep");
    let url = &item["request"]["url"];
    assert_eq!(url["raw"], "https://api.x.com/v1/items?a=1&b=2");
    assert_eq!(url["protocol"], "https");
    assert_eq!(url["host"], json!(["api", "x", "com"]));
    assert_eq!(
        url["query"],
        json!([
            {"key": "a", "value": "1"},
            {"key": "b", "value": "2"},
            {"key": "c", "value": "3", "disabled": true}
        ])
    );
    assert!(item["request"].get("body").is_none());
}
