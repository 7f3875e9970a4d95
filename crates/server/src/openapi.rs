//! The OpenAPI 3.1 document of `/api/v1`, generated from what the server itself uses: each
//! endpoint's request schema (the marshmallow-compatible field tables its extractor
//! validates with: names, kinds, enums, bounds, required), its error bodies (the 400 is what
//! the endpoint's own validation answers to an empty request, the 403 and 429 what the key
//! check and the rate limiter answer) and, from the playground's Bruno collection, each
//! operation's name, folder, documentation and example request.
//!
//! Served at `/playground/openapi.json` and printed by `algogate openapi`. The table of
//! operations below names the endpoint type each route's handler extracts; a test checks it
//! against the router's own route tables, and another sends every documented operation to
//! a running server.

use algogate_app::ratelimit::{Limit, RateLimits, route_of};
use serde_json::{Map, Value, json};

use crate::api_v1::{self, account, calendar, chart, gtt, market, options, orders};
use crate::error::{ApiError, ErrorStyle};
use crate::extract::Endpoint;
use crate::openalgo::orders::{LEG_FIELDS, MARGIN_LEG_FIELDS};
use crate::openalgo::schema::{Field, Kind};
use crate::playground::Snapshot;

/// The value shown for the key in examples (the real one never appears here).
const KEY_PLACEHOLDER: &str = "YOUR_OPENALGO_API_KEY";

/// A list field an endpoint validates beside its flat fields (basket legs, margin legs).
#[derive(Debug, Clone, Copy)]
struct ListDoc {
    name: &'static str,
    items: &'static [Field],
    len: Option<(usize, usize)>,
}

/// One operation: a route of the router and the endpoint type its handler extracts.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// `get` or `post`.
    pub method: &'static str,
    /// The path under `/api/v1`, with `{name}` for path parameters.
    pub path: &'static str,
    fields: &'static [Field],
    ignored: &'static [&'static str],
    style: ErrorStyle,
    list: Option<ListDoc>,
    /// The 400 body of an empty request, from the endpoint's own validation.
    empty_request_error: fn() -> Value,
}

fn empty_error<E: Endpoint>() -> Value {
    match E::validate(&json!({})) {
        Err(e) => e.status_and_body(None).1,
        Ok(_) => Value::Null,
    }
}

/// A GET endpoint's query parameters arrive as `None` when missing (`request.args.get`),
/// which marshmallow reports as null, not missing.
fn empty_query_error<E: Endpoint>() -> Value {
    let nulls: Map<String, Value> = E::FIELDS
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.name.to_owned(), Value::Null))
        .collect();
    match E::validate(&Value::Object(nulls)) {
        Err(e) => e.status_and_body(None).1,
        Ok(_) => Value::Null,
    }
}

const fn post<E: Endpoint>(path: &'static str) -> Operation {
    Operation {
        method: "post",
        path,
        fields: E::FIELDS,
        ignored: E::IGNORED,
        style: E::STYLE,
        list: None,
        empty_request_error: empty_error::<E>,
    }
}

const fn get<E: Endpoint>(path: &'static str) -> Operation {
    Operation {
        method: "get",
        path,
        fields: E::FIELDS,
        ignored: E::IGNORED,
        style: E::STYLE,
        list: None,
        empty_request_error: empty_query_error::<E>,
    }
}

const fn with_list(mut op: Operation, list: ListDoc) -> Operation {
    op.list = Some(list);
    op
}

/// Every `/api/v1` operation, with the endpoint type its handler takes.
pub const OPERATIONS: &[Operation] = &[
    post::<api_v1::Ping>("/ping"),
    post::<orders::PlaceOrder>("/placeorder"),
    post::<orders::PlaceSmartOrder>("/placesmartorder"),
    post::<orders::ModifyOrder>("/modifyorder"),
    post::<orders::CancelOrder>("/cancelorder"),
    post::<orders::CancelAll>("/cancelallorder"),
    post::<orders::ClosePosition>("/closeposition"),
    post::<orders::OrderStatus>("/orderstatus"),
    post::<orders::OpenPosition>("/openposition"),
    with_list(
        post::<orders::BasketOrder>("/basketorder"),
        ListDoc {
            name: "orders",
            items: LEG_FIELDS,
            len: None,
        },
    ),
    post::<orders::SplitOrder>("/splitorder"),
    with_list(
        post::<orders::Margin>("/margin"),
        ListDoc {
            name: "positions",
            items: MARGIN_LEG_FIELDS,
            len: Some((1, 50)),
        },
    ),
    post::<account::KeyOnly>("/funds"),
    post::<account::KeyOnly>("/orderbook"),
    post::<account::KeyOnly>("/tradebook"),
    post::<account::KeyOnly>("/positionbook"),
    post::<account::KeyOnly>("/holdings"),
    post::<account::AnalyzerToggle>("/analyzer/toggle"),
    post::<calendar::Holidays>("/market/holidays"),
    post::<calendar::Timings>("/market/timings"),
    post::<account::KeyOnly>("/pnl/symbols"),
    post::<options::OptionSymbol>("/optionsymbol"),
    post::<options::OptionChain>("/optionchain"),
    post::<options::OptionGreeks>("/optiongreeks"),
    with_list(
        post::<options::MultiOptionGreeks>("/multioptiongreeks"),
        ListDoc {
            name: "symbols",
            items: crate::openalgo::options::GREEKS_ITEM,
            len: Some((1, crate::openalgo::options::MAX_GREEKS_SYMBOLS)),
        },
    ),
    post::<options::SyntheticFuture>("/syntheticfuture"),
    get::<chart::ChartGet>("/chart"),
    post::<chart::ChartPost>("/chart"),
    post::<gtt::PlaceGtt>("/placegttorder"),
    post::<gtt::ModifyGtt>("/modifygttorder"),
    post::<gtt::CancelGtt>("/cancelgttorder"),
    post::<gtt::GttBook>("/gttorderbook"),
    post::<options::OptionsOrder>("/optionsorder"),
    with_list(
        post::<options::OptionsMultiOrder>("/optionsmultiorder"),
        ListDoc {
            name: "legs",
            items: crate::openalgo::option_orders::LEG,
            len: Some((1, crate::openalgo::option_orders::MAX_LEGS)),
        },
    ),
    post::<market::Quotes>("/quotes"),
    post::<market::MultiQuotes>("/multiquotes"),
    post::<market::Depth>("/depth"),
    post::<market::History>("/history"),
    post::<market::Intervals>("/intervals"),
    post::<market::SymbolLookup>("/symbol"),
    post::<market::Search>("/search"),
    post::<market::Expiry>("/expiry"),
    post::<market::Analyzer>("/analyzer"),
    get::<market::Instruments>("/instruments"),
    get::<market::Ticker>("/ticker/{ticker}"),
];

// ---- schemas from the field tables ----

fn with_null(mut schema: Map<String, Value>) -> Map<String, Value> {
    let ty = match schema.remove("type") {
        Some(Value::Array(mut list)) => {
            list.push(json!("null"));
            Value::Array(list)
        }
        Some(t) => json!([t, "null"]),
        None => json!("null"),
    };
    schema.insert("type".into(), ty);
    schema
}

/// The JSON Schema of one field in a JSON body.
fn field_schema(f: &Field) -> Value {
    let mut s = match f.kind {
        Kind::Str { min, max } => {
            let mut m = Map::new();
            m.insert("type".into(), json!("string"));
            if min > 0 {
                m.insert("minLength".into(), json!(min));
            }
            if max != usize::MAX {
                m.insert("maxLength".into(), json!(max));
            }
            m
        }
        Kind::OneOf(choices) => obj(json!({"type": "string", "enum": choices})),
        Kind::LowerOneOf(choices) => obj(json!({
            "type": "string",
            "examples": choices,
            "description": format!("One of {} (any case).", choices.join(", ")),
        })),
        Kind::Float => obj(json!({
            "type": ["number", "string"],
            "description": "A number, or a string holding one.",
        })),
        Kind::Int => obj(json!({
            "type": ["integer", "number", "string"],
            "description": "An integer (a fractional number is truncated), or a string holding one.",
        })),
        Kind::Bool => obj(json!({
            "type": ["boolean", "integer", "string"],
            "description": "true/false, 1/0, or a string such as \"true\", \"yes\", \"on\".",
        })),
        Kind::Date => obj(json!({"type": "string", "format": "date"})),
        Kind::List { item, min, max } => {
            let mut m = obj(json!({"type": "array", "items": object_schema(item, None)}));
            if min > 0 {
                m.insert("minItems".into(), json!(min));
            }
            if max != usize::MAX {
                m.insert("maxItems".into(), json!(max));
            }
            m
        }
    };
    if f.nullable {
        s = with_null(s);
    }
    Value::Object(s)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A request body's schema: its fields, the extra list, unknown fields refused.
fn object_schema(fields: &[Field], list: Option<ListDoc>) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in fields {
        props.insert(f.name.to_owned(), field_schema(f));
        if f.required {
            required.push(f.name);
        }
    }
    if let Some(l) = list {
        let mut m = obj(json!({"type": "array", "items": object_schema(l.items, None)}));
        if let Some((lo, hi)) = l.len {
            m.insert("minItems".into(), json!(lo));
            m.insert("maxItems".into(), json!(hi));
        }
        props.insert(l.name.to_owned(), Value::Object(m));
        required.push(l.name);
    }
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// A query parameter's schema: every value is text there.
fn query_schema(f: &Field) -> Value {
    match f.kind {
        Kind::OneOf(choices) => json!({"type": "string", "enum": choices}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        Kind::Str { min, max } => {
            let mut m = obj(json!({"type": "string"}));
            if min > 0 {
                m.insert("minLength".into(), json!(min));
            }
            if max != usize::MAX {
                m.insert("maxLength".into(), json!(max));
            }
            Value::Object(m)
        }
        _ => {
            let mut s = field_schema(f);
            if let Some(m) = s.as_object_mut() {
                m.insert("type".into(), json!("string"));
            }
            s
        }
    }
}

// ---- the collection's side: names, folders, docs, examples ----

/// What the collection says about one operation.
#[derive(Debug, Default)]
struct FromCollection {
    summary: Option<String>,
    tag: Option<String>,
    docs: Option<String>,
    body: Option<Value>,
    query: Vec<(String, String)>,
}

/// The request files of the collection: (folder, parser JSON).
fn collection_requests(bruno: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for item in bruno["items"].as_array().into_iter().flatten() {
        if item["type"] == "folder" {
            let folder = item["name"].as_str().unwrap_or_default().to_owned();
            for r in item["items"].as_array().into_iter().flatten() {
                out.push((folder.clone(), &r["data"]));
            }
        } else {
            out.push((String::new(), &item["data"]));
        }
    }
    out
}

/// `/api/v1/ticker/NSE:SBIN?x` → `/ticker/NSE:SBIN`.
fn api_path(url: &str) -> Option<&str> {
    let at = url.find("/api/v1/")?;
    url[at + "/api/v1".len()..].split(['?', '#']).next()
}

/// Whether a concrete path (`/ticker/NSE:SBIN`) is an instance of `template`.
fn matches_template(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}') && !b.is_empty()))
}

fn blank_key(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        for k in ["apikey", "api_key"] {
            if let Some(slot) = m.get_mut(k) {
                *slot = json!(KEY_PLACEHOLDER);
            }
        }
    }
}

fn from_collection(op: &Operation, requests: &[(String, &Value)]) -> FromCollection {
    let found = requests.iter().find(|(_, json)| {
        let view = algogate_bruno::RequestView::from_json(json);
        view.method.eq_ignore_ascii_case(op.method)
            && api_path(&view.url).is_some_and(|p| matches_template(op.path, p))
    });
    let Some((folder, json)) = found else {
        return FromCollection::default();
    };
    let view = algogate_bruno::RequestView::from_json(json);
    let body = view
        .body_json
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .map(|mut b| {
            blank_key(&mut b);
            b
        });
    let query = view
        .query
        .iter()
        .filter(|q| q.enabled)
        .map(|q| {
            let v = if q.name == "apikey" {
                KEY_PLACEHOLDER.to_owned()
            } else {
                q.value.clone()
            };
            (q.name.clone(), v)
        })
        .collect();
    FromCollection {
        summary: Some(view.name.clone()).filter(|n| !n.is_empty()),
        tag: Some(folder.clone()).filter(|f| !f.is_empty()),
        docs: view.docs.clone().filter(|d| !d.trim().is_empty()),
        body,
        query,
    }
}

// ---- the document ----

fn error_schema_ref(style: ErrorStyle) -> Value {
    let name = match style {
        ErrorStyle::Dict => "SchemaErrorDict",
        ErrorStyle::Repr => "SchemaErrorRepr",
        ErrorStyle::ReprAnalyze => "SchemaErrorAnalyze",
        ErrorStyle::Errors | ErrorStyle::ErrorsFailed => "SchemaErrorErrors",
    };
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The first limit of an operation's rate-limit class, for the 429 example.
fn limit_for(path: &str, limits: &RateLimits) -> Limit {
    let concrete = path.replace("{ticker}", "NSE:SBIN");
    let (_, class) = route_of(&concrete);
    limits.for_class(class).first().copied().unwrap_or(Limit {
        count: 10,
        window_ms: 1000,
    })
}

fn operation(op: &Operation, requests: &[(String, &Value)], limits: &RateLimits) -> Value {
    let c = from_collection(op, requests);
    let id = op
        .path
        .trim_start_matches('/')
        .replace(['/', '{', '}'], "_");
    let id = id.trim_end_matches('_');
    // A path served by two methods (`/chart`) names the GET one apart.
    let shared = OPERATIONS
        .iter()
        .any(|x| x.path == op.path && x.method != op.method);
    let id = if shared && op.method == "get" {
        format!("get_{id}")
    } else {
        id.to_owned()
    };
    let id = id.as_str();
    let mut o = Map::new();
    o.insert("operationId".into(), json!(id));
    o.insert(
        "summary".into(),
        json!(c.summary.clone().unwrap_or_else(|| id.to_owned())),
    );
    if let Some(d) = &c.docs {
        o.insert("description".into(), json!(d));
    }
    o.insert(
        "tags".into(),
        json!([c.tag.clone().unwrap_or_else(|| "other".into())]),
    );
    if op.method == "get" {
        let mut params: Vec<Value> = Vec::new();
        if op.path.contains("{ticker}") {
            params.push(json!({
                "name": "ticker",
                "in": "path",
                "required": true,
                "description": "EXCHANGE:SYMBOL, e.g. NSE:RELIANCE.",
                "schema": {"type": "string", "pattern": "^[A-Z_]+:.+$"},
                "example": "NSE:RELIANCE",
            }));
        }
        for f in op.fields {
            let mut p = json!({
                "name": f.name,
                "in": "query",
                "required": f.required,
                "schema": query_schema(f),
            });
            if let Some((_, v)) = c.query.iter().find(|(k, _)| k == f.name) {
                p["example"] = json!(v);
            }
            params.push(p);
        }
        for name in op.ignored {
            params.push(json!({
                "name": name,
                "in": "query",
                "required": false,
                "description": "Accepted for compatibility and ignored.",
                "schema": {"type": "string"},
            }));
        }
        o.insert("parameters".into(), Value::Array(params));
    } else {
        let mut media = Map::new();
        media.insert("schema".into(), object_schema(op.fields, op.list));
        if let Some(b) = &c.body {
            media.insert("example".into(), b.clone());
        }
        o.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "description": "JSON (any Content-Type is read as JSON, as OpenAlgo does).",
                "content": {"application/json": media},
            }),
        );
    }
    // A `format` field offering text formats (ticker's txt, instruments' csv) adds them.
    let mut ok_content = Map::new();
    ok_content.insert(
        "application/json".into(),
        json!({"schema": {"$ref": "#/components/schemas/Success"}}),
    );
    if let Some(Kind::LowerOneOf(choices)) = op
        .fields
        .iter()
        .find(|f| f.name == "format")
        .map(|f| f.kind)
    {
        for (choice, media) in [("txt", "text/plain"), ("csv", "text/csv")] {
            if choices.contains(&choice) {
                ok_content.insert(
                    media.into(),
                    json!({"schema": {"type": "string", "description": format!("With format={choice}.")}}),
                );
            }
        }
    }
    // The key in the body (`apikey`, or the query on GET: no scheme) or in a header.
    o.insert(
        "security".into(),
        json!([{}, {"ApiKeyHeader": []}, {"BearerKey": []}]),
    );
    let forbidden = ApiError::InvalidKey.status_and_body(None).1;
    let limited = crate::middleware::too_many_body(1000, limit_for(op.path, limits));
    o.insert(
        "responses".into(),
        json!({
            "200": {
                "description": "Success.",
                "content": ok_content,
            },
            "400": {
                "description": "The body failed validation (every field's messages, as OpenAlgo's marshmallow schemas give them), or the request was refused.",
                "content": {"application/json": {
                    "schema": error_schema_ref(op.style),
                    "example": (op.empty_request_error)(),
                }},
            },
            "403": {
                "description": "The API key is not valid.",
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"},
                    "example": forbidden,
                }},
            },
            "429": {
                "description": "Rate limit exceeded for this route.",
                "headers": {"Retry-After": {
                    "description": "Seconds to wait.",
                    "schema": {"type": "integer"},
                }},
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RateLimited"},
                    "example": limited,
                }},
            },
        }),
    );
    Value::Object(o)
}

fn components() -> Value {
    json!({
    "securitySchemes": {
        "ApiKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-KEY",
            "description": "The API key in a header instead of the `apikey` field; the field may then be left out (a different value in both is a 400).",
        },
        "BearerKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "The API key as `Authorization: Bearer <key>`.",
        },
    },
    "schemas": {
        "Success": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"const": "success"}},
            "additionalProperties": true,
        },
        "Error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": "string"},
            },
        },
        "SchemaErrorDict": {
            "type": "object",
            "description": "Schema errors as an object: field → list of messages (list fields: item index → the item's errors); other refusals as a message string.",
            "required": ["status", "message"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": ["object", "string"]},
            },
        },
        "SchemaErrorRepr": {
            "type": "object",
            "description": "Schema errors as the Python repr of marshmallow's dict, e.g. \"{'quantity': ['Missing data for required field.']}\".",
            "required": ["status", "message"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": "string"},
            },
        },
        "SchemaErrorErrors": {
            "type": "object",
            "description": "The options endpoints' schema errors: message \"Validation error\" (\"Validation failed\" for the greeks), field → messages under errors; other refusals as a message alone.",
            "required": ["status", "message"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": "string"},
                "errors": {"type": "object"},
            },
        },
        "SchemaErrorAnalyze": {
            "type": "object",
            "description": "As SchemaErrorRepr, with the sandbox's mode; also the body of sandbox rejections (insufficient funds, unknown symbol, ...).",
            "required": ["status", "message", "mode"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": "string"},
                "mode": {"const": "analyze"},
            },
        },
        "RateLimited": {
            "type": "object",
            "required": ["status", "message", "retry_after"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": "string"},
                "retry_after": {"type": "integer", "minimum": 0},
            },
        },
    }})
}

/// The document, from the collection snapshot and the rate limits in force.
pub fn document(catalog: &Snapshot, limits: &RateLimits) -> Value {
    let requests = collection_requests(&catalog.bruno);
    let mut paths = Map::new();
    for op in OPERATIONS {
        let entry = paths
            .entry(format!("/api/v1{}", op.path))
            .or_insert_with(|| json!({}));
        entry[op.method] = operation(op, &requests, limits);
    }
    let mut tags: Vec<String> = Vec::new();
    for p in paths.values() {
        for o in p.as_object().into_iter().flat_map(|m| m.values()) {
            for t in o["tags"].as_array().into_iter().flatten() {
                if let Some(t) = t.as_str()
                    && !tags.iter().any(|x| x == t)
                {
                    tags.push(t.to_owned());
                }
            }
        }
    }
    let description = catalog.bruno["root"]["docs"]
        .as_str()
        .unwrap_or("OpenAlgo-compatible REST API v1 served by algogate.");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "algogate API v1",
            "version": env!("CARGO_PKG_VERSION"),
            "description": description,
        },
        "servers": [{"url": "/", "description": "This server."}],
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": paths,
        "components": components(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::{build, embedded_files};

    fn doc() -> Value {
        document(&build(&embedded_files()), &RateLimits::default())
    }

    #[test]
    fn every_operation_takes_the_key_in_the_body_or_a_header() {
        let d = doc();
        let schemes = &d["components"]["securitySchemes"];
        assert_eq!(schemes["ApiKeyHeader"]["name"], "X-API-KEY");
        assert_eq!(schemes["BearerKey"]["scheme"], "bearer");
        for (path, item) in d["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert_eq!(
                    op["security"],
                    json!([{}, {"ApiKeyHeader": []}, {"BearerKey": []}]),
                    "{method} {path}"
                );
            }
        }
    }

    /// The routes the router registers, read from its own route tables (`api_v1/mod.rs`
    /// and `api_v1/market.rs`): every `"path", get(` / `"path", post(` entry.
    fn router_routes() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for src in [
            include_str!("api_v1/mod.rs"),
            include_str!("api_v1/market.rs"),
        ] {
            let code: String = src
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let mut rest = code.as_str();
            while let Some(q) = rest.find('"') {
                let after = &rest[q + 1..];
                let Some(end) = after.find('"') else { break };
                let lit = &after[..end];
                let tail = after[end + 1..].trim_start();
                rest = &after[end + 1..];
                let Some(tail) = tail.strip_prefix(',') else {
                    continue;
                };
                let tail = tail.trim_start();
                for m in ["get", "post"] {
                    if tail.starts_with(&format!("{m}(")) && !lit.contains(' ') {
                        let path = if lit.starts_with('/') {
                            lit.to_owned()
                        } else {
                            format!("/{lit}")
                        };
                        out.push((m.to_owned(), path.clone()));
                        // A second method chained on the same route: `post(a).get(b)`.
                        let route = tail.split("),\n").next().unwrap_or("");
                        for other in ["get", "post"] {
                            if other != m && route.contains(&format!(").{other}(")) {
                                out.push((other.to_owned(), path.clone()));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_api_v1_route_of_the_router_is_documented() {
        let doc = doc();
        let routes = router_routes();
        assert!(routes.len() >= 29, "{routes:?}");
        for (method, path) in &routes {
            let trimmed = path.trim_end_matches('/');
            let found = doc["paths"].as_object().unwrap().iter().any(|(p, ops)| {
                let p = p.strip_prefix("/api/v1").unwrap();
                let same = p == trimmed
                    // `/ticker/` is the templated route with an empty parameter.
                    || (path.ends_with('/') && p.starts_with(path.as_str()) && p[path.len()..].starts_with('{'));
                same && ops.get(method.as_str()).is_some()
            });
            assert!(found, "{method} {path} is not in the document");
        }
        // And nothing is documented that the router does not have.
        for op in OPERATIONS {
            assert!(
                routes.iter().any(|(m, p)| m == op.method && p == op.path),
                "{} {} is not a route",
                op.method,
                op.path
            );
        }
    }

    #[test]
    fn request_schemas_come_from_the_field_tables() {
        let doc = doc();
        let place = &doc["paths"]["/api/v1/placeorder"]["post"];
        let schema = &place["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            schema["required"],
            json!([
                "apikey", "strategy", "exchange", "symbol", "action", "quantity"
            ])
        );
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["properties"]["pricetype"]["enum"],
            json!(["MARKET", "LIMIT", "SL", "SL-M"])
        );
        assert_eq!(schema["properties"]["strategy"]["maxLength"], 255);
        assert_eq!(
            schema["properties"]["underlying_ltp"]["type"],
            json!(["number", "string", "null"])
        );
        let ex = &place["requestBody"]["content"]["application/json"]["example"];
        assert_eq!(ex["symbol"], "SBIN");
        assert_eq!(ex["apikey"], KEY_PLACEHOLDER);
        assert_eq!(place["summary"], "Place Order");
        assert_eq!(place["tags"], json!(["orders"]));
        assert!(
            place["description"]
                .as_str()
                .unwrap()
                .contains("paper broker")
        );
        assert_eq!(
            place["responses"]["400"]["content"]["application/json"]["example"]["message"],
            json!(
                "{'apikey': ['Missing data for required field.'], 'strategy': ['Missing data for required field.'], 'exchange': ['Missing data for required field.'], 'symbol': ['Missing data for required field.'], 'action': ['Missing data for required field.'], 'quantity': ['Missing data for required field.']}"
            )
        );
        assert_eq!(
            place["responses"]["403"]["content"]["application/json"]["example"],
            json!({"status": "error", "message": "Invalid openalgo apikey"})
        );
        let limited = &place["responses"]["429"]["content"]["application/json"]["example"];
        assert_eq!(limited["retry_after"], 1);
        assert!(
            limited["message"]
                .as_str()
                .unwrap()
                .starts_with("Rate limit exceeded (")
        );

        let basket = &doc["paths"]["/api/v1/basketorder"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert_eq!(
            basket["properties"]["orders"]["items"]["required"],
            json!(["exchange", "symbol", "action", "quantity"])
        );
        let margin = &doc["paths"]["/api/v1/margin"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert_eq!(margin["properties"]["positions"]["maxItems"], 50);
        let quotes = &doc["paths"]["/api/v1/multiquotes"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert_eq!(quotes["properties"]["symbols"]["maxItems"], 500);

        let ticker = &doc["paths"]["/api/v1/ticker/{ticker}"]["get"];
        let names: Vec<&str> = ticker["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "ticker", "apikey", "interval", "from", "to", "format", "adjusted", "sort"
            ]
        );
        assert!(ticker["responses"]["200"]["content"]["text/plain"].is_object());
        let instruments = &doc["paths"]["/api/v1/instruments"]["get"]["responses"]["200"];
        assert!(instruments["content"]["text/csv"].is_object());
        assert_eq!(
            ticker["responses"]["400"]["content"]["application/json"]["example"]["message"]["apikey"],
            json!(["Field may not be null."])
        );
        let dict = &doc["paths"]["/api/v1/quotes"]["post"]["responses"]["400"]["content"]["application/json"]
            ["example"];
        assert_eq!(
            dict["message"]["symbol"],
            json!(["Missing data for required field."])
        );
    }

    #[test]
    fn operation_ids_are_unique_and_no_key_leaks() {
        let doc = doc();
        let mut ids = Vec::new();
        for ops in doc["paths"].as_object().unwrap().values() {
            for o in ops.as_object().unwrap().values() {
                ids.push(o["operationId"].as_str().unwrap().to_owned());
            }
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert_eq!(n, OPERATIONS.len());
        assert!(!doc.to_string().contains("{{apikey}}"));
    }
}
