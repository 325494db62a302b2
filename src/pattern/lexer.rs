//! A character cursor shared by the three pattern grammars, plus the literal
//! forms they share (quoted strings, `%regex%`, numbers, bare values).

use super::ast::{Literal, TextMatch};
use super::error::{PatternError, PatternErrorKind};
use super::regex_subset;
use super::MAX_REGEXES;

/// Byte-offset cursor over the pattern source. Every offset it hands out is a
/// char boundary, so slicing with them cannot panic.
pub(super) struct Cursor<'a> {
    src: &'a str,
    pos: usize,
    /// Regexes seen so far in the whole pattern (the quota is per pattern).
    pub(super) regexes: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            regexes: 0,
        }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub(super) fn peek(&self) -> Option<char> {
        // ASCII fast path: patterns are nearly all ASCII.
        let b = *self.src.as_bytes().get(self.pos)?;
        if b.is_ascii() {
            Some(b as char)
        } else {
            self.rest().chars().next()
        }
    }

    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Steps over `n` bytes the caller has checked are ASCII.
    pub(super) fn advance(&mut self, n: usize) {
        debug_assert!(self.rest().as_bytes()[..n].is_ascii());
        self.pos += n;
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub(super) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(super) fn eat_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Case-insensitive keyword that must end at a non-identifier character.
    pub(super) fn eat_keyword(&mut self, kw: &str) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..kw.len()) else {
            return false;
        };
        if !head.eq_ignore_ascii_case(kw) {
            return false;
        }
        let boundary = rest[kw.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        if boundary {
            self.pos += kw.len();
        }
        boundary
    }

    pub(super) fn skip_ws(&mut self) {
        while let Some(&b) = self.src.as_bytes().get(self.pos) {
            if b.is_ascii() {
                if !(b as char).is_whitespace() {
                    break;
                }
                self.pos += 1;
            } else {
                match self.peek() {
                    Some(c) if c.is_whitespace() => self.pos += c.len_utf8(),
                    _ => break,
                }
            }
        }
    }

    pub(super) fn slice(&self, from: usize, to: usize) -> &'a str {
        &self.src[from..to]
    }

    pub(super) fn error_at(&self, byte_pos: usize, kind: PatternErrorKind, msg: impl Into<String>) -> PatternError {
        PatternError::at(self.src, byte_pos, kind, msg)
    }

    pub(super) fn syntax(&self, msg: impl Into<String>) -> PatternError {
        self.error_at(self.pos, PatternErrorKind::Syntax, msg)
    }

    /// `"..."` with `\"` and `\\` escapes (seen in real patterns such as
    /// `"*HTTP/1.1\" 5*"`); any other backslash is kept literally.
    pub(super) fn quoted(&mut self) -> Result<String, PatternError> {
        let open = self.pos;
        if !self.eat('"') {
            return Err(self.syntax("expected '\"'"));
        }
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error_at(open, PatternErrorKind::Syntax, "unterminated quoted string")),
                Some('"') => return Ok(out),
                Some('\\') => match self.peek() {
                    Some(c @ ('"' | '\\')) => {
                        self.bump();
                        out.push(c);
                    }
                    _ => out.push('\\'),
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// `%regex%`: counts against the per-pattern quota, validated against the
    /// documented subset and compiled (linear-time engine) here, once.
    pub(super) fn regex(&mut self) -> Result<regex::Regex, PatternError> {
        let open = self.pos;
        if !self.eat('%') {
            return Err(self.syntax("expected '%'"));
        }
        let body_start = self.pos;
        let Some(len) = self.rest().find('%') else {
            return Err(self.error_at(
                open,
                PatternErrorKind::Syntax,
                "unterminated regex: expected closing '%'",
            ));
        };
        self.regexes += 1;
        if self.regexes > MAX_REGEXES {
            return Err(self.error_at(
                open,
                PatternErrorKind::TooManyRegexes,
                format!("a filter pattern can contain at most {MAX_REGEXES} regular expressions"),
            ));
        }
        let body = &self.src[body_start..body_start + len];
        let re = regex_subset::compile(body).map_err(|(off, kind, msg)| self.error_at(body_start + off, kind, msg))?;
        self.pos = body_start + len + 1;
        Ok(re)
    }

    /// The right-hand side of a comparison in a JSON or space-delimited pattern.
    /// `stop` tells where an unquoted value ends (beyond whitespace, `&&`, `||`).
    pub(super) fn literal(&mut self, stop: fn(char) -> bool) -> Result<Literal, PatternError> {
        match self.peek() {
            Some('"') => Ok(Literal::Text(TextMatch::from_pattern(&self.quoted()?))),
            Some('%') => Ok(Literal::Regex(self.regex()?)),
            _ => {
                let start = self.pos;
                // Byte scan: unquoted values are ASCII (anything else must be quoted).
                let bytes = self.rest().as_bytes();
                let mut n = 0;
                while let Some(&b) = bytes.get(n) {
                    let c = char::from(b);
                    if c.is_ascii_whitespace() || stop(c) || ((b == b'&' || b == b'|') && bytes.get(n + 1) == Some(&b))
                    {
                        break;
                    }
                    // The docs: values with '@', '$', '\', unicode and the like must be quoted.
                    if !b.is_ascii()
                        || matches!(
                            c,
                            '@' | '$' | '\\' | '"' | '\'' | '=' | '!' | '<' | '>' | '~' | '%' | '(' | '{' | '['
                        )
                    {
                        let at = self.pos + n;
                        let shown = self.src[at..].chars().next().unwrap_or(c);
                        return Err(self.error_at(
                            at,
                            PatternErrorKind::InvalidCharacter,
                            format!("unexpected character '{shown}' in value; values with such characters must be enclosed in double quotes"),
                        ));
                    }
                    n += 1;
                }
                self.pos += n;
                let text = self.slice(start, self.pos);
                if text.is_empty() {
                    return Err(self.syntax("expected a value"));
                }
                Ok(match parse_number(text) {
                    Some(value) => Literal::Number(value),
                    None => Literal::Text(TextMatch::from_pattern(text)),
                })
            }
        }
    }
}

/// The number grammar of filter patterns: optional sign, digits with optional
/// fraction, optional exponent. Stricter than `f64::from_str`, which would also
/// take "inf" and "NaN".
pub(super) fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_documented_grammar() {
        for (s, v) in [
            ("400", 400.0),
            ("+1000", 1000.0),
            ("-5", -5.0),
            ("55.5", 55.5),
            ("10e3", 10e3),
            ("10e-3", 10e-3),
            ("1e+3", 1e3),
            (".5", 0.5),
            ("5.", 5.0),
        ] {
            assert_eq!(parse_number(s), Some(v), "{s}");
        }
        for s in ["", "+", "e3", "1e", "1e+", "inf", "NaN", "1.2.3", "4*", "0x10", "1 "] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }

    #[test]
    fn quoted_strings_unescape_quote_and_backslash_only() {
        let mut c = Cursor::new(r#""*HTTP/1.1\" 5*\\x\d" rest"#);
        assert_eq!(c.quoted().unwrap(), r#"*HTTP/1.1" 5*\x\d"#);
        assert_eq!(c.rest(), " rest");
        let mut c = Cursor::new("\"open");
        assert_eq!(c.quoted().unwrap_err().position(), 0);
    }

    #[test]
    fn keywords_need_a_boundary() {
        let mut c = Cursor::new("NULLS");
        assert!(!c.eat_keyword("NULL"));
        let mut c = Cursor::new("null }");
        assert!(c.eat_keyword("NULL"));
    }
}
