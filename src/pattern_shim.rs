//! TEMPORARY development shim until the pattern engine lands. Not shipped.
pub const IAM_POLICY_EVENTS: [&str; 16] = [
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
];
pub const CANONICAL_PATTERN: &str = "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }";
#[derive(Debug)]
pub struct FilterPattern(String);
#[derive(Debug, thiserror::Error)]
#[error("invalid filter pattern at position 0: unbalanced")]
pub struct PatternError;
pub struct Coverage {
    pub covers_all: bool,
    pub missing: Vec<&'static str>,
}
pub fn parse(s: &str) -> Result<FilterPattern, PatternError> {
    if s.matches('{').count() != s.matches('}').count() {
        return Err(PatternError);
    }
    Ok(FilterPattern(s.to_string()))
}
pub fn coverage(p: &FilterPattern) -> Coverage {
    let missing: Vec<&'static str> = IAM_POLICY_EVENTS
        .iter()
        .copied()
        .filter(|e| !p.0.contains(&format!("= {e})")) && !p.0.contains(&format!("={e})")))
        .collect();
    Coverage {
        covers_all: missing.is_empty() && !p.0.contains("&&"),
        missing,
    }
}
