//! The API Playground's catalog (SPEC §6): our Bruno collection read through
//! `algogate-bruno` and turned into what the page needs — the endpoint list in OpenAlgo's
//! `/playground/endpoints` shape, the collection as Bruno JSON and as Postman v2.1.
//!
//! The collection may be in `.bru` or Bruno's YAML (OpenCollection) format, or a mix.
//! The files come from `config.collections_dir`, or from the copy embedded in the binary
//! when that directory does not exist. They are loaded once at start and read again on
//! each request for the catalog: a content hash decides whether anything changed, so an
//! edited `.bru` file shows up on the next page load without a restart. A file that does
//! not parse is logged with its file, line and column and skipped; the server never stops
//! over one.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use algogate_bruno::{FileKind, Format, ParseError, RequestView};
use serde_json::{Map, Value, json};

/// The categories of `/playground/endpoints`, in OpenAlgo's order.
pub const CATEGORIES: [&str; 5] = ["account", "orders", "data", "utilities", "websocket"];

/// Files larger than this are not collection files and are skipped.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// A directory with more files than this is not our collection: stop reading there.
const MAX_FILES: usize = 5000;
const MAX_DEPTH: usize = 8;

#[derive(rust_embed::Embed)]
#[folder = "../../collections/"]
struct Embedded;

/// The collection's files: path relative to the root with `/` separators → contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Where the current catalog came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Dir(PathBuf),
    Embedded,
}

/// One parsed state of the collection.
#[derive(Debug)]
pub struct Snapshot {
    /// `{account: [...], orders: [...], data: [...], utilities: [...], websocket: [...]}`.
    pub endpoints: Value,
    /// The collection as one Bruno JSON document (`bruToJson` of every file).
    pub bruno: Value,
    /// The HTTP requests as a Postman v2.1 collection.
    pub postman: Value,
    /// Files that were skipped, with the reason (`file: Line L, col C: expected ...`).
    pub errors: Vec<String>,
}

/// The loaded catalog; cheap to share.
#[derive(Debug)]
pub struct Catalog {
    dir: PathBuf,
    current: tokio::sync::Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    hash: u64,
    source: Source,
    snapshot: Arc<Snapshot>,
}

impl Catalog {
    /// Loads the collection now (errors are logged, never fatal).
    pub fn load(dir: PathBuf) -> Self {
        let (source, files) = read_source(&dir);
        let loaded = install(source, &files);
        Self {
            dir,
            current: tokio::sync::Mutex::new(loaded),
        }
    }

    /// The current snapshot, re-reading the collection first and rebuilding it when the
    /// files changed since the last call.
    pub async fn current(&self) -> Arc<Snapshot> {
        let mut cur = self.current.lock().await;
        let dir = self.dir.clone();
        let Ok((source, files)) = tokio::task::spawn_blocking(move || read_source(&dir)).await
        else {
            return cur.snapshot.clone();
        };
        let changed = source != cur.source || hash_files(&files) != cur.hash;
        if changed
            && let Ok(loaded) = tokio::task::spawn_blocking(move || install(source, &files)).await
        {
            *cur = loaded;
        }
        cur.snapshot.clone()
    }

    /// Where the current snapshot was read from.
    pub async fn source(&self) -> Source {
        self.current.lock().await.source.clone()
    }
}

fn install(source: Source, files: &Files) -> Loaded {
    let snapshot = build(files);
    for e in &snapshot.errors {
        tracing::warn!(error = %e, "playground: skipping a collection file that does not parse");
    }
    let count: usize = CATEGORIES
        .iter()
        .map(|c| snapshot.endpoints[*c].as_array().map_or(0, Vec::len))
        .sum();
    match &source {
        Source::Dir(d) => tracing::info!(
            dir = %d.display(),
            endpoints = count,
            skipped = snapshot.errors.len(),
            "playground collection loaded"
        ),
        Source::Embedded => tracing::info!(
            endpoints = count,
            skipped = snapshot.errors.len(),
            "playground collection loaded from the copy embedded in the binary"
        ),
    }
    Loaded {
        hash: hash_files(files),
        source,
        snapshot: Arc::new(snapshot),
    }
}

fn hash_files(files: &Files) -> u64 {
    let mut h = DefaultHasher::new();
    files.hash(&mut h);
    h.finish()
}

/// The directory's files when it exists (an unreadable one gives what could be read,
/// logged), else the embedded copy.
fn read_source(dir: &Path) -> (Source, Files) {
    if dir.is_dir() {
        let mut files = Files::new();
        read_dir(dir, "", 0, &mut files);
        (Source::Dir(dir.to_path_buf()), files)
    } else {
        (Source::Embedded, embedded_files())
    }
}

pub fn embedded_files() -> Files {
    Embedded::iter()
        .filter(|p| is_collection_file(p))
        .filter_map(|p| Embedded::get(&p).map(|f| (p.into_owned(), f.data.into_owned())))
        .collect()
}

/// A `.bru`, YAML (OpenCollection) or `bruno.json` file, by its path in the collection.
fn is_collection_file(path: &str) -> bool {
    algogate_bruno::classify(path).is_some()
}

fn read_dir(dir: &Path, prefix: &str, depth: usize, out: &mut Files) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "playground: cannot read a collection directory");
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        if out.len() >= MAX_FILES {
            return;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                read_dir(&path, &format!("{rel}/"), depth + 1, out);
            }
        } else if is_collection_file(&rel) {
            if meta.len() > MAX_FILE_BYTES {
                tracing::warn!(file = %rel, "playground: skipping a collection file over 1 MiB");
                continue;
            }
            match std::fs::read(&path) {
                Ok(bytes) => {
                    out.insert(rel, bytes);
                }
                Err(e) => tracing::warn!(file = %rel, error = %e, "playground: cannot read"),
            }
        }
    }
}

/// The format of a request file of the collection (not the collection's or a folder's
/// settings, nor an environment).
fn request_format(path: &str) -> Option<Format> {
    match algogate_bruno::classify(path)? {
        (FileKind::Request, format) if !path.starts_with("environments/") => Some(format),
        _ => None,
    }
}

/// The first of `stem.bru`, `stem.yml`, `stem.yaml` the collection has, with its format.
fn settings_file<'a>(files: &'a Files, stem: &str) -> Option<(String, &'a [u8], Format)> {
    [
        ("bru", Format::Bru),
        ("yml", Format::Yaml),
        ("yaml", Format::Yaml),
    ]
    .into_iter()
    .find_map(|(ext, format)| {
        let path = format!("{stem}.{ext}");
        let bytes = files.get(&path)?;
        Some((path, bytes.as_slice(), format))
    })
}

/// `environments/<name>` in either format, as the `.bru` environment JSON.
fn parse_environment_file(path: &str, bytes: &[u8]) -> Option<Result<Value, ParseError>> {
    let file = path.strip_prefix("environments/")?;
    let text = String::from_utf8_lossy(bytes);
    if file.ends_with(".bru") {
        return Some(algogate_bruno::parse_environment(&text));
    }
    let name = file
        .strip_suffix(".yml")
        .or_else(|| file.strip_suffix(".yaml"))?;
    Some(algogate_bruno::parse_environment_yaml(name, &text))
}

/// The collection's `bruno.json`, or what `opencollection.yml` says in its place.
fn collection_config(files: &Files) -> Option<Value> {
    if let Some(b) = files.get("bruno.json") {
        return serde_json::from_slice::<Value>(b).ok();
    }
    let (_, bytes, _) = settings_file(files, "opencollection")?;
    algogate_bruno::collection_from_yaml(&String::from_utf8_lossy(bytes))
        .ok()
        .map(|c| c.value.config)
}

/// Builds every view of the collection from its files. Pure.
pub fn build(files: &Files) -> Snapshot {
    let mut errors = Vec::new();
    let mut requests: Vec<(String, Value)> = Vec::new();
    for (path, bytes, format) in files
        .iter()
        .filter_map(|(p, b)| Some((p, b, request_format(p)?)))
    {
        let parsed = std::str::from_utf8(bytes)
            .map_err(|e| format!("{path}: not UTF-8 ({e})"))
            .and_then(|text| {
                match format {
                    Format::Bru => algogate_bruno::parse_request_openalgo(text),
                    Format::Yaml => algogate_bruno::parse_request_yaml(text),
                }
                .map_err(|e: ParseError| e.with_file(path.clone()).to_string())
            });
        match parsed {
            Ok(json) => requests.push((path.clone(), json)),
            Err(e) => errors.push(e),
        }
    }

    let mut categories: BTreeMap<&str, Vec<(String, Value)>> = BTreeMap::new();
    for (path, json) in &requests {
        let view = RequestView::from_json(json);
        match endpoint(path, &view) {
            Ok(Some((category, item))) => categories
                .entry(category)
                .or_default()
                .push((view.name.to_lowercase(), item)),
            Ok(None) => {}
            Err(e) => errors.push(format!("{path}: {e}")),
        }
    }
    let mut endpoints = Map::new();
    for c in CATEGORIES {
        let mut items = categories.remove(c).unwrap_or_default();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        endpoints.insert(
            c.to_owned(),
            Value::Array(items.into_iter().map(|(_, v)| v).collect()),
        );
    }

    let mut collection_errors = Vec::new();
    let bruno = bruno_json(files, &requests, &mut collection_errors);
    errors.extend(collection_errors);
    let variables = environment(files, &mut errors);
    let name = collection_name(files);
    let postman = algogate_bruno::postman::to_postman(&name, &requests, &variables);
    Snapshot {
        endpoints: Value::Object(endpoints),
        bruno,
        postman,
        errors,
    }
}

fn collection_name(files: &Files) -> String {
    collection_config(files)
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "algogate".to_owned())
}

/// `environments/local.bru` (or `.yml`) as (name, value) pairs, for Postman's collection
/// variables.
fn environment(files: &Files, errors: &mut Vec<String>) -> Vec<(String, String)> {
    let Some((path, bytes, _)) = settings_file(files, "environments/local") else {
        return Vec::new();
    };
    let Some(parsed) = parse_environment_file(&path, bytes) else {
        return Vec::new();
    };
    match parsed {
        Ok(env) => env["variables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["enabled"].as_bool().unwrap_or(true))
            .filter_map(|v| Some((v["name"].as_str()?.to_owned(), text_of(&v["value"]))))
            .map(|(k, v)| {
                let v = if k == "apikey" { String::new() } else { v };
                (k, v)
            })
            .collect(),
        Err(e) => {
            errors.push(e.with_file(path).to_string());
            Vec::new()
        }
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The category of a file: its top folder when that is one of ours, else by path like
/// OpenAlgo (reference §3.2).
fn category(path: &str, api_path: &str, websocket: bool) -> &'static str {
    if websocket {
        return "websocket";
    }
    if let Some((folder, _)) = path.split_once('/')
        && let Some(c) = CATEGORIES.iter().find(|c| **c == folder)
    {
        return c;
    }
    const ACCOUNT: [&str; 7] = [
        "funds",
        "orderbook",
        "tradebook",
        "positionbook",
        "holdings",
        "analyzer",
        "margin",
    ];
    const ORDERS: [&str; 12] = [
        "placeorder",
        "placesmartorder",
        "gtt",
        "optionsorder",
        "optionsmultiorder",
        "basketorder",
        "splitorder",
        "modifyorder",
        "cancelorder",
        "cancelallorder",
        "closeposition",
        "orderstatus",
    ];
    const DATA: [&str; 14] = [
        "quotes",
        "multiquotes",
        "depth",
        "history",
        "intervals",
        "symbol",
        "search",
        "expiry",
        "greeks",
        "optionchain",
        "ticker",
        "syntheticfuture",
        "instruments",
        "optionsymbol",
    ];
    let has = |list: &[&str]| list.iter().any(|w| api_path.contains(w));
    if has(&ACCOUNT) {
        "account"
    } else if has(&ORDERS) || api_path.contains("openposition") || api_path.contains("closeall") {
        "orders"
    } else if has(&DATA) {
        "data"
    } else {
        "utilities"
    }
}

/// Sets every `apikey` / `api_key` at the top of an object to `""`.
fn blank_key(v: &mut Value) {
    if let Value::Object(m) = v {
        for k in ["apikey", "api_key"] {
            if let Some(slot) = m.get_mut(k) {
                *slot = Value::String(String::new());
            }
        }
    }
}

/// One `/playground/endpoints` item, or `None` for a request the playground cannot send
/// (no `/api/v1/` URL, as upstream drops them).
fn endpoint(path: &str, view: &RequestView) -> Result<Option<(&'static str, Value)>, String> {
    let mut item = Map::new();
    item.insert("name".into(), Value::String(view.name.clone()));
    if view.is_websocket() {
        let msg = view
            .ws_messages
            .iter()
            .find(|m| m.selected)
            .or_else(|| view.ws_messages.first())
            .ok_or("a WebSocket request without a message")?;
        let mut body: Value = serde_json::from_str(&msg.content)
            .map_err(|e| format!("the message is not JSON ({e})"))?;
        blank_key(&mut body);
        item.insert("method".into(), Value::String("WS".into()));
        item.insert("path".into(), Value::String("/ws".into()));
        item.insert("body".into(), body);
        if let Some(d) = view.description.as_ref().filter(|d| !d.is_empty()) {
            item.insert("description".into(), Value::String(d.clone()));
        }
        return Ok(Some((category(path, "", true), Value::Object(item))));
    }
    let Some(at) = view.url.find("/api/v1/") else {
        return Ok(None);
    };
    let api_path = view.url[at..]
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let method = if view.method.is_empty() {
        "GET".to_owned()
    } else {
        view.method.clone()
    };
    item.insert("method".into(), Value::String(method.clone()));
    item.insert("path".into(), Value::String(api_path.clone()));
    match view.body_json.as_deref().filter(|b| !b.trim().is_empty()) {
        Some(text) => {
            let mut body: Value =
                serde_json::from_str(text).map_err(|e| format!("body:json is not JSON ({e})"))?;
            blank_key(&mut body);
            item.insert("body".into(), body);
        }
        None if method == "GET" => {
            let mut params: Map<String, Value> = view
                .query
                .iter()
                .filter(|q| q.enabled)
                .map(|q| (q.name.clone(), Value::String(q.value.clone())))
                .collect();
            if let Some(k) = params.get_mut("apikey") {
                *k = Value::String(String::new());
            }
            item.insert("params".into(), Value::Object(params));
        }
        None => {
            item.insert("body".into(), json!({}));
        }
    }
    Ok(Some((
        category(path, &api_path, false),
        Value::Object(item),
    )))
}

/// The collection as one Bruno JSON document: `bruno.json`, `collection.bru`, the
/// environments and a tree of folders and requests, each request as Bruno's parser JSON
/// (YAML files as the JSON of their `.bru` form).
fn bruno_json(files: &Files, requests: &[(String, Value)], errors: &mut Vec<String>) -> Value {
    // `stem` is `collection`/`opencollection` or `<folder>/folder`.
    let parse_meta = |stem: &str, errors: &mut Vec<String>| -> Option<Value> {
        let (path, bytes, format) = settings_file(files, stem)?;
        let text = String::from_utf8_lossy(bytes);
        match format {
            Format::Bru => algogate_bruno::parse_collection(&text),
            Format::Yaml if stem == "opencollection" => {
                algogate_bruno::collection_from_yaml(&text).map(|c| c.value.root)
            }
            Format::Yaml => algogate_bruno::parse_folder_yaml(&text),
        }
        .map_err(|e| errors.push(e.with_file(path).to_string()))
        .ok()
    };
    let config = collection_config(files)
        .unwrap_or_else(|| json!({"version": "1", "name": "algogate", "type": "collection"}));
    let root = parse_meta("collection", errors)
        .or_else(|| parse_meta("opencollection", errors))
        .unwrap_or(Value::Null);

    let mut environments = Vec::new();
    for (path, bytes) in files.range("environments/".to_owned()..) {
        let Some(file) = path.strip_prefix("environments/") else {
            break;
        };
        let Some(name) = [".bru", ".yml", ".yaml"]
            .iter()
            .find_map(|ext| file.strip_suffix(ext))
        else {
            continue;
        };
        let Some(parsed) = parse_environment_file(path, bytes) else {
            continue;
        };
        match parsed {
            Ok(mut env) => {
                if let Some(vars) = env["variables"].as_array_mut() {
                    for v in vars.iter_mut().filter(|v| v["name"] == "apikey") {
                        v["value"] = Value::String(String::new());
                    }
                }
                environments.push(json!({"name": name, "variables": env["variables"]}));
            }
            Err(e) => errors.push(e.with_file(path.clone()).to_string()),
        }
    }

    // Folder name → (folder.bru JSON, items).
    let mut folders: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut top = Vec::new();
    for (path, json) in requests {
        let view = RequestView::from_json(json);
        let item = json!({
            "type": if view.is_websocket() { "ws-request" } else { "http-request" },
            "name": view.name,
            "seq": view.seq,
            "filename": path.rsplit('/').next().unwrap_or(path),
            "data": json,
        });
        match path.rsplit_once('/') {
            Some((folder, _)) => folders.entry(folder.to_owned()).or_default().push(item),
            None => top.push(item),
        }
    }
    let mut items: Vec<Value> = folders
        .into_iter()
        .map(|(folder, mut list)| {
            list.sort_by(|a, b| {
                let seq = |v: &Value| v["seq"].as_f64().unwrap_or(f64::MAX);
                seq(a).total_cmp(&seq(b))
            });
            let meta = parse_meta(&format!("{folder}/folder"), errors);
            json!({"type": "folder", "name": folder, "root": meta, "items": list})
        })
        .collect();
    items.extend(top);
    json!({
        "name": config.get("name").cloned().unwrap_or_else(|| json!("algogate")),
        "version": "1",
        "brunoConfig": config,
        "root": root,
        "environments": environments,
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Files {
        list.iter()
            .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec()))
            .collect()
    }

    const PING: &str = "meta {\n  name: Ping\n  type: http\n  seq: 1\n}\n\npost {\n  url: {{host}}/api/v1/ping\n  body: json\n  auth: none\n}\n\nbody:json {\n  {\"apikey\": \"{{apikey}}\"}\n}\n";

    #[test]
    fn the_embedded_collection_builds_without_errors_in_every_category() {
        let snap = build(&embedded_files());
        assert!(snap.errors.is_empty(), "{:?}", snap.errors);
        let keys: Vec<&String> = snap.endpoints.as_object().unwrap().keys().collect();
        assert_eq!(keys, CATEGORIES.to_vec());
        for c in CATEGORIES {
            let items = snap.endpoints[c].as_array().unwrap();
            assert!(!items.is_empty(), "{c}");
            let names: Vec<String> = items
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_lowercase())
                .collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{c}");
        }
        assert!(!snap.to_string_contains("{{apikey}}"));
        assert_eq!(
            snap.postman["info"]["schema"],
            algogate_bruno::postman::SCHEMA
        );
    }

    impl Snapshot {
        fn to_string_contains(&self, s: &str) -> bool {
            self.endpoints.to_string().contains(s)
        }
    }

    #[test]
    fn a_broken_file_is_skipped_with_its_position_and_the_rest_loads() {
        let snap = build(&files(&[
            ("utilities/ping.bru", PING),
            ("utilities/broken.bru", "meta {\n  name: x\n\npost {\n"),
        ]));
        assert_eq!(snap.endpoints["utilities"].as_array().unwrap().len(), 1);
        assert_eq!(snap.errors.len(), 1);
        assert!(
            snap.errors[0].starts_with("utilities/broken.bru: Line "),
            "{}",
            snap.errors[0]
        );
        assert!(snap.errors[0].contains(", col "), "{}", snap.errors[0]);
    }

    #[test]
    fn endpoints_without_a_folder_are_classified_by_path_and_non_api_urls_dropped() {
        let funds = PING.replace("/ping", "/funds").replace("Ping", "Funds");
        let other = PING.replace("{{host}}/api/v1/ping", "https://example.com/hook");
        let snap = build(&files(&[
            ("funds.bru", &funds),
            ("chartink.bru", &other),
            ("orders/x.bru", &PING.replace("Ping", "Zed")),
        ]));
        assert_eq!(snap.endpoints["account"][0]["path"], "/api/v1/funds");
        assert_eq!(snap.endpoints["orders"][0]["name"], "Zed");
        assert_eq!(snap.endpoints["utilities"], json!([]));
        assert!(snap.errors.is_empty());
    }

    #[test]
    fn loading_logs_each_skipped_file_with_file_line_and_column() {
        let buf = crate::logging::LogBuf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::create_dir_all(dir.join("utilities")).unwrap();
        std::fs::write(dir.join("utilities/ping.bru"), PING).unwrap();
        std::fs::write(
            dir.join("utilities/bad.bru"),
            "meta {\n  name: x\n}\n\npost {\n  url: 1\n",
        )
        .unwrap();
        let catalog = tracing::subscriber::with_default(subscriber, || Catalog::load(dir.clone()));
        let log = buf.text();
        assert!(log.contains("utilities/bad.bru: Line "), "{log}");
        assert!(log.contains("skipping a collection file"), "{log}");
        let snap = catalog.current.try_lock().unwrap().snapshot.clone();
        assert_eq!(snap.endpoints["utilities"][0]["name"], "Ping");
    }

    #[test]
    fn a_yaml_collection_directory_gives_the_same_catalog() {
        let tmp = tempfile::tempdir().unwrap();
        let yaml = tmp.path().join("yaml");
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../collections");
        let report =
            crate::brucli::convert_dir(&ours, &yaml, algogate_bruno::Format::Yaml).unwrap();
        assert!(
            report.lost.is_empty() && report.problems.is_empty(),
            "{report:?}"
        );
        let (source, files) = read_source(&yaml);
        assert_eq!(source, Source::Dir(yaml.clone()));
        assert!(
            files.keys().all(|p| !p.ends_with(".bru")),
            "{:?}",
            files.keys()
        );
        let from_yaml = build(&files);
        assert!(from_yaml.errors.is_empty(), "{:?}", from_yaml.errors);
        let from_bru = build(&embedded_files());
        assert_eq!(from_yaml.endpoints, from_bru.endpoints);
        assert_eq!(from_yaml.postman, from_bru.postman);
        assert_eq!(
            from_yaml.bruno["brunoConfig"],
            from_bru.bruno["brunoConfig"]
        );
        assert_eq!(
            from_yaml.bruno["environments"],
            from_bru.bruno["environments"]
        );
        assert_eq!(
            from_yaml.bruno["items"].as_array().unwrap().len(),
            from_bru.bruno["items"].as_array().unwrap().len()
        );
        assert_eq!(
            from_yaml.bruno["root"]["docs"],
            from_bru.bruno["root"]["docs"]
        );
        assert_eq!(
            from_yaml.bruno["items"][0]["root"]["docs"],
            from_bru.bruno["items"][0]["root"]["docs"]
        );
    }
}
