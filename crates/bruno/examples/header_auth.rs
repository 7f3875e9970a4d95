//! Copies a collection with every request's `{{apikey}}` moved from the JSON body (or the
//! query string) into an `X-API-KEY: {{apikey}}` header, so `bru run` can prove that each
//! endpoint works for a client that never puts the key in a body.
//!
//! ```text
//! cargo run -p algogate-bruno --example header_auth -- SRC DST
//! ```
//!
//! Each request file is parsed, changed in its JSON model and written back with the
//! canonical writer (then parsed again to check the result). Requests that send some other
//! key on purpose (a wrong or missing one) are copied unchanged, as are `websocket/` (not
//! HTTP) and every non-request file. Fails when no request was changed.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

const KEY: &str = "{{apikey}}";

/// Moves the key of one request's model into a header; whether anything was moved.
fn move_key(req: &mut Value) -> Result<bool, String> {
    let mut moved = false;
    if let Some(text) = req.pointer("/body/json").and_then(Value::as_str) {
        let mut body: Value =
            serde_json::from_str(text).map_err(|e| format!("body:json is not JSON: {e}"))?;
        if let Some(obj) = body.as_object_mut()
            && obj.get("apikey").and_then(Value::as_str) == Some(KEY)
        {
            obj.remove("apikey");
            req["body"]["json"] = json!(serde_json::to_string_pretty(&body).expect("JSON"));
            moved = true;
        }
    }
    if let Some(params) = req.get_mut("params").and_then(Value::as_array_mut) {
        let before = params.len();
        params.retain(|p| !(p["type"] == "query" && p["name"] == "apikey" && p["value"] == KEY));
        moved |= params.len() != before;
        // No params left: no block is written, so none is parsed back either.
        if params.is_empty()
            && let Some(obj) = req.as_object_mut()
        {
            obj.remove("params");
        }
    }
    if let Some(url) = req.pointer("/http/url").and_then(Value::as_str)
        && let Some((path, query)) = url.split_once('?')
    {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| *pair != format!("apikey={KEY}"))
            .collect();
        let url = if kept.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", kept.join("&"))
        };
        req["http"]["url"] = json!(url);
    }
    if moved {
        let header = json!({"name": "X-API-KEY", "value": KEY, "enabled": true});
        match req.get_mut("headers").and_then(Value::as_array_mut) {
            Some(headers) => headers.push(header),
            None => req["headers"] = json!([header]),
        }
    }
    Ok(moved)
}

fn copy(src: &Path, dst: &Path, moved: &mut usize) -> Result<(), String> {
    std::fs::create_dir_all(dst).map_err(|e| format!("{}: {e}", dst.display()))?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let to = dst.join(name);
        if path.is_dir() {
            if name != "websocket" && name != "node_modules" {
                copy(&path, &to, moved)?;
            }
            continue;
        }
        let in_env = src.file_name().is_some_and(|d| d == "environments");
        let is_request =
            name.ends_with(".bru") && name != "collection.bru" && name != "folder.bru" && !in_env;
        let file = |e: String| format!("{}: {e}", path.display());
        if !is_request {
            std::fs::copy(&path, &to).map_err(|e| file(e.to_string()))?;
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| file(e.to_string()))?;
        let mut req = algogate_bruno::parse_request(&text).map_err(|e| file(e.to_string()))?;
        if move_key(&mut req).map_err(file)? {
            *moved += 1;
        }
        let out = algogate_bruno::write_request(&req);
        let back = algogate_bruno::parse_request(&out).map_err(|e| file(e.to_string()))?;
        if back != req {
            return Err(file(
                "the rewritten file does not parse back to its model".into(),
            ));
        }
        let body = back.get("body").map(Value::to_string).unwrap_or_default();
        let url = back
            .pointer("/http/url")
            .map(Value::to_string)
            .unwrap_or_default();
        if body.contains(KEY) || url.contains(KEY) {
            return Err(file("the key is still in the body or URL".into()));
        }
        std::fs::write(&to, out).map_err(|e| file(e.to_string()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [src, dst] = args.as_slice() else {
        eprintln!("usage: header_auth SRC DST");
        return ExitCode::from(2);
    };
    let mut moved = 0;
    match copy(Path::new(src), Path::new(dst), &mut moved) {
        Ok(()) if moved > 0 => {
            println!("header_auth: {moved} requests send the key in X-API-KEY");
            ExitCode::SUCCESS
        }
        Ok(()) => {
            eprintln!("header_auth: no request sends {KEY}: nothing to prove");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("header_auth: {e}");
            ExitCode::FAILURE
        }
    }
}
