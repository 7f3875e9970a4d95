//! `algogate bru parse FILE` and `algogate bru check DIR`: the `.bru` parser on the command
//! line. No database, configuration or secrets are involved.
//!
//! Request files are parsed with OpenAlgo's WebSocket extension allowed (`websocket {}`,
//! `message:json {}`), as the playground does; for every file the official parser accepts
//! the JSON is the same as Bruno's `bruToJson`.

use std::io::Write;
use std::path::{Path, PathBuf};

use algogate_bruno::ParseError;
use serde_json::Value;

/// Which of Bruno's three file grammars to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A request file (`bruToJson`).
    Request,
    /// `collection.bru` or `folder.bru` (`collectionBruToJson`).
    Collection,
    /// An environment file (`envToJson`).
    Env,
}

/// The mode Bruno would use for a file at `path`: `collection.bru` and `folder.bru` are
/// collection files, files in a directory named `environments` are environments, the rest
/// are requests.
pub fn infer_mode(path: &Path) -> Mode {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if name == "collection.bru" || name == "folder.bru" {
        Mode::Collection
    } else if parent == "environments" {
        Mode::Env
    } else {
        Mode::Request
    }
}

/// Parses `.bru` text in the given mode.
pub fn parse_text(text: &str, mode: Mode) -> Result<Value, ParseError> {
    match mode {
        Mode::Request => algogate_bruno::parse_request_openalgo(text),
        Mode::Collection => algogate_bruno::parse_collection(text),
        Mode::Env => algogate_bruno::parse_environment(text),
    }
}

/// `file:line:col: expected …` for a parse error.
pub fn diagnostic(file: &str, e: &ParseError) -> String {
    let shown: Vec<&str> = e.expected.iter().take(12).map(String::as_str).collect();
    let more = if e.expected.len() > shown.len() {
        ", ..."
    } else {
        ""
    };
    format!(
        "{file}:{}:{}: expected {}{more}",
        e.line,
        e.column,
        shown.join(", ")
    )
}

/// Reads and parses one file (mode inferred from the path unless given). On failure, the
/// `file:line:col: message` diagnostic.
pub fn parse_file(path: &Path, mode: Option<Mode>) -> Result<Value, String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, col) = position(e.as_bytes(), e.utf8_error().valid_up_to());
        format!("{shown}:{line}:{col}: invalid UTF-8")
    })?;
    parse_text(&text, mode.unwrap_or_else(|| infer_mode(path))).map_err(|e| diagnostic(&shown, &e))
}

/// 1-based line and column (in characters) of a byte offset in valid-up-to-there UTF-8.
fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// What `check` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Files checked (`.bru` files and `bruno.json`).
    pub files: usize,
    /// One `file:line:col: message` line per problem.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// The closing summary line.
    pub fn summary(&self) -> String {
        format!(
            "checked {} file{}: {} problem{}",
            self.files,
            if self.files == 1 { "" } else { "s" },
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" },
        )
    }

    /// True when nothing failed and there was something to check.
    pub fn ok(&self) -> bool {
        self.files > 0 && self.problems.is_empty()
    }
}

/// Parses every `.bru` file under `root` (skipping `node_modules` and hidden directories)
/// with the mode its path implies, and checks that `bruno.json` (when present) is JSON.
pub fn check_dir(root: &Path) -> Result<CheckReport, String> {
    if !root.is_dir() {
        return Err(format!("{}: not a directory", root.display()));
    }
    let mut files = Vec::new();
    let mut report = CheckReport::default();
    walk(root, &mut files, &mut report.problems);
    let manifest = root.join("bruno.json");
    if manifest.is_file() {
        report.files += 1;
        let shown = manifest.display().to_string();
        match std::fs::read(&manifest) {
            Ok(bytes) => {
                if let Err(e) = serde_json::from_slice::<Value>(&bytes) {
                    report
                        .problems
                        .push(format!("{shown}:{}:{}: {e}", e.line(), e.column()));
                }
            }
            Err(e) => report.problems.push(format!("{shown}: cannot read: {e}")),
        }
    }
    for file in files {
        report.files += 1;
        if let Err(problem) = parse_file(&file, None) {
            report.problems.push(problem);
        }
    }
    Ok(report)
}

/// Collects `.bru` files, sorted, without following symlinked directories.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            problems.push(format!("{}: cannot read directory: {e}", dir.display()));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "node_modules" {
                walk(&path, out, problems);
            }
        } else if name.ends_with(".bru") && path.is_file() {
            out.push(path);
        }
    }
}

/// `algogate bru parse`: the JSON on `out`, or the diagnostic on `err`. Returns the exit
/// code.
pub fn run_parse(file: &Path, mode: Option<Mode>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match parse_file(file, mode) {
        Ok(json) => {
            let text = serde_json::to_string_pretty(&json).unwrap_or_default();
            if writeln!(out, "{text}").is_err() {
                return 1;
            }
            0
        }
        Err(problem) => {
            let _ = writeln!(err, "{problem}");
            1
        }
    }
}

/// `algogate bru check`: every problem and a summary on `out`. Returns the exit code.
pub fn run_check(dir: &Path, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match check_dir(dir) {
        Ok(report) => {
            for p in &report.problems {
                let _ = writeln!(out, "{p}");
            }
            let _ = writeln!(out, "{}", report.summary());
            if report.files == 0 {
                let _ = writeln!(err, "{}: no .bru files found", dir.display());
            }
            u8::from(!report.ok())
        }
        Err(e) => {
            let _ = writeln!(err, "{e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "meta {\n  name: Ping\n  type: http\n  seq: 1\n}\n\nget {\n  url: {{host}}/api/v1/ping\n}\n";

    fn write(dir: &Path, rel: &str, text: &[u8]) -> PathBuf {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn mode_is_inferred_from_the_path() {
        assert_eq!(infer_mode(Path::new("c/collection.bru")), Mode::Collection);
        assert_eq!(
            infer_mode(Path::new("c/orders/folder.bru")),
            Mode::Collection
        );
        assert_eq!(infer_mode(Path::new("c/environments/local.bru")), Mode::Env);
        assert_eq!(infer_mode(Path::new("environments/local.bru")), Mode::Env);
        assert_eq!(
            infer_mode(Path::new("c/orders/placeorder.bru")),
            Mode::Request
        );
        assert_eq!(infer_mode(Path::new("x.bru")), Mode::Request);
    }

    #[test]
    fn diagnostic_has_file_line_column() {
        let e = parse_text("get {\n  url: x\n", Mode::Request).unwrap_err();
        let d = diagnostic("a/b.bru", &e);
        assert!(
            d.starts_with(&format!("a/b.bru:{}:{}: expected ", e.line, e.column)),
            "{d}"
        );
        assert_eq!(e.line, 3);
    }

    #[test]
    fn parse_modes_differ() {
        let env = "vars {\n  host: http://x\n}\n";
        let v = parse_text(env, Mode::Env).unwrap();
        assert_eq!(v["variables"][0]["name"], "host");
        // A request file is not a valid environment.
        assert!(parse_text(GOOD, Mode::Env).is_err());
        // OpenAlgo's WebSocket extension is accepted for requests.
        let ws = "meta {\n  name: Ping\n  type: ws\n}\n\nwebsocket {\n  url: ws://x\n}\n\nmessage:json {\n  {\"action\": \"ping\"}\n}\n";
        assert!(parse_text(ws, Mode::Request).is_ok());
    }

    #[test]
    fn run_parse_prints_json_or_a_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        let good = write(dir.path(), "ping.bru", GOOD.as_bytes());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_parse(&good, None, &mut out, &mut err), 0);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["http"]["url"], "{{host}}/api/v1/ping");
        assert!(err.is_empty());

        let bad = write(dir.path(), "bad.bru", b"get {\n  url: x\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_parse(&bad, None, &mut out, &mut err), 1);
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.starts_with(&format!("{}:3:1: expected", bad.display())),
            "{err}"
        );

        let latin1 = write(dir.path(), "l.bru", b"meta {\n  name: caf\xe9\n}\n");
        let e = parse_file(&latin1, None).unwrap_err();
        assert!(e.ends_with("l.bru:2:12: invalid UTF-8"), "{e}");

        let missing = dir.path().join("missing.bru");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_parse(&missing, None, &mut out, &mut err), 1);
        assert!(String::from_utf8(err).unwrap().contains("cannot read"));
    }

    #[test]
    fn check_reports_every_problem_and_skips_hidden_and_node_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "bruno.json", b"{\"version\": \"1\",}");
        write(root, "collection.bru", b"auth {\n  mode: none\n}\n");
        write(root, "orders/folder.bru", b"meta {\n  name: Orders\n}\n");
        write(root, "orders/ping.bru", GOOD.as_bytes());
        write(
            root,
            "orders/broken.bru",
            b"meta {\n  name: x\n}\n\nget {\n  url x\n}\n",
        );
        write(root, "environments/local.bru", b"vars {\n  host: h\n}\n");
        write(root, "environments/bad.bru", GOOD.as_bytes());
        write(root, "node_modules/pkg/bad.bru", b"{{{");
        write(root, ".git/bad.bru", b"{{{");
        write(root, "notes.txt", b"{{{");

        let report = check_dir(root).unwrap();
        assert_eq!(report.files, 7, "{report:?}");
        assert_eq!(report.problems.len(), 3, "{report:?}");
        assert!(report.problems[0].contains("bruno.json:1:"), "{report:?}");
        assert!(report.problems[1].contains("environments/bad.bru:1:1: expected"));
        assert!(report.problems[2].contains("orders/broken.bru:6:"));
        assert!(!report.ok());
        assert_eq!(report.summary(), "checked 7 files: 3 problems");

        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_check(root, &mut out, &mut err), 1);
        let out = String::from_utf8(out).unwrap();
        assert!(out.ends_with("checked 7 files: 3 problems\n"), "{out}");
    }

    #[test]
    fn check_of_a_clean_collection_passes_and_of_nothing_fails() {
        let dir = tempfile::tempdir().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_check(dir.path(), &mut out, &mut err), 1);
        assert!(String::from_utf8(err).unwrap().contains("no .bru files"));

        write(dir.path(), "ping.bru", GOOD.as_bytes());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_check(dir.path(), &mut out, &mut err), 0);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "checked 1 file: 0 problems\n"
        );

        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_check(&dir.path().join("nope"), &mut out, &mut err), 1);
        assert!(String::from_utf8(err).unwrap().contains("not a directory"));
    }
}
