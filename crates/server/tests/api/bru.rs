//! `algogate bru parse` and `algogate bru check` through the real binary, with no
//! configuration, database or secrets in the environment.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_algogate");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `algogate` in an empty directory with an empty environment (no pepper, no salt).
fn bru(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .current_dir(cwd.path())
        .arg("bru")
        .args(args)
        .output()
        .unwrap();
    // Nothing may have been created (no data directory, no secrets file).
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_the_projects_collection() {
    let dir = repo().join("collections");
    let (code, out, err) = bru(&["check".as_ref(), dir.as_os_str()]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let files = out.trim_end().rsplit('\n').next().unwrap();
    assert!(
        files.starts_with("checked ") && files.ends_with(": 0 problems"),
        "{out}"
    );
    let n: usize = files["checked ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 40, "{out}");
}

#[test]
fn check_fails_with_file_line_column_on_a_broken_collection() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("orders")).unwrap();
    std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
    std::fs::write(
        root.join("orders/good.bru"),
        "meta {\n  name: Good\n  type: http\n}\n\nget {\n  url: http://x\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("orders/broken.bru"),
        "meta {\n  name: Broken\n}\n\npost {\n  url: http://x\n",
    )
    .unwrap();
    std::fs::write(root.join("node_modules/x/ignored.bru"), "{{{").unwrap();
    let (code, out, err) = bru(&["check".as_ref(), root.as_os_str()]);
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    let broken = root.join("orders/broken.bru").display().to_string();
    assert!(
        out.contains(&format!("{broken}:7:1: expected ")),
        "stdout:\n{out}"
    );
    assert!(!out.contains("ignored.bru"), "{out}");
    assert!(out.ends_with("checked 2 files: 1 problem\n"), "{out}");

    let (code, out, err) = bru(&["parse".as_ref(), root.join("orders/broken.bru").as_os_str()]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(
        err.starts_with(&format!("{broken}:7:1: expected ")),
        "{err}"
    );
}

#[test]
fn parse_prints_the_official_json_of_a_fixture() {
    let fixtures = repo().join("crates/bruno/tests/fixtures");
    for (file, golden) in [
        (
            "v2/tests/fixtures/request.bru",
            "v2_tests_fixtures_request.json",
        ),
        (
            "v2/tests/fixtures/collection.bru",
            "v2_tests_fixtures_collection.json",
        ),
    ] {
        let (code, out, err) = bru(&["parse".as_ref(), fixtures.join(file).as_os_str()]);
        assert_eq!(code, Some(0), "{file}: {err}");
        let golden = std::fs::read_to_string(fixtures.join("official").join(golden)).unwrap();
        assert_eq!(out, golden, "{file}");
    }

    // An environment given explicitly, and the wrong mode forced on it.
    let env = repo().join("collections/environments/local.bru");
    let (code, out, _) = bru(&["parse".as_ref(), env.as_os_str()]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["variables"][0]["name"], "host");
    let request = fixtures.join("v2/tests/fixtures/request.bru");
    let (code, _, err) = bru(&[
        "parse".as_ref(),
        request.as_os_str(),
        "--mode".as_ref(),
        "env".as_ref(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("request.bru:1:1: expected"), "{err}");
}

#[test]
fn convert_writes_our_collection_as_yaml_that_checks_and_converts_back() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("yaml");
    let back = tmp.path().join("bru");
    let src = repo().join("collections");
    let (code, out, err) = bru(&[
        "convert".as_ref(),
        src.as_os_str(),
        yaml.as_os_str(),
        "--to".as_ref(),
        "yaml".as_ref(),
    ]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains(": 0 fields not converted, 0 files not readable"),
        "{out}"
    );
    assert!(yaml.join("opencollection.yml").is_file());
    let (code, out, _) = bru(&["check".as_ref(), yaml.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out, err) = bru(&[
        "convert".as_ref(),
        yaml.as_os_str(),
        back.as_os_str(),
        "--to".as_ref(),
        "bru".as_ref(),
    ]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let (code, out, _) = bru(&["check".as_ref(), back.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    // A second run into the same directory is refused.
    let (code, _, err) = bru(&[
        "convert".as_ref(),
        src.as_os_str(),
        yaml.as_os_str(),
        "--to".as_ref(),
        "yaml".as_ref(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn openapi_prints_the_document_without_configuration() {
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .current_dir(cwd.path())
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/placeorder"]["post"].is_object());
}
