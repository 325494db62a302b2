//! CloudWatch adapter: the alarms on one metric, found by metric (not by listing every
//! alarm), so the cost grows with what matters, not with the account's size.

use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_cloudwatch::Client;

use crate::aws::aws_error;
use crate::state::{Alarm, MetricKey, Read, TaggedAlarm};

pub async fn alarms_for_metric(cloudwatch: &Client, key: &MetricKey) -> Read<Vec<Alarm>> {
    let out = cloudwatch
        .describe_alarms_for_metric()
        .namespace(&key.namespace)
        .metric_name(&key.name)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                "cloudwatch:DescribeAlarmsForMetric",
                format!("{}/{} in {}", key.namespace, key.name, key.region),
                e,
            )
        })?;
    Ok(out.metric_alarms().iter().map(alarm).collect())
}

pub fn alarm(a: &MetricAlarm) -> Alarm {
    Alarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        arn: a.alarm_arn().unwrap_or_default().to_string(),
        actions_enabled: a.actions_enabled().unwrap_or(false),
        alarm_actions: a.alarm_actions().to_vec(),
        namespace: a.namespace().unwrap_or_default().to_string(),
        metric_name: a.metric_name().unwrap_or_default().to_string(),
        statistic: a.statistic().map(|s| s.as_str().to_string()),
        extended_statistic: a.extended_statistic().map(String::from),
        dimensions: a
            .dimensions()
            .iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_string(),
                    d.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        period: a.period(),
        evaluation_periods: a.evaluation_periods(),
        datapoints_to_alarm: a.datapoints_to_alarm(),
        threshold: a.threshold(),
        comparison_operator: a.comparison_operator().map(|c| c.as_str().to_string()),
        treat_missing_data: a.treat_missing_data().map(String::from),
    }
}

/// The alarm that already has `name` in this region, if any, with its tags (plan
/// decides from them whether this tool made it).
pub async fn alarm_named(cloudwatch: &Client, name: &str) -> Read<Option<TaggedAlarm>> {
    let out = cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| aws_error("cloudwatch:DescribeAlarms", name, e))?;
    let Some(found) = out.metric_alarms().iter().find(|a| a.alarm_name() == Some(name)) else {
        return Ok(None);
    };
    let found = alarm(found);
    let tags = cloudwatch
        .list_tags_for_resource()
        .resource_arn(&found.arn)
        .send()
        .await
        .map_err(|e| aws_error("cloudwatch:ListTagsForResource", &found.arn, e))?;
    let tags = tags
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Ok(Some(TaggedAlarm { alarm: found, tags }))
}
