//! Just enough of IAM policy evaluation to answer one question: may a service
//! principal (CloudWatch) perform an action on a resource under a resource policy
//! (an SNS topic policy or a KMS key policy)? Pure; the policy arrives as JSON text.

use serde_json::Value;

/// Who is asking and in what context: CloudWatch, acting for an alarm of `account`.
pub struct Request<'a> {
    pub service: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub account: &'a str,
    pub source_arn: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// No statement allows it (implicit deny).
    NotAllowed,
    /// A Deny statement matches; the string names it.
    Denied(String),
    Unreadable(String),
}

pub fn evaluate(policy: &str, request: &Request) -> Verdict {
    let doc: Value = match serde_json::from_str(policy) {
        Ok(v) => v,
        Err(e) => return Verdict::Unreadable(format!("policy is not JSON: {e}")),
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Verdict::Unreadable("policy has no Statement".into()),
    };
    let mut allowed = false;
    for (index, statement) in statements.iter().enumerate() {
        if !applies(statement, request) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => {
                let sid = statement.get("Sid").and_then(Value::as_str);
                return Verdict::Denied(
                    sid.map_or_else(|| format!("statement {}", index + 1), |s| format!("statement {s:?}")),
                );
            }
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Verdict::Allowed
    } else {
        Verdict::NotAllowed
    }
}

fn applies(statement: &Value, request: &Request) -> bool {
    principal_matches(statement, request)
        && list_matches(statement, "Action", "NotAction", request.action, true)
        && list_matches(statement, "Resource", "NotResource", request.resource, false)
        && conditions_hold(statement.get("Condition"), request)
}

fn principal_matches(statement: &Value, request: &Request) -> bool {
    let Some(principal) = statement.get("Principal") else {
        // NotPrincipal, or none at all: treat as not naming CloudWatch (conservative for
        // Allow, and NotPrincipal Deny statements are rare in topic and key policies).
        return false;
    };
    if principal == "*" {
        return true;
    }
    let names = |key: &str| strings(principal.get(key));
    names("AWS").iter().any(|p| p == "*") || names("Service").iter().any(|p| p == request.service)
}

fn list_matches(statement: &Value, key: &str, not_key: &str, value: &str, case_insensitive: bool) -> bool {
    if let Some(list) = statement.get(key) {
        strings(Some(list)).iter().any(|p| glob(p, value, case_insensitive))
    } else if let Some(list) = statement.get(not_key) {
        !strings(Some(list)).iter().any(|p| glob(p, value, case_insensitive))
    } else {
        false
    }
}

/// Conditions we can evaluate for a CloudWatch alarm acting in its own account. Any
/// other condition key is treated as not satisfied, so an Allow that depends on it is
/// not counted (we never claim a permission we cannot show) and such a Deny is
/// reported as blocking.
fn conditions_hold(condition: Option<&Value>, request: &Request) -> bool {
    let Some(Value::Object(operators)) = condition else {
        return condition.is_none();
    };
    operators.iter().all(|(operator, keys)| {
        let Value::Object(keys) = keys else { return false };
        keys.iter().all(|(key, expected)| {
            let actual = match key.to_ascii_lowercase().as_str() {
                "aws:sourceowner" | "aws:sourceaccount" => request.account,
                "aws:sourcearn" => request.source_arn,
                "aws:securetransport" => "true",
                _ => return false,
            };
            let expected = strings(Some(expected));
            let like = operator.contains("Like");
            let hit = expected
                .iter()
                .any(|e| if like { glob(e, actual, false) } else { e == actual });
            match operator.trim_end_matches("IfExists") {
                "StringEquals" | "StringLike" | "ArnEquals" | "ArnLike" | "Bool" => hit,
                "StringNotEquals" | "StringNotLike" | "ArnNotEquals" | "ArnNotLike" => !hit,
                _ => false,
            }
        })
    })
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

/// IAM wildcard match: `*` any run, `?` one character.
pub fn glob(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let fold = |s: &str| {
        if case_insensitive {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }
    };
    let (p, t): (Vec<char>, Vec<char>) = (fold(pattern).chars().collect(), fold(text).chars().collect());
    // Iterative matcher with single backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alarms";

    fn publish(policy: Value) -> Verdict {
        evaluate(
            &policy.to_string(),
            &Request {
                service: "cloudwatch.amazonaws.com",
                action: "SNS:Publish",
                resource: TOPIC,
                account: "123456789012",
                source_arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a",
            },
        )
    }

    #[test]
    fn the_default_topic_policy_lets_cloudwatch_publish() {
        let default_policy = json!({"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":TOPIC,"Condition":{"StringEquals":{"AWS:SourceOwner":"123456789012"}}}]});
        assert_eq!(publish(default_policy), Verdict::Allowed);
    }

    #[test]
    fn policies_that_do_not_let_cloudwatch_publish() {
        let other_owner = json!({"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":TOPIC,"Condition":{"StringEquals":{"AWS:SourceOwner":"999999999999"}}}]});
        assert_eq!(publish(other_owner), Verdict::NotAllowed);
        let only_s3 = json!({"Statement":{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}});
        assert_eq!(publish(only_s3), Verdict::NotAllowed);
        let deny = json!({"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"},
            {"Sid":"NoCloudWatch","Effect":"Deny","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]});
        assert_eq!(publish(deny), Verdict::Denied("statement \"NoCloudWatch\"".into()));
        assert!(matches!(
            evaluate(
                "not json",
                &Request {
                    service: "",
                    action: "",
                    resource: "",
                    account: "",
                    source_arn: ""
                }
            ),
            Verdict::Unreadable(_)
        ));
    }

    #[test]
    fn a_service_principal_grant_and_a_secure_transport_deny() {
        let policy = json!({"Statement":[
            {"Effect":"Allow","Principal":{"Service":["cloudwatch.amazonaws.com"]},"Action":"sns:Publish","Resource":TOPIC,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}}},
            {"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]});
        assert_eq!(publish(policy), Verdict::Allowed);
    }

    #[test]
    fn glob_matches_iam_wildcards() {
        assert!(glob("kms:GenerateDataKey*", "kms:GenerateDataKey", true));
        assert!(glob("kms:*", "KMS:Decrypt", true));
        assert!(glob("sns:Pub?ish", "sns:Publish", false));
        assert!(!glob("sns:Subscribe", "sns:Publish", false));
        assert!(!glob("a*b", "a", false));
    }
}
