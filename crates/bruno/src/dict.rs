//! Dictionary blocks, `'''` values, lists, annotations and text blocks:
//! the lexical rules shared (with small differences) by all Bruno grammars.

use crate::js;
use crate::peg::Cursor;

/// How `'''` values are delimited and decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Multiline {
    /// Request/example grammar: optional `@contentType(...)` after the closing quotes.
    WithContentType,
    /// Collection grammar: no content type.
    Plain,
    /// Env grammar: `'''` + newline ... newline + spaces + `'''`.
    Env,
}

/// The key rule of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// `quoted_key | key`
    Quotable,
    /// `key` only (env files).
    Plain,
    /// `assertkey`: anything up to `:`, spaces allowed.
    Assert,
}

/// One grammar's flavour of dictionary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    pub st_after_brace: bool,
    pub annotations: bool,
    pub key: KeyKind,
    pub lists: bool,
    pub multiline: Multiline,
    /// `(~tagend stnl* pair)* (~tagend space)*` instead of `(~tagend nl pair)*`.
    pub loose: bool,
}

pub(crate) const REQUEST: Dialect = Dialect {
    st_after_brace: true,
    annotations: true,
    key: KeyKind::Quotable,
    lists: true,
    multiline: Multiline::WithContentType,
    loose: true,
};
pub(crate) const ASSERT: Dialect = Dialect {
    st_after_brace: false,
    key: KeyKind::Assert,
    ..REQUEST
};
pub(crate) const COLLECTION: Dialect = Dialect {
    st_after_brace: false,
    lists: false,
    multiline: Multiline::Plain,
    ..REQUEST
};
pub(crate) const ENV: Dialect = Dialect {
    key: KeyKind::Plain,
    multiline: Multiline::Env,
    ..COLLECTION
};
pub(crate) const EXAMPLE: Dialect = Dialect {
    st_after_brace: false,
    annotations: false,
    loose: false,
    ..REQUEST
};

/// An annotation such as `@description('x')`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Annotation {
    pub name: String,
    pub value: Option<String>,
}

/// A dictionary value after the pair action (trimmed string or list).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PVal {
    Str(String),
    List(Vec<String>),
}

impl PVal {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            PVal::Str(s) => Some(s),
            PVal::List(_) => None,
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            PVal::Str(s) => serde_json::Value::String(s.clone()),
            PVal::List(l) => l.clone().into(),
        }
    }
}

/// A `key: value` pair with its annotations; `offset` is where the pair starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pair {
    pub key: String,
    pub value: PVal,
    pub annotations: Vec<Annotation>,
    pub offset: usize,
}

/// `dictionary = st* "{" st*? pairlist? tagend`
pub(crate) fn dictionary(c: &mut Cursor, d: Dialect) -> Option<Vec<Pair>> {
    c.attempt(|c| {
        c.st_star();
        if !c.lit("{") {
            return None;
        }
        if d.st_after_brace {
            c.st_star();
        }
        let pairs = c.attempt(|c| pairlist(c, d)).unwrap_or_default();
        c.tagend().then_some(pairs)
    })
}

fn optionalnl(c: &mut Cursor) -> bool {
    c.seq(|c| c.not_tagend() && c.nl())
}

fn pairlist(c: &mut Cursor, d: Dialect) -> Option<Vec<Pair>> {
    while optionalnl(c) {}
    let mut pairs = vec![pair(c, d)?];
    loop {
        let next = c.attempt(|c| {
            if !c.not_tagend() {
                return None;
            }
            if d.loose {
                while c.st() || c.nl() {}
            } else if !c.nl() {
                return None;
            }
            pair(c, d)
        });
        match next {
            Some(p) => pairs.push(p),
            None => break,
        }
    }
    if d.loose {
        c.star(|c| c.not_tagend() && c.char_if("a space", |ch| ch <= ' '));
    }
    Some(pairs)
}

fn pair(c: &mut Cursor, d: Dialect) -> Option<Pair> {
    c.attempt(|c| {
        let offset = c.pos;
        c.st_star();
        let annotations = if d.annotations {
            pair_annotations(c)
        } else {
            Vec::new()
        };
        c.st_star();
        let key = match d.key {
            KeyKind::Quotable => c.attempt(quoted_key).unwrap_or_else(|| key(c)),
            KeyKind::Plain => key(c),
            KeyKind::Assert => assert_key(c)?,
        };
        c.st_star();
        if !c.lit(":") {
            return None;
        }
        c.st_star();
        let value = value(c, d)?;
        c.st_star();
        Some(Pair {
            key,
            value,
            annotations,
            offset,
        })
    })
}

fn key(c: &mut Cursor) -> String {
    let start = c.pos;
    while c.not(|c| c.tagend() || c.st() || c.nl() || c.lit(":")) && c.any() {}
    js::trim(c.slice(start)).to_owned()
}

fn assert_key(c: &mut Cursor) -> Option<String> {
    if !c.not_tagend() {
        return None;
    }
    let start = c.pos;
    while c.not(|c| c.tagend() || c.nl() || c.lit(":")) && c.any() {}
    Some(js::trim(c.slice(start)).to_owned())
}

/// `quoted_key = "~"? "\"" (esc_quote_char | quoted_key_char)* "\""`
fn quoted_key(c: &mut Cursor) -> Option<String> {
    let mut out = String::new();
    if c.lit("~") {
        out.push('~');
    }
    if !c.lit("\"") {
        return None;
    }
    loop {
        if c.seq(|c| c.lit("\\") && c.lit("\"")) {
            out.push('"');
            continue;
        }
        let start = c.pos;
        if c.not(|c| c.lit("\"") || c.lit("\\\"") || c.nl()) && c.any() {
            out.push_str(c.slice(start));
            continue;
        }
        break;
    }
    c.lit("\"").then_some(out)
}

fn value(c: &mut Cursor, d: Dialect) -> Option<PVal> {
    if d.lists
        && let Some(items) = c.attempt(list)
    {
        return Some(PVal::List(items));
    }
    if let Some(s) = c.attempt(|c| multiline(c, d.multiline)) {
        return Some(PVal::Str(js::trim(&s).to_owned()));
    }
    let start = c.pos;
    let env = d.multiline == Multiline::Env;
    while c.not(|c| c.nl() || c.tagend() || (env && ml_env_start(c))) && c.any() {}
    Some(PVal::Str(js::trim(c.slice(start)).to_owned()))
}

/// `list = st* "[" nl+ listitems? st* nl+ st* "]"`
fn list(c: &mut Cursor) -> Option<Vec<String>> {
    c.st_star();
    if !c.lit("[") || !c.plus(Cursor::nl) {
        return None;
    }
    let mut items = Vec::new();
    if let Some(first) = c.attempt(list_item) {
        items.push(first);
        while let Some(more) = c.attempt(|c| c.plus(Cursor::nl).then(|| list_item(c)).flatten()) {
            items.push(more);
        }
    }
    c.st_star();
    if !c.plus(Cursor::nl) {
        return None;
    }
    c.st_star();
    c.lit("]").then_some(items)
}

fn list_item(c: &mut Cursor) -> Option<String> {
    if !c.plus(Cursor::st) {
        return None;
    }
    let start = c.pos;
    let is_item = |ch: char| ch.is_alphabetic() || ch.is_ascii_digit() || ch == '_' || ch == '-';
    if !c.plus(|c| c.char_if("an alpha-numeric character", is_item)) {
        return None;
    }
    let item = c.slice(start).to_owned();
    c.st_star();
    Some(item)
}

/// `"'''" (~"'''" any)* "'''"`, returning the inner text.
pub(crate) fn triple_quoted<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    if !c.lit("'''") {
        return None;
    }
    let start = c.pos;
    while c.not(|c| c.lit("'''")) && c.any() {}
    let inner = c.slice(start);
    c.lit("'''").then_some(inner)
}

/// Removes 4 UTF-16 units from every `\n`-separated line.
pub(crate) fn cut4(inner: &str) -> String {
    inner
        .split('\n')
        .map(|l| js::slice_units(l, 4))
        .collect::<Vec<_>>()
        .join("\n")
}

fn multiline(c: &mut Cursor, kind: Multiline) -> Option<String> {
    match kind {
        Multiline::Env => ml_env(c),
        Multiline::Plain => triple_quoted(c).map(cut4),
        Multiline::WithContentType => {
            let inner = triple_quoted(c)?;
            c.st_star();
            let text = cut4(inner);
            Some(match c.attempt(content_type) {
                Some(ct) => format!("{text} {ct}"),
                None => text,
            })
        }
    }
}

/// `contenttypeannotation = "@contentType(" (~")" any)* ")"`
pub(crate) fn content_type<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let start = c.pos;
    if !c.lit("@contentType(") {
        return None;
    }
    while c.not(|c| c.lit(")")) && c.any() {}
    c.lit(")").then(|| c.slice(start))
}

fn ml_env_start(c: &mut Cursor) -> bool {
    c.seq(|c| c.lit("'''") && c.nl())
}

fn ml_env_end(c: &mut Cursor) -> bool {
    c.seq(|c| {
        if !c.nl() {
            return false;
        }
        c.st_star();
        c.lit("'''")
    })
}

fn ml_env(c: &mut Cursor) -> Option<String> {
    if !ml_env_start(c) {
        return None;
    }
    let start = c.pos;
    while c.not(ml_env_end) && c.any() {}
    let content = c.slice(start);
    if !ml_env_end(c) {
        return None;
    }
    let lines: Vec<&str> = js::split_lines_any(content)
        .into_iter()
        .map(|l| js::slice_units(l, 4))
        .collect();
    Some(js::trim(&lines.join("\n")).to_owned())
}

/// `pairannotations = annotationentry*`
fn pair_annotations(c: &mut Cursor) -> Vec<Annotation> {
    let mut out = Vec::new();
    while let Some(a) = c.attempt(annotation_entry) {
        out.push(a);
    }
    out
}

/// `annotationentry = st* annotation ~":" st* nl`
pub(crate) fn annotation_entry(c: &mut Cursor) -> Option<Annotation> {
    c.st_star();
    let a = annotation(c)?;
    if !c.not(|c| c.lit(":")) {
        return None;
    }
    c.st_star();
    c.nl().then_some(a)
}

fn annotation(c: &mut Cursor) -> Option<Annotation> {
    if !c.lit("@") {
        return None;
    }
    let start = c.pos;
    let name_char = |ch: char| !matches!(ch, '(' | ')' | ' ' | '\t' | '\r' | '\n' | ':');
    if !c.plus(|c| c.char_if("an annotation name", name_char)) {
        return None;
    }
    let name = c.slice(start).to_owned();
    let value = c.attempt(annotation_args);
    Some(Annotation { name, value })
}

fn annotation_args(c: &mut Cursor) -> Option<String> {
    if !c.lit("(") {
        return None;
    }
    let v = match c.attempt(triple_quoted) {
        Some(inner) => annotation_multiline(inner),
        None => annotation_arg_value(c)?,
    };
    c.lit(")").then_some(v)
}

fn annotation_arg_value(c: &mut Cursor) -> Option<String> {
    if let Some(v) = c.attempt(|c| quoted_arg(c, "'")) {
        return Some(v.to_owned());
    }
    if let Some(v) = c.attempt(double_quoted_arg) {
        return Some(unescape_annotation(v));
    }
    let start = c.pos;
    while c.not(|c| c.lit(")")) && c.any() {}
    Some(c.slice(start).to_owned())
}

fn quoted_arg<'a>(c: &mut Cursor<'a>, q: &'static str) -> Option<&'a str> {
    if !c.lit(q) {
        return None;
    }
    let start = c.pos;
    while c.not(|c| c.lit(q)) && c.any() {}
    let inner = c.slice(start);
    c.lit(q).then_some(inner)
}

fn double_quoted_arg<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    if !c.lit("\"") {
        return None;
    }
    let start = c.pos;
    loop {
        if c.seq(|c| c.lit("\\") && c.any()) {
            continue;
        }
        if c.not(|c| c.lit("\"")) && c.any() {
            continue;
        }
        break;
    }
    let inner = c.slice(start);
    c.lit("\"").then_some(inner)
}

fn unescape_annotation(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\\' {
            let mapped = match chars.peek() {
                Some('r') => Some('\r'),
                Some('n') => Some('\n'),
                Some('t') => Some('\t'),
                Some('"') => Some('"'),
                Some('\\') => Some('\\'),
                _ => None,
            };
            if let Some(m) = mapped {
                chars.next();
                out.push(m);
                continue;
            }
        }
        out.push(ch);
    }
    out
}

/// `parseAnnotationMultilineTextBlock`: dedent to the smallest indentation.
fn annotation_multiline(content: &str) -> String {
    if content.is_empty() || (!content.contains('\n') && !content.contains('\r')) {
        return content.to_owned();
    }
    let ending = if content.contains("\r\n") {
        "\r\n"
    } else if content.contains('\r') {
        "\r"
    } else {
        "\n"
    };
    let mut lines = js::split_lines_any(content);
    if lines.first() == Some(&"") {
        lines.remove(0);
    }
    if lines.last().is_some_and(|l| js::trim(l).is_empty()) {
        lines.pop();
    }
    let indent_of = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let min = lines
        .iter()
        .filter(|l| !js::trim(l).is_empty())
        .map(|l| indent_of(l))
        .min();
    let min = min.unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if js::trim(l).is_empty() {
                ""
            } else {
                &l[min..]
            }
        })
        .collect::<Vec<_>>()
        .join(ending)
}

/// `kw st* "{" nl* textblock tagend` after the keyword: the raw text block.
pub(crate) fn text_block<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    c.attempt(|c| {
        c.st_star();
        if !c.lit("{") {
            return None;
        }
        c.nl_star();
        let start = c.pos;
        text_line(c);
        while c.seq(|c| c.not_tagend() && c.nl() && text_line(c)) {}
        let text = c.slice(start);
        c.tagend().then_some(text)
    })
}

fn text_line(c: &mut Cursor) -> bool {
    while c.not(Cursor::nl) && c.any() {}
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_multiline_dedents() {
        assert_eq!(annotation_multiline("\n    a\n      b\n  "), "a\n  b");
        assert_eq!(annotation_multiline("one"), "one");
    }

    #[test]
    fn unescape_keeps_unknown_escapes() {
        assert_eq!(unescape_annotation(r#"a\"b\\c\n\x"#), "a\"b\\c\n\\x");
    }
}
