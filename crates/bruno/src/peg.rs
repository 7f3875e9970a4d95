//! A tiny PEG cursor that reports failures the way ohm-js does.
//!
//! Bruno's grammars are ohm grammars. To report the same error position as the
//! official parser we track the rightmost position at which a terminal failed,
//! ignoring failures inside negative lookahead and implicit space skipping, and
//! recording a failure at the lookahead's start when a `~x` fails.

use crate::error::ParseError;

#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
    fail_pos: Option<usize>,
    expected: Vec<&'static str>,
    quiet: u32,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            fail_pos: None,
            expected: Vec::new(),
            quiet: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub(crate) fn slice(&self, from: usize) -> &'a str {
        &self.src[from..self.pos]
    }

    /// Records a failure at `pos` unless inside a lookahead.
    pub(crate) fn fail_at(&mut self, pos: usize, what: &'static str) {
        if self.quiet > 0 {
            return;
        }
        match self.fail_pos {
            Some(p) if p > pos => {}
            Some(p) if p == pos => {
                if !self.expected.contains(&what) {
                    self.expected.push(what);
                }
            }
            _ => {
                self.fail_pos = Some(pos);
                self.expected.clear();
                self.expected.push(what);
            }
        }
    }

    /// Matches a literal terminal.
    pub(crate) fn lit(&mut self, s: &'static str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            self.fail_at(self.pos, s);
            false
        }
    }

    /// Consumes one character (ohm `any`).
    pub(crate) fn any(&mut self) -> bool {
        match self.rest().chars().next() {
            Some(c) => {
                self.pos += c.len_utf8();
                true
            }
            None => {
                self.fail_at(self.pos, "any character");
                false
            }
        }
    }

    /// Consumes one character satisfying `pred`.
    pub(crate) fn char_if(&mut self, what: &'static str, pred: impl Fn(char) -> bool) -> bool {
        match self.rest().chars().next() {
            Some(c) if pred(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => {
                self.fail_at(self.pos, what);
                false
            }
        }
    }

    /// Negative lookahead `~f`: never consumes input.
    pub(crate) fn not(&mut self, f: impl FnOnce(&mut Self) -> bool) -> bool {
        let start = self.pos;
        self.quiet += 1;
        let matched = f(self);
        self.quiet -= 1;
        self.pos = start;
        if matched {
            self.fail_at(start, "something else");
        }
        !matched
    }

    /// Runs `f`, restoring the position if it fails.
    pub(crate) fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let out = f(self);
        if out.is_none() {
            self.pos = start;
        }
        out
    }

    /// Boolean form of [`Cursor::attempt`].
    pub(crate) fn seq(&mut self, f: impl FnOnce(&mut Self) -> bool) -> bool {
        self.attempt(|c| f(c).then_some(())).is_some()
    }

    /// `f*` for a boolean rule.
    pub(crate) fn star(&mut self, mut f: impl FnMut(&mut Self) -> bool) {
        loop {
            let before = self.pos;
            if !self.seq(&mut f) || self.pos == before {
                break;
            }
        }
    }

    /// `f+` for a boolean rule.
    pub(crate) fn plus(&mut self, f: impl FnMut(&mut Self) -> bool) -> bool {
        let start = self.pos;
        let mut f = f;
        if !self.seq(&mut f) {
            return false;
        }
        if self.pos == start {
            return true;
        }
        self.star(f);
        true
    }

    /// Ohm's implicit space skipping in syntactic rules (failures ignored).
    pub(crate) fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b) if b <= b' ') {
            self.pos += 1;
        }
    }

    /// `nl = "\r"? "\n"`
    pub(crate) fn nl(&mut self) -> bool {
        self.seq(|c| {
            if c.peek() == Some(b'\r') {
                c.pos += 1;
            } else {
                c.fail_at(c.pos, "\"\\r\"");
            }
            c.lit("\n")
        })
    }

    /// `st = " " | "\t"`
    pub(crate) fn st(&mut self) -> bool {
        match self.peek() {
            Some(b' ' | b'\t') => {
                self.pos += 1;
                true
            }
            _ => {
                self.fail_at(self.pos, "\" \"");
                self.fail_at(self.pos, "\"\\t\"");
                false
            }
        }
    }

    pub(crate) fn st_star(&mut self) {
        while self.st() {}
    }

    pub(crate) fn nl_star(&mut self) {
        while self.nl() {}
    }

    /// `tagend = nl "}"`
    pub(crate) fn tagend(&mut self) -> bool {
        self.seq(|c| c.nl() && c.lit("}"))
    }

    /// True when `tagend` would match here (no failure recorded on success).
    pub(crate) fn not_tagend(&mut self) -> bool {
        self.not(Self::tagend)
    }

    /// Builds the error for the rightmost failure.
    pub(crate) fn error(&self) -> ParseError {
        let pos = self.fail_pos.unwrap_or(self.pos);
        ParseError::at(
            self.src,
            pos,
            self.expected.iter().map(|s| (*s).to_owned()).collect(),
        )
    }
}
