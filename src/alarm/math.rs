//! The subset of CloudWatch metric math this audit evaluates: query ids, numbers,
//! `+ - * /`, comparisons (`> >= < <= == !=`, 1 or 0), parentheses, `FILL(m, c)` with
//! a constant, `SUM`, `MAX` and `MIN` of a list `[a, b, ...]`, and `IF(c, a, b)`.
//! Anything else is not evaluated: the alarm is then "cannot prove", never PASS.
//! A value is one datapoint, or none (missing), which every operation but FILL and the
//! list functions carries through.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    Id(String),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Fill(Box<Expr>, f64),
    List(ListFn, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFn {
    Sum,
    Max,
    Min,
}

pub fn parse(source: &str) -> Result<Expr, String> {
    let mut p = Parser {
        chars: source.chars().collect(),
        at: 0,
    };
    let e = p.comparison()?;
    p.skip();
    if p.at < p.chars.len() {
        return Err(format!("unexpected {:?} at position {}", p.chars[p.at], p.at));
    }
    Ok(e)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn skip(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip();
        let t: Vec<char> = token.chars().collect();
        if self.chars[self.at..].starts_with(&t) {
            self.at += t.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected {token:?} at position {}", self.at))
        }
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let left = self.sum()?;
        for (token, op) in [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            ("<", Op::Lt),
        ] {
            if self.eat(token) {
                let right = self.sum()?;
                return Ok(Expr::Binary(op, Box::new(left), Box::new(right)));
            }
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        loop {
            let op = if self.eat("+") {
                Op::Add
            } else if self.eat("-") {
                Op::Sub
            } else {
                return Ok(e);
            };
            e = Expr::Binary(op, Box::new(e), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        loop {
            let op = if self.eat("*") {
                Op::Mul
            } else if self.eat("/") {
                Op::Div
            } else {
                return Ok(e);
            };
            e = Expr::Binary(op, Box::new(e), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.skip();
        if self.eat("(") {
            let e = self.comparison()?;
            self.expect(")")?;
            return Ok(e);
        }
        let start = self.at;
        match self.chars.get(self.at) {
            Some(c) if c.is_ascii_digit() || *c == '.' => {
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == 'E')
                {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                text.parse()
                    .map(Expr::Number)
                    .map_err(|_| format!("bad number {text:?}"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                self.skip();
                if self.chars.get(self.at) != Some(&'(') {
                    return Ok(Expr::Id(name));
                }
                self.at += 1;
                self.call(&name.to_ascii_uppercase())
            }
            other => Err(format!("unexpected {other:?} at position {start}")),
        }
    }

    /// After `NAME(`.
    fn call(&mut self, name: &str) -> Result<Expr, String> {
        let e = match name {
            "FILL" => {
                let series = self.comparison()?;
                self.expect(",")?;
                let fill = match self.comparison()? {
                    Expr::Number(n) => n,
                    Expr::Neg(inner) => match *inner {
                        Expr::Number(n) => -n,
                        _ => return Err("FILL with other than a constant is not evaluated".into()),
                    },
                    _ => return Err("FILL with other than a constant is not evaluated".into()),
                };
                Expr::Fill(Box::new(series), fill)
            }
            "SUM" | "MAX" | "MIN" => {
                let f = match name {
                    "SUM" => ListFn::Sum,
                    "MAX" => ListFn::Max,
                    _ => ListFn::Min,
                };
                self.expect("[")?;
                let mut items = vec![self.comparison()?];
                while self.eat(",") {
                    items.push(self.comparison()?);
                }
                self.expect("]")?;
                Expr::List(f, items)
            }
            "IF" => {
                let c = self.comparison()?;
                self.expect(",")?;
                let a = self.comparison()?;
                self.expect(",")?;
                let b = self.comparison()?;
                Expr::If(Box::new(c), Box::new(a), Box::new(b))
            }
            other => return Err(format!("function {other} is not evaluated")),
        };
        self.expect(")")?;
        Ok(e)
    }
}

impl Expr {
    /// The ids the expression reads.
    pub fn ids(&self) -> Vec<&str> {
        match self {
            Expr::Number(_) => Vec::new(),
            Expr::Id(id) => vec![id.as_str()],
            Expr::Neg(e) | Expr::Fill(e, _) => e.ids(),
            Expr::Binary(_, a, b) => [a.ids(), b.ids()].concat(),
            Expr::List(_, items) => items.iter().flat_map(Expr::ids).collect(),
            Expr::If(c, a, b) => [c.ids(), a.ids(), b.ids()].concat(),
        }
    }

    /// The datapoint, given each id's (None: missing). An id not in `values` is an error.
    pub fn eval(&self, values: &BTreeMap<String, Option<f64>>) -> Result<Option<f64>, String> {
        Ok(match self {
            Expr::Number(n) => Some(*n),
            Expr::Id(id) => *values
                .get(id)
                .ok_or_else(|| format!("{id} is not a query of this alarm"))?,
            Expr::Neg(e) => e.eval(values)?.map(|v| -v),
            Expr::Fill(e, c) => Some(e.eval(values)?.unwrap_or(*c)),
            Expr::Binary(op, a, b) => match (a.eval(values)?, b.eval(values)?) {
                (Some(a), Some(b)) => {
                    let truth = |t: bool| if t { 1.0 } else { 0.0 };
                    match op {
                        Op::Add => Some(a + b),
                        Op::Sub => Some(a - b),
                        Op::Mul => Some(a * b),
                        // Division by zero has no datapoint.
                        Op::Div => (b != 0.0).then(|| a / b),
                        Op::Gt => Some(truth(a > b)),
                        Op::Ge => Some(truth(a >= b)),
                        Op::Lt => Some(truth(a < b)),
                        Op::Le => Some(truth(a <= b)),
                        Op::Eq => Some(truth(a == b)),
                        Op::Ne => Some(truth(a != b)),
                    }
                }
                _ => None,
            },
            Expr::List(f, items) => {
                let present: Vec<f64> = items
                    .iter()
                    .map(|e| e.eval(values))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .flatten()
                    .collect();
                if present.is_empty() {
                    None
                } else {
                    Some(match f {
                        ListFn::Sum => present.iter().sum(),
                        ListFn::Max => present.iter().copied().fold(f64::MIN, f64::max),
                        ListFn::Min => present.iter().copied().fold(f64::MAX, f64::min),
                    })
                }
            }
            Expr::If(c, a, b) => match c.eval(values)? {
                None => None,
                Some(c) if c != 0.0 => a.eval(values)?,
                Some(_) => b.eval(values)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(source: &str, m: Option<f64>) -> Option<f64> {
        let values = BTreeMap::from([("m1".to_string(), m)]);
        parse(source).unwrap().eval(&values).unwrap()
    }

    #[test]
    fn the_documented_subset() {
        assert_eq!(eval("m1", Some(2.0)), Some(2.0));
        assert_eq!(eval("m1", None), None);
        assert_eq!(eval("FILL(m1, 0)", None), Some(0.0));
        assert_eq!(eval("fill(m1, -1)", None), Some(-1.0));
        assert_eq!(eval("FILL(m1, 0)", Some(3.0)), Some(3.0));
        assert_eq!(eval("m1 * 2 + 1", Some(3.0)), Some(7.0));
        assert_eq!(eval("(m1 - 1) / 2", Some(3.0)), Some(1.0));
        assert_eq!(eval("m1 / 0", Some(3.0)), None);
        assert_eq!(eval("-m1", Some(3.0)), Some(-3.0));
        assert_eq!(eval("SUM([m1, 1])", None), Some(1.0));
        assert_eq!(eval("MAX([m1, 1])", Some(5.0)), Some(5.0));
        assert_eq!(eval("MIN([m1, 1])", Some(5.0)), Some(1.0));
        assert_eq!(eval("IF(m1 > 0, 1, 0)", Some(0.5)), Some(1.0));
        assert_eq!(eval("IF(m1 >= 1, 10, m1)", Some(0.5)), Some(0.5));
        assert_eq!(eval("IF(m1 > 0, 1, 0)", None), None);
        assert_eq!(eval("m1 != 1", Some(1.0)), Some(0.0));
    }

    #[test]
    fn anything_else_is_not_evaluated() {
        for source in [
            "ANOMALY_DETECTION_BAND(m1)",
            "FILL(m1, REPEAT)",
            "RATE(m1)",
            "SEARCH('{AWS/EC2} CPU', 'Average')",
            "m1 +",
            "",
            "METRICS()",
        ] {
            assert!(parse(source).is_err(), "{source}");
        }
        let values = BTreeMap::new();
        assert!(parse("m2").unwrap().eval(&values).is_err());
    }
}
