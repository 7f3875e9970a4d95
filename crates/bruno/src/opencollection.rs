//! Bruno's YAML collection format ("OpenCollection", Bruno 3): request, folder, collection
//! and environment files, read into the same JSON as the `.bru` parser produces and
//! written from it, so everything downstream (the typed view, the writer, Postman export,
//! the playground) works on either format.
//!
//! The layout follows Bruno's documentation and its own reader and writer
//! (`@usebruno/filestore`'s `yml` format):
//!
//! ```yaml
//! info: {name, type: http | websocket, seq, tags}
//! http: {method, url, params: [{name, value, type: query | path}], headers, body: {type, data}, auth}
//! websocket: {url, headers, message: {type, data}, auth}
//! runtime: {variables, scripts: [{type: before-request | after-response | tests, code}],
//!           assertions: [{expression, operator, value}], actions: [set-variable ...]}
//! settings: {encodeUrl, timeout, followRedirects, maxRedirects}
//! docs: text
//! ```
//!
//! `folder.yml` has `info` (type `folder`), `request` (defaults: headers, auth, variables,
//! actions, scripts) and `docs`; `opencollection.yml` replaces `bruno.json` and
//! `collection.bru` (`opencollection`, `info.name`, `request`, `docs`, `extensions.ignore`);
//! an environment is `{name, color, variables: [{name, value, disabled, secret}]}`.
//!
//! What one format can say and the other cannot is found, not guessed: each conversion is
//! converted back and compared with its input, and every field that did not survive is
//! reported in [`Converted::lost`].

use serde_json::{Map, Value, json};

use crate::error::ParseError;
use crate::js;
use crate::yaml::{self, Doc};

/// A conversion's result and what it could not carry over (`field: reason`, one a line).
#[derive(Debug, Clone, PartialEq)]
pub struct Converted<T> {
    pub value: T,
    pub lost: Vec<String>,
}

/// The two files an `opencollection.yml` stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionRoot {
    /// `bruno.json`.
    pub config: Value,
    /// `collection.bru` as `collectionBruToJson` gives it.
    pub root: Value,
}

// ---- small helpers ----

fn s(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(x)) => x.clone(),
        Some(other) => other.to_string(),
    }
}

fn nonempty(v: Option<&Value>) -> Option<String> {
    Some(s(v)).filter(|t| !t.is_empty())
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn put(m: &mut Map<String, Value>, k: &str, v: Value) {
    let empty = match &v {
        Value::Null => true,
        Value::String(t) => t.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        m.insert(k.to_owned(), v);
    }
}

/// `description` of a `.bru` entry (its `@description` annotation).
fn description(item: &Value) -> Option<String> {
    nonempty(item.get("description")).or_else(|| {
        arr(item.get("annotations"))
            .iter()
            .find(|a| s(a.get("name")) == "description")
            .and_then(|a| nonempty(a.get("value")))
    })
}

/// OpenCollection allows `description` as text or `{content, type}`.
fn oc_text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Object(o)) => nonempty(o.get("content")),
        other => nonempty(other),
    }
}

fn with_description(mut m: Map<String, Value>, d: Option<String>) -> Value {
    if let Some(d) = d {
        m.insert(
            "annotations".into(),
            json!([{"name": "description", "value": d}]),
        );
        m.insert("description".into(), Value::String(d));
    }
    Value::Object(m)
}

fn enabled(item: &Value) -> bool {
    item.get("enabled").and_then(Value::as_bool).unwrap_or(true)
}

fn disabled(oc: &Value) -> bool {
    oc.get("disabled").and_then(Value::as_bool).unwrap_or(false)
}

/// `{name, value, disabled?, description?}` plus `extra` keys.
fn oc_entry(item: &Value, extra: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(s(item.get("name"))));
    m.insert("value".into(), Value::String(s(item.get("value"))));
    for (k, v) in extra {
        m.insert((*k).into(), v.clone());
    }
    if let Some(d) = description(item) {
        m.insert("description".into(), Value::String(d));
    }
    if !enabled(item) {
        m.insert("disabled".into(), Value::Bool(true));
    }
    Value::Object(m)
}

/// The `.bru` entry of an OpenCollection `{name, value, disabled, description}`.
fn bru_entry(oc: &Value, extra: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(s(oc.get("name"))));
    m.insert("value".into(), Value::String(s(oc.get("value"))));
    m.insert("enabled".into(), Value::Bool(!disabled(oc)));
    for (k, v) in extra {
        m.insert((*k).into(), v.clone());
    }
    with_description(m, oc_text(oc.get("description")))
}

// ---- scripts, variables, assertions, actions (shared by requests, folders, collection) ----

fn oc_scripts(json: &Value) -> Value {
    let mut list = Vec::new();
    for (kind, text) in [
        ("before-request", json.pointer("/script/req")),
        ("after-response", json.pointer("/script/res")),
        ("tests", json.get("tests")),
    ] {
        if let Some(code) = nonempty(text) {
            list.push(json!({"type": kind, "code": code}));
        }
    }
    Value::Array(list)
}

fn bru_scripts(oc: Option<&Value>, out: &mut Map<String, Value>) {
    let mut script = Map::new();
    for sc in arr(oc) {
        let Some(code) = nonempty(sc.get("code")) else {
            continue;
        };
        match s(sc.get("type")).as_str() {
            "before-request" => {
                script.insert("req".into(), Value::String(code));
            }
            "after-response" => {
                script.insert("res".into(), Value::String(code));
            }
            "tests" => {
                out.insert("tests".into(), Value::String(code));
            }
            _ => {}
        }
    }
    if !script.is_empty() {
        out.insert("script".into(), Value::Object(script));
    }
}

fn oc_variables(json: &Value) -> Value {
    Value::Array(
        arr(json.pointer("/vars/req"))
            .iter()
            .map(|v| oc_entry(v, &[]))
            .collect(),
    )
}

fn oc_actions(json: &Value) -> Value {
    Value::Array(
        arr(json.pointer("/vars/res"))
            .iter()
            .map(|v| {
                let local = v.get("local").and_then(Value::as_bool).unwrap_or(false);
                let mut m = Map::new();
                m.insert("type".into(), json!("set-variable"));
                m.insert("phase".into(), json!("after-response"));
                m.insert(
                    "selector".into(),
                    json!({"expression": s(v.get("value")), "method": "jsonq"}),
                );
                m.insert(
                    "variable".into(),
                    json!({"name": s(v.get("name")), "scope": if local { "request" } else { "runtime" }}),
                );
                if let Some(d) = description(v) {
                    m.insert("description".into(), Value::String(d));
                }
                if !enabled(v) {
                    m.insert("disabled".into(), Value::Bool(true));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn bru_vars(variables: Option<&Value>, actions: Option<&Value>, out: &mut Map<String, Value>) {
    let req: Vec<Value> = arr(variables)
        .iter()
        .map(|v| bru_entry(v, &[("local", Value::Bool(false))]))
        .collect();
    let res: Vec<Value> = arr(actions)
        .iter()
        .filter(|a| s(a.get("type")) == "set-variable" && s(a.get("phase")) == "after-response")
        .map(|a| {
            let local = s(a.pointer("/variable/scope")) == "request";
            let mut m = Map::new();
            m.insert("name".into(), Value::String(s(a.pointer("/variable/name"))));
            m.insert(
                "value".into(),
                Value::String(s(a.pointer("/selector/expression"))),
            );
            m.insert("enabled".into(), Value::Bool(!disabled(a)));
            m.insert("local".into(), Value::Bool(local));
            with_description(m, oc_text(a.get("description")))
        })
        .collect();
    let mut vars = Map::new();
    put(&mut vars, "req", Value::Array(req));
    put(&mut vars, "res", Value::Array(res));
    put(out, "vars", Value::Object(vars));
}

/// Bruno's assertion operators; a value whose first word is none of them means `eq`.
const OPERATORS: [&str; 28] = [
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "notIn",
    "contains",
    "notContains",
    "length",
    "matches",
    "notMatches",
    "startsWith",
    "endsWith",
    "between",
    "isEmpty",
    "isNotEmpty",
    "isNull",
    "isUndefined",
    "isDefined",
    "isTruthy",
    "isFalsy",
    "isJson",
    "isNumber",
    "isString",
    "isBoolean",
    "isArray",
];
const UNARY_FROM: usize = 16;

fn oc_assertions(json: &Value) -> Value {
    Value::Array(
        arr(json.get("assertions"))
            .iter()
            .map(|a| {
                let text = s(a.get("value"));
                let (first, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
                let mut m = Map::new();
                m.insert("expression".into(), Value::String(s(a.get("name"))));
                match OPERATORS.iter().position(|o| *o == first) {
                    Some(i) if i >= UNARY_FROM => {
                        m.insert("operator".into(), json!(first));
                    }
                    Some(_) => {
                        m.insert("operator".into(), json!(first));
                        m.insert("value".into(), json!(rest));
                    }
                    None => {
                        m.insert("operator".into(), json!("eq"));
                        m.insert("value".into(), json!(text));
                    }
                }
                if let Some(d) = description(a) {
                    m.insert("description".into(), Value::String(d));
                }
                if !enabled(a) {
                    m.insert("disabled".into(), Value::Bool(true));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn bru_assertions(oc: Option<&Value>) -> Value {
    Value::Array(
        arr(oc)
            .iter()
            .map(|a| {
                let op = nonempty(a.get("operator")).unwrap_or_else(|| "eq".into());
                let text = match a.get("value") {
                    None | Some(Value::Null) => op,
                    Some(v) => format!("{op} {}", s(Some(v))),
                };
                let mut m = Map::new();
                m.insert("name".into(), Value::String(s(a.get("expression"))));
                m.insert("value".into(), Value::String(text));
                m.insert("enabled".into(), Value::Bool(!disabled(a)));
                with_description(m, oc_text(a.get("description")))
            })
            .collect(),
    )
}

// ---- auth ----

/// The fields each auth mode keeps, in `.bru` and OpenCollection alike (apikey's placement
/// is renamed).
const AUTH_FIELDS: [(&str, &[&str]); 7] = [
    ("basic", &["username", "password"]),
    ("bearer", &["token"]),
    ("digest", &["username", "password"]),
    ("ntlm", &["username", "password", "domain"]),
    ("wsse", &["username", "password"]),
    ("apikey", &["key", "value", "placement"]),
    (
        "awsv4",
        &[
            "accessKeyId",
            "secretAccessKey",
            "sessionToken",
            "service",
            "region",
            "profileName",
        ],
    ),
];

/// `mode` is the block's `auth:` mode; `details` the `auth` object of the parser JSON.
fn oc_auth(mode: &str, details: Option<&Value>) -> Value {
    match mode {
        "" | "none" => Value::Null,
        "inherit" => json!("inherit"),
        _ => {
            let Some((_, fields)) = AUTH_FIELDS.iter().find(|(m, _)| *m == mode) else {
                return Value::Null;
            };
            let mut m = Map::new();
            m.insert("type".into(), json!(mode));
            let d = details.and_then(|d| d.get(mode));
            for f in *fields {
                let mut v = s(d.and_then(|d| d.get(*f)));
                if *f == "placement" && v == "queryparams" {
                    v = "query".into();
                }
                put(&mut m, f, Value::String(v));
            }
            Value::Object(m)
        }
    }
}

/// (mode, the parser's `auth` object).
fn bru_auth(oc: Option<&Value>) -> (String, Value) {
    match oc {
        None | Some(Value::Null) => ("none".into(), Value::Null),
        Some(Value::String(t)) if t == "inherit" => ("inherit".into(), Value::Null),
        Some(a) => {
            let mode = s(a.get("type"));
            // Other modes (oauth2, ...) are not read; the loss report names them.
            let Some((_, fields)) = AUTH_FIELDS.iter().find(|(m, _)| *m == mode) else {
                return ("none".into(), Value::Null);
            };
            let mut m = Map::new();
            for f in *fields {
                let mut v = s(a.get(*f));
                if *f == "placement" && v == "query" {
                    v = "queryparams".into();
                }
                m.insert((*f).into(), Value::String(v));
            }
            let details = json!({ mode.clone(): m });
            (mode, details)
        }
    }
}

// ---- body ----

fn oc_body(json: &Value) -> Value {
    let mode = s(json.pointer("/http/body"));
    let body = json.get("body");
    let raw = |k: &str, t: &str| json!({"type": t, "data": s(body.and_then(|b| b.get(k)))});
    match mode.as_str() {
        "json" | "text" | "xml" | "sparql" => raw(&mode, &mode),
        "formUrlEncoded" => {
            json!({"type": "form-urlencoded", "data": arr(body.and_then(|b| b.get("formUrlEncoded"))).iter().map(|e| oc_entry(e, &[])).collect::<Vec<_>>()})
        }
        "multipartForm" => {
            json!({"type": "multipart-form", "data": arr(body.and_then(|b| b.get("multipartForm"))).iter().map(|e| {
            let mut extra = vec![("type", json!(s(e.get("type"))))];
            if let Some(ct) = nonempty(e.get("contentType")) {
                extra.push(("contentType", json!(ct)));
            }
            let mut v = oc_entry(e, &extra);
            if let (Some(Value::Array(files)), Some(m)) = (e.get("value"), v.as_object_mut()) {
                m.insert("value".into(), Value::Array(files.clone()));
            }
            v
        }).collect::<Vec<_>>()})
        }
        "file" => {
            json!({"type": "file", "data": arr(body.and_then(|b| b.get("file"))).iter().map(|f| json!({
            "filePath": s(f.get("filePath")),
            "contentType": s(f.get("contentType")),
            "selected": f.get("selected").and_then(Value::as_bool).unwrap_or(false),
        })).collect::<Vec<_>>()})
        }
        _ => Value::Null,
    }
}

/// (mode, the parser's `body` object).
fn bru_body(oc: Option<&Value>) -> (String, Value) {
    let Some(b) = oc.filter(|b| b.is_object()) else {
        return ("none".into(), Value::Null);
    };
    let data = b.get("data");
    match s(b.get("type")).as_str() {
        t @ ("json" | "text" | "xml" | "sparql") => (t.into(), json!({ t: s(data) })),
        "form-urlencoded" => (
            "formUrlEncoded".into(),
            json!({"formUrlEncoded": arr(data).iter().map(|e| bru_entry(e, &[])).collect::<Vec<_>>()}),
        ),
        "multipart-form" => (
            "multipartForm".into(),
            json!({"multipartForm": arr(data).iter().map(|e| {
                let ty = nonempty(e.get("type")).unwrap_or_else(|| "text".into());
                let mut v = bru_entry(e, &[("type", json!(ty)), ("contentType", json!(s(e.get("contentType"))))]);
                if let (Some(Value::Array(files)), Some(m)) = (e.get("value"), v.as_object_mut()) {
                    m.insert("value".into(), Value::Array(files.clone()));
                }
                v
            }).collect::<Vec<_>>()}),
        ),
        "file" => (
            "file".into(),
            json!({"file": arr(data).iter().map(|f| json!({
                "filePath": s(f.get("filePath")),
                "contentType": s(f.get("contentType")),
                "selected": f.get("selected").and_then(Value::as_bool).unwrap_or(false),
            })).collect::<Vec<_>>()}),
        ),
        other => (other.to_owned(), Value::Null),
    }
}

// ---- requests ----

fn is_ws(json: &Value) -> bool {
    matches!(s(json.pointer("/meta/type")).as_str(), "ws" | "websocket")
}

/// `meta.seq` as the number it is in YAML (`.bru` keeps it as text).
fn seq_number(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Number(n)) => Value::Number(n.clone()),
        Some(Value::String(t)) => js::js_number(t)
            .and_then(|f| {
                if f.fract() == 0.0 && f.abs() < 9e15 {
                    Some(Value::from(f as i64))
                } else {
                    serde_json::Number::from_f64(f).map(Value::Number)
                }
            })
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The OpenCollection value of a request's parser JSON.
fn request_value(json: &Value) -> Value {
    let ws = is_ws(json);
    let mut info = Map::new();
    info.insert("name".into(), Value::String(s(json.pointer("/meta/name"))));
    info.insert("type".into(), json!(if ws { "websocket" } else { "http" }));
    put(&mut info, "seq", seq_number(json.pointer("/meta/seq")));
    put(
        &mut info,
        "tags",
        json.pointer("/meta/tags").cloned().unwrap_or(Value::Null),
    );
    if ws {
        put(
            &mut info,
            "description",
            Value::String(s(json.pointer("/ws/description"))),
        );
    }
    let mut out = Map::new();
    out.insert("info".into(), Value::Object(info));

    let headers: Vec<Value> = arr(json.get("headers"))
        .iter()
        .map(|h| oc_entry(h, &[]))
        .collect();
    let mut req = Map::new();
    if ws {
        req.insert("url".into(), Value::String(s(json.pointer("/ws/url"))));
        put(&mut req, "headers", Value::Array(headers));
        if let Some(m) = arr(json.pointer("/body/ws")).first() {
            put(
                &mut req,
                "message",
                json!({"type": nonempty(m.get("type")).unwrap_or_else(|| "text".into()), "data": s(m.get("content"))}),
            );
        }
        put(
            &mut req,
            "auth",
            oc_auth(&s(json.pointer("/ws/auth")), json.get("auth")),
        );
        out.insert("websocket".into(), Value::Object(req));
    } else {
        let method = nonempty(json.pointer("/http/method")).unwrap_or_else(|| "get".into());
        req.insert("method".into(), Value::String(method.to_uppercase()));
        req.insert("url".into(), Value::String(s(json.pointer("/http/url"))));
        let params: Vec<Value> = arr(json.get("params"))
            .iter()
            .map(|p| oc_entry(p, &[("type", json!(s(p.get("type"))))]))
            .collect();
        put(&mut req, "params", Value::Array(params));
        put(&mut req, "headers", Value::Array(headers));
        put(&mut req, "body", oc_body(json));
        put(
            &mut req,
            "auth",
            oc_auth(&s(json.pointer("/http/auth")), json.get("auth")),
        );
        out.insert("http".into(), Value::Object(req));
    }

    let mut runtime = Map::new();
    put(&mut runtime, "variables", oc_variables(json));
    put(&mut runtime, "scripts", oc_scripts(json));
    put(&mut runtime, "assertions", oc_assertions(json));
    put(&mut runtime, "actions", oc_actions(json));
    put(&mut out, "runtime", Value::Object(runtime));
    put(
        &mut out,
        "settings",
        json.get("settings").cloned().unwrap_or(Value::Null),
    );
    put(&mut out, "docs", Value::String(s(json.get("docs"))));
    Value::Object(out)
}

fn need_object<'v>(
    doc: &Doc,
    v: &'v Value,
    ptr: &str,
    what: &str,
) -> Result<&'v Value, ParseError> {
    match v.pointer(ptr) {
        Some(x @ Value::Object(_)) => Ok(x),
        Some(_) => Err(doc.error(ptr, format!("`{what}` to be a mapping"))),
        None => Err(doc.error(ptr, format!("`{what}` (a mapping)"))),
    }
}

/// Checks the types of the fields a conversion reads, so a wrong one is an error naming
/// it rather than a silently empty value.
fn check_shapes(doc: &Doc, checks: &[(&str, Shape)]) -> Result<(), ParseError> {
    for (ptr, shape) in checks {
        let Some(v) = doc.value.pointer(ptr) else {
            continue;
        };
        let ok = match shape {
            Shape::Text => !matches!(v, Value::Array(_) | Value::Object(_)),
            Shape::List => matches!(v, Value::Array(_) | Value::Null),
            Shape::Map => matches!(v, Value::Object(_) | Value::Null),
            Shape::TextOrMap => !matches!(v, Value::Array(_)),
        };
        if !ok {
            let field = ptr.trim_start_matches('/').replace('/', ".");
            let want = match shape {
                Shape::Text => "a text value",
                Shape::List => "a list",
                Shape::Map => "a mapping",
                Shape::TextOrMap => "a text value or a mapping",
            };
            return Err(doc.error(ptr, format!("`{field}` to be {want}")));
        }
    }
    // Entries of the lists must be mappings.
    for list in [
        "/http/params",
        "/http/headers",
        "/websocket/headers",
        "/runtime/variables",
        "/runtime/scripts",
        "/runtime/assertions",
        "/runtime/actions",
        "/request/headers",
        "/request/variables",
        "/request/actions",
        "/request/scripts",
        "/variables",
    ] {
        for (i, e) in arr(doc.value.pointer(list)).iter().enumerate() {
            if !e.is_object() {
                let field = list.trim_start_matches('/').replace('/', ".");
                return Err(doc.error(
                    &format!("{list}/{i}"),
                    format!("`{field}[{i}]` to be a mapping"),
                ));
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Shape {
    Text,
    List,
    Map,
    TextOrMap,
}

const REQUEST_SHAPES: &[(&str, Shape)] = &[
    ("/info/name", Shape::Text),
    ("/info/type", Shape::Text),
    ("/info/seq", Shape::Text),
    ("/info/tags", Shape::List),
    ("/http", Shape::Map),
    ("/http/method", Shape::Text),
    ("/http/url", Shape::Text),
    ("/http/params", Shape::List),
    ("/http/headers", Shape::List),
    ("/http/body", Shape::Map),
    ("/http/auth", Shape::TextOrMap),
    ("/websocket", Shape::Map),
    ("/websocket/url", Shape::Text),
    ("/websocket/headers", Shape::List),
    ("/websocket/message", Shape::Map),
    ("/runtime", Shape::Map),
    ("/runtime/variables", Shape::List),
    ("/runtime/scripts", Shape::List),
    ("/runtime/assertions", Shape::List),
    ("/runtime/actions", Shape::List),
    ("/settings", Shape::Map),
    ("/docs", Shape::TextOrMap),
];

/// The parser JSON of an OpenCollection request value.
fn request_json(doc: &Doc) -> Result<Value, ParseError> {
    let oc = &doc.value;
    if !oc.is_object() {
        return Err(doc.error(
            "",
            "a request: a mapping with `info` and `http` or `websocket`",
        ));
    }
    check_shapes(doc, REQUEST_SHAPES)?;
    let info = need_object(doc, oc, "/info", "info")?;
    let kind = s(info.get("type"));
    let ws = match kind.as_str() {
        "websocket" => true,
        "http" | "" => false,
        other => {
            return Err(doc.error(
                "/info/type",
                format!("`info.type` http or websocket (`{other}` requests have no form here)"),
            ));
        }
    };
    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(s(info.get("name"))));
    meta.insert("type".into(), json!(if ws { "ws" } else { "http" }));
    // `bruToJson` gives the text of `seq`, and 1 when there is none.
    meta.insert(
        "seq".into(),
        nonempty(info.get("seq")).map_or(json!(1), Value::String),
    );
    put(
        &mut meta,
        "tags",
        Value::Array(
            arr(info.get("tags"))
                .iter()
                .map(|t| Value::String(s(Some(t))))
                .collect(),
        ),
    );
    let mut out = Map::new();
    out.insert("meta".into(), Value::Object(meta));
    let runtime = oc.get("runtime");
    if ws {
        let w = need_object(doc, oc, "/websocket", "websocket")?;
        let (auth_mode, auth) = bru_auth(w.get("auth"));
        let mut block = Map::new();
        block.insert("url".into(), Value::String(s(w.get("url"))));
        if auth_mode != "none" {
            block.insert("auth".into(), Value::String(auth_mode));
        }
        put(
            &mut block,
            "description",
            Value::String(oc_text(info.get("description")).unwrap_or_default()),
        );
        out.insert("ws".into(), Value::Object(block));
        put(
            &mut out,
            "headers",
            Value::Array(
                arr(w.get("headers"))
                    .iter()
                    .map(|h| bru_entry(h, &[]))
                    .collect(),
            ),
        );
        put(&mut out, "auth", auth);
        if let Some(m) = w.get("message").filter(|m| m.is_object()) {
            out.insert(
                "body".into(),
                json!({"mode": "ws", "ws": [{
                    "name": "message 1",
                    "type": nonempty(m.get("type")).unwrap_or_else(|| "text".into()),
                    "content": s(m.get("data")),
                    "selected": true,
                }]}),
            );
        }
    } else {
        let h = need_object(doc, oc, "/http", "http")?;
        let (body_mode, body) = bru_body(h.get("body"));
        let (auth_mode, auth) = bru_auth(h.get("auth"));
        out.insert(
            "http".into(),
            json!({
                "method": nonempty(h.get("method")).unwrap_or_else(|| "get".into()).to_lowercase(),
                "url": s(h.get("url")),
                "body": body_mode,
                "auth": auth_mode,
            }),
        );
        put(
            &mut out,
            "params",
            Value::Array(
                arr(h.get("params"))
                    .iter()
                    .map(|p| {
                        let ty = nonempty(p.get("type")).unwrap_or_else(|| "query".into());
                        bru_entry(p, &[("type", Value::String(ty))])
                    })
                    .collect(),
            ),
        );
        put(
            &mut out,
            "headers",
            Value::Array(
                arr(h.get("headers"))
                    .iter()
                    .map(|x| bru_entry(x, &[]))
                    .collect(),
            ),
        );
        put(&mut out, "auth", auth);
        put(&mut out, "body", body);
    }
    bru_vars(
        runtime.and_then(|r| r.get("variables")),
        runtime.and_then(|r| r.get("actions")),
        &mut out,
    );
    put(
        &mut out,
        "assertions",
        bru_assertions(runtime.and_then(|r| r.get("assertions"))),
    );
    bru_scripts(runtime.and_then(|r| r.get("scripts")), &mut out);
    put(
        &mut out,
        "settings",
        oc.get("settings").cloned().unwrap_or(Value::Null),
    );
    put(
        &mut out,
        "docs",
        Value::String(oc_text(oc.get("docs")).unwrap_or_default()),
    );
    Ok(Value::Object(out))
}

// ---- folders and the collection ----

fn defaults_value(json: &Value, actions: bool) -> Value {
    let mut req = Map::new();
    put(
        &mut req,
        "headers",
        Value::Array(
            arr(json.get("headers"))
                .iter()
                .map(|h| oc_entry(h, &[]))
                .collect(),
        ),
    );
    put(
        &mut req,
        "auth",
        oc_auth(&s(json.pointer("/auth/mode")), json.get("auth")),
    );
    put(&mut req, "variables", oc_variables(json));
    if actions {
        put(&mut req, "actions", oc_actions(json));
    }
    put(&mut req, "scripts", oc_scripts(json));
    Value::Object(req)
}

/// The request defaults of a folder (`folder = true`: with actions; `auth` only when
/// set) or of the collection (whose `collection.bru` Bruno always writes with `auth`).
fn defaults_json(doc: &Doc, out: &mut Map<String, Value>, folder: bool) {
    let req = doc.value.get("request");
    put(
        out,
        "headers",
        Value::Array(
            arr(req.and_then(|r| r.get("headers")))
                .iter()
                .map(|h| bru_entry(h, &[]))
                .collect(),
        ),
    );
    let (mode, details) = bru_auth(req.and_then(|r| r.get("auth")));
    if !folder || mode != "none" {
        let mut auth = details.as_object().cloned().unwrap_or_default();
        auth.insert("mode".into(), Value::String(mode));
        out.insert("auth".into(), Value::Object(auth));
    }
    bru_vars(
        req.and_then(|r| r.get("variables")),
        if folder {
            req.and_then(|r| r.get("actions"))
        } else {
            None
        },
        out,
    );
    bru_scripts(req.and_then(|r| r.get("scripts")), out);
}

const DEFAULTS_SHAPES: &[(&str, Shape)] = &[
    ("/info", Shape::Map),
    ("/info/name", Shape::Text),
    ("/info/seq", Shape::Text),
    ("/request", Shape::Map),
    ("/request/headers", Shape::List),
    ("/request/auth", Shape::TextOrMap),
    ("/request/variables", Shape::List),
    ("/request/actions", Shape::List),
    ("/request/scripts", Shape::List),
    ("/docs", Shape::TextOrMap),
    ("/extensions", Shape::Map),
    ("/extensions/ignore", Shape::List),
];

fn docs_object(json: &Value) -> Value {
    match nonempty(json.get("docs")) {
        Some(d) => json!({"content": d, "type": "text/markdown"}),
        None => Value::Null,
    }
}

fn folder_value(json: &Value) -> Value {
    let mut info = Map::new();
    info.insert("name".into(), Value::String(s(json.pointer("/meta/name"))));
    info.insert("type".into(), json!("folder"));
    put(&mut info, "seq", seq_number(json.pointer("/meta/seq")));
    let mut out = Map::new();
    out.insert("info".into(), Value::Object(info));
    put(&mut out, "request", defaults_value(json, true));
    put(&mut out, "docs", docs_object(json));
    Value::Object(out)
}

fn folder_json(doc: &Doc) -> Result<Value, ParseError> {
    if !doc.value.is_object() {
        return Err(doc.error("", "a folder: a mapping with `info`"));
    }
    check_shapes(doc, DEFAULTS_SHAPES)?;
    let mut meta = Map::new();
    meta.insert(
        "name".into(),
        Value::String(s(doc.value.pointer("/info/name"))),
    );
    if let Some(seq) = nonempty(doc.value.pointer("/info/seq")) {
        meta.insert("seq".into(), Value::String(seq));
    }
    meta.insert("type".into(), json!("collection"));
    let mut out = Map::new();
    out.insert("meta".into(), Value::Object(meta));
    defaults_json(doc, &mut out, true);
    put(
        &mut out,
        "docs",
        Value::String(oc_text(doc.value.get("docs")).unwrap_or_default()),
    );
    Ok(Value::Object(out))
}

fn collection_value(config: &Value, root: &Value) -> Value {
    let name = nonempty(config.get("name"))
        .or_else(|| nonempty(root.pointer("/meta/name")))
        .unwrap_or_else(|| "Untitled Collection".into());
    let mut out = Map::new();
    out.insert("opencollection".into(), json!("1.0.0"));
    out.insert("info".into(), json!({ "name": name }));
    put(&mut out, "request", defaults_value(root, false));
    put(&mut out, "docs", docs_object(root));
    out.insert("bundled".into(), Value::Bool(false));
    let mut ext = Map::new();
    put(
        &mut ext,
        "ignore",
        config.get("ignore").cloned().unwrap_or(Value::Null),
    );
    put(&mut out, "extensions", Value::Object(ext));
    Value::Object(out)
}

fn collection_json(doc: &Doc) -> Result<CollectionRoot, ParseError> {
    if !doc.value.is_object() {
        return Err(doc.error(
            "",
            "a collection: a mapping with `opencollection` and `info`",
        ));
    }
    check_shapes(doc, DEFAULTS_SHAPES)?;
    let name =
        nonempty(doc.value.pointer("/info/name")).unwrap_or_else(|| "Untitled Collection".into());
    let mut config = Map::new();
    config.insert("version".into(), json!("1"));
    config.insert("name".into(), Value::String(name.clone()));
    config.insert("type".into(), json!("collection"));
    put(
        &mut config,
        "ignore",
        doc.value
            .pointer("/extensions/ignore")
            .cloned()
            .unwrap_or(Value::Null),
    );
    let mut root = Map::new();
    root.insert("meta".into(), json!({"name": name, "type": "collection"}));
    defaults_json(doc, &mut root, false);
    put(
        &mut root,
        "docs",
        Value::String(oc_text(doc.value.get("docs")).unwrap_or_default()),
    );
    Ok(CollectionRoot {
        config: Value::Object(config),
        root: Value::Object(root),
    })
}

// ---- environments ----

fn environment_value(name: &str, json: &Value) -> Value {
    let vars: Vec<Value> = arr(json.get("variables"))
        .iter()
        .map(|v| {
            let secret = v.get("secret").and_then(Value::as_bool).unwrap_or(false);
            let mut m = Map::new();
            m.insert("name".into(), Value::String(s(v.get("name"))));
            if secret {
                m.insert("secret".into(), Value::Bool(true));
            } else {
                m.insert("value".into(), Value::String(s(v.get("value"))));
            }
            if let Some(d) = description(v) {
                m.insert("description".into(), Value::String(d));
            }
            if !enabled(v) {
                m.insert("disabled".into(), Value::Bool(true));
            }
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("name".into(), Value::String(name.to_owned()));
    put(
        &mut out,
        "color",
        json.get("color").cloned().unwrap_or(Value::Null),
    );
    put(&mut out, "variables", Value::Array(vars));
    Value::Object(out)
}

fn environment_json(doc: &Doc) -> Result<Value, ParseError> {
    if !doc.value.is_object() && !doc.value.is_null() {
        return Err(doc.error("", "an environment: a mapping with `name` and `variables`"));
    }
    check_shapes(
        doc,
        &[
            ("/name", Shape::Text),
            ("/color", Shape::Text),
            ("/variables", Shape::List),
        ],
    )?;
    let vars: Vec<Value> = arr(doc.value.get("variables"))
        .iter()
        .map(|v| {
            let secret = v.get("secret").and_then(Value::as_bool).unwrap_or(false)
                || v.get("transient").and_then(Value::as_bool).unwrap_or(false);
            let mut m = Map::new();
            m.insert("name".into(), Value::String(s(v.get("name"))));
            m.insert(
                "value".into(),
                Value::String(if secret {
                    String::new()
                } else {
                    s(v.get("value"))
                }),
            );
            m.insert("enabled".into(), Value::Bool(!disabled(v)));
            m.insert("secret".into(), Value::Bool(secret));
            with_description(m, oc_text(v.get("description")))
        })
        .collect();
    let mut out = Map::new();
    out.insert("variables".into(), Value::Array(vars));
    put(&mut out, "color", Value::String(s(doc.value.get("color"))));
    Ok(Value::Object(out))
}

// ---- what did not survive ----

/// Drops what carries no data (null, "", [], {}), so that an absent block and an empty
/// one compare equal.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), normalise(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(t) => t.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Scalars that mean the same to Bruno: `seq` 1 and "1", `ws` and `websocket`.
fn same_scalar(a: &Value, b: &Value) -> bool {
    let t = |v: &Value| match v {
        Value::String(x) if x == "websocket" => "ws".to_owned(),
        Value::String(x) => x.clone(),
        other => other.to_string(),
    };
    a == b || t(a) == t(b)
}

/// Paths of `orig` that `back` does not hold the same, as `field: reason` lines.
fn losses(orig: &Value, back: &Value, reason: &str) -> Vec<String> {
    let mut out = Vec::new();
    diff(
        &normalise(orig),
        &normalise(back),
        &mut String::new(),
        reason,
        &mut out,
    );
    out
}

fn diff(a: &Value, b: &Value, path: &mut String, reason: &str, out: &mut Vec<String>) {
    const MAX_REPORTED: usize = 200;
    if out.len() >= MAX_REPORTED {
        return;
    }
    let shown = |p: &str| {
        if p.is_empty() {
            "(file)".to_owned()
        } else {
            p.to_owned()
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match y.get(k) {
                    Some(w) => diff(v, w, path, reason, out),
                    None => out.push(format!("{}: {reason}", shown(path))),
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, v) in x.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                match y.get(i) {
                    Some(w) => diff(v, w, path, reason, out),
                    None => out.push(format!("{}: {reason}", shown(path))),
                }
                path.truncate(len);
            }
        }
        (x, y) if x.is_object() || x.is_array() || y.is_object() || y.is_array() => {
            out.push(format!("{}: {reason}", shown(path)));
        }
        (x, y) if !same_scalar(x, y) => out.push(format!("{}: {reason}", shown(path))),
        _ => {}
    }
}

const NOT_IN_YAML: &str = "has no OpenCollection YAML form, not written";
const NOT_IN_BRU: &str = "has no .bru form, not written";

// ---- the public conversions ----

/// A request file's parser JSON (strict or OpenAlgo mode) as OpenCollection YAML.
pub fn request_to_yaml(json: &Value) -> Converted<String> {
    let oc = request_value(json);
    let text = yaml::dump(&oc);
    let lost = match yaml::load(&text).and_then(|d| request_json(&d)) {
        Ok(back) => losses(json, &back, NOT_IN_YAML),
        Err(e) => vec![format!("(file): the written YAML does not read back ({e})")],
    };
    Converted { value: text, lost }
}

/// A YAML request file as the parser JSON of the equivalent `.bru` file, and what the
/// `.bru` form cannot hold.
pub fn request_from_yaml(src: &str) -> Result<Converted<Value>, ParseError> {
    let doc = yaml::load(src)?;
    let json = request_json(&doc)?;
    let lost = losses(&doc.value, &request_value(&json), NOT_IN_BRU);
    Ok(Converted { value: json, lost })
}

/// `folder.bru`'s parser JSON as `folder.yml`.
pub fn folder_to_yaml(json: &Value) -> Converted<String> {
    let text = yaml::dump(&folder_value(json));
    let lost = match yaml::load(&text).and_then(|d| folder_json(&d)) {
        Ok(back) => losses(json, &back, NOT_IN_YAML),
        Err(e) => vec![format!("(file): the written YAML does not read back ({e})")],
    };
    Converted { value: text, lost }
}

/// `folder.yml` as `folder.bru`'s parser JSON.
pub fn folder_from_yaml(src: &str) -> Result<Converted<Value>, ParseError> {
    let doc = yaml::load(src)?;
    let json = folder_json(&doc)?;
    let lost = losses(&doc.value, &folder_value(&json), NOT_IN_BRU);
    Ok(Converted { value: json, lost })
}

/// `bruno.json` and `collection.bru`'s parser JSON as `opencollection.yml`.
pub fn collection_to_yaml(config: &Value, root: &Value) -> Converted<String> {
    let text = yaml::dump(&collection_value(config, root));
    let lost = match yaml::load(&text).and_then(|d| collection_json(&d)) {
        Ok(back) => {
            let mut l = losses(config, &back.config, NOT_IN_YAML);
            l.iter_mut().for_each(|x| x.insert_str(0, "bruno.json: "));
            let mut r = losses(root, &back.root, NOT_IN_YAML);
            r.iter_mut()
                .for_each(|x| x.insert_str(0, "collection.bru: "));
            l.extend(r);
            l
        }
        Err(e) => vec![format!("(file): the written YAML does not read back ({e})")],
    };
    Converted { value: text, lost }
}

/// `opencollection.yml` as `bruno.json` and `collection.bru`'s parser JSON.
pub fn collection_from_yaml(src: &str) -> Result<Converted<CollectionRoot>, ParseError> {
    let doc = yaml::load(src)?;
    let c = collection_json(&doc)?;
    let lost = losses(
        &doc.value,
        &collection_value(&c.config, &c.root),
        NOT_IN_BRU,
    );
    Ok(Converted { value: c, lost })
}

/// An environment's parser JSON as YAML; `name` is the environment's (its file name).
pub fn environment_to_yaml(name: &str, json: &Value) -> Converted<String> {
    let text = yaml::dump(&environment_value(name, json));
    let lost = match yaml::load(&text).and_then(|d| environment_json(&d)) {
        Ok(back) => losses(json, &back, NOT_IN_YAML),
        Err(e) => vec![format!("(file): the written YAML does not read back ({e})")],
    };
    Converted { value: text, lost }
}

/// A YAML environment as the `.bru` environment parser's JSON. `name` is the file's
/// name, which is what Bruno calls the environment; a different `name` inside is reported.
pub fn environment_from_yaml(name: &str, src: &str) -> Result<Converted<Value>, ParseError> {
    let doc = yaml::load(src)?;
    let json = environment_json(&doc)?;
    let lost = losses(&doc.value, &environment_value(name, &json), NOT_IN_BRU);
    Ok(Converted { value: json, lost })
}
