//! No input makes the parsers panic: arbitrary text, and fixtures with random
//! edits (which keep most of the structure, so they reach deeper rules).

use std::path::Path;

use algogate_bruno::{
    collection_from_yaml, environment_from_yaml, folder_from_yaml, parse_collection,
    parse_environment, parse_request, parse_request_openalgo, request_from_yaml, request_to_yaml,
    write_request,
};
use proptest::prelude::*;

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2/tests");
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "bru") {
                out.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    out.sort();
    out
}

fn all_parsers(text: &str) {
    let _ = collection_from_yaml(text);
    let _ = folder_from_yaml(text);
    let _ = environment_from_yaml("e", text);
    if let Ok(c) = request_from_yaml(text) {
        let _ = request_to_yaml(&c.value);
    }
    let _ = parse_collection(text);
    let _ = parse_environment(text);
    let _ = parse_request(text);
    if let Ok(v) = parse_request_openalgo(text) {
        let _ = parse_request_openalgo(&write_request(&v));
    }
}

/// Pieces that matter to the grammar, so random text hits real rules.
const TOKENS: &[&str] = &[
    "info:\n",
    "http:\n  ",
    "runtime:\n  ",
    "- name: ",
    "  value: ",
    ": ",
    "- ",
    "&a ",
    "*a",
    "|-\n",
    "---\n",
    "meta",
    "get",
    "http",
    "headers",
    "body:json",
    "example",
    "vars",
    "vars:secret",
    "docs",
    "auth:oauth2",
    "body:multipart-form",
    "body:file",
    "settings",
    "websocket",
    "message:json",
    "{",
    "}",
    "\n}",
    "\n",
    "\r\n",
    "\r",
    ":",
    "~",
    "@",
    "@description(",
    "'''",
    "\"",
    "\\",
    "[",
    "]",
    ",",
    "(",
    ")",
    "  ",
    "\t",
    "a",
    "é",
    "😀",
    "@file(",
    "@contentType(",
    "request: {",
    "response: {",
    "status: {",
    "color:",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_strings_do_not_panic(s in ".{0,300}") {
        all_parsers(&s);
    }

    #[test]
    fn token_soup_does_not_panic(s in token_soup()) {
        all_parsers(&s);
    }

    #[test]
    fn mutated_fixtures_do_not_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(TOKENS)), 1..6),
    ) {
        let corpus = corpus();
        let mut text = corpus[pick.index(corpus.len())].clone();
        for (at, op, tok) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            match op {
                0 => text.insert_str(i, tok),
                1 => {
                    let mut j = (i + tok.len()).min(text.len());
                    while !text.is_char_boundary(j) {
                        j -= 1;
                    }
                    text.replace_range(i..j, "");
                }
                _ => text.replace_range(i..i, &tok.repeat(2)),
            }
        }
        all_parsers(&text);
    }
}
