//! `algogate bru parse FILE`, `algogate bru check DIR` and `algogate bru convert SRC DEST`:
//! the collection parser on the command line, for `.bru` and Bruno's YAML
//! (OpenCollection) files alike. No database, configuration or secrets are involved.
//!
//! Request files are parsed with OpenAlgo's WebSocket extension allowed (`websocket {}`,
//! `message:json {}`), as the playground does; for every file the official parser accepts
//! the JSON is the same as Bruno's `bruToJson`. A YAML file parses to the JSON of the
//! `.bru` file it converts to.

use std::io::Write;
use std::path::{Path, PathBuf};

use algogate_bruno::{FileKind, Format, ParseError};
use serde_json::{Value, json};

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

/// The format `bru convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Bruno's YAML (OpenCollection) format: `.yml` files and `opencollection.yml`.
    Yaml,
    /// The `.bru` format: `.bru` files, `bruno.json` and `collection.bru`.
    Bru,
}

impl From<Target> for Format {
    fn from(t: Target) -> Self {
        match t {
            Target::Yaml => Format::Yaml,
            Target::Bru => Format::Bru,
        }
    }
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
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    if name == "collection.bru"
        || name == "folder.bru"
        || (is_yaml(path) && matches!(stem, "opencollection" | "folder"))
    {
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

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

/// Parses YAML (OpenCollection) text in the given mode; `opencollection.yml` gives the
/// two files it stands for, `{"bruno.json": ..., "collection.bru": ...}`.
pub fn parse_yaml_text(text: &str, mode: Mode, path: &Path) -> Result<Value, ParseError> {
    let stem = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
    match mode {
        Mode::Request => algogate_bruno::parse_request_yaml(text),
        Mode::Collection if stem == "opencollection" => algogate_bruno::collection_from_yaml(text)
            .map(|c| json!({"bruno.json": c.value.config, "collection.bru": c.value.root})),
        Mode::Collection => algogate_bruno::parse_folder_yaml(text),
        Mode::Env => algogate_bruno::parse_environment_yaml(stem, text),
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
    let mode = mode.unwrap_or_else(|| infer_mode(path));
    if is_yaml(path) {
        parse_yaml_text(&text, mode, path)
    } else {
        parse_text(&text, mode)
    }
    .map_err(|e| diagnostic(&shown, &e))
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
    /// Files checked (`.bru` and `.yml` files, and `bruno.json`).
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

/// Parses every `.bru` and YAML file under `root` (skipping `node_modules` and hidden
/// directories)
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

/// Collects collection files (`.bru`, `.yml`, `.yaml`; `bruno.json` aside), sorted,
/// without following symlinked directories.
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
        } else if (name.ends_with(".bru") || is_yaml(&path)) && path.is_file() {
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
                let _ = writeln!(err, "{}: no collection files found", dir.display());
            }
            u8::from(!report.ok())
        }
        Err(e) => {
            let _ = writeln!(err, "{e}");
            1
        }
    }
}

/// What `convert` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ConvertReport {
    /// Files written under DEST (relative, `/`-separated).
    pub written: Vec<String>,
    /// `file: field: reason` for each field the target format cannot hold.
    pub lost: Vec<String>,
    /// `file:line:col: message` for each source file that could not be read.
    pub problems: Vec<String>,
}

/// The collection files under `root`: relative `/`-separated path → path.
fn collection_files(root: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    walk(root, &mut files, &mut problems);
    if let Some(p) = problems.into_iter().next() {
        return Err(p);
    }
    let manifest = root.join("bruno.json");
    if manifest.is_file() {
        files.push(manifest);
    }
    Ok(files
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, p))
        })
        .collect())
}

fn read_text(path: &Path, rel: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{rel}: cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{rel}: not UTF-8"))
}

/// `rel` with its extension replaced by `to`'s.
fn renamed(rel: &str, to: Format) -> String {
    let stem = rel.rsplit_once('.').map_or(rel, |(stem, _)| stem);
    format!("{stem}.{}", to.extension())
}

/// Writes the collection at `src` to `dest` in the format `to`: requests, folders,
/// environments and the collection's own files (`bruno.json` + `collection.bru` ⇄
/// `opencollection.yml`). Files already in that format are copied. `dest` must not exist
/// or be empty. Every field the target cannot hold is listed in the report; a source file
/// that does not parse is reported and not written.
pub fn convert_dir(src: &Path, dest: &Path, to: Format) -> Result<ConvertReport, String> {
    if !src.is_dir() {
        return Err(format!("{}: not a directory", src.display()));
    }
    if dest.exists() {
        let empty = std::fs::read_dir(dest)
            .map_err(|e| format!("{}: {e}", dest.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(format!(
                "{}: exists and is not empty; give a new directory",
                dest.display()
            ));
        }
    }
    let files = collection_files(src)?;
    let mut report = ConvertReport::default();
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut manifest: Option<Value> = None;
    let mut root_json: Option<Value> = None;
    for (rel, path) in &files {
        let Some((kind, format)) = algogate_bruno::classify(rel) else {
            continue;
        };
        let text = match read_text(path, rel) {
            Ok(t) => t,
            Err(p) => {
                report.problems.push(p);
                continue;
            }
        };
        if format == to && kind != FileKind::Manifest {
            outputs.push((rel.clone(), text));
            continue;
        }
        let fail = |e: ParseError| diagnostic(rel, &e);
        let stem = Path::new(rel)
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let converted: Result<Vec<(String, String, Vec<String>)>, String> = match (kind, to) {
            (FileKind::Manifest, Format::Yaml) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => {
                    manifest = Some(v);
                    Ok(Vec::new())
                }
                Err(e) => Err(format!("{rel}:{}:{}: {e}", e.line(), e.column())),
            },
            (FileKind::Manifest, Format::Bru) => Ok(vec![(rel.clone(), text.clone(), Vec::new())]),
            (FileKind::Collection, Format::Yaml) => algogate_bruno::parse_collection(&text)
                .map(|json| {
                    root_json = Some(json);
                    Vec::new()
                })
                .map_err(fail),
            (FileKind::Collection, Format::Bru) => algogate_bruno::collection_from_yaml(&text)
                .map(|c| {
                    let config =
                        serde_json::to_string_pretty(&c.value.config).unwrap_or_default() + "\n";
                    vec![
                        ("bruno.json".to_owned(), config, Vec::new()),
                        (
                            "collection.bru".to_owned(),
                            algogate_bruno::write_collection(&c.value.root),
                            c.lost,
                        ),
                    ]
                })
                .map_err(fail),
            (FileKind::Folder, Format::Yaml) => algogate_bruno::parse_collection(&text)
                .map(|json| {
                    let c = algogate_bruno::folder_to_yaml(&json);
                    vec![(renamed(rel, to), c.value, c.lost)]
                })
                .map_err(fail),
            (FileKind::Folder, Format::Bru) => algogate_bruno::folder_from_yaml(&text)
                .map(|c| {
                    let bru = algogate_bruno::write_collection(&c.value);
                    vec![(renamed(rel, to), bru, c.lost)]
                })
                .map_err(fail),
            (FileKind::Request, Format::Yaml) => algogate_bruno::parse_request_openalgo(&text)
                .map(|json| {
                    let c = algogate_bruno::request_to_yaml(&json);
                    vec![(renamed(rel, to), c.value, c.lost)]
                })
                .map_err(fail),
            (FileKind::Request, Format::Bru) => algogate_bruno::request_from_yaml(&text)
                .map(|c| {
                    let bru = algogate_bruno::write_request(&c.value);
                    vec![(renamed(rel, to), bru, c.lost)]
                })
                .map_err(fail),
            (FileKind::Environment, Format::Yaml) => algogate_bruno::parse_environment(&text)
                .map(|json| {
                    let c = algogate_bruno::environment_to_yaml(&stem, &json);
                    vec![(renamed(rel, to), c.value, c.lost)]
                })
                .map_err(fail),
            (FileKind::Environment, Format::Bru) => {
                algogate_bruno::environment_from_yaml(&stem, &text)
                    .map(|c| {
                        let bru = algogate_bruno::write_environment(&c.value);
                        vec![(renamed(rel, to), bru, c.lost)]
                    })
                    .map_err(fail)
            }
        };
        match converted {
            Ok(list) => {
                for (out_rel, out_text, lost) in list {
                    report
                        .lost
                        .extend(lost.into_iter().map(|l| format!("{rel}: {l}")));
                    outputs.push((out_rel, out_text));
                }
            }
            Err(p) => report.problems.push(p),
        }
    }
    if to == Format::Yaml && (manifest.is_some() || root_json.is_some()) {
        let config = manifest.unwrap_or_else(|| {
            let name = src
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("collection");
            json!({"version": "1", "name": name, "type": "collection"})
        });
        let root = root_json.unwrap_or_else(|| json!({}));
        let c = algogate_bruno::collection_to_yaml(&config, &root);
        report.lost.extend(
            c.lost
                .into_iter()
                .map(|l| format!("opencollection.yml: {l}")),
        );
        outputs.push(("opencollection.yml".to_owned(), c.value));
    }
    for (rel, text) in outputs {
        let path = dest.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        report.written.push(rel);
    }
    report.written.sort();
    Ok(report)
}

/// `algogate bru convert`: each field that could not be carried over and each file that
/// did not parse on `out`, then a summary. Exits non-zero when a file could not be read.
pub fn run_convert(
    src: &Path,
    dest: &Path,
    to: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    match convert_dir(src, dest, to) {
        Ok(report) => {
            for l in &report.lost {
                let _ = writeln!(out, "not converted: {l}");
            }
            for p in &report.problems {
                let _ = writeln!(out, "{p}");
            }
            let name = match to {
                Format::Yaml => "YAML",
                Format::Bru => ".bru",
            };
            let _ = writeln!(
                out,
                "wrote {} file{} to {} as {name}: {} field{} not converted, {} file{} not readable",
                report.written.len(),
                if report.written.len() == 1 { "" } else { "s" },
                dest.display(),
                report.lost.len(),
                if report.lost.len() == 1 { "" } else { "s" },
                report.problems.len(),
                if report.problems.len() == 1 { "" } else { "s" },
            );
            u8::from(!report.problems.is_empty() || report.written.is_empty())
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
        assert!(
            String::from_utf8(err)
                .unwrap()
                .contains("no collection files")
        );

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

    fn ours() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../collections")
    }

    /// Bruno's `ws` and OpenAlgo's `websocket` request type are one to the model.
    fn same_type(mut v: Value) -> Value {
        if v["meta"]["type"] == "websocket" {
            v["meta"]["type"] = json!("ws");
        }
        v
    }

    #[test]
    fn our_collection_converts_to_yaml_and_back_without_loss() {
        let tmp = tempfile::tempdir().unwrap();
        let yaml = tmp.path().join("yaml");
        let bru = tmp.path().join("bru");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run_convert(&ours(), &yaml, Format::Yaml, &mut out, &mut err),
            0
        );
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("not converted:"), "{out}");
        assert!(yaml.join("opencollection.yml").is_file());
        assert!(!yaml.join("bruno.json").exists());
        assert!(yaml.join("orders/placeorder.yml").is_file());
        assert!(yaml.join("environments/local.yml").is_file());
        // Every YAML file checks clean.
        let report = check_dir(&yaml).unwrap();
        assert!(report.ok(), "{report:?}");

        let r = convert_dir(&yaml, &bru, Format::Bru).unwrap();
        assert!(r.lost.is_empty() && r.problems.is_empty(), "{r:?}");
        let originals = collection_files(&ours()).unwrap();
        assert_eq!(r.written.len(), originals.len(), "{:?}", r.written);
        for (rel, path) in originals {
            let back = bru.join(&rel);
            if rel == "bruno.json" {
                let a: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let b: Value = serde_json::from_slice(&std::fs::read(&back).unwrap()).unwrap();
                assert_eq!(a, b);
                continue;
            }
            let a = parse_file(&path, None).unwrap();
            let b = parse_file(&back, None).unwrap();
            assert_eq!(same_type(a), same_type(b), "{rel}");
        }
    }

    #[test]
    fn convert_reports_losses_and_broken_files_and_refuses_a_full_destination() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        write(&src, "ok.bru", GOOD.as_bytes());
        write(
            &src,
            "two-bodies.bru",
            b"meta {\n  name: T\n}\n\npost {\n  url: u\n  body: json\n}\n\nbody:json {\n  {}\n}\n\nbody:text {\n  hi\n}\n",
        );
        write(&src, "broken.bru", b"meta {\n  name: x\n");
        write(&src, "notes.txt", b"not a collection file");
        let dest = tmp.path().join("out");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run_convert(&src, &dest, Format::Yaml, &mut out, &mut err),
            1
        );
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(
                "not converted: two-bodies.bru: body.text: has no OpenCollection YAML form"
            ),
            "{out}"
        );
        assert!(out.contains("broken.bru:3:1: expected"), "{out}");
        assert!(out.contains("wrote 2 files to"), "{out}");
        assert!(dest.join("ok.yml").is_file() && !dest.join("broken.yml").exists());
        assert!(!dest.join("notes.txt").exists());

        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run_convert(&src, &dest, Format::Yaml, &mut out, &mut err),
            1
        );
        assert!(String::from_utf8(err).unwrap().contains("not empty"));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run_convert(
                &tmp.path().join("none"),
                &dest,
                Format::Bru,
                &mut out,
                &mut err
            ),
            1
        );
    }

    #[test]
    fn yaml_files_parse_and_check_like_bru_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let req = write(
            root,
            "ping.yml",
            b"info:\n  name: Ping\n  type: http\n  seq: 1\nhttp:\n  method: POST\n  url: \"{{host}}/api/v1/ping\"\n",
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_parse(&req, None, &mut out, &mut err), 0);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["http"]["method"], "post");
        write(
            root,
            "opencollection.yml",
            b"opencollection: 1.0.0\ninfo:\n  name: c\n",
        );
        write(root, "f/folder.yml", b"info:\n  name: f\n  type: folder\n");
        write(
            root,
            "environments/local.yml",
            b"name: local\nvariables:\n  - name: host\n    value: h\n",
        );
        write(root, "bad.yml", b"info:\n  name: [x\n");
        let report = check_dir(root).unwrap();
        assert_eq!(report.files, 5, "{report:?}");
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert!(report.problems[0].contains("bad.yml:"), "{report:?}");
        let v = parse_file(&root.join("opencollection.yml"), None).unwrap();
        assert_eq!(v["bruno.json"]["name"], "c");
        let v = parse_file(&root.join("environments/local.yml"), None).unwrap();
        assert_eq!(v["variables"][0]["value"], "h");
    }
}
