//! The message CloudWatch publishes to an SNS topic when an alarm goes to ALARM, as far
//! as it is known before the event: a JSON body and no message attributes. A
//! subscription's filter policy is judged against it (check/notification.rs).
//!
//! AWS documents no schema for it; the shape is AWS's own sample payloads:
//! aws/aws-lambda-go `events/testdata/cloudwatch-alarm-sns-payload-single-metric.json`
//! and `-multiple-metrics.json` (the `CloudWatchAlarmSnsPayload` struct in
//! `events/sns.go`), the same fixtures in awslabs/aws-lambda-rust-runtime
//! (`lambda-events/src/fixtures/example-cloudwatch-alarm-sns-payload-*.json`). The SNS
//! envelope's `MessageAttributes` is `{}`. Top level: `AlarmName`, `AlarmDescription`,
//! `AWSAccountId`, `NewStateValue`, `OldStateValue`, `NewStateReason`,
//! `StateChangeTime`, `Region` (a display name), `AlarmArn`, `Trigger`; the trigger of a
//! single-metric alarm holds `MetricName`, `Namespace`, `StatisticType`, `Statistic`
//! (upper case: "SUM"), `Unit` (null when unset), `Dimensions` ([{"value", "name"}]),
//! `Period`, `EvaluationPeriods`, `ComparisonOperator`, `Threshold`; a metric math
//! alarm's has `Metrics` instead of the metric.
//!
//! Only the fields whose value the alarm's configuration fixes, and whose form the
//! samples show, are in [`body`]. Left out, so that a filter policy testing them cannot
//! be proven to let the alarm through: the fields that differ with each notification
//! ([`VARYING`]); `Region`, whose display names differ between the samples and the
//! console ("EU - Ireland"); an unset `AlarmDescription` (null or absent is not shown);
//! `TreatMissingData` and `EvaluateLowSampleCountPercentile`, whose sample values are
//! free text; a math alarm's `Metrics`; alarm tags (sent when AlarmTagsPropagation is
//! on); and, for a composite alarm, of which AWS publishes no sample, all but its
//! name, account, state and ARN.

use serde_json::{json, Map, Value};

use super::{Alarm, CompositeAlarm};

/// Fields of the notification whose value changes from one notification to the next.
pub const VARYING: [&str; 4] = [
    "OldStateValue",
    "NewStateReason",
    "StateChangeTime",
    "AlarmConfigurationUpdatedTimestamp",
];

/// The notification body of a metric alarm (or metric math alarm) going to ALARM: the
/// fields its configuration fixes.
pub fn body(alarm: &Alarm) -> Value {
    let mut body = common(&alarm.name, alarm.description.as_deref(), &alarm.arn);
    body.insert("Trigger".into(), trigger(alarm));
    Value::Object(body)
}

/// The notification body of a composite alarm going to ALARM, as far as it is known.
pub fn composite_body(alarm: &CompositeAlarm) -> Value {
    Value::Object(common(&alarm.name, None, &alarm.arn))
}

fn common(name: &str, description: Option<&str>, arn: &str) -> Map<String, Value> {
    // arn:aws:cloudwatch:<region>:<account>:alarm:<name>
    let account = arn.split(':').nth(4).unwrap_or_default();
    let mut body = Map::new();
    body.insert("AlarmName".into(), json!(name));
    if let Some(description) = description {
        body.insert("AlarmDescription".into(), json!(description));
    }
    body.insert("AWSAccountId".into(), json!(account));
    body.insert("NewStateValue".into(), json!("ALARM"));
    body.insert("AlarmArn".into(), json!(arn));
    body
}

fn trigger(alarm: &Alarm) -> Value {
    let mut t = Map::new();
    if alarm.metrics.is_empty() {
        t.insert("MetricName".into(), json!(alarm.metric_name));
        t.insert("Namespace".into(), json!(alarm.namespace));
        // The samples spell these four in capitals ("SUM", "AVERAGE"); how SampleCount
        // and the extended statistics are written is not shown: left out.
        if let Some(s @ ("Sum" | "Average" | "Minimum" | "Maximum")) = alarm.statistic.as_deref() {
            t.insert("StatisticType".into(), json!("Statistic"));
            t.insert("Statistic".into(), json!(s.to_uppercase()));
        }
        t.insert("Unit".into(), alarm.unit.as_deref().map_or(Value::Null, |u| json!(u)));
        let dimensions: Vec<Value> = alarm
            .dimensions
            .iter()
            .map(|(name, value)| json!({"value": value, "name": name}))
            .collect();
        t.insert("Dimensions".into(), Value::Array(dimensions));
        if let Some(p) = alarm.period {
            t.insert("Period".into(), json!(p));
        }
    }
    if let Some(n) = alarm.evaluation_periods {
        t.insert("EvaluationPeriods".into(), json!(n));
    }
    if let Some(c) = &alarm.comparison_operator {
        t.insert("ComparisonOperator".into(), json!(c));
    }
    if let Some(threshold) = alarm.threshold {
        t.insert("Threshold".into(), json!(threshold));
    }
    Value::Object(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm() -> Alarm {
        Alarm {
            name: "IAMAuthorizationActivityAlarm".into(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:IAMAuthorizationActivityAlarm".into(),
            actions_enabled: true,
            alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:alarms".into()],
            namespace: "CloudTrailMetrics".into(),
            metric_name: "IAMPolicyEventCount".into(),
            statistic: Some("Sum".into()),
            period: Some(300),
            evaluation_periods: Some(1),
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
            ..Alarm::default()
        }
    }

    #[test]
    fn a_metric_alarm_notifies_with_its_configuration_and_no_varying_field() {
        let body = body(&alarm());
        assert_eq!(body["AlarmName"], "IAMAuthorizationActivityAlarm");
        assert_eq!(body["AWSAccountId"], "123456789012");
        assert_eq!(body["NewStateValue"], "ALARM");
        assert!(body.get("Region").is_none(), "its display name is not known for sure");
        assert!(
            body.get("AlarmDescription").is_none(),
            "unset: null or absent is not known"
        );
        assert_eq!(body["Trigger"]["MetricName"], "IAMPolicyEventCount");
        assert_eq!(body["Trigger"]["Statistic"], "SUM");
        assert_eq!(body["Trigger"]["Dimensions"], json!([]));
        assert_eq!(body["Trigger"]["Threshold"], 1.0);
        assert!(
            body["Trigger"].get("TreatMissingData").is_none(),
            "free text in AWS's samples"
        );
        for field in VARYING {
            assert!(body.get(field).is_none(), "{field}");
        }
    }

    #[test]
    fn a_statistic_the_samples_do_not_spell_is_left_out() {
        let mut a = alarm();
        a.statistic = Some("SampleCount".into());
        assert!(body(&a)["Trigger"].get("Statistic").is_none());
        a.statistic = None;
        a.extended_statistic = Some("p99".into());
        assert!(body(&a)["Trigger"].get("Statistic").is_none());
    }

    #[test]
    fn a_description_that_is_set_is_in_the_body() {
        let mut a = alarm();
        a.description = Some("IAM policy changes".into());
        assert_eq!(body(&a)["AlarmDescription"], "IAM policy changes");
    }

    #[test]
    fn a_metric_math_alarm_has_no_single_metric_in_its_trigger() {
        let mut a = alarm();
        a.metric_name = String::new();
        a.metrics = vec![crate::alarm::MetricQuery::default()];
        let body = body(&a);
        assert!(body["Trigger"].get("MetricName").is_none());
        assert_eq!(body["Trigger"]["EvaluationPeriods"], 1);
    }
}
