//! Request validation that reproduces OpenAlgo's marshmallow schemas: the same field
//! kinds, coercions and messages (reference/openalgo-rest.md §0.2), errors in
//! declaration order, unknown fields rejected. Rendered as a JSON object ("style D") or as
//! the Python repr of that dict ("style S"), as each endpoint does upstream.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string, with an optional length range (in characters).
    Str {
        min: usize,
        max: usize,
    },
    /// One of fixed strings (case-sensitive).
    OneOf(&'static [&'static str]),
    /// A float: JSON number or numeric string; NaN/Infinity refused.
    Float,
    /// An integer: JSON number (truncated, as marshmallow does) or integral string.
    Int,
    Bool,
}

pub const ANY_STR: Kind = Kind::Str {
    min: 0,
    max: usize::MAX,
};
pub const APIKEY: Kind = Kind::Str { min: 1, max: 256 };

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub nullable: bool,
}

pub const fn required(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        nullable: false,
    }
}

pub const fn optional(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: false,
    }
}

/// Field name → messages, in the order marshmallow reports them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaErrors(pub Vec<(String, Vec<String>)>);

impl SchemaErrors {
    pub fn single(field: &str, msg: impl Into<String>) -> Self {
        Self(vec![(field.to_string(), vec![msg.into()])])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, field: &str, msg: impl Into<String>) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, msgs)) => msgs.push(msg.into()),
            None => self.0.push((field.to_string(), vec![msg.into()])),
        }
    }

    /// Style D: `{"field": ["message"]}`.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(f, m)| (f.clone(), Value::from(m.clone())))
                .collect(),
        )
    }

    /// Style S: the Python repr of the dict, e.g. `{'apikey': ['Unknown field.']}`.
    pub fn to_python_repr(&self) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|(f, msgs)| {
                let list: Vec<String> = msgs.iter().map(|m| py_repr(m)).collect();
                format!("{}: [{}]", py_repr(f), list.join(", "))
            })
            .collect();
        format!("{{{}}}", items.join(", "))
    }
}

/// Python's `repr()` of a `str`.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

const MISSING: &str = "Missing data for required field.";
const UNKNOWN: &str = "Unknown field.";
const NULL: &str = "Field may not be null.";

/// Validates `body` against `fields`, returning the coerced values (strings stay strings,
/// numbers become JSON numbers) of the fields present.
pub fn validate(fields: &[Field], body: &Value) -> Result<Map<String, Value>, SchemaErrors> {
    let Some(obj) = body.as_object() else {
        return Err(SchemaErrors::single("_schema", "Invalid input type."));
    };
    let mut errors = SchemaErrors::default();
    let mut out = Map::new();
    for f in fields {
        match obj.get(f.name) {
            None if f.required => errors.push(f.name, MISSING),
            None => {}
            Some(Value::Null) if f.nullable => {
                out.insert(f.name.into(), Value::Null);
            }
            Some(Value::Null) => errors.push(f.name, NULL),
            Some(v) => match coerce(f.kind, v) {
                Ok(v) => {
                    out.insert(f.name.into(), v);
                }
                Err(msg) => errors.push(f.name, msg),
            },
        }
    }
    for k in obj.keys() {
        if !fields.iter().any(|f| f.name == k) {
            errors.push(k, UNKNOWN);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn coerce(kind: Kind, v: &Value) -> Result<Value, String> {
    match kind {
        Kind::Str { min, max } => {
            let s = v.as_str().ok_or("Not a valid string.")?;
            let n = s.chars().count();
            if n < min || n > max {
                return Err(if max == usize::MAX {
                    format!("Shorter than minimum length {min}.")
                } else {
                    format!("Length must be between {min} and {max}.")
                });
            }
            Ok(v.clone())
        }
        Kind::OneOf(choices) => {
            let s = v.as_str().ok_or("Not a valid string.")?;
            if choices.contains(&s) {
                Ok(v.clone())
            } else {
                Err(format!("Must be one of: {}.", choices.join(", ")))
            }
        }
        Kind::Float => {
            let f = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .ok_or("Not a valid number.")?;
            if !f.is_finite() {
                return Err("Special numeric values (nan or infinity) are not permitted.".into());
            }
            Ok(Value::from(f))
        }
        Kind::Int => {
            let i = match v {
                Value::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                        .map(|f| f.trunc() as i64)
                }),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            }
            .ok_or("Not a valid integer.")?;
            Ok(Value::from(i))
        }
        Kind::Bool => {
            let b = match v {
                Value::Bool(b) => Some(*b),
                Value::Number(n) if n.as_i64() == Some(1) => Some(true),
                Value::Number(n) if n.as_i64() == Some(0) => Some(false),
                Value::String(s) => match s.to_ascii_lowercase().as_str() {
                    "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
                    "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
                    _ => None,
                },
                _ => None,
            }
            .ok_or("Not a valid boolean.")?;
            Ok(Value::Bool(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PING: &[Field] = &[required("apikey", APIKEY)];

    #[test]
    fn ping_messages_match_openalgo() {
        let e = validate(PING, &json!({})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"apikey": ["Missing data for required field."]})
        );
        let e = validate(PING, &json!({"apikey": ""})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"apikey": ["Length must be between 1 and 256."]})
        );
        let e = validate(PING, &json!({"apikey": 123})).unwrap_err();
        assert_eq!(e.to_json(), json!({"apikey": ["Not a valid string."]}));
        let e = validate(PING, &json!({"apikey": null})).unwrap_err();
        assert_eq!(e.to_json(), json!({"apikey": ["Field may not be null."]}));
        let e = validate(PING, &json!({"apikey": "k", "x": 1})).unwrap_err();
        assert_eq!(e.to_json(), json!({"x": ["Unknown field."]}));
        let e = validate(PING, &json!([1])).unwrap_err();
        assert_eq!(e.to_python_repr(), "{'_schema': ['Invalid input type.']}");
        assert!(validate(PING, &json!({"apikey": "k"})).is_ok());
    }

    #[test]
    fn coercions_follow_marshmallow() {
        let f = &[
            optional("q", Kind::Float),
            optional("i", Kind::Int),
            optional("b", Kind::Bool),
        ];
        let ok = validate(f, &json!({"q": " 5 ", "i": 1.9, "b": "on"})).unwrap();
        assert_eq!(ok["q"], json!(5.0));
        assert_eq!(ok["i"], json!(1));
        assert_eq!(ok["b"], json!(true));
        let e = validate(f, &json!({"q": "abc", "i": "1.5", "b": "maybe"})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"q": ["Not a valid number."], "i": ["Not a valid integer."], "b": ["Not a valid boolean."]})
        );
        let e = validate(f, &json!({"q": "nan"})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"q": ["Special numeric values (nan or infinity) are not permitted."]})
        );
        let e = validate(
            &[required("p", Kind::OneOf(&["MARKET", "LIMIT"]))],
            &json!({"p": "market"}),
        )
        .unwrap_err();
        assert_eq!(
            e.to_python_repr(),
            "{'p': ['Must be one of: MARKET, LIMIT.']}"
        );
    }

    #[test]
    fn python_repr_quotes_like_python() {
        assert_eq!(py_repr("a"), "'a'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("x\ny\\"), "'x\\ny\\\\'");
    }
}
