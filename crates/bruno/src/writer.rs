//! JSON model → `.bru` text in Bruno's canonical layout (`jsonToBru`,
//! `jsonToCollectionBru`, `jsonToEnv`).
//!
//! Differences from Bruno, all so that parse → write → parse keeps the data:
//! keys are quoted whenever the grammar needs it (also in vars, `meta`, and for
//! tabs), assert names are never quoted, disabled path params keep their `~`,
//! extra keys of `http`/`ws`/`grpc` blocks are kept, list values are written as
//! lists, and the parser's `oauth2_additional_parameters_*` arrays are written.

use serde_json::{Map, Value};

use crate::js::indent;

const METHODS: [&str; 9] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect",
];

fn s(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(x)) => x.clone(),
        Some(Value::Array(a)) => a.iter().map(|x| s(Some(x))).collect::<Vec<_>>().join(","),
        Some(other) => other.to_string(),
    }
}

/// `getKeyString`, also quoting tabs (which would end an unquoted key).
fn key_string(k: &str) -> String {
    if k.contains([':', '"', '{', '}', ' ', '\t']) {
        format!("\"{}\"", k.replace('"', "\\\""))
    } else {
        k.to_owned()
    }
}

fn is_list_item(x: &Value) -> bool {
    x.as_str().is_some_and(|t| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

/// `getValueString`, writing parsed lists back as lists.
fn value_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(a)) if !a.is_empty() && a.iter().all(is_list_item) => {
            let items: Vec<String> = a.iter().map(|x| format!("  {}", s(Some(x)))).collect();
            format!("[\n{}\n]", items.join("\n"))
        }
        Some(Value::Array(_) | Value::Object(_)) => {
            multiline(&serde_json::to_string_pretty(v.unwrap_or(&Value::Null)).unwrap_or_default())
        }
        _ => multiline(&s(v)),
    }
}

fn multiline(text: &str) -> String {
    if text.contains(['\n', '\r']) {
        format!("'''\n{}\n'''", indent(text, 1))
    } else {
        text.to_owned()
    }
}

fn annotation_arg(v: &str) -> String {
    if v.contains('\'') {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        format!("'{v}'")
    }
}

fn escape_ml_description(v: &str) -> String {
    v.split("\\'")
        .collect::<Vec<_>>()
        .join("\\\\'")
        .split("'''")
        .collect::<Vec<_>>()
        .join("\\'\\'\\'")
}

/// `serializeAnnotations(buildAnnotationsFromKVItem / FromVariable)`.
fn annotations(item: &Value, typed: bool) -> String {
    let list: Vec<&Value> = item
        .get("annotations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let name_of = |a: &Value| s(a.get("name"));
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let data_type = item
        .get("dataType")
        .and_then(Value::as_str)
        .filter(|t| *t != "string");
    if typed && let Some(t) = data_type {
        out.push((t.to_owned(), None));
    }
    let is_type = |n: &str| typed && ["string", "number", "boolean", "object"].contains(&n);
    match item.get("description") {
        Some(Value::String(d)) if !d.is_empty() => {
            out.push(("description".into(), Some(d.clone())))
        }
        Some(Value::String(_)) => {}
        _ => {
            if let Some(d) = list.iter().find(|a| name_of(a) == "description") {
                out.push(("description".into(), d.get("value").map(|v| s(Some(v)))));
            }
        }
    }
    for a in list
        .iter()
        .filter(|a| name_of(a) != "description" && !is_type(&name_of(a)))
    {
        out.push((name_of(a), a.get("value").map(|v| s(Some(v)))));
    }
    out.iter()
        .map(|(n, v)| match v {
            None => format!("@{n}\n"),
            Some(v) if v.contains('\n') => {
                let body = if n == "description" {
                    escape_ml_description(v)
                } else {
                    v.clone()
                };
                format!("@{n}('''\n{}\n''')\n", indent(&body, 1))
            }
            Some(v) => format!("@{n}({})\n", annotation_arg(v)),
        })
        .collect()
}

fn enabled(item: &Value, key: &str) -> bool {
    item.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn arr(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// One `name: value` line with annotations; `prefix` is `~` or empty.
fn pair_line(item: &Value, prefix: &str, quote: bool, typed: bool) -> String {
    let name = s(item.get("name"));
    let key = if quote { key_string(&name) } else { name };
    format!(
        "{}{prefix}{key}: {}",
        annotations(item, typed),
        value_string(item.get("value"))
    )
}

/// A dictionary block, enabled entries first, then disabled ones.
fn kv_block(title: &str, items: &[&Value], quote: bool) -> String {
    if items.is_empty() {
        return String::new();
    }
    let on: Vec<String> = items
        .iter()
        .filter(|i| enabled(i, "enabled"))
        .map(|i| pair_line(i, "", quote, false))
        .collect();
    let off: Vec<String> = items
        .iter()
        .filter(|i| !enabled(i, "enabled"))
        .map(|i| pair_line(i, "~", quote, false))
        .collect();
    let mut out = format!("{title} {{");
    for group in [on, off] {
        if !group.is_empty() {
            out += &format!("\n{}", indent(&group.join("\n"), 1));
        }
    }
    out + "\n}\n\n"
}

fn text_block(title: &str, text: Option<&Value>) -> String {
    match text.and_then(Value::as_str) {
        Some(t) if !t.is_empty() => format!("{title} {{\n{}\n}}\n\n", indent(t, 1)),
        _ => String::new(),
    }
}

fn object_block(title: &str, obj: &Map<String, Value>, skip: &[&str]) -> String {
    let mut out = format!("{title} {{\n");
    for (k, v) in obj.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
        out += &format!(
            "  {}: {}\n",
            key_string(k),
            indent_value(&value_string(Some(v)))
        );
    }
    out + "}\n\n"
}

/// Re-indents continuation lines of a value written inside a block.
fn indent_value(v: &str) -> String {
    let mut lines = v.split('\n');
    let first = lines.next().unwrap_or("");
    lines.fold(first.to_owned(), |acc, l| format!("{acc}\n  {l}"))
}

fn meta_block(meta: &Map<String, Value>) -> String {
    let mut out = String::from("meta {\n");
    let tags_list = matches!(meta.get("tags"), Some(Value::Array(_)));
    for (k, v) in meta
        .iter()
        .filter(|(k, _)| !(tags_list && k.as_str() == "tags"))
    {
        out += &format!(
            "  {}: {}\n",
            key_string(k),
            indent_value(&value_string(Some(v)))
        );
    }
    if let Some(Value::Array(tags)) = meta.get("tags")
        && !tags.is_empty()
    {
        out += "  tags: [\n";
        for t in tags {
            out += &format!("    {}\n", s(Some(t)));
        }
        out += "  ]\n";
    }
    out + "}\n\n"
}

fn http_block(http: &Map<String, Value>) -> String {
    let method = s(http.get("method"));
    let mut out = if METHODS.contains(&method.as_str()) {
        format!("{method} {{")
    } else if http.contains_key("method") {
        format!("http {{\n  method: {method}")
    } else {
        "http {".to_owned()
    };
    for key in ["url", "body", "auth"] {
        if let Some(v) = http.get(key) {
            let shown = if key == "url" {
                url_value(&s(Some(v)))
            } else {
                s(Some(v))
            };
            out += &format!("\n  {key}: {shown}");
        }
    }
    for (k, v) in http
        .iter()
        .filter(|(k, _)| !["method", "url", "body", "auth"].contains(&k.as_str()))
    {
        out += &format!(
            "\n  {}: {}",
            key_string(k),
            indent_value(&value_string(Some(v)))
        );
    }
    out + "\n}\n\n"
}

/// `getValueUrl`: multi-line URLs indented by 4.
fn url_value(url: &str) -> String {
    if url.contains(['\n', '\r']) {
        format!("'''\n{}\n'''", indent(url, 2))
    } else {
        url.to_owned()
    }
}

fn auth_fields(title: &str, pairs: &[(&str, String)], trailing_blank: bool) -> String {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("  {k}: {v}")).collect();
    let blank = if trailing_blank { "\n" } else { "" };
    format!("{title} {{\n{}\n{blank}}}\n\n", body.join("\n"))
}

fn auth_blocks(auth: &Map<String, Value>) -> String {
    let f = |kind: &str, field: &str| s(auth.get(kind).and_then(|a| a.get(field)));
    let mut out = String::new();
    if auth.contains_key("awsv4") {
        let names = [
            "accessKeyId",
            "secretAccessKey",
            "sessionToken",
            "service",
            "region",
            "profileName",
        ];
        let pairs: Vec<(&str, String)> = names.iter().map(|n| (*n, f("awsv4", n))).collect();
        out += &auth_fields("auth:awsv4", &pairs, false);
    }
    for kind in ["basic", "wsse"] {
        if auth.contains_key(kind) {
            let pairs = [
                ("username", f(kind, "username")),
                ("password", f(kind, "password")),
            ];
            out += &auth_fields(&format!("auth:{kind}"), &pairs, false);
        }
    }
    if auth.contains_key("bearer") {
        out += &auth_fields("auth:bearer", &[("token", f("bearer", "token"))], false);
    }
    if auth.contains_key("digest") {
        let pairs = [
            ("username", f("digest", "username")),
            ("password", f("digest", "password")),
        ];
        out += &auth_fields("auth:digest", &pairs, false);
    }
    if auth.contains_key("ntlm") {
        let pairs = [
            ("username", f("ntlm", "username")),
            ("password", f("ntlm", "password")),
            ("domain", f("ntlm", "domain")),
        ];
        out += &auth_fields("auth:ntlm", &pairs, true);
    }
    if let Some(o) = auth.get("oauth1") {
        out += &oauth1(o);
    }
    if let Some(o) = auth.get("oauth2") {
        out += &oauth2(o);
    }
    out
}

fn auth_tail_blocks(auth: &Map<String, Value>) -> String {
    let f = |kind: &str, field: &str| s(auth.get(kind).and_then(|a| a.get(field)));
    let mut out = String::new();
    if auth.contains_key("apikey") {
        let pairs = [
            ("key", f("apikey", "key")),
            ("value", f("apikey", "value")),
            ("placement", f("apikey", "placement")),
        ];
        out += &auth_fields("auth:apikey", &pairs, false);
    }
    if auth.contains_key("akamaiEdgegrid") {
        let names = [
            "accessToken",
            "clientToken",
            "clientSecret",
            "nonce",
            "timestamp",
            "baseURL",
            "headersToSign",
            "maxBodySize",
        ];
        let pairs: Vec<(&str, String)> =
            names.iter().map(|n| (*n, f("akamaiEdgegrid", n))).collect();
        out += &auth_fields("auth:akamai-edgegrid", &pairs, false);
    }
    out
}

fn oauth1(o: &Value) -> String {
    let f = |k: &str| s(o.get(k));
    let key = if f("privateKeyType") == "file" {
        format!("@file({})", f("privateKey"))
    } else {
        indent_value(&value_string(o.get("privateKey")))
    };
    let pairs = [
        ("consumer_key", f("consumerKey")),
        ("consumer_secret", f("consumerSecret")),
        ("access_token", f("accessToken")),
        ("token_secret", f("accessTokenSecret")),
        ("callback_url", f("callbackUrl")),
        ("verifier", f("verifier")),
        ("signature_method", f("signatureMethod")),
        ("private_key", key),
        ("timestamp", f("timestamp")),
        ("nonce", f("nonce")),
        ("version", f("version")),
        ("realm", f("realm")),
        ("placement", f("placement")),
        (
            "include_body_hash",
            (o.get("includeBodyHash") == Some(&Value::Bool(true))).to_string(),
        ),
    ];
    auth_fields("auth:oauth1", &pairs, false)
}

fn oauth2(o: &Value) -> String {
    let f = |k: &str| s(o.get(k));
    let flag = |k: &str, d: bool| {
        o.get(k)
            .filter(|v| !v.is_null())
            .map_or(d.to_string(), |v| s(Some(v)))
    };
    let grant = f("grantType");
    let fields: &[(&str, &str)] = match grant.as_str() {
        "password" => &[
            ("access_token_url", "accessTokenUrl"),
            ("refresh_token_url", "refreshTokenUrl"),
            ("username", "username"),
            ("password", "password"),
            ("client_id", "clientId"),
            ("client_secret", "clientSecret"),
            ("scope", "scope"),
        ],
        "authorization_code" => &[
            ("callback_url", "callbackUrl"),
            ("authorization_url", "authorizationUrl"),
            ("access_token_url", "accessTokenUrl"),
            ("refresh_token_url", "refreshTokenUrl"),
            ("client_id", "clientId"),
            ("client_secret", "clientSecret"),
            ("scope", "scope"),
            ("state", "state"),
        ],
        "client_credentials" => &[
            ("access_token_url", "accessTokenUrl"),
            ("refresh_token_url", "refreshTokenUrl"),
            ("client_id", "clientId"),
            ("client_secret", "clientSecret"),
            ("scope", "scope"),
        ],
        "implicit" => &[
            ("callback_url", "callbackUrl"),
            ("authorization_url", "authorizationUrl"),
            ("client_id", "clientId"),
            ("scope", "scope"),
            ("state", "state"),
        ],
        _ => return String::new(),
    };
    let mut pairs: Vec<(&str, String)> = vec![("grant_type", grant.clone())];
    pairs.extend(fields.iter().map(|(k, j)| (*k, f(j))));
    if grant == "authorization_code" {
        pairs.push(("pkce", flag("pkce", false)));
    }
    if grant != "implicit" {
        pairs.push(("credentials_placement", f("credentialsPlacement")));
    }
    pairs.push(("credentials_id", f("credentialsId")));
    let source = f("tokenSource");
    pairs.push((
        "token_source",
        if source.is_empty() {
            "access_token".into()
        } else {
            source
        },
    ));
    pairs.push(("token_placement", f("tokenPlacement")));
    if f("tokenPlacement") == "header" {
        pairs.push(("token_header_prefix", f("tokenHeaderPrefix")));
    } else {
        pairs.push(("token_query_key", f("tokenQueryKey")));
    }
    pairs.push(("auto_fetch_token", flag("autoFetchToken", true)));
    if grant != "implicit" {
        pairs.push(("auto_refresh_token", flag("autoRefreshToken", false)));
    }
    auth_fields("auth:oauth2", &pairs, false)
}

fn oauth2_params(json: &Value) -> String {
    crate::semantic::OAUTH2_PARAMS
        .iter()
        .map(|(kw, key)| {
            let items = arr(json.get(*key));
            if items.is_empty() {
                return String::new();
            }
            let lines: Vec<String> = items
                .iter()
                .map(|i| pair_line(i, if enabled(i, "enabled") { "" } else { "~" }, true, false))
                .collect();
            format!("{kw} {{\n{}\n}}\n\n", indent(&lines.join("\n"), 1))
        })
        .collect()
}

fn multipart(items: &[&Value]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let ordered = items
        .iter()
        .filter(|i| enabled(i, "enabled"))
        .chain(items.iter().filter(|i| !enabled(i, "enabled")));
    let lines: Vec<String> = ordered
        .map(|i| {
            let prefix = if enabled(i, "enabled") { "" } else { "~" };
            let ct = s(i.get("contentType"));
            let ct = if ct.is_empty() {
                String::new()
            } else {
                format!(" @contentType({ct})")
            };
            let key = format!("{prefix}{}", key_string(&s(i.get("name"))));
            let value = if s(i.get("type")) == "file" {
                let files: Vec<String> = arr(i.get("value"))
                    .iter()
                    .map(|f| s(Some(f)))
                    .filter(|f| !f.is_empty())
                    .collect();
                format!("@file({})", files.join("|"))
            } else {
                value_string(i.get("value"))
            };
            format!("{}{key}: {value}{ct}", annotations(i, false))
        })
        .collect();
    format!(
        "body:multipart-form {{\n{}\n}}\n\n",
        indent(&lines.join("\n"), 1)
    )
}

fn files(items: &[&Value]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let ordered = items
        .iter()
        .filter(|i| enabled(i, "selected"))
        .chain(items.iter().filter(|i| !enabled(i, "selected")));
    let lines: Vec<String> = ordered
        .map(|i| {
            let prefix = if enabled(i, "selected") { "" } else { "~" };
            let ct = s(i.get("contentType"));
            let ct = if ct.is_empty() {
                String::new()
            } else {
                format!(" @contentType({ct})")
            };
            format!(
                "{}{prefix}file: @file({}){ct}",
                annotations(i, false),
                s(i.get("filePath"))
            )
        })
        .collect();
    format!("body:file {{\n{}\n}}\n\n", indent(&lines.join("\n"), 1))
}

fn ml_content(content: &str) -> String {
    indent(&format!("content: '''\n{}\n'''", indent(content, 1)), 1)
}

fn message_blocks(body: &Value) -> String {
    let mut out = String::new();
    for m in arr(body.get("grpc")) {
        let content = s(m.get("content"));
        let content = if content.is_empty() {
            "{}".to_owned()
        } else {
            content
        };
        out += &format!(
            "body:grpc {{\n  name: {}\n{}\n}}\n\n",
            value_string(m.get("name")),
            ml_content(&content)
        );
    }
    for m in arr(body.get("ws")) {
        out += &format!("body:ws {{\n  name: {}\n", value_string(m.get("name")));
        let ty = s(m.get("type"));
        if !ty.is_empty() {
            out += &format!("  type: {ty}\n");
        }
        if enabled(m, "selected") {
            out += "  selected: true\n";
        }
        out += &format!("{}\n}}\n\n", ml_content(&s(m.get("content"))));
    }
    out
}

fn vars_block(title: &str, items: &[&Value]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let local = |i: &Value| enabled(i, "local");
    let groups: [(bool, bool, &str); 4] = [
        (true, false, ""),
        (true, true, "@"),
        (false, false, "~"),
        (false, true, "~@"),
    ];
    let mut out = format!("{title} {{");
    for (on, loc, prefix) in groups {
        let lines: Vec<String> = items
            .iter()
            .filter(|i| enabled(i, "enabled") == on && local(i) == loc)
            .map(|i| var_line(i, prefix))
            .collect();
        if !lines.is_empty() {
            out += &format!("\n{}", indent(&lines.join("\n"), 1));
        }
    }
    out + "\n}\n\n"
}

fn var_line(item: &Value, prefix: &str) -> String {
    let name = s(item.get("name"));
    let key = match prefix.strip_prefix('~') {
        Some(rest) => format!("~{}", key_string(&format!("{rest}{name}"))),
        None => key_string(&format!("{prefix}{name}")),
    };
    format!(
        "{}{key}: {}",
        annotations(item, true),
        value_string(item.get("value"))
    )
}

fn assert_block(items: &[&Value]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let line = |i: &Value, p: &str| {
        format!(
            "{}{p}{}: {}",
            annotations(i, false),
            s(i.get("name")),
            value_string(i.get("value"))
        )
    };
    let on: Vec<String> = items
        .iter()
        .filter(|i| enabled(i, "enabled"))
        .map(|i| line(i, ""))
        .collect();
    let off: Vec<String> = items
        .iter()
        .filter(|i| !enabled(i, "enabled"))
        .map(|i| line(i, "~"))
        .collect();
    let mut out = "assert {".to_owned();
    for group in [on, off] {
        if !group.is_empty() {
            out += &format!("\n{}", indent(&group.join("\n"), 1));
        }
    }
    out + "\n}\n\n"
}

fn app_block(app: &Value) -> String {
    let on = app.get("enabled") == Some(&Value::Bool(true));
    let code = s(app.get("code"));
    if !on && code.is_empty() {
        return String::new();
    }
    let mut out = "app {\n".to_owned();
    if on {
        out += "  enabled: true\n";
    }
    if !code.is_empty() {
        out += &format!("  code: '''\n{}\n  '''\n", indent(&code, 2));
    }
    out + "}\n\n"
}

fn settings_block(settings: &Map<String, Value>) -> String {
    if settings.is_empty() {
        return String::new();
    }
    let lines: String = settings
        .iter()
        .map(|(k, v)| format!("  {k}: {}\n", s(Some(v))))
        .collect();
    format!("settings {{\n{lines}}}\n\n")
}

fn strip_last_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

fn params_blocks(params: &[&Value]) -> String {
    let of = |ty: &str| -> Vec<&Value> {
        params
            .iter()
            .copied()
            .filter(|p| s(p.get("type")) == ty)
            .collect()
    };
    kv_block("params:query", &of("query"), true) + &kv_block("params:path", &of("path"), true)
}

fn body_blocks(body: &Value) -> String {
    let mut out = String::new();
    for (kw, key) in [
        ("body:json", "json"),
        ("body:text", "text"),
        ("body:xml", "xml"),
        ("body:sparql", "sparql"),
    ] {
        out += &text_block(kw, body.get(key));
    }
    let form = arr(body.get("formUrlEncoded"));
    out += &kv_block("body:form-urlencoded", &form, true);
    out += &multipart(&arr(body.get("multipartForm")));
    out += &files(&arr(body.get("file")));
    out += &text_block("body:graphql", body.pointer("/graphql/query"));
    out += &text_block("body:graphql:vars", body.pointer("/graphql/variables"));
    out + &message_blocks(body)
}

/// Writes a request's JSON (as [`crate::parse_request`] returns it) as `.bru` text.
pub fn write_request(json: &Value) -> String {
    let empty = Map::new();
    let obj = |k: &str| json.get(k).and_then(Value::as_object);
    let mut out = String::new();
    if let Some(meta) = obj("meta") {
        out += &meta_block(meta);
    }
    if let Some(http) = obj("http").filter(|h| h.contains_key("method") || !h.is_empty()) {
        out += &http_block(http);
    }
    for kw in ["grpc", "ws"] {
        if let Some(o) = obj(kw).filter(|o| !o.is_empty()) {
            out += &object_block(kw, o, &[]);
        }
    }
    out += &params_blocks(&arr(json.get("params")));
    out += &kv_block("headers", &arr(json.get("headers")), true);
    out += &kv_block("metadata", &arr(json.get("metadata")), true);
    let auth = obj("auth").unwrap_or(&empty);
    out += &auth_blocks(auth);
    out += &oauth2_params(json);
    out += &auth_tail_blocks(auth);
    if let Some(body) = json.get("body") {
        out += &body_blocks(body);
    }
    out += &vars_block("vars:pre-request", &arr(json.pointer("/vars/req")));
    out += &vars_block("vars:post-response", &arr(json.pointer("/vars/res")));
    out += &assert_block(&arr(json.get("assertions")));
    out += &text_block("script:pre-request", json.pointer("/script/req"));
    out += &text_block("script:post-response", json.pointer("/script/res"));
    out += &text_block("tests", json.get("tests"));
    if let Some(app) = json.get("app") {
        out += &app_block(app);
    }
    out += &settings_block(obj("settings").unwrap_or(&empty));
    out += &text_block("docs", json.get("docs"));
    for ex in arr(json.get("examples")) {
        out += &format!(
            "example {{\n{}\n}}\n\n",
            indent(&crate::writer_example::write_example(ex), 1)
        );
    }
    strip_last_newline(out)
}

/// Writes `collection.bru` / `folder.bru` JSON (from [`crate::parse_collection`]).
pub fn write_collection(json: &Value) -> String {
    let empty = Map::new();
    let obj = |k: &str| json.get(k).and_then(Value::as_object);
    let mut out = String::new();
    if let Some(meta) = obj("meta") {
        out += &object_block("meta", meta, &[]);
    }
    out += &kv_block("query", &arr(json.get("query")), true);
    out += &kv_block("headers", &arr(json.get("headers")), true);
    let auth = obj("auth").unwrap_or(&empty);
    if let Some(mode) = auth.get("mode") {
        out += &format!("auth {{\n  mode: {}\n}}\n\n", s(Some(mode)));
    }
    out += &auth_blocks(auth);
    out += &oauth2_params(json);
    out += &auth_tail_blocks(auth);
    out += &vars_block("vars:pre-request", &arr(json.pointer("/vars/req")));
    out += &vars_block("vars:post-response", &arr(json.pointer("/vars/res")));
    out += &text_block("script:pre-request", json.pointer("/script/req"));
    out += &text_block("script:post-response", json.pointer("/script/res"));
    out += &text_block("tests", json.get("tests"));
    out += &text_block("docs", json.get("docs"));
    strip_last_newline(out)
}

/// Writes environment JSON (from [`crate::parse_environment`]) like `jsonToEnv`.
pub fn write_environment(json: &Value) -> String {
    let vars = arr(json.get("variables"));
    let mut out = String::new();
    if vars.is_empty() {
        out += "vars {\n}\n";
    }
    let plain: Vec<String> = vars
        .iter()
        .filter(|v| !enabled(v, "secret"))
        .map(|v| {
            let p = if enabled(v, "enabled") { "" } else { "~" };
            let line = format!(
                "{}{p}{}: {}",
                annotations(v, true),
                s(v.get("name")),
                value_string(v.get("value"))
            );
            indent(&line, 1)
        })
        .collect();
    if !plain.is_empty() {
        out += &format!("vars {{\n{}\n}}\n", plain.join("\n"));
    }
    let secret: Vec<String> = vars
        .iter()
        .filter(|v| enabled(v, "secret"))
        .map(|v| {
            let p = if enabled(v, "enabled") { "" } else { "~" };
            indent(
                &format!("{}{p}{}", annotations(v, true), s(v.get("name"))),
                1,
            )
        })
        .collect();
    if !secret.is_empty() {
        out += &format!("vars:secret [\n{}\n]\n", secret.join(",\n"));
    }
    if let Some(ext) = json.get("externalSecrets") {
        out += &external_secrets(ext);
    }
    if let Some(c) = json
        .get("color")
        .map(|c| s(Some(c)))
        .filter(|c| !c.is_empty())
    {
        out += &format!("color: {c}\n");
    }
    out
}

fn external_secrets(ext: &Value) -> String {
    let ty = s(ext.get("type"));
    let field = match ty.as_str() {
        "aws-secrets-manager" => "secretName",
        "azure-key-vault" => "vaultName",
        "gcp-secrets-manager" => "projectId",
        "hashicorp-vault-cloud" | "hashicorp-vault-server" => "path",
        _ => return String::new(),
    };
    let lines: Vec<String> = arr(ext.get("variables"))
        .iter()
        .map(|v| {
            let p = if v.get("enabled") == Some(&Value::Bool(false)) {
                "~"
            } else {
                ""
            };
            indent(
                &format!(
                    "{}{p}{}: {}",
                    annotations(v, false),
                    s(v.get("name")),
                    value_string(v.get(field))
                ),
                1,
            )
        })
        .collect();
    let body = if lines.is_empty() {
        "\n".to_owned()
    } else {
        format!("\n{}\n", lines.join("\n"))
    };
    format!("vars:externalsecrets:{ty} {{{body}}}\n")
}
