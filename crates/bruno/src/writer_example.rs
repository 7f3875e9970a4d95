//! `example {}` blocks back to text (Bruno's `jsonToExampleBru`).

use serde_json::Value;

fn s(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(x)) => x.clone(),
        Some(other) => other.to_string(),
    }
}

fn quote_key(k: &str) -> String {
    if k.contains([':', '"', '{', '}', ' ', '\t']) {
        format!("\"{}\"", k.replace('"', "\\\""))
    } else {
        k.to_owned()
    }
}

fn pad(text: &str, spaces: usize) -> String {
    if text.is_empty() {
        return String::new();
    }
    let p = " ".repeat(spaces);
    crate::js::split_lines_any(text)
        .iter()
        .map(|l| format!("{p}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn multiline(v: &str) -> String {
    if v.contains(['\n', '\r']) {
        format!("'''\n{}\n'''", pad(v, 2))
    } else {
        v.to_owned()
    }
}

fn items(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn on(i: &Value, key: &str) -> bool {
    i.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn dict(title: &str, list: &[&Value]) -> String {
    let lines: Vec<String> = list
        .iter()
        .map(|i| {
            let p = if on(i, "enabled") { "" } else { "~" };
            format!("{p}{}: {}", quote_key(&s(i.get("name"))), s(i.get("value")))
        })
        .collect();
    format!("  {title}: {{\n{}\n  }}\n\n", pad(&lines.join("\n"), 4))
}

fn request_part(req: &Value) -> String {
    let mut out = format!(
        "\nrequest: {{\n  url: {}\n  method: {}\n",
        s(req.get("url")),
        s(req.get("method"))
    );
    let body = req.get("body");
    if let Some(mode) = body.and_then(|b| b.get("mode")) {
        out += &format!("  mode: {}\n", s(Some(mode)));
    }
    let params = items(req.get("params"));
    for ty in ["query", "path"] {
        let of: Vec<&Value> = params
            .iter()
            .copied()
            .filter(|p| s(p.get("type")) == ty)
            .collect();
        if !of.is_empty() {
            out += &dict(&format!("params:{ty}"), &of);
        }
    }
    let headers = items(req.get("headers"));
    if !headers.is_empty() {
        out += &dict("headers", &headers);
    }
    if let Some(b) = body {
        out += &body_part(b);
    }
    if out.ends_with("\n\n") {
        out.pop();
    }
    out + "}\n\n"
}

fn body_part(b: &Value) -> String {
    let mut out = String::new();
    let texts = [
        ("body:json", b.get("json")),
        ("body:text", b.get("text")),
        ("body:xml", b.get("xml")),
        ("body:sparql", b.get("sparql")),
        ("body:graphql", b.pointer("/graphql/query")),
        ("body:graphql:vars", b.pointer("/graphql/variables")),
    ];
    for (kw, v) in texts {
        let t = s(v);
        if !t.is_empty() {
            out += &format!("  {kw}: {{\n{}\n  }}\n\n", pad(&t, 4));
        }
    }
    let form = items(b.get("formUrlEncoded"));
    if !form.is_empty() {
        let ordered: Vec<&Value> = form
            .iter()
            .copied()
            .filter(|i| on(i, "enabled"))
            .chain(form.iter().copied().filter(|i| !on(i, "enabled")))
            .collect();
        out += &dict("body:form-urlencoded", &ordered);
    }
    let multi = items(b.get("multipartForm"));
    if !multi.is_empty() {
        let lines: Vec<String> = multi.iter().map(|i| multipart_line(i)).collect();
        out += &format!(
            "  body:multipart-form: {{\n{}\n  }}\n\n",
            pad(&lines.join("\n"), 4)
        );
    }
    let files = items(b.get("file"));
    if !files.is_empty() {
        let lines: Vec<String> = files
            .iter()
            .map(|i| {
                let p = if on(i, "selected") { "" } else { "~" };
                format!(
                    "{p}file: @file({}){}",
                    s(i.get("filePath")),
                    content_type(i)
                )
            })
            .collect();
        out += &format!("  body:file: {{\n{}\n  }}\n\n", pad(&lines.join("\n"), 4));
    }
    out
}

fn content_type(i: &Value) -> String {
    let ct = s(i.get("contentType"));
    if ct.is_empty() {
        ct
    } else {
        format!(" @contentType({ct})")
    }
}

fn multipart_line(i: &Value) -> String {
    let p = if on(i, "enabled") { "" } else { "~" };
    let value = if s(i.get("type")) == "file" {
        let files: Vec<String> = items(i.get("value")).iter().map(|f| s(Some(f))).collect();
        format!("@file({})", files.join("|"))
    } else {
        multiline(&s(i.get("value")))
    };
    format!(
        "{p}{}: {value}{}",
        quote_key(&s(i.get("name"))),
        content_type(i)
    )
}

fn response_part(res: &Value) -> String {
    let mut out = "response: {\n".to_owned();
    let headers = items(res.get("headers"));
    if !headers.is_empty() {
        let lines: Vec<String> = headers
            .iter()
            .map(|h| format!("{}: {}", quote_key(&s(h.get("name"))), s(h.get("value"))))
            .collect();
        out += &format!("  headers: {{\n{}\n  }}\n\n", pad(&lines.join("\n"), 4));
    }
    let (code, text) = (res.get("status"), res.get("statusText"));
    if code.is_some() || text.is_some() {
        out += "  status: {\n";
        if let Some(c) = code {
            out += &format!("    code: {}\n", s(Some(c)));
        }
        if let Some(t) = text {
            out += &format!("    text: {}\n", s(Some(t)));
        }
        out += "  }\n\n";
    }
    if let Some(body) = res.get("body") {
        out += "  body: {\n";
        let ty = s(body.get("type"));
        if !ty.is_empty() {
            out += &format!("    type: {ty}\n");
        }
        if let Some(c) = body.get("content") {
            let text = match c {
                Value::String(t) => t.clone(),
                other => serde_json::to_string_pretty(other).unwrap_or_default(),
            };
            out += &format!("    content: '''\n{}\n    '''\n", pad(&text, 6));
        }
        out += "  }\n\n";
    }
    out.pop();
    out + "}"
}

/// The text inside `example { }` (not yet indented), like `jsonToExampleBru`.
pub(crate) fn write_example(ex: &Value) -> String {
    let mut out = String::new();
    let name = s(ex.get("name"));
    if !name.is_empty() {
        out += &format!("name: {name}\n");
    }
    let desc = s(ex.get("description"));
    if !desc.is_empty() {
        out += &format!("description: {}\n", multiline(&desc));
    }
    out += &request_part(ex.get("request").unwrap_or(&Value::Null));
    if let Some(res) = ex.get("response") {
        out += &response_part(res);
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}
