//! The environment grammar (`envToJson`).

use serde_json::{Map, Value, json};

use crate::dict::{self, Annotation, Pair};
use crate::error::ParseError;
use crate::js;
use crate::peg::Cursor;
use crate::semantic::{self as sem, KV};

/// Secret providers npm 0.39.0 knows, with the field holding the reference.
const PROVIDERS: [(&str, &str); 5] = [
    ("aws-secrets-manager", "secretName"),
    ("azure-key-vault", "vaultName"),
    ("gcp-secrets-manager", "projectId"),
    ("hashicorp-vault-cloud", "path"),
    ("hashicorp-vault-server", "path"),
];

pub(crate) fn parse(src: &str) -> Result<Value, ParseError> {
    let mut c = Cursor::new(src);
    let mut frags = Vec::new();
    loop {
        let save = c.pos;
        c.skip_spaces();
        let found = c
            .attempt(|c| {
                if c.lit("vars") {
                    dict::dictionary(c, dict::ENV)
                } else {
                    None
                }
            })
            .map(|p| vars(&p))
            .or_else(|| c.attempt(secret_vars))
            .or_else(|| c.attempt(external_secrets))
            .or_else(|| c.attempt(color));
        match found {
            Some(f) => frags.push(f),
            None => {
                c.pos = save;
                break;
            }
        }
    }
    c.skip_spaces();
    if !c.at_end() {
        c.fail_at(c.pos, "end of input");
        return Err(c.error());
    }
    if frags.is_empty() {
        return Ok(json!({"variables": []}));
    }
    let mut out = Value::Object(Map::new());
    for f in frags {
        js::merge(&mut out, f, true);
    }
    Ok(out)
}

/// Env `mapPairListToKeyValPairs`, including the description "orphan rows".
fn env_rows(pairs: &[Pair]) -> Vec<Map<String, Value>> {
    let o = sem::KvOpts {
        extract_types: true,
        ..KV
    };
    let mut rows = Vec::new();
    for p in pairs {
        let m = sem::kv(p, o, None);
        let descs: Vec<&Annotation> = p
            .annotations
            .iter()
            .filter(|a| a.name == "description")
            .collect();
        if descs.len() <= 1 {
            rows.push(m);
            continue;
        }
        let enabled = m.get("enabled").cloned().unwrap_or(Value::Bool(true));
        for d in &descs[..descs.len() - 1] {
            rows.push(orphan(d, &enabled));
        }
        rows.push(main_row(m, p, descs[descs.len() - 1]));
    }
    rows
}

fn annotation_json(a: &Annotation) -> Value {
    match &a.value {
        Some(v) => json!({"name": a.name, "value": v}),
        None => json!({"name": a.name}),
    }
}

fn orphan(d: &Annotation, enabled: &Value) -> Map<String, Value> {
    let v = json!({
        "name": "", "value": "", "enabled": enabled,
        "annotations": [annotation_json(d)],
        "description": d.value.clone().unwrap_or_default(),
    });
    v.as_object().cloned().unwrap_or_default()
}

fn main_row(mut m: Map<String, Value>, p: &Pair, last: &Annotation) -> Map<String, Value> {
    let mut anns: Vec<Value> = p
        .annotations
        .iter()
        .filter(|a| a.name != "description")
        .map(annotation_json)
        .collect();
    anns.push(annotation_json(last));
    m.insert("annotations".into(), anns.into());
    m.insert(
        "description".into(),
        last.value.clone().unwrap_or_default().into(),
    );
    m
}

fn vars(pairs: &[Pair]) -> Value {
    let rows: Vec<Value> = env_rows(pairs)
        .into_iter()
        .map(|mut m| {
            m.insert("secret".into(), false.into());
            Value::Object(m)
        })
        .collect();
    json!({ "variables": rows })
}

fn stnl_star(c: &mut Cursor) {
    while c.st() || c.nl() {}
}

/// `"vars:secret" array`
fn secret_vars(c: &mut Cursor) -> Option<Value> {
    if !c.lit("vars:secret") {
        return None;
    }
    c.st_star();
    if !c.lit("[") {
        return None;
    }
    stnl_star(c);
    stnl_star(c);
    let mut items = vec![array_value(c)];
    stnl_star(c);
    while let Some(v) = c.attempt(|c| {
        if !c.lit(",") {
            return None;
        }
        stnl_star(c);
        Some(array_value(c))
    }) {
        items.push(v);
    }
    stnl_star(c);
    if !c.lit("]") {
        return None;
    }
    let rows: Vec<Value> = items
        .into_iter()
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, anns)| secret_row(&name, anns))
        .collect();
    Some(json!({ "variables": rows }))
}

fn array_value(c: &mut Cursor) -> (String, Vec<Annotation>) {
    let mut anns = Vec::new();
    while let Some(a) = c.attempt(dict::annotation_entry) {
        anns.push(a);
    }
    c.st_star();
    let start = c.pos;
    while c.not(|c| c.nl() || c.st() || c.lit("[") || c.lit("]") || c.lit(",")) && c.any() {}
    (js::trim(c.slice(start)).to_owned(), anns)
}

fn secret_row(name: &str, anns: Vec<Annotation>) -> Value {
    let pair = Pair {
        key: name.to_owned(),
        value: dict::PVal::Str(String::new()),
        annotations: anns,
        offset: 0,
    };
    let o = sem::KvOpts {
        extract_types: true,
        ..KV
    };
    let mut m = sem::kv(&pair, o, None);
    m.insert("secret".into(), true.into());
    Value::Object(m)
}

/// `"vars:externalsecrets:" name dictionary`
fn external_secrets(c: &mut Cursor) -> Option<Value> {
    if !c.lit("vars:externalsecrets:") {
        return None;
    }
    let start = c.pos;
    if !c.plus(|c| c.not(|c| c.st() || c.nl() || c.lit("{")) && c.any()) {
        return None;
    }
    let provider = c.slice(start).to_owned();
    let pairs = dict::dictionary(c, dict::ENV)?;
    let Some((_, field)) = PROVIDERS.iter().find(|(p, _)| *p == provider) else {
        return Some(json!({}));
    };
    let vars: Vec<Value> = env_rows(&pairs)
        .into_iter()
        .filter(|m| {
            m.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty())
        })
        .map(|m| {
            let mut e = Map::new();
            e.insert("name".into(), m["name"].clone());
            let v = m.get("value").filter(|v| v.is_string()).cloned();
            e.insert((*field).into(), v.unwrap_or_else(|| "".into()));
            e.insert(
                "enabled".into(),
                (m.get("enabled") != Some(&Value::Bool(false))).into(),
            );
            if let Some(a) = m.get("annotations") {
                e.insert("annotations".into(), a.clone());
            }
            Value::Object(e)
        })
        .collect();
    Some(json!({"externalSecrets": {"type": provider, "variables": vars}}))
}

/// `"color:" any*`
fn color(c: &mut Cursor) -> Option<Value> {
    if !c.lit("color:") {
        return None;
    }
    let rest = c.rest();
    c.pos = c.src.len();
    Some(json!({"color": js::trim(rest)}))
}
