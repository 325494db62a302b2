//! The run's own metric, in CloudWatch's embedded metric format (EMF): one JSON line on
//! standard output for each run that completed (a FAIL is a completed run; a run with
//! an error is not), which Lambda's log pipeline turns into the metric `CompletedRuns`
//! (namespace `iam-policy-alarm`, dimensions `FunctionName` and `Trigger`).
//! NoSuccessfulRunAlarm counts the schedule's completed runs by it: an invocation that
//! starts no run (an ignored tamper event, a queue batch of refused records) or a run
//! a tamper event started does not hide a schedule that stopped.
//!
//! Shape: "Specification: Embedded metric format" (CloudWatch user guide: `_aws` with
//! `Timestamp` in ms and `CloudWatchMetrics` [{Namespace, Dimensions, Metrics}], the
//! values as top-level members); Lambda extracts it from a line written to standard
//! output ("Publishing custom metrics with the embedded metric format", Lambda guide).

use serde::Serialize;

use crate::invocation::Trigger;

pub const NAMESPACE: &str = "iam-policy-alarm";
pub const METRIC: &str = "CompletedRuns";

/// The `Trigger` dimension: what started the run.
pub fn trigger_dimension(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::Schedule { .. } => "schedule",
        Trigger::Manual => "manual",
        Trigger::Cli => "cli",
        Trigger::Change(_) => "change",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Emf<'a> {
    #[serde(rename = "_aws")]
    aws: Metadata<'a>,
    function_name: &'a str,
    trigger: &'a str,
    completed_runs: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata<'a> {
    timestamp: i64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'a str,
    dimensions: [[&'a str; 2]; 1],
    metrics: [Metric<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metric<'a> {
    name: &'a str,
    unit: &'a str,
}

/// The EMF line of one completed run of `function`, at `time_ms`.
pub fn completed_run(function: &str, trigger: &Trigger, time_ms: i64) -> String {
    let emf = Emf {
        aws: Metadata {
            timestamp: time_ms,
            cloud_watch_metrics: [Directive {
                namespace: NAMESPACE,
                dimensions: [["FunctionName", "Trigger"]],
                metrics: [Metric {
                    name: METRIC,
                    unit: "Count",
                }],
            }],
        },
        function_name: function,
        trigger: trigger_dimension(trigger),
        completed_runs: 1,
    };
    serde_json::to_string(&emf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_run_is_one_emf_line_with_its_trigger() {
        let line = completed_run(
            "stack-AuditFunction-X",
            &Trigger::Schedule { rule: None },
            1_700_000_000_000,
        );
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(
            directive["Dimensions"],
            serde_json::json!([["FunctionName", "Trigger"]])
        );
        assert_eq!(
            directive["Metrics"],
            serde_json::json!([{"Name": "CompletedRuns", "Unit": "Count"}])
        );
        // Every dimension and metric named in the directive is a member with its value.
        assert_eq!(v["FunctionName"], "stack-AuditFunction-X");
        assert_eq!(v["Trigger"], "schedule");
        assert_eq!(v["CompletedRuns"], 1);
        let changed = completed_run("f", &Trigger::Change(Vec::new()), 0);
        assert!(changed.contains(r#""Trigger":"change""#), "{changed}");
    }
}
