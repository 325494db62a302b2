//! The parsed form of a filter pattern. Built once by [`super::parse`]; every
//! regex is already compiled, so evaluation never allocates a pattern.

use std::fmt;
use std::str::FromStr;

use regex::Regex;

use super::error::PatternError;

/// A parsed, validated CloudWatch Logs filter pattern.
///
/// Obtain one with [`super::parse`] (or `str::parse`); evaluate it with
/// [`super::matches()`] and [`super::coverage()`]. `Display` gives back the source text.
#[derive(Debug, Clone)]
pub struct FilterPattern {
    pub(super) source: String,
    pub(super) body: Body,
}

/// Which of the three pattern languages a [`FilterPattern`] is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternKind {
    /// The empty pattern, or one made only of whitespace: every event matches.
    MatchAll,
    /// Terms, quoted phrases, `?term`, `-term`, `%regex%`.
    Terms,
    /// `[field, field, ...]` over space-delimited events.
    SpaceDelimited,
    /// `{ selector op value ... }` over JSON events.
    Json,
}

impl FilterPattern {
    /// The pattern text exactly as given to [`super::parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Which pattern language this is.
    pub fn kind(&self) -> PatternKind {
        match self.body {
            Body::All => PatternKind::MatchAll,
            Body::Terms(_) => PatternKind::Terms,
            Body::Space(_) => PatternKind::SpaceDelimited,
            Body::Json(_) => PatternKind::Json,
        }
    }
}

impl fmt::Display for FilterPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for FilterPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::parse(s)
    }
}

#[derive(Debug, Clone)]
pub(super) enum Body {
    All,
    Terms(TermPattern),
    Space(SpacePattern),
    Json(JsonPattern),
}

// ---------------------------------------------------------------- values

/// Comparison operators shared by JSON and space-delimited conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Right-hand side of a comparison.
#[derive(Debug, Clone)]
pub(super) enum Literal {
    /// A quoted string, or an unquoted value that is not a number; may carry `*` wildcards.
    Text(TextMatch),
    /// An unquoted number.
    Number(f64),
    /// `%regex%`, searched (not anchored) in the value.
    Regex(Regex),
}

/// A string with the documented `*` wildcard: a leading `*` matches any text
/// before, a trailing `*` any text after. An interior `*` is a literal
/// asterisk: the docs say `Ev*ent` "will only match the actual string Ev*ent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextMatch {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl TextMatch {
    pub(super) fn from_pattern(s: &str) -> Self {
        if s == "*" {
            return Self::Any;
        }
        match (s.strip_prefix('*'), s.strip_suffix('*')) {
            (Some(_), Some(_)) => Self::Contains(s[1..s.len() - 1].to_owned()),
            (Some(tail), None) => Self::Suffix(tail.to_owned()),
            (None, Some(head)) => Self::Prefix(head.to_owned()),
            (None, None) => Self::Exact(s.to_owned()),
        }
    }

    pub(super) fn is_match(&self, value: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(s) => value == s,
            Self::Prefix(s) => value.starts_with(s.as_str()),
            Self::Suffix(s) => value.ends_with(s.as_str()),
            Self::Contains(s) => value.contains(s.as_str()),
        }
    }
}

// ---------------------------------------------------------------- terms

#[derive(Debug, Clone)]
pub(super) enum Term {
    /// Case-sensitive substring.
    Text(String),
    /// A quoted phrase of only whitespace (`" "`), documented to match everything.
    Always,
    Regex(Regex),
}

#[derive(Debug, Clone, Default)]
pub(super) struct TermPattern {
    pub(super) required: Vec<Term>,
    pub(super) excluded: Vec<Term>,
    /// `?term`s: used only when there is no required or excluded term (docs).
    pub(super) optional: Vec<Term>,
}

// ---------------------------------------------------------------- space-delimited

#[derive(Debug, Clone)]
pub(super) enum SpaceExpr {
    Or(Vec<SpaceExpr>),
    And(Vec<SpaceExpr>),
    Cmp(CmpOp, Literal),
}

#[derive(Debug, Clone)]
pub(super) enum Field {
    /// `...`: any number of fields, extracted as `$N`.
    Ellipsis,
    /// An empty slot (`[a,,b]`, trailing comma): one field, extracted as `$N`.
    Unnamed,
    /// A named field, extracted as `$name`, with an optional condition on itself.
    Named { name: String, cond: Option<SpaceExpr> },
}

#[derive(Debug, Clone)]
pub(super) struct SpacePattern {
    pub(super) fields: Vec<Field>,
}

// ---------------------------------------------------------------- JSON

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
    /// `.*` or `[*]`: any member of an object or element of an array.
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Selector {
    pub(super) segs: Vec<Seg>,
}

#[derive(Debug, Clone)]
pub(super) enum JsonTest {
    Cmp(CmpOp, Literal),
    IsNull,
    IsTrue,
    IsFalse,
    NotExists,
}

#[derive(Debug, Clone)]
pub(super) enum JsonExpr {
    Or(Vec<JsonExpr>),
    And(Vec<JsonExpr>),
    /// `sel` indexes [`JsonPattern::selectors`]; identical selectors share one
    /// index so each is resolved once per event.
    Test {
        sel: usize,
        test: JsonTest,
    },
    /// Several `sel = "exact"` tests of one `||`, merged: true when a value of
    /// `sel` is one of `values` (sorted). Same meaning, one lookup instead of
    /// one comparison per event name.
    OneOf {
        sel: usize,
        values: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub(super) struct JsonPattern {
    pub(super) selectors: Vec<Selector>,
    pub(super) expr: JsonExpr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_only_at_the_ends() {
        assert!(TextMatch::from_pattern("*Event").is_match("PutEvent"));
        assert!(TextMatch::from_pattern("Event*").is_match("EventId"));
        assert!(!TextMatch::from_pattern("Ev*ent").is_match("Event"));
        assert!(TextMatch::from_pattern("Ev*ent").is_match("Ev*ent"));
        assert!(TextMatch::from_pattern("*html*").is_match("GET /index.html HTTP/1.0"));
        assert!(TextMatch::from_pattern("*").is_match(""));
        assert!(TextMatch::from_pattern("**").is_match("x"));
        assert!(!TextMatch::from_pattern("4*").is_match("504"));
    }
}
