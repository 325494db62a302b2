//! The notification link: no alarm mute rule silences the alarm's actions, and the
//! alarm's topic has a confirmed subscriber that would receive this alarm's
//! notification (its filter policy, evaluated against the message CloudWatch sends,
//! lets it through), and CloudWatch may publish to it (topic policy, and a
//! customer-managed KMS key that allows it).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::alarm::Notifier;
use super::{LinkFinding, Problems};
use crate::alarm::notification::VARYING;
use crate::policy::{self, Verdict};
use crate::snsfilter::{self, FilterPolicy, Scope};
use crate::state::{is_aws_managed_sns_alias, AccountState, AwsError, Subscription, Topic};

pub(super) fn notification_link(state: &AccountState, notifiers: &[Notifier], account: &str) -> LinkFinding {
    let mut p = Problems::default();
    let mut resources = Vec::new();
    let mut verdicts = Vec::new();
    let mut external = Vec::new();
    let mut muted = false;
    let mut seen = BTreeSet::new();
    for notifier in notifiers {
        let (arn, alarm_arn) = (&notifier.topic, &notifier.alarm_arn);
        if !seen.insert((arn, alarm_arn)) {
            continue;
        }
        if !resources.contains(&arn.to_string()) {
            resources.push(arn.to_string());
        }
        let windows = match mute_rules(state, alarm_arn) {
            Ok(Mute::Silenced(why)) => {
                muted = true;
                verdicts.push(why);
                continue;
            }
            Ok(Mute::Windows(windows)) => windows,
            Err(e) => {
                p.errors.push(e);
                continue;
            }
        };
        match state.topics.get(arn) {
            Some(Ok(topic)) => match topic_problems(state, topic, notifier, account) {
                Ok(Ok(ok)) => return LinkFinding::pass(format!("{ok}{windows}"), resources),
                Ok(Err(problems)) => verdicts.push(format!("topic {}: {}", arn.name(), problems.join(", "))),
                Err(errors) => p.errors.extend(errors),
            },
            // CloudWatch may notify a topic of another account in its region; when that
            // account does not let this one read it, say where to look, every run the
            // same, instead of an error.
            Some(Err(e)) if arn.account() != account && !account.is_empty() && !e.retryable => external.push(format!(
                "topic {arn} is in account {}, which does not let this account read it ({}): check there that it has a confirmed subscription and that its access policy (and KMS key) lets cloudwatch.amazonaws.com publish for {alarm_arn}",
                arn.account(),
                e.message
            )),
            Some(Err(e)) => p.errors.push(e.clone()),
            None => p.errors.push(AwsError {
                operation: "sns:GetTopicAttributes".into(),
                resource: arn.to_string(),
                message: "not read".into(),
                retryable: false,
            }),
        }
    }
    if verdicts.is_empty() && !external.is_empty() {
        let mut link = LinkFinding::external(external.join("; "));
        link.resources = resources;
        link.errors = p.errors;
        return link;
    }
    if !verdicts.is_empty() {
        let unmute = match muted {
            true => "delete the alarm mute rule, or take the alarm out of its targets (aws cloudwatch delete-alarm-mute-rule --alarm-mute-rule-name <name>); ",
            false => "",
        };
        p.add(
            verdicts.join("; "),
            format!("{unmute}subscribe an endpoint to the topic and confirm it (aws sns subscribe ...; then follow the link in the confirmation message), with no filter policy or one that lets CloudWatch's alarm notification through (it carries no message attributes; its JSON body has AlarmName, NewStateValue ALARM and the Trigger); encrypt it with a customer-managed KMS key whose policy lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*"),
        );
    }
    p.into_link(String::new(), resources)
}

/// What the alarm mute rules targeting the alarm that sends the notification do.
enum Mute {
    /// Its actions are muted now, or will be again on a schedule: no message goes out.
    Silenced(String),
    /// Not muted; one-time windows still to come, as a note for the detail ("" when none).
    Windows(String),
}

/// Status and type as ListAlarmMuteRules returns them; anything else is not evaluated.
fn mute_rules(state: &AccountState, alarm_arn: &str) -> Result<Mute, AwsError> {
    // arn:aws:cloudwatch:<region>:<account>:alarm:<name>
    let parts: Vec<&str> = alarm_arn.splitn(7, ':').collect();
    let (region, name) = (
        parts.get(3).copied().unwrap_or_default(),
        parts.get(6).copied().unwrap_or_default(),
    );
    let rules = match state.mute_rules.get(region) {
        Some(Ok(rules)) => rules,
        Some(Err(e)) => return Err(e.clone()),
        None => {
            return Err(AwsError {
                operation: "cloudwatch:ListAlarmMuteRules".into(),
                resource: alarm_arn.into(),
                message: "not read".into(),
                retryable: false,
            })
        }
    };
    let describe = |r: &crate::state::MuteRule| {
        let schedule = match (&r.expression, &r.duration) {
            (Some(e), Some(d)) => format!(
                ", schedule {e} for {d}{}",
                r.timezone.as_deref().map(|t| format!(" ({t})")).unwrap_or_default()
            ),
            (Some(e), None) => format!(", schedule {e}"),
            _ => String::new(),
        };
        let expires = r
            .expire_date
            .as_deref()
            .map(|d| format!(", until {d}"))
            .unwrap_or_default();
        format!("{:?} ({} {}{schedule}{expires})", r.name, r.status, r.mute_type)
    };
    // A live rule whose targets were not read could mute any alarm of the region.
    if let Some(rule) = rules.iter().find(|r| r.status != "EXPIRED" && r.targets.is_empty()) {
        return Ok(Mute::Silenced(format!(
            "the alarm mute rule {:?} ({}) names no target this audit could read: alarm {name} cannot be proven not to be muted",
            rule.name, rule.status
        )));
    }
    let mut windows = Vec::new();
    for rule in rules.iter().filter(|r| r.targets.iter().any(|t| t == name)) {
        match (rule.status.as_str(), rule.mute_type.as_str()) {
            ("EXPIRED", _) => {}
            ("ACTIVE", _) => {
                return Ok(Mute::Silenced(format!(
                    "alarm {name}'s actions are muted now by alarm mute rule {}: it changes state but sends no notification",
                    describe(rule)
                )))
            }
            ("SCHEDULED", "RECURRING") => {
                return Ok(Mute::Silenced(format!(
                    "alarm {name}'s actions are muted on a recurring schedule by alarm mute rule {}: changes in those windows send no notification",
                    describe(rule)
                )))
            }
            ("SCHEDULED", "ONE_TIME") => windows.push(describe(rule)),
            _ => {
                return Ok(Mute::Silenced(format!(
                    "alarm {name} is targeted by alarm mute rule {}, whose status or type this audit does not evaluate: it cannot be proven to notify",
                    describe(rule)
                )))
            }
        }
    }
    Ok(Mute::Windows(match windows.is_empty() {
        true => String::new(),
        false => format!(
            "; note: alarm {name} will be muted by the one-time alarm mute rule {}",
            windows.join(", ")
        ),
    }))
}

/// Topic attributes that do not decide whether CloudWatch's notification reaches a
/// subscriber (SNS API reference, GetTopicAttributes and SetTopicAttributes), and why.
/// Policy and KmsMasterKeyId are evaluated; FifoTopic and MaximumMessageSize are judged
/// below; any other attribute is not known to this audit: cannot prove.
const TOPIC_ATTRIBUTES: [(&str, &str); 29] = [
    ("Owner", "who owns it"),
    ("TopicArn", "its name"),
    ("DisplayName", "the From name of email deliveries"),
    (
        "SubscriptionsConfirmed",
        "a count: the subscriptions themselves are read",
    ),
    ("SubscriptionsPending", "a count: the subscriptions themselves are read"),
    ("SubscriptionsDeleted", "a count: the subscriptions themselves are read"),
    ("DeliveryPolicy", "retries of HTTP/S deliveries"),
    ("EffectiveDeliveryPolicy", "retries of HTTP/S deliveries"),
    ("SignatureVersion", "how messages are signed"),
    ("TracingConfig", "X-Ray tracing"),
    ("ContentBasedDeduplication", "FIFO topics only"),
    ("ArchivePolicy", "FIFO topics only"),
    ("BeginningArchiveTime", "FIFO topics only"),
    ("FifoThroughputScope", "FIFO topics only"),
    ("ApplicationSuccessFeedbackRoleArn", "delivery status logging"),
    ("ApplicationSuccessFeedbackSampleRate", "delivery status logging"),
    ("ApplicationFailureFeedbackRoleArn", "delivery status logging"),
    ("HTTPSuccessFeedbackRoleArn", "delivery status logging"),
    ("HTTPSuccessFeedbackSampleRate", "delivery status logging"),
    ("HTTPFailureFeedbackRoleArn", "delivery status logging"),
    ("LambdaSuccessFeedbackRoleArn", "delivery status logging"),
    ("LambdaSuccessFeedbackSampleRate", "delivery status logging"),
    ("LambdaFailureFeedbackRoleArn", "delivery status logging"),
    ("SQSSuccessFeedbackRoleArn", "delivery status logging"),
    ("SQSSuccessFeedbackSampleRate", "delivery status logging"),
    ("SQSFailureFeedbackRoleArn", "delivery status logging"),
    ("FirehoseSuccessFeedbackRoleArn", "delivery status logging"),
    ("FirehoseSuccessFeedbackSampleRate", "delivery status logging"),
    ("FirehoseFailureFeedbackRoleArn", "delivery status logging"),
];

/// The topic's attributes this audit does not know, or that keep CloudWatch's alarm
/// notification from being proven to go through.
fn topic_attribute_problems(topic: &Topic) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, value) in &topic.other_attributes {
        match name.as_str() {
            "FifoTopic" if value == "true" => problems.push(
                "is a FIFO topic, which CloudWatch alarm actions cannot be proven to publish to (they send no message group id): cannot prove".into(),
            ),
            "FifoTopic" => {}
            "MaximumMessageSize" => {
                // An alarm notification is about 1 KB: a limit this low is the only kind that could refuse it.
                if value.parse::<u64>().map_or(true, |size| size < 8192) {
                    problems.push(format!(
                        "its MaximumMessageSize is {value}: the notification's size is not modelled, so it cannot be proven to fit"
                    ));
                }
            }
            known if TOPIC_ATTRIBUTES.iter().any(|(k, _)| *k == known) => {}
            unknown => problems.push(format!(
                "has the attribute {unknown}, which this audit does not know: cannot prove it leaves the notification alone"
            )),
        }
    }
    problems
}

/// Ok(Ok(detail)) when the topic would deliver; Ok(Err(problems)) when it would not;
/// Err(reads) when that could not be decided.
#[allow(clippy::type_complexity)]
fn topic_problems(
    state: &AccountState,
    topic: &Topic,
    notifier: &Notifier,
    account: &str,
) -> Result<Result<String, Vec<String>>, Vec<AwsError>> {
    let alarm_arn = notifier.alarm_arn.as_str();
    let mut problems = topic_attribute_problems(topic);
    let mut errors = Vec::new();
    let confirmed: Vec<_> = topic.subscriptions.iter().filter(|s| s.is_confirmed()).collect();
    let pending = topic.subscriptions.len() - confirmed.len();
    let mut receiver = None;
    if confirmed.is_empty() {
        problems.push(if pending > 0 {
            format!("its {pending} subscription(s) are pending confirmation, so nobody receives the alarm")
        } else {
            "has no subscriptions, so nobody receives the alarm".into()
        });
    } else {
        let mut refusals = Vec::new();
        let mut unread = Vec::new();
        for s in &confirmed {
            match receives(s, &notifier.notification) {
                Receives::Yes(why) => {
                    receiver = Some((*s, why));
                    break;
                }
                Receives::No(why) | Receives::CannotProve(why) => refusals.push(format!(
                    "{} {} {why}",
                    s.protocol,
                    mask_endpoint(&s.protocol, &s.endpoint)
                )),
                Receives::Unread(e) => unread.push(e),
            }
        }
        // A subscription that could not be read may be the one that receives it: then
        // there is no verdict (ERROR), unless another one is proven to receive it.
        if receiver.is_none() && unread.is_empty() {
            problems.push(format!(
                "none of its {} confirmed subscription(s) would receive this alarm's notification: {}",
                confirmed.len(),
                refusals.join("; ")
            ));
        } else if receiver.is_none() {
            errors.extend(unread);
        }
    }
    if let Some(policy) = &topic.policy {
        let request = policy::Request {
            service: "cloudwatch.amazonaws.com",
            action: "sns:Publish",
            resource: &topic.arn.to_string(),
            account,
            source_arn: alarm_arn,
        };
        match policy::evaluate(policy, &request) {
            Verdict::Allowed => {}
            Verdict::NotAllowed => problems.push("its access policy does not let CloudWatch publish".into()),
            Verdict::Denied(which) => {
                problems.push(format!("its access policy denies CloudWatch sns:Publish ({which})"))
            }
            Verdict::Unreadable(why) => problems.push(format!("its access policy cannot be read: {why}")),
        }
    }
    if let Some(key_id) = topic.kms_key_id.as_deref().filter(|k| !k.is_empty()) {
        if is_aws_managed_sns_alias(key_id) {
            problems.push(aws_managed_key_problem());
        } else {
            match state.keys.get(&(topic.arn.region().to_string(), key_id.to_string())) {
                Some(Ok(key)) => match key_problems(key, account, alarm_arn) {
                    Ok(found) => problems.extend(found),
                    Err(e) => errors.push(e),
                },
                Some(Err(e)) => errors.push(e.clone()),
                None => errors.push(AwsError {
                    operation: "kms:DescribeKey".into(),
                    resource: key_id.into(),
                    message: "not read".into(),
                    retryable: false,
                }),
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let endpoints: Vec<String> = confirmed
        .iter()
        .map(|s| format!("{} {}", s.protocol, mask_endpoint(&s.protocol, &s.endpoint)))
        .collect();
    // Named only when a filter policy had to be evaluated to know.
    let through = match receiver {
        Some((s, why))
            if s.attributes
                .as_ref()
                .is_some_and(|a| a.as_ref().is_ok_and(|a| a.filter_policy.is_some())) =>
        {
            format!("; {} {} {why}", s.protocol, mask_endpoint(&s.protocol, &s.endpoint))
        }
        _ => String::new(),
    };
    Ok(Ok(format!(
        "topic {} has {} confirmed subscription(s): {}{through}{}",
        topic.arn.name(),
        confirmed.len(),
        endpoints.join(", "),
        match &topic.kms_key_id {
            Some(key) => format!("; its KMS key lets CloudWatch publish ({key})"),
            None => String::new(),
        }
    )))
}

/// Whether one confirmed subscription would receive the alarm's notification.
enum Receives {
    Yes(String),
    No(String),
    CannotProve(String),
    Unread(AwsError),
}

fn receives(s: &Subscription, notification: &Value) -> Receives {
    let attributes = match &s.attributes {
        Some(Ok(a)) => a,
        Some(Err(e)) => return Receives::Unread(e.clone()),
        None => {
            return Receives::Unread(AwsError {
                operation: "sns:GetSubscriptionAttributes".into(),
                resource: s.arn.clone(),
                message: "not read".into(),
                retryable: false,
            })
        }
    };
    if attributes.pending_confirmation {
        return Receives::No("is pending confirmation".into());
    }
    if let Some(unknown) = attributes.unknown_attribute() {
        return Receives::CannotProve(format!(
            "cannot be proven to receive it: it has the attribute {unknown}, which this audit does not know"
        ));
    }
    let Some(text) = &attributes.filter_policy else {
        return Receives::Yes("has no filter policy".into());
    };
    if notification.is_null() {
        return Receives::CannotProve(
            "cannot be proven to receive it: the alarm's ActionConfiguration changes its notification's content, which its filter policy tests".into(),
        );
    }
    let scope = match Scope::parse(attributes.filter_policy_scope.as_deref()) {
        Ok(scope) => scope,
        Err(e) => return Receives::CannotProve(format!("cannot be proven to receive it: {e}")),
    };
    let policy = match FilterPolicy::parse(text) {
        Ok(policy) => policy,
        Err(e) => return Receives::CannotProve(format!("cannot be proven to receive it: its filter policy: {e}")),
    };
    if scope == Scope::MessageBody {
        // A key the body does not hold with a fixed value: what AWS sends there is not known here.
        if let Some(key) = policy.keys().into_iter().find(|k| !has_path(notification, k)) {
            let varies = VARYING.contains(&key.split('.').next().unwrap_or_default());
            return Receives::CannotProve(format!(
                "cannot be proven to receive it: its filter policy (MessageBody) tests {key}, which {}",
                if varies {
                    "CloudWatch sets anew in each notification"
                } else {
                    "is not known to be in CloudWatch's alarm notification with a fixed value"
                }
            ));
        }
    }
    // CloudWatch's alarm notifications carry no message attributes.
    match policy.evaluate_as(scope, &BTreeMap::new(), notification, "this alarm's notification") {
        snsfilter::Verdict::Delivers => Receives::Yes(format!("receives it through its filter policy ({scope})")),
        snsfilter::Verdict::Filtered(why) => {
            Receives::No(format!("does not receive it: its filter policy ({scope}) {why}"))
        }
        snsfilter::Verdict::CannotProve(why) => Receives::CannotProve(format!(
            "cannot be proven to receive it: its filter policy ({scope}): {why}"
        )),
    }
}

/// `path` ("Trigger.MetricName") names a field of `body`.
fn has_path(body: &Value, path: &str) -> bool {
    path.split('.').try_fold(body, |at, key| at.get(key)).is_some()
}

fn aws_managed_key_problem() -> String {
    "is encrypted with the AWS-managed key aws/sns, whose key policy cannot grant CloudWatch kms:GenerateDataKey*, so alarm notifications are dropped".into()
}

/// CloudWatch uses the key for the alarm `alarm_arn`: a key policy's aws:SourceArn
/// (and aws:SourceAccount) conditions are judged against that alarm.
fn key_problems(key: &crate::state::Key, account: &str, alarm_arn: &str) -> Result<Vec<String>, AwsError> {
    if key.manager == "AWS" {
        return Ok(vec![aws_managed_key_problem()]);
    }
    let mut problems = Vec::new();
    if !key.enabled {
        problems.push(format!("its KMS key {} is not enabled", key.arn));
    } else if let Some(why) = &key.unusable {
        problems.push(format!("SNS cannot encrypt with its KMS key {}: {why}", key.arn));
    }
    let policy = key.policy.as_ref().map_err(Clone::clone)?;
    for action in ["kms:Decrypt", "kms:GenerateDataKey"] {
        let request = policy::Request {
            service: "cloudwatch.amazonaws.com",
            action,
            resource: &key.arn,
            account,
            source_arn: alarm_arn,
        };
        if policy::evaluate(policy, &request) != Verdict::Allowed {
            problems.push(format!(
                "the policy of its KMS key {} does not let cloudwatch.amazonaws.com use {action}",
                key.arn
            ));
        }
    }
    Ok(problems)
}

/// Subscription endpoints can be personal data: show enough to recognise, not to harvest.
pub fn mask_endpoint(protocol: &str, endpoint: &str) -> String {
    match protocol {
        "email" | "email-json" => match endpoint.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".into(),
        },
        "sms" => format!(
            "***{}",
            endpoint
                .chars()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
        ),
        "http" | "https" => endpoint.split('/').take(3).collect::<Vec<_>>().join("/") + "/***",
        _ => endpoint.to_string(),
    }
}
