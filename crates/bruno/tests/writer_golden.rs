//! Bruno's json→bru fixtures: where Bruno's own `jsonToBru` reproduces the
//! `.bru` byte for byte from the `.json` (these 16 of the 28 pairs, checked with
//! npm 0.39.0 and `check_fixtures.js`), our writer must too.

use std::path::Path;

use algogate_bruno::{write_collection, write_request};
use serde_json::Value;

/// Pairs whose `.json` Bruno's own writer turns back into the exact `.bru`.
const EXACT: &[&str] = &[
    "custom-methods/fixtures/custom-method",
    "custom-methods/fixtures/custom-method-x-custom",
    "custom-methods/fixtures/custom-method-with-special-chars",
    "examples/fixtures/bru/complex-with-auth",
    "examples/fixtures/bru/examples-multiline-description",
    "examples/fixtures/bru/form-data-complex",
    "examples/fixtures/bru/jsonToBru-bodytypes",
    "examples/fixtures/bru/jsonToBru-multiple",
    "examples/fixtures/bru/jsonToBru-response",
    "examples/fixtures/bru/jsonToBru-simple",
    "examples/fixtures/bru/multiple-examples-variations",
    "examples/fixtures/bru/oauth2-examples",
    "fixtures/collection",
    "fixtures/request",
    "settings/fixtures/settings-all-options",
    "settings/fixtures/settings-minimal",
];

#[test]
fn writer_reproduces_brunos_golden_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2/tests");
    let mut failures = Vec::new();
    for stem in EXACT {
        let bru = std::fs::read_to_string(root.join(format!("{stem}.bru"))).unwrap();
        let json_path = match stem.strip_prefix("examples/fixtures/bru/") {
            Some(name) => root.join(format!("examples/fixtures/json/{name}.json")),
            None => root.join(format!("{stem}.json")),
        };
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
        let written = if stem.ends_with("/collection") {
            write_collection(&json)
        } else {
            write_request(&json)
        };
        if written != bru {
            failures.push(format!("{stem}:\n--- ours\n{written}\n--- bruno\n{bru}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
