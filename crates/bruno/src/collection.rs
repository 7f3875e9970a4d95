//! The collection / folder grammar (`collectionBruToJson`).

use serde_json::{Map, Value, json};

use crate::dict::{self, Pair};
use crate::error::ParseError;
use crate::js;
use crate::peg::Cursor;
use crate::request::auth_fragment;
use crate::semantic::{self as sem, KV};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Dict,
    Text,
}

/// Keywords in the order of the ohm alternatives.
fn keywords() -> Vec<(&'static str, Body)> {
    let mut k = vec![
        ("meta", Body::Dict),
        ("query", Body::Dict),
        ("headers", Body::Dict),
        ("auth", Body::Dict),
    ];
    for a in [
        "auth:awsv4",
        "auth:basic",
        "auth:bearer",
        "auth:digest",
        "auth:ntlm",
        "auth:oauth1",
        "auth:oauth2",
        "auth:wsse",
        "auth:apikey",
        "auth:akamai-edgegrid",
    ] {
        k.push((a, Body::Dict));
    }
    k.extend(sem::OAUTH2_PARAMS.iter().map(|(kw, _)| (*kw, Body::Dict)));
    k.extend([
        ("vars:pre-request", Body::Dict),
        ("vars:post-response", Body::Dict),
        ("script:pre-request", Body::Text),
        ("script:post-response", Body::Text),
        ("tests", Body::Text),
        ("docs", Body::Text),
    ]);
    k
}

enum Raw<'a> {
    Dict(Vec<Pair>),
    Text(&'a str),
}

pub(crate) fn parse(src: &str) -> Result<Value, ParseError> {
    let mut c = Cursor::new(src);
    let table = keywords();
    let mut blocks = Vec::new();
    loop {
        let save = c.pos;
        c.skip_spaces();
        let offset = c.pos;
        let found = table.iter().find_map(|(kw, body)| {
            c.attempt(|c| {
                if !c.lit(kw) {
                    return None;
                }
                match body {
                    Body::Dict => dict::dictionary(c, dict::COLLECTION).map(Raw::Dict),
                    Body::Text => dict::text_block(c).map(Raw::Text),
                }
            })
            .map(|raw| (*kw, offset, raw))
        });
        match found {
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
    let mut out = Value::Object(Map::new());
    for (kw, offset, raw) in blocks {
        let frag = match raw {
            Raw::Dict(p) => dict_fragment(kw, &p, offset)
                .map_err(|t| ParseError::semantic(src, t.offset, t.what))?,
            Raw::Text(t) => text_fragment(kw, t),
        };
        js::merge(&mut out, frag, true);
    }
    Ok(out)
}

fn text_fragment(kw: &str, raw: &str) -> Value {
    let t = js::outdent(raw, 2);
    match kw {
        "script:pre-request" => json!({"script": {"req": t}}),
        "script:post-response" => json!({"script": {"res": t}}),
        "tests" => json!({ "tests": t }),
        _ => json!({ "docs": t }),
    }
}

fn dict_fragment(kw: &str, p: &[Pair], offset: usize) -> Result<Value, sem::Thrown> {
    if let Some((_, key)) = sem::OAUTH2_PARAMS.iter().find(|(k, _)| *k == kw) {
        return Ok(json!({ *key: sem::kv_list(p, KV) }));
    }
    if let Some(kind) = kw.strip_prefix("auth:") {
        return auth_fragment(kind, p, offset, false);
    }
    Ok(match kw {
        "meta" => {
            let mut m = sem::object(p);
            js::js_set(&mut m, "type", "collection".into());
            json!({ "meta": m })
        }
        "auth" => {
            let m = sem::object(p);
            let mode = m.get("mode").filter(|v| js::truthy(Some(v))).cloned();
            json!({"auth": {"mode": mode.unwrap_or_else(|| "none".into())}})
        }
        "query" => json!({"query": sem::kv_list(p, KV)}),
        "headers" => json!({"headers": sem::kv_list(p, KV)}),
        "vars:pre-request" => json!({"vars": {"req": sem::vars(p, true)}}),
        _ => json!({"vars": {"res": sem::vars(p, false)}}),
    })
}
