//! The alarm link: an alarm on a covering filter's metric (or a metric math alarm
//! reading it), in the log group's region, that the alarm model proves goes to ALARM
//! after a period holding one event and rests out of ALARM without one, and that
//! notifies an SNS topic of its region: itself, with its actions enabled, or through a
//! composite alarm that goes to ALARM with it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{LinkFinding, Problems};
use crate::alarm::{self, composite, notification, Verdict};
use crate::arn::{LogGroupArn, TopicArn};
use crate::rule::{Rule, WANTED_ALARM};
use crate::settings::Names;
use crate::state::{AccountState, Alarm, AwsError, MetricKey, Source};

/// A topic an alarm that fires notifies, and what it sends there.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Notifier {
    pub topic: TopicArn,
    /// The alarm CloudWatch publishes for: the firing alarm, or a composite over it.
    pub alarm_arn: String,
    /// How the report names that alarm (a composite's suppressor included).
    pub via: String,
    /// The notification's body as far as the alarm's configuration fixes it.
    pub notification: Value,
}

/// The alarm link, and the topics (with the alarm that notifies them) of the alarms
/// that pass.
pub(super) fn alarm_link(
    state: &AccountState,
    group: &LogGroupArn,
    sources: &[Source],
    names: &Names,
    rule: &Rule,
) -> (LinkFinding, Vec<Notifier>) {
    let mut p = Problems::default();
    let mut resources = Vec::new();
    let mut good: Vec<Notifier> = Vec::new();
    let mut fired = Vec::new();
    let mut verdicts = Vec::new();
    let mut seen = BTreeSet::new();
    let region = group.region.as_str();
    for source in sources {
        let transformation = source.transformation();
        let key = source.key(group);
        if !seen.insert(key.clone()) {
            continue;
        }
        let (emission, silent) = source.emission();
        if !silent.is_empty() {
            verdicts.push(format!(
                "metric {}/{} takes its value from {}, which {} of the {} {} do not carry as a number ({}), so no alarm on it fires on each event",
                key.namespace,
                key.name,
                transformation.value,
                silent.len(),
                rule.cases.len(),
                rule.events_noun,
                silent.join(", ")
            ));
            continue;
        }
        let standard = match state.alarms.get(&key) {
            Some(Ok(alarms)) => alarms,
            Some(Err(e)) => {
                p.errors.push(e.clone());
                continue;
            }
            None => {
                p.errors.push(not_read("cloudwatch:DescribeAlarmsForMetric", &key));
                continue;
            }
        };
        let (math, math_unread): (Vec<&Alarm>, bool) = match state.math_alarms.get(region) {
            Some(Ok(alarms)) => (alarms.iter().filter(|a| reads_metric(a, &key)).collect(), false),
            Some(Err(e)) => {
                p.errors.push(e.clone());
                (Vec::new(), true)
            }
            None => (Vec::new(), false),
        };
        // Without the math alarms, "no alarm" is not known: that is the error.
        if standard.is_empty() && math.is_empty() && !math_unread {
            verdicts.push(format!(
                "no alarm on metric {}/{} in {}",
                key.namespace, key.name, key.region
            ));
        }
        for alarm in standard.iter().chain(math) {
            resources.push(alarm.arn.clone());
            match alarm::evaluate(alarm, &emission) {
                Verdict::Fires(how) => match notifies(state, alarm, region, &mut p.errors) {
                    Ok(notified) => {
                        let through: BTreeSet<&str> = notified
                            .iter()
                            .map(|n| n.via.as_str())
                            .filter(|by| *by != alarm.arn)
                            .collect();
                        let through = match through.is_empty() {
                            true => String::new(),
                            false => format!(
                                " through composite alarm {}",
                                through.into_iter().collect::<Vec<_>>().join(", ")
                            ),
                        };
                        fired.push(format!("{} ({how}){through}", alarm.arn));
                        good.extend(notified);
                    }
                    // Its composites could not be read: that alarm's verdict is the error.
                    Err(problems) if problems.is_empty() => {}
                    Err(problems) => verdicts.push(format!(
                        "alarm {:?} fires on one event ({how}) but {}",
                        alarm.name,
                        problems.join(", ")
                    )),
                },
                Verdict::DoesNotFire(why) => verdicts.push(format!("alarm {:?} {why}", alarm.name)),
                Verdict::CannotProve(why) => verdicts.push(format!(
                    "alarm {:?}: cannot prove it fires on one event: {why}",
                    alarm.name
                )),
            }
        }
    }
    if !good.is_empty() {
        let topics: BTreeSet<String> = good.iter().map(|n| n.topic.to_string()).collect();
        let detail = format!(
            "{} fires on a single one of the {} and notifies {}",
            fired.join(", "),
            rule.events_noun,
            topics.into_iter().collect::<Vec<_>>().join(", ")
        );
        return (LinkFinding::pass(detail, resources), good);
    }
    // An alarm (or its topic, its composites) that could not be read may be the one
    // that notifies: what was read does not make a FAIL.
    if !p.errors.is_empty() {
        let mut link = LinkFinding::error(std::mem::take(&mut p.errors), resources);
        if !verdicts.is_empty() {
            link.detail = format!("{}; of what was read: {}", link.detail, verdicts.join("; "));
        }
        return (link, Vec::new());
    }
    if !verdicts.is_empty() {
        let metric = sources.first().map(Source::transformation);
        let (ns, name) = metric.map_or((names.metric_namespace.as_str(), names.metric_name.as_str()), |t| {
            (t.namespace.as_str(), t.name.as_str())
        });
        p.add(
            verdicts.join("; "),
            format!(
                "aws cloudwatch put-metric-alarm --region {} --alarm-name {} --namespace {ns} --metric-name {name} {} --actions-enabled --alarm-actions <SNS topic ARN in {}> (or run with MODE=remediate)",
                region,
                names.alarm_name,
                WANTED_ALARM.cli_arguments(),
                region
            ),
        );
    }
    (p.into_link(String::new(), resources), Vec::new())
}

/// Does a metric math alarm read this metric in one of its queries?
fn reads_metric(alarm: &Alarm, key: &MetricKey) -> bool {
    alarm
        .metrics
        .iter()
        .filter_map(|q| q.metric.as_ref())
        .any(|m| m.namespace == key.namespace && m.name == key.name)
}

fn not_read(operation: &str, key: &MetricKey) -> AwsError {
    AwsError {
        operation: operation.into(),
        resource: format!("{}/{}", key.namespace, key.name),
        message: "not read".into(),
        retryable: false,
    }
}

/// The SNS topics of `region` that a firing `alarm` notifies, with the alarm that does
/// (itself, or a composite over it), or why it notifies none (nothing said when what
/// would tell could not be read: that error goes to `errors`).
fn notifies(
    state: &AccountState,
    alarm: &Alarm,
    region: &str,
    errors: &mut Vec<AwsError>,
) -> Result<Vec<Notifier>, Vec<String>> {
    let own = topics_in(&alarm.alarm_actions, region);
    if alarm.actions_enabled && !own.is_empty() {
        // An ActionConfiguration changes what is sent: its content is not known.
        let body = match alarm.notification_configured {
            false => notification::body(alarm),
            true => Value::Null,
        };
        return Ok(own
            .into_iter()
            .map(|topic| Notifier {
                topic,
                alarm_arn: alarm.arn.clone(),
                via: alarm.arn.clone(),
                notification: body.clone(),
            })
            .collect());
    }
    let mut problems = Vec::new();
    if !alarm.actions_enabled {
        problems.push("has actions disabled".to_string());
    }
    if own.is_empty() {
        let elsewhere = alarm
            .alarm_actions
            .iter()
            .filter_map(|a| a.parse::<TopicArn>().ok())
            .find(|t| t.region() != region);
        problems.push(match elsewhere {
            Some(t) => format!(
                "notifies topic {t} in {}, but CloudWatch only notifies topics in the alarm's region {region}",
                t.region()
            ),
            None => "has no SNS topic among its alarm actions".into(),
        });
    }
    match state.composites.get(&(region.to_string(), alarm.name.clone())) {
        Some(Ok(composites)) => {
            let mut via = Vec::new();
            for c in composites {
                let rule = match composite::parse(&c.rule) {
                    Ok(rule) => rule,
                    Err(e) => {
                        problems.push(format!("composite alarm {:?}: cannot prove its rule: {e}", c.name));
                        continue;
                    }
                };
                let topics = topics_in(&c.alarm_actions, region);
                if !rule.holds_when_only(&alarm.name, &alarm.arn) {
                    problems.push(format!(
                        "composite alarm {:?} is not in ALARM when only this alarm is",
                        c.name
                    ));
                } else if rule.holds_when_quiet() {
                    problems.push(format!(
                        "composite alarm {:?} is in ALARM when every alarm is OK, so it rests in ALARM",
                        c.name
                    ));
                } else if !c.actions_enabled || topics.is_empty() {
                    problems.push(format!(
                        "composite alarm {:?} notifies no SNS topic of {region} (actions {})",
                        c.name,
                        if c.actions_enabled { "enabled" } else { "disabled" }
                    ));
                } else {
                    // A suppressor in ALARM holds the composite's actions back.
                    let by = c
                        .actions_suppressor
                        .as_deref()
                        .map(|s| format!(" (its actions are suppressed while {s} is in ALARM)"))
                        .unwrap_or_default();
                    let body = match c.notification_configured {
                        false => notification::composite_body(c),
                        true => Value::Null,
                    };
                    via.extend(topics.into_iter().map(|topic| Notifier {
                        topic,
                        alarm_arn: c.arn.clone(),
                        via: format!("{}{by}", c.arn),
                        notification: body.clone(),
                    }));
                }
            }
            if via.is_empty() {
                Err(problems)
            } else {
                Ok(via)
            }
        }
        Some(Err(e)) => {
            errors.push(e.clone());
            Err(Vec::new())
        }
        None => Err(problems),
    }
}

fn topics_in(actions: &[String], region: &str) -> Vec<TopicArn> {
    actions
        .iter()
        .filter_map(|a| a.parse::<TopicArn>().ok())
        .filter(|t| t.region() == region)
        .collect()
}
