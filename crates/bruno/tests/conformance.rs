//! Conformance with Bruno's official parser (`@usebruno/lang` 0.39.0).
//!
//! * `fixtures/v2/**`: Bruno's own parser fixtures. Where a `.json` partner is a
//!   bru→json golden, our JSON must equal it key-order-insensitively (as Bruno's
//!   jest `toEqual` does). Independently, `fixtures/official/*.json` holds what
//!   the npm parser printed for every fixture `.bru` (via `bru2json.js`); our
//!   output must match it byte for byte, key order included.
//! * `fixtures/edge-cases.jsonl`: 110 inputs with the official output or error;
//!   outputs must match byte for byte, errors must fail at the same line/column.

use std::path::{Path, PathBuf};

use algogate_bruno::{ParseError, parse_collection, parse_environment, parse_request};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn bru_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            bru_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "bru") {
            out.push(p);
        }
    }
}

fn all_fixture_brus() -> Vec<PathBuf> {
    let mut v = Vec::new();
    bru_files(&fixtures().join("v2"), &mut v);
    v
}

fn parse_fixture(path: &Path) -> Result<Value, ParseError> {
    let text = std::fs::read_to_string(path).unwrap();
    if path.file_name().is_some_and(|n| n == "collection.bru") {
        parse_collection(&text)
    } else {
        parse_request(&text)
    }
}

/// These pairs are json→bru fixtures only in Bruno's own spec (their JSON is
/// not what the parser produces); they are still checked against `official/`.
const NOT_BRU_TO_JSON: [&str; 5] = [
    "jsonToBru-simple",
    "jsonToBru-multiple",
    "jsonToBru-response",
    "jsonToBru-bodytypes",
    "examples-complex",
];

fn golden_partner(bru: &Path) -> Option<PathBuf> {
    let stem = bru.file_stem()?.to_str()?;
    if NOT_BRU_TO_JSON.contains(&stem) {
        return None;
    }
    let same = bru.with_extension("json");
    let sibling = bru
        .parent()?
        .parent()?
        .join("json")
        .join(format!("{stem}.json"));
    [same, sibling].into_iter().find(|p| p.exists())
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn bruno_golden_fixtures_give_equal_json() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for bru in all_fixture_brus() {
        let Some(json) = golden_partner(&bru) else {
            continue;
        };
        checked += 1;
        match parse_fixture(&bru) {
            Ok(got) if got == read_json(&json) => {}
            Ok(got) => failures.push(format!("{}: differs\n{got:#}", bru.display())),
            Err(e) => failures.push(format!("{}: {e}", bru.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 23, "expected 23 bru→json golden pairs");
}

fn official_name(bru: &Path) -> String {
    let rel = bru.strip_prefix(fixtures()).unwrap().with_extension("");
    format!("{}.json", rel.to_string_lossy().replace('/', "_"))
}

#[test]
fn every_fixture_matches_the_npm_parser_byte_for_byte() {
    let mut failures = Vec::new();
    let files = all_fixture_brus();
    for bru in &files {
        let expected = read_json(&fixtures().join("official").join(official_name(bru)));
        match parse_fixture(bru) {
            Ok(got) => {
                let (g, e) = (got.to_string(), expected.to_string());
                if g != e {
                    failures.push(format!("{}:\n ours {g}\n npm  {e}", bru.display()));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", bru.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(files.len(), 29);
}

/// One line of `edge-cases.jsonl`.
#[derive(Debug)]
pub struct EdgeCase {
    pub name: String,
    pub mode: String,
    pub input: String,
    pub output: Option<Value>,
    pub error: Option<String>,
}

pub fn edge_cases() -> Vec<EdgeCase> {
    let text = std::fs::read_to_string(fixtures().join("edge-cases.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            EdgeCase {
                name: v["name"].as_str().unwrap().to_owned(),
                mode: v["mode"].as_str().unwrap().to_owned(),
                input: v["input"].as_str().unwrap().to_owned(),
                output: v.get("output").cloned(),
                error: v.get("error").and_then(Value::as_str).map(str::to_owned),
            }
        })
        .collect()
}

fn parse_mode(mode: &str, input: &str) -> Result<Value, ParseError> {
    match mode {
        "collection" => parse_collection(input),
        "env" => parse_environment(input),
        _ => parse_request(input),
    }
}

/// Byte-for-byte JSON equality, key order included (`Value ==` ignores order).
fn same_bytes(a: &Value, b: &Value) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

#[test]
fn edge_cases_match_the_official_parser() {
    let cases = edge_cases();
    assert_eq!(cases.len(), 110);
    let mut failures = Vec::new();
    for case in &cases {
        let got = parse_mode(&case.mode, &case.input);
        match (&case.output, &case.error, got) {
            (Some(want), _, Ok(v)) if same_bytes(&v, want) => {}
            (_, Some(err), Err(e))
                if err.starts_with(&format!("Line {}, col {}:", e.line, e.column)) => {}
            (_, _, got) => failures.push(format!(
                "{}: want {:?} / {:?}, got {:?}",
                case.name,
                case.output.as_ref().map(Value::to_string),
                case.error,
                got.map(|v| v.to_string()).map_err(|e| e.to_string())
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_name_the_file_line_and_column() {
    let err = parse_request("meta {\n  name: x\n} trailing\n").unwrap_err();
    assert_eq!((err.line, err.column), (3, 3));
    let shown = err.with_file("utilities/ping.bru").to_string();
    assert!(
        shown.starts_with("utilities/ping.bru: Line 3, col 3: expected "),
        "{shown}"
    );
}
