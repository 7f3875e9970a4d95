//! Export parsed requests as a Postman v2.1 collection.
//!
//! Folders become item groups, JSON bodies become raw bodies, query params are
//! kept (disabled ones flagged), and `{{var}}` placeholders are left for Postman
//! to resolve from the collection variables. WebSocket and gRPC items are
//! skipped: the v2.1 collection format cannot describe them.

use serde_json::{Map, Value, json};

use crate::model::{KeyValue, RequestKind, RequestView};

/// The schema URL Postman expects in `info.schema`.
pub const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// Builds the collection. `requests` pairs a path relative to the collection
/// root (`utilities/ping.bru`) with the request's parser JSON; `variables`
/// become collection variables (for example `host` and `apikey`).
pub fn to_postman(
    name: &str,
    requests: &[(String, Value)],
    variables: &[(String, String)],
) -> Value {
    let mut root = Folder::default();
    for (path, json) in requests {
        let view = RequestView::from_json(json);
        if matches!(view.kind, RequestKind::WebSocket | RequestKind::Grpc) {
            continue;
        }
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let file = segments.pop().unwrap_or_default();
        let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
        root.insert(&segments, (view, stem.to_owned()));
    }
    let vars: Vec<Value> = variables
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    json!({
        "info": {"name": name, "schema": SCHEMA},
        "item": root.items(),
        "variable": vars,
    })
}

#[derive(Debug, Default)]
struct Folder {
    folders: Vec<(String, Folder)>,
    requests: Vec<(RequestView, String)>,
}

impl Folder {
    fn insert(&mut self, path: &[&str], req: (RequestView, String)) {
        let Some((first, rest)) = path.split_first() else {
            self.requests.push(req);
            return;
        };
        let idx = match self.folders.iter().position(|(n, _)| n == first) {
            Some(i) => i,
            None => {
                self.folders.push(((*first).to_owned(), Folder::default()));
                self.folders.len() - 1
            }
        };
        self.folders[idx].1.insert(rest, req);
    }

    fn items(&self) -> Vec<Value> {
        let mut folders: Vec<&(String, Folder)> = self.folders.iter().collect();
        folders.sort_by(|a, b| a.0.cmp(&b.0));
        let mut requests: Vec<&(RequestView, String)> = self.requests.iter().collect();
        requests.sort_by(|a, b| {
            let (sa, sb) = (a.0.seq.unwrap_or(f64::MAX), b.0.seq.unwrap_or(f64::MAX));
            sa.total_cmp(&sb).then_with(|| a.1.cmp(&b.1))
        });
        let groups = folders
            .iter()
            .map(|(n, f)| json!({"name": n, "item": f.items()}));
        groups
            .chain(requests.iter().map(|(v, file)| request_item(v, file)))
            .collect()
    }
}

fn key_values(list: &[KeyValue]) -> Vec<Value> {
    list.iter()
        .map(|kv| {
            let mut m = Map::new();
            m.insert("key".into(), kv.name.clone().into());
            m.insert("value".into(), kv.value.clone().into());
            if !kv.enabled {
                m.insert("disabled".into(), true.into());
            }
            Value::Object(m)
        })
        .collect()
}

/// Splits `{{host}}/a/b?x=1` or `http://h:1/a` into Postman's URL object.
fn url(raw: &str, query: &[KeyValue]) -> Value {
    let (base, inline_query) = raw.split_once('?').unwrap_or((raw, ""));
    let mut params: Vec<KeyValue> = inline_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            KeyValue {
                name: k.into(),
                value: v.into(),
                enabled: true,
            }
        })
        .collect();
    params.extend(query.iter().cloned());
    let (protocol, rest) = match base.split_once("://") {
        Some((p, r)) => (Some(p), r),
        None => (None, base),
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_parts: Vec<&str> = if host.starts_with("{{") {
        vec![host]
    } else {
        host.split('.').collect()
    };
    let enabled: Vec<String> = params
        .iter()
        .filter(|p| p.enabled)
        .map(|p| format!("{}={}", p.name, p.value))
        .collect();
    let raw_full = if enabled.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", enabled.join("&"))
    };
    let mut m = Map::new();
    m.insert("raw".into(), raw_full.into());
    if let Some(p) = protocol {
        m.insert("protocol".into(), p.into());
    }
    m.insert("host".into(), host_parts.into());
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    m.insert("path".into(), segments.into());
    if !params.is_empty() {
        m.insert("query".into(), key_values(&params).into());
    }
    Value::Object(m)
}

fn request_item(v: &RequestView, file: &str) -> Value {
    let mut req = Map::new();
    let method = if v.method.is_empty() {
        "GET".to_owned()
    } else {
        v.method.clone()
    };
    req.insert("method".into(), method.into());
    req.insert("header".into(), key_values(&v.headers).into());
    if let Some(body) = v.body_json.as_ref().filter(|_| v.body_mode == "json") {
        req.insert(
            "body".into(),
            json!({"mode": "raw", "raw": body, "options": {"raw": {"language": "json"}}}),
        );
    }
    req.insert("url".into(), url(&v.url, &v.query));
    if let Some(d) = &v.docs {
        req.insert("description".into(), d.clone().into());
    }
    let name = if v.name.is_empty() {
        file.to_owned()
    } else {
        v.name.clone()
    };
    json!({"name": name, "request": req})
}
