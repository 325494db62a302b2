//! CloudWatch Logs adapter: does the log group exist, and its metric filters (all pages).

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;

use super::read_error;
use crate::arn::LogGroupArn;
use crate::state::{LogGroup, MetricFilter, Read, Transformation};

pub async fn read_log_group(logs: &Client, arn: LogGroupArn) -> LogGroup {
    let (exists, filters) = tokio::join!(exists(logs, &arn), metric_filters(logs, &arn));
    // A missing group has no filters; say only that it is missing.
    let filters = if exists == Ok(false) { Ok(Vec::new()) } else { filters };
    LogGroup { arn, exists, filters }
}

async fn exists(logs: &Client, arn: &LogGroupArn) -> Read<bool> {
    let mut pages = logs
        .describe_log_groups()
        .log_group_name_prefix(&arn.name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| read_error("logs:DescribeLogGroups", arn.to_string(), e))?;
        if page
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(arn.name.as_str()))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn metric_filters(logs: &Client, arn: &LogGroupArn) -> Read<Vec<MetricFilter>> {
    let result = logs
        .describe_metric_filters()
        .log_group_name(&arn.name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let filters = match result {
        Ok(f) => f,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Vec::new()
        }
        Err(e) => return Err(read_error("logs:DescribeMetricFilters", arn.to_string(), e)),
    };
    Ok(filters
        .iter()
        .map(|f| MetricFilter {
            name: f.filter_name().unwrap_or_default().to_string(),
            pattern: f.filter_pattern().unwrap_or_default().to_string(),
            transformations: f
                .metric_transformations()
                .iter()
                .map(|t| Transformation {
                    namespace: t.metric_namespace().to_string(),
                    name: t.metric_name().to_string(),
                    value: t.metric_value().to_string(),
                    default_value: t.default_value(),
                    dimensions: t
                        .dimensions()
                        .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_else(BTreeMap::new),
                })
                .collect(),
        })
        .collect())
}
