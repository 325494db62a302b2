//! CloudWatch Logs adapter: does the log group exist (and its class), and its metric
//! filters (all pages), with their system-field settings.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;

use crate::arn::LogGroupArn;
use crate::aws::aws_error;
use crate::state::{LogGroup, MetricFilter, Read, Transformation};
use crate::transformer::Processor;

/// The group's metric filters, and whether it exists. DescribeMetricFilters answers
/// both when the group has filters (a filter does not outlive its group) or is missing
/// (ResourceNotFoundException). Only an empty answer needs DescribeLogGroups to tell an
/// empty group from a missing one, so a group with filters costs one call, not two.
/// A group with filters takes them, so its class matters only without: read then. A
/// filter on transformed logs has its coverage evaluated on the group's transformer
/// (GetTransformer, read only then).
pub async fn read_log_group(logs: &Client, arn: LogGroupArn) -> LogGroup {
    let mut group = read_filters_and_class(logs, arn).await;
    if let Ok(filters) = &mut group.filters {
        if filters.iter().any(|f| f.on_transformed_logs) {
            match transformer(logs, &group.arn).await {
                Ok(processors) => {
                    for f in filters.iter_mut().filter(|f| f.on_transformed_logs) {
                        *f = f.clone().on_transformed(processors.as_deref().ok_or_else(|| {
                            "the group has no transformer, so what it runs on is not known".to_string()
                        }));
                    }
                }
                Err(e) => group.filters = Err(e),
            }
        }
    }
    group
}

/// The group's transformer's processors; None when it has none.
async fn transformer(logs: &Client, arn: &LogGroupArn) -> Read<Option<Vec<Processor>>> {
    let out = match logs.get_transformer().log_group_identifier(&arn.name).send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(aws_error("logs:GetTransformer", arn.to_string(), e)),
    };
    Ok(Some(out.transformer_config().iter().map(processor).collect()))
}

fn processor(p: &aws_sdk_cloudwatchlogs::types::Processor) -> Processor {
    if let Some(j) = p.parse_json() {
        return Processor::ParseJson {
            source: j.source().map(String::from),
            destination: j.destination().map(String::from),
        };
    }
    if let Some(r) = p.rename_keys() {
        return Processor::RenameKeys(
            r.entries()
                .iter()
                .map(|e| (e.key().to_string(), e.rename_to().to_string(), e.overwrite_if_exists()))
                .collect(),
        );
    }
    if let Some(c) = p.copy_value() {
        return Processor::CopyValue(
            c.entries()
                .iter()
                .map(|e| (e.source().to_string(), e.target().to_string(), e.overwrite_if_exists()))
                .collect(),
        );
    }
    if let Some(d) = p.delete_keys() {
        return Processor::DeleteKeys(d.with_keys().to_vec());
    }
    if let Some(a) = p.add_keys() {
        return Processor::AddKeys(
            a.entries()
                .iter()
                .map(|e| (e.key().to_string(), e.value().to_string(), e.overwrite_if_exists()))
                .collect(),
        );
    }
    // Named by its Debug form's first set field, for the report.
    let debug = format!("{p:?}");
    let name = debug
        .split(", ")
        .find(|part| part.contains("Some("))
        .and_then(|part| part.split(':').next())
        .map(|s| s.trim_start_matches("Processor { ").trim().to_string())
        .unwrap_or_else(|| "an unknown processor".into());
    Processor::Other(name)
}

async fn read_filters_and_class(logs: &Client, arn: LogGroupArn) -> LogGroup {
    let (exists, filters, class) = match filters_or_missing(logs, &arn).await {
        Ok(Some(filters)) if !filters.is_empty() => (Ok(true), Ok(filters), None),
        Ok(None) => (Ok(false), Ok(Vec::new()), None),
        filters => {
            let found = describe(logs, &arn).await;
            let exists = found.as_ref().map(Option::is_some).map_err(Clone::clone);
            // A missing group has no filters; say only that it is missing.
            let filters = if exists == Ok(false) {
                Ok(Vec::new())
            } else {
                filters.map(Option::unwrap_or_default)
            };
            (exists, filters, found.ok().flatten().flatten())
        }
    };
    LogGroup {
        arn,
        exists,
        filters,
        class,
    }
}

/// Whether the group exists, with its class when it does.
async fn describe(logs: &Client, arn: &LogGroupArn) -> Read<Option<Option<String>>> {
    let mut pages = logs
        .describe_log_groups()
        .log_group_name_prefix(&arn.name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("logs:DescribeLogGroups", arn.to_string(), e))?;
        if let Some(group) = page
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(arn.name.as_str()))
        {
            return Ok(Some(group.log_group_class().map(|c| c.as_str().to_string())));
        }
    }
    Ok(None)
}

/// The metric filters of a group; none when it does not exist.
pub async fn metric_filters(logs: &Client, arn: &LogGroupArn) -> Read<Vec<MetricFilter>> {
    filters_or_missing(logs, arn).await.map(Option::unwrap_or_default)
}

/// The metric filters of a group, or None when AWS says the group does not exist.
async fn filters_or_missing(logs: &Client, arn: &LogGroupArn) -> Read<Option<Vec<MetricFilter>>> {
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
            return Ok(None)
        }
        Err(e) => return Err(aws_error("logs:DescribeMetricFilters", arn.to_string(), e)),
    };
    Ok(Some(
        filters
            .iter()
            .map(|f| {
                let mut filter = MetricFilter::new(
                    f.filter_name().unwrap_or_default().to_string(),
                    f.filter_pattern().unwrap_or_default().to_string(),
                    f.metric_transformations()
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
                            unit: t.unit().map(|u| u.as_str().to_string()),
                        })
                        .collect(),
                );
                filter.selection_criteria = f
                    .field_selection_criteria()
                    .filter(|c| !c.trim().is_empty())
                    .map(String::from);
                filter.system_dimensions = f.emit_system_field_dimensions().to_vec();
                filter.on_transformed_logs = f.apply_on_transformed_logs();
                filter
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::{
        DescribeMetricFiltersError, DescribeMetricFiltersOutput,
    };
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    use aws_sdk_cloudwatchlogs::types::{LogGroup as SdkGroup, MetricFilter as SdkFilter, MetricTransformation};
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

    fn groups_named(names: &'static [&'static str]) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_output(move || {
            DescribeLogGroupsOutput::builder()
                .set_log_groups(Some(
                    names
                        .iter()
                        .map(|n| SdkGroup::builder().log_group_name(*n).build())
                        .collect(),
                ))
                .build()
        })
    }

    fn filters(names: &'static [&'static str]) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_output(move || {
            DescribeMetricFiltersOutput::builder()
                .set_metric_filters(Some(names.iter().map(|n| filter(n)).collect()))
                .build()
        })
    }

    // A group with filters exists: one call, no DescribeLogGroups.
    #[tokio::test]
    async fn a_group_with_filters_is_read_in_one_call() {
        let (found, groups) = (filters(&["a"]), groups_named(&["trail"]));
        let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&found, &groups]);
        let group = read_log_group(&logs, group()).await;
        assert_eq!((group.exists, group.filters.unwrap().len()), (Ok(true), 1));
        assert_eq!((found.num_calls(), groups.num_calls()), (1, 0));
    }

    // The emulator answers an empty list for a missing group too: DescribeLogGroups decides.
    #[tokio::test]
    async fn an_empty_answer_is_settled_by_describe_log_groups() {
        for (names, exists) in [(&["trail"][..], true), (&["trail-other"][..], false)] {
            let (empty, groups) = (filters(&[]), groups_named(names));
            let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&empty, &groups]);
            let group = read_log_group(&logs, group()).await;
            assert_eq!((group.exists, group.filters), (Ok(exists), Ok(Vec::new())), "{names:?}");
            assert_eq!(groups.num_calls(), 1);
        }
    }

    #[tokio::test]
    async fn not_found_means_missing_without_a_second_call() {
        let missing = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_error(|| {
            DescribeMetricFiltersError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
        });
        let groups = groups_named(&["trail"]);
        let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&missing, &groups]);
        let group = read_log_group(&logs, group()).await;
        assert_eq!((group.exists, group.filters), (Ok(false), Ok(Vec::new())));
        assert_eq!(groups.num_calls(), 0);
    }

    // A failed filter read stays an error unless the group turns out to be missing.
    #[tokio::test]
    async fn a_failed_filter_read_is_kept_unless_the_group_is_missing() {
        for (names, exists) in [(&["trail"][..], true), (&[][..], false)] {
            let failing = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters)
                .then_error(|| DescribeMetricFiltersError::unhandled(std::io::Error::other("denied")));
            let groups = groups_named(names);
            let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&failing, &groups]);
            let group = read_log_group(&logs, group()).await;
            assert_eq!(group.exists, Ok(exists), "{names:?}");
            if exists {
                let error = group.filters.unwrap_err();
                assert_eq!(error.operation, "logs:DescribeMetricFilters");
            } else {
                assert_eq!(group.filters, Ok(Vec::new()));
            }
        }
    }

    // The emulator stores none of these fields: their reading is proven here, on the
    // SDK's own types.
    #[tokio::test]
    async fn system_fields_and_the_class_are_read() {
        let with_fields = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_output(|| {
            DescribeMetricFiltersOutput::builder()
                .metric_filters(
                    SdkFilter::builder()
                        .filter_name("selected")
                        .filter_pattern("{ $.eventName = CreatePolicy }")
                        .field_selection_criteria(r#"@aws.region = "us-east-1""#)
                        .emit_system_field_dimensions("@aws.account")
                        .apply_on_transformed_logs(true)
                        .build(),
                )
                .build()
        });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&with_fields]);
        let read = metric_filters(&logs, &group()).await.unwrap();
        assert_eq!(
            read[0].selection_criteria.as_deref(),
            Some(r#"@aws.region = "us-east-1""#)
        );
        assert_eq!(read[0].system_dimensions, ["@aws.account"]);
        assert!(read[0].on_transformed_logs);

        let empty = filters(&[]);
        let infrequent = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_output(|| {
            DescribeLogGroupsOutput::builder()
                .log_groups(
                    SdkGroup::builder()
                        .log_group_name("trail")
                        .log_group_class(aws_sdk_cloudwatchlogs::types::LogGroupClass::InfrequentAccess)
                        .build(),
                )
                .build()
        });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&empty, &infrequent]);
        let group = read_log_group(&logs, group()).await;
        assert_eq!(group.class.as_deref(), Some("INFREQUENT_ACCESS"));
        assert!(group.takes_no_metric_filters());
    }

    // The emulator has no transformers: read only for a filter on transformed logs,
    // and the filter's coverage evaluated on what the processors leave.
    #[tokio::test]
    async fn a_filter_on_transformed_logs_is_judged_on_the_transformer_output() {
        use aws_sdk_cloudwatchlogs::operation::get_transformer::GetTransformerOutput;
        use aws_sdk_cloudwatchlogs::types::{ParseJson, Processor as SdkProcessor, RenameKeyEntry, RenameKeys};
        let pattern = crate::rule::default_rule()
            .canonical_pattern
            .replace("$.eventName", "$.event");
        let on_transformed = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_output(move || {
            DescribeMetricFiltersOutput::builder()
                .metric_filters(
                    SdkFilter::builder()
                        .filter_name("renamed")
                        .filter_pattern(pattern.clone())
                        .apply_on_transformed_logs(true)
                        .build(),
                )
                .build()
        });
        let transformer = mock!(aws_sdk_cloudwatchlogs::Client::get_transformer)
            .match_requests(|r| r.log_group_identifier() == Some("trail"))
            .then_output(|| {
                GetTransformerOutput::builder()
                    .transformer_config(SdkProcessor::builder().parse_json(ParseJson::builder().build()).build())
                    .transformer_config(
                        SdkProcessor::builder()
                            .rename_keys(
                                RenameKeys::builder()
                                    .entries(
                                        RenameKeyEntry::builder()
                                            .key("eventName")
                                            .rename_to("event")
                                            .build()
                                            .unwrap(),
                                    )
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .build()
            });
        let logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::MatchAny,
            [&on_transformed, &transformer]
        );
        let read = read_log_group(&logs, group()).await;
        let filter = &read.filters.unwrap()[0];
        assert_eq!(filter.transformer, Some(Ok(())));
        assert!(filter.covers_all(), "{:?}", filter.coverage);
        assert_eq!(transformer.num_calls(), 1);
        // A filter not on transformed logs: no GetTransformer.
        let plain = filters(&["a"]);
        let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&plain]);
        assert!(read_log_group(&logs, group()).await.filters.is_ok());
    }
}
