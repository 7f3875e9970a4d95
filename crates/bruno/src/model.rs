//! A typed view of a parsed request, for the playground (what Bruno's
//! filestore `parseBruRequest` derives from the parser JSON).

use serde::Serialize;
use serde_json::Value;

use crate::js;

/// What kind of item a request file describes (`meta.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// `http`, and anything unknown (Bruno's fallback).
    Http,
    /// `graphql`
    Graphql,
    /// `grpc`
    Grpc,
    /// `ws` (Bruno) or `websocket` (OpenAlgo's extension).
    WebSocket,
    /// `app`
    App,
}

/// A `name: value` entry of headers, params or assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub name: String,
    pub value: String,
    pub enabled: bool,
}

/// One WebSocket message (`body:ws` or OpenAlgo's `message:json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WsMessage {
    pub name: String,
    /// Message type such as `json` (may be empty).
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub selected: bool,
}

/// The parts of a request file the playground shows and sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestView {
    pub name: String,
    /// `Number(meta.seq)`; `None` when it is not a number.
    pub seq: Option<f64>,
    pub kind: RequestKind,
    /// Upper-cased method (`GET`); empty for WebSocket/gRPC items.
    pub method: String,
    pub url: String,
    /// The body mode (`http.body`), `none` when absent.
    pub body_mode: String,
    /// The `body:json` text, if any.
    pub body_json: Option<String>,
    pub query: Vec<KeyValue>,
    pub path_params: Vec<KeyValue>,
    pub headers: Vec<KeyValue>,
    pub assertions: Vec<KeyValue>,
    pub docs: Option<String>,
    pub tags: Vec<String>,
    /// OpenAlgo's `websocket { description }`, when present.
    pub description: Option<String>,
    pub ws_messages: Vec<WsMessage>,
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn entries(list: Option<&Value>, keep: impl Fn(&Value) -> bool) -> Vec<KeyValue> {
    let Some(Value::Array(items)) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|i| keep(i))
        .map(|i| KeyValue {
            name: text(i.get("name")),
            value: text(i.get("value")),
            enabled: i.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        })
        .collect()
}

fn kind_of(meta_type: &str) -> RequestKind {
    match meta_type {
        "graphql" => RequestKind::Graphql,
        "grpc" => RequestKind::Grpc,
        "ws" | "websocket" => RequestKind::WebSocket,
        "app" => RequestKind::App,
        _ => RequestKind::Http,
    }
}

fn seq_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => js::js_number(s),
        _ => None,
    }
}

fn ws_messages(json: &Value) -> Vec<WsMessage> {
    let Some(Value::Array(list)) = json.pointer("/body/ws") else {
        return Vec::new();
    };
    list.iter()
        .map(|m| WsMessage {
            name: text(m.get("name")),
            kind: text(m.get("type")),
            content: text(m.get("content")),
            selected: m.get("selected").and_then(Value::as_bool).unwrap_or(false),
        })
        .collect()
}

impl RequestView {
    /// Builds the view from parser JSON (strict or OpenAlgo mode).
    pub fn from_json(json: &Value) -> Self {
        let meta = json.get("meta");
        let kind = kind_of(&text(meta.and_then(|m| m.get("type"))));
        let http = json.get("http");
        let url_of = |k: &str| {
            json.get(k)
                .and_then(|b| b.get("url"))
                .map(|u| text(Some(u)))
        };
        let url = url_of("ws")
            .or_else(|| url_of("grpc"))
            .or_else(|| url_of("http"));
        let is_param = |ty: &'static str| move |p: &Value| p.get("type") == Some(&Value::from(ty));
        let tags = match meta.and_then(|m| m.get("tags")) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        };
        let body_mode = text(http.and_then(|h| h.get("body")));
        Self {
            name: text(meta.and_then(|m| m.get("name"))),
            seq: seq_of(meta.and_then(|m| m.get("seq"))),
            kind,
            method: text(http.and_then(|h| h.get("method"))).to_uppercase(),
            url: url.unwrap_or_default(),
            body_mode: if body_mode.is_empty() {
                "none".into()
            } else {
                body_mode
            },
            body_json: json.pointer("/body/json").map(|v| text(Some(v))),
            query: entries(json.get("params"), is_param("query")),
            path_params: entries(json.get("params"), is_param("path")),
            headers: entries(json.get("headers"), |_| true),
            assertions: entries(json.get("assertions"), |_| true),
            docs: json.get("docs").map(|d| text(Some(d))),
            tags,
            description: json.pointer("/ws/description").map(|d| text(Some(d))),
            ws_messages: ws_messages(json),
        }
    }

    /// True for WebSocket items (Bruno's `ws` or OpenAlgo's `websocket`).
    pub fn is_websocket(&self) -> bool {
        self.kind == RequestKind::WebSocket
    }
}
