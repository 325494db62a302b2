//! The one error type of the filter-policy layer.

use std::fmt;

/// What class of problem a [`PolicyError`] reports, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// Not JSON, or not valid UTF-8 JSON text.
    Json,
    /// JSON, but not the shape of a filter policy: not an object, a key whose value is
    /// neither an array nor an object, an empty array or object, a value of the wrong type.
    Shape,
    /// An operator with an operand SNS rejects: `prefix` of a number, a malformed `cidr`,
    /// a `numeric` expression out of order, `exists` of a string.
    Operand,
    /// Longer than the 256 KB SNS accepts.
    TooLarge,
    /// More than five keys (leaf keys, for a nested policy).
    TooManyKeys,
    /// More than 150 combinations of values.
    TooComplex,
    /// A `FilterPolicyScope` value SNS does not define.
    Scope,
}

impl fmt::Display for PolicyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "not JSON",
            Self::Shape => "shape",
            Self::Operand => "operand",
            Self::TooLarge => "too large",
            Self::TooManyKeys => "too many keys",
            Self::TooComplex => "too complex",
            Self::Scope => "scope",
        })
    }
}

/// A filter policy (or scope) SNS would reject, or that this parser cannot represent.
///
/// `key` names where: the dotted path of the policy key the problem is under
/// (`Trigger.MetricName`), or none for the policy as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct PolicyError {
    kind: PolicyErrorKind,
    key: Option<String>,
    message: String,
}

impl PolicyError {
    pub(super) fn new(kind: PolicyErrorKind, key: Option<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            key,
            message: message.into(),
        }
    }

    /// The class of problem.
    pub fn kind(&self) -> PolicyErrorKind {
        self.kind
    }

    /// The dotted path of the key the problem is under, if it is under one.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The message without the prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn render(&self) -> String {
        match (&self.kind, &self.key) {
            (PolicyErrorKind::Scope, _) => format!("invalid filter policy scope: {}", self.message),
            (_, Some(key)) => format!("invalid filter policy at key {key:?}: {}", self.message),
            (_, None) => format!("invalid filter policy: {}", self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_key() {
        let e = PolicyError::new(PolicyErrorKind::Operand, Some("a.b".into()), "prefix must be a string");
        assert_eq!(
            e.to_string(),
            "invalid filter policy at key \"a.b\": prefix must be a string"
        );
        assert_eq!(
            (e.kind(), e.key(), e.message()),
            (PolicyErrorKind::Operand, Some("a.b"), "prefix must be a string")
        );
        let e = PolicyError::new(PolicyErrorKind::TooLarge, None, "too big");
        assert_eq!(e.to_string(), "invalid filter policy: too big");
        let e = PolicyError::new(PolicyErrorKind::Scope, None, "\"X\" is not one");
        assert_eq!(e.to_string(), "invalid filter policy scope: \"X\" is not one");
    }
}
