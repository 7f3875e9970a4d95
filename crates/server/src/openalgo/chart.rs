//! `/api/v1/chart` (reference/openalgo-options-gtt-calendar.md §13): the POST body's checks
//! in OpenAlgo's order and words, the typed update, and the answers.
//!
//! Values: strings are stored as they are and null as null; numbers, booleans, objects
//! and arrays are stored as their compact JSON text (GET returns that text: `5` as `"5"`,
//! `true` as `"true"`, `{"a":1}` as `"{\"a\":1}"`). OpenAlgo stores numbers and booleans
//! as SQLite's text of them (`true` as `"1"`) and answers 500 to objects and arrays.

use algogate_app::chart::{
    MAX_KEY_CHARS, MAX_KEYS_PER_REQUEST, MAX_VALUE_CHARS, PrefKey, PrefUpdate,
};
use serde_json::{Map, Value, json};

use super::market::KEY_ONLY;
use super::schema::{SchemaErrors, validate};

/// Why a POST is refused before the key is checked.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartRefusal {
    /// A plain 400 message.
    Message(String),
    /// The schema's dict (style D).
    Schema(SchemaErrors),
}

fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The length of Python's `json.dumps(v)` (ASCII escapes, `", "` and `": "` separators),
/// stopping once past `cap` so a huge value costs no more than the cap.
fn dumps_len(v: &Value, cap: usize) -> usize {
    fn str_len(s: &str) -> usize {
        2 + s
            .chars()
            .map(|c| match c {
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                c if (c as u32) < 0x20 => 6,
                c if c.is_ascii() => 1,
                c if (c as u32) > 0xFFFF => 12,
                _ => 6,
            })
            .sum::<usize>()
    }
    fn walk(v: &Value, cap: usize, acc: &mut usize) {
        if *acc > cap {
            return;
        }
        match v {
            Value::Null => *acc += 4,
            Value::Bool(b) => *acc += if *b { 4 } else { 5 },
            Value::Number(n) => *acc += n.to_string().len(),
            Value::String(s) => *acc += str_len(s),
            Value::Array(a) => {
                *acc += 2 + a.len().saturating_sub(1) * 2;
                for x in a {
                    walk(x, cap, acc);
                }
            }
            Value::Object(o) => {
                *acc += 2 + o.len().saturating_sub(1) * 2;
                for (k, x) in o {
                    *acc += str_len(k) + 2;
                    walk(x, cap, acc);
                }
            }
        }
    }
    let mut acc = 0;
    walk(v, cap, &mut acc);
    acc
}

/// The POST body's checks, in OpenAlgo's order: a falsy body, the schema (only `apikey`
/// is declared; other keys are the preferences), then the count, key length and value
/// size limits, then at least one preference.
pub fn check_post(body: &Value) -> Result<Map<String, Value>, ChartRefusal> {
    if is_falsy(body) {
        return Err(ChartRefusal::Message("No data provided".into()));
    }
    let Some(obj) = body.as_object() else {
        return Err(ChartRefusal::Schema(SchemaErrors::single(
            "_schema",
            "Invalid input type.",
        )));
    };
    let key_only: Map<String, Value> = obj
        .get("apikey")
        .map(|k| ("apikey".to_owned(), k.clone()))
        .into_iter()
        .collect();
    validate(KEY_ONLY, &Value::Object(key_only)).map_err(ChartRefusal::Schema)?;
    let prefs = || obj.iter().filter(|(k, _)| k.as_str() != "apikey");
    if prefs().count() > MAX_KEYS_PER_REQUEST {
        return Err(ChartRefusal::Message(format!(
            "Too many preference keys (max {MAX_KEYS_PER_REQUEST})"
        )));
    }
    if let Some((k, _)) = prefs().find(|(k, _)| k.chars().count() > MAX_KEY_CHARS) {
        let head: String = k.chars().take(20).collect();
        return Err(ChartRefusal::Message(format!(
            "Preference key too long: {head}... (max {MAX_KEY_CHARS} chars)"
        )));
    }
    if let Some((k, _)) = prefs().find(|(_, v)| dumps_len(v, MAX_VALUE_CHARS) > MAX_VALUE_CHARS) {
        return Err(ChartRefusal::Message(format!(
            "Preference value too large for key: {k} (max 1MB)"
        )));
    }
    if prefs().next().is_none() {
        return Err(ChartRefusal::Message(
            "No preferences provided to update".into(),
        ));
    }
    Ok(obj.clone())
}

/// The checked preferences (`apikey` removed) as the update.
pub fn update_of(fields: Map<String, Value>) -> Option<PrefUpdate> {
    let prefs = fields
        .into_iter()
        .filter(|(k, _)| k != "apikey")
        .map(|(k, v)| {
            let text = match v {
                Value::Null => None,
                Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            PrefKey::new(&k).map(|k| (k, text))
        })
        .collect::<Option<Vec<_>>>()?;
    PrefUpdate::new(prefs)
}

pub fn prefs_body(prefs: Vec<(String, Option<String>)>) -> Value {
    let data: Map<String, Value> = prefs
        .into_iter()
        .map(|(k, v)| (k, v.map_or(Value::Null, Value::String)))
        .collect();
    json!({"status": "success", "data": data})
}

pub fn updated_body() -> Value {
    json!({"status": "success", "message": "Preferences updated successfully"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_len_is_pythons() {
        for (v, n) in [
            (json!("ab"), 4),
            (json!("é"), 8),
            (json!("😀"), 14),
            (json!("a\"b\n"), 8),
            (
                json!({"a": 1, "b": [1, 2]}),
                r#"{"a": 1, "b": [1, 2]}"#.len(),
            ),
            (json!([]), 2),
            (json!({}), 2),
            (json!(true), 4),
            (json!(null), 4),
        ] {
            assert_eq!(dumps_len(&v, usize::MAX), n, "{v}");
        }
    }
}
