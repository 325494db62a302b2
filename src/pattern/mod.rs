//! The CloudWatch Logs filter pattern language, evaluated rather than compared
//! as text: [`parse`] a pattern and test it against an event with [`matches()`]
//! (or [`matches_parsed`], for an event already parsed as JSON). The language
//! only: what a pattern must catch is the rule's business (`crate::rule`).
//!
//! Pure: no I/O, no clock, no environment. Every pattern and message, of any
//! content, is handled without panicking and in time linear in its length:
//! regexes use the linear-time `regex` engine, JSON events are read in one
//! pass, nesting is bounded ([`MAX_NESTING`] in patterns, 127 in events).
//!
//! Semantics follow the AWS pages "Filter pattern syntax for metric filters,
//! subscription filters, filter log events, and Live Tail"
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html>),
//! its sections on unstructured, JSON and space-delimited events and on the
//! supported regex syntax, and the TestMetricFilter API reference. Where they are
//! silent, the choice made is written next to the code that makes it
//! (see `term`, `space`, `eval`, `json_scan`).

mod ast;
mod conditions;
mod error;
mod eval;
mod json_pattern;
mod json_scan;
mod lexer;
mod regex_subset;
mod space;
mod term;
mod test_filter;

#[cfg(test)]
mod doc_examples;
#[cfg(test)]
mod proptests;

use std::collections::BTreeMap;

pub use ast::{FilterPattern, PatternKind};
pub use conditions::{Condition, Excluded, FieldStep};
pub use error::{PatternError, PatternErrorKind};
pub use test_filter::test_metric_filter;

use ast::Body;
use lexer::Cursor;

/// Longest pattern the CloudWatch Logs API accepts (`filterPattern`, "Maximum length of 1024").
pub const MAX_PATTERN_LEN: usize = 1024;

/// "There is a limit of 2 regex for each filter pattern."
pub const MAX_REGEXES: usize = 2;

/// Deepest parenthesis nesting accepted in a JSON pattern. AWS documents no
/// limit; this one keeps recursion bounded and is far beyond any real pattern.
pub const MAX_NESTING: usize = 32;

/// The result of testing one event.
///
/// `extracted` holds the values a space-delimited pattern extracts, keyed as
/// TestMetricFilter names them: `"$name"` for a named field, `"$N"` (1-based
/// field number) for the others. It is empty for term and JSON patterns, and
/// whenever `matched` is false.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    /// The event matches the pattern.
    pub matched: bool,
    /// Extracted field values (space-delimited patterns only).
    pub extracted: BTreeMap<String, String>,
}

/// Parses a filter pattern, rejecting what CloudWatch Logs rejects.
///
/// The kind is chosen by the first non-blank character: `{` JSON, `[`
/// space-delimited, anything else terms. An empty or all-blank pattern matches
/// every event.
pub fn parse(pattern: &str) -> Result<FilterPattern, PatternError> {
    if pattern.chars().count() > MAX_PATTERN_LEN {
        let byte = pattern
            .char_indices()
            .nth(MAX_PATTERN_LEN)
            .map_or(pattern.len(), |(i, _)| i);
        return Err(PatternError::at(
            pattern,
            byte,
            PatternErrorKind::TooLong,
            format!("a filter pattern can be at most {MAX_PATTERN_LEN} characters long"),
        ));
    }
    let mut cur = Cursor::new(pattern);
    cur.skip_ws();
    let body = match cur.peek() {
        None => Body::All,
        Some('{') => Body::Json(json_pattern::parse(&mut cur)?),
        Some('[') => Body::Space(space::parse(&mut cur)?),
        Some(_) => Body::Terms(term::parse(&mut cur)?),
    };
    Ok(FilterPattern {
        source: pattern.to_owned(),
        body,
    })
}

/// Tests one log event message against a pattern, as CloudWatch Logs would.
pub fn matches(pattern: &FilterPattern, message: &str) -> Match {
    let mut extracted = BTreeMap::new();
    let matched = match &pattern.body {
        Body::All => true,
        Body::Terms(t) => term::matches(t, message),
        Body::Space(s) => space::matches(s, message, &mut extracted),
        Body::Json(j) => json_scan::resolve(message, &j.selectors).is_some_and(|hits| eval::eval_json(&j.expr, &hits)),
    };
    if !matched {
        extracted.clear();
    }
    Match { matched, extracted }
}

/// Reusable working space for [`matches_parsed`]: one buffer serves many events.
#[derive(Debug, Default)]
pub struct Scratch<'a> {
    hits: eval::Hits<'a>,
}

/// [`matches()`] for an event whose JSON is already parsed: `text` is the message and
/// `value` the same message parsed. The same answer (the fuzz target and `self_check`
/// hold the two paths to it), without reading the text again: for evaluating one
/// pattern over a fixed set of events.
pub fn matches_parsed<'a>(
    pattern: &FilterPattern,
    text: &str,
    value: &'a serde_json::Value,
    scratch: &mut Scratch<'a>,
) -> bool {
    match &pattern.body {
        Body::All => true,
        Body::Terms(t) => term::matches(t, text),
        Body::Space(s) => space::matches(s, text, &mut Default::default()),
        Body::Json(j) => {
            json_scan::resolve_value(value, &j.selectors, &mut scratch.hits) && eval::eval_json(&j.expr, &scratch.hits)
        }
    }
}

/// Checks internal invariants on one input and panics if they break: the
/// one-pass JSON reader used by [`matches()`] and the `serde_json::Value` path
/// used by [`coverage()`] must agree. For the fuzz target; not a stable API.
#[doc(hidden)]
pub fn self_check(pattern: &FilterPattern, message: &str) {
    let m = matches(pattern, message);
    let Body::Json(j) = &pattern.body else {
        return;
    };
    assert!(
        !m.matched || json_scan::is_valid_json(message),
        "a JSON pattern matched a non-JSON event"
    );
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(message) {
        // Compare on the re-serialized event: it has no duplicate keys and prints
        // numbers the way `Value` does, the two places the paths may legitimately differ.
        let canonical = v.to_string();
        let mut hits = Vec::new();
        let by_value = json_scan::resolve_value(&v, &j.selectors, &mut hits) && eval::eval_json(&j.expr, &hits);
        assert_eq!(
            matches(pattern, &canonical).matched,
            by_value,
            "scanner and Value disagree on {canonical:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(parse("").unwrap().kind(), PatternKind::MatchAll);
        assert_eq!(parse(" \n").unwrap().kind(), PatternKind::MatchAll);
        assert_eq!(parse("ERROR").unwrap().kind(), PatternKind::Terms);
        assert_eq!(parse(" [a]").unwrap().kind(), PatternKind::SpaceDelimited);
        assert_eq!(parse("{$.a=1}").unwrap().kind(), PatternKind::Json);
        let source = "{ ($.eventName = CreateBucket) ||\n ($.eventName = DeleteBucket) }";
        let p: FilterPattern = source.parse().unwrap();
        assert_eq!(p.to_string(), source);
        assert_eq!(p.source(), source);
    }

    #[test]
    fn length_limit_counts_characters() {
        let ok = "a".repeat(MAX_PATTERN_LEN);
        assert!(parse(&ok).is_ok());
        let e = parse(&format!("{ok}b")).unwrap_err();
        assert_eq!((e.position(), e.kind()), (1024, PatternErrorKind::TooLong));
        assert!(e.to_string().starts_with("invalid filter pattern at position 1024:"));
        assert!(parse(&"é".repeat(MAX_PATTERN_LEN)).is_ok());
    }

    #[test]
    fn json_patterns_never_match_non_json() {
        let p = parse("{ $.a NOT EXISTS }").unwrap();
        assert!(matches(&p, "{}").matched);
        assert!(!matches(&p, "not json").matched);
        assert!(!matches(&p, "{} trailing").matched);
        assert!(!matches(&p, "42").matched);
    }

    #[test]
    fn every_rejection_names_its_position() {
        let long = format!("{{ $.eventName = {} }}", "A".repeat(1100));
        for (pattern, position, kind) in [
            ("{ ($.eventName = CreateBucket }", 30, PatternErrorKind::Syntax),
            ("{ $.eventName = CreateBucket", 28, PatternErrorKind::Syntax),
            ("{ $.eventName = CreateBucket ) }", 29, PatternErrorKind::Syntax),
            ("[ip, user", 9, PatternErrorKind::Syntax),
            (
                "{ $.eventName =~ CreateBucket }",
                15,
                PatternErrorKind::InvalidCharacter,
            ),
            ("{ $.eventName <> 1 }", 15, PatternErrorKind::InvalidCharacter),
            ("{ $.eventName LIKE x }", 14, PatternErrorKind::Syntax),
            (
                "{ $.a = %a% || $.b = %b% || $.c = %c% }",
                34,
                PatternErrorKind::TooManyRegexes,
            ),
            ("%a(b)%", 2, PatternErrorKind::InvalidCharacter),
            ("{ $.a = %x!% }", 10, PatternErrorKind::InvalidCharacter),
            (long.as_str(), 1024, PatternErrorKind::TooLong),
        ] {
            let e = parse(pattern).unwrap_err();
            assert_eq!((e.position(), e.kind()), (position, kind), "{pattern}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("invalid filter pattern at position {position}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn error_display_names_the_position() {
        let e = parse("{ ($.eventName = CreateBucket }").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid filter pattern at position 30: expected ')' to close the '(' at position 2"
        );
    }
}
