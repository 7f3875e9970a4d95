//! Validation beyond field kinds for the order endpoints: marshmallow's `Range` validators
//! (with OpenAlgo's messages), the CRYPTO-only fractional quantity rule, and lists of
//! nested schemas (`basketorder.orders`, `margin.positions`) with their int-keyed errors.

use serde_json::{Map, Value, json};

use super::python::py_repr;
use super::schema::{Field, SchemaErrors, validate};

/// A numeric range rule on one field.
#[derive(Debug, Clone, Copy)]
pub enum Range {
    /// `> 0`
    Positive(&'static str),
    /// `>= 0`
    NonNegative(&'static str),
    /// `>= 1` (integers)
    AtLeastOne(&'static str),
    /// `min <= x <= max`, or `min <= x` without a max: marshmallow's `Range` message.
    Within(f64, Option<f64>),
}

/// marshmallow's `Range` message for declared bounds (printed as declared: `0`, `100`).
fn range_message(min: f64, max: Option<f64>) -> String {
    match max {
        Some(max) => {
            format!("Must be greater than or equal to {min} and less than or equal to {max}.")
        }
        None => format!("Must be greater than or equal to {min}."),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn broken(r: Range, x: f64) -> Option<String> {
    match r {
        Range::Positive(m) if x.is_nan() || x <= 0.0 => Some(m.into()),
        Range::NonNegative(m) if x.is_nan() || x < 0.0 => Some(m.into()),
        Range::AtLeastOne(m) if x.is_nan() || x < 1.0 => Some(m.into()),
        Range::Within(min, max) if x.is_nan() || x < min || max.is_some_and(|m| x > m) => {
            Some(range_message(min, max))
        }
        _ => None,
    }
}

/// Python's `str(float)` for the messages that quote a number (`1.5`, `2.25`).
fn py_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// Field errors then range errors, merged in declaration order (unknown fields last).
fn merged(
    fields: &[Field],
    mut errors: SchemaErrors,
    body: &Value,
    ranges: &[(&str, Range)],
) -> SchemaErrors {
    if let Some(obj) = body.as_object() {
        for (name, rule) in ranges {
            if errors.0.iter().any(|(f, _)| f == name) {
                continue;
            }
            if let Some(msg) = obj
                .get(*name)
                .and_then(number)
                .and_then(|x| broken(*rule, x))
            {
                errors.push(name, msg);
            }
        }
    }
    let pos = |f: &str| {
        fields
            .iter()
            .position(|x| x.name == f)
            .unwrap_or(fields.len())
    };
    errors.0.sort_by_key(|(f, _)| pos(f));
    errors
}

/// Validates fields and ranges; then, with everything valid, the schema-level rule that
/// only CRYPTO takes fractional quantities.
pub fn check(
    fields: &[Field],
    ranges: &[(&str, Range)],
    fractional_rule: bool,
    body: &Value,
) -> Result<Map<String, Value>, SchemaErrors> {
    let out = match validate(fields, body) {
        Ok(m) => m,
        Err(e) => return Err(merged(fields, e, body, ranges)),
    };
    let e = merged(fields, SchemaErrors::default(), body, ranges);
    if !e.is_empty() {
        return Err(e);
    }
    if fractional_rule
        && let Some(q) = out.get("quantity").and_then(Value::as_f64)
        && q.fract() != 0.0
        && out.get("exchange").and_then(Value::as_str) != Some("CRYPTO")
    {
        return Err(SchemaErrors::single(
            "quantity",
            format!(
                "Fractional quantity ({}) is not allowed for non-crypto exchanges.",
                py_float(q)
            ),
        ));
    }
    Ok(out)
}

/// One validated item of a nested list.
pub type Item = Map<String, Value>;

/// One list field of nested objects.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    pub name: &'static str,
    pub items: &'static [Field],
    pub ranges: &'static [(&'static str, Range)],
    pub fractional_rule: bool,
    /// Length bounds, if the schema has them.
    pub len: Option<(usize, usize)>,
}

/// The outer fields (without the list) and the list, validated; the error is the whole 400
/// body, marshmallow's dict repr with the list's errors keyed by item index.
pub fn check_with_list(
    outer: &[Field],
    list: ListSpec,
    body: &Value,
    analyze: bool,
) -> Result<(Map<String, Value>, Vec<Item>), Value> {
    let fail = |message: String| {
        let mut b = json!({"status": "error", "message": message});
        if analyze {
            b["mode"] = Value::from("analyze");
        }
        b
    };
    let Some(obj) = body.as_object() else {
        return Err(fail("{'_schema': ['Invalid input type.']}".into()));
    };
    let mut rest = obj.clone();
    let raw = rest.remove(list.name);
    let outer_result = validate(outer, &Value::Object(rest));
    // The list's own errors: a message list, or per-item error dicts.
    let mut list_err: Option<String> = None;
    let mut items = Vec::new();
    match raw {
        None => list_err = Some("['Missing data for required field.']".into()),
        Some(Value::Null) => list_err = Some("['Field may not be null.']".into()),
        Some(Value::Array(arr)) => {
            if let Some((lo, hi)) = list.len
                && (arr.len() < lo || arr.len() > hi)
            {
                list_err = Some(format!(
                    "[{}]",
                    py_repr(&format!("Length must be between {lo} and {hi}."))
                ));
            } else {
                let mut per_item = Vec::new();
                for (i, item) in arr.iter().enumerate() {
                    match check(list.items, list.ranges, list.fractional_rule, item) {
                        Ok(m) => items.push(m),
                        Err(e) => per_item.push(format!("{i}: {}", e.to_python_repr())),
                    }
                }
                if !per_item.is_empty() {
                    list_err = Some(format!("{{{}}}", per_item.join(", ")));
                }
            }
        }
        Some(_) => list_err = Some("['Not a valid list.']".into()),
    }
    match (outer_result, list_err) {
        (Ok(m), None) => Ok((m, items)),
        (Ok(_), Some(l)) => Err(fail(format!("{{'{}': {l}}}", list.name))),
        (Err(e), None) => Err(fail(e.to_python_repr())),
        (Err(e), Some(l)) => {
            let outer = e.to_python_repr();
            let inner = &outer[..outer.len() - 1];
            Err(fail(format!("{inner}, '{}': {l}}}", list.name)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openalgo::schema::{Kind, TEXT, optional, required};

    const F: &[Field] = &[
        required("exchange", Kind::OneOf(&["NSE", "CRYPTO"])),
        required("quantity", Kind::Float),
        optional("price", Kind::Float),
    ];
    const R: &[(&str, Range)] = &[
        (
            "quantity",
            Range::Positive("Quantity must be a positive number."),
        ),
        (
            "price",
            Range::NonNegative("Price must be a non-negative number."),
        ),
    ];

    #[test]
    fn ranges_and_fractions_use_openalgo_messages_in_field_order() {
        let e = check(
            F,
            R,
            true,
            &json!({"exchange": "X", "quantity": -1, "price": -2}),
        )
        .unwrap_err();
        assert_eq!(
            e.to_python_repr(),
            "{'exchange': ['Must be one of: NSE, CRYPTO.'], 'quantity': ['Quantity must be a positive number.'], 'price': ['Price must be a non-negative number.']}"
        );
        let e = check(F, R, true, &json!({"exchange": "NSE", "quantity": "1.5"})).unwrap_err();
        assert_eq!(
            e.to_python_repr(),
            "{'quantity': ['Fractional quantity (1.5) is not allowed for non-crypto exchanges.']}"
        );
        assert!(check(F, R, true, &json!({"exchange": "CRYPTO", "quantity": 1.5})).is_ok());
        assert!(check(F, R, true, &json!({"exchange": "NSE", "quantity": "2"})).is_ok());
    }

    #[test]
    fn nested_errors_are_keyed_by_index() {
        const OUTER: &[Field] = &[required("strategy", TEXT)];
        let spec = ListSpec {
            name: "orders",
            items: F,
            ranges: R,
            fractional_rule: true,
            len: None,
        };
        let body = json!({"orders": [{"exchange": "NSE", "quantity": 1}, {"quantity": 0}]});
        let b = check_with_list(OUTER, spec, &body, true).unwrap_err();
        assert_eq!(
            b["message"],
            "{'strategy': ['Missing data for required field.'], 'orders': {1: {'exchange': ['Missing data for required field.'], 'quantity': ['Quantity must be a positive number.']}}}"
        );
        assert_eq!(b["mode"], "analyze");
        let b = check_with_list(OUTER, spec, &json!({"strategy": "s", "orders": 5}), false)
            .unwrap_err();
        assert_eq!(b["message"], "{'orders': ['Not a valid list.']}");
        assert!(b.get("mode").is_none());
        let (_, items) =
            check_with_list(OUTER, spec, &json!({"strategy": "s", "orders": []}), true).unwrap();
        assert!(items.is_empty());
    }
}
