//! rule: what a monitored control is, as data. Each rule of the CIS AWS Foundations
//! monitoring section (v5.0 4.1-4.15, Security Hub CloudWatch.1-14) is one JSON file in
//! `data/`: the events (or refused calls, sign-ins, root calls) its filter must catch as
//! cases of realistic CloudTrail records, the benchmark's canonical pattern and where it
//! is quoted from, the fields its events determine, the exclusions the benchmark
//! sanctions, the filter and alarm remediation writes, and the control ids reports
//! carry. Pure. The code that judges a chain (coverage here; check, plan, report) takes
//! what it needs from a `&Rule`; the filter-pattern language is `crate::pattern`.

mod background;
mod cloudtrail;
mod coverage;
mod metric_value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use cloudtrail::{CallResult, IdentityType, SampleRecord};
pub use coverage::{
    coverage, coverage_of, coverage_report, coverage_transformed, union_coverage, union_report, Coverage,
    CoverageReport, FilterCoverage, Narrowing, UnionCoverage, UnionReport, Variant,
};
pub use metric_value::{published_values, Published};

/// The mission's rule, and the default of `RULES`.
pub const DEFAULT_RULE: &str = "iam-policy-changes";

/// The rule files, in the benchmark's order (CIS v5.0 4.1 to 4.15).
const FILES: [(&str, &str); 15] = [
    (
        "unauthorized-api-calls",
        include_str!("data/unauthorized-api-calls.json"),
    ),
    (
        "console-signin-without-mfa",
        include_str!("data/console-signin-without-mfa.json"),
    ),
    ("root-usage", include_str!("data/root-usage.json")),
    ("iam-policy-changes", include_str!("data/iam-policy-changes.json")),
    ("cloudtrail-changes", include_str!("data/cloudtrail-changes.json")),
    ("console-auth-failures", include_str!("data/console-auth-failures.json")),
    (
        "cmk-disable-or-deletion",
        include_str!("data/cmk-disable-or-deletion.json"),
    ),
    (
        "s3-bucket-policy-changes",
        include_str!("data/s3-bucket-policy-changes.json"),
    ),
    ("config-changes", include_str!("data/config-changes.json")),
    (
        "security-group-changes",
        include_str!("data/security-group-changes.json"),
    ),
    ("nacl-changes", include_str!("data/nacl-changes.json")),
    (
        "network-gateway-changes",
        include_str!("data/network-gateway-changes.json"),
    ),
    ("route-table-changes", include_str!("data/route-table-changes.json")),
    ("vpc-changes", include_str!("data/vpc-changes.json")),
    ("organizations-changes", include_str!("data/organizations-changes.json")),
];

/// Fields CloudTrail writes in every record (the record contents reference): derived
/// records vary their value but never leave them out.
pub const ALWAYS_WRITTEN: [&str; 13] = [
    "$.eventVersion",
    "$.userIdentity",
    "$.userIdentity.type",
    "$.eventTime",
    "$.eventSource",
    "$.eventName",
    "$.awsRegion",
    "$.sourceIPAddress",
    "$.userAgent",
    "$.requestID",
    "$.eventID",
    "$.eventType",
    "$.recipientAccountId",
];

/// One control of a published standard that a rule automates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub standard: String,
    /// The standard's versions in which the control has this id.
    pub versions: String,
    pub id: String,
}

/// Another published pattern for the same control, which must catch every case too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedPattern {
    pub source: String,
    pub pattern: String,
}

/// The names of the metric filter remediation writes and of its metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterNames {
    pub name: String,
    pub metric_namespace: String,
    pub metric_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmNames {
    pub name: String,
    pub description: String,
}

/// One kind of record the rule's filter must catch: a call (change rules: the event
/// name), or a refused call, a sign-in, a root call (predicate rules). Its record is
/// built for each identity type that can make it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within the rule: the event name, or what the case is.
    pub event: String,
    /// `eventSource`.
    pub source: String,
    /// `eventName`, when not `event`.
    #[serde(default)]
    pub name: Option<String>,
    /// `awsRegion`, when not the rule's.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default = "all_identities")]
    pub identities: Vec<IdentityType>,
    #[serde(default = "api_call")]
    pub event_type: String,
    /// `readOnly`; null: not written (console sign-ins).
    #[serde(default = "some_false")]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub additional_event_data: Option<serde_json::Value>,
    pub request: serde_json::Value,
    pub response: serde_json::Value,
    /// The resource a refused copy's message names.
    pub resource: String,
}

fn all_identities() -> Vec<IdentityType> {
    IdentityType::ALL.to_vec()
}

fn api_call() -> String {
    "AwsApiCall".into()
}

fn some_false() -> Option<bool> {
    Some(false)
}

impl Case {
    /// The `eventName` its records carry.
    pub fn event_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.event)
    }
}

/// A rule, as its data file says it. Loaded once per process (`all`), so every `&str`
/// in it lives as long as the process.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The id users name it by (`RULES`, `--rules`, the payload's `rules`): an interface.
    pub id: String,
    pub title: String,
    /// What its cases are called in summaries ("IAM policy events").
    pub events_noun: String,
    pub controls: Vec<Control>,
    /// One line naming the controls, as every report does.
    pub controls_summary: String,
    /// Security Hub's control id (`CloudWatch.N`), where there is one.
    pub security_hub_control: Option<String>,
    /// The benchmark's own pattern, verbatim: it must cover the rule.
    pub canonical_pattern: String,
    /// Where the canonical pattern is quoted from.
    pub canonical_source: String,
    /// Other published patterns for the control that cover it too.
    pub other_benchmark_patterns: Vec<PublishedPattern>,
    /// Fields whose value the rule's cases fix: a condition on one selects the rule's
    /// records, so records derived from a pattern's conditions never vary them.
    pub determined_fields: Vec<String>,
    /// (field, value) changes the benchmark itself lets a pattern leave out.
    pub sanctioned_exclusions: Vec<(String, String)>,
    /// Also build a refused (AccessDenied) copy of each case by an IAM user and an
    /// assumed role: reported, not required.
    pub denied_variants: bool,
    /// The records' `awsRegion`, unless a case says otherwise.
    pub region: String,
    pub filter: FilterNames,
    pub alarm: AlarmNames,
    /// Where the records' shapes come from.
    pub record_sources: Vec<String>,
    pub cases: Vec<Case>,
    #[serde(skip)]
    corpus: OnceLock<cloudtrail::Corpus>,
}

// A rule is known by its id (settings and reports print it, not its data).
impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rule({})", self.id)
    }
}

impl Rule {
    /// The title as it reads inside a sentence: a first word that is not an acronym or a
    /// name (IAM, AWS, CloudTrail) loses its capital ("no trail alarms on root user calls").
    pub fn in_sentence(&self) -> String {
        let first = self.title.split(' ').next().unwrap_or_default();
        let common = first.chars().skip(1).all(|c| c.is_ascii_lowercase() || c == '-');
        let mut chars = self.title.chars();
        match (common, chars.next()) {
            (true, Some(c)) => c.to_lowercase().chain(chars).collect(),
            _ => self.title.clone(),
        }
    }

    /// The case labels, in the data's order.
    pub fn events(&'static self) -> Vec<&'static str> {
        self.cases.iter().map(|c| c.event.as_str()).collect()
    }

    /// The metric filter remediation writes: the canonical pattern, counting 1.
    pub fn wanted_filter(&'static self) -> FilterSpec {
        FilterSpec {
            pattern: &self.canonical_pattern,
            metric_value: "1",
        }
    }

    /// The rule's records as CloudTrail delivers them (built once).
    pub fn sample_records(&'static self) -> &'static [SampleRecord] {
        &self.corpus().records
    }

    pub(crate) fn corpus(&'static self) -> &'static cloudtrail::Corpus {
        self.corpus.get_or_init(|| cloudtrail::build_corpus(self))
    }

    /// The record for one case, identity and result, if there is one.
    pub fn sample_record(
        &'static self,
        event: &str,
        identity: IdentityType,
        result: CallResult,
    ) -> Option<&'static SampleRecord> {
        self.sample_records()
            .iter()
            .find(|r| r.event == event && r.identity == identity && r.result == result)
    }

    /// The rule as data, for scripts (`iam-policy-alarm rule`).
    pub fn description(&'static self) -> Description {
        Description {
            id: &self.id,
            title: &self.title,
            controls: &self.controls,
            security_hub_control: self.security_hub_control.as_deref(),
            events: self.events(),
            canonical_pattern: &self.canonical_pattern,
            canonical_source: &self.canonical_source,
            filter_name: &self.filter.name,
            alarm_name: &self.alarm.name,
            metric_namespace: &self.filter.metric_namespace,
            metric_name: &self.filter.metric_name,
            filter: self.wanted_filter(),
            alarm: WANTED_ALARM.with_description(&self.alarm.description),
        }
    }
}

/// Every rule, in the benchmark's order. A malformed file is a bug caught by the tests
/// (every file is loaded by them), so it panics here.
pub fn all() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        FILES
            .iter()
            .map(|(id, text)| {
                let rule: Rule = serde_json::from_str(text).unwrap_or_else(|e| panic!("rule file {id}.json: {e}"));
                assert_eq!(rule.id, *id, "rule file {id}.json names another id");
                rule
            })
            .collect()
    })
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.id == id)
}

/// The mission's rule (`iam-policy-changes`).
pub fn default_rule() -> &'static Rule {
    by_id(DEFAULT_RULE).expect("the default rule has a data file")
}

/// Every rule id, comma-separated, for error messages and help.
pub fn ids() -> String {
    all().iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
}

/// The rule as data, for scripts that seed or compare a chain (`iam-policy-alarm rule`):
/// they read it here instead of retyping it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Description {
    pub id: &'static str,
    pub title: &'static str,
    pub controls: &'static [Control],
    pub security_hub_control: Option<&'static str>,
    pub events: Vec<&'static str>,
    pub canonical_pattern: &'static str,
    pub canonical_source: &'static str,
    pub filter_name: &'static str,
    pub alarm_name: &'static str,
    pub metric_namespace: &'static str,
    pub metric_name: &'static str,
    pub filter: FilterSpec,
    pub alarm: AlarmSpec,
}

/// The metric filter a rule's remediation writes: its canonical pattern, counting 1
/// per matching event.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct FilterSpec {
    pub pattern: &'static str,
    pub metric_value: &'static str,
}

/// The alarm remediation writes on a rule's metric (the same for every rule, as the
/// benchmark's remediation writes it): one event in a 5-minute period goes to ALARM,
/// and a quiet period is OK, not INSUFFICIENT_DATA.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct AlarmSpec {
    pub description: &'static str,
    pub statistic: &'static str,
    pub period: i32,
    pub evaluation_periods: i32,
    pub threshold: f64,
    pub comparison_operator: &'static str,
    pub treat_missing_data: &'static str,
}

pub const WANTED_ALARM: AlarmSpec = AlarmSpec {
    description: "",
    statistic: "Sum",
    period: 300,
    evaluation_periods: 1,
    threshold: 1.0,
    comparison_operator: "GreaterThanOrEqualToThreshold",
    treat_missing_data: "notBreaching",
};

impl AlarmSpec {
    /// The spec with a rule's description.
    pub fn with_description(self, description: &'static str) -> Self {
        AlarmSpec { description, ..self }
    }

    /// "Sum >= 1 over 300 s", for plans and reports.
    pub fn summary(&self) -> String {
        let op = match self.comparison_operator {
            "GreaterThanOrEqualToThreshold" => ">=",
            "GreaterThanThreshold" => ">",
            other => other,
        };
        format!("{} {op} {} over {} s", self.statistic, self.threshold, self.period)
    }

    /// The `aws cloudwatch put-metric-alarm` arguments that set this spec.
    pub fn cli_arguments(&self) -> String {
        format!(
            "--statistic {} --period {} --evaluation-periods {} --threshold {} --comparison-operator {} --treat-missing-data {}",
            self.statistic,
            self.period,
            self.evaluation_periods,
            self.threshold,
            self.comparison_operator,
            self.treat_missing_data
        )
    }
}
