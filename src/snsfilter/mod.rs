//! The Amazon SNS subscription filter-policy language, evaluated: [`FilterPolicy::parse`]
//! a subscription's `FilterPolicy`, [`Scope::parse`] its `FilterPolicyScope`, and ask
//! [`FilterPolicy::evaluate`] whether a message would be delivered. The language only:
//! which message is sent (a CloudWatch alarm's notification) is the caller's to say.
//!
//! Pure: no I/O, no clock, no environment. Three answers, not two: a [`Verdict`] is
//! [`Verdict::Delivers`] only when SNS's documentation settles it; an operator not
//! evaluated here (`wildcard`, an unknown one) or a case the pages leave open is
//! [`Verdict::CannotProve`], never a delivery. The open cases, and the reading taken
//! where the pages are explicit, are written next to the code in `eval`.
//!
//! Sources (Amazon SNS Developer Guide):
//! - "Amazon SNS message filtering", <https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html>
//! - "Amazon SNS subscription filter policies", <https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html>
//! - "Amazon SNS subscription filter policy scope", <https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html>
//! - "Filter policy constraints in Amazon SNS", <https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html>
//! - "Amazon SNS example filter policies", <https://docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html>
//! - "String value matching", <https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html>
//! - "Numeric value matching", <https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html>
//! - "Key matching", <https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html>
//! - "AND/OR logic", <https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html>
//!
//! and, where the SNS pages point to behaviour they do not spell out (`$or` reserved
//! words, keys with dots, arrays of objects), the README and `Constants.java` of Event
//! Ruler (<https://github.com/aws/event-ruler>), the matching library whose rule language
//! SNS's is. Ruler is cited only to find where readings differ; a case it alone
//! settles is still "cannot prove".

mod ast;
mod error;
mod eval;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub use error::{PolicyError, PolicyErrorKind};

/// "The maximum size of a filter policy is 256 KB."
pub const MAX_POLICY_BYTES: usize = 256 * 1024;

/// "A filter policy can have a maximum of five keys." For a nested policy "only leaf keys
/// are counted". Counted here as the distinct leaf keys of the whole policy, `$or`
/// alternatives included.
pub const MAX_KEYS: usize = 5;

/// "The total combination of values in a filter policy must not exceed 150."
pub const MAX_COMBINATIONS: u64 = 150;

/// "For numeric matching, the value can range from -10^9 to 10^9 ..."
pub const NUMERIC_LIMIT: f64 = 1e9;

/// "... with five digits of accuracy after the decimal point."
pub const NUMERIC_RESOLUTION: f64 = 1e-5;

/// What a subscription's filter policy is applied to (`FilterPolicyScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    /// The subscription attribute's value; absent is `MessageAttributes` ("If no filter
    /// policy scope is defined for an existing filter policy, the scope defaults to
    /// MessageAttributes"). Any other value than the two SNS defines is an error.
    pub fn parse(value: Option<&str>) -> Result<Scope, PolicyError> {
        match value {
            None | Some("MessageAttributes") => Ok(Scope::MessageAttributes),
            Some("MessageBody") => Ok(Scope::MessageBody),
            Some(other) => Err(PolicyError::new(
                PolicyErrorKind::Scope,
                None,
                format!("{other:?} is neither MessageAttributes nor MessageBody"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MessageAttributes => "MessageAttributes",
            Scope::MessageBody => "MessageBody",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message attribute, by its SNS data type.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    String(String),
    Number(f64),
    /// `String.Array`: the elements of its JSON array (strings, numbers, true, false, null).
    StringArray(Vec<serde_json::Value>),
    /// Ignored by filtering ("Amazon SNS ignores message attributes with the Binary data type").
    Binary,
}

/// Whether SNS would deliver a message to the subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivers,
    /// Filtered out; why, naming the key: `requires AlarmName to begin with "prod-"; the
    /// message has AlarmName "IAMPolicyChanges"`. It reads after "the filter policy ".
    Filtered(String),
    /// The operator or construct not evaluated, or the case the documentation leaves open.
    CannotProve(String),
}

impl Verdict {
    pub fn delivers(&self) -> bool {
        matches!(self, Verdict::Delivers)
    }
}

/// A parsed subscription filter policy. Its [`Display`](fmt::Display) says what each key
/// requires, in order: `AlarmName must begin with "prod-"; Trigger.MetricName must be "x"`.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPolicy {
    source: String,
    root: ast::Object,
    nested: bool,
    leaf_keys: Vec<Vec<String>>,
    combinations: u64,
    has_dotted_key: bool,
    has_exists_false: bool,
}

impl FilterPolicy {
    /// Parses a `FilterPolicy` attribute, rejecting what SNS rejects: text that is not a
    /// JSON object, more than 256 KB, more than five (leaf) keys, more than 150
    /// combinations, empty arrays, malformed operands. An operator this module does not
    /// know is accepted and evaluates to [`Verdict::CannotProve`]. `{}` filters nothing.
    pub fn parse(text: &str) -> Result<FilterPolicy, PolicyError> {
        let p = ast::parse(text)?;
        Ok(FilterPolicy {
            source: text.to_owned(),
            root: p.root,
            nested: p.nested,
            leaf_keys: p.leaf_keys,
            combinations: p.combinations,
            has_dotted_key: p.has_dotted_key,
            has_exists_false: p.has_exists_false,
        })
    }

    /// The policy as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Has nested keys (valid for the MessageBody scope only).
    pub fn is_nested(&self) -> bool {
        self.nested
    }

    /// The leaf keys, dotted (`Trigger.MetricName`), in policy order.
    pub fn keys(&self) -> Vec<String> {
        self.leaf_keys.iter().map(|k| k.join(".")).collect()
    }

    /// SNS's complexity measure of the policy (at most [`MAX_COMBINATIONS`]).
    pub fn combinations(&self) -> u64 {
        self.combinations
    }

    /// Would SNS deliver the message? `attributes` are its message attributes (used in the
    /// MessageAttributes scope), `body` its message parsed as JSON (MessageBody scope).
    pub fn evaluate(
        &self,
        scope: Scope,
        attributes: &BTreeMap<String, AttributeValue>,
        body: &serde_json::Value,
    ) -> Verdict {
        self.evaluate_as(scope, attributes, body, "the message")
    }

    /// [`evaluate`](Self::evaluate), naming the message in reasons as `subject`
    /// ("this alarm's notification").
    pub fn evaluate_as(
        &self,
        scope: Scope,
        attributes: &BTreeMap<String, AttributeValue>,
        body: &serde_json::Value,
        subject: &str,
    ) -> Verdict {
        eval::evaluate(self, scope, attributes, body, subject)
    }
}

impl FromStr for FilterPolicy {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FilterPolicy::parse(s)
    }
}

impl fmt::Display for FilterPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        ast::describe(&self.root, &mut Vec::new(), &mut out);
        if out.is_empty() {
            f.write_str("no condition (every message is delivered)")
        } else {
            f.write_str(&out.join("; "))
        }
    }
}
