//! JSON patterns: `{ ($.a.b[0] = "x" || $.c > 10) && $.d NOT EXISTS }`.
//!
//! Grammar, from "Using filter patterns to match terms in JSON log events"
//! (FilterAndPatternSyntax.html): selectors start with `$.`, name properties of
//! alphanumerics, `-` and `_`, index arrays with `[N]`, select a key holding a
//! period with `['cluster.name']`, and may use one wildcard (`.*` / `[*]`), at
//! most three wildcard selectors per pattern. Operators `=` `!=` `<` `<=` `>`
//! `>=`, and `IS NULL|TRUE|FALSE`, `NOT EXISTS` ("IS NOT and EXISTS currently
//! aren't supported"). `&&` binds tighter than `||`; parentheses group.
//! `$[0]` (a top-level array) is accepted as well.

use super::ast::{CmpOp, JsonExpr, JsonPattern, JsonTest, Literal, Seg, Selector, TextMatch};
use super::error::{PatternError, PatternErrorKind};
use super::lexer::Cursor;
use super::MAX_NESTING;

/// "up to three wildcard selectors in a filter pattern with compound expressions".
const MAX_WILDCARD_SELECTORS: usize = 3;

fn value_stop(c: char) -> bool {
    c == ')' || c == '}'
}

struct Parser<'c, 'a> {
    cur: &'c mut Cursor<'a>,
    selectors: Vec<Selector>,
    wildcard_selectors: usize,
}

pub(super) fn parse(cur: &mut Cursor<'_>) -> Result<JsonPattern, PatternError> {
    if !cur.eat('{') {
        return Err(cur.syntax("expected '{'"));
    }
    let mut p = Parser {
        cur,
        selectors: Vec::new(),
        wildcard_selectors: 0,
    };
    let expr = p.or(0)?;
    p.cur.skip_ws();
    if !p.cur.eat('}') {
        return Err(match p.cur.peek() {
            None => p.cur.syntax("expected '}' to close the JSON pattern"),
            Some(')') => p.cur.syntax("unbalanced ')'"),
            Some(c) => p.cur.syntax(format!("expected '&&', '||' or '}}' but found '{c}'")),
        });
    }
    p.cur.skip_ws();
    if !p.cur.at_end() {
        return Err(p.cur.syntax("unexpected text after '}'"));
    }
    Ok(JsonPattern {
        selectors: p.selectors,
        expr,
    })
}

impl Parser<'_, '_> {
    fn or(&mut self, depth: usize) -> Result<JsonExpr, PatternError> {
        let mut items = vec![self.and(depth)?];
        loop {
            self.cur.skip_ws();
            if !self.cur.eat_str("||") {
                break;
            }
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            merge_exact_tests(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<JsonExpr, PatternError> {
        let mut items = vec![self.unary(depth)?];
        loop {
            self.cur.skip_ws();
            if !self.cur.eat_str("&&") {
                break;
            }
            items.push(self.unary(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            JsonExpr::And(items)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<JsonExpr, PatternError> {
        self.cur.skip_ws();
        let open = self.cur.pos();
        if self.cur.eat('(') {
            if depth + 1 > MAX_NESTING {
                return Err(self.cur.error_at(
                    open,
                    PatternErrorKind::TooDeep,
                    format!("parentheses nested deeper than {MAX_NESTING}"),
                ));
            }
            let inner = self.or(depth + 1)?;
            self.cur.skip_ws();
            if !self.cur.eat(')') {
                return Err(match self.cur.peek() {
                    None | Some('}') => self.cur.syntax(format!(
                        "expected ')' to close the '(' at position {}",
                        self.cur.error_at(open, PatternErrorKind::Syntax, "").position()
                    )),
                    Some(c) => self.cur.syntax(format!("expected ')' but found '{c}'")),
                });
            }
            return Ok(inner);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<JsonExpr, PatternError> {
        let sel_at = self.cur.pos();
        let selector = self.selector()?;
        let sel = self.intern(selector, sel_at)?;
        self.cur.skip_ws();
        let test = if self.cur.eat_keyword("IS") {
            self.cur.skip_ws();
            if self.cur.eat_keyword("NULL") {
                JsonTest::IsNull
            } else if self.cur.eat_keyword("TRUE") {
                JsonTest::IsTrue
            } else if self.cur.eat_keyword("FALSE") {
                JsonTest::IsFalse
            } else {
                return Err(self
                    .cur
                    .syntax("expected NULL, TRUE or FALSE after IS (IS NOT is not supported)"));
            }
        } else if self.cur.eat_keyword("NOT") {
            self.cur.skip_ws();
            if !self.cur.eat_keyword("EXISTS") {
                return Err(self.cur.syntax("expected EXISTS after NOT"));
            }
            JsonTest::NotExists
        } else {
            let op = self.operator()?;
            self.cur.skip_ws();
            let lit_at = self.cur.pos();
            let lit = self.cur.literal(value_stop)?;
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !matches!(lit, Literal::Number(_)) {
                return Err(self
                    .cur
                    .error_at(lit_at, PatternErrorKind::Syntax, "<, <=, >, >= need a number"));
            }
            JsonTest::Cmp(op, lit)
        };
        Ok(JsonExpr::Test { sel, test })
    }

    fn operator(&mut self) -> Result<CmpOp, PatternError> {
        let c = &mut *self.cur;
        Ok(if c.eat_str("!=") {
            CmpOp::Ne
        } else if c.eat_str("<=") {
            CmpOp::Le
        } else if c.eat_str(">=") {
            CmpOp::Ge
        } else if c.eat_str("==") {
            return Err(c.error_at(c.pos() - 2, PatternErrorKind::Syntax, "unknown operator '=='; use '='"));
        } else if c.eat('=') {
            CmpOp::Eq
        } else if c.eat('<') {
            CmpOp::Lt
        } else if c.eat('>') {
            CmpOp::Gt
        } else {
            return Err(c.syntax(match c.peek() {
                None => "expected an operator".to_owned(),
                Some(ch) => {
                    format!("unknown operator starting with '{ch}'; expected =, !=, <, <=, >, >=, IS or NOT EXISTS")
                }
            }));
        })
    }

    /// One selector is resolved once per event however often it is used.
    fn intern(&mut self, selector: Selector, at: usize) -> Result<usize, PatternError> {
        if let Some(i) = self.selectors.iter().position(|s| *s == selector) {
            return Ok(i);
        }
        let wildcards = selector.segs.iter().filter(|s| **s == Seg::Any).count();
        if wildcards > 1 {
            return Err(self.cur.error_at(
                at,
                PatternErrorKind::TooManyWildcards,
                "a selector can contain at most one wildcard",
            ));
        }
        if wildcards == 1 {
            self.wildcard_selectors += 1;
            if self.wildcard_selectors > MAX_WILDCARD_SELECTORS {
                return Err(self.cur.error_at(
                    at,
                    PatternErrorKind::TooManyWildcards,
                    format!("a pattern can contain at most {MAX_WILDCARD_SELECTORS} wildcard selectors"),
                ));
            }
        }
        self.selectors.push(selector);
        Ok(self.selectors.len() - 1)
    }

    fn selector(&mut self) -> Result<Selector, PatternError> {
        let c = &mut *self.cur;
        if !c.eat('$') {
            return Err(c.syntax(match c.peek() {
                None => "expected a selector such as $.eventName".to_owned(),
                Some(ch) => format!("expected a selector such as $.eventName but found '{ch}'"),
            }));
        }
        let mut segs = Vec::new();
        loop {
            if c.eat('.') {
                if c.eat('*') {
                    segs.push(Seg::Any);
                } else if c.peek() == Some('[') {
                    continue; // `$.['cluster.name']`
                } else {
                    let start = c.pos();
                    let len = c
                        .rest()
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                        .count();
                    c.advance(len);
                    if len == 0 {
                        return Err(c.error_at(
                            start,
                            PatternErrorKind::InvalidCharacter,
                            "expected a property name (letters, digits, '-', '_') after '.'",
                        ));
                    }
                    segs.push(Seg::Key(c.slice(start, c.pos()).to_owned()));
                }
            } else if c.eat('[') {
                let inner = c.pos();
                if c.eat('*') {
                    segs.push(Seg::Any);
                } else if let Some(q @ ('\'' | '"')) = c.peek() {
                    c.bump();
                    let start = c.pos();
                    let Some(len) = c.rest().find(q) else {
                        return Err(c.error_at(inner, PatternErrorKind::Syntax, "unterminated quoted property name"));
                    };
                    segs.push(Seg::Key(c.slice(start, start + len).to_owned()));
                    for _ in c.slice(start, start + len + 1).chars() {
                        c.bump();
                    }
                } else {
                    let start = c.pos();
                    while c.peek().is_some_and(|ch| ch.is_ascii_digit()) {
                        c.bump();
                    }
                    let digits = c.slice(start, c.pos());
                    let Ok(index) = digits.parse::<usize>() else {
                        return Err(c.error_at(
                            start,
                            PatternErrorKind::Syntax,
                            "expected an array index, '*' or a quoted property name",
                        ));
                    };
                    segs.push(Seg::Index(index));
                }
                if !c.eat(']') {
                    return Err(c.syntax("expected ']'"));
                }
            } else {
                break;
            }
        }
        if segs.is_empty() {
            return Err(c.syntax("expected '.' or '[' after '$'"));
        }
        Ok(Selector { segs })
    }
}

/// `a = "x" || a = "y" || b > 1` becomes `a ∈ {x, y} || b > 1`: `||` has no
/// side effects, so regrouping its operands keeps the meaning.
fn merge_exact_tests(items: Vec<JsonExpr>) -> JsonExpr {
    let mut rest = Vec::new();
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    for item in items {
        match item {
            JsonExpr::Test {
                sel,
                test: JsonTest::Cmp(CmpOp::Eq, Literal::Text(TextMatch::Exact(v))),
            } => match groups.iter_mut().find(|(s, _)| *s == sel) {
                Some((_, values)) => values.push(v),
                None => groups.push((sel, vec![v])),
            },
            other => rest.push(other),
        }
    }
    for (sel, mut values) in groups {
        if values.len() == 1 {
            let v = values.pop().expect("one value");
            rest.push(JsonExpr::Test {
                sel,
                test: JsonTest::Cmp(CmpOp::Eq, Literal::Text(TextMatch::Exact(v))),
            });
        } else {
            values.sort_unstable();
            values.dedup();
            rest.push(JsonExpr::OneOf { sel, values });
        }
    }
    if rest.len() == 1 {
        rest.remove(0)
    } else {
        JsonExpr::Or(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, PatternErrorKind};

    fn err(p: &str) -> (usize, PatternErrorKind, String) {
        let e = parse(p).unwrap_err();
        (e.position(), e.kind(), e.to_string())
    }

    #[test]
    fn selectors_parse() {
        for p in [
            "{ $.a.b[0].c = 1 }",
            "{ $[0] = 1 }",
            "{ $.coordinates[0][1] = x }",
            "{ $.['cluster.name'] = \"c\" }",
            "{ $[\"a b\"] = \"c\" }",
            "{ $.a-b_c = 1 }",
            "{ $.* = 1 }",
            "{ $.a[*] = 1 }",
            "{ $.x is null }",
            "{$.eventName=CreateBucket}",
        ] {
            parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
    }

    #[test]
    fn errors_name_positions() {
        assert_eq!(err("{ ($.a = 1 }").0, 11);
        assert!(err("{ ($.a = 1 }").2.contains("expected ')'"));
        assert_eq!(err("{ $.a = 1 ) }").0, 10);
        assert_eq!(err("{ $.a = 1").0, 9);
        assert_eq!(err("{ $.a = 1 } x").0, 12);
        assert_eq!(err("{ $.a ~ 1 }").0, 6);
        assert_eq!(err("{ $.a == 1 }").0, 6);
        assert_eq!(err("{ $.a IS NOT NULL }").0, 9);
        assert_eq!(err("{ $.a EXISTS }").0, 6);
        assert_eq!(err("{ a = 1 }").0, 2);
        assert_eq!(err("{ $ = 1 }").0, 3);
        assert_eq!(err("{ $.@timestamp = 1 }").1, PatternErrorKind::InvalidCharacter);
        assert_eq!(err("{ $.a > abc }").0, 8);
        assert_eq!(err("{ $.a = }").0, 8);
        assert_eq!(err("{ $.a = x@y }").1, PatternErrorKind::InvalidCharacter);
        assert_eq!(err("{ $.a[x] = 1 }").0, 6);
        assert_eq!(err("{ $.*[*] = 1 }").1, PatternErrorKind::TooManyWildcards);
        let four = "{ $.a.* = 1 || $.b.* = 1 || $.c.* = 1 || $.d.* = 1 }";
        assert_eq!(err(four).0, four.find("$.d").unwrap());
        assert_eq!(err(four).1, PatternErrorKind::TooManyWildcards);
        assert_eq!(
            err("{ $.a = %x% || $.b = %y% || $.c = %z% }").1,
            PatternErrorKind::TooManyRegexes
        );
        let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(40), ")".repeat(40));
        assert_eq!(err(&deep).1, PatternErrorKind::TooDeep);
    }
}
