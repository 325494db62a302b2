//! The audit against a real AWS API (moto server): one scenario per field each adapter
//! maps (the ways a link breaks that only the reads can show; how the pure check judges
//! every other way is the table in src/check/tests.rs), each asserting the status of
//! every link; the compliant chain; a log group in another region; the findings message
//! read back through an SQS subscriber.

use crate::support::seed::Chain;
use crate::support::{link_statuses, Account};
use aws_sdk_cloudtrail::types::ReadWriteType;
use serde_json::Value;

async fn audit(chain: Option<Chain>) -> (i32, Value) {
    let account = Account::new().await;
    if let Some(chain) = chain {
        account.seed(&chain).await;
    }
    account.audit(&[])
}

fn assert_links(report: &Value, expected: [&str; 4]) {
    assert_eq!(
        link_statuses(report, 0),
        expected.map(String::from),
        "{}",
        serde_json::to_string_pretty(report).unwrap()
    );
}

/// What the first trail's alarm link says of the alarm it judged.
fn alarm_detail(report: &Value) -> &str {
    report["trails"][0]["links"]["alarm"]["detail"].as_str().unwrap()
}

#[tokio::test]
async fn no_trail_fails() {
    let (code, report) = audit(None).await;
    assert_eq!((code, report["status"].as_str()), (1, Some("FAIL")));
    assert_eq!(report["trails"], serde_json::json!([]));
    assert!(report["summary"].as_str().unwrap().contains("no CloudTrail trail"));
}

#[tokio::test]
async fn everything_in_place_passes() {
    let (code, report) = audit(Some(Chain::default())).await;
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    assert_links(&report, ["PASS", "PASS", "PASS", "PASS"]);
    let notification = &report["trails"][0]["links"]["notification"];
    assert!(
        notification["detail"]
            .as_str()
            .unwrap()
            .contains("1 confirmed subscription"),
        "{notification}"
    );
}

/// On the command line the default log level is warn: a clean audit prints its report
/// on stdout and nothing on stderr.
#[tokio::test]
async fn a_clean_audit_writes_nothing_to_stderr() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let output = account.command(&["audit"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("PASS"));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[tokio::test]
async fn log_group_in_another_region_passes() {
    let chain = Chain {
        log_group_region: "eu-west-1",
        ..Chain::default()
    };
    let (code, report) = audit(Some(chain)).await;
    assert_eq!(code, 0, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "PASS", "PASS"]);
    assert!(report["trails"][0]["links"]["alarm"]["resources"][0]
        .as_str()
        .unwrap()
        .contains(":eu-west-1:"));
}

#[tokio::test]
async fn single_region_trail_fails_the_trail_link() {
    let (code, report) = audit(Some(Chain {
        multi_region: false,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["FAIL", "PASS", "PASS", "PASS"]);
    assert!(report["trails"][0]["links"]["trail"]["detail"]
        .as_str()
        .unwrap()
        .contains("single-region"));
}

#[tokio::test]
async fn trail_not_logging_fails_the_trail_link() {
    let (code, report) = audit(Some(Chain {
        logging: false,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["FAIL", "PASS", "PASS", "PASS"]);
    let trail = &report["trails"][0]["links"]["trail"];
    assert!(trail["detail"].as_str().unwrap().contains("is not logging"));
    assert!(trail["fix"].as_str().unwrap().contains("start-logging"));
}

#[tokio::test]
async fn trail_without_log_group_fails() {
    let (code, report) = audit(Some(Chain {
        trail_delivers: false,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["FAIL", "NOT_REACHED", "NOT_REACHED", "NOT_REACHED"]);
    assert!(report["trails"][0]["links"]["trail"]["detail"]
        .as_str()
        .unwrap()
        .contains("does not deliver to CloudWatch Logs"));
}

#[tokio::test]
async fn log_group_that_does_not_exist_fails() {
    let (code, report) = audit(Some(Chain {
        create_log_group: false,
        filter_pattern: None,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["FAIL", "NOT_REACHED", "NOT_REACHED", "NOT_REACHED"]);
    assert!(report["trails"][0]["links"]["trail"]["detail"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
}

#[tokio::test]
async fn write_only_selectors_fail_the_trail_link() {
    let (code, report) = audit(Some(Chain {
        selectors: Some(ReadWriteType::WriteOnly),
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["FAIL", "PASS", "PASS", "PASS"]);
    assert!(report["trails"][0]["links"]["trail"]["detail"]
        .as_str()
        .unwrap()
        .contains("WriteOnly"));
}

#[tokio::test]
async fn missing_filter_fails_the_metric_filter_link() {
    let (code, report) = audit(Some(Chain {
        filter_pattern: None,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["PASS", "FAIL", "NOT_REACHED", "NOT_REACHED"]);
    let link = &report["trails"][0]["links"]["metric_filter"];
    assert!(link["detail"].as_str().unwrap().contains("no metric filters"));
    assert!(link["fix"].as_str().unwrap().contains("put-metric-filter"));
}

#[tokio::test]
async fn missing_alarm_fails_the_alarm_link() {
    let (code, report) = audit(Some(Chain {
        alarm_namespace: None,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["PASS", "PASS", "FAIL", "NOT_REACHED"]);
    assert!(report["trails"][0]["links"]["alarm"]["detail"]
        .as_str()
        .unwrap()
        .contains("no alarm on metric CloudTrailMetrics/IAMPolicyEventCount"));
}

#[tokio::test]
async fn alarm_on_the_wrong_namespace_fails_the_alarm_link() {
    let (code, report) = audit(Some(Chain {
        alarm_namespace: Some("OtherMetrics"),
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["PASS", "PASS", "FAIL", "NOT_REACHED"]);
}

#[tokio::test]
async fn alarm_with_actions_disabled_fails_the_alarm_link() {
    let (code, report) = audit(Some(Chain {
        alarm_actions_enabled: false,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["PASS", "PASS", "FAIL", "NOT_REACHED"]);
    assert!(report["trails"][0]["links"]["alarm"]["detail"]
        .as_str()
        .unwrap()
        .contains("actions disabled"));
}

#[tokio::test]
async fn topic_without_subscription_fails_the_notification_link() {
    let (code, report) = audit(Some(Chain {
        subscribe: false,
        ..Chain::default()
    }))
    .await;
    assert_eq!(code, 1);
    assert_links(&report, ["PASS", "PASS", "PASS", "FAIL"]);
    assert!(report["trails"][0]["links"]["notification"]["detail"]
        .as_str()
        .unwrap()
        .contains("no subscriptions"));
}

#[tokio::test]
async fn findings_are_published_and_read_back_through_sqs() {
    let account = Account::new().await;
    account
        .seed(&Chain {
            filter_pattern: None,
            ..Chain::default()
        })
        .await;
    let findings = account.topic("us-east-1", "findings").await;
    let inbox = account.sqs_subscriber(&findings, "findings-inbox").await;
    let (code, report) = account.audit(&[("FINDINGS_TOPIC_ARN", &findings)]);
    assert_eq!(code, 1);
    let messages = account.received("us-east-1", &inbox).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let envelope = &messages[0];
    let subject = envelope["Subject"].as_str().unwrap();
    assert!(subject.starts_with("FAIL: ") && subject.len() < 100, "{subject}");
    assert_eq!(envelope["MessageAttributes"]["status"]["Value"], "FAIL");
    assert_eq!(envelope["MessageAttributes"]["account"]["Value"], account.id.as_str());
    let published: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published["status"], "FAIL");
    assert_eq!(published["trails"], report["trails"]);
}

// ------------------------------------------------------------- the alarm, evaluated

/// A chain without its alarm, and a CloudWatch client to put one the test describes.
async fn without_alarm() -> (Account, String, aws_sdk_cloudwatch::Client) {
    let account = Account::new().await;
    let seeded = account
        .seed(&Chain {
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.region("us-east-1"));
    (account, seeded.topic_arn, cloudwatch)
}

fn alarm_on_the_metric(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    topic: &str,
) -> aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder {
    use aws_sdk_cloudwatch::types::ComparisonOperator;
    cloudwatch
        .put_metric_alarm()
        .alarm_name("iam-changes")
        .namespace("CloudTrailMetrics")
        .metric_name("IAMPolicyEventCount")
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .actions_enabled(true)
        .alarm_actions(topic)
}

/// Maximum of a period with one event is that event's value: the alarm fires (a list
/// of accepted statistics said FAIL).
#[tokio::test]
async fn a_maximum_alarm_passes() {
    use aws_sdk_cloudwatch::types::Statistic;
    let (account, topic, cloudwatch) = without_alarm().await;
    alarm_on_the_metric(&cloudwatch, &topic)
        .statistic(Statistic::Maximum)
        .send()
        .await
        .unwrap();
    let (code, report) = account.audit(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "PASS", "PASS"]);
    let detail = alarm_detail(&report);
    assert!(
        detail.contains("Maximum of the period = 1 (one event, value 1) >= 1: ALARM after 1 of 1 datapoints"),
        "{detail}"
    );
}

/// The filter publishes its metric without a unit: an alarm asking for Count never
/// sees a datapoint (a list of accepted settings said PASS).
#[tokio::test]
async fn an_alarm_on_a_unit_the_filter_does_not_publish_fails() {
    use aws_sdk_cloudwatch::types::{StandardUnit, Statistic};
    let (account, topic, cloudwatch) = without_alarm().await;
    alarm_on_the_metric(&cloudwatch, &topic)
        .statistic(Statistic::Sum)
        .unit(StandardUnit::Count)
        .send()
        .await
        .unwrap();
    let (code, report) = account.audit(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "FAIL", "NOT_REACHED"]);
    let detail = alarm_detail(&report);
    assert!(
        detail.contains("asks for unit Count, but the filter publishes the metric with unit None"),
        "{detail}"
    );
}

/// One event breaches one period: an alarm that needs 2 of 3 never fires on it.
#[tokio::test]
async fn an_alarm_needing_2_of_3_datapoints_fails() {
    use aws_sdk_cloudwatch::types::Statistic;
    let (account, topic, cloudwatch) = without_alarm().await;
    alarm_on_the_metric(&cloudwatch, &topic)
        .statistic(Statistic::Sum)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .send()
        .await
        .unwrap();
    let (code, report) = account.audit(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "FAIL", "NOT_REACHED"]);
    let detail = alarm_detail(&report);
    assert!(detail.contains("needs 2 breaching periods (of 3)"), "{detail}");
}

/// A metric math alarm, FILL(m1, 0) >= 1: DescribeAlarmsForMetric does not return it,
/// so, no standard alarm firing, the audit reads the region's alarms once (and a
/// compliant chain never does).
#[tokio::test]
async fn a_metric_math_alarm_with_fill_passes() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Metric, MetricDataQuery, MetricStat};
    let (account, topic, cloudwatch) = without_alarm().await;
    let m1 = MetricDataQuery::builder()
        .id("m1")
        .metric_stat(
            MetricStat::builder()
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
    let e1 = MetricDataQuery::builder()
        .id("e1")
        .expression("FILL(m1, 0)")
        .return_data(true)
        .build();
    cloudwatch
        .put_metric_alarm()
        .alarm_name("iam-changes-math")
        .metrics(m1)
        .metrics(e1)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .actions_enabled(true)
        .alarm_actions(&topic)
        .send()
        .await
        .unwrap();
    let proxy = crate::support::fault_proxy::FaultProxy::start(crate::support::moto().port);
    let (code, report) = account.audit(&[("AWS_ENDPOINT_URL", &proxy.url())]);
    assert_eq!(code, 0, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "PASS", "PASS"]);
    let detail = alarm_detail(&report);
    assert!(
        detail.contains("e1 (FILL(m1, 0)) = 1 (one event, value 1) >= 1"),
        "{detail}"
    );
    assert_eq!(proxy.count("cloudwatch:DescribeAlarms"), 1);

    // The same account with a standard alarm that fires: no DescribeAlarms at all.
    alarm_on_the_metric(&cloudwatch, &topic)
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .send()
        .await
        .unwrap();
    let proxy = crate::support::fault_proxy::FaultProxy::start(crate::support::moto().port);
    let (code, _) = account.audit(&[("AWS_ENDPOINT_URL", &proxy.url())]);
    assert_eq!(code, 0);
    assert_eq!(proxy.count("cloudwatch:DescribeAlarms"), 0);
}

// ------------------------------------------------ the subscription's filter policy

/// The seeded chain with a filter policy (and scope) on its only subscription, set
/// through SetSubscriptionAttributes as a user would (the emulator stores and returns
/// both); the audit's report.
async fn with_filter_policy(scope: Option<&str>, policy: &str) -> (i32, Value) {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::default()).await;
    let sns = aws_sdk_sns::Client::new(&account.region("us-east-1"));
    let subscriptions = sns
        .list_subscriptions_by_topic()
        .topic_arn(&seeded.topic_arn)
        .send()
        .await
        .unwrap();
    let arn = subscriptions.subscriptions()[0].subscription_arn().unwrap().to_string();
    if let Some(scope) = scope {
        sns.set_subscription_attributes()
            .subscription_arn(&arn)
            .attribute_name("FilterPolicyScope")
            .attribute_value(scope)
            .send()
            .await
            .unwrap();
    }
    sns.set_subscription_attributes()
        .subscription_arn(&arn)
        .attribute_name("FilterPolicy")
        .attribute_value(policy)
        .send()
        .await
        .unwrap();
    account.audit(&[])
}

fn notification_detail(report: &Value) -> &str {
    report["trails"][0]["links"]["notification"]["detail"].as_str().unwrap()
}

/// CloudWatch's alarm notifications carry no message attributes: a subscription that
/// filters on one receives nothing.
#[tokio::test]
async fn a_filter_policy_on_message_attributes_receives_no_alarm() {
    let (code, report) = with_filter_policy(None, r#"{"severity": ["high"]}"#).await;
    assert_eq!(code, 1, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "PASS", "FAIL"]);
    assert!(
        notification_detail(&report).contains("does not receive it: its filter policy (MessageAttributes)"),
        "{report:#}"
    );
}

#[tokio::test]
async fn a_filter_policy_on_the_body_is_evaluated_against_this_alarms_notification() {
    for (policy, expected) in [
        (r#"{"AlarmName": [{"prefix": "prod-"}]}"#, "FAIL"),
        (r#"{"Trigger": {"MetricName": ["Other"]}}"#, "FAIL"),
        (
            r#"{"AlarmName": [{"prefix": "IAM"}], "Trigger": {"MetricName": ["IAMPolicyEventCount"]}}"#,
            "PASS",
        ),
    ] {
        let (_, report) = with_filter_policy(Some("MessageBody"), policy).await;
        assert_eq!(
            link_statuses(&report, 0)[3],
            expected,
            "{policy}: {}",
            notification_detail(&report)
        );
        if expected == "PASS" {
            assert!(notification_detail(&report).contains("receives it through its filter policy (MessageBody)"));
        }
    }
}

// ------------------------------------------- what the filters publish to one metric

/// The seeded chain with `patterns` as its metric filters (named f0, f1, ...), all
/// publishing the alarm's metric.
async fn with_filters(patterns: &[String]) -> (i32, Value) {
    use crate::support::seed::LOG_GROUP;
    use iam_policy_alarm::rule;
    let account = Account::new().await;
    account
        .seed(&Chain {
            filter_pattern: None,
            ..Chain::default()
        })
        .await;
    for (i, pattern) in patterns.iter().enumerate() {
        account
            .metric_filter(
                "us-east-1",
                LOG_GROUP,
                &format!("f{i}"),
                pattern,
                rule::default_rule().filter.metric_namespace.as_str(),
                rule::default_rule().filter.metric_name.as_str(),
            )
            .await;
    }
    account.audit(&[])
}

/// One filter per IAM policy event, all on one metric (how a large platform writes it):
/// every change publishes 1 there, and the Sum >= 1 alarm fires.
#[tokio::test]
async fn one_filter_per_event_on_one_metric_passes() {
    let patterns: Vec<String> = iam_policy_alarm::rule::default_rule()
        .events()
        .iter()
        .map(|e| format!("{{ ($.eventSource = iam.amazonaws.com) && ($.eventName = {e}) }}"))
        .collect();
    let (code, report) = with_filters(&patterns).await;
    assert_eq!(code, 0, "{report:#}");
    assert_links(&report, ["PASS", "PASS", "PASS", "PASS"]);
    let detail = report["trails"][0]["links"]["metric_filter"]["detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains("the 16 metric filters"), "{detail}");
    let (code, report) = with_filters(&patterns[1..]).await;
    assert_eq!(code, 1);
    assert_links(&report, ["PASS", "FAIL", "NOT_REACHED", "NOT_REACHED"]);
}

/// A filter that also matches what every account logs all the time publishes in quiet
/// periods: the alarm rests in ALARM and a policy change sends nothing.
#[tokio::test]
async fn a_filter_matching_routine_events_fails_the_alarm_link() {
    let widened = format!(
        "{} || ($.eventVersion = *) }}",
        crate::support::seed::cis_pattern().trim_end_matches('}').trim_end()
    );
    for pattern in [String::new(), r#"{ $.eventName = "*" }"#.to_string(), widened] {
        let (code, report) = with_filters(std::slice::from_ref(&pattern)).await;
        assert_eq!(code, 1, "{pattern:?}: {report:#}");
        assert_links(&report, ["PASS", "PASS", "FAIL", "NOT_REACHED"]);
        assert!(
            alarm_detail(&report).contains("rests in ALARM"),
            "{pattern:?}: {report:#}"
        );
    }
}

/// NOTIFY=on-change (the default) with STATE_LOG_GROUP: the schedule's runs publish a
/// failing account once, not on every run; a run invoked by hand is always published;
/// the account's change of state is published again; NOTIFY=every-run publishes each.
#[tokio::test]
async fn a_failing_account_is_published_once_until_its_status_changes() {
    use crate::support::lambda::LambdaFace;
    let account = Account::new().await;
    let seeded = account.seed(&Chain::remediable()).await;
    let topic = account.topic("us-east-1", "findings").await;
    let inbox = account.sqs_subscriber(&topic, "findings-inbox").await;
    let group = "/aws/lambda/iam-policy-alarm-notify-test";
    aws_sdk_cloudwatchlogs::Client::new(&account.region("us-east-1"))
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    let schedule = include_str!("../../events/schedule.json");
    let subjects = |messages: Vec<Value>| -> Vec<String> {
        messages
            .iter()
            .map(|m| m["Subject"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let env = [("FINDINGS_TOPIC_ARN", topic.as_str()), ("STATE_LOG_GROUP", group)];
    let face = LambdaFace::start(&account, &env);

    assert!(face.invoke(schedule).ok);
    let first = subjects(account.received("us-east-1", &inbox).await);
    assert_eq!(first.len(), 1, "the first FAIL is news: {first:?}");
    assert!(face.invoke(schedule).ok);
    assert!(
        account.received("us-east-1", &inbox).await.is_empty(),
        "FAIL -> FAIL again is not published"
    );
    assert!(
        face.log()
            .contains("findings not published: no account's status changed since the last run"),
        "and the log says why"
    );
    assert!(face.invoke(include_str!("../../events/audit.json")).ok);
    assert_eq!(
        account.received("us-east-1", &inbox).await.len(),
        1,
        "a run invoked by hand is always published"
    );

    let (code, report) = account.run(
        &["remediate", "--format", "json"],
        &[("ALARM_TOPIC_ARN", seeded.topic_arn.as_str())],
    );
    assert_eq!(code, 0, "{report:#}");
    assert!(face.invoke(schedule).ok);
    let fixed = subjects(account.received("us-east-1", &inbox).await);
    assert!(
        fixed.len() == 1 && fixed[0].starts_with("PASS"),
        "FAIL -> PASS is news: {fixed:?}"
    );
    drop(face);

    let every = LambdaFace::start(&account, &[env[0], env[1], ("NOTIFY", "every-run")]);
    assert!(every.invoke(schedule).ok && every.invoke(schedule).ok);
    assert_eq!(
        account.received("us-east-1", &inbox).await.len(),
        2,
        "NOTIFY=every-run publishes each run"
    );
}

/// A memory that cannot be kept (STATE_LOG_GROUP names no log group) counts every
/// status as news: each scheduled run is published, and the log says why.
#[tokio::test]
async fn a_memory_that_cannot_be_kept_notifies_every_run() {
    use crate::support::lambda::LambdaFace;
    let account = Account::new().await;
    account.seed(&Chain::remediable()).await;
    let topic = account.topic("us-east-1", "findings").await;
    let inbox = account.sqs_subscriber(&topic, "findings-inbox").await;
    let face = LambdaFace::start(
        &account,
        &[
            ("FINDINGS_TOPIC_ARN", topic.as_str()),
            ("STATE_LOG_GROUP", "no-such-group"),
        ],
    );
    let schedule = include_str!("../../events/schedule.json");
    assert!(face.invoke(schedule).ok && face.invoke(schedule).ok);
    assert_eq!(
        account.received("us-east-1", &inbox).await.len(),
        2,
        "FAIL twice, both published"
    );
    assert!(
        face.log()
            .contains("statuses not remembered: the next run counts them as news"),
        "{}",
        face.log()
    );
}
