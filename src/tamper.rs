//! Tamper events: CloudTrail's record of an API call that can break the chain, as
//! EventBridge delivers it ("AWS API Call via CloudTrail"), read into what the report
//! says of the change. The template's rule matches the same calls (a test compares
//! them); the handler checks again, so a call that failed or that the function made
//! itself never starts a run, whatever the rule lets through. Pure.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// One service's calls that can break a link of the chain.
pub struct WatchedService {
    /// The EventBridge `source` of its CloudTrail events.
    pub source: &'static str,
    /// CloudTrail's `eventSource`.
    pub event_source: &'static str,
    pub calls: &'static [&'static str],
}

/// Advanced event selectors are written with PutEventSelectors too: CloudTrail has no
/// PutAdvancedEventSelectors call.
pub const WATCHED: [WatchedService; 5] = [
    WatchedService {
        source: "aws.cloudtrail",
        event_source: "cloudtrail.amazonaws.com",
        // StartLogging restores: the report can say how long logging was stopped.
        calls: &[
            "StopLogging",
            "StartLogging",
            "DeleteTrail",
            "UpdateTrail",
            "PutEventSelectors",
        ],
    },
    WatchedService {
        source: "aws.logs",
        event_source: "logs.amazonaws.com",
        // A transformer rewrites what a filter on transformed logs sees.
        calls: &[
            "DeleteMetricFilter",
            "PutMetricFilter",
            "DeleteLogGroup",
            "PutTransformer",
            "DeleteTransformer",
        ],
    },
    WatchedService {
        source: "aws.monitoring",
        event_source: "monitoring.amazonaws.com",
        calls: &[
            "DeleteAlarms",
            "PutMetricAlarm",
            "DisableAlarmActions",
            "EnableAlarmActions",
            "PutCompositeAlarm",
            // A mute rule silences the alarm's actions on a schedule; its deletion ends that.
            "PutAlarmMuteRule",
            "DeleteAlarmMuteRule",
        ],
    },
    WatchedService {
        source: "aws.sns",
        event_source: "sns.amazonaws.com",
        calls: &[
            "DeleteTopic",
            "Unsubscribe",
            "SetTopicAttributes",
            "SetSubscriptionAttributes",
        ],
    },
    WatchedService {
        source: "aws.kms",
        event_source: "kms.amazonaws.com",
        calls: &["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"],
    },
];

/// The requestParameters that name a resource (or which attribute was set), the only
/// ones the report carries: values such as a policy document or a subscription's
/// endpoint stay out of findings that go to email.
const RESOURCE_PARAMETERS: [&str; 10] = [
    "name",
    "trailName",
    "logGroupName",
    "filterName",
    "alarmName",
    "alarmNames",
    "topicArn",
    "subscriptionArn",
    "attributeName",
    "keyId",
];

/// At most this many characters of a name, and names of a list, in the report.
const MAX_NAME_CHARS: usize = 256;
const MAX_NAMES: usize = 20;
const MAX_TEXT_CHARS: usize = 2048;

/// A call that can break the chain, as the report's `trigger` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// CloudTrail's eventID: how the event is looked up in the event history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub event_name: String,
    pub event_source: String,
    /// Who made the call: only once CloudTrail's event history confirmed the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// Who the event says made the call, while the event is not confirmed: anyone who
    /// can invoke the function can make one up, so it is never the report's attribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_actor: Option<Actor>,
    pub confirmation: Confirmation,
    pub event_time: Option<String>,
    pub source_ip: Option<String>,
    pub account: String,
    pub region: String,
    /// The resource names from requestParameters.
    pub request: BTreeMap<String, Names>,
}

/// A requestParameters value that names resources: one name, or a list of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl std::fmt::Display for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Names::One(name) => f.write_str(name),
            Names::Many(names) => write!(f, "[{}]", names.join(", ")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub arn: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Whether CloudTrail's own record of the event (LookupEvents by its eventID, in the
/// account and region it names) says what the event says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Confirmation {
    /// The event history holds the event, with the same call, caller, account and region.
    Confirmed,
    /// Not looked up, not found (yet: the event history can lag behind EventBridge), or
    /// the history could not be read.
    Unconfirmed { why: String },
    /// The event history holds an event of that id that says otherwise: made up.
    Contradicted { why: String },
}

impl Change {
    /// "DeleteAlarms by arn:aws:iam::123456789012:user/mallory" once confirmed; else
    /// the call alone, and why nobody is named. For subjects and logs.
    pub fn headline(&self) -> String {
        match (&self.confirmation, &self.actor) {
            (Confirmation::Confirmed, Some(actor)) => {
                let who = actor.arn.as_deref().or(actor.kind.as_deref()).unwrap_or("unknown");
                format!("{} by {who}", self.event_name)
            }
            (Confirmation::Contradicted { .. }, _) => {
                format!("{} (a made-up event: CloudTrail records otherwise)", self.event_name)
            }
            _ => format!("{} (caller unconfirmed)", self.event_name),
        }
    }

    /// Records what the event history said: a confirmed event names its caller.
    pub fn confirm(&mut self, confirmation: Confirmation) {
        if confirmation == Confirmation::Confirmed {
            self.actor = self.claimed_actor.take();
        }
        self.confirmation = confirmation;
    }
}

/// What CloudTrail's event history says of `change`, from its record of the event's id
/// (`recorded`: Ok(None) when the history has no event of that id; Err when it could
/// not be read).
pub fn confirmation(change: &Change, recorded: Result<Option<&Value>, String>) -> Confirmation {
    let Some(id) = &change.event_id else {
        return Confirmation::Unconfirmed {
            why: "the event carries no eventID to look up".into(),
        };
    };
    let record = match recorded {
        Err(e) => {
            return Confirmation::Unconfirmed {
                why: format!("CloudTrail's event history could not be read: {e}"),
            }
        }
        Ok(None) => {
            return Confirmation::Unconfirmed {
                why: format!(
                    "event {id} is not in CloudTrail's event history of account {} in {} (not yet, or never made)",
                    change.account, change.region
                ),
            }
        }
        Ok(Some(record)) => record,
    };
    let claimed_arn = change.claimed_actor.as_ref().and_then(|a| a.arn.as_deref());
    let fields = [
        ("eventName", Some(change.event_name.as_str())),
        ("eventSource", Some(change.event_source.as_str())),
        ("userIdentity.arn", claimed_arn),
        ("recipientAccountId", Some(change.account.as_str())),
        ("awsRegion", Some(change.region.as_str())),
    ];
    for (field, claimed) in fields {
        let value = field.split('.').fold(record, |at, key| &at[key]).as_str();
        if value != claimed {
            return Confirmation::Contradicted {
                why: format!(
                    "CloudTrail's record of event {id} has {field} {}, the event said {}",
                    value.unwrap_or("(none)"),
                    claimed.unwrap_or("(none)")
                ),
            };
        }
    }
    Confirmation::Confirmed
}

/// The first change's headline, and how many more there were.
pub fn headline<'a>(changes: impl IntoIterator<Item = &'a Change>) -> String {
    let mut changes = changes.into_iter();
    let Some(first) = changes.next() else {
        return "no change".into();
    };
    match changes.count() {
        0 => first.headline(),
        more => format!(
            "{} and {more} more change{}",
            first.headline(),
            if more == 1 { "" } else { "s" }
        ),
    }
}

/// Calls that by themselves break or silence the chain: each is a finding of its own,
/// published whatever the audit after it says (undone before the audit, it still left
/// a window in which a policy change told nobody).
pub const BREAKING: [&str; 11] = [
    "StopLogging",
    "DeleteTrail",
    "DeleteMetricFilter",
    "DeleteLogGroup",
    "DeleteAlarms",
    "DisableAlarmActions",
    "PutAlarmMuteRule",
    "DeleteTopic",
    "Unsubscribe",
    "DisableKey",
    "ScheduleKeyDeletion",
];

/// The calls that undo one of [`BREAKING`]: (breaking call, restoring call).
pub const RESTORES: [(&str, &str); 2] = [
    ("StopLogging", "StartLogging"),
    ("DisableAlarmActions", "EnableAlarmActions"),
];

impl Change {
    /// This call is of a kind that by itself breaks or silences a chain.
    pub fn breaks(&self) -> bool {
        BREAKING.contains(&self.event_name.as_str())
    }

    /// The resource names of its request, and the last segment of each (a trail's name
    /// from its ARN, a key id from a key ARN, a topic from a subscription ARN's prefix).
    fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for names in self.request.values() {
            let all = match names {
                Names::One(n) => std::slice::from_ref(n),
                Names::Many(ns) => ns.as_slice(),
            };
            for n in all {
                out.push(n.clone());
                let last = n.rsplit(['/', ':']).next().unwrap_or(n);
                out.push(last.to_string());
                // arn:aws:sns:<region>:<account>:<topic>:<subscription id>
                if let Some((topic, _)) = n
                    .rsplit_once(':')
                    .filter(|_| n.starts_with("arn:") && n.contains(":sns:"))
                {
                    out.push(topic.to_string());
                }
            }
        }
        out.retain(|n| n.len() >= 3);
        out
    }

    /// Does it touch a resource `chain` (what the audit reported of the chain) names?
    /// Without resource names in the request it cannot be told apart: it does.
    pub fn touches(&self, chain: &str) -> bool {
        let names = self.names();
        names.is_empty() || names.iter().any(|n| chain.contains(n.as_str()))
    }
}

/// A break and, when the same batch holds it, the call that undid it: the window in
/// which policy changes told nobody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub broken_by: String,
    pub broken_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_at: Option<String>,
}

/// At most this many distinct windows are reported (every change stays in the trigger):
/// a burst of breaking calls cannot grow the message past what SNS takes.
pub const MAX_WINDOWS: usize = 10;

/// The breaking calls among `changes` that touch the chain (`chain`: what the audit
/// reported of it), each with the later call of the batch that undid it (same account
/// and region, a resource name in common), if any; distinct, at most [`MAX_WINDOWS`].
pub fn windows(changes: &[Change], chain: &str) -> Vec<Window> {
    let mut found: Vec<Window> = Vec::new();
    let all = changes.iter().filter(|c| c.breaks() && c.touches(chain)).map(|broke| {
        let undo = RESTORES.iter().find(|(b, _)| *b == broke.event_name).map(|(_, r)| *r);
        let broke_names = broke.names();
        let restored = changes.iter().find(|c| {
            Some(c.event_name.as_str()) == undo
                && c.account == broke.account
                && c.region == broke.region
                && (broke_names.is_empty() || c.names().iter().any(|n| broke_names.contains(n)))
                && c.event_time >= broke.event_time
        });
        Window {
            broken_by: broke.headline(),
            broken_at: broke.event_time.clone(),
            restored_by: restored.map(Change::headline),
            restored_at: restored.and_then(|r| r.event_time.clone()),
        }
    });
    for window in all {
        if found.len() == MAX_WINDOWS {
            break;
        }
        if !found.contains(&window) {
            found.push(window);
        }
    }
    found
}

/// Whose writes are the function's own: they never start a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnIdentity {
    /// The function's role (FUNCTION_ROLE_ARN).
    pub role_arn: Option<String>,
    /// The function's name, which Lambda gives the sessions of the function's role: a
    /// session of that role under another name (another function given the role) is
    /// not this function. None (outside Lambda): the role alone.
    pub function_session: Option<String>,
    /// The role remediation assumes in the organization's other accounts.
    pub member_remediation_role_name: Option<String>,
}

/// The watched calls remediation makes: the only ones its own roles' events may skip.
pub const OWN_CALLS: [&str; 2] = ["PutMetricFilter", "PutMetricAlarm"];

impl OwnIdentity {
    /// A call remediation makes, made in this function's session of its role (the
    /// session Lambda names after the function), or with the remediation role the
    /// member stack creates in the very account the call changed
    /// (`arn:<partition>:iam::<that account>:role/<name>`, no path): a role that only
    /// shares the name, in another account or under a path, or the function's role in
    /// another function's session, is not this tool.
    fn made(&self, issuer_arn: &str, session_arn: Option<&str>, account: &str, event_name: &str) -> bool {
        if !OWN_CALLS.contains(&event_name) {
            return false;
        }
        if self.role_arn.as_deref() == Some(issuer_arn) {
            let session = session_arn.and_then(|a| a.rsplit('/').next());
            return self.function_session.is_none() || session == self.function_session.as_deref();
        }
        let Some(name) = &self.member_remediation_role_name else {
            return false;
        };
        let parts: Vec<&str> = issuer_arn.splitn(6, ':').collect();
        matches!(parts[..], ["arn", _, "iam", "", owner, resource]
            if owner == account && resource.strip_prefix("role/") == Some(name.as_str()))
    }
}

/// What an event is to the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classified {
    /// A call that can break the chain: audit.
    Change(Box<Change>),
    /// A well-formed event that starts no run, and why.
    Ignored(String),
}

/// Reads an EventBridge event. Err: not a CloudTrail API call event (one line, what is
/// wrong and where).
pub fn classify(event: &Value, own: &OwnIdentity) -> Result<Classified, String> {
    let text = |v: &Value, path: &str| -> Result<String, String> {
        v.as_str()
            .map(String::from)
            .ok_or_else(|| format!("{path} is missing or not a string"))
    };
    if !event.is_object() {
        return Err("not a JSON object".into());
    }
    let detail_type = text(&event["detail-type"], "detail-type")?;
    if detail_type != DETAIL_TYPE {
        return Err(format!("detail-type {detail_type:?} is not {DETAIL_TYPE:?}"));
    }
    let source = text(&event["source"], "source")?;
    let region = text(&event["region"], "region")?;
    let detail = &event["detail"];
    if !detail.is_object() {
        return Err("detail is missing or not an object".into());
    }
    // The account whose resource the call changed: CloudTrail's recipientAccountId,
    // which stays the member's when a member's rule forwards the event; else the
    // envelope's.
    let (account, path) = match detail["recipientAccountId"].as_str() {
        Some(a) => (a.to_string(), "detail.recipientAccountId"),
        None => (text(&event["account"], "account")?, "account"),
    };
    if !crate::arn::is_account_id(&account) {
        return Err(format!("{path} {account:?} is not a 12-digit account id"));
    }
    let event_name = text(&detail["eventName"], "detail.eventName")?;
    let event_source = text(&detail["eventSource"], "detail.eventSource")?;
    let identity = &detail["userIdentity"];
    let issuer = identity["sessionContext"]["sessionIssuer"]["arn"].as_str();
    let watched = WATCHED
        .iter()
        .any(|s| s.source == source && s.event_source == event_source && s.calls.contains(&event_name.as_str()));
    if !watched {
        return Ok(Classified::Ignored(format!(
            "{event_name} from {event_source} cannot break the chain"
        )));
    }
    if let Some(code) = detail.get("errorCode").filter(|c| !c.is_null()) {
        return Ok(Classified::Ignored(format!(
            "{event_name} failed ({}), so it changed nothing",
            code.as_str().unwrap_or("an error")
        )));
    }
    if let Some(issuer) = issuer.filter(|i| own.made(i, identity["arn"].as_str(), &account, &event_name)) {
        return Ok(Classified::Ignored(format!(
            "{event_name} was made by this function's own role {issuer}"
        )));
    }
    let request = detail["requestParameters"]
        .as_object()
        .map(|params| {
            params
                .iter()
                .filter(|(k, _)| RESOURCE_PARAMETERS.contains(&k.as_str()))
                .filter_map(|(k, v)| bounded_names(v).map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Classified::Change(Box::new(Change {
        event_id: detail["eventID"].as_str().map(bounded),
        event_name,
        event_source,
        actor: None,
        claimed_actor: Some(Actor {
            arn: identity["arn"].as_str().map(bounded),
            kind: identity["type"].as_str().map(bounded),
        }),
        confirmation: Confirmation::Unconfirmed {
            why: "not looked up in CloudTrail's event history".into(),
        },
        event_time: detail["eventTime"].as_str().or(event["time"].as_str()).map(bounded),
        source_ip: detail["sourceIPAddress"].as_str().map(bounded),
        account,
        region: bounded(&region),
        request,
    })))
}

/// A text of the event as the report carries it: an ARN's length at most (2,048).
fn bounded(s: &str) -> String {
    s.chars().take(MAX_TEXT_CHARS).collect()
}

/// A name or a list of names, cut to bounded size; anything else is left out.
fn bounded_names(value: &Value) -> Option<Names> {
    let cut = |s: &str| s.chars().take(MAX_NAME_CHARS).collect::<String>();
    match value {
        Value::String(s) => Some(Names::One(cut(s))),
        Value::Array(items) => Some(Names::Many(
            items
                .iter()
                .filter_map(Value::as_str)
                .take(MAX_NAMES)
                .map(cut)
                .collect(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(file: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap())
            .unwrap()
    }

    fn own() -> OwnIdentity {
        OwnIdentity {
            role_arn: Some("arn:aws:iam::123456789012:role/iam-policy-alarm-FunctionRole-ABC".into()),
            function_session: Some("iam-policy-alarm".into()),
            member_remediation_role_name: Some("iam-policy-alarm-remediate".into()),
        }
    }

    #[test]
    fn the_samples_are_changes_whose_caller_is_named_once_confirmed() {
        let Classified::Change(mut change) = classify(&sample("tamper-delete-alarms.json"), &own()).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(change.headline(), "DeleteAlarms (caller unconfirmed)");
        assert_eq!(change.actor, None, "a claim is never the attribution");
        assert_eq!(change.event_id.as_deref(), Some("0f8e2c4a-7b6d-4e3f-8a9b-1c2d3e4f5a6b"));
        change.confirm(Confirmation::Confirmed);
        assert_eq!(
            change.headline(),
            "DeleteAlarms by arn:aws:iam::123456789012:user/mallory"
        );
        assert_eq!(change.actor.as_ref().and_then(|a| a.kind.as_deref()), Some("IAMUser"));
        assert_eq!(change.event_source, "monitoring.amazonaws.com");
        assert_eq!(
            change.request["alarmNames"],
            Names::Many(vec!["IAMAuthorizationActivityAlarm".into()])
        );
        assert_eq!(change.account, "123456789012");
        assert!(change.source_ip.is_some() && change.event_time.is_some());
        let Classified::Change(change) = classify(&sample("tamper-stop-logging.json"), &own()).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(change.event_name, "StopLogging");
        assert!(change.request.contains_key("name"));
    }

    /// The event's own record in CloudTrail's event history decides: the same call,
    /// caller, account and region confirm it; any difference is a made-up event; no
    /// record, or no history to read, leaves it unconfirmed.
    #[test]
    fn an_event_is_confirmed_only_by_cloudtrails_own_record_of_it() {
        let event = sample("tamper-delete-alarms.json");
        let Classified::Change(change) = classify(&event, &own()).unwrap() else {
            panic!("not a change")
        };
        let record = event["detail"].clone();
        assert_eq!(confirmation(&change, Ok(Some(&record))), Confirmation::Confirmed);
        for (field, value) in [
            ("eventName", json!("PutMetricAlarm")),
            ("eventSource", json!("logs.amazonaws.com")),
            ("recipientAccountId", json!("222222222222")),
            ("awsRegion", json!("eu-west-1")),
        ] {
            let mut other = record.clone();
            other[field] = value;
            let Confirmation::Contradicted { why } = confirmation(&change, Ok(Some(&other))) else {
                panic!("{field}: not contradicted")
            };
            assert!(why.contains(field), "{why}");
        }
        let mut someone_else = record.clone();
        someone_else["userIdentity"]["arn"] = json!("arn:aws:iam::123456789012:user/alice");
        let Confirmation::Contradicted { why } = confirmation(&change, Ok(Some(&someone_else))) else {
            panic!("another caller: not contradicted")
        };
        assert_eq!(why, "CloudTrail's record of event 0f8e2c4a-7b6d-4e3f-8a9b-1c2d3e4f5a6b has userIdentity.arn arn:aws:iam::123456789012:user/alice, the event said arn:aws:iam::123456789012:user/mallory");
        let Confirmation::Unconfirmed { why } = confirmation(&change, Ok(None)) else {
            panic!("no record: not unconfirmed")
        };
        assert!(
            why.contains("is not in CloudTrail's event history of account 123456789012 in us-east-1"),
            "{why}"
        );
        assert!(
            matches!(confirmation(&change, Err("throttled".into())), Confirmation::Unconfirmed { why } if why.ends_with("throttled"))
        );
        let mut no_id = change.clone();
        no_id.event_id = None;
        assert!(matches!(
            confirmation(&no_id, Ok(Some(&record))),
            Confirmation::Unconfirmed { .. }
        ));
        // A made-up event is never attributed.
        let mut made_up = (*change).clone();
        made_up.confirm(confirmation(&change, Ok(Some(&someone_else))));
        assert_eq!(made_up.actor, None);
        assert_eq!(
            made_up.headline(),
            "DeleteAlarms (a made-up event: CloudTrail records otherwise)"
        );
    }

    #[test]
    fn failed_calls_our_own_writes_and_other_calls_are_ignored() {
        let base = sample("tamper-delete-alarms.json");
        let mut failed = base.clone();
        failed["detail"]["errorCode"] = json!("AccessDenied");
        let mut ours = base.clone();
        ours["detail"]["eventName"] = json!("PutMetricAlarm");
        ours["detail"]["userIdentity"] = json!({"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/iam-policy-alarm-FunctionRole-ABC/iam-policy-alarm",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/iam-policy-alarm-FunctionRole-ABC"}}});
        let with_issuer = |event: &Value, issuer: &str| {
            let mut e = event.clone();
            e["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = json!(issuer);
            e
        };
        // The remediation role of the account the call changed (the sample's 123456789012).
        let member_remediation = with_issuer(&ours, "arn:aws:iam::123456789012:role/iam-policy-alarm-remediate");
        let mut unrelated = base.clone();
        unrelated["detail"]["eventName"] = json!("DescribeAlarms");
        let mut wrong_source = base.clone();
        wrong_source["source"] = json!("aws.sns");
        for (event, why) in [
            (failed, "failed (AccessDenied)"),
            (ours.clone(), "this function's own role"),
            (member_remediation, "this function's own role"),
            (unrelated, "cannot break the chain"),
            (wrong_source, "cannot break the chain"),
        ] {
            match classify(&event, &own()).unwrap() {
                Classified::Ignored(reason) => assert!(reason.contains(why), "{reason}"),
                other => panic!("{other:?}"),
            }
        }
        // Another role of the same name elsewhere than IAM, or a different role: a change.
        let mut other_role = base.clone();
        other_role["detail"]["userIdentity"]["sessionContext"] =
            json!({"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/admin"}});
        assert!(matches!(classify(&other_role, &own()), Ok(Classified::Change(_))));
        // Only remediation's own calls are skipped, and only from the exact roles: the
        // function's role deleting alarms, the remediation role's name in another account
        // or under a path are changes.
        let mut ours_deleting = ours.clone();
        ours_deleting["detail"]["eventName"] = json!("DeleteAlarms");
        // The function's role given to another function (iam:PassRole): Lambda names
        // that session after the other function.
        let mut another_function = ours.clone();
        another_function["detail"]["userIdentity"]["arn"] =
            json!("arn:aws:sts::123456789012:assumed-role/iam-policy-alarm-FunctionRole-ABC/someone-elses-function");
        for (event, what) in [
            (ours_deleting, "the function's role, a call remediation never makes"),
            (another_function, "the function's role in another function's session"),
            (
                with_issuer(&ours, "arn:aws:iam::222222222222:role/iam-policy-alarm-remediate"),
                "another account's role of that name",
            ),
            (
                with_issuer(&ours, "arn:aws:iam::123456789012:role/team/iam-policy-alarm-remediate"),
                "a role of that name under a path",
            ),
        ] {
            assert!(matches!(classify(&event, &own()), Ok(Classified::Change(_))), "{what}");
        }
        // errorCode null is not a failure.
        let mut null_error = base;
        null_error["detail"]["errorCode"] = Value::Null;
        assert!(matches!(classify(&null_error, &own()), Ok(Classified::Change(_))));
    }

    #[test]
    fn only_resource_names_reach_the_report() {
        let mut event = sample("tamper-delete-alarms.json");
        event["detail"]["eventName"] = json!("SetTopicAttributes");
        event["source"] = json!("aws.sns");
        event["detail"]["eventSource"] = json!("sns.amazonaws.com");
        event["detail"]["requestParameters"] = json!({
            "topicArn": "arn:aws:sns:us-east-1:123456789012:alarms",
            "attributeName": "Policy",
            "attributeValue": "{\"Statement\": []}",
        });
        let Classified::Change(change) = classify(&event, &own()).unwrap() else {
            panic!()
        };
        assert_eq!(
            serde_json::to_value(&change.request).unwrap(),
            json!({"topicArn": "arn:aws:sns:us-east-1:123456789012:alarms", "attributeName": "Policy"})
        );
        event["detail"]["requestParameters"] = json!({"name": "x".repeat(1000), "alarmNames": vec!["a"; 50]});
        let Classified::Change(change) = classify(&event, &own()).unwrap() else {
            panic!()
        };
        assert!(matches!(&change.request["name"], Names::One(n) if n.len() == MAX_NAME_CHARS));
        assert!(matches!(&change.request["alarmNames"], Names::Many(n) if n.len() == MAX_NAMES));
    }

    #[test]
    fn malformed_events_say_what_is_wrong() {
        let base = sample("tamper-stop-logging.json");
        let with = |path: &[&str], value: Value| {
            let mut e = base.clone();
            let mut at = &mut e;
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = value;
            e
        };
        for (event, says) in [
            (json!("x"), "not a JSON object"),
            (
                with(&["detail-type"], json!("Scheduled Event")),
                "is not \"AWS API Call via CloudTrail\"",
            ),
            (
                with(&["detail", "recipientAccountId"], json!("12")),
                "detail.recipientAccountId \"12\" is not a 12-digit account id",
            ),
            (with(&["detail"], json!("x")), "detail is missing or not an object"),
            (
                with(&["detail", "eventName"], json!(7)),
                "detail.eventName is missing or not a string",
            ),
            (with(&["region"], Value::Null), "region is missing"),
        ] {
            let e = classify(&event, &own()).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }

    fn stop_logging(name: &str, time: &str) -> Change {
        let Classified::Change(mut change) = classify(&sample("tamper-stop-logging.json"), &own()).unwrap() else {
            panic!("not a change")
        };
        change.event_name = name.into();
        change.event_time = Some(time.into());
        *change
    }

    /// A break and the call that undid it make one window; a break alone is open; a
    /// call that breaks nothing makes none; a burst is bounded.
    #[test]
    fn breaks_and_what_undid_them_are_windows() {
        let stop = stop_logging("StopLogging", "2026-11-30T10:15:02Z");
        let start = stop_logging("StartLogging", "2026-11-30T10:19:40Z");
        assert!(stop.breaks() && !start.breaks());
        let chain = "trail arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events";
        let w = windows(&[stop.clone(), start.clone()], chain);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].broken_at.as_deref(), Some("2026-11-30T10:15:02Z"));
        assert_eq!(w[0].restored_by.as_deref(), Some(start.headline().as_str()));
        assert_eq!(w[0].restored_at.as_deref(), Some("2026-11-30T10:19:40Z"));
        // A start before the stop does not undo it.
        let early = stop_logging("StartLogging", "2026-11-30T10:00:00Z");
        assert_eq!(windows(&[stop.clone(), early], chain)[0].restored_by, None);
        assert!(windows(&[stop_logging("UpdateTrail", "2026-11-30T10:15:02Z")], chain).is_empty());
        // A break of a resource the chain does not hold (another trail) is no window.
        assert!(windows(std::slice::from_ref(&stop), "trail other-trail").is_empty());
        let burst: Vec<Change> = (0..100)
            .map(|i| stop_logging("StopLogging", &format!("2026-11-30T10:{:02}:00Z", i % 60)))
            .collect();
        assert_eq!(windows(&burst, chain).len(), MAX_WINDOWS);
    }
}
