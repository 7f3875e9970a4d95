//! Bounded JSON parsing for untrusted input (REST bodies, WebSocket messages).
//!
//! Parsing happens before authentication, so its cost must not depend on how hostile the
//! input is: objects wider, arrays longer or nesting deeper than any OpenAlgo client sends
//! are refused while parsing, at the first element past the limit, instead of after the
//! whole value was built and walked.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Limits far above what any OpenAlgo request needs (its widest schema has about 20
/// fields, its longest lists a few hundred entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Nesting of objects and arrays (the top-level value is depth 1).
    pub max_depth: usize,
    /// Keys in any one object.
    pub max_keys: usize,
    /// Elements in any one array.
    pub max_items: usize,
}

impl JsonLimits {
    pub const UNTRUSTED: Self = Self {
        max_depth: 32,
        max_keys: 1000,
        max_items: 10_000,
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("Request body is empty: send a JSON object.")]
    Empty,
    /// serde_json's message names a position, never the input's content.
    #[error("Request body is not valid JSON: {0}.")]
    Syntax(String),
    #[error("Request body is nested too deeply: at most {0} levels of objects and arrays.")]
    TooDeep(usize),
    #[error("Request body has an object with more than {0} keys.")]
    TooManyKeys(usize),
    #[error("Request body has an array with more than {0} elements.")]
    TooManyItems(usize),
}

/// Parses `bytes` as one JSON value within `limits`.
pub fn parse(bytes: &[u8], limits: JsonLimits) -> Result<Value, JsonError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(JsonError::Empty);
    }
    let violation = Cell::new(None);
    let seed = Bounded {
        depth: 0,
        limits: &limits,
        violation: &violation,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (parsed, violation.take()) {
        (Ok(v), None) => Ok(v),
        (_, Some(v)) => Err(v),
        (Err(e), None) => Err(JsonError::Syntax(e.to_string())),
    }
}

/// Builds a `Value` like serde_json's own impl, counting depth and width as it goes; the
/// first violation is kept in `violation` (serde's error type cannot carry it).
#[derive(Clone, Copy)]
struct Bounded<'a> {
    depth: usize,
    limits: &'a JsonLimits,
    violation: &'a Cell<Option<JsonError>>,
}

impl Bounded<'_> {
    fn fail<E: serde::de::Error>(&self, v: JsonError) -> E {
        let msg = v.to_string();
        self.violation.set(Some(v));
        E::custom(msg)
    }

    fn nested<E: serde::de::Error>(self) -> Result<Self, E> {
        if self.depth >= self.limits.max_depth {
            return Err(self.fail(JsonError::TooDeep(self.limits.max_depth)));
        }
        Ok(Self {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            if out.len() == self.limits.max_items {
                return Err(self.fail(JsonError::TooManyItems(self.limits.max_items)));
            }
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Map::new();
        let mut read = 0;
        while let Some(k) = map.next_key::<String>()? {
            // Counted per key read, not per distinct key: repeats cost parsing time too.
            read += 1;
            if read > self.limits.max_keys {
                return Err(self.fail(JsonError::TooManyKeys(self.limits.max_keys)));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SMALL: JsonLimits = JsonLimits {
        max_depth: 3,
        max_keys: 2,
        max_items: 2,
    };

    #[test]
    fn parses_like_serde_json_within_the_limits() {
        let text = r#"{"a": [1, -2], "b": {"c": 1.5}}"#;
        let ours = parse(text.as_bytes(), JsonLimits::UNTRUSTED).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(
            parse(br#"{"x": null, "y": true}"#, SMALL).unwrap(),
            json!({"x": null, "y": true})
        );
        assert_eq!(parse(b"\"s\"", SMALL).unwrap(), json!("s"));
        // Key order is kept, as the schema's error order depends on it.
        let v = parse(br#"{"z": 1, "a": 2}"#, SMALL).unwrap();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["z", "a"]
        );
    }

    #[test]
    fn refuses_each_limit_by_name() {
        assert_eq!(
            parse(br#"{"a":1,"b":2,"c":3}"#, SMALL),
            Err(JsonError::TooManyKeys(2))
        );
        // A repeated key still counts.
        assert_eq!(
            parse(br#"{"a":1,"b":2,"a":3}"#, SMALL),
            Err(JsonError::TooManyKeys(2))
        );
        assert_eq!(parse(b"[1,2,3]", SMALL), Err(JsonError::TooManyItems(2)));
        assert_eq!(parse(b"[[[1]]]", SMALL).unwrap(), json!([[[1]]]));
        assert_eq!(parse(b"[[[[1]]]]", SMALL), Err(JsonError::TooDeep(3)));
        assert_eq!(parse(b" \n", SMALL), Err(JsonError::Empty));
        assert!(matches!(
            parse(b"{\"a\":", SMALL),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(parse(b"{} x", SMALL), Err(JsonError::Syntax(_))));
    }

    #[test]
    fn a_violation_wins_over_the_syntax_error_it_causes() {
        // The object is also unterminated; the limit is reported, not the truncation.
        assert_eq!(
            parse(br#"{"a":1,"b":2,"c":3"#, SMALL),
            Err(JsonError::TooManyKeys(2))
        );
    }

    #[test]
    fn deep_input_beyond_serde_jsons_own_limit_is_refused_cleanly() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse(deep.as_bytes(), JsonLimits::UNTRUSTED),
            Err(JsonError::TooDeep(32))
        );
    }
}
