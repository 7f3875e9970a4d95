//! OpenCollection YAML: examples written from Bruno's documentation of the format
//! (docs.usebruno.com, "OpenCollection YAML" → structure reference) read as the `.bru`
//! parser's JSON, round trips of the project's own collection in both directions, and
//! the report of what one format cannot hold.

use std::path::{Path, PathBuf};

use algogate_bruno::{
    FileKind, Format, RequestView, classify, collection_from_yaml, collection_to_yaml,
    environment_from_yaml, environment_to_yaml, folder_from_yaml, folder_to_yaml, parse_collection,
    parse_environment, parse_request, parse_request_openalgo, parse_request_yaml,
    request_from_yaml, request_to_yaml, write_collection, write_environment, write_request,
};
use serde_json::{Value, json};

/// A request in the documented layout: `info`, `http` (params with a type, headers, a
/// JSON body, basic auth), `runtime` (variables, scripts, assertions, actions),
/// `settings` and `docs`.
const DOC_REQUEST: &str = r#"info:
  name: Create User
  type: http
  seq: 1
  tags:
    - smoke
    - regression
http:
  method: POST
  url: https://api.example.com/users/:id
  params:
    - name: filter
      value: active
      type: query
    - name: limit
      value: "10"
      type: query
      disabled: true
    - name: id
      value: "123"
      type: path
  headers:
    - name: Content-Type
      value: application/json
    - name: X-Debug
      value: "1"
      disabled: true
  body:
    type: json
    data: |-
      {
        "name": "{{userName}}",
        "role": "user"
      }
  auth:
    type: basic
    username: admin
    password: secret
runtime:
  variables:
    - name: userName
      value: ada
  scripts:
    - type: before-request
      code: |-
        bru.setVar("requestId", Date.now());
    - type: after-response
      code: console.log(res.status);
    - type: tests
      code: |-
        test("created", function () {
          expect(res.status).to.equal(201);
        });
  assertions:
    - expression: res.status
      operator: eq
      value: "201"
    - expression: res.body.id
      operator: isString
    - expression: res.body.name
      operator: neq
      value: "null"
      disabled: true
  actions:
    - type: set-variable
      phase: after-response
      selector:
        expression: res.body.id
        method: jsonq
      variable:
        name: userId
        scope: runtime
settings:
  encodeUrl: true
  timeout: 0
  followRedirects: true
  maxRedirects: 5
docs: |-
  # Create User

  Creates a user.
"#;

const DOC_FOLDER: &str = r#"info:
  name: Users
  type: folder
  seq: 2
request:
  headers:
    - name: X-Tenant
      value: "{{tenant}}"
  auth: inherit
  variables:
    - name: page
      value: "1"
  scripts:
    - type: before-request
      code: console.log("folder");
docs:
  content: Everything about users.
  type: text/markdown
"#;

const DOC_COLLECTION: &str = r#"opencollection: 1.0.0
info:
  name: My API
request:
  headers:
    - name: Accept
      value: application/json
  auth:
    type: bearer
    token: "{{token}}"
  variables:
    - name: baseUrl
      value: https://api.example.com
docs:
  content: '# My API'
  type: text/markdown
bundled: false
extensions:
  ignore:
    - node_modules
    - .git
"#;

const DOC_ENVIRONMENT: &str = r#"name: local
variables:
  - name: host
    value: http://localhost:5000
  - name: debug
    value: "true"
    disabled: true
  - name: token
    secret: true
"#;

const DOC_WEBSOCKET: &str = r#"info:
  name: Subscribe
  type: websocket
  seq: 3
websocket:
  url: ws://localhost:8765
  headers:
    - name: X-Client
      value: docs
  message:
    type: json
    data: '{"action": "subscribe"}'
runtime:
  assertions:
    - expression: res.type
      operator: eq
      value: subscribe
"#;

#[test]
fn a_documented_request_reads_as_the_bru_parsers_json() {
    let json = parse_request_yaml(DOC_REQUEST).unwrap();
    let v = RequestView::from_json(&json);
    assert_eq!(v.name, "Create User");
    assert_eq!(v.seq, Some(1.0));
    assert_eq!(v.method, "POST");
    assert_eq!(v.url, "https://api.example.com/users/:id");
    assert_eq!(v.tags, ["smoke", "regression"]);
    assert_eq!(v.body_mode, "json");
    assert!(
        v.body_json
            .as_deref()
            .unwrap()
            .contains("\"role\": \"user\"")
    );
    assert_eq!(
        v.query
            .iter()
            .map(|q| (q.name.as_str(), q.enabled))
            .collect::<Vec<_>>(),
        [("filter", true), ("limit", false)]
    );
    assert_eq!(v.path_params[0].value, "123");
    assert!(!v.headers[1].enabled);
    assert_eq!(
        v.assertions
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str(), a.enabled))
            .collect::<Vec<_>>(),
        [
            ("res.status", "eq 201", true),
            ("res.body.id", "isString", true),
            ("res.body.name", "neq null", false)
        ]
    );
    assert_eq!(json["http"]["auth"], "basic");
    assert_eq!(
        json["auth"]["basic"],
        json!({"username": "admin", "password": "secret"})
    );
    assert_eq!(json["vars"]["req"][0]["name"], "userName");
    assert_eq!(
        json["vars"]["res"][0],
        json!({"name": "userId", "value": "res.body.id", "enabled": true, "local": false})
    );
    assert!(
        json["script"]["req"]
            .as_str()
            .unwrap()
            .contains("requestId")
    );
    assert_eq!(json["script"]["res"], "console.log(res.status);");
    assert!(json["tests"].as_str().unwrap().contains("to.equal(201)"));
    assert_eq!(json["settings"]["maxRedirects"], 5);
    assert_eq!(json["docs"], "# Create User\n\nCreates a user.");

    // The same request as a .bru file parses (strictly, as Bruno does) to the same JSON.
    let bru = write_request(&json);
    assert_eq!(parse_request(&bru).unwrap(), json, "{bru}");
    // And nothing of the YAML was lost on the way.
    let c = request_from_yaml(DOC_REQUEST).unwrap();
    assert!(c.lost.is_empty(), "{:?}", c.lost);
}

#[test]
fn documented_folder_collection_environment_and_websocket_files_read() {
    let f = folder_from_yaml(DOC_FOLDER).unwrap();
    assert!(f.lost.is_empty(), "{:?}", f.lost);
    assert_eq!(f.value["meta"]["name"], "Users");
    assert_eq!(f.value["auth"]["mode"], "inherit");
    assert_eq!(f.value["headers"][0]["value"], "{{tenant}}");
    assert_eq!(f.value["docs"], "Everything about users.");
    let bru = write_collection(&f.value);
    assert_eq!(parse_collection(&bru).unwrap()["vars"], f.value["vars"]);

    let c = collection_from_yaml(DOC_COLLECTION).unwrap();
    assert!(c.lost.is_empty(), "{:?}", c.lost);
    assert_eq!(c.value.config["name"], "My API");
    assert_eq!(c.value.config["ignore"], json!(["node_modules", ".git"]));
    assert_eq!(c.value.root["auth"]["mode"], "bearer");
    assert_eq!(c.value.root["auth"]["bearer"]["token"], "{{token}}");
    assert_eq!(c.value.root["docs"], "# My API");
    let bru = write_collection(&c.value.root);
    let again = parse_collection(&bru).unwrap();
    assert_eq!(again["auth"], c.value.root["auth"], "{bru}");

    let e = environment_from_yaml("local", DOC_ENVIRONMENT).unwrap();
    assert!(e.lost.is_empty(), "{:?}", e.lost);
    let vars = e.value["variables"].as_array().unwrap();
    assert_eq!(vars[0]["value"], "http://localhost:5000");
    assert_eq!(vars[1]["enabled"], false);
    assert_eq!(
        (vars[2]["secret"].clone(), vars[2]["value"].clone()),
        (json!(true), json!(""))
    );
    let bru = write_environment(&e.value);
    assert_eq!(parse_environment(&bru).unwrap(), e.value, "{bru}");
    // The name inside is the file's; another one is reported.
    let other = environment_from_yaml("staging", DOC_ENVIRONMENT).unwrap();
    assert_eq!(other.lost, ["name: has no .bru form, not written"]);

    let w = request_from_yaml(DOC_WEBSOCKET).unwrap();
    assert!(w.lost.is_empty(), "{:?}", w.lost);
    let v = RequestView::from_json(&w.value);
    assert!(v.is_websocket());
    assert_eq!(v.url, "ws://localhost:8765");
    assert_eq!(v.ws_messages[0].content, "{\"action\": \"subscribe\"}");
    assert_eq!(v.ws_messages[0].kind, "json");
    assert_eq!(v.headers[0].name, "X-Client");
    let bru = write_request(&w.value);
    assert_eq!(parse_request(&bru).unwrap(), w.value, "{bru}");
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../collections")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `ws` and OpenAlgo's `websocket` are one type to Bruno's model; YAML knows one name.
fn same_type(mut v: Value) -> Value {
    if v["meta"]["type"] == "websocket" {
        v["meta"]["type"] = json!("ws");
    }
    v
}

#[test]
fn our_collection_round_trips_through_yaml_without_loss() {
    let mut all = Vec::new();
    files(&root(), &mut all);
    let mut seen = 0;
    for path in all {
        let rel = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).unwrap();
        match classify(&rel) {
            Some((FileKind::Request, Format::Bru)) => {
                let json = parse_request_openalgo(&text).unwrap();
                let y = request_to_yaml(&json);
                assert!(y.lost.is_empty(), "{rel}: {:?}", y.lost);
                let back = request_from_yaml(&y.value).unwrap();
                assert!(back.lost.is_empty(), "{rel}: {:?}", back.lost);
                assert_eq!(back.value, same_type(json.clone()), "{rel}\n{}", y.value);
                // And the .bru written from the YAML is the .bru written from the file.
                assert_eq!(
                    write_request(&back.value),
                    write_request(&same_type(json)),
                    "{rel}"
                );
            }
            Some((FileKind::Folder, Format::Bru)) => {
                let json = parse_collection(&text).unwrap();
                let y = folder_to_yaml(&json);
                assert!(y.lost.is_empty(), "{rel}: {:?}", y.lost);
                let back = folder_from_yaml(&y.value).unwrap();
                assert!(back.lost.is_empty(), "{rel}: {:?}", back.lost);
                assert_eq!(
                    write_collection(&back.value),
                    write_collection(&json),
                    "{rel}"
                );
            }
            Some((FileKind::Collection, Format::Bru)) => {
                let config: Value = serde_json::from_str(
                    &std::fs::read_to_string(root().join("bruno.json")).unwrap(),
                )
                .unwrap();
                let json = parse_collection(&text).unwrap();
                let y = collection_to_yaml(&config, &json);
                assert!(y.lost.is_empty(), "{rel}: {:?}", y.lost);
                let back = collection_from_yaml(&y.value).unwrap();
                assert!(back.lost.is_empty(), "{rel}: {:?}", back.lost);
                assert_eq!(back.value.config, config);
                assert_eq!(write_collection(&back.value.root), write_collection(&json));
            }
            Some((FileKind::Environment, Format::Bru)) => {
                let json = parse_environment(&text).unwrap();
                let y = environment_to_yaml("local", &json);
                assert!(y.lost.is_empty(), "{rel}: {:?}", y.lost);
                let back = environment_from_yaml("local", &y.value).unwrap();
                assert!(back.lost.is_empty(), "{rel}: {:?}", back.lost);
                assert_eq!(back.value, json, "{rel}");
            }
            _ => continue,
        }
        seen += 1;
    }
    assert!(seen > 40, "only {seen} files checked");
}

#[test]
fn what_yaml_cannot_hold_is_reported_by_field() {
    // A .bru request keeps a body per mode and auth per mode; YAML keeps the selected one.
    let bru = "meta {\n  name: X\n  type: http\n  seq: 1\n}\n\npost {\n  url: http://x\n  body: json\n  auth: bearer\n}\n\nauth:bearer {\n  token: t\n}\n\nauth:basic {\n  username: u\n  password: p\n}\n\nbody:json {\n  {}\n}\n\nbody:text {\n  hello\n}\n\nheaders {\n  @secret\n  a: b\n}\n";
    let json = parse_request(bru).unwrap();
    let y = request_to_yaml(&json);
    assert_eq!(
        y.lost,
        [
            "auth.basic: has no OpenCollection YAML form, not written",
            "body.text: has no OpenCollection YAML form, not written",
            "headers[0].annotations: has no OpenCollection YAML form, not written",
        ]
    );
    assert!(y.value.contains("token: t"), "{}", y.value);

    // An auth mode YAML has no form for is reported, and the request sends none.
    let oauth = "meta {\n  name: X\n}\n\nget {\n  url: http://x\n  auth: oauth2\n}\n\nauth:oauth2 {\n  grant_type: client_credentials\n  access_token_url: http://t\n}\n";
    let y = request_to_yaml(&parse_request(oauth).unwrap());
    assert_eq!(
        y.lost,
        [
            "http.auth: has no OpenCollection YAML form, not written",
            "auth: has no OpenCollection YAML form, not written",
        ]
    );
    let yaml = "info:\n  name: X\nhttp:\n  method: GET\n  url: http://x\n  auth:\n    type: oauth2\n    grantType: password\n";
    let c = request_from_yaml(yaml).unwrap();
    assert_eq!(c.value["http"]["auth"], "none");
    assert_eq!(c.lost, ["http.auth: has no .bru form, not written"]);

    // YAML fields without a .bru form: examples, unknown keys, a second action kind.
    let yaml = "info:\n  name: X\n  type: http\nhttp:\n  method: GET\n  url: http://x\nruntime:\n  actions:\n    - type: set-variable\n      phase: before-request\n      selector:\n        expression: x\n      variable:\n        name: y\nexamples:\n  - name: ok\nfuture: 1\n";
    let c = request_from_yaml(yaml).unwrap();
    assert_eq!(
        c.lost,
        [
            "runtime: has no .bru form, not written",
            "examples: has no .bru form, not written",
            "future: has no .bru form, not written",
        ]
    );
}

#[test]
fn bad_yaml_is_an_error_naming_the_field_and_line() {
    for (yaml, line, what) in [
        ("info: [1]\n", 1, "`info` to be a mapping"),
        (
            "info:\n  name: x\nhttp:\n  url: [a]\n",
            4,
            "`http.url` to be a text value",
        ),
        (
            "info:\n  name: x\nhttp:\n  headers:\n    - just text\n",
            5,
            "`http.headers[0]` to be a mapping",
        ),
        (
            "info:\n  name: x\n  type: grpc\n",
            3,
            "`info.type` http or websocket",
        ),
        ("- a\n- b\n", 1, "a request"),
        ("info:\n  name: x\n  name: y\n", 3, "repeated"),
        ("info: {name: x\n", 2, "valid YAML"),
    ] {
        let e = parse_request_yaml(yaml).unwrap_err();
        assert_eq!(e.line, line, "{yaml}: {e}");
        assert!(e.expected[0].contains(what), "{yaml}: {e}");
    }
    assert!(folder_from_yaml("request: 3\n").is_err());
    assert!(environment_from_yaml("x", "variables: {a: 1}\n").is_err());
    assert!(collection_from_yaml("info: x\n").is_err());
}
