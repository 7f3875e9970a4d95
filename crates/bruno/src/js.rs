//! JavaScript behaviours the official parser relies on: `String.prototype.trim`,
//! `slice` on UTF-16 units, object key order, and lodash `merge`/`mergeWith`.

use serde_json::{Map, Value};

/// JavaScript's WhiteSpace + LineTerminator set (differs from Rust's `trim`).
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// `line.slice(n)` where `n` counts UTF-16 code units.
pub(crate) fn slice_units(line: &str, n: usize) -> &str {
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= n {
            return &line[i..];
        }
        units += c.len_utf16();
    }
    ""
}

/// Splits like `str.split(/\r\n|\r|\n/)`.
pub(crate) fn split_lines_any(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                out.push(&s[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            b'\n' => {
                out.push(&s[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(&s[start..]);
    out
}

/// Bruno's `outdentString(str, spaces)`: drop exactly `spaces` leading spaces per line.
pub(crate) fn outdent(s: &str, spaces: usize) -> String {
    if s.is_empty() {
        return String::new();
    }
    let pad = " ".repeat(spaces);
    split_lines_any(s)
        .into_iter()
        .map(|l| l.strip_prefix(pad.as_str()).unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bruno's `indentString(str, levels)`.
pub(crate) fn indent(s: &str, levels: usize) -> String {
    if s.is_empty() {
        return String::new();
    }
    let pad = "  ".repeat(levels);
    split_lines_any(s)
        .into_iter()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// True for keys JavaScript orders numerically before all other keys.
fn is_array_index(k: &str) -> bool {
    if k.is_empty() || k.len() > 10 || !k.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if k.len() > 1 && k.starts_with('0') {
        return false;
    }
    k.parse::<u64>().is_ok_and(|n| n < 4_294_967_295)
}

/// Inserts like a JavaScript property assignment (keeps position of existing keys,
/// puts integer-like keys first in ascending order).
pub(crate) fn js_set(map: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(slot) = map.get_mut(key) {
        *slot = value;
        return;
    }
    if is_array_index(key) {
        let n: u64 = key.parse().unwrap_or(0);
        let at = map
            .keys()
            .position(|k| !is_array_index(k) || k.parse::<u64>().unwrap_or(0) > n)
            .unwrap_or(map.len());
        map.shift_insert(at, key.to_owned(), value);
    } else {
        map.insert(key.to_owned(), value);
    }
}

/// lodash `_.mergeWith(dst, src, concatArrays)` (`concat = true`) or `_.merge` (`false`).
pub(crate) fn merge(dst: &mut Value, src: Value, concat: bool) {
    let Value::Object(src) = src else { return };
    if !dst.is_object() {
        *dst = Value::Object(Map::new());
    }
    let Value::Object(dmap) = dst else { return };
    for (k, sv) in src {
        let merged = match (dmap.get_mut(&k), sv) {
            (Some(Value::Array(da)), Value::Array(sa)) => {
                if concat {
                    da.extend(sa);
                } else {
                    merge_index_wise(da, sa);
                }
                continue;
            }
            (Some(dv @ Value::Object(_)), sv @ Value::Object(_)) => {
                merge(dv, sv, concat);
                continue;
            }
            (_, Value::Object(so)) => {
                let mut fresh = Value::Object(Map::new());
                merge(&mut fresh, Value::Object(so), concat);
                fresh
            }
            (_, sv) => sv,
        };
        js_set(dmap, &k, merged);
    }
}

fn merge_index_wise(dst: &mut Vec<Value>, src: Vec<Value>) {
    for (i, sv) in src.into_iter().enumerate() {
        if i < dst.len() {
            if dst[i].is_object() && sv.is_object() {
                merge(&mut dst[i], sv, false);
            } else {
                dst[i] = sv;
            }
        } else {
            dst.push(sv);
        }
    }
}

/// JavaScript truthiness of a JSON value.
pub(crate) fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(_) => true,
    }
}

/// `Number(str)` for the strings Bruno converts (NaN as `None`).
pub(crate) fn js_number(s: &str) -> Option<f64> {
    let t = trim(s);
    if t.is_empty() {
        return Some(0.0);
    }
    let lower = t.to_ascii_lowercase();
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let radix = |p: &str, r: u32| u64::from_str_radix(p, r).ok().map(|n| n as f64);
    if lower.len() > 2 && !lower.starts_with(['-', '+']) {
        let digits = &t[2..];
        match &lower[..2] {
            "0x" => return radix(digits, 16),
            "0o" => return radix(digits, 8),
            "0b" => return radix(digits, 2),
            _ => {}
        }
    }
    if body == "Infinity" {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    let ok = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok || body.is_empty() || body.starts_with(['e', 'E']) {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `parseInt(str, 10)`.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let t = trim(s);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    Some(if neg { -n } else { n })
}

/// A JSON number the way JavaScript would print it (integers without `.0`).
pub(crate) fn number_value(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        Value::from(f as i64)
    } else if f.is_finite() {
        Value::from(f)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outdent_only_removes_two_spaces() {
        assert_eq!(outdent("    a\n b\n\tc", 2), "  a\n b\n\tc");
        assert_eq!(outdent("a\r\n  b\r  c", 2), "a\nb\nc");
    }

    #[test]
    fn js_key_order_puts_indices_first() {
        let mut m = Map::new();
        js_set(&mut m, "name", Value::from(1));
        js_set(&mut m, "10", Value::from(2));
        js_set(&mut m, "2", Value::from(3));
        js_set(&mut m, "02", Value::from(4));
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["2", "10", "name", "02"]);
    }

    #[test]
    fn numbers_follow_javascript() {
        assert_eq!(js_number("42"), Some(42.0));
        assert_eq!(js_number(" 1e3 "), Some(1000.0));
        assert_eq!(js_number("0x10"), Some(16.0));
        assert_eq!(js_number("abc"), None);
        assert_eq!(js_number(""), Some(0.0));
        assert_eq!(parse_int("12px"), Some(12));
        assert_eq!(parse_int("px"), None);
    }

    #[test]
    fn merge_concatenates_arrays_and_keeps_key_position() {
        let mut a = serde_json::json!({"h": [1], "o": {"x": 1, "y": 2}});
        merge(&mut a, serde_json::json!({"h": [2], "o": {"x": 3}}), true);
        assert_eq!(a, serde_json::json!({"h": [1, 2], "o": {"x": 3, "y": 2}}));
        let mut b = serde_json::json!({"t": ["a", "b"]});
        merge(&mut b, serde_json::json!({"t": ["c"]}), false);
        assert_eq!(b, serde_json::json!({"t": ["c", "b"]}));
    }
}
