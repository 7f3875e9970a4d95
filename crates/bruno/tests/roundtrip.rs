//! parse → write → parse over every fixture, edge case and collection file that
//! parses: the written text parses again, writing is a fixpoint, and the data
//! survives unchanged except for the documented canonicalisations below.

use std::path::{Path, PathBuf};

use algogate_bruno::{
    ParseError, parse_collection, parse_environment, parse_request, parse_request_openalgo,
    write_collection, write_environment, write_request,
};
use serde_json::Value;

#[derive(Debug, Clone, Copy)]
enum Mode {
    Request,
    OpenAlgo,
    Collection,
    Env,
}

fn parse(mode: Mode, text: &str) -> Result<Value, ParseError> {
    match mode {
        Mode::Request => parse_request(text),
        Mode::OpenAlgo => parse_request_openalgo(text),
        Mode::Collection => parse_collection(text),
        Mode::Env => parse_environment(text),
    }
}

fn write(mode: Mode, json: &Value) -> String {
    match mode {
        Mode::Request | Mode::OpenAlgo => write_request(json),
        Mode::Collection => write_collection(json),
        Mode::Env => write_environment(json),
    }
}

/// Inputs whose data the canonical layout cannot keep exactly, and why.
const LOSSY: &[(&str, &str)] = &[
    (
        "ml-value-crlf",
        "a '''-value's CRLF is written as LF (Bruno's indentString)",
    ),
    (
        "legacy-body-block",
        "the legacy `body {}` block is written as `body:json`",
    ),
    (
        "text-block-whitespace-line",
        "empty text blocks are omitted, as Bruno does",
    ),
    (
        "auth-oauth2-client-credentials",
        "only the token field matching token_placement is written",
    ),
    (
        "auth-oauth2-password-additional",
        "only the token field matching token_placement is written",
    ),
    (
        "bruToJson-empty-example.bru",
        "an example always gets a request block",
    ),
];

fn enabled_first(list: &mut Vec<Value>, key: &str) {
    let (on, off): (Vec<Value>, Vec<Value>) = list
        .drain(..)
        .partition(|v| v.get(key).and_then(Value::as_bool).unwrap_or(false));
    list.extend(on.into_iter().chain(off));
}

fn group_by(list: &mut [Value], rank: impl Fn(&Value) -> usize) {
    list.sort_by_key(|v| rank(v));
}

/// What the canonical layout does to parsed data: default `seq` becomes a
/// string, empty lists vanish, enabled entries come before disabled ones.
fn canonical(mut v: Value) -> Value {
    if let Some(seq) = v.pointer_mut("/meta/seq").filter(|s| s.is_number()) {
        *seq = Value::String(seq.to_string());
    }
    if let Value::Object(m) = &mut v {
        m.retain(|_, x| x.as_array().is_none_or(|a| !a.is_empty()));
        for (k, x) in m.iter_mut() {
            let Value::Array(list) = x else { continue };
            match k.as_str() {
                "params" => group_by(list, |p| {
                    usize::from(p["type"] == "path") * 2 + usize::from(p["enabled"] != true)
                }),
                "variables" => group_by(list, |p| usize::from(p["secret"] == true)),
                "examples" => {}
                _ => enabled_first(list, "enabled"),
            }
        }
    }
    let lists = [
        ("/body/formUrlEncoded", "enabled"),
        ("/body/multipartForm", "enabled"),
        ("/body/file", "selected"),
    ];
    for (ptr, key) in lists {
        if let Some(Value::Array(list)) = v.pointer_mut(ptr) {
            enabled_first(list, key);
        }
    }
    for ptr in ["/vars/req", "/vars/res"] {
        if let Some(Value::Array(list)) = v.pointer_mut(ptr) {
            group_by(list, |p| {
                usize::from(p["enabled"] != true) * 2 + usize::from(p["local"] == true)
            });
        }
    }
    v
}

fn cases() -> Vec<(String, Mode, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let text = std::fs::read_to_string(dir.join("tests/fixtures/edge-cases.jsonl")).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let mode = match v["mode"].as_str().unwrap() {
            "collection" => Mode::Collection,
            "env" => Mode::Env,
            _ => Mode::Request,
        };
        let name = v["name"].as_str().unwrap().to_owned();
        out.push((name, mode, v["input"].as_str().unwrap().to_owned()));
    }
    let mut files = Vec::new();
    walk(&dir.join("tests/fixtures/v2"), &mut files);
    walk(&dir.join("../../collections"), &mut files);
    for f in files {
        let name = f.to_string_lossy().into_owned();
        let mode = if name.contains("/environments/") {
            Mode::Env
        } else if name.ends_with("collection.bru") || name.ends_with("folder.bru") {
            Mode::Collection
        } else {
            Mode::OpenAlgo
        };
        out.push((name, mode, std::fs::read_to_string(&f).unwrap()));
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && !p.ends_with("node_modules") {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "bru") {
            out.push(p);
        }
    }
}

#[test]
fn parse_write_parse_is_stable() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, mode, input) in cases() {
        let Ok(first) = parse(mode, &input) else {
            continue;
        };
        checked += 1;
        let text = write(mode, &first);
        let second = match parse(mode, &text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: written text does not parse: {e}\n{text}"));
                continue;
            }
        };
        let again = write(mode, &second);
        if again != text {
            failures.push(format!(
                "{name}: writing is not a fixpoint\n{text}\n---\n{again}"
            ));
        }
        let short = name.rsplit('/').next().unwrap_or(&name);
        let allowed = LOSSY.iter().any(|(n, _)| *n == short);
        if canonical(second.clone()) != canonical(first.clone()) && !allowed {
            failures.push(format!("{name}: data changed\n{first}\n{second}\n{text}"));
        }
    }
    assert!(checked > 120, "only {checked} inputs parsed");
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn writer_uses_brunos_canonical_layout() {
    let json = parse_request(
        "get {\n  url: http://x\n}\nmeta {\n  name: n\n  seq: 2\n}\nheaders {\n  ~b: 2\n  a: 1\n}\n",
    )
    .unwrap();
    assert_eq!(
        write_request(&json),
        "meta {\n  name: n\n  seq: 2\n  type: http\n}\n\nget {\n  url: http://x\n}\n\nheaders {\n  a: 1\n  ~b: 2\n}\n"
    );
}

#[test]
fn openalgo_websocket_files_are_written_in_brunos_own_ws_format() {
    let src = "meta {\n  name: W\n  type: websocket\n  seq: 1\n}\n\nwebsocket {\n  url: ws://h:1\n}\n\nmessage:json {\n  {\"action\": \"ping\"}\n}\n";
    let text = write_request(&parse_request_openalgo(src).unwrap());
    let strict = parse_request(&text).expect("official grammar accepts the written file");
    assert_eq!(strict["ws"]["url"], "ws://h:1");
    assert_eq!(strict["body"]["ws"][0]["content"], "{\"action\": \"ping\"}");
}
