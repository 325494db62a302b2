//! The one error type of the pattern layer.

use std::fmt;

/// What class of problem a [`PatternError`] reports, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternErrorKind {
    /// Grammar violation: unbalanced brackets, missing operator or value, trailing text.
    Syntax,
    /// Longer than the 1024 characters the CloudWatch Logs API accepts.
    TooLong,
    /// More than two `%regex%` in one pattern (CloudWatch Logs quota).
    TooManyRegexes,
    /// A `%regex%` outside the documented subset, or one the engine cannot compile.
    InvalidRegex,
    /// A character that must be quoted, or that the construct does not allow.
    InvalidCharacter,
    /// Parentheses nested deeper than [`super::MAX_NESTING`].
    TooDeep,
    /// More wildcard selectors than CloudWatch Logs allows.
    TooManyWildcards,
}

impl fmt::Display for PatternErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "syntax",
            Self::TooLong => "too long",
            Self::TooManyRegexes => "too many regexes",
            Self::InvalidRegex => "invalid regex",
            Self::InvalidCharacter => "invalid character",
            Self::TooDeep => "nested too deeply",
            Self::TooManyWildcards => "too many wildcard selectors",
        })
    }
}

/// A pattern CloudWatch Logs would reject (or that this parser cannot represent).
///
/// `position` is the 0-based index, counted in characters (Unicode scalar values),
/// of the character where the problem was found; `position == len` means "at the end".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter pattern at position {position}: {message}")]
pub struct PatternError {
    position: usize,
    kind: PatternErrorKind,
    message: String,
}

impl PatternError {
    /// Builds an error from a *byte* offset into `src`; converts it to a character index.
    pub(super) fn at(src: &str, byte_pos: usize, kind: PatternErrorKind, message: impl Into<String>) -> Self {
        let byte_pos = byte_pos.min(src.len());
        // Offsets always come from char boundaries; `get` keeps this panic-free regardless.
        let position = src.get(..byte_pos).map_or(byte_pos, |prefix| prefix.chars().count());
        Self {
            position,
            kind,
            message: message.into(),
        }
    }

    /// 0-based character index of the offending character.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The class of problem.
    pub fn kind(&self) -> PatternErrorKind {
        self.kind
    }

    /// The message without the position prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_position_in_characters() {
        // "é" is two bytes: byte 3 is character 2.
        let e = PatternError::at("aé)", 3, PatternErrorKind::Syntax, "expected ')'");
        assert_eq!(e.position(), 2);
        assert_eq!(e.to_string(), "invalid filter pattern at position 2: expected ')'");
        assert_eq!(e.kind(), PatternErrorKind::Syntax);
        assert_eq!(e.message(), "expected ')'");
    }
}
