//! What the alarm model reads: an alarm (on one metric or metric math), its queries,
//! and a composite alarm, as collect fills them from DescribeAlarms. Owned here so
//! that the model imports nothing else from the crate, as `pattern` does.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    /// AlarmDescription: carried in the alarm's notification, which a subscription's
    /// filter policy may test.
    pub description: Option<String>,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub namespace: String,
    pub metric_name: String,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub dimensions: BTreeMap<String, String>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: Option<f64>,
    pub comparison_operator: Option<String>,
    pub treat_missing_data: Option<String>,
    /// The unit the alarm asks its metric for (None: any).
    pub unit: Option<String>,
    /// A metric math alarm's queries (empty for an alarm on one metric).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricQuery>,
    /// Set on an anomaly detection alarm: the band it compares with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_metric_id: Option<String>,
    /// Settings of this alarm that the alarm model does not evaluate (e.g.
    /// "EvaluationCriteria"): it cannot be proven to fire.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unevaluated: Vec<String>,
    /// ActionConfiguration is set: it changes the content of the notifications, so what
    /// a subscription's filter policy sees is not known.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notification_configured: bool,
}

/// One query of a metric math alarm: a metric's statistic, or an expression over others.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct MetricQuery {
    pub id: String,
    pub expression: Option<String>,
    pub metric: Option<MetricStat>,
    pub return_data: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct MetricStat {
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
    pub period: Option<i32>,
    pub stat: String,
    pub unit: Option<String>,
}

/// A composite alarm: its rule over other alarms' states, and its actions.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct CompositeAlarm {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub rule: String,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub actions_suppressor: Option<String>,
    /// ActionConfiguration is set (see [`Alarm::notification_configured`]).
    pub notification_configured: bool,
}
