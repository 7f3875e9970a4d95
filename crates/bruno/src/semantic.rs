//! Semantic actions shared by the grammars: pair lists to JSON, auth blocks,
//! settings, form bodies. Each mirrors a function of `@usebruno/lang`.

use serde_json::{Map, Value, json};

use crate::dict::{Annotation, PVal, Pair};
use crate::js;

/// A JavaScript `TypeError` the official parser would throw after matching.
#[derive(Debug)]
pub(crate) struct Thrown {
    pub offset: usize,
    pub what: &'static str,
}

const DATA_TYPES: [&str; 4] = ["string", "number", "boolean", "object"];

fn annotations_json(list: &[Annotation]) -> Value {
    list.iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("name".into(), a.name.clone().into());
            if let Some(v) = &a.value {
                m.insert("value".into(), v.clone().into());
            }
            Value::Object(m)
        })
        .collect::<Vec<_>>()
        .into()
}

fn unescape_ml_description(v: &str) -> String {
    v.replace("\\'\\'\\'", "'''").replace("\\\\'", "\\'")
}

/// `applyDescriptionFromAnnotations`
fn apply_description(out: &mut Map<String, Value>, list: &[Annotation]) {
    if let Some(d) = list.iter().find(|a| a.name == "description") {
        let v = d.value.clone().unwrap_or_default();
        let v = if v.contains('\n') {
            unescape_ml_description(&v)
        } else {
            v
        };
        out.insert("description".into(), v.into());
    }
}

/// `extractTypedAnnotations`: the last type annotation converts the value.
pub(crate) fn extract_types(out: &mut Map<String, Value>, list: &[Annotation]) {
    let Some(a) = list
        .iter()
        .rev()
        .find(|a| DATA_TYPES.contains(&a.name.as_str()))
    else {
        return;
    };
    if a.name == "string" {
        return;
    }
    out.insert("dataType".into(), a.name.clone().into());
    if let Some(Value::String(s)) = out.get("value") {
        let converted = convert_typed(s, &a.name);
        out.insert("value".into(), converted);
    }
}

fn convert_typed(s: &str, ty: &str) -> Value {
    let t = js::trim(s);
    let keep = Value::String(s.to_owned());
    match ty {
        "number" if !t.is_empty() => js::js_number(t).map_or(keep, js::number_value),
        "boolean" if s == "true" => Value::Bool(true),
        "boolean" if s == "false" => Value::Bool(false),
        "object" if !t.is_empty() => match serde_json::from_str::<Value>(t) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
            _ => keep,
        },
        _ => keep,
    }
}

/// Options of `mapPairListToKeyValPairs`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KvOpts {
    pub parse_enabled: bool,
    pub extract_types: bool,
    /// Annotations are kept (main grammars) or absent (example sub-grammars).
    pub annotations: bool,
}

pub(crate) const KV: KvOpts = KvOpts {
    parse_enabled: true,
    extract_types: false,
    annotations: true,
};
/// `mapPairListToKeyValPairs` for one pair, plus an optional `type` after `enabled`.
pub(crate) fn kv(p: &Pair, o: KvOpts, param_type: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    let mut name = p.key.as_str();
    let mut enabled = true;
    if o.parse_enabled && name.starts_with('~') {
        name = &name[1..];
        enabled = false;
    }
    m.insert("name".into(), name.into());
    m.insert("value".into(), p.value.to_json());
    if o.parse_enabled {
        m.insert("enabled".into(), enabled.into());
    }
    if let Some(t) = param_type {
        m.insert("type".into(), t.into());
    }
    if o.annotations && !p.annotations.is_empty() {
        m.insert("annotations".into(), annotations_json(&p.annotations));
        if o.parse_enabled {
            apply_description(&mut m, &p.annotations);
        }
    }
    if o.extract_types {
        extract_types(&mut m, &p.annotations);
    }
    m
}

pub(crate) fn kv_list(pairs: &[Pair], o: KvOpts) -> Value {
    pairs
        .iter()
        .map(|p| Value::Object(kv(p, o, None)))
        .collect::<Vec<_>>()
        .into()
}

pub(crate) fn params(pairs: &[Pair], ty: &str, annotations: bool) -> Value {
    let o = KvOpts { annotations, ..KV };
    pairs
        .iter()
        .map(|p| Value::Object(kv(p, o, Some(ty))))
        .collect::<Vec<_>>()
        .into()
}

/// `_.merge({}, ...pairs)`: object-like blocks, last duplicate wins.
pub(crate) fn object(pairs: &[Pair]) -> Map<String, Value> {
    let mut v = Value::Object(Map::new());
    for p in pairs {
        let mut one = Map::new();
        one.insert(p.key.clone(), p.value.to_json());
        js::merge(&mut v, Value::Object(one), false);
    }
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Vars: typed values for pre-request, then the `@` local marker.
pub(crate) fn vars(pairs: &[Pair], typed: bool) -> Value {
    let o = KvOpts {
        extract_types: typed,
        ..KV
    };
    pairs
        .iter()
        .map(|p| {
            let mut m = kv(p, o, None);
            let name = m
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let local = name.starts_with('@');
            if local {
                m.insert("name".into(), name[1..].into());
            }
            m.insert("local".into(), local.into());
            Value::Object(m)
        })
        .collect::<Vec<_>>()
        .into()
}

/// `_.find(pairs, {name})?.value`
fn find<'p>(pairs: &'p [Pair], name: &str) -> Option<&'p PVal> {
    pairs.iter().find(|p| p.key == name).map(|p| &p.value)
}

fn find_or_empty(pairs: &[Pair], name: &str) -> Value {
    find(pairs, name).map_or_else(|| "".into(), PVal::to_json)
}

fn fields(pairs: &[Pair], names: &[(&str, &str)]) -> Value {
    let mut m = Map::new();
    for (out, src) in names {
        m.insert((*out).into(), find_or_empty(pairs, src));
    }
    Value::Object(m)
}

/// The simple `auth:*` blocks; `None` for unknown kinds.
pub(crate) fn simple_auth(kind: &str, pairs: &[Pair]) -> Option<(&'static str, Value)> {
    const USERPASS: &[(&str, &str)] = &[("username", "username"), ("password", "password")];
    Some(match kind {
        "awsv4" => (
            "awsv4",
            fields(
                pairs,
                &[
                    ("accessKeyId", "accessKeyId"),
                    ("secretAccessKey", "secretAccessKey"),
                    ("sessionToken", "sessionToken"),
                    ("service", "service"),
                    ("region", "region"),
                    ("profileName", "profileName"),
                ],
            ),
        ),
        "basic" => ("basic", fields(pairs, USERPASS)),
        "digest" => ("digest", fields(pairs, USERPASS)),
        "wsse" => ("wsse", fields(pairs, USERPASS)),
        "bearer" => ("bearer", fields(pairs, &[("token", "token")])),
        "apikey" => (
            "apikey",
            fields(
                pairs,
                &[
                    ("key", "key"),
                    ("value", "value"),
                    ("placement", "placement"),
                ],
            ),
        ),
        _ => return None,
    })
}

/// `auth:ntlm`; the request grammar reads `domain` whenever `password` exists.
pub(crate) fn ntlm(pairs: &[Pair], offset: usize, request: bool) -> Result<Value, Thrown> {
    let password = find(pairs, "password");
    let domain = find(pairs, "domain");
    let guard = if request {
        password.is_some()
    } else {
        domain.is_some()
    };
    let domain = match (guard, domain) {
        (true, Some(d)) => d.to_json(),
        (true, None) => {
            return Err(Thrown {
                offset,
                what: "auth:ntlm without domain",
            });
        }
        (false, _) => "".into(),
    };
    Ok(json!({
        "username": find_or_empty(pairs, "username"),
        "password": find_or_empty(pairs, "password"),
        "domain": domain,
    }))
}

/// `Number(x)` where `x` may be a list (JavaScript joins it with commas).
fn number_of(v: &PVal) -> Option<f64> {
    match v {
        PVal::Str(s) => js::js_number(s),
        PVal::List(l) => js::js_number(&l.join(",")),
    }
}

pub(crate) fn edgegrid(pairs: &[Pair]) -> Value {
    let mut v = fields(
        pairs,
        &[
            ("accessToken", "accessToken"),
            ("clientToken", "clientToken"),
            ("clientSecret", "clientSecret"),
            ("nonce", "nonce"),
            ("timestamp", "timestamp"),
            ("baseURL", "baseURL"),
            ("headersToSign", "headersToSign"),
        ],
    );
    let max = match find(pairs, "maxBodySize") {
        None => Value::Null,
        Some(PVal::Str(s)) if s.is_empty() => Value::Null,
        Some(raw) => number_of(raw).map_or(Value::Null, js::number_value),
    };
    v["maxBodySize"] = max;
    v
}

pub(crate) fn oauth1(pairs: &[Pair], offset: usize) -> Result<Value, Thrown> {
    let f = |n: &str| find_or_empty(pairs, n);
    let (key, key_type) = match find(pairs, "private_key") {
        Some(PVal::List(_)) => {
            return Err(Thrown {
                offset,
                what: "a text private_key",
            });
        }
        Some(PVal::Str(s)) if s.starts_with("@file(") && s.ends_with(')') && s.len() >= 7 => {
            (Value::from(&s[6..s.len() - 1]), "file")
        }
        Some(PVal::Str(s)) => (Value::from(s.as_str()), "text"),
        None => (Value::from(""), "text"),
    };
    let include = matches!(find(pairs, "include_body_hash"), Some(PVal::Str(s)) if s == "true");
    Ok(json!({
        "consumerKey": f("consumer_key"),
        "consumerSecret": f("consumer_secret"),
        "accessToken": f("access_token"),
        "accessTokenSecret": f("token_secret"),
        "callbackUrl": f("callback_url"),
        "verifier": f("verifier"),
        "signatureMethod": f("signature_method"),
        "privateKey": key,
        "privateKeyType": key_type,
        "timestamp": f("timestamp"),
        "nonce": f("nonce"),
        "version": f("version"),
        "realm": f("realm"),
        "placement": f("placement"),
        "includeBodyHash": include,
    }))
}

/// `safeParseJson(v) ?? default` for the oauth2 booleans.
fn json_flag(pairs: &[Pair], name: &str, default: bool) -> Value {
    match find(pairs, name) {
        Some(PVal::Str(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Null) | Err(_) => default.into(),
            Ok(v) => v,
        },
        _ => default.into(),
    }
}

pub(crate) fn oauth2(pairs: &[Pair]) -> Value {
    let grant = match find(pairs, "grant_type") {
        Some(PVal::Str(s)) => s.as_str(),
        _ => "",
    };
    let plain = |n: &str| find_or_empty(pairs, n);
    let or = |n: &str, d: &str| match find(pairs, n) {
        Some(v) if js::truthy(Some(&v.to_json())) => v.to_json(),
        _ => Value::from(d),
    };
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    let order: &[&str] = match grant {
        "password" => &[
            "grant", "atu", "rtu", "user", "pass", "cid", "csec", "scope",
        ],
        "authorization_code" => &[
            "grant", "cb", "authz", "atu", "rtu", "cid", "csec", "scope", "state", "pkce",
        ],
        "client_credentials" => &["grant", "atu", "rtu", "cid", "csec", "scope"],
        "implicit" => &["grant", "cb", "authz", "cid", "scope", "state"],
        _ => return json!({}),
    };
    for f in order {
        match *f {
            "grant" => put("grantType", plain("grant_type")),
            "atu" => put("accessTokenUrl", plain("access_token_url")),
            "rtu" => put("refreshTokenUrl", plain("refresh_token_url")),
            "user" => put("username", plain("username")),
            "pass" => put("password", plain("password")),
            "cid" => put("clientId", plain("client_id")),
            "csec" => put("clientSecret", plain("client_secret")),
            "scope" => put("scope", plain("scope")),
            "cb" => put("callbackUrl", plain("callback_url")),
            "authz" => put("authorizationUrl", plain("authorization_url")),
            "state" => put("state", plain("state")),
            _ => put("pkce", json_flag(pairs, "pkce", false)),
        }
    }
    if grant != "implicit" {
        put("credentialsPlacement", or("credentials_placement", "body"));
    }
    put("credentialsId", or("credentials_id", "credentials"));
    put("tokenSource", or("token_source", "access_token"));
    put("tokenPlacement", or("token_placement", "header"));
    put("tokenHeaderPrefix", or("token_header_prefix", ""));
    put("tokenQueryKey", or("token_query_key", "access_token"));
    put("autoFetchToken", json_flag(pairs, "auto_fetch_token", true));
    if grant != "implicit" {
        put(
            "autoRefreshToken",
            json_flag(pairs, "auto_refresh_token", false),
        );
    }
    Value::Object(m)
}

/// The 8 `auth:oauth2:additional_params:*` keywords and their JSON keys.
pub(crate) const OAUTH2_PARAMS: [(&str, &str); 8] = [
    (
        "auth:oauth2:additional_params:auth_req:headers",
        "oauth2_additional_parameters_auth_req_headers",
    ),
    (
        "auth:oauth2:additional_params:auth_req:queryparams",
        "oauth2_additional_parameters_auth_req_queryparams",
    ),
    (
        "auth:oauth2:additional_params:access_token_req:headers",
        "oauth2_additional_parameters_access_token_req_headers",
    ),
    (
        "auth:oauth2:additional_params:access_token_req:queryparams",
        "oauth2_additional_parameters_access_token_req_queryparams",
    ),
    (
        "auth:oauth2:additional_params:access_token_req:body",
        "oauth2_additional_parameters_access_token_req_bodyvalues",
    ),
    (
        "auth:oauth2:additional_params:refresh_token_req:headers",
        "oauth2_additional_parameters_refresh_token_req_headers",
    ),
    (
        "auth:oauth2:additional_params:refresh_token_req:queryparams",
        "oauth2_additional_parameters_refresh_token_req_queryparams",
    ),
    (
        "auth:oauth2:additional_params:refresh_token_req:body",
        "oauth2_additional_parameters_refresh_token_req_bodyvalues",
    ),
];

fn is_js_space_str(s: &str) -> bool {
    s.chars().all(js::is_js_space)
}

/// The regex `/^(.*?)\s*@contentType\((.*?)\)\s*$/s` as (before, content type).
pub(crate) fn split_content_type(v: &str) -> Option<(&str, &str)> {
    const TAG: &str = "@contentType(";
    let j = v.find(TAG)?;
    let close = v.rfind(')')?;
    if close < j + TAG.len() || !is_js_space_str(&v[close + 1..]) {
        return None;
    }
    let before = v[..j].trim_end_matches(js::is_js_space);
    Some((before, &v[j + TAG.len()..close]))
}

/// `mapPairListToKeyValPairsMultipart`; `filter_empty` is the main grammar's `.filter(Boolean)`.
pub(crate) fn multipart(pairs: &[Pair], annotations: bool, filter_empty: bool) -> Value {
    let o = KvOpts { annotations, ..KV };
    let items = pairs.iter().map(|p| {
        let mut m = kv(p, o, None);
        m.insert("type".into(), "text".into());
        let Some(s) = p.value.as_str() else {
            return Value::Object(m);
        };
        let (value, ct) = split_content_type(s).unwrap_or((s, ""));
        m.insert("value".into(), value.into());
        m.insert("contentType".into(), ct.into());
        if value.starts_with("@file(") && value.ends_with(')') {
            let inner = value.strip_prefix("@file(").unwrap_or(value);
            let inner = inner.strip_suffix(')').unwrap_or(inner);
            let files: Vec<Value> = inner
                .split('|')
                .filter(|f| !filter_empty || !f.is_empty())
                .map(Value::from)
                .collect();
            m.insert("type".into(), "file".into());
            m.insert("value".into(), files.into());
        }
        Value::Object(m)
    });
    items.collect::<Vec<_>>().into()
}

/// `mapPairListToKeyValPairsFile`
pub(crate) fn files(pairs: &[Pair], annotations: bool) -> Result<Value, Thrown> {
    let o = KvOpts { annotations, ..KV };
    let mut out = Vec::new();
    for p in pairs {
        let Some(s) = p.value.as_str() else {
            return Err(Thrown {
                offset: p.offset,
                what: "a text value in body:file",
            });
        };
        let mut m = kv(p, o, None);
        let (value, ct) =
            split_content_type(s).map_or((s, ""), |(a, b)| (js::trim(a), js::trim(b)));
        m.insert("value".into(), value.into());
        m.insert("contentType".into(), ct.into());
        if value.starts_with("@file(") && value.ends_with(')') {
            let inner = value.strip_prefix("@file(").unwrap_or(value);
            let path = inner.strip_suffix(')').unwrap_or(inner);
            let enabled = m.get("enabled").cloned().unwrap_or(Value::Bool(true));
            m.insert("filePath".into(), path.into());
            m.insert("selected".into(), enabled);
            for k in ["value", "name", "enabled"] {
                m.shift_remove(k);
            }
        }
        out.push(Value::Object(m));
    }
    Ok(out.into())
}

/// `body:grpc` / `body:ws` use `_.find`: the first match wins.
pub(crate) fn grpc_message(pairs: &[Pair]) -> Value {
    json!({"body": {"mode": "grpc", "grpc": [{
        "name": find_or_empty(pairs, "name"),
        "content": find_or_empty(pairs, "content"),
    }]}})
}

pub(crate) fn ws_message(pairs: &[Pair]) -> Value {
    let selected = matches!(find(pairs, "selected"), Some(PVal::Str(s)) if s == "true");
    json!({"body": {"mode": "ws", "ws": [{
        "name": find_or_empty(pairs, "name"),
        "type": find_or_empty(pairs, "type"),
        "content": find_or_empty(pairs, "content"),
        "selected": selected,
    }]}})
}

/// Bruno's `toBool` on a dictionary value.
fn to_bool(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str) == Some("true")
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => js::parse_int(s),
        Value::Array(a) => {
            let joined: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            js::parse_int(&joined.join(","))
        }
        _ => None,
    }
}

pub(crate) fn settings(pairs: &[Pair]) -> Value {
    let s = object(pairs);
    let mut out = Map::new();
    out.insert("encodeUrl".into(), to_bool(s.get("encodeUrl")).into());
    let timeout = match s.get("timeout") {
        Some(Value::String(t)) if t == "inherit" => Value::from("inherit"),
        Some(v) => int_of(v).map_or(Value::from(0), Value::from),
        None => Value::from(0),
    };
    out.insert("timeout".into(), timeout);
    if s.contains_key("followRedirects") {
        out.insert(
            "followRedirects".into(),
            to_bool(s.get("followRedirects")).into(),
        );
    }
    if let Some(n) = s.get("maxRedirects").and_then(int_of) {
        out.insert("maxRedirects".into(), n.into());
    }
    if s.contains_key("forwardAuthorizationHeader") {
        let b = to_bool(s.get("forwardAuthorizationHeader"));
        out.insert("forwardAuthorizationHeader".into(), b.into());
    }
    let keep_alive = s.get("keepAliveInterval").and_then(|v| match v {
        Value::String(t) => js::js_number(t),
        Value::Array(a) => {
            let joined: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            js::js_number(&joined.join(","))
        }
        _ => None,
    });
    if let Some(k) = keep_alive.filter(|k| *k != 0.0) {
        out.insert("keepAliveInterval".into(), js::number_value(k));
    }
    json!({ "settings": out })
}

pub(crate) fn app(pairs: &[Pair]) -> Value {
    let a = object(pairs);
    let code = a
        .get("code")
        .filter(|v| js::truthy(Some(v)))
        .cloned()
        .unwrap_or(Value::Null);
    json!({"app": {"code": code, "enabled": to_bool(a.get("enabled"))}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_regex() {
        assert_eq!(
            split_content_type("a @contentType(x/y)"),
            Some(("a", "x/y"))
        );
        assert_eq!(split_content_type("a@contentType(x)) "), Some(("a", "x)")));
        assert_eq!(split_content_type("a @contentType(x) b"), None);
        assert_eq!(split_content_type("plain"), None);
    }
}
