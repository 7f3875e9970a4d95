//! YAML text ⇄ JSON values for OpenCollection files, over `yaml-rust2`'s event parser.
//!
//! Loading builds a `serde_json::Value` directly and refuses what a collection file never
//! needs and an untrusted one could abuse: aliases (their expansion is how a small file
//! becomes a huge tree), more than one document, nesting deeper than [`MAX_DEPTH`],
//! non-scalar keys and duplicate keys. Plain scalars are typed by YAML 1.2's core schema
//! (null, booleans, integers, floats); quoted and block scalars are strings. Every node's
//! byte offset is kept by JSON pointer, so later checks can name the line of a bad field.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::{Yaml, YamlEmitter};

use crate::error::ParseError;

/// Deeper nesting than any collection file has; bounds the work and the recursion of
/// whoever walks the tree.
pub const MAX_DEPTH: usize = 64;

/// A loaded document: the value and where each node starts.
#[derive(Debug)]
pub(crate) struct Doc<'a> {
    pub value: Value,
    src: &'a str,
    /// JSON pointer → byte offset of the node.
    spans: HashMap<String, usize>,
}

impl Doc<'_> {
    /// A [`ParseError`] at the node `pointer` (or the nearest enclosing one).
    pub fn error(&self, pointer: &str, what: impl Into<String>) -> ParseError {
        let mut p = pointer;
        let offset = loop {
            if let Some(o) = self.spans.get(p) {
                break *o;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break 0,
            }
        };
        ParseError::at(self.src, offset, vec![what.into()])
    }
}

enum Frame {
    Seq(Vec<Value>, String),
    Map(Map<String, Value>, String, Option<String>),
}

struct Builder<'a> {
    src: &'a str,
    /// Character index → byte offset, filled lazily while markers move forward.
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    char_pos: usize,
    byte_pos: usize,
    stack: Vec<Frame>,
    root: Option<Value>,
    documents: usize,
    spans: HashMap<String, usize>,
    error: Option<(usize, String)>,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str) -> Self {
        Self {
            src,
            chars: src.char_indices().peekable(),
            char_pos: 0,
            byte_pos: 0,
            stack: Vec::new(),
            root: None,
            documents: 0,
            spans: HashMap::new(),
            error: None,
        }
    }

    fn byte_offset(&mut self, char_index: usize) -> usize {
        if char_index < self.char_pos {
            return self
                .src
                .char_indices()
                .nth(char_index)
                .map_or(self.src.len(), |(b, _)| b);
        }
        // Markers mostly move forward, so one pass over the text serves the whole parse.
        while self.char_pos < char_index && self.chars.next().is_some() {
            self.char_pos += 1;
            self.byte_pos = self.chars.peek().map_or(self.src.len(), |(b, _)| *b);
        }
        self.byte_pos
    }

    fn fail(&mut self, offset: usize, what: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some((offset, what.into()));
        }
    }

    /// The pointer of the node that starts now.
    fn next_pointer(&mut self, offset: usize) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq(items, at)) => Some(format!("{at}/{}", items.len())),
            Some(Frame::Map(_, at, Some(key))) => Some(format!("{at}/{}", escape(key))),
            Some(Frame::Map(..)) => {
                self.fail(
                    offset,
                    "a plain key (complex mapping keys are not supported)",
                );
                None
            }
        }
    }

    fn push_value(&mut self, value: Value, offset: usize) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, _, key)) => {
                let Some(k) = key.take() else {
                    return;
                };
                if map.contains_key(&k) {
                    self.fail(offset, format!("a key other than {k:?} (it is repeated)"));
                    return;
                }
                map.insert(k, value);
            }
        }
    }

    fn scalar(&mut self, text: String, style: TScalarStyle, tagged_str: bool, offset: usize) {
        if let Some(Frame::Map(_, _, key @ None)) = self.stack.last_mut() {
            *key = Some(text);
            return;
        }
        let Some(ptr) = self.next_pointer(offset) else {
            return;
        };
        self.spans.insert(ptr, offset);
        let value = if style == TScalarStyle::Plain && !tagged_str {
            plain(&text)
        } else {
            Value::String(text)
        };
        self.push_value(value, offset);
    }

    fn open(&mut self, seq: bool, offset: usize) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(offset, format!("at most {MAX_DEPTH} levels of nesting"));
            return;
        }
        let Some(ptr) = self.next_pointer(offset) else {
            return;
        };
        self.spans.insert(ptr.clone(), offset);
        self.stack.push(if seq {
            Frame::Seq(Vec::new(), ptr)
        } else {
            Frame::Map(Map::new(), ptr, None)
        });
    }

    fn close(&mut self, offset: usize) {
        let value = match self.stack.pop() {
            Some(Frame::Seq(items, _)) => Value::Array(items),
            Some(Frame::Map(map, _, _)) => Value::Object(map),
            None => return,
        };
        self.push_value(value, offset);
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let offset = self.byte_offset(mark.index());
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(offset, "one YAML document (found a second `---`)");
                }
            }
            Event::Alias(_) => self.fail(offset, "a value (aliases are not supported)"),
            Event::Scalar(text, style, _, tag) => {
                let tagged_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                self.scalar(text, style, tagged_str, offset);
            }
            Event::SequenceStart(..) => self.open(true, offset),
            Event::MappingStart(..) => self.open(false, offset),
            Event::SequenceEnd | Event::MappingEnd => self.close(offset),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// `~` in a JSON pointer segment is `~0`, `/` is `~1`.
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A plain scalar by YAML 1.2's core schema.
fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
    }
    let numeric = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if numeric
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

/// Loads one YAML document (an empty text is `null`).
pub(crate) fn load(src: &str) -> Result<Doc<'_>, ParseError> {
    let mut b = Builder::new(src);
    let mut parser = Parser::new_from_str(src);
    if let Err(e) = parser.load(&mut b, true) {
        let offset = b.byte_offset(e.marker().index());
        return Err(ParseError::at(
            src,
            offset,
            vec![format!("valid YAML ({})", e.info())],
        ));
    }
    if let Some((offset, what)) = b.error {
        return Err(ParseError::at(src, offset, vec![what]));
    }
    Ok(Doc {
        value: b.root.unwrap_or(Value::Null),
        src,
        spans: b.spans,
    })
}

fn to_yaml(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(a) => Yaml::Array(a.iter().map(to_yaml).collect()),
        Value::Object(m) => Yaml::Hash(
            m.iter()
                .map(|(k, v)| (Yaml::String(k.clone()), to_yaml(v)))
                .collect(),
        ),
    }
}

fn emit(v: &Value, multiline: bool) -> String {
    let mut out = String::new();
    let mut e = YamlEmitter::new(&mut out);
    e.multiline_strings(multiline);
    // Writing into a String cannot fail.
    let _ = e.dump(&to_yaml(v));
    let body = out.strip_prefix("---\n").unwrap_or(&out);
    let body = body.strip_prefix("---").unwrap_or(body);
    format!("{}\n", body.trim_start_matches(' '))
}

/// Writes `v` as YAML, multi-line strings as literal blocks without the indentation the
/// emitter leaves on their blank lines. Each candidate is read back and the first that
/// loads as `v` is kept; the last, with every string quoted, always does.
pub(crate) fn dump(v: &Value) -> String {
    let blocks = emit(v, true);
    let tidy: String = blocks
        .split_inclusive('\n')
        .map(|line| if line.trim().is_empty() { "\n" } else { line })
        .collect();
    for text in [tidy, blocks] {
        if load(&text).is_ok_and(|doc| doc.value == *v) {
            return text;
        }
    }
    emit(v, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_follow_the_core_schema() {
        let doc = load(
            "a: 1\nb: -2.5\nc: true\nd: ~\ne: '1'\nf: hello\ng:\nh: !!str 3\ni: 1e3\nj: 0x10\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a": 1, "b": -2.5, "c": true, "d": null, "e": "1", "f": "hello", "g": null, "h": "3", "i": 1000.0, "j": "0x10"})
        );
    }

    #[test]
    fn aliases_documents_keys_and_depth_are_refused_with_a_position() {
        let e = load("a: &x [1, 2]\nb: *x\n").unwrap_err();
        assert_eq!(
            (e.line, e.expected[0].contains("aliases")),
            (2, true),
            "{e}"
        );
        let e = load("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.expected[0].contains("repeated"), "{e}");
        assert_eq!(e.line, 3, "{e}");
        let e = load("? [a]\n: 1\n").unwrap_err();
        assert!(e.expected[0].contains("complex"), "{e}");
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(load(&deep).unwrap_err().expected[0].contains("nesting"));
        let ok = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(load(&ok).is_ok());
        let e = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.expected[0].starts_with("valid YAML"), "{e}");
    }

    #[test]
    fn errors_point_at_the_field() {
        let doc = load("info:\n  name: x\nhttp:\n  url: 5\n").unwrap();
        let e = doc.error("/http/url", "`http.url` as a string");
        assert_eq!((e.line, e.column), (4, 8), "{e}");
        let e = doc.error("/http/missing", "x");
        assert_eq!(e.line, 4);
    }

    #[test]
    fn dump_loads_back_as_the_same_value() {
        for v in [
            json!({"info": {"name": "Place Order", "seq": 1}, "docs": "# T\n\nline\n  indented\n"}),
            json!({"s": "  leading", "t": "trailing \n", "u": "{{host}}/x", "v": "1", "w": "true", "x": "", "y": "a: b", "z": "\ttab\nx"}),
            json!({"list": [{"name": "a", "value": "b"}, {"name": "c"}], "empty": [], "obj": {}}),
            json!({"multi": "line one\r\nline two", "n": -1.5, "b": false, "null": null}),
            json!("just a string"),
        ] {
            let text = dump(&v);
            assert_eq!(load(&text).unwrap().value, v, "{text}");
        }
        let text = dump(&json!({"docs": "a\nb"}));
        assert!(text.contains("docs: |-\n  a\n  b"), "{text}");
        // Blank lines of a block carry no indentation, unless a line of spaces is content.
        let text = dump(&json!({"docs": "a\n\nb"}));
        assert!(text.contains("docs: |-\n  a\n\n  b"), "{text}");
        let v = json!({"docs": "a\n\nb", "ws": "a\n   \nb"});
        assert_eq!(load(&dump(&v)).unwrap().value, v);
    }
}
