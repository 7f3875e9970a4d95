//! The `example {}` block: its own grammar with `request: {}` and
//! `response: {}` sub-grammars. Like Bruno, a failure inside an example does
//! not fail the file; the example becomes `{"error": message}`.

use serde_json::{Map, Value, json};

use crate::dict::{self, Pair};
use crate::error::ParseError;
use crate::js;
use crate::peg::Cursor;
use crate::semantic::{self as sem, KV, KvOpts};

/// `parseExampleContent`: dedent by the smallest indentation, trim, parse.
pub(crate) fn parse_content(content: &str) -> Value {
    let lines: Vec<&str> = content.split('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let min = lines
        .iter()
        .filter(|l| !js::trim(l).is_empty())
        .map(|l| indent(l))
        .min();
    let dedented: Vec<&str> = lines
        .iter()
        .map(|l| {
            if js::trim(l).is_empty() {
                l
            } else {
                &l[min.unwrap_or(0)..]
            }
        })
        .collect();
    let joined = dedented.join("\n");
    match parse_example(js::trim(&joined)) {
        Ok(v) => v,
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// Runs a syntactic `Rule*` loop over `alternatives`, then expects the end.
fn syntactic<'a, T>(
    src: &'a str,
    mut alternatives: impl FnMut(&mut Cursor<'a>) -> Option<T>,
) -> Result<Vec<T>, ParseError> {
    let mut c = Cursor::new(src);
    let mut items = Vec::new();
    loop {
        let save = c.pos;
        c.skip_spaces();
        match alternatives(&mut c) {
            Some(item) => items.push(item),
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
    Ok(items)
}

fn value_chars<'a>(c: &mut Cursor<'a>) -> &'a str {
    let start = c.pos;
    while c.not(|c| c.nl() || c.tagend()) && c.any() {}
    c.slice(start)
}

/// `kw st* ":" st*`
fn label(c: &mut Cursor, kw: &'static str) -> bool {
    if !c.lit(kw) {
        return false;
    }
    c.st_star();
    if !c.lit(":") {
        return false;
    }
    c.st_star();
    true
}

enum ExampleItem {
    Value(Value),
    Failed(ParseError),
}

fn parse_example(src: &str) -> Result<Value, ParseError> {
    let items = syntactic(src, |c| {
        c.attempt(|c| name(c).map(ExampleItem::Value))
            .or_else(|| c.attempt(|c| description(c).map(ExampleItem::Value)))
            .or_else(|| c.attempt(request_block))
            .or_else(|| c.attempt(response_block))
    })?;
    let mut out = Value::Object(Map::new());
    for item in items {
        match item {
            ExampleItem::Value(v) => js::merge(&mut out, v, false),
            ExampleItem::Failed(e) => return Err(e),
        }
    }
    Ok(out)
}

fn name(c: &mut Cursor) -> Option<Value> {
    if !label(c, "name") {
        return None;
    }
    let v = value_chars(c);
    c.st_star();
    Some(json!({"name": js::trim(v)}))
}

fn description(c: &mut Cursor) -> Option<Value> {
    if !label(c, "description") {
        return None;
    }
    let text = match c.attempt(|c| {
        let inner = dict::triple_quoted(c)?;
        c.st_star();
        let t = js::outdent(inner, 2);
        Some(match c.attempt(dict::content_type) {
            Some(ct) => format!("{t} {ct}"),
            None => t,
        })
    }) {
        Some(t) => t,
        None => value_chars(c).to_owned(),
    };
    c.st_star();
    Some(json!({"description": js::trim(&text)}))
}

/// `request = nl* "request" st* ":" st* "{" nl* requestcontent+ nl* "}" nl*`
fn request_block(c: &mut Cursor) -> Option<ExampleItem> {
    c.nl_star();
    if !label(c, "request") || !c.lit("{") {
        return None;
    }
    c.nl_star();
    let start = c.pos;
    if !c.plus(|c| c.not_tagend() && c.any()) {
        return None;
    }
    let content = c.slice(start);
    c.nl_star();
    if !c.lit("}") {
        return None;
    }
    c.nl_star();
    Some(match parse_request(&js::outdent(content, 2)) {
        Ok(v) => ExampleItem::Value(json!({ "request": v })),
        Err(e) => ExampleItem::Failed(e),
    })
}

/// `response = "response" st* ":" st* "{" nl* responsecontent nl* "}" nl*`
fn response_block(c: &mut Cursor) -> Option<ExampleItem> {
    if !label(c, "response") || !c.lit("{") {
        return None;
    }
    c.nl_star();
    let start = c.pos;
    if !c.plus(|c| c.not_tagend() && c.any()) {
        return None;
    }
    let content = c.slice(start);
    c.nl_star();
    if !c.lit("}") {
        return None;
    }
    c.nl_star();
    Some(match parse_response(&js::outdent(content, 2)) {
        Ok(v) => ExampleItem::Value(json!({ "response": v })),
        Err(e) => ExampleItem::Failed(e),
    })
}

const NO_ANN: KvOpts = KvOpts {
    annotations: false,
    ..KV
};

fn ex_dict(c: &mut Cursor, kw: &'static str) -> Option<Vec<Pair>> {
    if !label(c, kw) {
        return None;
    }
    dict::dictionary(c, dict::EXAMPLE)
}

fn ex_text<'a>(c: &mut Cursor<'a>, kw: &'static str) -> Option<&'a str> {
    if !label(c, kw) {
        return None;
    }
    dict::text_block(c)
}

const EX_BODIES: [(&str, &str); 6] = [
    ("body:json", "json"),
    ("body:text", "text"),
    ("body:xml", "xml"),
    ("body:sparql", "sparql"),
    ("body:graphql", "graphql"),
    ("body:graphql:vars", "graphql:vars"),
];

fn request_item(c: &mut Cursor) -> Option<Result<Value, &'static str>> {
    for (kw, key) in [("url", "url"), ("method", "method")] {
        if let Some(v) = c.attempt(|c| label(c, kw).then(|| value_chars(c))) {
            return Some(Ok(json!({ key: js::trim(v) })));
        }
    }
    if let Some(v) = c.attempt(|c| label(c, "mode").then(|| value_chars(c))) {
        let mode = if js::trim(v).is_empty() {
            "none"
        } else {
            js::trim(v)
        };
        return Some(Ok(json!({"body": {"mode": mode}})));
    }
    if let Some(p) = c.attempt(|c| ex_dict(c, "params:path")) {
        return Some(Ok(json!({"params": sem::params(&p, "path", false)})));
    }
    if let Some(p) = c.attempt(|c| ex_dict(c, "params:query")) {
        return Some(Ok(json!({"params": sem::params(&p, "query", false)})));
    }
    if let Some(p) = c.attempt(|c| ex_dict(c, "headers")) {
        return Some(Ok(json!({"headers": sem::kv_list(&p, NO_ANN)})));
    }
    for (kw, mode) in EX_BODIES {
        if let Some(t) = c.attempt(|c| ex_text(c, kw)) {
            return Some(Ok(example_body(mode, &js::outdent(t, 2))));
        }
    }
    if let Some(p) = c.attempt(|c| ex_dict(c, "body:form-urlencoded")) {
        let list = sem::kv_list(&p, NO_ANN);
        return Some(Ok(
            json!({"body": {"mode": "formUrlEncoded", "formUrlEncoded": list}}),
        ));
    }
    if let Some(p) = c.attempt(|c| ex_dict(c, "body:multipart-form")) {
        let list = sem::multipart(&p, false, false);
        return Some(Ok(
            json!({"body": {"mode": "multipartForm", "multipartForm": list}}),
        ));
    }
    let p = c.attempt(|c| ex_dict(c, "body:file"))?;
    Some(match sem::files(&p, false) {
        Ok(list) => Ok(json!({"body": {"mode": "file", "file": list}})),
        Err(t) => Err(t.what),
    })
}

fn example_body(mode: &str, t: &str) -> Value {
    match mode {
        "graphql" => json!({"body": {"mode": "graphql", "graphql": {"query": t}}}),
        "graphql:vars" => json!({"body": {"mode": "graphql", "graphql": {"variables": t}}}),
        m => json!({"body": {"mode": m, m: t}}),
    }
}

fn parse_request(src: &str) -> Result<Value, ParseError> {
    let items = syntactic(src, request_item)?;
    let mut out = Value::Object(Map::new());
    for item in items {
        match item {
            Ok(v) => js::merge(&mut out, v, true),
            Err(what) => return Err(ParseError::semantic(src, 0, what)),
        }
    }
    Ok(out)
}

fn response_item(c: &mut Cursor) -> Option<Value> {
    if let Some(p) = c.attempt(|c| ex_dict(c, "headers")) {
        c.nl_star();
        return Some(json!({"headers": sem::kv_list(&p, NO_ANN)}));
    }
    if let Some(p) = c.attempt(|c| ex_dict(c, "status")) {
        c.nl_star();
        return Some(status(&p));
    }
    c.attempt(response_body)
}

fn status(p: &[Pair]) -> Value {
    let find = |n: &str| p.iter().find(|x| x.key == n).map(|x| x.value.to_json());
    let code = find("code")
        .filter(|v| js::truthy(Some(v)))
        .unwrap_or(200.into());
    let text = find("text")
        .filter(|v| js::truthy(Some(v)))
        .unwrap_or("OK".into());
    json!({"status": code, "statusText": text})
}

/// `"body" st* ":" st* "{" nl* responsebodyfields tagend`
fn response_body(c: &mut Cursor) -> Option<Value> {
    if !label(c, "body") || !c.lit("{") {
        return None;
    }
    c.nl_star();
    let mut body = Map::new();
    loop {
        if let Some(t) = c.attempt(body_type) {
            body.insert("type".into(), t.into());
        } else if let Some(content) = c.attempt(body_content) {
            body.insert("content".into(), content.into());
        } else {
            break;
        }
    }
    c.tagend().then(|| json!({ "body": body }))
}

fn body_type(c: &mut Cursor) -> Option<String> {
    c.st_star();
    if !label(c, "type") {
        return None;
    }
    let v = js::trim(value_chars(c)).to_owned();
    c.nl_star();
    Some(v)
}

fn body_content(c: &mut Cursor) -> Option<String> {
    c.st_star();
    if !label(c, "content") {
        return None;
    }
    let start = c.pos;
    dict::triple_quoted(c)?;
    c.st_star();
    let _ = c.attempt(dict::content_type);
    let mut s = c.slice(start);
    s = s.strip_prefix("'''").unwrap_or(s);
    s = s.strip_suffix("'''").unwrap_or(s);
    s = s.strip_suffix("  ").unwrap_or(s);
    s = s.strip_prefix('\n').unwrap_or(s);
    s = s.strip_suffix('\n').unwrap_or(s);
    Some(js::outdent(s, 4))
}

fn parse_response(src: &str) -> Result<Value, ParseError> {
    let items = syntactic(src, response_item)?;
    let mut out = Value::Object(Map::new());
    for v in items {
        if v.as_object().is_some_and(|m| !m.is_empty()) {
            js::merge(&mut out, v, false);
        }
    }
    Ok(out)
}
