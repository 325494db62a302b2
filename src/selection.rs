//! The field selection criteria of a CloudWatch Logs metric filter
//! (`fieldSelectionCriteria`): which log events the filter processes, by their system
//! fields. The language only; what the audit does with it is the caller's.
//!
//! From the PutMetricFilter and MetricFilter API references ("a filter expression ...
//! based on system fields such as source account and source region. Uses selection
//! criteria syntax with operators like =, !=, AND, OR, IN, NOT IN. Example:
//! @aws.region = \"us-east-1\" or @aws.account IN [\"123456789012\", \"987654321098\"].
//! Maximum length: 2000 characters"). Fields: `@aws.account`, `@aws.region`. Anything
//! else (another field, another operator, a syntax the references do not show) is an
//! error: the caller cannot prove what the filter selects.

use std::fmt;

/// The longest criteria the API accepts.
pub const MAX_LEN: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Criteria {
    Or(Box<Criteria>, Box<Criteria>),
    And(Box<Criteria>, Box<Criteria>),
    /// `field = "v"` (values one) / `field IN [...]`; `negated` for `!=` / `NOT IN`.
    Test {
        field: Field,
        values: Vec<String>,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Account,
    Region,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Account => "@aws.account",
            Field::Region => "@aws.region",
        })
    }
}

/// Why a criteria was not read, with the character position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field selection criteria at {}: {}", self.position, self.message)
    }
}

impl Criteria {
    /// Does an event with these system fields pass?
    pub fn selects(&self, account: &str, region: &str) -> bool {
        match self {
            Criteria::Or(a, b) => a.selects(account, region) || b.selects(account, region),
            Criteria::And(a, b) => a.selects(account, region) && b.selects(account, region),
            Criteria::Test { field, values, negated } => {
                let value = match field {
                    Field::Account => account,
                    Field::Region => region,
                };
                values.iter().any(|v| v == value) != *negated
            }
        }
    }

    /// The fields it tests.
    pub fn fields(&self) -> Vec<Field> {
        match self {
            Criteria::Or(a, b) | Criteria::And(a, b) => {
                let mut f = a.fields();
                f.extend(b.fields());
                f
            }
            Criteria::Test { field, .. } => vec![*field],
        }
    }
}

pub fn parse(text: &str) -> Result<Criteria, SelectionError> {
    if text.chars().count() > MAX_LEN {
        return Err(SelectionError {
            position: MAX_LEN,
            message: format!("longer than {MAX_LEN} characters"),
        });
    }
    let tokens = tokens(text)?;
    let mut p = Parser {
        tokens,
        at: 0,
        end: text.chars().count(),
    };
    let criteria = p.or()?;
    match p.tokens.get(p.at) {
        None => Ok(criteria),
        Some((pos, t)) => Err(SelectionError {
            position: *pos,
            message: format!("unexpected {t:?}"),
        }),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Op(&'static str),
}

fn tokens(text: &str) -> Result<Vec<(usize, Token)>, SelectionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let start = i;
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(SelectionError {
                            position: start,
                            message: "unterminated string".into(),
                        })
                    }
                    Some('"') => break,
                    Some('\\') => {
                        // Only \" and \\ are read as escapes; anything else is not shown.
                        match chars.get(i + 1) {
                            Some(e @ ('"' | '\\')) => s.push(*e),
                            _ => {
                                return Err(SelectionError {
                                    position: i,
                                    message: "an escape this audit does not read".into(),
                                })
                            }
                        }
                        i += 1;
                    }
                    Some(ch) => s.push(*ch),
                }
                i += 1;
            }
            out.push((start, Token::Text(s)));
            i += 1;
        } else if text[text.char_indices().nth(i).map_or(0, |(b, _)| b)..].starts_with("!=") {
            out.push((i, Token::Op("!=")));
            i += 2;
        } else if let Some(op) = ["=", "(", ")", "[", "]", ","].into_iter().find(|o| o.starts_with(c)) {
            out.push((i, Token::Op(op)));
            i += 1;
        } else if c.is_alphanumeric() || c == '@' || c == '.' || c == '_' || c == '-' {
            let start = i;
            let mut s = String::new();
            while let Some(ch) = chars
                .get(i)
                .filter(|ch| ch.is_alphanumeric() || matches!(ch, '@' | '.' | '_' | '-'))
            {
                s.push(*ch);
                i += 1;
            }
            out.push((start, Token::Word(s)));
        } else {
            return Err(SelectionError {
                position: i,
                message: format!("unexpected character {c:?}"),
            });
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    /// The position of the end of the text, for errors there.
    end: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some((_, Token::Word(w))) if w.eq_ignore_ascii_case(word))
    }

    fn error(&self, message: &str) -> SelectionError {
        SelectionError {
            position: self.tokens.get(self.at).map_or(self.end, |(p, _)| *p),
            message: message.into(),
        }
    }

    /// AND and OR mixed without parentheses are refused: the references do not say
    /// which binds tighter, so what such a criteria selects cannot be proven.
    fn or(&mut self) -> Result<Criteria, SelectionError> {
        let start = self.at;
        let (mut left, mut mixed) = self.and()?;
        let mut operands = 1;
        while self.peek_word("OR") {
            self.at += 1;
            let (right, and) = self.and()?;
            mixed |= and;
            operands += 1;
            left = Criteria::Or(Box::new(left), Box::new(right));
        }
        if mixed && operands > 1 {
            return Err(SelectionError {
                position: self.tokens.get(start).map_or(self.end, |(p, _)| *p),
                message: "AND and OR mixed without parentheses: which binds tighter is not documented".into(),
            });
        }
        Ok(left)
    }

    /// The conjunction, and whether it joined more than one operand.
    fn and(&mut self) -> Result<(Criteria, bool), SelectionError> {
        let mut left = self.primary()?;
        let mut joined = false;
        while self.peek_word("AND") {
            self.at += 1;
            joined = true;
            left = Criteria::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok((left, joined))
    }

    fn primary(&mut self) -> Result<Criteria, SelectionError> {
        match self.tokens.get(self.at).cloned() {
            Some((_, Token::Op("("))) => {
                self.at += 1;
                let inner = self.or()?;
                match self.tokens.get(self.at) {
                    Some((_, Token::Op(")"))) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err(self.error("expected )")),
                }
            }
            Some((_, Token::Word(w))) => {
                let field = match w.as_str() {
                    "@aws.account" => Field::Account,
                    "@aws.region" => Field::Region,
                    _ => return Err(self.error(&format!("field {w:?} is not one this audit evaluates"))),
                };
                self.at += 1;
                let (values, negated) = match self.tokens.get(self.at).cloned() {
                    Some((_, Token::Op(op @ ("=" | "!=")))) => {
                        self.at += 1;
                        (vec![self.text()?], op == "!=")
                    }
                    Some((_, Token::Word(w))) if w.eq_ignore_ascii_case("IN") => {
                        self.at += 1;
                        (self.list()?, false)
                    }
                    Some((_, Token::Word(w))) if w.eq_ignore_ascii_case("NOT") => {
                        self.at += 1;
                        if !self.peek_word("IN") {
                            return Err(self.error("expected IN after NOT"));
                        }
                        self.at += 1;
                        (self.list()?, true)
                    }
                    _ => return Err(self.error("expected =, !=, IN or NOT IN")),
                };
                Ok(Criteria::Test { field, values, negated })
            }
            _ => Err(self.error("expected a field or (")),
        }
    }

    fn text(&mut self) -> Result<String, SelectionError> {
        match self.tokens.get(self.at).cloned() {
            Some((_, Token::Text(s))) => {
                self.at += 1;
                Ok(s)
            }
            _ => Err(self.error("expected a quoted value")),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, SelectionError> {
        if !matches!(self.tokens.get(self.at), Some((_, Token::Op("[")))) {
            return Err(self.error("expected ["));
        }
        self.at += 1;
        let mut values = vec![self.text()?];
        loop {
            match self.tokens.get(self.at) {
                Some((_, Token::Op(","))) => {
                    self.at += 1;
                    values.push(self.text()?);
                }
                Some((_, Token::Op("]"))) => {
                    self.at += 1;
                    return Ok(values);
                }
                _ => return Err(self.error("expected , or ]")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_and_their_combinations() {
        let region = parse(r#"@aws.region = "us-east-1""#).unwrap();
        assert!(region.selects("111111111111", "us-east-1"));
        assert!(!region.selects("111111111111", "eu-west-1"));
        let accounts = parse(r#"@aws.account IN ["123456789012", "987654321098"]"#).unwrap();
        assert!(accounts.selects("987654321098", "us-east-1"));
        assert!(!accounts.selects("111111111111", "us-east-1"));
        let both = parse(
            r#"(@aws.account != "111111111111" AND @aws.region NOT IN ["eu-west-1"]) OR @aws.region = "ap-south-1""#,
        )
        .unwrap();
        assert!(both.selects("222222222222", "us-east-1"));
        assert!(!both.selects("111111111111", "us-east-1"));
        assert!(both.selects("111111111111", "ap-south-1"));
        assert!(!both.selects("222222222222", "eu-west-1"));
        assert_eq!(both.fields(), [Field::Account, Field::Region, Field::Region]);
        // AND and OR mixed without parentheses: not documented, refused.
        let mixed = parse(r#"@aws.region = "a" OR @aws.region = "b" AND @aws.account = "c""#).unwrap_err();
        assert!(mixed.message.contains("without parentheses"), "{mixed}");
    }

    #[test]
    fn what_is_not_read_is_an_error_with_its_position() {
        for (text, position) in [
            (r#"@aws.logGroup = "x""#, 0),
            (r#"@aws.region LIKE "us-*""#, 12),
            (r#"@aws.region = us-east-1"#, 14),
            (r#"@aws.region = "us-east-1"#, 14),
            (r#"@aws.account IN ["1", "2""#, 25),
            (r#"(@aws.region = "a""#, 18),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.position, position, "{text}: {e}");
        }
        assert!(parse(&"x".repeat(2001)).is_err());
    }
}
