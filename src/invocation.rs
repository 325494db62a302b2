//! What one invocation asks for: the EventBridge schedule (run with the settings), a
//! manual payload that overrides mode and dry run, or a change that can break the chain
//! (a tamper event: CloudTrail's "AWS API Call via CloudTrail" from EventBridge, alone
//! or batched in an SQS event). Anything else is refused before any AWS call, so a
//! malformed event can never change the account.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use std::collections::BTreeSet;

use crate::settings::{Mode, Scope, Settings};
use crate::tamper::{self, Change, Classified, OwnIdentity};

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
    /// The rules judged (RULES, or the payload's or command line's `rules`).
    pub rules: Vec<&'static crate::rule::Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// EventBridge "Scheduled Event"; carries the rule ARN for the logs.
    Schedule {
        rule: Option<String>,
    },
    Manual,
    Cli,
    /// Tamper events: the changes this run audits after.
    Change(Vec<Change>),
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Schedule { rule } => write!(f, "schedule {}", rule.as_deref().unwrap_or("(no rule)")),
            Trigger::Manual => f.write_str("manual"),
            Trigger::Cli => f.write_str("command line"),
            Trigger::Change(changes) => write!(f, "after {}", tamper::headline(changes)),
        }
    }
}

/// What the handler does with one invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(RunRequest),
    /// A batch from the tamper queue (an SQS event).
    Queue(QueueBatch),
    /// A change event that starts no run (a failed call, the function's own write, a
    /// call that cannot break the chain), and why.
    Ignored(String),
}

/// The tamper queue's records, read: one run for every change among them (None: no
/// record was one), and the records refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueBatch {
    pub request: Option<RunRequest>,
    pub refused: Vec<RefusedRecord>,
    /// Records that start no run, with why (message id: reason).
    pub ignored: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedRecord {
    pub message_id: String,
    pub reason: String,
}

/// Any invocation event: the tamper queue's SQS event, a change event, the schedule or
/// a manual payload.
pub fn parse_invocation(payload: &Value, settings: &Settings) -> Result<Invocation, InvocationError> {
    let own = OwnIdentity {
        role_arn: settings.function_role_arn.clone(),
        function_session: settings.function_name.clone(),
        member_remediation_role_name: settings.organization.member_remediation_role_name.clone(),
    };
    if payload.get("Records").is_some() {
        return parse_queue_batch(payload, settings, &own).map(Invocation::Queue);
    }
    if payload.get("detail-type").and_then(Value::as_str) == Some(tamper::DETAIL_TYPE) {
        return match tamper::classify(payload, &own).map(|c| in_scope(c, settings)) {
            Ok(Classified::Change(change)) => Ok(Invocation::Run(change_request(settings, vec![*change]))),
            Ok(Classified::Ignored(why)) => Ok(Invocation::Ignored(bounded_line(&why))),
            Err(e) => Err(refused(format!("CloudTrail API call event: {e}"))),
        };
    }
    parse_event(payload, settings).map(Invocation::Run)
}

#[derive(Deserialize)]
struct SqsEvent {
    #[serde(rename = "Records")]
    records: Vec<SqsRecord>,
}

#[derive(Deserialize)]
struct SqsRecord {
    #[serde(rename = "messageId")]
    message_id: String,
    body: String,
}

/// Each record on its own: one that cannot be read is refused alone (and reported back
/// to SQS as a batch item failure), the others proceed.
fn parse_queue_batch(payload: &Value, settings: &Settings, own: &OwnIdentity) -> Result<QueueBatch, InvocationError> {
    let event = SqsEvent::deserialize(payload).map_err(|e| refused(format!("SQS event: {e}")))?;
    // SQS message ids are UUIDs; anything else did not come from the queue, and would
    // be echoed unbounded into the log and the response.
    const MAX_MESSAGE_ID: usize = 128;
    if let Some(r) = event
        .records
        .iter()
        .find(|r| r.message_id.len() > MAX_MESSAGE_ID || r.message_id.chars().any(char::is_control))
    {
        return Err(refused(format!(
            "SQS event: a messageId of {} characters (or with control characters) is not a queue message id",
            r.message_id.chars().count()
        )));
    }
    let mut changes = Vec::new();
    let mut batch = QueueBatch {
        request: None,
        refused: Vec::new(),
        ignored: Vec::new(),
    };
    for record in event.records {
        let classified = serde_json::from_str::<Value>(&record.body)
            .map_err(|e| format!("body is not JSON: {e}"))
            .and_then(|body| tamper::classify(&body, own))
            .map(|c| in_scope(c, settings));
        match classified {
            Ok(Classified::Change(change)) => changes.push(*change),
            Ok(Classified::Ignored(why)) => batch
                .ignored
                .push(bounded_line(&format!("{}: {why}", record.message_id))),
            Err(reason) => batch.refused.push(RefusedRecord {
                reason: refused(format!("SQS record {}: {reason}", record.message_id)).0,
                message_id: record.message_id,
            }),
        }
    }
    if !changes.is_empty() {
        batch.request = Some(change_request(settings, changes));
    }
    Ok(batch)
}

/// A change in an account the organization audit leaves out (EXCLUDE_ACCOUNTS) starts
/// no run: that audit would report no account at all.
fn in_scope(classified: Classified, settings: &Settings) -> Classified {
    match classified {
        Classified::Change(c)
            if settings.scope == Scope::Organization && settings.organization.exclude_accounts.contains(&c.account) =>
        {
            Classified::Ignored(format!(
                "{} was made in account {}, which EXCLUDE_ACCOUNTS leaves out",
                c.event_name, c.account
            ))
        }
        other => other,
    }
}

/// One run after these changes, with the settings' mode: in organization scope, of the
/// accounts the changes were made in and no other.
fn change_request(settings: &Settings, changes: Vec<Change>) -> RunRequest {
    let accounts: BTreeSet<String> = changes.iter().map(|c| c.account.clone()).collect();
    let mut request = RunRequest::from_settings(settings, Trigger::Change(changes));
    if settings.scope == Scope::Organization {
        request.accounts = Some(accounts);
    }
    request
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
            rules: settings.rules.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid invocation event: {0}. Expected an EventBridge Scheduled Event (source aws.events), an \"AWS API Call via CloudTrail\" event (alone or in the tamper queue's SQS event) or a manual payload such as {{\"mode\": \"audit\"}}, {{\"mode\": \"remediate\", \"dry_run\": true}}, {{\"mode\": \"audit\", \"scope\": \"organization\"}}, {{\"mode\": \"audit\", \"accounts\": [\"111111111111\"]}} or {{\"mode\": \"audit\", \"rules\": [\"all\"]}}")]
pub struct InvocationError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualPayload {
    mode: Option<Mode>,
    dry_run: Option<bool>,
    scope: Option<Scope>,
    accounts: Option<Vec<String>>,
    /// Rule ids, or `["all"]`.
    rules: Option<Vec<String>>,
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
    let rules = match manual.rules {
        None => settings.rules.clone(),
        Some(ids) if ids.is_empty() => {
            return Err(refused(
                "manual payload: rules is empty; leave it out to judge the RULES setting's rules".into(),
            ))
        }
        Some(ids) => {
            crate::settings::rule_list(&ids.join(",")).map_err(|e| refused(format!("manual payload: rules: {e}")))?
        }
    };
    Ok(RunRequest {
        mode: manual.mode.unwrap_or(settings.mode),
        dry_run: manual.dry_run.unwrap_or(settings.dry_run),
        trigger: Trigger::Manual,
        scope,
        accounts,
        deadline: None,
        rules,
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
    InvocationError(bounded_line(&message))
}

/// `message` as one line of bounded length, whatever the payload put in it.
fn bounded_line(message: &str) -> String {
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
    line
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
            include_str!("../events/audit-all-rules.json"),
        ] {
            parse_event(&serde_json::from_str(file).unwrap(), &s).unwrap();
        }
    }

    #[test]
    fn a_manual_payload_names_the_rules_of_its_run() {
        let s = Settings::default();
        let ids = |r: &RunRequest| r.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(&parse_event(&json!({}), &s).unwrap()), ["iam-policy-changes"]);
        let r = parse_event(&json!({"rules": ["root-usage", "iam-policy-changes"]}), &s).unwrap();
        assert_eq!(ids(&r), ["root-usage", "iam-policy-changes"]);
        let r = parse_event(
            &serde_json::from_str(include_str!("../events/audit-all-rules.json")).unwrap(),
            &s,
        )
        .unwrap();
        assert_eq!(r.rules.len(), 15);
        for (payload, message) in [
            (json!({"rules": []}), "manual payload: rules is empty"),
            (
                json!({"rules": ["nope"]}),
                "manual payload: rules: \"nope\" is not a rule",
            ),
            (
                json!({"rules": "all"}),
                "manual payload: invalid type: string \"all\", expected a sequence",
            ),
        ] {
            let e = parse_event(&payload, &s).unwrap_err().to_string();
            assert!(e.starts_with(&format!("invalid invocation event: {message}")), "{e}");
        }
        // The schedule and tamper events judge the RULES setting's rules.
        let every = Settings {
            rules: crate::rule::all().iter().collect(),
            ..Settings::default()
        };
        assert_eq!(parse_event(&schedule(), &every).unwrap().rules.len(), 15);
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

    fn delete_alarms() -> Value {
        serde_json::from_str(include_str!("../events/tamper-delete-alarms.json")).unwrap()
    }

    fn sqs(bodies: &[String]) -> Value {
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| json!({"messageId": format!("m{i}"), "eventSource": "aws:sqs", "body": body}))
            .collect();
        json!({ "Records": records })
    }

    #[test]
    fn a_change_event_runs_one_audit_with_the_settings() {
        let settings = Settings {
            mode: Mode::Remediate,
            ..Settings::default()
        };
        let Invocation::Run(request) = parse_invocation(&delete_alarms(), &settings).unwrap() else {
            panic!("no run")
        };
        assert_eq!(
            (request.mode, request.scope, request.accounts),
            (Mode::Remediate, Scope::Account, None)
        );
        assert!(matches!(&request.trigger, Trigger::Change(c) if c.len() == 1 && c[0].event_name == "DeleteAlarms"));
        let mut failed = delete_alarms();
        failed["detail"]["errorCode"] = json!("AccessDenied");
        assert!(matches!(
            parse_invocation(&failed, &settings),
            Ok(Invocation::Ignored(_))
        ));
        let mut broken = delete_alarms();
        broken["detail"] = json!(null);
        let e = parse_invocation(&broken, &settings).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid invocation event: CloudTrail API call event: detail is missing"),
            "{e}"
        );
    }

    #[test]
    fn a_queue_batch_is_one_run_and_a_bad_record_is_refused_alone() {
        let settings = Settings {
            scope: Scope::Organization,
            function_role_arn: Some("arn:aws:iam::123456789012:role/fn".into()),
            ..Settings::default()
        };
        let mut other_account = delete_alarms();
        other_account["account"] = json!("222222222222");
        other_account["detail"]["recipientAccountId"] = json!("222222222222");
        // Remediation's own call with the function's role: ignored.
        let mut ours = delete_alarms();
        ours["detail"]["eventName"] = json!("PutMetricAlarm");
        ours["detail"]["userIdentity"]["sessionContext"] =
            json!({"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/fn"}});
        let bodies = [
            delete_alarms().to_string(),
            "{not json".to_string(),
            other_account.to_string(),
            ours.to_string(),
            json!({"detail-type": "AWS API Call via CloudTrail"}).to_string(),
        ];
        let Invocation::Queue(batch) = parse_invocation(&sqs(&bodies), &settings).unwrap() else {
            panic!("not a batch")
        };
        let request = batch.request.unwrap();
        assert!(matches!(&request.trigger, Trigger::Change(c) if c.len() == 2));
        // Organization scope: the accounts the changes were made in, and no other.
        assert_eq!(
            request.accounts.unwrap().into_iter().collect::<Vec<_>>(),
            ["123456789012", "222222222222"]
        );
        let refused: Vec<&str> = batch.refused.iter().map(|r| r.message_id.as_str()).collect();
        assert_eq!(refused, ["m1", "m4"]);
        assert!(
            batch.refused[0].reason.contains("SQS record m1: body is not JSON"),
            "{:?}",
            batch.refused
        );
        assert!(
            batch.refused[1].reason.contains("source is missing"),
            "{:?}",
            batch.refused
        );
        assert!(batch.refused.iter().all(|r| !r.reason.contains('\n')));
        assert_eq!(batch.ignored.len(), 1);
        assert!(batch.ignored[0].starts_with("m3: PutMetricAlarm was made by this function's own role"));
        // An account the organization audit leaves out: ignored.
        let excluding = Settings {
            organization: crate::settings::OrganizationSettings {
                exclude_accounts: ["222222222222".to_string()].into(),
                ..Default::default()
            },
            ..settings.clone()
        };
        let Invocation::Queue(batch) = parse_invocation(&sqs(&[other_account.to_string()]), &excluding).unwrap() else {
            panic!()
        };
        assert_eq!(batch.request, None);
        assert!(
            batch.ignored[0].ends_with("account 222222222222, which EXCLUDE_ACCOUNTS leaves out"),
            "{:?}",
            batch.ignored
        );
        // Nothing to audit: no run.
        let Invocation::Queue(batch) = parse_invocation(&sqs(&[ours.to_string()]), &settings).unwrap() else {
            panic!()
        };
        assert_eq!(batch.request, None);
        // A malformed envelope: the whole invocation is refused.
        let e = parse_invocation(&json!({"Records": [{"body": "x"}]}), &settings)
            .unwrap_err()
            .to_string();
        assert!(e.contains("SQS event: missing field `messageId`"), "{e}");
        let long = json!({"Records": [{"messageId": "x".repeat(10_000), "body": "{}"}]});
        let e = parse_invocation(&long, &settings).unwrap_err().to_string();
        assert!(e.contains("is not a queue message id") && e.len() < 1024, "{e}");
    }
}
