//! AccountState: everything the audit read from AWS, as plain data. `collect` fills it,
//! `check` judges it; nothing here knows about the SDK.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::alarm::{Alarm, CompositeAlarm, Emission, MetricQuery, MetricStat};
use crate::arn::{LogGroupArn, TopicArn};
use crate::rule::{coverage_of, published_values, union_coverage, FilterCoverage, Rule};

pub use crate::aws::AwsError;

/// A read that may have failed. A failed read makes the link that needed it ERROR,
/// never PASS or FAIL.
pub type Read<T> = Result<T, AwsError>;

#[derive(Clone, Debug, PartialEq)]
pub struct AccountState {
    pub account_id: Read<String>,
    /// The region the function runs in (where trails were listed).
    pub region: String,
    pub trails: Read<Vec<Trail>>,
    /// Keyed by the log group ARN without the trailing `:*`.
    pub log_groups: BTreeMap<LogGroupArn, LogGroup>,
    pub alarms: BTreeMap<MetricKey, Read<Vec<Alarm>>>,
    pub topics: BTreeMap<TopicArn, Read<Topic>>,
    /// Keyed by (region, key id as the topic names it).
    pub keys: BTreeMap<(String, String), Read<Key>>,
    /// For remediation only (empty in an audit): the alarm that has each rule's alarm
    /// name, with its tags, in each region this account's trails deliver to, by
    /// (region, name).
    pub named_alarms: BTreeMap<(String, String), Read<Option<TaggedAlarm>>>,
    /// Metric math alarms of a region, read (DescribeAlarms, every page) only for a
    /// region where no alarm on a covering metric is proven to fire.
    pub math_alarms: BTreeMap<String, Read<Vec<Alarm>>>,
    /// Composite alarms over an alarm that fires but notifies no topic, by (region,
    /// that alarm's name).
    pub composites: BTreeMap<(String, String), Read<Vec<CompositeAlarm>>>,
    /// The alarm mute rules of each region where an alarm that fires notifies a topic.
    pub mute_rules: BTreeMap<String, Read<Vec<MuteRule>>>,
}

/// An alarm mute rule (PutAlarmMuteRule): while it is active, the alarms it targets
/// change state but run no action, so no SNS message goes out.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MuteRule {
    pub name: String,
    pub arn: String,
    /// SCHEDULED, ACTIVE or EXPIRED (ListAlarmMuteRules).
    pub status: String,
    /// ONE_TIME or RECURRING.
    pub mute_type: String,
    /// `cron(...)` or `at(...)`, as GetAlarmMuteRule returns it (None when not read).
    pub expression: Option<String>,
    /// How long each window lasts (ISO 8601, e.g. PT4H).
    pub duration: Option<String>,
    pub timezone: Option<String>,
    pub expire_date: Option<String>,
    /// The alarms it mutes (MuteTargets; empty when not read: an expired rule).
    pub targets: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    /// CloudWatchLogsLogGroupArn exactly as CloudTrail returned it (None when unset).
    pub log_group_arn: Option<String>,
    /// Only the trail's own account can read these; None for trails owned elsewhere.
    pub status: Option<Read<TrailStatus>>,
    pub selectors: Option<Read<Selectors>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrailStatus {
    pub is_logging: bool,
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selectors {
    Basic(Vec<BasicSelector>),
    Advanced(Vec<AdvancedSelector>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BasicSelector {
    /// "All", "ReadOnly" or "WriteOnly"; AWS defaults to All when absent.
    pub read_write_type: Option<String>,
    /// AWS defaults to true when absent.
    pub include_management_events: Option<bool>,
    pub exclude_management_event_sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogGroup {
    pub arn: LogGroupArn,
    pub exists: Read<bool>,
    pub filters: Read<Vec<MetricFilter>>,
    /// `logGroupClass`, known when DescribeLogGroups was read (a group without metric
    /// filters): STANDARD, INFREQUENT_ACCESS or DELIVERY.
    pub class: Option<String>,
}

impl LogGroup {
    /// A class whose groups take no metric filters (the CloudWatch Logs user guide, "Log
    /// classes": Infrequent Access and Delivery support no metric filters).
    pub fn takes_no_metric_filters(&self) -> bool {
        matches!(self.class.as_deref(), Some("INFREQUENT_ACCESS" | "DELIVERY"))
    }
}

impl AccountState {
    /// The state as one rule sees it: each filter's coverage is that rule's (evaluated
    /// when the filter was read, `MetricFilter::judge`).
    pub fn for_rule(&self, rule: &'static Rule) -> AccountState {
        let mut view = self.clone();
        for group in view.log_groups.values_mut() {
            *group = group.for_rule(rule);
        }
        view
    }
}

impl LogGroup {
    /// The group as one rule sees it (see `AccountState::for_rule`).
    pub fn for_rule(&self, rule: &'static Rule) -> LogGroup {
        let mut view = self.clone();
        if let Ok(filters) = &mut view.filters {
            for f in filters {
                f.view(rule);
            }
        }
        view
    }

    /// The metrics the rule's events reach through this group's filters: the filters
    /// grouped by the metric they publish (namespace, name, dimensions), each group
    /// whose filters together match all of the rule's events. Also, for a group that
    /// covers but cannot be judged as one source, why; and for a group of several
    /// filters that do not cover together, what they miss (with how many events).
    ///
    /// A filter counts only where its system fields are evaluated: it runs on the
    /// events as CloudTrail wrote them (not on a transformer's output), and its field
    /// selection criteria selects this trail's events, which carry the log group's
    /// account and region (an organization trail's also carry its members', whose
    /// values the criteria's `@aws.account` tests cannot be proven to pass). Its
    /// system-field dimensions become the metric's: constant for a trail of this
    /// account, one per member for an organization trail.
    pub fn sources(&self, organization: bool, rule: &'static Rule) -> Sources<'_> {
        let mut found = Sources::default();
        let Ok(filters) = &self.filters else {
            return found;
        };
        let (account, region) = (self.arn.account.as_str(), self.arn.region.as_str());
        let mut groups: Vec<Vec<(&MetricFilter, &Transformation)>> = Vec::new();
        let mut set_aside: Vec<&MetricFilter> = Vec::new();
        let usable: Vec<&MetricFilter> = filters
            .iter()
            .filter(
                |f| match system_fields_problem(f, account, region, organization, rule) {
                    None => true,
                    Some(problem) => {
                        if f.coverage.as_ref().is_ok_and(|c| c.missing.len() < c.total) {
                            found.unproven.push(format!("{:?} {problem}", f.name));
                        }
                        set_aside.push(f);
                        false
                    }
                },
            )
            .collect();
        for (f, t) in usable
            .into_iter()
            .flat_map(|f| f.transformations.iter().map(move |t| (f, t)))
        {
            // The same metric: namespace, name and dimensions, the system ones included.
            let same = |(g, u): &(&MetricFilter, &Transformation)| {
                (&u.namespace, &u.name, &u.dimensions) == (&t.namespace, &t.name, &t.dimensions)
                    && sorted(&g.system_dimensions) == sorted(&f.system_dimensions)
            };
            match groups.iter_mut().find(|g| g.iter().any(same)) {
                Some(group) => group.push((f, t)),
                None => groups.push(vec![(f, t)]),
            }
        }
        for group in groups {
            // A filter not evaluated that publishes this metric too: what it adds is not
            // known (its routine events, its copies).
            let (namespace, name) = (&group[0].1.namespace, &group[0].1.name);
            if let Some(other) = set_aside.iter().find(|o| {
                o.transformations
                    .iter()
                    .any(|u| (&u.namespace, &u.name) == (namespace, name))
            }) {
                found.unproven.push(format!(
                    "{:?} also publishes {namespace}/{name}, and what it counts is not evaluated",
                    other.name
                ));
                continue;
            }
            let coverages: Vec<_> = group.iter().filter_map(|(f, _)| f.coverage.as_ref().ok()).collect();
            let union = union_coverage(rule, &coverages);
            let names = || {
                group
                    .iter()
                    .map(|(f, _)| format!("{:?}", f.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let t = group[0].1;
            if !union.covers_all {
                if coverages.len() > 1 {
                    found.short.push((
                        union.missing.len(),
                        format!(
                            "the {} metric filters {} publishing {}/{} together miss {} of {} {} ({})",
                            group.len(),
                            names(),
                            t.namespace,
                            t.name,
                            union.missing.len(),
                            rule.cases.len(),
                            rule.events_noun,
                            union.missing.join(", ")
                        ),
                    ));
                }
                continue;
            }
            if let Some((f, _)) = group.iter().find(|(f, _)| f.coverage.is_err()) {
                found.unproven.push(format!(
                    "metric filters {} publish {}/{} together, but the pattern of {:?} cannot be evaluated, so what the metric counts is not known",
                    names(), t.namespace, t.name, f.name
                ));
                continue;
            }
            if group
                .iter()
                .any(|(_, u)| u.unit != t.unit || u.default_value != t.default_value)
            {
                found.unproven.push(format!(
                    "metric filters {} publish {}/{} together, with different units or default values: the alarm model takes one of each",
                    names(), t.namespace, t.name
                ));
                continue;
            }
            let system = group.iter().flat_map(|(f, _)| &f.system_dimensions);
            let system_dimensions = system
                .map(|d| {
                    let value = match (d.as_str(), organization) {
                        ("@aws.account", false) => account.to_string(),
                        ("@aws.region", _) => region.to_string(),
                        // One value per account of the organization.
                        _ => format!("$.{d}"),
                    };
                    (d.clone(), value)
                })
                .collect();
            found.sources.push(Source {
                rule,
                filters: group.iter().map(|(f, _)| *f).collect(),
                transformations: group.iter().map(|(_, t)| *t).collect(),
                copies: union.copies,
                system_dimensions,
            });
        }
        found
    }
}

fn sorted(names: &[String]) -> Vec<&String> {
    let mut v: Vec<&String> = names.iter().collect();
    v.sort();
    v
}

/// Why a filter's system-field settings keep it from counting, if they do.
fn system_fields_problem(
    f: &MetricFilter,
    account: &str,
    region: &str,
    organization: bool,
    rule: &Rule,
) -> Option<String> {
    let what = rule.in_sentence();
    if f.on_transformed_logs {
        match &f.transformer {
            Some(Ok(())) => {}
            Some(Err(why)) => {
                return Some(format!(
                    "runs on the log events as the group's transformer rewrites them (applyOnTransformedLogs), and {why}: it cannot be proven to count {what}"
                ))
            }
            None => return Some(format!("runs on the log events as the group's transformer rewrites them (applyOnTransformedLogs), which was not read: it cannot be proven to count {what}")),
        }
    }
    if let Some(d) = f
        .system_dimensions
        .iter()
        .find(|d| !matches!(d.as_str(), "@aws.account" | "@aws.region"))
    {
        return Some(format!(
            "emits system field {d:?} as a dimension, which this audit does not evaluate"
        ));
    }
    let text = f.selection_criteria.as_deref()?;
    let criteria = match crate::selection::parse(text) {
        Ok(c) => c,
        Err(e) => return Some(format!("has a {e}: what it selects cannot be proven")),
    };
    if organization && criteria.fields().contains(&crate::selection::Field::Account) {
        return Some(format!(
            "selects events by account ({text}): the organization's accounts' events cannot be proven to pass it"
        ));
    }
    if !criteria.selects(account, region) {
        return Some(format!(
            "selects only events whose system fields pass {text}, and this trail's events (account {account}, region {region}) do not"
        ));
    }
    None
}

/// A log group's filters, as the metrics they publish the rule's events to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sources<'a> {
    pub sources: Vec<Source<'a>>,
    /// Filters that cover together but cannot be judged as one source, and why.
    pub unproven: Vec<String>,
    /// Several filters on one metric that do not cover together: (events missed, what).
    pub short: Vec<(usize, String)>,
}

/// One metric the rule's events reach: the filters that publish it (one that covers
/// all of the events on its own, or several whose union does).
#[derive(Clone, Debug, PartialEq)]
pub struct Source<'a> {
    /// The rule whose events it counts.
    pub rule: &'static Rule,
    pub filters: Vec<&'a MetricFilter>,
    /// Each filter's transformation onto the metric (same namespace, name, dimensions,
    /// unit and default value).
    pub transformations: Vec<&'a Transformation>,
    /// How many of the filters match one event: see [`Emission::copies`].
    pub copies: Vec<usize>,
    /// Dimensions the filters' `emitSystemFieldDimensions` add: name -> the value this
    /// trail's events carry, or `$.name` when it varies by account.
    pub system_dimensions: BTreeMap<String, String>,
}

impl Source<'_> {
    /// The metric as alarms on it address it, in `group`'s region: its constant
    /// dimensions, and the system ones with the values the group's own account and
    /// region give them (what collect asks for and check looks up, alike).
    pub fn key(&self, group: &LogGroupArn) -> MetricKey {
        let t = self.transformation();
        let mut dimensions: BTreeMap<String, String> = t
            .dimensions
            .iter()
            .filter(|(_, v)| !v.starts_with("$."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for d in self.system_dimensions.keys() {
            let value = if d == "@aws.account" {
                &group.account
            } else {
                &group.region
            };
            dimensions.insert(d.clone(), value.clone());
        }
        MetricKey {
            region: group.region.clone(),
            namespace: t.namespace.clone(),
            name: t.name.clone(),
            dimensions,
        }
    }

    /// The metric as its first filter publishes it.
    pub fn transformation(&self) -> &Transformation {
        self.transformations[0]
    }

    /// What one of the rule's events publishes to the metric, over all its filters
    /// (routine events any of them matches included), and the events for which one of
    /// them takes its value from a field the event does not carry as a number.
    pub fn emission(&self) -> (Emission, Vec<&'static str>) {
        let (mut emission, mut silent) = self.filters[0].emission(self.rule, self.transformations[0]);
        for (f, t) in self.filters.iter().zip(&self.transformations).skip(1) {
            let (other, other_silent) = f.emission(self.rule, t);
            for v in other.values {
                if !emission.values.contains(&v) {
                    emission.values.push(v);
                }
            }
            for r in other.routine {
                if !emission.routine.contains(&r) {
                    emission.routine.push(r);
                }
            }
            for s in other_silent {
                if !silent.contains(&s) {
                    silent.push(s);
                }
            }
        }
        emission.values.sort_by(f64::total_cmp);
        emission.copies = self.copies.clone();
        emission
            .dimensions
            .extend(self.system_dimensions.iter().map(|(k, v)| (k.clone(), v.clone())));
        (emission, silent)
    }

    /// The filters' names, quoted, comma-separated.
    pub fn names(&self) -> String {
        self.filters
            .iter()
            .map(|f| format!("{:?}", f.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One rule's verdict on a filter: (rule id, its coverage, on transformed logs whether
/// it could be evaluated there).
pub type Judged = (&'static str, FilterCoverage, Option<Result<(), String>>);

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricFilter {
    pub name: String,
    pub pattern: String,
    pub transformations: Vec<Transformation>,
    /// What the pattern covers of the events of the rule being judged (`view` picks it
    /// from `judged`).
    #[serde(skip)]
    pub coverage: FilterCoverage,
    /// Each judged rule's coverage and, on transformed logs, whether it could be
    /// evaluated: computed once, when the filter is read (`judge`).
    #[serde(skip)]
    pub judged: Vec<Judged>,
    /// With `on_transformed_logs`: the group's transformer, or why it was not read.
    #[serde(skip)]
    pub processors: Option<Result<Vec<crate::transformer::Processor>, String>>,
    /// `fieldSelectionCriteria`: only the log events whose system fields it selects are
    /// processed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_criteria: Option<String>,
    /// `emitSystemFieldDimensions` (`@aws.account`, `@aws.region`): dimensions the
    /// metric gains, which an alarm on it must name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system_dimensions: Vec<String>,
    /// `applyOnTransformedLogs`: the pattern runs on the events as the group's
    /// transformer rewrites them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub on_transformed_logs: bool,
    /// With `on_transformed_logs`: Ok when `coverage` was evaluated on the group's
    /// transformer's output, Err(why) when it could not be; None when not read.
    #[serde(skip)]
    pub transformer: Option<Result<(), String>>,
}

impl MetricFilter {
    /// A filter judged for the mission's rule; `judge` judges it for others.
    pub fn new(name: String, pattern: String, transformations: Vec<Transformation>) -> Self {
        let coverage = coverage_of(crate::rule::default_rule(), &pattern);
        MetricFilter {
            name,
            pattern,
            transformations,
            coverage,
            judged: Vec::new(),
            processors: None,
            selection_criteria: None,
            system_dimensions: Vec::new(),
            on_transformed_logs: false,
            transformer: None,
        }
    }

    /// The filter as it runs on the output of the group's transformer (`processors`, or
    /// why they were not read): its coverage evaluated on the transformed records.
    pub fn on_transformed(mut self, processors: Result<&[crate::transformer::Processor], String>) -> Self {
        self.on_transformed_logs = true;
        self.processors = Some(processors.map(<[_]>::to_vec));
        let (coverage, transformer) = self.evaluate(crate::rule::default_rule());
        self.coverage = coverage;
        self.transformer = transformer;
        self
    }

    /// Evaluates the pattern for each of `rules`, once (collect does, as it reads the
    /// filter), and views it as the first.
    pub fn judge(&mut self, rules: &[&'static Rule]) {
        let mission = crate::rule::default_rule();
        self.judged = rules
            .iter()
            .map(|rule| {
                // `new` (or `on_transformed`) evaluated the mission's rule already.
                let (coverage, transformer) = match *rule == mission {
                    true => (self.coverage.clone(), self.transformer.clone()),
                    false => self.evaluate(rule),
                };
                (rule.id.as_str(), coverage, transformer)
            })
            .collect();
        if let Some(first) = rules.first() {
            self.view(first);
        }
    }

    /// Makes `coverage` (and `transformer`) `rule`'s, evaluating it if `judge` did not.
    pub fn view(&mut self, rule: &'static Rule) {
        let (coverage, transformer) = match self.judged.iter().find(|(id, _, _)| *id == rule.id) {
            Some((_, coverage, transformer)) => (coverage.clone(), transformer.clone()),
            None => self.evaluate(rule),
        };
        self.coverage = coverage;
        self.transformer = transformer;
    }

    fn evaluate(&self, rule: &'static Rule) -> (FilterCoverage, Option<Result<(), String>>) {
        let Some(processors) = &self.processors else {
            return (coverage_of(rule, &self.pattern), None);
        };
        let parsed = crate::pattern::parse(&self.pattern);
        let evaluated = processors.clone().and_then(|p| {
            let pattern = parsed.clone().map_err(|e| e.to_string())?;
            crate::rule::coverage_transformed(rule, &pattern, &p)
        });
        match evaluated {
            Ok(coverage) => (Ok(coverage), Some(Ok(()))),
            // Not evaluated on the transformed events: the plain coverage stays, for
            // reports; the transformer's Err keeps the filter from counting.
            Err(why) => (parsed.map(|p| crate::rule::coverage(rule, &p)), Some(Err(why))),
        }
    }

    /// The pattern matches every one of the rule's events.
    pub fn covers_all(&self) -> bool {
        self.coverage.as_ref().is_ok_and(|c| c.covers_all)
    }

    /// What `transformation` (one of this filter's) publishes for one of the rule's
    /// events, routine events the pattern also matches included, and the events for
    /// which it publishes nothing.
    pub fn emission(&self, rule: &'static Rule, transformation: &Transformation) -> (Emission, Vec<&'static str>) {
        let (mut emission, silent) = transformation.emission(rule);
        if let Ok(coverage) = &self.coverage {
            emission.routine = coverage.routine_matched.clone();
        }
        (emission, silent)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transformation {
    pub namespace: String,
    pub name: String,
    pub value: String,
    pub default_value: Option<f64>,
    pub dimensions: BTreeMap<String, String>,
    /// The unit the metric is published with; None publishes it with unit "None".
    pub unit: Option<String>,
}

impl Transformation {
    /// What the filter publishes for one of the rule's events, for the alarm model,
    /// and the events for which it publishes nothing.
    pub fn emission(&self, rule: &'static Rule) -> (Emission, Vec<&'static str>) {
        let published = published_values(rule, &self.value);
        let emission = Emission {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            values: published.values,
            default_value: self.default_value,
            unit: self.unit.clone().unwrap_or_else(|| "None".into()),
            dimensions: self.dimensions.clone(),
            routine: Vec::new(),
            copies: vec![1],
        };
        (emission, published.silent)
    }
}

/// A metric as CloudWatch alarms address it: by region, namespace and name, and the
/// dimensions whose values are known (DescribeAlarmsForMetric must be given a metric's
/// dimensions to find the alarms on it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MetricKey {
    pub region: String,
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
}

/// The organization the function's account belongs to, and its ACTIVE accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationState {
    pub id: String,
    pub management_account: String,
    pub accounts: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
}

/// An alarm read by name, and its tags (who made it is decided from them in plan).
#[derive(Clone, Debug, PartialEq)]
pub struct TaggedAlarm {
    pub alarm: Alarm,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub arn: TopicArn,
    pub subscriptions: Vec<Subscription>,
    /// KmsMasterKeyId attribute: a key id, key ARN, alias name or alias ARN.
    pub kms_key_id: Option<String>,
    /// The topic's access policy (JSON), if the attribute was returned.
    pub policy: Option<String>,
    /// Every other attribute GetTopicAttributes returned (check classifies each).
    pub other_attributes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// "PendingConfirmation" until the endpoint confirms; then the subscription ARN.
    pub arn: String,
    pub protocol: String,
    pub endpoint: String,
    /// GetSubscriptionAttributes, read for confirmed subscriptions in listing order
    /// until one takes every message (no filter policy); None where not read.
    pub attributes: Option<Read<SubscriptionAttributes>>,
}

impl Subscription {
    pub fn is_confirmed(&self) -> bool {
        self.arn.starts_with("arn:")
    }
}

/// What decides which messages a subscription receives.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SubscriptionAttributes {
    /// The FilterPolicy attribute (JSON), None when the subscription has none.
    pub filter_policy: Option<String>,
    /// FilterPolicyScope: "MessageAttributes" (SNS's default when absent) or "MessageBody".
    pub filter_policy_scope: Option<String>,
    /// The PendingConfirmation attribute is "true".
    pub pending_confirmation: bool,
    /// Every other attribute returned (check classifies each).
    pub other_attributes: BTreeMap<String, String>,
}

/// Subscription attributes that do not decide whether it receives a message, and why
/// (GetSubscriptionAttributes). FilterPolicy, FilterPolicyScope and PendingConfirmation
/// are evaluated; any other attribute (SubscriptionRoleArn, a Firehose subscription's
/// role, among them) means it cannot be proven to receive one.
pub const KNOWN_SUBSCRIPTION_ATTRIBUTES: [(&str, &str); 11] = [
    ("Owner", "who subscribed"),
    ("SubscriptionArn", "its name"),
    ("TopicArn", "its topic"),
    ("Protocol", "listed with the subscription"),
    ("Endpoint", "listed with the subscription"),
    (
        "ConfirmationWasAuthenticated",
        "how it was confirmed; PendingConfirmation says whether",
    ),
    ("DeliveryPolicy", "retries of HTTP/S deliveries"),
    ("EffectiveDeliveryPolicy", "retries of HTTP/S deliveries"),
    ("RedrivePolicy", "where failed deliveries go"),
    (
        "RawMessageDelivery",
        "the envelope of the delivered message, not whether it is delivered",
    ),
    ("ReplayPolicy", "FIFO topics only"),
];

impl SubscriptionAttributes {
    /// An attribute this audit does not know, if any.
    pub fn unknown_attribute(&self) -> Option<&str> {
        self.other_attributes
            .keys()
            .map(String::as_str)
            .find(|k| !KNOWN_SUBSCRIPTION_ATTRIBUTES.iter().any(|(known, _)| known == k))
    }

    /// Receives every message published to the topic, as far as is known: confirmed, no
    /// filter policy, no attribute this audit does not know.
    pub fn takes_everything(&self) -> bool {
        !self.pending_confirmation && self.filter_policy.is_none() && self.unknown_attribute().is_none()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub arn: String,
    /// "AWS" for AWS-managed keys such as aws/sns, "CUSTOMER" otherwise.
    pub manager: String,
    pub enabled: bool,
    pub policy: Read<String>,
    /// Why SNS cannot encrypt with it, when its state, usage or spec say so (not
    /// Enabled; not a symmetric encryption key).
    pub unusable: Option<String>,
}

impl Trail {
    /// The account whose configuration this trail's chain lives in, when it is not
    /// `account`: an organization trail owned by the management account, or a trail
    /// delivering to a log group in another account. Its links cannot be read from here.
    pub fn foreign_account<'a>(&'a self, account: &str) -> Option<&'a str> {
        let account_of = |arn: &'a str| arn.split(':').nth(4).filter(|a| crate::arn::is_account_id(a));
        let owner = account_of(&self.arn);
        let log_group_owner = self.log_group_arn.as_deref().and_then(account_of);
        [owner, log_group_owner].into_iter().flatten().find(|a| *a != account)
    }
}

/// The AWS-managed SNS key, by alias: known without asking KMS.
pub fn is_aws_managed_sns_alias(key_id: &str) -> bool {
    key_id == "alias/aws/sns" || key_id.ends_with(":alias/aws/sns")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// collect reads subscriptions until one takes everything: one whose attributes
    /// check could not prove must not stop it.
    #[test]
    fn a_subscription_with_an_unknown_attribute_does_not_take_everything() {
        let mut a = SubscriptionAttributes::default();
        assert!(a.takes_everything());
        a.other_attributes.insert("RawMessageDelivery".into(), "true".into());
        assert!(a.takes_everything());
        a.other_attributes.insert("SubscriptionRoleArn".into(), "r".into());
        assert_eq!(a.unknown_attribute(), Some("SubscriptionRoleArn"));
        assert!(!a.takes_everything());
    }
}
