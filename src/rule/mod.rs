//! rule: what this control is, as data. The 16 IAM policy events and the canonical
//! pattern (CIS AWS Foundations / Conformity CWL-010), the CloudTrail records of those
//! events and what a pattern covers of them, the metric filter and alarm that
//! remediation writes and the fix texts name, and the control ids reports carry.
//! Pure. The filter-pattern language itself is `crate::pattern`; check, plan and the
//! tests read the wanted filter and alarm from here, so they cannot drift apart.
//!
//! A second monitored rule would be a sibling of this data (its events, pattern,
//! record builder and spec) chosen by a setting; the code that judges a chain takes
//! what it needs from here.

mod background;
mod cloudtrail;
mod coverage;
mod metric_value;

#[cfg(test)]
mod proptests;

pub use cloudtrail::{sample_record, sample_records, CallResult, IdentityType, SampleRecord};
pub use coverage::{
    coverage, coverage_of, coverage_report, coverage_transformed, union_coverage, union_report, Coverage,
    CoverageReport, FilterCoverage, Narrowing, UnionCoverage, UnionReport, Variant,
};
pub use metric_value::{published_values, Published};

/// The 16 IAM API calls that change a policy (CIS AWS 4.4, Security Hub CloudWatch.4).
pub const IAM_POLICY_EVENTS: [&str; 16] = [
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
];

/// Fields whose value a successful IAM policy change fixes (its name and service, no
/// error, a write, a management API call, IAM's region): conditions on them select the
/// rule's events, so the records derived from a pattern's conditions never vary them.
pub const DETERMINED_FIELDS: [&str; 9] = [
    "$.eventName",
    "$.eventSource",
    "$.errorCode",
    "$.errorMessage",
    "$.readOnly",
    "$.eventType",
    "$.eventCategory",
    "$.managementEvent",
    "$.awsRegion",
];

/// Fields CloudTrail writes in every record (the record contents reference): derived
/// records vary their value but never leave them out.
pub const ALWAYS_WRITTEN: [&str; 9] = [
    "$.eventVersion",
    "$.userIdentity",
    "$.userIdentity.type",
    "$.eventTime",
    "$.sourceIPAddress",
    "$.userAgent",
    "$.requestID",
    "$.eventID",
    "$.recipientAccountId",
];

/// Changes the benchmark itself lets a pattern leave out, as (field, value): none for
/// IAM policy changes (CIS v5.0 4.4's audit names no exception).
pub const SANCTIONED_EXCLUSIONS: [(&str, &str); 0] = [];

/// The CIS / Trend Micro Conformity remediation pattern, verbatim.
pub const CANONICAL_PATTERN: &str = "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }";

/// One control of a published standard that this audit automates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Control {
    pub standard: &'static str,
    /// The standard's versions in which the control has this id.
    pub versions: &'static str,
    pub id: &'static str,
}

/// Every id the control has had: CIS renumbered it as the benchmark grew.
pub const CONTROLS: [Control; 5] = [
    Control {
        standard: "CIS AWS Foundations Benchmark",
        versions: "1.2.0",
        id: "3.4",
    },
    Control {
        standard: "CIS AWS Foundations Benchmark",
        versions: "1.4.0 to 3.0.0",
        id: "4.4",
    },
    Control {
        standard: "CIS AWS Foundations Benchmark",
        versions: "5.x",
        id: "5.4",
    },
    Control {
        standard: "AWS Security Hub",
        versions: "",
        id: "CloudWatch.4",
    },
    Control {
        standard: "Trend Micro Conformity",
        versions: "",
        id: "CWL-010",
    },
];

/// The controls as every report names them.
pub const CONTROLS_SUMMARY: &str = "CIS AWS Foundations 4.4, Security Hub CloudWatch.4, Conformity CWL-010";

/// The rule as data, for scripts that seed or compare a chain (`iam-policy-alarm rule`):
/// they read it here instead of retyping it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Description {
    pub controls: &'static [Control],
    pub events: &'static [&'static str],
    pub canonical_pattern: &'static str,
    pub filter_name: &'static str,
    pub alarm_name: &'static str,
    pub metric_namespace: &'static str,
    pub metric_name: &'static str,
    pub filter: FilterSpec,
    pub alarm: AlarmSpec,
}

pub const DESCRIPTION: Description = Description {
    controls: &CONTROLS,
    events: &IAM_POLICY_EVENTS,
    canonical_pattern: CANONICAL_PATTERN,
    filter_name: DEFAULT_FILTER_NAME,
    alarm_name: DEFAULT_ALARM_NAME,
    metric_namespace: DEFAULT_METRIC_NAMESPACE,
    metric_name: DEFAULT_METRIC_NAME,
    filter: WANTED_FILTER,
    alarm: WANTED_ALARM,
};

/// The names CIS and Conformity use; each is a setting (see `settings::Names`).
pub const DEFAULT_FILTER_NAME: &str = "IAMAuthConfigChanges";
pub const DEFAULT_ALARM_NAME: &str = "IAMAuthorizationActivityAlarm";
pub const DEFAULT_METRIC_NAMESPACE: &str = "CloudTrailMetrics";
pub const DEFAULT_METRIC_NAME: &str = "IAMPolicyEventCount";

/// The metric filter the rule's remediation writes: the canonical pattern, counting 1
/// per matching event.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct FilterSpec {
    pub pattern: &'static str,
    pub metric_value: &'static str,
}

pub const WANTED_FILTER: FilterSpec = FilterSpec {
    pattern: CANONICAL_PATTERN,
    metric_value: "1",
};

/// The alarm the rule's remediation writes on the filter's metric: one event in a
/// 5-minute period goes to ALARM, and a quiet period is OK, not INSUFFICIENT_DATA.
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
    description: "Triggered by AWS IAM authorization (policy) changes. Created by iam-policy-alarm (CIS 4.4, CWL-010).",
    statistic: "Sum",
    period: 300,
    evaluation_periods: 1,
    threshold: 1.0,
    comparison_operator: "GreaterThanOrEqualToThreshold",
    treat_missing_data: "notBreaching",
};

impl AlarmSpec {
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

#[cfg(test)]
mod tests {
    use super::*;

    // The fix text once spelled these by hand: the spec must print them the same way.
    #[test]
    fn the_alarm_spec_prints_as_the_documented_remediation() {
        assert_eq!(WANTED_ALARM.summary(), "Sum >= 1 over 300 s");
        assert_eq!(
            WANTED_ALARM.cli_arguments(),
            "--statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching"
        );
    }

    #[test]
    fn the_canonical_pattern_names_each_event_once() {
        for event in IAM_POLICY_EVENTS {
            assert_eq!(CANONICAL_PATTERN.matches(&format!("= {event})")).count(), 1, "{event}");
        }
        assert!(coverage_of(WANTED_FILTER.pattern).is_ok_and(|c| c.covers_all));
    }
}
