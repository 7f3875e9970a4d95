//! A small RFC 4180 reader and writer: quoted fields, doubled quotes, no embedded newlines.

/// Splits one line into fields. `None` when a quote is left open.
pub fn split_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    fields.push(cur);
    Some(fields)
}

/// Quotes a field when it needs it.
pub fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Data lines of a file: skips blank lines and `#` comments, keeps 1-based line numbers.
pub fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_round_trip() {
        let v = split_line(r#"a,"b, c","say ""hi""",,d"#).unwrap();
        assert_eq!(v, ["a", "b, c", "say \"hi\"", "", "d"]);
        let line = v.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
        assert_eq!(split_line(&line).unwrap(), v);
        assert_eq!(split_line("\"open"), None);
    }
}
