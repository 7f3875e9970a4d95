//! The request grammar (`bruToJson`), with the optional OpenAlgo extension
//! (`websocket {}` and `message:<type> {}` blocks).

use serde_json::{Map, Value, json};

use crate::dict::{self, Pair};
use crate::error::ParseError;
use crate::js;
use crate::peg::Cursor;
use crate::semantic::{self as sem, KV, Thrown};

/// Which grammar a block keyword belongs to, and how its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Dict,
    Assert,
    Text,
    Example,
}

const METHODS: [&str; 9] = [
    "get", "post", "put", "delete", "patch", "options", "head", "connect", "trace",
];

/// Keywords in the order of the ohm alternatives (the order matters for errors).
fn keywords() -> Vec<(&'static str, Body)> {
    let mut k = vec![("meta", Body::Dict)];
    k.extend(METHODS.iter().map(|m| (*m, Body::Dict)));
    k.extend([
        ("http", Body::Dict),
        ("grpc", Body::Dict),
        ("ws", Body::Dict),
    ]);
    k.extend([
        ("query", Body::Dict),
        ("params:path", Body::Dict),
        ("params:query", Body::Dict),
    ]);
    k.extend([("headers", Body::Dict), ("metadata", Body::Dict)]);
    for a in [
        "awsv4",
        "basic",
        "bearer",
        "digest",
        "ntlm",
        "oauth1",
        "oauth2",
        "wsse",
        "apikey",
        "akamai-edgegrid",
    ] {
        k.push((auth_kw(a), Body::Dict));
    }
    k.extend(sem::OAUTH2_PARAMS.iter().map(|(kw, _)| (*kw, Body::Dict)));
    for t in ["json", "text", "xml", "sparql", "graphql", "graphql:vars"] {
        k.push((body_kw(t), Body::Text));
    }
    k.extend([
        ("body:form-urlencoded", Body::Dict),
        ("body:multipart-form", Body::Dict),
        ("body:file", Body::Dict),
        ("body", Body::Text),
        ("body:grpc", Body::Dict),
        ("body:ws", Body::Dict),
        ("vars:pre-request", Body::Dict),
        ("vars:post-response", Body::Dict),
        ("assert", Body::Assert),
        ("script:pre-request", Body::Text),
        ("script:post-response", Body::Text),
        ("tests", Body::Text),
        ("app", Body::Dict),
        ("settings", Body::Dict),
        ("docs", Body::Text),
        ("example", Body::Example),
    ]);
    k
}

fn auth_kw(a: &str) -> &'static str {
    match a {
        "awsv4" => "auth:awsv4",
        "basic" => "auth:basic",
        "bearer" => "auth:bearer",
        "digest" => "auth:digest",
        "ntlm" => "auth:ntlm",
        "oauth1" => "auth:oauth1",
        "oauth2" => "auth:oauth2",
        "wsse" => "auth:wsse",
        "apikey" => "auth:apikey",
        _ => "auth:akamai-edgegrid",
    }
}

fn body_kw(t: &str) -> &'static str {
    match t {
        "json" => "body:json",
        "text" => "body:text",
        "xml" => "body:xml",
        "sparql" => "body:sparql",
        "graphql" => "body:graphql",
        _ => "body:graphql:vars",
    }
}

/// A parsed block before its semantic action runs.
enum Raw<'a> {
    Dict(Vec<Pair>),
    Text(&'a str),
}

/// One matched block.
struct Block<'a> {
    keyword: &'static str,
    offset: usize,
    raw: Raw<'a>,
}

/// Parses request text into Bruno's JSON. `openalgo` accepts the extension blocks.
pub(crate) fn parse(src: &str, openalgo: bool) -> Result<Value, ParseError> {
    let mut c = Cursor::new(src);
    let table = keywords();
    let mut blocks = Vec::new();
    loop {
        let save = c.pos;
        c.skip_spaces();
        match next_block(&mut c, &table, openalgo) {
            Some(b) => blocks.push(b),
            None => {
                c.pos = save;
                break;
            }
        }
    }
    c.skip_spaces();
    if !c.at_end() {
        c.fail_at(c.pos, "end of input");
        return Err(c.error());
    }
    build(blocks).map_err(|t| ParseError::semantic(src, t.offset, t.what))
}

fn next_block<'a>(
    c: &mut Cursor<'a>,
    table: &[(&'static str, Body)],
    openalgo: bool,
) -> Option<Block<'a>> {
    let offset = c.pos;
    for (kw, body) in table {
        let raw = c.attempt(|c| {
            if !c.lit(kw) {
                return None;
            }
            match body {
                Body::Dict => dict::dictionary(c, dict::REQUEST).map(Raw::Dict),
                Body::Assert => dict::dictionary(c, dict::ASSERT).map(Raw::Dict),
                Body::Text => dict::text_block(c).map(Raw::Text),
                Body::Example => example_block(c).map(Raw::Text),
            }
        });
        if let Some(raw) = raw {
            return Some(Block {
                keyword: kw,
                offset,
                raw,
            });
        }
    }
    if openalgo {
        extension_block(c, offset)
    } else {
        None
    }
}

/// `"example" st* "{" nl* examplecontent tagend`, `examplecontent = (~tagend any)*`
fn example_block<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    c.st_star();
    if !c.lit("{") {
        return None;
    }
    c.nl_star();
    let start = c.pos;
    while c.not_tagend() && c.any() {}
    let content = c.slice(start);
    c.tagend().then_some(content)
}

/// OpenAlgo's `websocket {}` dictionary and `message:<type> {}` text blocks.
fn extension_block<'a>(c: &mut Cursor<'a>, offset: usize) -> Option<Block<'a>> {
    if let Some(pairs) = c.attempt(|c| {
        if !c.lit("websocket") {
            return None;
        }
        dict::dictionary(c, dict::REQUEST)
    }) {
        return Some(Block {
            keyword: "websocket",
            offset,
            raw: Raw::Dict(pairs),
        });
    }
    c.attempt(|c| {
        if !c.lit("message") {
            return None;
        }
        let kind_start = c.pos;
        if c.lit(":") {
            let is_type = |ch: char| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-';
            if !c.plus(|c| c.char_if("a message type", is_type)) {
                return None;
            }
        }
        let kind = c.slice(kind_start);
        let text = dict::text_block(c)?;
        let keyword = match kind {
            "" | ":text" => "message:text",
            ":json" => "message:json",
            _ => "message:other",
        };
        Some(Block {
            keyword,
            offset,
            raw: Raw::Text(text),
        })
    })
}

fn build(blocks: Vec<Block>) -> Result<Value, Thrown> {
    let mut out = Value::Object(Map::new());
    let mut messages = 0;
    for b in &blocks {
        let frag = match (&b.raw, b.keyword) {
            (Raw::Dict(p), kw) => dict_fragment(kw, p, b.offset)?,
            (Raw::Text(t), "example") => json!({"examples": [crate::example::parse_content(t)]}),
            (Raw::Text(t), kw) if kw.starts_with("message:") => {
                messages += 1;
                message_fragment(kw, t, messages)
            }
            (Raw::Text(t), kw) => text_fragment(kw, t),
        };
        js::merge(&mut out, frag, true);
    }
    Ok(out)
}

fn text_fragment(kw: &str, raw: &str) -> Value {
    let t = js::outdent(raw, 2);
    match kw {
        "body" => json!({"http": {"body": "json"}, "body": {"json": t}}),
        "body:json" => json!({"body": {"json": t}}),
        "body:text" => json!({"body": {"text": t}}),
        "body:xml" => json!({"body": {"xml": t}}),
        "body:sparql" => json!({"body": {"sparql": t}}),
        "body:graphql" => json!({"body": {"graphql": {"query": t}}}),
        "body:graphql:vars" => json!({"body": {"graphql": {"variables": t}}}),
        "script:pre-request" => json!({"script": {"req": t}}),
        "script:post-response" => json!({"script": {"res": t}}),
        "tests" => json!({ "tests": t }),
        _ => json!({ "docs": t }),
    }
}

/// Maps an OpenAlgo `message:<type>` block onto Bruno's `body:ws` model.
fn message_fragment(kw: &str, raw: &str, n: usize) -> Value {
    let ty = match kw {
        "message:json" => "json",
        "message:text" => "text",
        _ => "",
    };
    json!({"body": {"mode": "ws", "ws": [{
        "name": format!("message {n}"),
        "type": ty,
        "content": js::outdent(raw, 2),
        "selected": n == 1,
    }]}})
}

fn with_method(method: Option<Value>, rest: Map<String, Value>) -> Value {
    let mut m = Map::new();
    if let Some(method) = method {
        m.insert("method".into(), method);
    }
    for (k, v) in rest {
        js::js_set(&mut m, &k, v);
    }
    json!({ "http": m })
}

fn meta(pairs: &[Pair]) -> Value {
    let mut m = sem::object(pairs);
    if !js::truthy(m.get("seq")) {
        js::js_set(&mut m, "seq", 1.into());
    }
    if !js::truthy(m.get("type")) {
        js::js_set(&mut m, "type", "http".into());
    }
    json!({ "meta": m })
}

fn dict_fragment(kw: &str, p: &[Pair], offset: usize) -> Result<Value, Thrown> {
    if METHODS.contains(&kw) {
        return Ok(with_method(Some(kw.into()), sem::object(p)));
    }
    if let Some((_, key)) = sem::OAUTH2_PARAMS.iter().find(|(k, _)| *k == kw) {
        return Ok(json!({ *key: sem::kv_list(p, KV) }));
    }
    if let Some(kind) = kw.strip_prefix("auth:") {
        return auth_fragment(kind, p, offset, true);
    }
    Ok(match kw {
        "meta" => meta(p),
        "http" => {
            let mut rest = sem::object(p);
            let method = rest.shift_remove("method");
            with_method(method, rest)
        }
        "grpc" => json!({"grpc": sem::object(p)}),
        "ws" | "websocket" => json!({"ws": sem::object(p)}),
        "query" | "params:query" => json!({"params": sem::params(p, "query", true)}),
        "params:path" => json!({"params": sem::params(p, "path", true)}),
        "headers" => json!({"headers": sem::kv_list(p, KV)}),
        "metadata" => json!({"metadata": sem::kv_list(p, KV)}),
        "body:form-urlencoded" => json!({"body": {"formUrlEncoded": sem::kv_list(p, KV)}}),
        "body:multipart-form" => json!({"body": {"multipartForm": sem::multipart(p, true, true)}}),
        "body:file" => json!({"body": {"file": sem::files(p, true)?}}),
        "body:grpc" => sem::grpc_message(p),
        "body:ws" => sem::ws_message(p),
        "vars:pre-request" => json!({"vars": {"req": sem::vars(p, true)}}),
        "vars:post-response" => json!({"vars": {"res": sem::vars(p, false)}}),
        "assert" => json!({"assertions": sem::kv_list(p, KV)}),
        "app" => sem::app(p),
        _ => sem::settings(p),
    })
}

/// The `auth:*` blocks of both the request and the collection grammar.
pub(crate) fn auth_fragment(
    kind: &str,
    p: &[Pair],
    offset: usize,
    request: bool,
) -> Result<Value, Thrown> {
    let (key, v) = match kind {
        "ntlm" => ("ntlm", sem::ntlm(p, offset, request)?),
        "oauth1" => ("oauth1", sem::oauth1(p, offset)?),
        "oauth2" => ("oauth2", sem::oauth2(p)),
        "akamai-edgegrid" => ("akamaiEdgegrid", sem::edgegrid(p)),
        other => match sem::simple_auth(other, p) {
            Some(found) => found,
            None => return Ok(json!({})),
        },
    };
    Ok(json!({"auth": { key: v }}))
}
