//! plan: Findings + AccountState + Settings -> the exact requests remediation would
//! send, and what it will not do and why. Pure. The rules: build only the metric filter
//! and the alarm, exactly as the rule's documented remediation does (`rule`); never
//! touch a trail; never overwrite a filter, nor an alarm this tool did not create;
//! never delete.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::alarm;
use crate::arn::LogGroupArn;
use crate::check::{Findings, LinkStatus, Status};
use crate::rule::{Rule, WANTED_ALARM};
use crate::settings::{Names, Settings};
use crate::state::{AccountState, Alarm, AwsError, LogGroup, MetricFilter, TaggedAlarm, Transformation};

/// Tag that marks an alarm as created by this tool: the only alarms it may update.
pub const OWNER_TAG: (&str, &str) = ("managed-by", "iam-policy-alarm");

/// Whose credentials remediation writes with, which decides the topic a new alarm may
/// notify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// The function's own account: ALARM_TOPIC_ARN.
    Own,
    /// Another account of the organization, through its member remediation role, which may
    /// name only MEMBER_ALARM_TOPIC_NAME in that account (member-role.yaml): the auditor's
    /// topic accepts only the auditor's own alarms.
    Member,
}

/// CloudWatch Logs allows this many metric filters per log group.
pub const FILTERS_PER_LOG_GROUP: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricFilterRequest {
    #[serde(skip)]
    pub group: LogGroupArn,
    /// The rule whose canonical pattern it writes.
    #[serde(skip)]
    pub rule: &'static Rule,
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
                "put metric filter {} on log group {} in {} (metric {}/{}, the benchmark's pattern for {})",
                r.filter_name,
                r.log_group_name,
                r.group.region,
                r.metric_transformations[0].metric_namespace,
                r.metric_transformations[0].metric_name,
                r.rule.in_sentence()
            ),
            Action::PutMetricAlarm {
                request: r,
                replaces_own,
            } => format!(
                "{} alarm {} in {} on {}/{} ({}) notifying {}",
                if *replaces_own { "update our" } else { "put" },
                r.alarm_name,
                r.region,
                r.namespace,
                r.metric_name,
                WANTED_ALARM.summary(),
                r.alarm_actions.join(", ")
            ),
        }
    }

    /// The action as the report shows it: operation, region and the request in full.
    pub fn planned(&self) -> PlannedAction {
        PlannedAction {
            operation: self.operation(),
            region: self.region().to_string(),
            summary: self.summary(),
            request: match self {
                Action::PutMetricFilter(r) => Request::MetricFilter(r.clone()),
                Action::PutMetricAlarm { request, .. } => Request::Alarm(request.clone()),
            },
        }
    }
}

/// One planned request, as the report lists it. `request` keeps the API's own field
/// names, so it can be sent as it stands (`aws logs put-metric-filter --cli-input-json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedAction {
    pub operation: &'static str,
    pub region: String,
    pub summary: String,
    pub request: Request,
}

/// One planned action and what became of it when applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedAction {
    #[serde(flatten)]
    pub action: PlannedAction,
    pub outcome: Outcome,
}

/// What became of a planned action. Reported as one string ("applied", "skipped: why",
/// "failed: why"): the report's `outcome` field, which users' scripts read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The write's answer was lost and a read showed it had taken effect.
    AppliedReadBack,
    /// Not written, and rightly so (another run holds the lease, or wrote it meanwhile).
    Skipped(String),
    Failed(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Applied => f.write_str("applied"),
            Outcome::AppliedReadBack => f.write_str("applied (the answer was lost; read back)"),
            Outcome::Skipped(why) => write!(f, "skipped: {why}"),
            Outcome::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Request {
    MetricFilter(MetricFilterRequest),
    Alarm(AlarmRequest),
}

/// A resource with the name remediation would write, left unchanged: what is there and
/// what remediation would have written, in the same shape so they compare field by field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub resource: String,
    pub summary: String,
    pub existing: Resource,
    pub wanted: Resource,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Resource {
    MetricFilter(MetricFilter),
    Alarm(Alarm),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub conflicts: Vec<Conflict>,
    /// What remediation will not do, and what the user should do instead.
    pub refused: Vec<String>,
    /// Reads the plan needed that had failed: nothing was planned where they were
    /// needed, and the run is incomplete.
    pub unread: Vec<AwsError>,
}

/// The log groups remediation may work on: those of this account's failing trails that
/// exist.
fn target_log_groups(findings: &Findings, state: &AccountState) -> Vec<LogGroupArn> {
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

/// One rule remediation works for, with the names it writes.
struct Target<'a> {
    rule: &'static Rule,
    names: Names,
    settings: &'a Settings,
}

/// Each judged rule's plan, one after the other: a rule's filter and alarm carry its own
/// names, so they never meet another rule's. A reason given for several rules is said once.
pub fn plan(findings: &Findings, state: &AccountState, settings: &Settings, writer: Writer) -> Plan {
    let mut plan = Plan::default();
    for found in &findings.rules {
        let target = Target {
            rule: found.rule,
            names: settings.names_for(found.rule),
            settings,
        };
        let view = state.for_rule(found.rule);
        let one = plan_rule(&findings.of_rule(found), &view, &target, writer, &plan.actions);
        plan.actions.extend(one.actions);
        plan.conflicts.extend(one.conflicts);
        plan.unread.extend(one.unread);
        for refused in one.refused {
            if !plan.refused.contains(&refused) {
                plan.refused.push(refused);
            }
        }
    }
    plan
}

/// One rule's plan; `earlier` is what the rules before it planned (their filters count
/// toward a log group's limit).
fn plan_rule(findings: &Findings, state: &AccountState, target: &Target, writer: Writer, earlier: &[Action]) -> Plan {
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
            .push("every trail's chain continues in another account (an organization trail, or an alarm topic of another account): remediate in that account".into());
    }
    let mut alarm_regions = BTreeSet::new();
    for group in target_log_groups(findings, state) {
        let trail = findings
            .trails
            .iter()
            .find(|t| t.log_group.as_ref() == Some(&group) && t.status == LinkStatus::Fail);
        let alarm_ok = trail.is_some_and(|t| t.links.alarm.status == LinkStatus::Pass);
        let Some(log_group) = state.log_groups.get(&group).filter(|g| g.filters.is_ok()) else {
            plan.refused.push(format!(
                "metric filters of {} could not be read: nothing planned there",
                group.name
            ));
            continue;
        };
        let Ok(filters) = &log_group.filters else { continue };
        if log_group.takes_no_metric_filters() {
            plan.refused.push(format!(
                "log group {} is of class {}, which supports no metric filters: nothing planned there; the trail must deliver to a Standard-class log group",
                group.name,
                log_group.class.as_deref().unwrap_or_default()
            ));
            continue;
        }
        let organization = trail.is_some_and(|t| t.organization);
        let metric = match usable_metric(log_group, organization, target.rule) {
            Some(metric) => metric,
            None => match plan_filter(&group, filters, target, earlier, &mut plan) {
                Some(metric) => metric,
                None => continue,
            },
        };
        if alarm_ok {
            continue;
        }
        plan_alarm(
            &group,
            metric,
            &state.named_alarms,
            target,
            writer,
            &mut alarm_regions,
            &mut plan,
        );
    }
    plan
}

/// A metric the group's filters publish all of the rule's events to, on which the
/// alarm remediation writes (no dimensions, the rule's spec) is proven by the alarm
/// model to fire.
fn usable_metric(group: &LogGroup, organization: bool, rule: &'static Rule) -> Option<(String, String)> {
    group
        .sources(organization, rule)
        .sources
        .into_iter()
        .find(|source| {
            let t = source.transformation();
            let (emission, silent) = source.emission();
            let wanted = wanted_alarm("", (t.namespace.clone(), t.name.clone()), String::new(), "", rule);
            t.dimensions.is_empty() && silent.is_empty() && alarm::evaluate(&wanted.as_alarm(""), &emission).fires()
        })
        .map(|source| {
            (
                source.transformation().namespace.clone(),
                source.transformation().name.clone(),
            )
        })
}

fn wanted_filter(group: &LogGroupArn, target: &Target) -> MetricFilterRequest {
    let (names, spec) = (&target.names, target.rule.wanted_filter());
    MetricFilterRequest {
        group: group.clone(),
        rule: target.rule,
        log_group_name: group.name.clone(),
        filter_name: names.filter_name.clone(),
        filter_pattern: spec.pattern.to_string(),
        metric_transformations: vec![MetricTransformationRequest {
            metric_name: names.metric_name.clone(),
            metric_namespace: names.metric_namespace.clone(),
            metric_value: spec.metric_value.into(),
        }],
    }
}

impl MetricFilterRequest {
    /// The filter this request would create, as the state describes filters.
    fn as_filter(&self) -> MetricFilter {
        let transformations = self
            .metric_transformations
            .iter()
            .map(|t| Transformation {
                namespace: t.metric_namespace.clone(),
                name: t.metric_name.clone(),
                value: t.metric_value.clone(),
                default_value: None,
                dimensions: BTreeMap::new(),
                unit: None,
            })
            .collect();
        let mut filter = MetricFilter::new(self.filter_name.clone(), self.filter_pattern.clone(), transformations);
        filter.view(self.rule);
        filter
    }
}

fn plan_filter(
    group: &LogGroupArn,
    filters: &[MetricFilter],
    target: &Target,
    earlier: &[Action],
    plan: &mut Plan,
) -> Option<(String, String)> {
    let wanted = wanted_filter(group, target);
    if let Some(existing) = filters.iter().find(|f| f.name == wanted.filter_name) {
        plan.conflicts.push(Conflict {
            resource: format!("metric filter {} on {}", existing.name, group),
            summary: format!(
                "a metric filter named {} exists on {} and does not cover all {} {} with a countable metric; it is left unchanged. Rename or fix it{}",
                existing.name,
                group.name,
                target.rule.cases.len(),
                target.rule.events_noun,
                rename_hint(target.rule, "FILTER_NAME")
            ),
            existing: Resource::MetricFilter(existing.clone()),
            wanted: Resource::MetricFilter(wanted.as_filter()),
        });
        return None;
    }
    let planned = earlier
        .iter()
        .filter(|a| matches!(a, Action::PutMetricFilter(r) if r.group == *group))
        .count();
    if filters.len() + planned >= FILTERS_PER_LOG_GROUP {
        plan.refused.push(format!(
            "log group {} already has {} metric filters{}, the CloudWatch Logs limit per log group: no filter for {}; remove an unused one or extend an existing filter",
            group.name,
            filters.len(),
            match planned {
                0 => String::new(),
                n => format!(" and {n} more planned for other rules"),
            },
            target.rule.id
        ));
        return None;
    }
    let metric = (target.names.metric_namespace.clone(), target.names.metric_name.clone());
    plan.actions.push(Action::PutMetricFilter(wanted));
    Some(metric)
}

/// The topic a new alarm on `group` notifies, or why none may be named.
fn alarm_topic(group: &LogGroupArn, settings: &Settings, writer: Writer) -> Result<String, String> {
    if writer == Writer::Member {
        let Some(topic) = &settings.organization.member_alarm_topic_name else {
            return Err(format!(
                "no alarm created for log group {} in account {}: MEMBER_ALARM_TOPIC_NAME is not set, and the member remediation role may point an alarm only at that topic of its own account (member-role.yaml's MemberAlarmTopicName)",
                group.name, group.account
            ));
        };
        return Ok(format!(
            "arn:{}:sns:{}:{}:{topic}",
            group.partition, group.region, group.account
        ));
    }
    let Some(topic) = &settings.alarm_topic else {
        return Err(format!(
            "no alarm created on {}: ALARM_TOPIC_ARN is not set, and an alarm must notify an SNS topic",
            group.name
        ));
    };
    if topic.region() != group.region {
        return Err(format!(
            "no alarm created for log group {} in {}: CloudWatch alarms can only notify a topic in their own region, and ALARM_TOPIC_ARN {topic} is in {}. Deploy the stack (or point ALARM_TOPIC_ARN at a topic) in {}",
            group.name,
            group.region,
            topic.region(),
            group.region
        ));
    }
    Ok(topic.to_string())
}

/// ", or set FILTER_NAME to another name": only the mission's rule's names are settings.
fn rename_hint(rule: &Rule, setting: &str) -> String {
    match rule.id == crate::rule::DEFAULT_RULE {
        true => format!(", or set {setting} to another name"),
        false => String::new(),
    }
}

pub fn wanted_alarm(
    region: &str,
    (namespace, metric_name): (String, String),
    topic: String,
    alarm_name: &str,
    rule: &'static Rule,
) -> AlarmRequest {
    let spec = WANTED_ALARM.with_description(&rule.alarm.description);
    AlarmRequest {
        region: region.to_string(),
        alarm_name: alarm_name.to_string(),
        alarm_description: spec.description.into(),
        namespace,
        metric_name,
        statistic: spec.statistic.into(),
        period: spec.period,
        evaluation_periods: spec.evaluation_periods,
        threshold: spec.threshold,
        comparison_operator: spec.comparison_operator.into(),
        treat_missing_data: spec.treat_missing_data.into(),
        actions_enabled: true,
        alarm_actions: vec![topic],
        tags: vec![Tag {
            key: OWNER_TAG.0.into(),
            value: OWNER_TAG.1.into(),
        }],
    }
}

impl AlarmRequest {
    /// The alarm this request would write at `arn`, as the state describes alarms.
    fn as_alarm(&self, arn: &str) -> Alarm {
        Alarm {
            name: self.alarm_name.clone(),
            arn: arn.to_string(),
            description: Some(self.alarm_description.clone()),
            actions_enabled: self.actions_enabled,
            alarm_actions: self.alarm_actions.clone(),
            namespace: self.namespace.clone(),
            metric_name: self.metric_name.clone(),
            statistic: Some(self.statistic.clone()),
            extended_statistic: None,
            dimensions: BTreeMap::new(),
            period: Some(self.period),
            evaluation_periods: Some(self.evaluation_periods),
            datapoints_to_alarm: None,
            threshold: Some(self.threshold),
            comparison_operator: Some(self.comparison_operator.clone()),
            treat_missing_data: Some(self.treat_missing_data.clone()),
            unit: None,
            metrics: Vec::new(),
            threshold_metric_id: None,
            unevaluated: Vec::new(),
            notification_configured: false,
        }
    }
}

/// Remediation updates only alarms that carry its owner tag.
fn is_ours(alarm: &TaggedAlarm) -> bool {
    alarm.tags.get(OWNER_TAG.0).map(String::as_str) == Some(OWNER_TAG.1)
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
    existing: &BTreeMap<(String, String), crate::state::Read<Option<TaggedAlarm>>>,
    target: &Target,
    writer: Writer,
    alarm_regions: &mut BTreeSet<String>,
    plan: &mut Plan,
) {
    let name = &target.names.alarm_name;
    let topic = match alarm_topic(group, target.settings, writer) {
        Ok(topic) => topic,
        Err(why) => {
            plan.refused.push(why);
            return;
        }
    };
    if !alarm_regions.insert(group.region.clone()) {
        plan.refused.push(format!(
            "alarm {name} in {} is already planned for another log group; {} needs its own alarm name",
            group.region, group.name
        ));
        return;
    }
    let wanted = wanted_alarm(&group.region, metric, topic, name, target.rule);
    match existing.get(&(group.region.clone(), name.clone())) {
        Some(Ok(None)) => plan.actions.push(Action::PutMetricAlarm { request: wanted, replaces_own: false }),
        // Never write a name that was not looked up: it may be someone else's alarm.
        None => {
            let unread = AwsError {
                operation: "cloudwatch:DescribeAlarms".into(),
                resource: name.clone(),
                message: "not read".into(),
                retryable: false,
            };
            plan.refused.push(format!("alarm {name} in {} was not looked up: nothing written there", group.region));
            plan.unread.push(unread);
        }
        Some(Ok(Some(found))) if equivalent(&found.alarm, &wanted) => {}
        Some(Ok(Some(found))) if is_ours(found) => plan.actions.push(Action::PutMetricAlarm { request: wanted, replaces_own: true }),
        Some(Ok(Some(found))) => plan.conflicts.push(Conflict {
            resource: found.alarm.arn.clone(),
            summary: format!(
                "an alarm named {name} exists in {} that this tool did not create (no {}={} tag) and it differs from what remediation would write; it is left unchanged. Fix it{}",
                group.region,
                OWNER_TAG.0,
                OWNER_TAG.1,
                rename_hint(target.rule, "ALARM_NAME")
            ),
            existing: Resource::Alarm(found.alarm.clone()),
            wanted: Resource::Alarm(wanted.as_alarm(&found.alarm.arn)),
        }),
        Some(Err(e)) => {
            plan.refused.push(format!("alarm {name} in {} could not be looked up ({e}): nothing written there", group.region));
            plan.unread.push(e.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::default_rule;

    fn target(settings: &Settings) -> Target<'_> {
        Target {
            rule: default_rule(),
            names: settings.names.clone(),
            settings,
        }
    }

    // A log group at CloudWatch Logs' limit of filters gets none added, and the plan
    // says why; one below it gets ours.
    #[test]
    fn a_log_group_at_the_filter_limit_gets_no_filter() {
        let group: LogGroupArn = "arn:aws:logs:us-east-1:123456789012:log-group:trail:*".parse().unwrap();
        let filters: Vec<MetricFilter> = (0..FILTERS_PER_LOG_GROUP)
            .map(|i| MetricFilter::new(format!("app-{i}"), format!("{{ $.code = {i} }}"), Vec::new()))
            .collect();
        let mut plan = Plan::default();
        assert!(plan_filter(&group, &filters, &target(&Settings::default()), &[], &mut plan).is_none());
        assert!(plan.actions.is_empty());
        assert!(
            plan.refused[0].contains("already has 100 metric filters, the CloudWatch Logs limit per log group"),
            "{:?}",
            plan.refused
        );
        let mut plan = Plan::default();
        assert!(plan_filter(&group, &filters[1..], &target(&Settings::default()), &[], &mut plan).is_some());
        assert_eq!(plan.actions.len(), 1);
        // Another rule's filter planned on the same group takes the last place.
        let earlier = plan.actions.clone();
        let mut plan = Plan::default();
        assert!(plan_filter(
            &group,
            &filters[1..],
            &target(&Settings::default()),
            &earlier,
            &mut plan
        )
        .is_none());
        assert!(
            plan.refused[0].contains("99 metric filters and 1 more planned for other rules"),
            "{:?}",
            plan.refused
        );
    }

    // What remediation writes is what the audit then proves: the wanted alarm on the
    // wanted filter's metric fires on one event.
    #[test]
    fn the_wanted_alarm_on_the_wanted_filter_fires() {
        let group: LogGroupArn = "arn:aws:logs:us-east-1:123456789012:log-group:trail:*".parse().unwrap();
        let filter = wanted_filter(&group, &target(&Settings::default())).as_filter();
        assert!(filter.covers_all());
        let t = &filter.transformations[0];
        let (emission, silent) = t.emission(default_rule());
        assert!(silent.is_empty());
        let topic = "arn:aws:sns:us-east-1:123456789012:alarms".to_string();
        let alarm = wanted_alarm(
            "us-east-1",
            (t.namespace.clone(), t.name.clone()),
            topic,
            "a",
            default_rule(),
        )
        .as_alarm("arn");
        match alarm::evaluate(&alarm, &emission) {
            alarm::Verdict::Fires(how) => assert_eq!(
                how,
                "Sum of the period = 1 (one event, value 1) >= 1: ALARM after 1 of 1 datapoints"
            ),
            other => panic!("{other:?}"),
        }
        let metric = (t.namespace.clone(), t.name.clone());
        let log_group = LogGroup {
            arn: group.clone(),
            exists: Ok(true),
            filters: Ok(vec![filter.clone()]),
            class: None,
        };
        assert_eq!(usable_metric(&log_group, false, default_rule()), Some(metric));
    }

    // An alarm written in a member account notifies that account's MEMBER_ALARM_TOPIC_NAME
    // (the only topic its remediation role may name), never the auditor's ALARM_TOPIC_ARN;
    // without the setting none is written there, and the plan says what to set.
    #[test]
    fn a_member_accounts_alarm_notifies_the_members_own_topic() {
        let group: LogGroupArn = "arn:aws:logs:eu-west-1:222222222222:log-group:trail:*".parse().unwrap();
        let mut settings = Settings {
            alarm_topic: Some("arn:aws:sns:eu-west-1:111111111111:alarms".parse().unwrap()),
            ..Settings::default()
        };
        let metric = || ("ns".to_string(), "m".to_string());
        let existing = BTreeMap::from([(("eu-west-1".to_string(), settings.names.alarm_name.clone()), Ok(None))]);
        let planned = |settings: &Settings, writer| {
            let mut plan = Plan::default();
            plan_alarm(
                &group,
                metric(),
                &existing,
                &target(settings),
                writer,
                &mut BTreeSet::new(),
                &mut plan,
            );
            plan
        };
        let plan = planned(&settings, Writer::Member);
        assert!(plan.actions.is_empty());
        assert_eq!(
            plan.refused,
            ["no alarm created for log group trail in account 222222222222: MEMBER_ALARM_TOPIC_NAME is not set, and the member remediation role may point an alarm only at that topic of its own account (member-role.yaml's MemberAlarmTopicName)"]
        );
        settings.organization.member_alarm_topic_name = Some("member-alarms".into());
        let actions_of = |plan: Plan| match &plan.actions[..] {
            [Action::PutMetricAlarm { request, .. }] => request.alarm_actions.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            actions_of(planned(&settings, Writer::Member)),
            ["arn:aws:sns:eu-west-1:222222222222:member-alarms"]
        );
        assert_eq!(
            actions_of(planned(&settings, Writer::Own)),
            ["arn:aws:sns:eu-west-1:111111111111:alarms"]
        );
    }
}
