//! The audit's judgment: AccountState -> Findings. Pure: no I/O, no clock, no env.
//! Each trail's chain is walked link by link; every link says what it saw, and when it
//! breaks, what would fix it. A link whose data could not be read is ERROR.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::arn::{LogGroupArn, TopicArn};
use crate::pattern;
use crate::policy::{self, Verdict};
use crate::settings::Names;
use crate::state::{
    AccountState, Alarm, LogGroup, MetricFilter, MetricKey, ReadError, Selectors, Topic, Trail, Transformation,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pass,
    Fail,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkStatus {
    Pass,
    Fail,
    Error,
    /// Owned by another account (organization trail): audit it there.
    External,
    /// An earlier link broke before this one could be looked at.
    NotReached,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Findings {
    pub account: Option<String>,
    pub region: String,
    pub status: Status,
    pub summary: String,
    pub trails: Vec<TrailFinding>,
    /// Reads that failed before any trail could be looked at.
    pub errors: Vec<ReadError>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrailFinding {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub log_group: Option<LogGroupArn>,
    pub status: LinkStatus,
    pub links: Links,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Links {
    pub trail: LinkFinding,
    pub metric_filter: LinkFinding,
    pub alarm: LinkFinding,
    pub notification: LinkFinding,
}

impl Links {
    pub fn all(&self) -> [(&'static str, &LinkFinding); 4] {
        [
            ("trail", &self.trail),
            ("metric-filter", &self.metric_filter),
            ("alarm", &self.alarm),
            ("notification", &self.notification),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkFinding {
    pub status: LinkStatus,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ReadError>,
}

impl LinkFinding {
    fn pass(detail: String, resources: Vec<String>) -> Self {
        LinkFinding { status: LinkStatus::Pass, detail, fix: None, resources, errors: Vec::new() }
    }
    fn fail(detail: String, fix: String, resources: Vec<String>) -> Self {
        LinkFinding { status: LinkStatus::Fail, detail, fix: Some(fix), resources, errors: Vec::new() }
    }
    fn error(errors: Vec<ReadError>, resources: Vec<String>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        LinkFinding { status: LinkStatus::Error, detail, fix: None, resources, errors }
    }
    fn not_reached(why: &str) -> Self {
        LinkFinding {
            status: LinkStatus::NotReached,
            detail: format!("not checked: {why}"),
            fix: None,
            resources: Vec::new(),
            errors: Vec::new(),
        }
    }
    fn external(detail: String) -> Self {
        LinkFinding { status: LinkStatus::External, detail, fix: None, resources: Vec::new(), errors: Vec::new() }
    }
}

pub fn check(state: &AccountState, names: &Names) -> Findings {
    let mut errors = Vec::new();
    let account = match &state.account_id {
        Ok(a) => Some(a.clone()),
        Err(e) => {
            errors.push(e.clone());
            None
        }
    };
    let trails = match &state.trails {
        Ok(trails) => trails
            .iter()
            .map(|t| check_trail(state, t, account.as_deref().unwrap_or(""), names))
            .collect(),
        Err(e) => {
            errors.push(e.clone());
            Vec::new()
        }
    };
    let (status, summary) = verdict(&trails, &errors, &state.region);
    Findings { account, region: state.region.clone(), status, summary, trails, errors }
}

fn verdict(trails: &[TrailFinding], errors: &[ReadError], region: &str) -> (Status, String) {
    if let Some(t) = trails.iter().find(|t| t.status == LinkStatus::Pass) {
        return (
            Status::Pass,
            format!("IAM policy changes are alarmed: trail {} -> metric filter -> alarm -> confirmed subscriber", t.name),
        );
    }
    if !errors.is_empty() || trails.iter().any(|t| t.status == LinkStatus::Error) {
        let n = errors.len() + trails.iter().flat_map(|t| t.links.all()).map(|(_, l)| l.errors.len()).sum::<usize>();
        return (Status::Error, format!("the audit could not read everything it needs ({n} failed reads): no verdict"));
    }
    if trails.is_empty() {
        return (
            Status::Fail,
            format!("no CloudTrail trail is visible from {region}: create a multi-region trail that delivers to CloudWatch Logs"),
        );
    }
    if trails.iter().all(|t| t.status == LinkStatus::External) {
        return (
            Status::Fail,
            "no trail of this account alarms on IAM policy changes; only organization trails owned elsewhere, which must be audited in their own account".into(),
        );
    }
    (Status::Fail, "no trail's chain alarms on IAM policy changes: see each trail's first failing link".into())
}

fn check_trail(state: &AccountState, trail: &Trail, account: &str, names: &Names) -> TrailFinding {
    let log_group: Option<LogGroupArn> = trail.log_group_arn.as_deref().and_then(|a| a.parse().ok());
    let finding = |links: Links| TrailFinding {
        name: trail.name.clone(),
        arn: trail.arn.clone(),
        home_region: trail.home_region.clone(),
        log_group: log_group.clone(),
        status: chain_status(&links),
        links,
    };
    if let Some(owner) = trail.foreign_account(account) {
        let why = format!(
            "trail {} (organization trail: {}) delivers to account {owner}; its metric filter, alarm and topic live there: run this audit in account {owner}",
            trail.arn, trail.organization
        );
        let elsewhere = LinkFinding::external(format!("in account {owner}"));
        return finding(Links {
            trail: LinkFinding::external(why),
            metric_filter: elsewhere.clone(),
            alarm: elsewhere.clone(),
            notification: elsewhere,
        });
    }
    let trail_link = trail_link(state, trail);
    let reachable = log_group.as_ref().and_then(|arn| state.log_groups.get(arn)).filter(|g| g.exists == Ok(true));
    let Some(group) = reachable else {
        return finding(Links {
            trail: trail_link,
            metric_filter: LinkFinding::not_reached("the trail delivers to no readable log group"),
            alarm: LinkFinding::not_reached("no metric filter"),
            notification: LinkFinding::not_reached("no alarm"),
        });
    };
    let (metric_filter, covering) = metric_filter_link(group, names);
    if covering.is_empty() {
        return finding(Links {
            trail: trail_link,
            metric_filter,
            alarm: LinkFinding::not_reached("no metric filter covers all 16 IAM policy events"),
            notification: LinkFinding::not_reached("no alarm"),
        });
    }
    let (alarm, topics) = alarm_link(state, &group.arn, &covering, names);
    let notification = if topics.is_empty() {
        LinkFinding::not_reached("no alarm fires on one IAM policy event")
    } else {
        notification_link(state, &topics, account)
    };
    finding(Links { trail: trail_link, metric_filter, alarm, notification })
}

fn chain_status(links: &Links) -> LinkStatus {
    let statuses: Vec<LinkStatus> = links.all().iter().map(|(_, l)| l.status).collect();
    if statuses.contains(&LinkStatus::External) {
        LinkStatus::External
    } else if statuses.contains(&LinkStatus::Fail) {
        LinkStatus::Fail
    } else if statuses.contains(&LinkStatus::Error) {
        LinkStatus::Error
    } else if statuses.iter().all(|s| *s == LinkStatus::Pass) {
        LinkStatus::Pass
    } else {
        LinkStatus::Fail
    }
}

/// Collects the problems of one link: definite problems make it FAIL, failed reads
/// (with no definite problem) make it ERROR.
#[derive(Default)]
struct Problems {
    said: Vec<String>,
    fixes: Vec<String>,
    errors: Vec<ReadError>,
}

impl Problems {
    fn add(&mut self, problem: String, fix: String) {
        self.said.push(problem);
        self.fixes.push(fix);
    }
    fn into_link(self, ok: String, resources: Vec<String>) -> LinkFinding {
        if !self.said.is_empty() {
            let mut link = LinkFinding::fail(self.said.join("; "), self.fixes.join("; "), resources);
            link.errors = self.errors;
            link
        } else if !self.errors.is_empty() {
            LinkFinding::error(self.errors, resources)
        } else {
            LinkFinding::pass(ok, resources)
        }
    }
}

fn trail_link(state: &AccountState, trail: &Trail) -> LinkFinding {
    let name = &trail.name;
    let region = &trail.home_region;
    let mut p = Problems::default();
    if !trail.multi_region {
        p.add(
            "is single-region, so IAM calls made through other regions' endpoints are not recorded".into(),
            format!("aws cloudtrail update-trail --region {region} --name {name} --is-multi-region-trail"),
        );
    }
    match &trail.status {
        Some(Ok(status)) if !status.is_logging => p.add(
            "is not logging".into(),
            format!("aws cloudtrail start-logging --region {region} --name {name}"),
        ),
        Some(Err(e)) => p.errors.push(e.clone()),
        _ => {}
    }
    match &trail.selectors {
        Some(Ok(selectors)) => {
            if let Err(why) = records_all_management_events(selectors) {
                p.add(
                    why,
                    format!(
                        "aws cloudtrail put-event-selectors --region {region} --trail-name {name} --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]'"
                    ),
                );
            }
        }
        Some(Err(e)) => p.errors.push(e.clone()),
        None => {}
    }
    let mut resources = vec![trail.arn.clone()];
    let deliver_fix = format!(
        "aws cloudtrail update-trail --region {region} --name {name} --cloud-watch-logs-log-group-arn <log group ARN> --cloud-watch-logs-role-arn <role ARN>"
    );
    match trail.log_group_arn.as_deref().map(|a| (a, a.parse::<LogGroupArn>())) {
        None => p.add("does not deliver to CloudWatch Logs (no CloudWatchLogsLogGroupArn)".into(), deliver_fix),
        Some((raw, Err(e))) => p.add(format!("has a malformed CloudWatchLogsLogGroupArn {raw:?}: {}", e.reason), deliver_fix),
        Some((_, Ok(arn))) => {
            resources.push(arn.to_string());
            match state.log_groups.get(&arn).map(|g| &g.exists) {
                Some(Ok(true)) => {}
                Some(Ok(false)) => p.add(
                    format!("delivers to log group {} in {}, which does not exist", arn.name, arn.region),
                    format!("aws logs create-log-group --region {} --log-group-name {}", arn.region, arn.name),
                ),
                Some(Err(e)) => p.errors.push(e.clone()),
                None => p.errors.push(ReadError {
                    operation: "logs:DescribeLogGroups".into(),
                    resource: arn.to_string(),
                    message: "not read".into(),
                    retryable: false,
                }),
            }
        }
    }
    if let Some(Ok(status)) = &trail.status {
        if let Some(e) = &status.latest_cloudwatch_logs_delivery_error {
            p.add(
                format!("reports a CloudWatch Logs delivery error: {e}"),
                "check the trail's CloudWatchLogsRoleArn can logs:CreateLogStream and logs:PutLogEvents on the log group".into(),
            );
        }
    }
    let ok = format!(
        "multi-region, logging, all management events, delivers to {}",
        trail.log_group_arn.as_deref().unwrap_or_default()
    );
    p.into_link(ok, resources).prefixed(&format!("trail {name} "))
}

impl LinkFinding {
    fn prefixed(mut self, prefix: &str) -> Self {
        if matches!(self.status, LinkStatus::Fail) {
            self.detail = format!("{prefix}{}", self.detail);
        }
        self
    }
}

/// Does some selector record every management event, reads and writes, from IAM?
pub fn records_all_management_events(selectors: &Selectors) -> Result<(), String> {
    match selectors {
        // AWS always returns at least the default selector; only an emulator returns
        // none, and a trail with no selectors behaves as the default (All, management).
        Selectors::Basic(list) if list.is_empty() => Ok(()),
        Selectors::Basic(list) => {
            let all = list.iter().any(|s| {
                s.include_management_events.unwrap_or(true)
                    && s.read_write_type.as_deref().unwrap_or("All") == "All"
                    && !s.exclude_management_event_sources.iter().any(|src| src == "iam.amazonaws.com")
            });
            if all {
                Ok(())
            } else {
                let kinds: Vec<String> = list
                    .iter()
                    .map(|s| {
                        format!(
                            "{}{}",
                            s.read_write_type.as_deref().unwrap_or("All"),
                            if s.include_management_events == Some(false) { " (data events only)" } else { "" }
                        )
                    })
                    .collect();
                Err(format!("does not record all management events (event selectors: {})", kinds.join(", ")))
            }
        }
        Selectors::Advanced(list) => {
            let all = list.iter().any(|s| {
                let field = |name: &str| s.fields.iter().find(|f| f.field == name);
                let management = field("eventCategory").is_some_and(|f| f.equals.iter().any(|v| v == "Management"));
                // A readOnly field narrows to reads or writes; without it both are recorded.
                let reads_and_writes = field("readOnly").is_none();
                let iam_included = field("eventSource").is_none_or(|f| {
                    (f.equals.is_empty() || f.equals.iter().any(|v| v == "iam.amazonaws.com"))
                        && !f.not_equals.iter().any(|v| v == "iam.amazonaws.com")
                });
                management && reads_and_writes && iam_included
            });
            if all {
                Ok(())
            } else {
                Err("has no advanced event selector recording all management events (eventCategory = Management, no readOnly filter, IAM not excluded)".into())
            }
        }
    }
}

fn metric_filter_link<'a>(group: &'a LogGroup, names: &Names) -> (LinkFinding, Vec<&'a MetricFilter>) {
    let resources = vec![group.arn.to_string()];
    let filters = match &group.filters {
        Ok(f) => f,
        Err(e) => return (LinkFinding::error(vec![e.clone()], resources), Vec::new()),
    };
    let mut covering = Vec::new();
    let mut shortfalls = Vec::new();
    for filter in filters {
        match pattern::parse(&filter.pattern) {
            Ok(parsed) => {
                let coverage = pattern::coverage(&parsed);
                if coverage.covers_all {
                    covering.push(filter);
                } else {
                    shortfalls.push((coverage.missing.len(), format!("{:?} misses {}", filter.name, missing_list(&coverage.missing))));
                }
            }
            Err(e) => shortfalls.push((usize::MAX, format!("{:?}: {e}", filter.name))),
        }
    }
    if !covering.is_empty() {
        let names: Vec<String> = covering.iter().map(|f| format!("{:?}", f.name)).collect();
        let detail = format!("metric filter {} on {} covers all 16 IAM policy events", names.join(", "), group.arn.name);
        return (LinkFinding::pass(detail, resources), covering);
    }
    let fix = format!(
        "aws logs put-metric-filter --region {} --log-group-name {} --filter-name {} --filter-pattern '{}' --metric-transformations metricName={},metricNamespace={},metricValue=1 (or run with MODE=remediate)",
        group.arn.region, group.arn.name, names.filter_name, pattern::CANONICAL_PATTERN, names.metric_name, names.metric_namespace
    );
    let detail = if filters.is_empty() {
        format!("log group {} has no metric filters", group.arn.name)
    } else {
        shortfalls.sort();
        let shown: Vec<String> = shortfalls.iter().take(3).map(|(_, s)| s.clone()).collect();
        format!(
            "none of the {} metric filters on {} covers all 16 IAM policy events: {}",
            filters.len(),
            group.arn.name,
            shown.join("; ")
        )
    };
    (LinkFinding::fail(detail, fix, resources), Vec::new())
}

fn missing_list(missing: &[&str]) -> String {
    format!("{} of 16 IAM policy events ({})", missing.len(), missing.join(", "))
}

/// The alarm link: some alarm on a covering filter's metric fires on a single event and
/// notifies an SNS topic. Returns the topics of the alarms that pass.
fn alarm_link(state: &AccountState, group: &LogGroupArn, covering: &[&MetricFilter], names: &Names) -> (LinkFinding, Vec<(TopicArn, String)>) {
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
                    verdicts.push(format!("no alarm on metric {}/{} in {}", key.namespace, key.name, key.region));
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
            None => p.errors.push(ReadError {
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
            good.iter().map(|(t, _)| t.to_string()).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")
        );
        return (LinkFinding::pass(detail, resources), good);
    }
    if !verdicts.is_empty() {
        let metric = covering[0].transformations.first();
        let (ns, name) = metric.map_or((names.metric_namespace.as_str(), names.metric_name.as_str()), |t| (t.namespace.as_str(), t.name.as_str()));
        p.add(
            verdicts.join("; "),
            format!(
                "aws cloudwatch put-metric-alarm --region {} --alarm-name {} --namespace {ns} --metric-name {name} --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching --actions-enabled --alarm-actions <SNS topic ARN in {}> (or run with MODE=remediate)",
                group.region, names.alarm_name, group.region
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
                problems.push(format!("sums the metric value {:?}, which is taken from each event, not a constant", metric.value));
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
        problems.push(format!("needs {needed} breaching periods, but one event breaches one period"));
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
            Some(t) => format!("notifies topic {t} in {}, but CloudWatch only notifies topics in the alarm's region {region}", t.region()),
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
    alarm.statistic.as_deref().or(alarm.extended_statistic.as_deref()).unwrap_or("?")
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
            Some(format!("watches only {k}={watched}, one value of a dimension the filter takes from {source}"))
        } else if watched != source {
            Some(format!("watches {k}={watched} but the filter publishes {k}={source}"))
        } else {
            None
        }
    })
}

fn notification_link(state: &AccountState, topics: &[(TopicArn, String)], account: &str) -> LinkFinding {
    let mut p = Problems::default();
    let mut resources = Vec::new();
    let mut verdicts = Vec::new();
    let mut seen = BTreeSet::new();
    for (arn, alarm_arn) in topics {
        if !seen.insert(arn) {
            continue;
        }
        resources.push(arn.to_string());
        match state.topics.get(arn) {
            Some(Ok(topic)) => match topic_problems(state, topic, alarm_arn, account) {
                Ok(Ok(ok)) => return LinkFinding::pass(ok, resources),
                Ok(Err(problems)) => verdicts.push(format!("topic {}: {}", arn.name(), problems.join(", "))),
                Err(errors) => p.errors.extend(errors),
            },
            Some(Err(e)) => p.errors.push(e.clone()),
            None => p.errors.push(ReadError {
                operation: "sns:GetTopicAttributes".into(),
                resource: arn.to_string(),
                message: "not read".into(),
                retryable: false,
            }),
        }
    }
    if !verdicts.is_empty() {
        p.add(
            verdicts.join("; "),
            "subscribe an endpoint to the topic and confirm it (aws sns subscribe ...; then follow the link in the confirmation message); encrypt it with a customer-managed KMS key whose policy lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*".into(),
        );
    }
    p.into_link(String::new(), resources)
}

/// Ok(Ok(detail)) when the topic would deliver; Ok(Err(problems)) when it would not;
/// Err(reads) when that could not be decided.
#[allow(clippy::type_complexity)]
fn topic_problems(state: &AccountState, topic: &Topic, alarm_arn: &str, account: &str) -> Result<Result<String, Vec<String>>, Vec<ReadError>> {
    let mut problems = Vec::new();
    let confirmed: Vec<_> = topic.subscriptions.iter().filter(|s| s.is_confirmed()).collect();
    let pending = topic.subscriptions.len() - confirmed.len();
    if confirmed.is_empty() {
        problems.push(if pending > 0 {
            format!("its {pending} subscription(s) are pending confirmation, so nobody receives the alarm")
        } else {
            "has no subscriptions, so nobody receives the alarm".into()
        });
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
            Verdict::Denied(which) => problems.push(format!("its access policy denies CloudWatch sns:Publish ({which})")),
            Verdict::Unreadable(why) => problems.push(format!("its access policy cannot be read: {why}")),
        }
    }
    let mut errors = Vec::new();
    if let Some(key_id) = topic.kms_key_id.as_deref().filter(|k| !k.is_empty()) {
        if is_aws_managed_sns_alias(key_id) {
            problems.push(aws_managed_key_problem());
        } else {
            match state.keys.get(&(topic.arn.region().to_string(), key_id.to_string())) {
                Some(Ok(key)) => match key_problems(key, account) {
                    Ok(found) => problems.extend(found),
                    Err(e) => errors.push(e),
                },
                Some(Err(e)) => errors.push(e.clone()),
                None => errors.push(ReadError {
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
    let endpoints: Vec<String> = confirmed.iter().map(|s| format!("{} {}", s.protocol, mask_endpoint(&s.protocol, &s.endpoint))).collect();
    Ok(Ok(format!(
        "topic {} has {} confirmed subscription(s): {}{}",
        topic.arn.name(),
        confirmed.len(),
        endpoints.join(", "),
        if topic.kms_key_id.is_some() { "; its KMS key lets CloudWatch publish" } else { "" }
    )))
}

pub fn is_aws_managed_sns_alias(key_id: &str) -> bool {
    key_id == "alias/aws/sns" || key_id.ends_with(":alias/aws/sns")
}

fn aws_managed_key_problem() -> String {
    "is encrypted with the AWS-managed key aws/sns, whose key policy cannot grant CloudWatch kms:GenerateDataKey*, so alarm notifications are dropped".into()
}

fn key_problems(key: &crate::state::Key, account: &str) -> Result<Vec<String>, ReadError> {
    if key.manager == "AWS" {
        return Ok(vec![aws_managed_key_problem()]);
    }
    let mut problems = Vec::new();
    if !key.enabled {
        problems.push(format!("its KMS key {} is not enabled", key.arn));
    }
    let policy = key.policy.as_ref().map_err(Clone::clone)?;
    for action in ["kms:Decrypt", "kms:GenerateDataKey"] {
        let request = policy::Request {
            service: "cloudwatch.amazonaws.com",
            action,
            resource: &key.arn,
            account,
            source_arn: "",
        };
        if policy::evaluate(policy, &request) != Verdict::Allowed {
            problems.push(format!("the policy of its KMS key {} does not let cloudwatch.amazonaws.com use {action}", key.arn));
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
        "sms" => format!("***{}", endpoint.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect::<String>()),
        "http" | "https" => endpoint.split('/').take(3).collect::<Vec<_>>().join("/") + "/***",
        _ => endpoint.to_string(),
    }
}
