//! Parse errors with a position compatible with Bruno's ("Line L, col C").

use std::fmt;

/// A `.bru` text could not be parsed.
///
/// `line` and `column` are 1-based; the column counts UTF-16 code units, as
/// the official JavaScript parser does. `file` is empty until the caller
/// attaches one with [`ParseError::with_file`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line of the rightmost failure.
    pub line: usize,
    /// 1-based column (UTF-16 code units) of the rightmost failure.
    pub column: usize,
    /// Byte offset of the failure in the input.
    pub offset: usize,
    /// What the grammar would have accepted at that position.
    pub expected: Vec<String>,
    /// The file the text came from, when known.
    pub file: Option<String>,
}

impl ParseError {
    pub(crate) fn at(src: &str, offset: usize, expected: Vec<String>) -> Self {
        let offset = offset.min(src.len());
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].encode_utf16().count() + 1;
        Self {
            line,
            column,
            offset,
            expected,
            file: None,
        }
    }

    /// A semantic failure (the official parser throws a JavaScript error).
    pub(crate) fn semantic(src: &str, offset: usize, what: &str) -> Self {
        Self::at(src, offset, vec![what.to_owned()])
    }

    /// Attaches the file name shown by `Display`.
    #[must_use]
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        write!(f, "Line {}, col {}: expected ", self.line, self.column)?;
        let shown: Vec<&str> = self.expected.iter().take(12).map(String::as_str).collect();
        write!(f, "{}", shown.join(", "))?;
        if self.expected.len() > shown.len() {
            write!(f, ", ...")?;
        }
        Ok(())
    }
}
