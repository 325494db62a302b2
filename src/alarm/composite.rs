//! A composite alarm's AlarmRule: `ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)`, `TRUE`,
//! `FALSE`, `AND`, `OR`, `NOT` and parentheses, where x is an alarm's name or ARN,
//! bare or in double quotes. Evaluated with one alarm in ALARM and every other in OK:
//! is the composite in ALARM when just that alarm fires?

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Const(bool),
    State(State, String),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Alarm,
    Ok,
    InsufficientData,
}

pub fn parse(source: &str) -> Result<Rule, String> {
    let mut p = Parser { s: source, at: 0 };
    let rule = p.or()?;
    p.skip();
    if p.at < source.len() {
        return Err(format!("unexpected text at position {} of the alarm rule", p.at));
    }
    Ok(rule)
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.at..]
    }

    fn skip(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.s.len() - trimmed.len();
    }

    /// A keyword, case-insensitive, not followed by a name character.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip();
        let rest = self.rest();
        let matches = rest.len() >= word.len()
            && rest[..word.len()].eq_ignore_ascii_case(word)
            && !rest[word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if matches {
            self.at += word.len();
        }
        matches
    }

    fn or(&mut self) -> Result<Rule, String> {
        let mut r = self.and()?;
        while self.keyword("OR") {
            r = Rule::Or(Box::new(r), Box::new(self.and()?));
        }
        Ok(r)
    }

    fn and(&mut self) -> Result<Rule, String> {
        let mut r = self.not()?;
        while self.keyword("AND") {
            r = Rule::And(Box::new(r), Box::new(self.not()?));
        }
        Ok(r)
    }

    fn not(&mut self) -> Result<Rule, String> {
        if self.keyword("NOT") {
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Rule, String> {
        self.skip();
        if self.rest().starts_with('(') {
            self.at += 1;
            let r = self.or()?;
            self.skip();
            if !self.rest().starts_with(')') {
                return Err(format!("expected ')' at position {} of the alarm rule", self.at));
            }
            self.at += 1;
            return Ok(r);
        }
        if self.keyword("TRUE") {
            return Ok(Rule::Const(true));
        }
        if self.keyword("FALSE") {
            return Ok(Rule::Const(false));
        }
        let state = if self.keyword("ALARM") {
            State::Alarm
        } else if self.keyword("OK") {
            State::Ok
        } else if self.keyword("INSUFFICIENT_DATA") {
            State::InsufficientData
        } else {
            return Err(format!("unexpected text at position {} of the alarm rule", self.at));
        };
        self.skip();
        if !self.rest().starts_with('(') {
            return Err(format!("expected '(' at position {} of the alarm rule", self.at));
        }
        self.at += 1;
        self.skip();
        let name = if let Some(quoted) = self.rest().strip_prefix('"') {
            let end = quoted.find('"').ok_or("unclosed quote in the alarm rule")?;
            let name = quoted[..end].to_string();
            self.at += end + 2;
            name
        } else {
            let end = self.rest().find(')').ok_or("unclosed '(' in the alarm rule")?;
            let name = self.rest()[..end].trim().to_string();
            self.at += end;
            name
        };
        self.skip();
        if !self.rest().starts_with(')') {
            return Err(format!("expected ')' at position {} of the alarm rule", self.at));
        }
        self.at += 1;
        Ok(Rule::State(state, name))
    }
}

impl Rule {
    /// With the alarm named `name` (or with ARN `arn`) in ALARM and every other in OK.
    pub fn holds_when_only(&self, name: &str, arn: &str) -> bool {
        match self {
            Rule::Const(b) => *b,
            Rule::State(state, alarm) => {
                let firing = alarm == name || alarm == arn;
                match state {
                    State::Alarm => firing,
                    State::Ok => !firing,
                    State::InsufficientData => false,
                }
            }
            Rule::Not(r) => !r.holds_when_only(name, arn),
            Rule::And(a, b) => a.holds_when_only(name, arn) && b.holds_when_only(name, arn),
            Rule::Or(a, b) => a.holds_when_only(name, arn) || b.holds_when_only(name, arn),
        }
    }

    /// The same rule with every alarm in OK: a rule true then is always in ALARM.
    pub fn holds_when_quiet(&self) -> bool {
        self.holds_when_only("", "\u{0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:iam";

    fn fires(rule: &str) -> bool {
        parse(rule).unwrap().holds_when_only("iam", ARN)
    }

    #[test]
    fn rules_over_one_alarm_in_alarm() {
        assert!(fires("ALARM(iam)"));
        assert!(fires("ALARM(\"iam\")"));
        assert!(fires(&format!("ALARM({ARN})")));
        assert!(fires("ALARM(iam) OR ALARM(other)"));
        assert!(!fires("ALARM(iam) AND ALARM(other)"));
        assert!(fires("ALARM(iam) AND NOT ALARM(other)"));
        assert!(fires("alarm(iam) and ok(other)"));
        assert!(!fires("OK(iam)"));
        assert!(!fires("INSUFFICIENT_DATA(iam)"));
        assert!(fires("(ALARM(other) OR ALARM(iam)) AND TRUE"));
        assert!(!fires("FALSE"));
        assert!(fires("NOT (ALARM(a) OR ALARM(b)) AND ALARM(iam)"));
    }

    #[test]
    fn a_rule_true_when_quiet_is_always_in_alarm() {
        assert!(parse("OK(other)").unwrap().holds_when_quiet());
        assert!(!parse("ALARM(iam)").unwrap().holds_when_quiet());
    }

    #[test]
    fn malformed_rules_are_errors() {
        for rule in [
            "",
            "ALARM",
            "ALARM(iam",
            "ALARM(iam) XOR ALARM(b)",
            "(ALARM(iam)",
            "ALARM(\"iam)",
        ] {
            assert!(parse(rule).is_err(), "{rule}");
        }
    }
}
