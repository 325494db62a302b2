//! The alarm link: an alarm on a covering filter's metric, in the log group's region,
//! that goes to ALARM on a single event and notifies an SNS topic.

use std::collections::BTreeSet;

use super::{LinkFinding, Problems};
use crate::arn::{LogGroupArn, TopicArn};
use crate::rule::WANTED_ALARM;
use crate::settings::Names;
use crate::state::{AccountState, Alarm, AwsError, MetricFilter, MetricKey, Transformation};

/// The alarm link: some alarm on a covering filter's metric fires on a single event and
/// notifies an SNS topic. Returns the topics of the alarms that pass.
pub(super) fn alarm_link(
    state: &AccountState,
    group: &LogGroupArn,
    covering: &[&MetricFilter],
    names: &Names,
) -> (LinkFinding, Vec<(TopicArn, String)>) {
    let mut p = Problems::default();
    let mut resources = Vec::new();
    let mut good = Vec::new();
    let mut verdicts = Vec::new();
    let mut seen = BTreeSet::new();
    for transformation in covering.iter().flat_map(|f| &f.transformations) {
        let key = MetricKey {
            region: group.region.clone(),
            namespace: transformation.namespace.clone(),
            name: transformation.name.clone(),
        };
        if !seen.insert(key.clone()) {
            continue;
        }
        match state.alarms.get(&key) {
            Some(Ok(alarms)) => {
                if alarms.is_empty() {
                    verdicts.push(format!(
                        "no alarm on metric {}/{} in {}",
                        key.namespace, key.name, key.region
                    ));
                }
                for alarm in alarms {
                    resources.push(alarm.arn.clone());
                    match alarm_problems(alarm, transformation, &group.region) {
                        Ok(topics) => good.extend(topics.into_iter().map(|t| (t, alarm.arn.clone()))),
                        Err(problems) => verdicts.push(format!("alarm {:?}: {}", alarm.name, problems.join(", "))),
                    }
                }
            }
            Some(Err(e)) => p.errors.push(e.clone()),
            None => p.errors.push(AwsError {
                operation: "cloudwatch:DescribeAlarmsForMetric".into(),
                resource: format!("{}/{}", key.namespace, key.name),
                message: "not read".into(),
                retryable: false,
            }),
        }
    }
    if !good.is_empty() {
        let alarms: BTreeSet<&str> = good.iter().map(|(_, a)| a.as_str()).collect();
        let detail = format!(
            "{} fires on a single IAM policy event and notifies {}",
            alarms.into_iter().collect::<Vec<_>>().join(", "),
            good.iter()
                .map(|(t, _)| t.to_string())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        );
        return (LinkFinding::pass(detail, resources), good);
    }
    if !verdicts.is_empty() {
        let metric = covering[0].transformations.first();
        let (ns, name) = metric.map_or((names.metric_namespace.as_str(), names.metric_name.as_str()), |t| {
            (t.namespace.as_str(), t.name.as_str())
        });
        p.add(
            verdicts.join("; "),
            format!(
                "aws cloudwatch put-metric-alarm --region {} --alarm-name {} --namespace {ns} --metric-name {name} {} --actions-enabled --alarm-actions <SNS topic ARN in {}> (or run with MODE=remediate)",
                group.region,
                names.alarm_name,
                WANTED_ALARM.cli_arguments(),
                group.region
            ),
        );
    }
    (p.into_link(String::new(), resources), Vec::new())
}

/// Why `alarm` would not notify on one matching event, or the SNS topics it notifies.
pub fn alarm_problems(alarm: &Alarm, metric: &Transformation, region: &str) -> Result<Vec<TopicArn>, Vec<String>> {
    let mut problems = Vec::new();
    if let Some(dimension_problem) = dimension_problem(alarm, metric) {
        problems.push(dimension_problem);
    }
    // What the statistic reads for a period holding exactly one matching event.
    let single_event_value = match (alarm.statistic.as_deref(), alarm.extended_statistic.as_deref()) {
        (Some("SampleCount"), _) => Some(1.0),
        (Some("Sum"), _) => match metric.value.trim().parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                problems.push(format!(
                    "sums the metric value {:?}, which is taken from each event, not a constant",
                    metric.value
                ));
                None
            }
        },
        (Some(other), _) => {
            problems.push(format!("uses statistic {other}, not Sum or SampleCount"));
            None
        }
        (None, Some(p)) => {
            problems.push(format!("uses percentile statistic {p}, not Sum or SampleCount"));
            None
        }
        (None, None) => {
            problems.push("has no statistic (metric math alarm)".into());
            None
        }
    };
    if let (Some(value), Some(threshold)) = (single_event_value, alarm.threshold) {
        let fires = match alarm.comparison_operator.as_deref() {
            Some("GreaterThanOrEqualToThreshold") => value >= threshold,
            Some("GreaterThanThreshold") => value > threshold,
            _ => false,
        };
        if !fires {
            problems.push(format!(
                "does not fire on one event ({} {} {threshold} is false for a single event's {value})",
                statistic_name(alarm),
                alarm.comparison_operator.as_deref().unwrap_or("no comparison"),
            ));
        }
    }
    let needed = alarm.datapoints_to_alarm.or(alarm.evaluation_periods).unwrap_or(1);
    if needed > 1 {
        problems.push(format!(
            "needs {needed} breaching periods, but one event breaches one period"
        ));
    }
    if alarm.treat_missing_data.as_deref() == Some("breaching") {
        problems.push("treats missing data as breaching, so it rests in ALARM and a new event sends nothing".into());
    }
    if !alarm.actions_enabled {
        problems.push("has actions disabled".into());
    }
    let mut topics = Vec::new();
    let mut elsewhere = Vec::new();
    for action in &alarm.alarm_actions {
        if let Ok(topic) = action.parse::<TopicArn>() {
            if topic.region() == region {
                topics.push(topic);
            } else {
                elsewhere.push(topic);
            }
        }
    }
    if topics.is_empty() {
        problems.push(match elsewhere.first() {
            Some(t) => format!(
                "notifies topic {t} in {}, but CloudWatch only notifies topics in the alarm's region {region}",
                t.region()
            ),
            None => "has no SNS topic among its alarm actions".into(),
        });
    }
    if problems.is_empty() {
        Ok(topics)
    } else {
        Err(problems)
    }
}

fn statistic_name(alarm: &Alarm) -> &str {
    alarm
        .statistic
        .as_deref()
        .or(alarm.extended_statistic.as_deref())
        .unwrap_or("?")
}

fn dimension_problem(alarm: &Alarm, metric: &Transformation) -> Option<String> {
    let wanted: BTreeSet<&String> = metric.dimensions.keys().collect();
    let have: BTreeSet<&String> = alarm.dimensions.keys().collect();
    if wanted != have {
        return Some(format!(
            "watches dimensions [{}] but the filter publishes [{}]",
            have.into_iter().cloned().collect::<Vec<_>>().join(", "),
            wanted.into_iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    // A dimension taken from the event ($.field) splits the metric per value; an alarm
    // on one value sees only those events.
    metric.dimensions.iter().find_map(|(k, source)| {
        let watched = &alarm.dimensions[k];
        if source.starts_with("$.") {
            Some(format!(
                "watches only {k}={watched}, one value of a dimension the filter takes from {source}"
            ))
        } else if watched != source {
            Some(format!("watches {k}={watched} but the filter publishes {k}={source}"))
        } else {
            None
        }
    })
}
