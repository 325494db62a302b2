//! The conditions a JSON pattern writes: which field each tests and the values it
//! names. What they are used for (deriving records that vary those fields) is the
//! caller's; this is only a reading of the pattern.

use serde_json::{json, Value};

use super::ast::{Body, CmpOp, FilterPattern, JsonExpr, JsonTest, Literal, Seg, Term, TextMatch};

/// One step of a field's path in a JSON event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldStep {
    Key(String),
    Index(usize),
}

/// A field a condition of the pattern tests, and the values the condition names (a
/// value that satisfies it, or the boundary it compares with).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field as the pattern writes it: `$.userIdentity.type`.
    pub selector: String,
    pub path: Vec<FieldStep>,
    /// The condition as written, e.g. `$.sourceIPAddress != "10.1.2.3"`.
    pub text: String,
    /// Values the condition names: the text of an exact, prefix, suffix or contains
    /// match, a number and its neighbours, true, false or null. Empty for `*`, a
    /// regex and NOT EXISTS.
    pub values: Vec<Value>,
    /// A regex comparison: the values it matches are not derived from it.
    pub regex: bool,
}

/// What a term pattern excludes (`-term`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Excluded {
    /// `-word` / `-"phrase"`: events containing the text are dropped.
    Text(String),
    /// `-%regex%`: the texts it matches are not derived from it.
    Regex(String),
}

impl FilterPattern {
    /// The exclusions of a term pattern (none for the other languages).
    pub fn excluded_terms(&self) -> Vec<Excluded> {
        let Body::Terms(terms) = &self.body else {
            return Vec::new();
        };
        terms
            .excluded
            .iter()
            .filter_map(|t| match t {
                Term::Text(s) => Some(Excluded::Text(s.clone())),
                Term::Regex(r) => Some(Excluded::Regex(r.as_str().to_string())),
                Term::Always => None,
            })
            .collect()
    }

    /// The conditions of a JSON pattern on fields it names without a wildcard step
    /// (`$.a.*.b` and `$.a[*]` are left out); none for the other languages.
    pub fn conditions(&self) -> Vec<Condition> {
        let Body::Json(json) = &self.body else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut walk = vec![&json.expr];
        while let Some(expr) = walk.pop() {
            match expr {
                JsonExpr::Or(items) | JsonExpr::And(items) => walk.extend(items.iter().rev()),
                JsonExpr::Test { sel, test } => {
                    if let Some((selector, path)) = field(&json.selectors[*sel].segs) {
                        let (text, values) = describe(&selector, test);
                        let regex = matches!(test, JsonTest::Cmp(_, Literal::Regex(_)));
                        out.push(Condition {
                            selector,
                            path,
                            text,
                            values,
                            regex,
                        });
                    }
                }
                JsonExpr::OneOf { sel, values } => {
                    if let Some((selector, path)) = field(&json.selectors[*sel].segs) {
                        for v in values {
                            out.push(Condition {
                                text: format!("{selector} = {v:?}"),
                                selector: selector.clone(),
                                path: path.clone(),
                                values: vec![json!(v)],
                                regex: false,
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

fn field(segs: &[Seg]) -> Option<(String, Vec<FieldStep>)> {
    let mut selector = String::from("$");
    let mut path = Vec::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                selector.push('.');
                selector.push_str(k);
                path.push(FieldStep::Key(k.clone()));
            }
            Seg::Index(i) => {
                selector.push_str(&format!("[{i}]"));
                path.push(FieldStep::Index(*i));
            }
            Seg::Any => return None,
        }
    }
    Some((selector, path))
}

fn describe(selector: &str, test: &JsonTest) -> (String, Vec<Value>) {
    match test {
        JsonTest::IsNull => (format!("{selector} IS NULL"), vec![Value::Null]),
        JsonTest::IsTrue => (format!("{selector} IS TRUE"), vec![json!(true)]),
        JsonTest::IsFalse => (format!("{selector} IS FALSE"), vec![json!(false)]),
        JsonTest::NotExists => (format!("{selector} NOT EXISTS"), Vec::new()),
        JsonTest::Cmp(op, literal) => {
            let op_text = match op {
                CmpOp::Eq => "=",
                CmpOp::Ne => "!=",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            let (shown, values) = match literal {
                Literal::Number(n) => (n.to_string(), vec![json!(n), json!(n - 1.0), json!(n + 1.0)]),
                Literal::Regex(r) => (format!("%{}%", r.as_str()), Vec::new()),
                Literal::Text(m) => match m {
                    TextMatch::Any => ("*".to_string(), Vec::new()),
                    TextMatch::Exact(s) => (format!("{s:?}"), vec![json!(s)]),
                    TextMatch::Prefix(s) => (format!("\"{s}*\""), vec![json!(s)]),
                    TextMatch::Suffix(s) => (format!("\"*{s}\""), vec![json!(s)]),
                    TextMatch::Contains(s) => (format!("\"*{s}*\""), vec![json!(s)]),
                },
            };
            (format!("{selector} {op_text} {shown}"), values)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn the_fields_and_values_a_json_pattern_names() {
        let p = parse(r#"{ ($.eventName = CreatePolicy || $.eventName = DeletePolicy) && ($.userIdentity.sessionContext.sessionIssuer.userName != "Deployer") && $.requestParameters.n > 2 && $.a[0] IS NULL && $.b.*.c = x }"#).unwrap();
        let found: Vec<(String, Vec<Value>)> = p.conditions().into_iter().map(|c| (c.text, c.values)).collect();
        assert!(
            found.contains(&("$.eventName = \"CreatePolicy\"".into(), vec![json!("CreatePolicy")])),
            "{found:?}"
        );
        assert!(found.contains(&(
            "$.userIdentity.sessionContext.sessionIssuer.userName != \"Deployer\"".into(),
            vec![json!("Deployer")]
        )));
        assert!(found.contains(&(
            "$.requestParameters.n > 2".into(),
            vec![json!(2.0), json!(1.0), json!(3.0)]
        )));
        assert!(found.contains(&("$.a[0] IS NULL".into(), vec![Value::Null])));
        assert!(
            !found.iter().any(|(t, _)| t.starts_with("$.b")),
            "a wildcard step is left out"
        );
    }

    #[test]
    fn other_languages_have_no_conditions_and_terms_their_exclusions() {
        let terms = parse("Policy -Deployer -%bot[0-9]%").unwrap();
        assert!(terms.conditions().is_empty());
        assert_eq!(
            terms.excluded_terms(),
            [Excluded::Text("Deployer".into()), Excluded::Regex("bot[0-9]".into())]
        );
        assert!(parse("").unwrap().conditions().is_empty());
        assert!(parse("{ $.a != %x% }").unwrap().conditions()[0].regex);
    }
}
