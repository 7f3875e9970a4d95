//! Bounded JSON parsing for untrusted input (REST bodies, WebSocket messages).
//!
//! Parsing happens before authentication, so its cost must not depend on how hostile the
//! input is: objects wider, arrays longer or nesting deeper than any OpenAlgo client sends
//! are refused by a [`Scanner`] that reads the bytes as they arrive, at the first element
//! past the limit, so a body can be refused before the rest of it is even read. Only
//! input within the limits reaches serde_json.

use serde_json::Value;

/// Limits far above what any OpenAlgo request needs (its widest schema has about 20
/// fields, its longest lists a few hundred entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Nesting of objects and arrays (the top-level value is depth 1).
    pub max_depth: usize,
    /// Keys in any one object (a repeated key counts again).
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

/// An open object or array: whether it has an element yet, and its commas so far.
#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    commas: usize,
}

/// Checks the limits over input fed in pieces, in one pass and constant work per byte.
/// It only tracks strings and brackets; syntax is serde_json's to judge afterwards, so
/// malformed input may pass the scan (and then fail to parse) but valid JSON within the
/// limits always passes.
#[derive(Debug)]
pub struct Scanner {
    limits: JsonLimits,
    stack: Vec<Frame>,
    in_string: bool,
    escaped: bool,
}

impl Scanner {
    pub fn new(limits: JsonLimits) -> Self {
        Self {
            limits,
            stack: Vec::new(),
            in_string: false,
            escaped: false,
        }
    }

    /// Scans the next piece of the input.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        for &b in bytes {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    if self.stack.len() >= self.limits.max_depth {
                        return Err(JsonError::TooDeep(self.limits.max_depth));
                    }
                    self.stack.push(Frame {
                        object: b == b'{',
                        commas: 0,
                    });
                }
                b'}' | b']' => {
                    self.stack.pop();
                }
                b',' => {
                    if let Some(f) = self.stack.last_mut() {
                        f.commas += 1;
                        // n commas separate n + 1 elements.
                        let (max, err) = if f.object {
                            (
                                self.limits.max_keys,
                                JsonError::TooManyKeys as fn(usize) -> _,
                            )
                        } else {
                            (
                                self.limits.max_items,
                                JsonError::TooManyItems as fn(usize) -> _,
                            )
                        };
                        if f.commas >= max {
                            return Err(err(max));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Parses `bytes` as one JSON value within `limits`.
pub fn parse(bytes: &[u8], limits: JsonLimits) -> Result<Value, JsonError> {
    Scanner::new(limits).feed(bytes)?;
    parse_scanned(bytes)
}

/// Parses input a [`Scanner`] has already passed in full.
pub fn parse_scanned(bytes: &[u8]) -> Result<Value, JsonError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(JsonError::Empty);
    }
    serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn any_json() -> impl Strategy<Value = Value> {
        // Strings full of the characters the scanner watches.
        let text = "[a-z\"\\\\,:\\[\\]{} \u{e9}]{0,6}";
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            text.prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 96, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(text, inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn valid_json_within_the_limits_always_passes(v in any_json()) {
            let text = serde_json::to_vec(&v).unwrap();
            prop_assert_eq!(parse(&text, JsonLimits::UNTRUSTED).unwrap(), v.clone());
            let pretty = serde_json::to_vec_pretty(&v).unwrap();
            prop_assert_eq!(parse(&pretty, JsonLimits::UNTRUSTED).unwrap(), v);
        }
    }

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
    fn strings_and_escapes_hide_their_brackets_and_commas() {
        let tricky = br#"{"a": "x,y,z,[[[{{{", "b\\": "\\\", ]]]", "c": ["\"", 1]}"#;
        let three = JsonLimits {
            max_keys: 3,
            ..SMALL
        };
        let v = parse(tricky, three).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v, serde_json::from_slice::<Value>(tricky).unwrap());
        assert_eq!(v["c"], json!(["\"", 1]));
        // The same limits hold when the input arrives byte by byte.
        let mut s = Scanner::new(SMALL);
        for b in br#"{"a":1,"b":[1,2],"c":3}"#.iter() {
            if let Err(e) = s.feed(std::slice::from_ref(b)) {
                assert_eq!(e, JsonError::TooManyKeys(2));
                return;
            }
        }
        panic!("the third key was not refused");
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
