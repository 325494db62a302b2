//! Term patterns for unstructured events: `ERROR`, `"exact phrase"`, `?optional`,
//! `-excluded`, `%regex%`.
//!
//! Semantics, from "Using filter patterns to match terms in unstructured log
//! events" (FilterAndPatternSyntax.html) and the older "Matching Terms in Log
//! Events" page:
//! - case-sensitive substring search: `ERROR` matches "Exiting with ERRORCODE: -1";
//! - all plain terms must occur (AND), no `-term` may occur;
//! - `?term`s are an OR, but "if you combine `?` with other filter patterns, all
//!   question mark terms will be ignored";
//! - unquoted terms are letters and digits (any script) and `_`; anything else must be quoted
//!   (AWS: "Invalid character(s) in term");
//! - `" "` matches everything; so does the empty pattern (handled in `parse`).

use super::ast::{Term, TermPattern};
use super::error::{PatternError, PatternErrorKind};
use super::lexer::Cursor;

enum Role {
    Required,
    Excluded,
    Optional,
}

pub(super) fn parse(cur: &mut Cursor<'_>) -> Result<TermPattern, PatternError> {
    let mut out = TermPattern::default();
    loop {
        cur.skip_ws();
        if cur.at_end() {
            return Ok(out);
        }
        let role = if cur.eat('?') {
            Role::Optional
        } else if cur.eat('-') {
            Role::Excluded
        } else {
            Role::Required
        };
        // The older docs write `"ERROR" - "Exiting"`: a detached prefix applies to the next term.
        if !matches!(role, Role::Required) {
            cur.skip_ws();
            if cur.at_end() {
                return Err(cur.syntax("expected a term after '?' or '-'"));
            }
        }
        let term = match cur.peek() {
            Some('"') => {
                let text = cur.quoted()?;
                if text.trim().is_empty() {
                    Term::Always
                } else {
                    Term::Text(text)
                }
            }
            Some('%') => Term::Regex(cur.regex()?),
            _ => bare(cur)?,
        };
        match role {
            Role::Required => out.required.push(term),
            Role::Excluded => out.excluded.push(term),
            Role::Optional => out.optional.push(term),
        }
    }
}

fn bare(cur: &mut Cursor<'_>) -> Result<Term, PatternError> {
    let start = cur.pos();
    while let Some(c) = cur.peek() {
        if c.is_whitespace() {
            break;
        }
        if !(c.is_alphanumeric() || c == '_') {
            return Err(cur.error_at(
                cur.pos(),
                PatternErrorKind::InvalidCharacter,
                format!(
                    "invalid character '{}' in term; terms with characters other than letters, digits and '_' must be enclosed in double quotes",
                    c.escape_default()
                ),
            ));
        }
        cur.bump();
    }
    Ok(Term::Text(cur.slice(start, cur.pos()).to_owned()))
}

fn term_matches(term: &Term, message: &str) -> bool {
    match term {
        Term::Text(t) => message.contains(t.as_str()),
        Term::Always => true,
        Term::Regex(re) => re.is_match(message),
    }
}

pub(super) fn matches(p: &TermPattern, message: &str) -> bool {
    if !p.required.is_empty() || !p.excluded.is_empty() {
        p.required.iter().all(|t| term_matches(t, message)) && !p.excluded.iter().any(|t| term_matches(t, message))
    } else if !p.optional.is_empty() {
        p.optional.iter().any(|t| term_matches(t, message))
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::{matches, parse, PatternErrorKind, PatternKind};

    fn m(p: &str, msg: &str) -> bool {
        matches(&parse(p).unwrap_or_else(|e| panic!("{p}: {e}")), msg).matched
    }

    #[test]
    fn case_sensitive_substrings() {
        assert!(m("ERROR", "[ERROR] x"));
        assert!(m("ERROR", "Exiting with ERRORCODE: -1"));
        assert!(!m("ERROR", "error"));
        assert!(m("CreateBucket", "CreateBucketPolicy"));
    }

    #[test]
    fn quoted_phrases_and_unicode() {
        assert!(m("\"a b\"", "xa by"));
        assert!(!m("\"a b\"", "a  b"));
        assert!(m("\"[ERROR]\"", "02 May [ERROR] x"));
        assert!(m("héllo", "say héllo"));
    }

    #[test]
    fn optional_only_counts_alone() {
        assert!(m("?A ?B", "xB"));
        assert!(!m("?A ?B", "x"));
        assert!(m("?A ?B C", "C only"));
        assert!(!m("?A ?B C", "A B"));
        assert!(m("?A -B", "zzz"));
        assert!(!m("?A -B", "A B"));
    }

    #[test]
    fn exclusions_and_detached_prefix() {
        assert!(m("-B", "A"));
        assert!(!m("-B", "AB"));
        assert!(!m("\"ERROR\" - \"Exiting\"", "Exiting with ERRORCODE: -1"));
        assert!(m("\"ERROR\" - \"Exiting\"", "[ERROR] A fatal exception has occurred"));
    }

    #[test]
    fn whitespace_phrases_match_all() {
        assert!(m("\" \"", "nospace"));
        assert!(m("\"\"", ""));
        assert_eq!(parse("   ").unwrap().kind(), PatternKind::MatchAll);
    }

    #[test]
    fn errors_name_positions() {
        let e = parse("ERROR foo.bar").unwrap_err();
        assert_eq!((e.position(), e.kind()), (9, PatternErrorKind::InvalidCharacter));
        let e = parse("ERROR \"open").unwrap_err();
        assert_eq!((e.position(), e.kind()), (6, PatternErrorKind::Syntax));
        let e = parse("ERROR -").unwrap_err();
        assert_eq!(e.position(), 7);
        let e = parse("%a% %b% %c%").unwrap_err();
        assert_eq!((e.position(), e.kind()), (8, PatternErrorKind::TooManyRegexes));
    }
}
