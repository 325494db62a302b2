//! The regex dialect of filter patterns (page "Supported regular expressions
//! (regex) syntax", <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#regex-expressions>):
//! only alphanumerics, the symbols `: _ # = @ / ; , -`, space, and the
//! operators `^ $ ? [ ] { } | \ * + .`; no `(` `)` (AWS answers "Invalid
//! character(s) in term", even when escaped); no multi-byte characters;
//! `\d \D \s \S \w \W \xhh` with the documented ASCII meanings.
//!
//! The body is checked character by character, rewritten into `regex` crate
//! syntax (the classes spelled out in ASCII, `{,n}` as `{0,n}`), then compiled
//! with size limits. The `regex` crate guarantees linear-time matching.

use regex::{Regex, RegexBuilder};

use super::error::PatternErrorKind;

/// (byte offset within the regex body, kind, message)
pub(super) type RegexError = (usize, PatternErrorKind, String);

const SYMBOLS: &str = ":_#=@/;,- ";
const OPERATORS: &str = "^$?[]{}|\\*+.";

// Java's `\s` (tab, newline, vertical tab, form feed, carriage return, space).
const SPACE_CLASS: &str = r"\t\n\x0B\x0C\r ";

pub(super) fn compile(body: &str) -> Result<Regex, RegexError> {
    if body.is_empty() {
        return Err((0, PatternErrorKind::InvalidRegex, "empty regex".into()));
    }
    let translated = translate(body)?;
    RegexBuilder::new(&translated)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| {
            // The crate's message spans several lines (it draws the pattern); keep the gist.
            let detail = match &e {
                regex::Error::Syntax(s) => s
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or("syntax error")
                    .trim_start_matches("error: ")
                    .to_owned(),
                regex::Error::CompiledTooBig(_) => "regex too large".to_owned(),
                _ => e.to_string(),
            };
            (0, PatternErrorKind::InvalidRegex, format!("invalid regex: {detail}"))
        })
}

fn translate(body: &str) -> Result<String, RegexError> {
    let mut out = String::with_capacity(body.len() + 8);
    let mut in_class = false;
    let mut brace_start: Option<usize> = None;
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_ascii() {
            return Err((
                i,
                PatternErrorKind::InvalidRegex,
                "multi-byte characters are not supported in a regex".into(),
            ));
        }
        if c == '(' || c == ')' {
            return Err((
                i,
                PatternErrorKind::InvalidCharacter,
                format!("invalid character '{c}' in regex: parentheses are not supported (use \\x28 / \\x29)"),
            ));
        }
        if brace_start.is_some() {
            // Inside {m,n}: digits and commas only; spaces (as in the docs' "{m, n}") dropped.
            match c {
                '0'..='9' | ',' => {
                    if c == ',' && out.ends_with('{') {
                        out.push('0');
                    }
                    out.push(c);
                }
                ' ' => {}
                '}' => {
                    brace_start = None;
                    out.push('}');
                }
                _ => {
                    return Err((
                        i,
                        PatternErrorKind::InvalidRegex,
                        format!("unexpected '{c}' in a {{m,n}} repetition"),
                    ))
                }
            }
            continue;
        }
        match c {
            '\\' => {
                let Some((j, e)) = chars.next() else {
                    return Err((i, PatternErrorKind::InvalidRegex, "regex ends with '\\'".into()));
                };
                match e {
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str(if in_class { "a-zA-Z_0-9" } else { "[a-zA-Z_0-9]" }),
                    'W' => out.push_str("[^a-zA-Z_0-9]"),
                    's' => {
                        if in_class {
                            out.push_str(SPACE_CLASS);
                        } else {
                            out.push('[');
                            out.push_str(SPACE_CLASS);
                            out.push(']');
                        }
                    }
                    'S' => {
                        out.push_str("[^");
                        out.push_str(SPACE_CLASS);
                        out.push(']');
                    }
                    't' => out.push_str(r"\t"),
                    'n' => out.push_str(r"\n"),
                    'r' => out.push_str(r"\r"),
                    'x' => {
                        let hex: String = body.get(j + 1..j + 3).unwrap_or("").to_owned();
                        if hex.len() != 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err((
                                i,
                                PatternErrorKind::InvalidRegex,
                                "\\x must be followed by two hexadecimal digits".into(),
                            ));
                        }
                        chars.next();
                        chars.next();
                        out.push_str(r"\x");
                        out.push_str(&hex);
                    }
                    '(' | ')' => {
                        return Err((
                            i,
                            PatternErrorKind::InvalidCharacter,
                            format!("invalid character '{e}' in regex: parentheses are not supported, even escaped (use \\x28 / \\x29)"),
                        ))
                    }
                    _ if OPERATORS.contains(e) || (SYMBOLS.contains(e) && e != ' ') => {
                        // An escaped operator or symbol is that literal character.
                        out.push_str(&regex::escape(&e.to_string()));
                    }
                    _ => {
                        return Err((
                            i,
                            PatternErrorKind::InvalidRegex,
                            format!("unsupported escape '\\{e}' in regex"),
                        ))
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading ']' (after an optional '^') is a literal in most dialects.
                if chars.peek().map(|&(_, n)| n) == Some('^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek().map(|&(_, n)| n) == Some(']') {
                    chars.next();
                    out.push_str(r"\]");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' if !in_class => {
                brace_start = Some(i);
                out.push('{');
            }
            _ if c.is_ascii_alphanumeric() || SYMBOLS.contains(c) => {
                // '#' and space mean nothing special outside verbose mode. Inside a class
                // '-' keeps its range meaning, but "--" would be the regex crate's class
                // difference operator, so a second '-' is escaped.
                if in_class && c == '-' && out.ends_with('-') {
                    out.push('\\');
                }
                out.push(c);
            }
            _ if OPERATORS.contains(c) => {
                if (in_class && c == '[') || (!in_class && (c == ']' || c == '}')) {
                    // Literals here in AWS's dialect; the regex crate would read a nested
                    // class or reject an unbalanced bracket.
                    out.push('\\');
                    out.push(c);
                } else {
                    out.push(c);
                }
            }
            _ => {
                return Err((
                    i,
                    PatternErrorKind::InvalidCharacter,
                    format!("invalid character '{}' in regex", c.escape_default()),
                ))
            }
        }
    }
    if let Some(start) = brace_start {
        return Err((
            start,
            PatternErrorKind::InvalidRegex,
            "unterminated '{' repetition".into(),
        ));
    }
    if in_class {
        return Err((
            0,
            PatternErrorKind::InvalidRegex,
            "unterminated character class '['".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, s: &str) -> bool {
        compile(re).unwrap_or_else(|e| panic!("{re}: {e:?}")).is_match(s)
    }

    // Every example of the regex section of "Filter pattern syntax for metric filters,
    // subscription filters, filter log events, and Live Tail"
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html)
    // and of https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html.
    #[test]
    fn documented_operator_examples() {
        assert!(m("^[hc]at", "hat trick") && m("^[hc]at", "cat") && !m("^[hc]at", "that"));
        assert!(m("[hc]at$", "a cat") && !m("[hc]at$", "cats"));
        assert!(m("colou?r", "color") && m("colou?r", "colour"));
        assert!(m("[abc]", "b") && !m("[abc]", "d"));
        assert!(m("[a-z]", "q") && !m("[a-z]", "Q"));
        for s in ["a", "b", "c", "x", "y", "z"] {
            assert!(m("[abcx-z]", s));
        }
        assert!(!m("[abcx-z]", "d"));
        assert!(m("a{3,5}", "aaa") && m("a{3,5}", "aaaaa") && !m("a{3,5}", "aa"));
        // "{m, n}" as the docs write it, and either bound omitted.
        assert!(m("a{3, 5}", "aaaa") && m("a{,2}b", "b") && m("a{2,}", "aa"));
        assert!(m("gra|ey", "gray") && m("gra|ey", "grey"));
        let re = "^starting|^initializing|^shutting down";
        assert!(m(re, "starting ...") && m(re, "initializing ...") && m(re, "shutting down"));
        assert!(!m(re, "skipping initializing ..."));
        assert!(m("abcc|ab[^c]$", "abcc ...") && m("abcc|ab[^c]$", "aba") && !m("abcc|ab[^c]$", "aac ..."));
        for s in ["[a]", "[b]", "[7]", "[@]", "[]]", "[ ]"] {
            assert!(m(r"\[.\]", s), "{s}");
        }
        assert!(m(r"10\.10\.0\.1", "10.10.0.1") && !m(r"10\.10\.0\.1", "10010,051"));
        assert!(m("10.10.0.1", "10010,051"));
        assert!(m("ab*c", "ac") && m("ab*c", "abc") && m("ab*c", "abbbc"));
        assert!(m("ab[0-9]*", "ab") && m("ab[0-9]*", "ab129"));
        assert!(m("ab+c", "abbc") && !m("ab+c", "ac"));
        for s in ["hat", "cat", "bat", "4at", "#at", " at"] {
            assert!(m(".at", s));
        }
        assert!(m(r"\d", "a1") && !m(r"\d", "ab") && m(r"\D", "1a") && !m(r"\D", "12"));
        assert!(m(r"\s", "a\tb") && m(r"\s", "a\nb") && m(r"\S", " x ") && !m(r"\S", " \t"));
        assert!(m(r"\w", "_") && !m(r"\w", "é-") && m(r"\W", "a-b") && !m(r"\W", "a_9"));
        assert!(m(r"\x3A", ":") && m(r"\x28", "(") && !m(r"\x28", ")"));
        let ip = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}";
        assert!(m(ip, "from 10.0.12.255 ok") && !m(ip, "10.0.12"));
        assert!(m("[Ee]rror|[Ff]ail", "error") && m("[Ee]rror|[Ff]ail", "Fail") && !m("[Ee]rror|[Ff]ail", "ERROR"));
        assert!(m("AUTHORIZED", "[ERROR 401] UNAUTHORIZED REQUEST"));
    }

    #[test]
    fn classes_with_escapes() {
        assert!(m(r"[\d]", "7") && m(r"[a\W]", "-") && !m(r"[a\W]", "b"));
        assert!(m(r"[\s]", " ") && m(r"[x\S]", "y"));
        assert!(m(r"[\[]", "[") && m(r"[^\]]", "a"));
    }

    #[test]
    fn rejects_what_aws_rejects() {
        let err = |re: &str| compile(re).unwrap_err();
        // "%something!% would be rejected since '!' is not supported"
        let (off, kind, _) = err("something!");
        assert_eq!((off, kind), (9, PatternErrorKind::InvalidCharacter));
        assert_eq!(err("a(b)").1, PatternErrorKind::InvalidCharacter);
        assert_eq!(err(r"a\(b").1, PatternErrorKind::InvalidCharacter);
        assert_eq!(err("é").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err("").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err(r"\q").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err(r"\x4").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err("a{2").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err("[ab").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err("a{x}").1, PatternErrorKind::InvalidRegex);
        assert_eq!(err("*a").1, PatternErrorKind::InvalidRegex);
        for c in ['"', '\'', '<', '>', '&', '~', '`', '!', '\t'] {
            assert_eq!(err(&format!("a{c}")).1, PatternErrorKind::InvalidCharacter, "{c:?}");
        }
    }
}
