//! Request validation that reproduces OpenAlgo's marshmallow schemas: the same field
//! kinds, coercions and messages (reference/openalgo-rest.md §0.2), errors in
//! declaration order, unknown fields rejected. Rendered as a JSON object ("style D") or as
//! the Python repr of that dict ("style S"), as each endpoint does upstream.

use algogate_broker::Exchange;
use serde_json::{Map, Value};

use super::python::py_repr;

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
    /// A `YYYY-MM-DD` date (marshmallow `Date(format="%Y-%m-%d")`), normalised to that form.
    Date,
    /// One of fixed lower-case strings, compared case-insensitively and normalised to lower
    /// case (OpenAlgo lower-cases `format` before validating it).
    LowerOneOf(&'static [&'static str]),
    /// A list of objects, each validated against `item` (marshmallow `List(Nested(...))`),
    /// with `min..=max` entries (the cap bounds the work one request can ask for).
    List {
        item: &'static [Field],
        min: usize,
        max: usize,
    },
}

/// Where OpenAlgo puts no bound on a string (strategy names, symbols, order ids), ours is
/// one no real client meets, so a megabyte of `strategy` is refused instead of stored.
pub const MAX_TEXT: usize = 255;
pub const TEXT: Kind = Kind::Str {
    min: 0,
    max: MAX_TEXT,
};
pub const APIKEY: Kind = Kind::Str { min: 1, max: 256 };

/// The names of `list`, in its order, for a schema's `OneOf`.
pub const fn exchange_names<const N: usize>(list: &[Exchange; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = list[i].as_str();
        i += 1;
    }
    out
}

/// `VALID_EXCHANGES`, in OpenAlgo's order.
pub const EXCHANGE_NAMES: [&str; 14] = exchange_names(&Exchange::ALL);
pub const EXCHANGES: Kind = Kind::OneOf(&EXCHANGE_NAMES);
pub const ACTIONS: Kind = Kind::OneOf(&["BUY", "SELL", "buy", "sell"]);
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

/// An optional field that also takes `null` (`allow_none=True`).
pub const fn nullable(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: true,
    }
}

/// What marshmallow reports for one field: messages, or per-item errors of a list
/// (keyed by index, as `{'symbols': {0: {...}}}`).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldErrors {
    Messages(Vec<String>),
    Items(Vec<(usize, SchemaErrors)>),
}

/// Field name → errors, in the order marshmallow reports them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaErrors(pub Vec<(String, FieldErrors)>);

impl SchemaErrors {
    pub fn single(field: &str, msg: impl Into<String>) -> Self {
        Self(vec![(
            field.to_string(),
            FieldErrors::Messages(vec![msg.into()]),
        )])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `msg` to `field`'s messages; one pass over the fields reported so far, so only
    /// for declared fields (unknown ones are appended by `validate`).
    pub fn push(&mut self, field: &str, msg: impl Into<String>) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, FieldErrors::Messages(msgs))) => msgs.push(msg.into()),
            Some((_, items)) => *items = FieldErrors::Messages(vec![msg.into()]),
            None => self
                .0
                .push((field.to_string(), FieldErrors::Messages(vec![msg.into()]))),
        }
    }

    /// Style D: `{"field": ["message"]}`; list items as `{"symbols": {"0": {...}}}`, since
    /// JSON object keys are strings.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(f, e)| {
                    let v = match e {
                        FieldErrors::Messages(m) => Value::from(m.clone()),
                        FieldErrors::Items(items) => Value::Object(
                            items
                                .iter()
                                .map(|(i, errs)| (i.to_string(), errs.to_json()))
                                .collect(),
                        ),
                    };
                    (f.clone(), v)
                })
                .collect(),
        )
    }

    /// Style S: the Python repr of the dict, e.g. `{'apikey': ['Unknown field.']}`; list
    /// items keep integer keys (`{'orders': {1: {...}}}`).
    pub fn to_python_repr(&self) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|(f, e)| {
                let v = match e {
                    FieldErrors::Messages(msgs) => {
                        let list: Vec<String> = msgs.iter().map(|m| py_repr(m)).collect();
                        format!("[{}]", list.join(", "))
                    }
                    FieldErrors::Items(items) => {
                        let list: Vec<String> = items
                            .iter()
                            .map(|(i, errs)| format!("{i}: {}", errs.to_python_repr()))
                            .collect();
                        format!("{{{}}}", list.join(", "))
                    }
                };
                format!("{}: {v}", py_repr(f))
            })
            .collect();
        format!("{{{}}}", items.join(", "))
    }
}

/// Unknown fields listed by name in one error; the rest are counted, so a wide body cannot
/// make a large error body.
pub const MAX_UNKNOWN_LISTED: usize = 20;

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
                Err(e) => errors.0.push((f.name.to_string(), e)),
            },
        }
    }
    // Object keys are distinct and never declared names, so each is a new entry.
    let mut unknown = obj.keys().filter(|k| !fields.iter().any(|f| f.name == *k));
    for k in unknown.by_ref().take(MAX_UNKNOWN_LISTED) {
        errors
            .0
            .push((k.clone(), FieldErrors::Messages(vec![UNKNOWN.into()])));
    }
    let unlisted = unknown.count();
    if unlisted > 0 {
        errors.push(
            "_schema",
            format!("{unlisted} more unknown fields are not listed."),
        );
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn coerce(kind: Kind, v: &Value) -> Result<Value, FieldErrors> {
    match kind {
        Kind::List { item, min, max } => coerce_list(item, min, max, v),
        scalar => coerce_scalar(scalar, v).map_err(|m| FieldErrors::Messages(vec![m])),
    }
}

fn coerce_list(item: &[Field], min: usize, max: usize, v: &Value) -> Result<Value, FieldErrors> {
    let one = |m: &str| FieldErrors::Messages(vec![m.to_string()]);
    let list = v.as_array().ok_or_else(|| one("Not a valid list."))?;
    // Checked before the items, so an oversized list costs nothing to refuse.
    if list.len() > max {
        return Err(one(&format!("Length must be between {min} and {max}.")));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut bad = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        match validate(item, entry) {
            Ok(m) => out.push(Value::Object(m)),
            Err(e) => bad.push((i, e)),
        }
    }
    if !bad.is_empty() {
        return Err(FieldErrors::Items(bad));
    }
    // marshmallow runs the field's validators only once every item deserialised.
    if list.len() < min {
        return Err(one(&format!("Shorter than minimum length {min}.")));
    }
    Ok(Value::Array(out))
}

/// `YYYY-MM-DD` as Python's `strptime("%Y-%m-%d")` reads it: four-digit year, one- or
/// two-digit month and day, a real calendar date.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn coerce_scalar(kind: Kind, v: &Value) -> Result<Value, String> {
    match kind {
        // `coerce` sends lists to `coerce_list`; this arm only keeps the match total.
        Kind::List { .. } => Err("Not a valid list.".into()),
        Kind::Date => {
            let d = v.as_str().and_then(parse_date).ok_or("Not a valid date.")?;
            Ok(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        Kind::LowerOneOf(choices) => {
            let s = v
                .as_str()
                .ok_or("Not a valid string.")?
                .to_ascii_lowercase();
            if choices.contains(&s.as_str()) {
                Ok(Value::String(s))
            } else {
                Err(format!("Must be one of: {}.", choices.join(", ")))
            }
        }
        Kind::Str { min, max } => {
            let s = v.as_str().ok_or("Not a valid string.")?;
            let n = s.chars().count();
            if n < min || n > max {
                // marshmallow's `Length` names only the bounds it was given.
                return Err(if max == usize::MAX {
                    format!("Shorter than minimum length {min}.")
                } else if min == 0 {
                    format!("Longer than maximum length {max}.")
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
    fn dates_read_like_strptime() {
        let f = &[required("d", Kind::Date)];
        for (input, out) in [("2025-12-30", "2025-12-30"), ("2025-1-5", "2025-01-05")] {
            assert_eq!(validate(f, &json!({"d": input})).unwrap()["d"], json!(out));
        }
        for bad in [
            json!("2025-13-01"),
            json!("2025-02-30"),
            json!("25-12-30"),
            json!("2025/12/30"),
            json!("2025-12-30T00:00"),
            json!(""),
            json!(20251230),
        ] {
            let e = validate(f, &json!({ "d": bad })).unwrap_err();
            assert_eq!(e.to_json(), json!({"d": ["Not a valid date."]}), "{bad}");
        }
    }

    #[test]
    fn lower_one_of_normalises_case() {
        let f = &[optional("format", Kind::LowerOneOf(&["json", "csv"]))];
        let ok = validate(f, &json!({"format": "CSV"})).unwrap();
        assert_eq!(ok["format"], json!("csv"));
        let e = validate(f, &json!({"format": "xml"})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"format": ["Must be one of: json, csv."]})
        );
    }

    #[test]
    fn lists_report_item_errors_by_index_in_both_styles() {
        const ITEM: &[Field] = &[required("symbol", TEXT)];
        let f = &[required(
            "symbols",
            Kind::List {
                item: ITEM,
                min: 1,
                max: 3,
            },
        )];
        let ok = validate(f, &json!({"symbols": [{"symbol": "A"}]})).unwrap();
        assert_eq!(ok["symbols"], json!([{"symbol": "A"}]));
        let e = validate(f, &json!({"symbols": [{"symbol": "A"}, {"x": 1}, "s"]})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"symbols": {
                "1": {"symbol": ["Missing data for required field."], "x": ["Unknown field."]},
                "2": {"_schema": ["Invalid input type."]},
            }})
        );
        assert_eq!(
            e.to_python_repr(),
            "{'symbols': {1: {'symbol': ['Missing data for required field.'], 'x': \
             ['Unknown field.']}, 2: {'_schema': ['Invalid input type.']}}}"
        );
        let e = validate(f, &json!({"symbols": []})).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"symbols": ["Shorter than minimum length 1."]})
        );
        let four = json!({"symbols": [{"symbol": "A"}, {"symbol": "B"}, {"symbol": "C"}, {}]});
        let e = validate(f, &four).unwrap_err();
        assert_eq!(
            e.to_json(),
            json!({"symbols": ["Length must be between 1 and 3."]}),
            "the cap is checked before the items"
        );
        let e = validate(f, &json!({"symbols": {"symbol": "A"}})).unwrap_err();
        assert_eq!(e.to_json(), json!({"symbols": ["Not a valid list."]}));
    }
}
