//! plan: Findings + what exists + Settings -> the exact requests remediation would send,
//! and what it will not do and why. Pure. The rules: build only the metric filter and
//! the alarm, exactly as the rule's documented remediation does; never touch a trail;
//! never overwrite a filter, nor an alarm this tool did not create; never delete.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

use crate::arn::LogGroupArn;
use crate::check::{Findings, LinkStatus, Status};
use crate::pattern;
use crate::settings::Settings;
use crate::state::{AccountState, Alarm, MetricFilter, Read};

/// Tag that marks an alarm as created by this tool: the only alarms it may update.
pub const OWNER_TAG: (&str, &str) = ("managed-by", "iam-policy-alarm");

/// CloudWatch Logs allows this many metric filters per log group.
pub const FILTERS_PER_LOG_GROUP: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricFilterRequest {
    #[serde(skip)]
    pub group: LogGroupArn,
    #[serde(rename = "logGroupName")]
    pub log_group_name: String,
    #[serde(rename = "filterName")]
    pub filter_name: String,
    #[serde(rename = "filterPattern")]
    pub filter_pattern: String,
    #[serde(rename = "metricTransformations")]
    pub metric_transformations: Vec<MetricTransformationRequest>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricTransformationRequest {
    #[serde(rename = "metricName")]
    pub metric_name: String,
    #[serde(rename = "metricNamespace")]
    pub metric_namespace: String,
    #[serde(rename = "metricValue")]
    pub metric_value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmRequest {
    #[serde(skip)]
    pub region: String,
    pub alarm_name: String,
    pub alarm_description: String,
    pub namespace: String,
    pub metric_name: String,
    pub statistic: String,
    pub period: i32,
    pub evaluation_periods: i32,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    PutMetricFilter(MetricFilterRequest),
    PutMetricAlarm { request: AlarmRequest, replaces_own: bool },
}

impl Action {
    pub fn region(&self) -> &str {
        match self {
            Action::PutMetricFilter(r) => &r.group.region,
            Action::PutMetricAlarm { request, .. } => &request.region,
        }
    }

    pub fn operation(&self) -> &'static str {
        match self {
            Action::PutMetricFilter(_) => "logs:PutMetricFilter",
            Action::PutMetricAlarm { .. } => "cloudwatch:PutMetricAlarm",
        }
    }

    pub fn summary(&self) -> String {
        match self {
            Action::PutMetricFilter(r) => format!(
                "put metric filter {} on log group {} in {} (metric {}/{}, the CIS pattern for the 16 IAM policy events)",
                r.filter_name,
                r.log_group_name,
                r.group.region,
                r.metric_transformations[0].metric_namespace,
                r.metric_transformations[0].metric_name
            ),
            Action::PutMetricAlarm { request: r, replaces_own } => format!(
                "{} alarm {} in {} on {}/{} (Sum >= 1 over 300 s) notifying {}",
                if *replaces_own { "update our" } else { "put" },
                r.alarm_name,
                r.region,
                r.namespace,
                r.metric_name,
                r.alarm_actions.join(", ")
            ),
        }
    }

    /// The action as the report shows it: operation, region and the request in full.
    pub fn to_json(&self) -> Value {
        let request = match self {
            Action::PutMetricFilter(r) => serde_json::to_value(r),
            Action::PutMetricAlarm { request, .. } => serde_json::to_value(request),
        }
        .unwrap_or(Value::Null);
        json!({"operation": self.operation(), "region": self.region(), "summary": self.summary(), "request": request})
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub resource: String,
    pub summary: String,
    pub existing: Value,
    pub wanted: Value,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub conflicts: Vec<Conflict>,
    /// What remediation will not do, and what the user should do instead.
    pub refused: Vec<String>,
}

/// An alarm that already has the configured name, in one region, and whether we made it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExistingAlarm {
    pub alarm: Alarm,
    pub ours: bool,
}

pub type ExistingAlarms = BTreeMap<String, Read<Option<ExistingAlarm>>>;

/// The log groups remediation may work on: those of this account's failing trails that
/// exist. Their regions are where the configured alarm name must be looked up.
pub fn target_log_groups(findings: &Findings, state: &AccountState) -> Vec<LogGroupArn> {
    let mut seen = BTreeSet::new();
    findings
        .trails
        .iter()
        .filter(|t| matches!(t.status, LinkStatus::Fail))
        .filter_map(|t| t.log_group.clone())
        .filter(|g| state.log_groups.get(g).is_some_and(|lg| lg.exists == Ok(true)))
        .filter(|g| seen.insert(g.clone()))
        .collect()
}

pub fn plan(findings: &Findings, state: &AccountState, existing: &ExistingAlarms, settings: &Settings) -> Plan {
    let mut plan = Plan::default();
    match findings.status {
        Status::Pass => return plan,
        Status::Error => {
            plan.refused.push("the audit could not read everything it needs; remediation changes nothing on partial data (see the errors)".into());
            return plan;
        }
        Status::Fail => {}
    }
    for trail in findings.trails.iter().filter(|t| t.status == LinkStatus::Fail) {
        if trail.links.trail.status == LinkStatus::Fail {
            plan.refused.push(format!(
                "{}: trails are never created or changed by this function; fix: {}",
                trail.links.trail.detail,
                trail.links.trail.fix.as_deref().unwrap_or("")
            ));
        }
        if trail.links.alarm.status == LinkStatus::Pass && trail.links.notification.status == LinkStatus::Fail {
            plan.refused.push(format!(
                "notification: {}; fix: {}",
                trail.links.notification.detail,
                trail.links.notification.fix.as_deref().unwrap_or("")
            ));
        }
    }
    if findings.trails.iter().all(|t| t.status == LinkStatus::External) && !findings.trails.is_empty() {
        plan.refused
            .push("only organization trails owned by another account: remediate in that account".into());
    }
    let mut alarm_regions = BTreeSet::new();
    for group in target_log_groups(findings, state) {
        let trail = findings
            .trails
            .iter()
            .find(|t| t.log_group.as_ref() == Some(&group) && t.status == LinkStatus::Fail);
        let alarm_ok = trail.is_some_and(|t| t.links.alarm.status == LinkStatus::Pass);
        let Some(Ok(filters)) = state.log_groups.get(&group).map(|g| &g.filters) else {
            plan.refused.push(format!(
                "metric filters of {} could not be read: nothing planned there",
                group.name
            ));
            continue;
        };
        let metric = match usable_metric(filters) {
            Some(metric) => metric,
            None => match plan_filter(&group, filters, settings, &mut plan) {
                Some(metric) => metric,
                None => continue,
            },
        };
        if alarm_ok {
            continue;
        }
        plan_alarm(&group, metric, existing, settings, &mut alarm_regions, &mut plan);
    }
    plan
}

/// A covering filter whose metric an alarm without dimensions can watch, counting 1 per event.
fn usable_metric(filters: &[MetricFilter]) -> Option<(String, String)> {
    filters
        .iter()
        .filter(|f| pattern::parse(&f.pattern).is_ok_and(|p| pattern::coverage(&p).covers_all))
        .flat_map(|f| &f.transformations)
        .find(|t| t.dimensions.is_empty() && t.value.trim().parse::<f64>().is_ok_and(|v| v >= 1.0))
        .map(|t| (t.namespace.clone(), t.name.clone()))
}

fn wanted_filter(group: &LogGroupArn, settings: &Settings) -> MetricFilterRequest {
    let names = &settings.names;
    MetricFilterRequest {
        group: group.clone(),
        log_group_name: group.name.clone(),
        filter_name: names.filter_name.clone(),
        filter_pattern: pattern::CANONICAL_PATTERN.to_string(),
        metric_transformations: vec![MetricTransformationRequest {
            metric_name: names.metric_name.clone(),
            metric_namespace: names.metric_namespace.clone(),
            metric_value: "1".into(),
        }],
    }
}

fn plan_filter(
    group: &LogGroupArn,
    filters: &[MetricFilter],
    settings: &Settings,
    plan: &mut Plan,
) -> Option<(String, String)> {
    let wanted = wanted_filter(group, settings);
    if let Some(existing) = filters.iter().find(|f| f.name == wanted.filter_name) {
        plan.conflicts.push(Conflict {
            resource: format!("metric filter {} on {}", existing.name, group),
            summary: format!(
                "a metric filter named {} exists on {} and does not cover all 16 IAM policy events with a countable metric; it is left unchanged. Rename or fix it, or set FILTER_NAME to another name",
                existing.name, group.name
            ),
            existing: serde_json::to_value(existing).unwrap_or(Value::Null),
            wanted: serde_json::to_value(&wanted).unwrap_or(Value::Null),
        });
        return None;
    }
    if filters.len() >= FILTERS_PER_LOG_GROUP {
        plan.refused.push(format!(
            "log group {} already has {} metric filters, the CloudWatch Logs limit per log group: remove an unused one or extend an existing filter",
            group.name,
            filters.len()
        ));
        return None;
    }
    let metric = (
        settings.names.metric_namespace.clone(),
        settings.names.metric_name.clone(),
    );
    plan.actions.push(Action::PutMetricFilter(wanted));
    Some(metric)
}

pub fn wanted_alarm(
    region: &str,
    (namespace, metric_name): (String, String),
    topic: String,
    alarm_name: &str,
) -> AlarmRequest {
    AlarmRequest {
        region: region.to_string(),
        alarm_name: alarm_name.to_string(),
        alarm_description:
            "Triggered by AWS IAM authorization (policy) changes. Created by iam-policy-alarm (CIS 4.4, CWL-010)."
                .into(),
        namespace,
        metric_name,
        statistic: "Sum".into(),
        period: 300,
        evaluation_periods: 1,
        threshold: 1.0,
        comparison_operator: "GreaterThanOrEqualToThreshold".into(),
        treat_missing_data: "notBreaching".into(),
        actions_enabled: true,
        alarm_actions: vec![topic],
        tags: vec![Tag {
            key: OWNER_TAG.0.into(),
            value: OWNER_TAG.1.into(),
        }],
    }
}

/// Does `existing` already say what `wanted` says (tags aside)?
pub fn equivalent(existing: &Alarm, wanted: &AlarmRequest) -> bool {
    existing.namespace == wanted.namespace
        && existing.metric_name == wanted.metric_name
        && existing.statistic.as_deref() == Some(wanted.statistic.as_str())
        && existing.extended_statistic.is_none()
        && existing.dimensions.is_empty()
        && existing.period == Some(wanted.period)
        && existing.evaluation_periods == Some(wanted.evaluation_periods)
        && existing.datapoints_to_alarm.unwrap_or(wanted.evaluation_periods) == wanted.evaluation_periods
        && existing.threshold == Some(wanted.threshold)
        && existing.comparison_operator.as_deref() == Some(wanted.comparison_operator.as_str())
        && existing.treat_missing_data.as_deref().unwrap_or("missing") == wanted.treat_missing_data
        && existing.actions_enabled == wanted.actions_enabled
        && existing.alarm_actions == wanted.alarm_actions
}

fn plan_alarm(
    group: &LogGroupArn,
    metric: (String, String),
    existing: &ExistingAlarms,
    settings: &Settings,
    alarm_regions: &mut BTreeSet<String>,
    plan: &mut Plan,
) {
    let name = &settings.names.alarm_name;
    let Some(topic) = &settings.alarm_topic else {
        plan.refused.push(format!(
            "no alarm created on {}: ALARM_TOPIC_ARN is not set, and an alarm must notify an SNS topic",
            group.name
        ));
        return;
    };
    if topic.region() != group.region {
        plan.refused.push(format!(
            "no alarm created for log group {} in {}: CloudWatch alarms can only notify a topic in their own region, and ALARM_TOPIC_ARN {topic} is in {}. Deploy the stack (or point ALARM_TOPIC_ARN at a topic) in {}",
            group.name,
            group.region,
            topic.region(),
            group.region
        ));
        return;
    }
    if !alarm_regions.insert(group.region.clone()) {
        plan.refused.push(format!(
            "alarm {name} in {} is already planned for another log group; {} needs its own alarm name",
            group.region, group.name
        ));
        return;
    }
    let wanted = wanted_alarm(&group.region, metric, topic.to_string(), name);
    match existing.get(&group.region) {
        None | Some(Ok(None)) => plan.actions.push(Action::PutMetricAlarm { request: wanted, replaces_own: false }),
        Some(Ok(Some(found))) if equivalent(&found.alarm, &wanted) => {}
        Some(Ok(Some(found))) if found.ours => plan.actions.push(Action::PutMetricAlarm { request: wanted, replaces_own: true }),
        Some(Ok(Some(found))) => plan.conflicts.push(Conflict {
            resource: found.alarm.arn.clone(),
            summary: format!(
                "an alarm named {name} exists in {} that this tool did not create (no {}={} tag) and it differs from what remediation would write; it is left unchanged. Fix it, or set ALARM_NAME to another name",
                group.region, OWNER_TAG.0, OWNER_TAG.1
            ),
            existing: serde_json::to_value(&found.alarm).unwrap_or(Value::Null),
            wanted: serde_json::to_value(&wanted).unwrap_or(Value::Null),
        }),
        Some(Err(e)) => plan.refused.push(format!("alarm {name} in {} could not be looked up ({e}): nothing written there", group.region)),
    }
}
