//! What one invocation asks for: the EventBridge schedule (run with the settings) or a
//! manual payload that overrides mode and dry run. Anything else is refused before any
//! AWS call, so a malformed event can never change the account.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use std::collections::BTreeSet;

use crate::settings::{Mode, Scope, Settings};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRequest {
    pub mode: Mode,
    pub dry_run: bool,
    pub trigger: Trigger,
    pub scope: Scope,
    /// With organization scope: only these accounts of the organization (None: all).
    pub accounts: Option<BTreeSet<String>>,
    /// When the invocation must be done by (Lambda's deadline); None on the command line.
    pub deadline: Option<std::time::SystemTime>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// EventBridge "Scheduled Event"; carries the rule ARN for the logs.
    Schedule {
        rule: Option<String>,
    },
    Manual,
    Cli,
}

impl RunRequest {
    pub fn from_settings(settings: &Settings, trigger: Trigger) -> Self {
        RunRequest {
            mode: settings.mode,
            dry_run: settings.dry_run,
            trigger,
            scope: settings.scope,
            accounts: None,
            deadline: None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid invocation event: {0}. Expected an EventBridge Scheduled Event (source aws.events) or a manual payload such as {{\"mode\": \"audit\"}}, {{\"mode\": \"remediate\", \"dry_run\": true}}, {{\"mode\": \"audit\", \"scope\": \"organization\"}} or {{\"mode\": \"audit\", \"accounts\": [\"111111111111\"]}}")]
pub struct InvocationError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualPayload {
    mode: Option<Mode>,
    dry_run: Option<bool>,
    scope: Option<Scope>,
    accounts: Option<Vec<String>>,
}

pub fn parse_event(payload: &Value, settings: &Settings) -> Result<RunRequest, InvocationError> {
    let Value::Object(fields) = payload else {
        return Err(InvocationError(format!("got {}", json_kind(payload))));
    };
    if fields.contains_key("source") || fields.contains_key("detail-type") {
        return parse_scheduled(payload, settings);
    }
    let manual = ManualPayload::deserialize(payload).map_err(|e| refused(format!("manual payload: {e}")))?;
    // A list of accounts is a part of the organization: organization scope.
    let accounts = manual
        .accounts
        .map(|list| {
            if list.is_empty() {
                return Err(refused(
                    "manual payload: accounts is empty; leave it out to audit every account".into(),
                ));
            }
            crate::settings::account_list(&list.join(","))
                .map_err(|e| refused(format!("manual payload: accounts: {e}")))
        })
        .transpose()?;
    let scope = match (manual.scope, &accounts) {
        (Some(Scope::Account), Some(_)) => {
            return Err(refused(
                "manual payload: accounts names accounts of the organization, so scope cannot be account".into(),
            ))
        }
        (_, Some(_)) => Scope::Organization,
        (scope, None) => scope.unwrap_or(settings.scope),
    };
    Ok(RunRequest {
        mode: manual.mode.unwrap_or(settings.mode),
        dry_run: manual.dry_run.unwrap_or(settings.dry_run),
        trigger: Trigger::Manual,
        scope,
        accounts,
        deadline: None,
    })
}

fn parse_scheduled(payload: &Value, settings: &Settings) -> Result<RunRequest, InvocationError> {
    let event =
        EventBridgeEvent::<Value>::deserialize(payload).map_err(|e| refused(format!("EventBridge event: {e}")))?;
    let source = event.source.as_str();
    if source != "aws.events" || event.detail_type != "Scheduled Event" {
        return Err(refused(format!(
            "EventBridge event with source {source:?} and detail-type {:?} is not a Scheduled Event from aws.events",
            event.detail_type
        )));
    }
    Ok(RunRequest::from_settings(
        settings,
        Trigger::Schedule {
            rule: event.resources.and_then(|r| r.into_iter().next()),
        },
    ))
}

/// The error for a refused payload. Serde's messages quote the payload's own values:
/// control characters are escaped and the text is cut, so whatever was sent, the error
/// (and the log line that carries it) stays one line of bounded length.
fn refused(message: String) -> InvocationError {
    const MAX_CHARS: usize = 300;
    let mut line = String::new();
    for c in message.chars().take(MAX_CHARS) {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    if message.chars().nth(MAX_CHARS).is_some() {
        line.push_str("… (cut)");
    }
    InvocationError(line)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schedule() -> Value {
        serde_json::from_str(include_str!("../events/schedule.json")).unwrap()
    }

    #[test]
    fn the_schedule_runs_with_the_settings() {
        let settings = Settings {
            mode: Mode::Remediate,
            dry_run: true,
            ..Settings::default()
        };
        let request = parse_event(&schedule(), &settings).unwrap();
        assert_eq!(request.mode, Mode::Remediate);
        assert!(request.dry_run);
        assert!(matches!(request.trigger, Trigger::Schedule { rule: Some(r) } if r.contains(":rule/")));
    }

    #[test]
    fn manual_payloads_override_the_settings() {
        let s = Settings::default();
        let r = parse_event(&json!({"mode": "remediate", "dry_run": true}), &s).unwrap();
        assert_eq!((r.mode, r.dry_run, r.trigger), (Mode::Remediate, true, Trigger::Manual));
        let r = parse_event(&json!({}), &s).unwrap();
        assert_eq!((r.mode, r.dry_run), (Mode::Audit, false));
        for file in [
            include_str!("../events/audit.json"),
            include_str!("../events/remediate.json"),
            include_str!("../events/remediate-dry-run.json"),
        ] {
            parse_event(&serde_json::from_str(file).unwrap(), &s).unwrap();
        }
    }

    #[test]
    fn anything_else_is_refused_with_what_was_expected() {
        let s = Settings::default();
        let mut other_rule = schedule();
        other_rule["source"] = json!("aws.s3");
        for (payload, says) in [
            (json!(null), "got null"),
            (json!("audit"), "got a string"),
            (json!([1, 2]), "got an array"),
            (
                json!({"mode": "fix"}),
                "unknown variant `fix`, expected `audit` or `remediate`",
            ),
            (json!({"mode": "audit", "force": true}), "unknown field `force`"),
            (
                json!({"dry_run": "yes"}),
                "invalid type: string \"yes\", expected a boolean",
            ),
            (other_rule, "source \"aws.s3\""),
            (
                json!({"source": "aws.events"}),
                "EventBridge event: missing field `detail-type`",
            ),
        ] {
            let err = parse_event(&payload, &s).unwrap_err().to_string();
            assert!(err.contains(says), "{payload}: {err}");
            assert!(err.contains("Expected an EventBridge Scheduled Event"), "{err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn organization_payloads() {
        let settings = Settings::default();
        let r = parse_event(&json!({"mode": "audit", "scope": "organization"}), &settings).unwrap();
        assert_eq!((r.scope, r.accounts), (Scope::Organization, None));
        let r = parse_event(
            &json!({"mode": "audit", "accounts": ["111111111111", "222222222222"]}),
            &settings,
        )
        .unwrap();
        assert_eq!(r.scope, Scope::Organization);
        assert_eq!(r.accounts.unwrap().len(), 2);
        for (payload, says) in [
            (json!({"accounts": []}), "accounts is empty"),
            (json!({"accounts": ["12"]}), "\"12\" is not a 12-digit account id"),
            (
                json!({"scope": "account", "accounts": ["111111111111"]}),
                "scope cannot be account",
            ),
            (json!({"scope": "org"}), "unknown variant `org`"),
        ] {
            let e = parse_event(&payload, &settings).unwrap_err().to_string();
            assert!(e.contains(says), "{payload}: {e}");
        }
    }
}
