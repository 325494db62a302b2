//! Space-delimited patterns: `[ip, user, ..., status_code = 4*, bytes > 1000]`.
//!
//! Sources: "Using filter patterns to match terms in space-delimited log events"
//! (FilterAndPatternSyntax.html) and the TestMetricFilter API examples
//! (<https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TestMetricFilter.html>).
//!
//! - The event is split at spaces and tabs; text between `[` `]` or between
//!   `"` `"` is one field, extracted without the brackets or quotes.
//! - `...` stands for any number of fields; an empty slot (`[a,,b]`, or the
//!   trailing comma of `[..., status_code=4*,]`) for exactly one.
//! - Extracted values are keyed `$name` for named fields and `$N` (1-based
//!   field number) for every other field, as in the API examples.
//! - `[]` matches every event and extracts all fields (API example "without
//!   specifying any fields").
//! - Without `...`, an event with *more* fields than the pattern still matches:
//!   the last pattern field takes the rest of the line. The current docs rely on
//!   this (`[w1=ERROR, w2]` "returns log events where the first word is ERROR",
//!   and "you must include a blank w2 indicator after the w1 term"). Fewer
//!   fields never match. With `...`, fields align one to one.
//! - A field's condition tests that field only (`status_code = 404 || status_code = 410`).

use std::collections::BTreeMap;

use super::ast::{CmpOp, Field, Literal, SpaceExpr, SpacePattern};
use super::error::{PatternError, PatternErrorKind};
use super::eval::compare_text;
use super::lexer::Cursor;

fn value_stop(c: char) -> bool {
    c == ',' || c == ']'
}

pub(super) fn parse(cur: &mut Cursor<'_>) -> Result<SpacePattern, PatternError> {
    if !cur.eat('[') {
        return Err(cur.syntax("expected '['"));
    }
    let mut fields = Vec::new();
    cur.skip_ws();
    if !cur.eat(']') {
        loop {
            fields.push(field(cur)?);
            cur.skip_ws();
            if cur.eat(',') {
                continue;
            }
            if cur.eat(']') {
                break;
            }
            return Err(if cur.at_end() {
                cur.syntax("expected ']' to close the space-delimited pattern")
            } else {
                cur.syntax(format!("expected ',' or ']' but found '{}'", cur.peek().unwrap_or(' ')))
            });
        }
    }
    cur.skip_ws();
    if !cur.at_end() {
        return Err(cur.syntax("unexpected text after ']'"));
    }
    Ok(SpacePattern { fields })
}

fn ident(cur: &mut Cursor<'_>) -> Option<String> {
    let start = cur.pos();
    while cur.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
        cur.bump();
    }
    (cur.pos() > start).then(|| cur.slice(start, cur.pos()).to_owned())
}

fn field(cur: &mut Cursor<'_>) -> Result<Field, PatternError> {
    cur.skip_ws();
    if cur.eat_str("...") {
        return Ok(Field::Ellipsis);
    }
    if matches!(cur.peek(), Some(',' | ']')) {
        return Ok(Field::Unnamed);
    }
    let Some(name) = ident(cur) else {
        return Err(cur.syntax("expected a field name, '...' or ','"));
    };
    cur.skip_ws();
    if matches!(cur.peek(), Some(',' | ']')) || cur.at_end() {
        return Ok(Field::Named { name, cond: None });
    }
    // Re-read the name as the first operand of the condition.
    let cond = CondParser { name: &name }.or(cur)?;
    Ok(Field::Named { name, cond: Some(cond) })
}

/// Conditions are flat (no parentheses in this grammar), so no recursion guard is needed.
struct CondParser<'n> {
    name: &'n str,
}

impl CondParser<'_> {
    /// The field name has already been read for the first comparison.
    fn or(&self, cur: &mut Cursor<'_>) -> Result<SpaceExpr, PatternError> {
        let mut items = vec![self.and(cur, true)?];
        loop {
            cur.skip_ws();
            if !cur.eat_str("||") {
                break;
            }
            items.push(self.and(cur, false)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            SpaceExpr::Or(items)
        })
    }

    fn and(&self, cur: &mut Cursor<'_>, name_read: bool) -> Result<SpaceExpr, PatternError> {
        let mut items = vec![self.cmp(cur, name_read)?];
        loop {
            cur.skip_ws();
            if !cur.eat_str("&&") {
                break;
            }
            items.push(self.cmp(cur, false)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            SpaceExpr::And(items)
        })
    }

    fn cmp(&self, cur: &mut Cursor<'_>, name_read: bool) -> Result<SpaceExpr, PatternError> {
        if !name_read {
            cur.skip_ws();
            let at = cur.pos();
            let Some(other) = ident(cur) else {
                return Err(cur.syntax("expected a field name"));
            };
            if other != self.name {
                return Err(cur.error_at(
                    at,
                    PatternErrorKind::Syntax,
                    format!(
                        "the condition of field '{}' can only test '{}', not '{other}'",
                        self.name, self.name
                    ),
                ));
            }
        }
        cur.skip_ws();
        let op = if cur.eat_str("!=") {
            CmpOp::Ne
        } else if cur.eat_str("<=") {
            CmpOp::Le
        } else if cur.eat_str(">=") {
            CmpOp::Ge
        } else if cur.eat('=') {
            CmpOp::Eq
        } else if cur.eat('<') {
            CmpOp::Lt
        } else if cur.eat('>') {
            CmpOp::Gt
        } else {
            return Err(cur.syntax(match cur.peek() {
                Some(c) => format!("unknown operator '{c}'; expected =, !=, <, <=, >, >="),
                None => "expected an operator (=, !=, <, <=, >, >=)".to_owned(),
            }));
        };
        cur.skip_ws();
        let lit_at = cur.pos();
        let lit = cur.literal(value_stop)?;
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !matches!(lit, Literal::Number(_)) {
            return Err(cur.error_at(lit_at, PatternErrorKind::Syntax, "<, <=, >, >= need a number"));
        }
        Ok(SpaceExpr::Cmp(op, lit))
    }
}

/// Splits an event into fields: `(value, start, end)` where value drops the
/// enclosing brackets/quotes and `start..end` is the raw span in the message.
pub(super) fn tokenize(message: &str) -> Vec<(&str, usize, usize)> {
    let b = message.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        let close = match b[i] {
            b'"' => Some(b'"'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            if let Some(len) = b[i + 1..].iter().position(|&c| c == close) {
                let end = i + 1 + len + 1;
                out.push((&message[i + 1..end - 1], i, end));
                i = end;
                continue;
            }
        }
        let start = i;
        while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
            i += 1;
        }
        out.push((&message[start..i], start, i));
    }
    out
}

fn eval(expr: &SpaceExpr, value: &str) -> bool {
    match expr {
        SpaceExpr::Or(items) => items.iter().any(|e| eval(e, value)),
        SpaceExpr::And(items) => items.iter().all(|e| eval(e, value)),
        SpaceExpr::Cmp(op, lit) => compare_text(*op, lit, value),
    }
}

fn field_ok(field: &Field, value: &str) -> bool {
    match field {
        Field::Named { cond: Some(c), .. } => eval(c, value),
        _ => true,
    }
}

/// Matches and, on success, fills `extracted`.
pub(super) fn matches(p: &SpacePattern, message: &str, extracted: &mut BTreeMap<String, String>) -> bool {
    let tokens = tokenize(message);
    let fields = &p.fields;
    // Position in `tokens` where each pattern field starts (ellipses: first token they cover).
    let Some(starts) = align(fields, &tokens, message) else {
        return false;
    };
    let n = tokens.len();
    let mut owner: Vec<Option<&str>> = vec![None; n];
    for (k, f) in fields.iter().enumerate() {
        if let Field::Named { name, .. } = f {
            if let Some(slot) = owner.get_mut(starts[k]) {
                *slot = Some(name);
            }
        }
    }
    let last_absorbs = !fields.iter().any(|f| matches!(f, Field::Ellipsis)) && !fields.is_empty();
    for (i, (value, start, _)) in tokens.iter().enumerate() {
        if last_absorbs && i >= fields.len() {
            break;
        }
        let value = if last_absorbs && i + 1 == fields.len() && n > fields.len() {
            message[*start..].trim_end_matches([' ', '\t'])
        } else {
            value
        };
        let key = match owner[i] {
            Some(name) => format!("${name}"),
            None => format!("${}", i + 1),
        };
        extracted.insert(key, value.to_owned());
    }
    true
}

/// Finds where each pattern field sits among the tokens, or `None`.
fn align(fields: &[Field], tokens: &[(&str, usize, usize)], message: &str) -> Option<Vec<usize>> {
    let n = tokens.len();
    if fields.is_empty() {
        // `[]`: every event, every field extracted.
        return Some(Vec::new());
    }
    if !fields.iter().any(|f| matches!(f, Field::Ellipsis)) {
        if n < fields.len() {
            return None;
        }
        let last = fields.len() - 1;
        for (k, f) in fields.iter().enumerate() {
            let value = if k == last && n > fields.len() {
                message[tokens[k].1..].trim_end_matches([' ', '\t'])
            } else {
                tokens[k].0
            };
            if !field_ok(f, value) {
                return None;
            }
        }
        return Some((0..fields.len()).collect());
    }
    // Segments of concrete fields between ellipses. The first is anchored at the
    // start, the last at the end; middle ones are placed at their leftmost fit,
    // which finds a match whenever one exists (as in glob matching) in O(fields × tokens).
    let segments: Vec<&[Field]> = fields.split(|f| matches!(f, Field::Ellipsis)).collect();
    let first = segments[0];
    let last = segments[segments.len() - 1];
    if first.len() + last.len() > n {
        return None;
    }
    let fits = |seg: &[Field], at: usize| seg.iter().enumerate().all(|(k, f)| field_ok(f, tokens[at + k].0));
    if !fits(first, 0) || !fits(last, n - last.len()) {
        return None;
    }
    let mut starts = Vec::with_capacity(fields.len());
    starts.extend(0..first.len());
    let mut cursor = first.len();
    let limit = n - last.len();
    for seg in &segments[1..segments.len() - 1] {
        starts.push(cursor); // the ellipsis before this segment
        let mut at = cursor;
        loop {
            if at + seg.len() > limit {
                return None;
            }
            if fits(seg, at) {
                break;
            }
            at += 1;
        }
        starts.extend(at..at + seg.len());
        cursor = at + seg.len();
    }
    starts.push(cursor); // the ellipsis before the last segment
    starts.extend(limit..n);
    Some(starts)
}

#[cfg(test)]
mod tests {
    use super::super::{matches, parse};
    use super::tokenize;

    fn ex(p: &str, msg: &str) -> Option<Vec<(String, String)>> {
        let m = matches(&parse(p).unwrap_or_else(|e| panic!("{p}: {e}")), msg);
        m.matched.then(|| m.extracted.into_iter().collect())
    }

    #[test]
    fn tokenizer_groups_brackets_and_quotes() {
        let t: Vec<&str> = tokenize(r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET / HTTP/1.0"  200	1534"#)
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            t,
            [
                "127.0.0.1",
                "-",
                "frank",
                "10/Oct/2000:13:25:15 -0700",
                "GET / HTTP/1.0",
                "200",
                "1534"
            ]
        );
        let t: Vec<&str> = tokenize("a [open b\"").into_iter().map(|t| t.0).collect();
        assert_eq!(t, ["a", "[open", "b\""]);
        assert!(tokenize("").is_empty());
    }

    #[test]
    fn multiple_ellipses_align_leftmost() {
        let got = ex("[..., x = b, ..., z]", "a b c b d").unwrap();
        assert!(got.contains(&("$x".into(), "b".into())));
        assert!(got.contains(&("$z".into(), "d".into())));
        assert!(got.contains(&("$3".into(), "c".into())));
        assert!(ex("[..., x = q, ...]", "a b c").is_none());
        assert!(ex("[a, ..., b, c]", "x y").is_none());
        assert!(ex("[...]", "").is_some());
    }

    #[test]
    fn fewer_fields_never_match_and_last_field_takes_the_rest() {
        assert!(ex("[a, b, c]", "x y").is_none());
        let got = ex("[a, b]", "x y  z ").unwrap();
        assert_eq!(got, [("$a".into(), "x".into()), ("$b".into(), "y  z".into())]);
        assert!(ex("[a, b = y]", "x y z").is_none());
        assert!(ex("[a, b = y*]", "x y z").is_some());
    }

    #[test]
    fn numbers_compare_numerically() {
        assert!(ex("[a, b > 1000]", "x 1534").is_some());
        assert!(ex("[a, b > 1000]", "x 999").is_none());
        assert!(ex("[a, b > 1000]", "x abc").is_none());
        assert!(ex("[a, b = 200]", "x 200.0").is_some());
        assert!(ex("[a, b != 403]", "x 404").is_some());
        assert!(ex("[a, b = \"x y\"]", "1 \"x y\"").is_some());
    }

    #[test]
    fn errors() {
        for (p, pos) in [
            ("[a, b", 5),
            ("[a b]", 3),
            ("[a = ]", 5),
            ("[a > x]", 5),
            ("[a ~ 1]", 3),
            ("[a = 1 && b = 2]", 10),
            ("[a] x", 4),
            ("[=1]", 1),
        ] {
            let e = parse(p).unwrap_err();
            assert_eq!(e.position(), pos, "{p}: {e}");
        }
    }
}
