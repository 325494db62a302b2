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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::{
        DescribeMetricFiltersError, DescribeMetricFiltersOutput,
    };
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    use aws_sdk_cloudwatchlogs::types::{MetricFilter as SdkFilter, MetricTransformation};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn filter(name: &str) -> SdkFilter {
        SdkFilter::builder()
            .filter_name(name)
            .filter_pattern("{ $.eventName = CreatePolicy }")
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name("m")
                    .metric_namespace("n")
                    .metric_value("1")
                    .dimensions("user", "$.userIdentity.arn")
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn group() -> LogGroupArn {
        "arn:aws:logs:us-east-1:123456789012:log-group:trail:*".parse().unwrap()
    }

    // The emulator ignores `limit` and answers in one page; paging is proven here.
    #[tokio::test]
    async fn metric_filters_reads_every_page() {
        let pages = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters)
            .sequence()
            .output(|| {
                DescribeMetricFiltersOutput::builder()
                    .metric_filters(filter("a"))
                    .next_token("t")
                    .build()
            })
            .output(|| {
                DescribeMetricFiltersOutput::builder()
                    .metric_filters(filter("b"))
                    .build()
            })
            .build();
        let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::Sequential, [&pages]);
        let filters = metric_filters(&logs, &group()).await.unwrap();
        assert_eq!(filters.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(filters[0].transformations[0].dimensions["user"], "$.userIdentity.arn");
        assert_eq!(pages.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_missing_log_group_has_no_filters() {
        let missing = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_error(|| {
            DescribeMetricFiltersError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
        });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&missing]);
        assert_eq!(metric_filters(&logs, &group()).await.unwrap(), Vec::new());
    }
}
