//! CloudWatch adapter: the alarms on one metric, found by metric (not by listing every
//! alarm), so the cost grows with what matters, not with the account's size.

use aws_sdk_cloudwatch::types::{AlarmType, Dimension, MetricAlarm};
use aws_sdk_cloudwatch::Client;

use crate::aws::aws_error;
use crate::state::{Alarm, CompositeAlarm, MetricKey, MetricQuery, MetricStat, MuteRule, Read, TaggedAlarm};

pub async fn alarms_for_metric(cloudwatch: &Client, key: &MetricKey) -> Read<Vec<Alarm>> {
    let dimensions = key
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build());
    let out = cloudwatch
        .describe_alarms_for_metric()
        .namespace(&key.namespace)
        .metric_name(&key.name)
        .set_dimensions(Some(dimensions.collect()).filter(|d: &Vec<Dimension>| !d.is_empty()))
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
        description: a.alarm_description().map(String::from),
        actions_enabled: a.actions_enabled().unwrap_or(false),
        alarm_actions: a.alarm_actions().to_vec(),
        namespace: a.namespace().unwrap_or_default().to_string(),
        metric_name: a.metric_name().unwrap_or_default().to_string(),
        statistic: a.statistic().map(|s| s.as_str().to_string()),
        extended_statistic: a.extended_statistic().map(String::from),
        dimensions: dimensions(a.dimensions()),
        period: a.period(),
        evaluation_periods: a.evaluation_periods(),
        datapoints_to_alarm: a.datapoints_to_alarm(),
        threshold: a.threshold(),
        comparison_operator: a.comparison_operator().map(|c| c.as_str().to_string()),
        treat_missing_data: a.treat_missing_data().map(String::from),
        unit: a.unit().map(|u| u.as_str().to_string()),
        metrics: a
            .metrics()
            .iter()
            .map(|q| MetricQuery {
                id: q.id().unwrap_or_default().to_string(),
                expression: q.expression().map(String::from),
                return_data: q.return_data(),
                metric: q.metric_stat().map(|m| {
                    let metric = m.metric();
                    MetricStat {
                        namespace: metric.and_then(|m| m.namespace()).unwrap_or_default().to_string(),
                        name: metric.and_then(|m| m.metric_name()).unwrap_or_default().to_string(),
                        dimensions: metric.map(|m| dimensions(m.dimensions())).unwrap_or_default(),
                        period: m.period(),
                        stat: m.stat().unwrap_or_default().to_string(),
                        unit: m.unit().map(|u| u.as_str().to_string()),
                    }
                }),
            })
            .collect(),
        threshold_metric_id: a.threshold_metric_id().map(String::from),
        unevaluated: unevaluated(a),
        notification_configured: a.action_configuration().is_some(),
    }
}

/// The settings of `a` that change when or on what it evaluates and that the alarm
/// model does not evaluate (tests/fields below classifies every field of the type).
fn unevaluated(a: &MetricAlarm) -> Vec<String> {
    let mut set = Vec::new();
    if let Some(state) = a.evaluation_state() {
        set.push(format!("EvaluationState {}", state.as_str()));
    }
    if a.evaluation_window().is_some() {
        set.push("EvaluationWindow".into());
    }
    if a.evaluation_criteria().is_some() {
        set.push("EvaluationCriteria".into());
    }
    if let Some(seconds) = a.evaluation_interval() {
        set.push(format!("EvaluationInterval {seconds}"));
    }
    for q in a.metrics() {
        if let Some(account) = q.account_id() {
            set.push(format!("query {} reads account {account}", q.id().unwrap_or_default()));
        }
        if let Some(period) = q.period() {
            set.push(format!(
                "query {} has its own Period {period}",
                q.id().unwrap_or_default()
            ));
        }
    }
    set
}

fn dimensions(dimensions: &[Dimension]) -> std::collections::BTreeMap<String, String> {
    dimensions
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_string(),
                d.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every metric math alarm of the region (DescribeAlarmsForMetric does not return
/// them), all pages. Read only where no alarm on a covering metric fires.
pub async fn math_alarms(cloudwatch: &Client, region: &str) -> Read<Vec<Alarm>> {
    let pages: Vec<_> = cloudwatch
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            aws_error(
                "cloudwatch:DescribeAlarms",
                format!("metric math alarms in {region}"),
                e,
            )
        })?;
    Ok(pages
        .iter()
        .flat_map(|p| p.metric_alarms())
        .filter(|a| !a.metrics().is_empty())
        .map(alarm)
        .collect())
}

/// The composite alarms whose rule names `child` (ParentsOfAlarmName), all pages.
pub async fn composites_of(cloudwatch: &Client, child: &str) -> Read<Vec<CompositeAlarm>> {
    let pages: Vec<_> = cloudwatch
        .describe_alarms()
        .parents_of_alarm_name(child)
        .alarm_types(AlarmType::CompositeAlarm)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("cloudwatch:DescribeAlarms", format!("composite alarms over {child}"), e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.composite_alarms())
        .map(|c| CompositeAlarm {
            name: c.alarm_name().unwrap_or_default().to_string(),
            arn: c.alarm_arn().unwrap_or_default().to_string(),
            description: c.alarm_description().map(String::from),
            rule: c.alarm_rule().unwrap_or_default().to_string(),
            actions_enabled: c.actions_enabled().unwrap_or(false),
            alarm_actions: c.alarm_actions().to_vec(),
            actions_suppressor: c.actions_suppressor().map(String::from),
            notification_configured: c.action_configuration().is_some(),
        })
        .collect())
}

/// The region's alarm mute rules (ListAlarmMuteRules, all pages), with the targets and
/// schedule of each that has not expired (GetAlarmMuteRule, all at once: one step of
/// the chain, however many rules): one call when there are none, however many alarms
/// the region has.
pub async fn mute_rules(cloudwatch: &Client, region: &str) -> Read<Vec<MuteRule>> {
    let pages: Vec<_> = cloudwatch
        .list_alarm_mute_rules()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            aws_error(
                "cloudwatch:ListAlarmMuteRules",
                format!("alarm mute rules in {region}"),
                e,
            )
        })?;
    let summaries = pages.iter().flat_map(|p| p.alarm_mute_rule_summaries()).map(|summary| {
        let arn = summary.alarm_mute_rule_arn().unwrap_or_default().to_string();
        MuteRule {
            // arn:aws:cloudwatch:<region>:<account>:alarm-mute-rule:<name>
            name: arn.splitn(7, ':').nth(6).unwrap_or_default().to_string(),
            arn,
            status: summary.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            mute_type: summary.mute_type().unwrap_or_default().to_string(),
            expire_date: summary.expire_date().map(ToString::to_string),
            ..MuteRule::default()
        }
    });
    let read = futures_util::future::join_all(summaries.map(|rule| mute_rule_detail(cloudwatch, rule))).await;
    // A rule deleted between the list and its read mutes nothing any more: None.
    read.into_iter().filter_map(Result::transpose).collect()
}

/// A live rule's targets and schedule; an expired one as listed; None when it is gone.
async fn mute_rule_detail(cloudwatch: &Client, mut rule: MuteRule) -> Read<Option<MuteRule>> {
    if rule.status == "EXPIRED" {
        return Ok(Some(rule));
    }
    let detail = match cloudwatch
        .get_alarm_mute_rule()
        .alarm_mute_rule_name(&rule.name)
        .send()
        .await
    {
        Ok(detail) => detail,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(aws_error("cloudwatch:GetAlarmMuteRule", &rule.arn, e)),
    };
    let schedule = detail.rule().and_then(|r| r.schedule());
    rule.expression = schedule.and_then(|s| s.expression()).map(String::from);
    rule.duration = schedule.and_then(|s| s.duration()).map(String::from);
    rule.timezone = schedule.and_then(|s| s.timezone()).map(String::from);
    rule.targets = detail
        .mute_targets()
        .map(|t| t.alarm_names().to_vec())
        .unwrap_or_default();
    Ok(Some(rule))
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{CompositeAlarm as SdkComposite, Metric, MetricDataQuery, MetricStat as SdkStat};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn composite(name: &str) -> SdkComposite {
        SdkComposite::builder()
            .alarm_name(name)
            .alarm_arn(format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"))
            .alarm_rule("ALARM(iam) AND NOT ALARM(maintenance)")
            .actions_enabled(true)
            .alarm_actions("arn:aws:sns:us-east-1:123456789012:alarms")
            .actions_suppressor("maintenance")
            .build()
    }

    // The emulator has no composite alarms: their mapping and paging are proven here.
    #[tokio::test]
    async fn composites_are_read_by_their_child_on_every_page() {
        let pages = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
            .match_requests(|r| {
                r.parents_of_alarm_name() == Some("iam") && r.alarm_types() == [AlarmType::CompositeAlarm]
            })
            .sequence()
            .output(|| {
                DescribeAlarmsOutput::builder()
                    .composite_alarms(composite("a"))
                    .next_token("t")
                    .build()
            })
            .output(|| DescribeAlarmsOutput::builder().composite_alarms(composite("b")).build())
            .build();
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&pages]);
        let found = composites_of(&cloudwatch, "iam").await.unwrap();
        assert_eq!(found.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(found[0].rule, "ALARM(iam) AND NOT ALARM(maintenance)");
        assert!(found[0].actions_enabled);
        assert_eq!(found[0].alarm_actions, ["arn:aws:sns:us-east-1:123456789012:alarms"]);
        assert_eq!(found[0].actions_suppressor.as_deref(), Some("maintenance"));
        assert_eq!(pages.num_calls(), 2);
    }

    // Only alarms with metric math queries are kept; every page is read.
    #[tokio::test]
    async fn math_alarms_are_the_ones_with_queries_on_every_page() {
        let query = MetricDataQuery::builder()
            .id("m1")
            .metric_stat(
                SdkStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("CloudTrailMetrics")
                            .metric_name("IAMPolicyEventCount")
                            .build(),
                    )
                    .period(300)
                    .stat("Sum")
                    .build(),
            )
            .return_data(false)
            .build();
        let math = MetricAlarm::builder().alarm_name("math").metrics(query).metrics(
            MetricDataQuery::builder()
                .id("e1")
                .expression("FILL(m1, 0)")
                .return_data(true)
                .build(),
        );
        let plain = MetricAlarm::builder()
            .alarm_name("plain")
            .metric_name("x")
            .namespace("y");
        let (math, plain) = (math.build(), plain.build());
        let pages = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
            .sequence()
            .output({
                let (math, plain) = (math.clone(), plain.clone());
                move || {
                    DescribeAlarmsOutput::builder()
                        .metric_alarms(plain.clone())
                        .metric_alarms(math.clone())
                        .next_token("t")
                        .build()
                }
            })
            .output(|| DescribeAlarmsOutput::builder().build())
            .build();
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&pages]);
        let found = math_alarms(&cloudwatch, "us-east-1").await.unwrap();
        assert_eq!(found.len(), 1);
        let queries = &found[0].metrics;
        assert_eq!(queries[0].metric.as_ref().unwrap().name, "IAMPolicyEventCount");
        assert_eq!(queries[0].metric.as_ref().unwrap().stat, "Sum");
        assert_eq!(queries[1].expression.as_deref(), Some("FILL(m1, 0)"));
        assert_eq!(queries[1].return_data, Some(true));
        assert_eq!(pages.num_calls(), 2);
    }

    // The emulator has no alarm mute rules: the reads and their mapping are proven here.
    #[tokio::test]
    async fn mute_rules_are_read_per_region_with_the_targets_and_schedule_of_each_live_one() {
        use aws_sdk_cloudwatch::operation::get_alarm_mute_rule::GetAlarmMuteRuleOutput;
        use aws_sdk_cloudwatch::operation::list_alarm_mute_rules::ListAlarmMuteRulesOutput;
        use aws_sdk_cloudwatch::types::{AlarmMuteRuleStatus, AlarmMuteRuleSummary, MuteTargets, Rule, Schedule};
        let summary = |name: &str, status: AlarmMuteRuleStatus, kind: &str| {
            AlarmMuteRuleSummary::builder()
                .alarm_mute_rule_arn(format!(
                    "arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:{name}"
                ))
                .status(status)
                .mute_type(kind)
                .build()
        };
        let list = mock!(aws_sdk_cloudwatch::Client::list_alarm_mute_rules)
            .sequence()
            .output(move || {
                ListAlarmMuteRulesOutput::builder()
                    .alarm_mute_rule_summaries(summary("nightly", AlarmMuteRuleStatus::Scheduled, "RECURRING"))
                    .next_token("t")
                    .build()
            })
            .output(move || {
                ListAlarmMuteRulesOutput::builder()
                    .alarm_mute_rule_summaries(summary("old", AlarmMuteRuleStatus::Expired, "ONE_TIME"))
                    .build()
            })
            .build();
        let get = mock!(aws_sdk_cloudwatch::Client::get_alarm_mute_rule)
            .match_requests(|r| r.alarm_mute_rule_name() == Some("nightly"))
            .then_output(|| {
                GetAlarmMuteRuleOutput::builder()
                    .name("nightly")
                    .mute_targets(MuteTargets::builder().alarm_names("iam").alarm_names("other").build())
                    .rule(
                        Rule::builder()
                            .schedule(
                                Schedule::builder()
                                    .expression("cron(0 22 * * ? *)")
                                    .duration("PT8H")
                                    .timezone("UTC")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &get]);
        let rules = mute_rules(&cloudwatch, "us-east-1").await.unwrap();
        assert_eq!(
            rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["nightly", "old"]
        );
        assert_eq!(
            (rules[0].status.as_str(), rules[0].mute_type.as_str()),
            ("SCHEDULED", "RECURRING")
        );
        assert_eq!(rules[0].expression.as_deref(), Some("cron(0 22 * * ? *)"));
        assert_eq!(rules[0].duration.as_deref(), Some("PT8H"));
        assert_eq!(rules[0].targets, ["iam", "other"]);
        assert_eq!(rules[1].expression, None, "an expired rule's schedule is not read");
        assert_eq!((list.num_calls(), get.num_calls()), (2, 1));
    }

    // Newer alarm settings the model does not evaluate are carried as such: the alarm
    // cannot be proven to fire (the alarm model says so, alarm/tests.rs).
    #[test]
    fn settings_the_model_does_not_evaluate_are_named() {
        let plain = MetricAlarm::builder().alarm_name("iam").build();
        assert!(alarm(&plain).unevaluated.is_empty());
        assert!(!alarm(&plain).notification_configured);
        let newer = MetricAlarm::builder()
            .alarm_name("iam")
            .evaluation_interval(10)
            .evaluation_state(aws_sdk_cloudwatch::types::EvaluationState::PartialData)
            .build();
        assert_eq!(
            alarm(&newer).unevaluated,
            ["EvaluationState PARTIAL_DATA", "EvaluationInterval 10"]
        );
    }

    // A rule deleted between the list and its read mutes nothing: skipped, not an error.
    #[tokio::test]
    async fn a_mute_rule_gone_before_its_read_is_skipped() {
        use aws_sdk_cloudwatch::operation::get_alarm_mute_rule::GetAlarmMuteRuleError;
        use aws_sdk_cloudwatch::operation::list_alarm_mute_rules::ListAlarmMuteRulesOutput;
        use aws_sdk_cloudwatch::types::error::ResourceNotFoundException;
        use aws_sdk_cloudwatch::types::{AlarmMuteRuleStatus, AlarmMuteRuleSummary};
        let list = mock!(aws_sdk_cloudwatch::Client::list_alarm_mute_rules).then_output(|| {
            ListAlarmMuteRulesOutput::builder()
                .alarm_mute_rule_summaries(
                    AlarmMuteRuleSummary::builder()
                        .alarm_mute_rule_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:gone")
                        .status(AlarmMuteRuleStatus::Active)
                        .mute_type("ONE_TIME")
                        .build(),
                )
                .build()
        });
        let gone = mock!(aws_sdk_cloudwatch::Client::get_alarm_mute_rule).then_error(|| {
            GetAlarmMuteRuleError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
        });
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &gone]);
        assert_eq!(mute_rules(&cloudwatch, "us-east-1").await.unwrap(), Vec::new());
        assert_eq!(gone.num_calls(), 1);
    }

    // AWS finds the alarms on a metric with dimensions only when they are given
    // (DescribeAlarmsForMetric); the emulator ignores them, so it is proven here.
    #[tokio::test]
    async fn the_metrics_known_dimensions_are_asked_for() {
        use aws_sdk_cloudwatch::operation::describe_alarms_for_metric::DescribeAlarmsForMetricOutput;
        let asked = mock!(aws_sdk_cloudwatch::Client::describe_alarms_for_metric)
            .match_requests(|r| {
                r.dimensions().len() == 1
                    && r.dimensions()[0].name() == Some("@aws.account")
                    && r.dimensions()[0].value() == Some("123456789012")
            })
            .then_output(|| DescribeAlarmsForMetricOutput::builder().build());
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&asked]);
        let key = MetricKey {
            region: "us-east-1".into(),
            namespace: "CloudTrailMetrics".into(),
            name: "IAMPolicyEventCount".into(),
            dimensions: [("@aws.account".to_string(), "123456789012".to_string())].into(),
        };
        assert_eq!(alarms_for_metric(&cloudwatch, &key).await.unwrap(), Vec::new());
        assert_eq!(asked.num_calls(), 1);
    }
}
