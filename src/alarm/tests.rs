//! Table-driven tests of the alarm model: one row per way an alarm fails to fire, and
//! per way it fires that a list of accepted settings would reject.

use std::collections::BTreeMap;

use super::{evaluate, Emission, Verdict};
use super::{Alarm, MetricQuery, MetricStat};

fn emission() -> Emission {
    Emission {
        namespace: "CloudTrailMetrics".into(),
        name: "IAMPolicyEventCount".into(),
        values: vec![1.0],
        default_value: None,
        unit: "None".into(),
        dimensions: BTreeMap::new(),
        routine: Vec::new(),
        copies: vec![1],
    }
}

fn alarm() -> Alarm {
    Alarm {
        name: "a".into(),
        arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a".into(),
        actions_enabled: true,
        namespace: "CloudTrailMetrics".into(),
        metric_name: "IAMPolicyEventCount".into(),
        statistic: Some("Sum".into()),
        period: Some(300),
        evaluation_periods: Some(1),
        threshold: Some(1.0),
        comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
        treat_missing_data: Some("notBreaching".into()),
        ..Alarm::default()
    }
}

fn stat(a: &mut Alarm, s: &str) {
    if ["Sum", "SampleCount", "Average", "Minimum", "Maximum"].contains(&s) {
        a.statistic = Some(s.into());
        a.extended_statistic = None;
    } else {
        a.statistic = None;
        a.extended_statistic = Some(s.into());
    }
}

fn metric(id: &str, stat: &str) -> MetricQuery {
    MetricQuery {
        id: id.into(),
        expression: None,
        metric: Some(MetricStat {
            namespace: "CloudTrailMetrics".into(),
            name: "IAMPolicyEventCount".into(),
            dimensions: BTreeMap::new(),
            period: Some(300),
            stat: stat.into(),
            unit: None,
        }),
        return_data: Some(false),
    }
}

fn expression(id: &str, e: &str) -> MetricQuery {
    MetricQuery {
        id: id.into(),
        expression: Some(e.into()),
        metric: None,
        return_data: Some(true),
    }
}

/// A metric math alarm: `m1` the filter's metric with `stat`, `e1` = `expr`, returned.
fn math(a: &mut Alarm, stat: &str, expr: &str) {
    a.statistic = None;
    a.namespace.clear();
    a.metric_name.clear();
    a.metrics = vec![metric("m1", stat), expression("e1", expr)];
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum V {
    Fires,
    Not,
    Cannot,
}

type Row = (&'static str, fn(&mut Alarm, &mut Emission), V, &'static str);

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use V::*;
    vec![
        ("the CIS alarm", |_, _| {}, Fires, "Sum of the period = 1 (one event, value 1) >= 1: ALARM after 1 of 1 datapoints"),
        // statistics: one sample, so each is the event's value (or its count)
        ("Maximum", |a, _| stat(a, "Maximum"), Fires, "Maximum of the period = 1"),
        ("Minimum", |a, _| stat(a, "Minimum"), Fires, "Minimum of the period = 1"),
        ("Average", |a, _| stat(a, "Average"), Fires, "Average of the period = 1"),
        ("SampleCount", |a, _| stat(a, "SampleCount"), Fires, "SampleCount of the period = 1"),
        ("p99", |a, _| stat(a, "p99"), Fires, "p99 of the period = 1"),
        ("tm90", |a, _| stat(a, "tm90"), Fires, "TM(0%:90%) of the period = 1"),
        ("wm90", |a, _| stat(a, "wm90"), Fires, "WM(0%:90%) of the period = 1"),
        ("tc90", |a, _| stat(a, "tc90"), Fires, "TC(0%:90%) of the period = 1"),
        ("ts90", |a, _| stat(a, "ts90"), Fires, "TS(0%:90%) of the period = 1"),
        ("IQM", |a, _| stat(a, "IQM"), Fires, "TM(25%:75%) of the period = 1"),
        ("PR(0:)", |a, e| { stat(a, "PR(0:)"); a.threshold = Some(100.0); e.values = vec![1.0] }, Fires, "PR(0:) of the period = 100"),
        ("an unknown statistic", |a, _| stat(a, "Median"), Cannot, "statistic \"Median\""),
        ("no statistic", |a, _| a.statistic = None, Cannot, "has no statistic"),
        // defaultValue: the other events' samples count where the statistic sees them
        ("Sum with defaultValue 0", |_, e| e.default_value = Some(0.0), Fires, "Sum of the period = 1"),
        ("Maximum with defaultValue 0", |a, e| { stat(a, "Maximum"); e.default_value = Some(0.0) }, Fires, "Maximum of the period = 1"),
        ("Average with defaultValue 0", |a, e| { stat(a, "Average"); e.default_value = Some(0.0) }, Not, "very many other events publishing defaultValue 0"),
        ("Minimum with defaultValue 0", |a, e| { stat(a, "Minimum"); e.default_value = Some(0.0) }, Not, "does not fire on one event: Minimum of the period = 0"),
        ("p99 with defaultValue 0", |a, e| { stat(a, "p99"); e.default_value = Some(0.0) }, Not, "does not fire on one event"),
        ("SampleCount with defaultValue 0", |a, e| { stat(a, "SampleCount"); e.default_value = Some(0.0) }, Not, "breaches with no matching event"),
        ("Sum with defaultValue 1", |_, e| e.default_value = Some(1.0), Not, "breaches with no matching event"),
        // the metric's value
        ("value 2, threshold 2", |a, e| { e.values = vec![2.0]; a.threshold = Some(2.0) }, Fires, "= 2 (one event, value 2) >= 2"),
        ("value 0.5", |_, e| e.values = vec![0.5], Not, "does not fire on one event: Sum of the period = 0.5"),
        ("values differ by event", |_, e| e.values = vec![1.0, 0.5], Not, "value 0.5"),
        ("no value published", |_, e| e.values.clear(), Not, "publishes no value"),
        // unit
        ("unit the filter does not publish", |a, _| a.unit = Some("Count".into()), Not, "asks for unit Count, but the filter publishes the metric with unit None"),
        ("unit it publishes", |a, e| { a.unit = Some("Count".into()); e.unit = "Count".into() }, Fires, "ALARM after 1 of 1"),
        // comparison and threshold
        ("threshold 2", |a, _| a.threshold = Some(2.0), Not, "does not fire on one event: Sum of the period = 1 (one event, value 1) >= 2 is false"),
        ("greater than 1", |a, _| a.comparison_operator = Some("GreaterThanThreshold".into()), Not, "value 1) > 1 is false"),
        ("greater than 0", |a, _| { a.comparison_operator = Some("GreaterThanThreshold".into()); a.threshold = Some(0.0) }, Fires, "> 0"),
        ("less than 5, quiet periods missing", |a, _| { a.comparison_operator = Some("LessThanThreshold".into()); a.threshold = Some(5.0) }, Fires, "1 (one event, value 1) < 5"),
        ("less than 5 with defaultValue 0", |a, e| { a.comparison_operator = Some("LessThanThreshold".into()); a.threshold = Some(5.0); e.default_value = Some(0.0) }, Not, "breaches with no matching event"),
        ("less than 1", |a, _| a.comparison_operator = Some("LessThanThreshold".into()), Not, "value 1) < 1 is false"),
        ("a setting the model does not evaluate", |a, _| a.unevaluated = vec!["EvaluationCriteria".into()], Cannot, "sets EvaluationCriteria, which this audit does not evaluate"),
        ("anomaly detection", |a, _| { a.comparison_operator = Some("GreaterThanUpperThreshold".into()); a.threshold_metric_id = Some("ad1".into()) }, Cannot, "anomaly detection band ad1"),
        ("an operator without a threshold band", |a, _| a.comparison_operator = Some("GreaterThanUpperThreshold".into()), Cannot, "comparison GreaterThanUpperThreshold"),
        // M of N
        ("2 of 3 datapoints", |a, _| { a.evaluation_periods = Some(3); a.datapoints_to_alarm = Some(2) }, Not, "needs 2 breaching periods (of 3)"),
        ("1 of 3 datapoints", |a, _| { a.evaluation_periods = Some(3); a.datapoints_to_alarm = Some(1) }, Fires, "ALARM after 1 of 3 datapoints"),
        ("3 evaluation periods", |a, _| a.evaluation_periods = Some(3), Not, "needs 3 breaching periods"),
        // missing data
        ("missing data breaching", |a, _| a.treat_missing_data = Some("breaching".into()), Not, "treats missing data as breaching"),
        ("missing data missing", |a, _| a.treat_missing_data = Some("missing".into()), Fires, "ALARM"),
        ("missing data ignored", |a, _| a.treat_missing_data = Some("ignore".into()), Fires, "ALARM"),
        ("missing data unset", |a, _| a.treat_missing_data = None, Fires, "ALARM"),
        // dimensions
        ("a dimension the filter does not publish", |a, _| { a.dimensions.insert("user".into(), "alice".into()); }, Not, "watches dimensions [user] but the filter publishes []"),
        ("one value of a per-event dimension", |a, e| { a.dimensions.insert("user".into(), "alice".into()); e.dimensions.insert("user".into(), "$.userIdentity.userName".into()); }, Not, "watches only user=alice"),
        ("a constant dimension", |a, e| { a.dimensions.insert("team".into(), "sec".into()); e.dimensions.insert("team".into(), "sec".into()); }, Fires, "ALARM"),
        // metric math
        ("math: the metric itself", |a, _| math(a, "Sum", "m1"), Fires, "e1 (m1) = 1"),
        ("math: FILL", |a, _| math(a, "Sum", "FILL(m1, 0)"), Fires, "e1 (FILL(m1, 0)) = 1"),
        ("math: FILL breaching when quiet", |a, _| { math(a, "Sum", "FILL(m1, 1)") }, Not, "breaches with no matching event"),
        ("math: arithmetic", |a, _| { math(a, "Maximum", "m1 * 10"); a.threshold = Some(10.0) }, Fires, "= 10"),
        ("math: IF", |a, _| math(a, "Sum", "IF(m1 > 0, 1, 0)"), Fires, "= 1"),
        ("math: SUM of a list", |a, _| math(a, "Sum", "SUM([m1, 0])"), Fires, "= 1"),
        ("math: MAX of a list", |a, _| math(a, "Sum", "MAX([m1, 0])"), Fires, "= 1"),
        ("math: MIN of a list", |a, _| math(a, "Sum", "MIN([FILL(m1, 0), 0])"), Not, "does not fire"),
        ("math: division", |a, _| math(a, "Sum", "m1 / 2"), Not, "0.5"),
        ("math: an unknown function", |a, _| math(a, "Sum", "RATE(m1)"), Cannot, "function RATE is not evaluated"),
        ("math: another metric", |a, _| { math(a, "Sum", "m1 + m2"); let mut other = metric("m2", "Sum"); other.metric.as_mut().unwrap().name = "Other".into(); a.metrics.push(other) }, Cannot, "reads metric CloudTrailMetrics/Other"),
        ("math: two returned", |a, _| { math(a, "Sum", "m1"); a.metrics[0].return_data = Some(true) }, Cannot, "returns 2 of its metric math queries"),
        ("math: a unit the filter does not publish", |a, _| { math(a, "Sum", "m1"); a.metrics[0].metric.as_mut().unwrap().unit = Some("Count".into()) }, Cannot, "asks for unit Count"),
        ("math: FILL when quiet and missing breaching", |a, _| { math(a, "Sum", "FILL(m1, 0)"); a.treat_missing_data = Some("breaching".into()) }, Fires, "ALARM"),
        // routine events the filter also matches publish in every period
        ("routine events, Sum >= 1", |_, e| e.routine = vec!["kms:Decrypt"], Not, "breaches with no matching event: the filter also counts routine events (kms:Decrypt), so Sum of the period = 1 with 1 of them >= 1"),
        ("routine events, SampleCount > 0", |a, e| { stat(a, "SampleCount"); a.threshold = Some(0.0); a.comparison_operator = Some("GreaterThanThreshold".into()); e.routine = vec!["kms:Decrypt"] }, Not, "rests in ALARM"),
        ("routine events, a threshold no quiet period reaches", |a, e| { a.threshold = Some(1e12); e.routine = vec!["kms:Decrypt"] }, Cannot, "depends on how many of those the period holds"),
        ("routine events and a defaultValue", |_, e| { e.routine = vec!["kms:Decrypt"]; e.default_value = Some(0.0) }, Cannot, "the period's mix is not known"),
    ]
}

#[test]
fn each_way_an_alarm_fires_or_does_not() {
    for (name, change, want, says) in rows() {
        let (mut a, mut e) = (alarm(), emission());
        change(&mut a, &mut e);
        let verdict = evaluate(&a, &e);
        let (got, text) = match &verdict {
            Verdict::Fires(t) => (V::Fires, t),
            Verdict::DoesNotFire(t) => (V::Not, t),
            Verdict::CannotProve(t) => (V::Cannot, t),
        };
        assert_eq!(got, want, "{name}: {verdict:?}");
        assert!(text.contains(says), "{name}: expected {says:?} in {text:?}");
    }
}
