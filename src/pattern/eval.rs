//! Comparison semantics shared by JSON and space-delimited conditions, and the
//! evaluation of JSON expressions over resolved selectors.
//!
//! Where the docs are silent, the choices below are:
//! - `=` / `!=` with an unquoted number compare numerically when the value
//!   reads as a number (JSON number, or a string/field like "400" or "4e2");
//!   otherwise `=` is false and `!=` true;
//! - `<` `<=` `>` `>=` are false unless the value reads as a number;
//! - a selector that reaches an object, an array, `null`, a boolean, or nothing
//!   makes every comparison false, `!=` included: "If a property selector points
//!   to an array or object, the filter pattern won't match", and "value nodes
//!   can be strings or numbers". Booleans and null are tested with `IS`.
//! - a wildcard selector (`$.*`, `$.a[*]`) is true when any selected value is.

use std::borrow::Cow;

use super::ast::{CmpOp, JsonExpr, JsonTest, Literal};
use super::lexer::parse_number;

/// A JSON value reached by a selector, borrowed from the event where possible.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node<'a> {
    Str(Cow<'a, str>),
    /// The number's text as written (or as serde_json prints it).
    Num(Cow<'a, str>),
    Bool(bool),
    Null,
    Object,
    Array,
}

/// `(selector index, node)` pairs produced by resolving a pattern's selectors.
pub(super) type Hits<'a> = Vec<(usize, Node<'a>)>;

/// Compares a value node's text (a space-delimited field, a JSON string or number).
pub(super) fn compare_text(op: CmpOp, lit: &Literal, text: &str) -> bool {
    match (op, lit) {
        (CmpOp::Eq, _) => equals(lit, text),
        (CmpOp::Ne, _) => !equals(lit, text),
        (_, Literal::Number(value)) => match parse_number(text) {
            Some(v) => match op {
                CmpOp::Lt => v < *value,
                CmpOp::Le => v <= *value,
                CmpOp::Gt => v > *value,
                CmpOp::Ge => v >= *value,
                CmpOp::Eq | CmpOp::Ne => unreachable!("handled above"),
            },
            None => false,
        },
        // The parser only builds relational comparisons with numbers.
        _ => false,
    }
}

fn equals(lit: &Literal, text: &str) -> bool {
    match lit {
        Literal::Text(t) => t.is_match(text),
        Literal::Number(value) => parse_number(text).is_some_and(|v| v == *value),
        Literal::Regex(re) => re.is_match(text),
    }
}

fn compare_node(op: CmpOp, lit: &Literal, node: &Node<'_>) -> bool {
    match node {
        Node::Str(s) | Node::Num(s) => compare_text(op, lit, s),
        Node::Bool(_) | Node::Null | Node::Object | Node::Array => false,
    }
}

fn test_nodes<'n, 'a: 'n>(test: &JsonTest, mut nodes: impl Iterator<Item = &'n Node<'a>>) -> bool {
    match test {
        JsonTest::NotExists => nodes.next().is_none(),
        JsonTest::IsNull => nodes.any(|n| *n == Node::Null),
        JsonTest::IsTrue => nodes.any(|n| *n == Node::Bool(true)),
        JsonTest::IsFalse => nodes.any(|n| *n == Node::Bool(false)),
        JsonTest::Cmp(op, lit) => nodes.any(|n| compare_node(*op, lit, n)),
    }
}

pub(super) fn eval_json(expr: &JsonExpr, hits: &Hits<'_>) -> bool {
    match expr {
        JsonExpr::Or(items) => items.iter().any(|e| eval_json(e, hits)),
        JsonExpr::And(items) => items.iter().all(|e| eval_json(e, hits)),
        JsonExpr::Test { sel, test } => test_nodes(test, hits.iter().filter(|(s, _)| s == sel).map(|(_, n)| n)),
        JsonExpr::OneOf { sel, values } => hits.iter().any(|(s, n)| {
            s == sel
                && match n {
                    Node::Str(t) | Node::Num(t) => values.binary_search_by(|v| v.as_str().cmp(t)).is_ok(),
                    _ => false,
                }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::TextMatch;
    use super::*;

    fn num(v: f64) -> Literal {
        Literal::Number(v)
    }

    #[test]
    fn numeric_and_textual_equality() {
        assert!(compare_text(CmpOp::Eq, &num(400.0), "400"));
        assert!(compare_text(CmpOp::Eq, &num(1000.0), "1e3"));
        assert!(!compare_text(CmpOp::Eq, &num(400.0), "abc"));
        assert!(compare_text(CmpOp::Ne, &num(400.0), "abc"));
        assert!(!compare_text(CmpOp::Gt, &num(1.0), "abc"));
        assert!(compare_text(CmpOp::Le, &num(55.5), "55.5"));
        let t = Literal::Text(TextMatch::from_pattern("123.123.*"));
        assert!(compare_text(CmpOp::Ne, &t, "111.111.111.111"));
    }

    #[test]
    fn non_value_nodes_fail_every_comparison() {
        for n in [Node::Object, Node::Array, Node::Null, Node::Bool(true)] {
            assert!(!compare_node(CmpOp::Eq, &num(1.0), &n));
            assert!(!compare_node(CmpOp::Ne, &num(1.0), &n));
        }
    }
}
