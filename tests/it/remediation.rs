//! Remediation against a real AWS API (moto server): from each fixable broken state one
//! run leads to PASS; runs are idempotent and safe to race; conflicts are left alone
//! and reported; a dry run changes nothing.

use crate::support::seed::{Chain, LOG_GROUP};
use crate::support::Account;
use serde_json::Value;

const FILTER: &str = "IAMAuthConfigChanges";
const ALARM: &str = "IAMAuthorizationActivityAlarm";

async fn seeded(chain: Chain) -> (Account, String) {
    let account = Account::new().await;
    let seeded = account.seed(&chain).await;
    (account, seeded.topic_arn)
}

fn remediate(account: &Account, topic: &str, extra: &[(&str, &str)]) -> (i32, Value) {
    let mut env = vec![("ALARM_TOPIC_ARN", topic)];
    env.extend_from_slice(extra);
    account.run(&["remediate", "--format", "json"], &env)
}

fn planned(report: &Value) -> Vec<String> {
    report["remediation"]["planned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["operation"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_fixable_state_is_fixed_by_one_run() {
    let narrowed = "{ ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) }";
    // (what is broken, seed, settings that steer around a foreign resource with our name)
    type Case = (
        &'static str,
        Chain,
        Vec<(&'static str, &'static str)>,
        Vec<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "filter and alarm missing",
            Chain {
                filter_pattern: None,
                alarm_namespace: None,
                ..Chain::default()
            },
            vec![],
            vec!["logs:PutMetricFilter", "cloudwatch:PutMetricAlarm"],
        ),
        (
            "alarm missing",
            Chain {
                alarm_namespace: None,
                ..Chain::default()
            },
            vec![],
            vec!["cloudwatch:PutMetricAlarm"],
        ),
        (
            "filter missing",
            Chain {
                filter_pattern: None,
                ..Chain::default()
            },
            vec![],
            vec!["logs:PutMetricFilter"],
        ),
        (
            "filter not covering",
            Chain {
                filter_pattern: Some(narrowed),
                alarm_namespace: None,
                ..Chain::default()
            },
            vec![("FILTER_NAME", "iam-policy-changes")],
            vec!["logs:PutMetricFilter", "cloudwatch:PutMetricAlarm"],
        ),
        (
            "alarm on another namespace",
            Chain {
                alarm_namespace: Some("Other"),
                ..Chain::default()
            },
            vec![("ALARM_NAME", "iam-policy-changes")],
            vec!["cloudwatch:PutMetricAlarm"],
        ),
        (
            "alarm actions disabled",
            Chain {
                alarm_actions_enabled: false,
                ..Chain::default()
            },
            vec![("ALARM_NAME", "iam-policy-changes")],
            vec!["cloudwatch:PutMetricAlarm"],
        ),
        (
            "log group in another region",
            Chain {
                log_group_region: "eu-west-1",
                filter_pattern: None,
                alarm_namespace: None,
                ..Chain::default()
            },
            vec![],
            vec!["logs:PutMetricFilter", "cloudwatch:PutMetricAlarm"],
        ),
    ];
    for (name, chain, settings, expected) in cases {
        let (account, topic) = seeded(chain).await;
        assert_eq!(account.audit(&[]).0, 1, "{name}: the seed must fail the audit");
        let (code, report) = remediate(&account, &topic, &settings);
        assert_eq!(
            (code, report["status"].as_str()),
            (0, Some("PASS")),
            "{name}: {report:#}"
        );
        assert_eq!(report["remediation"]["before"]["status"], "FAIL", "{name}");
        assert_eq!(planned(&report), expected, "{name}");
        assert!(
            report["remediation"]["applied"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["outcome"] == "applied"),
            "{name}: {report:#}"
        );
        let (code, audit) = account.audit(&settings);
        assert_eq!(
            (code, audit["status"].as_str()),
            (0, Some("PASS")),
            "{name}: re-audit {audit:#}"
        );
    }
}

#[tokio::test]
async fn the_created_alarm_is_what_the_rule_documents_and_is_tagged_as_ours() {
    let (account, topic) = seeded(Chain {
        filter_pattern: None,
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    assert_eq!(remediate(&account, &topic, &[]).0, 0);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.region("us-east-1"));
    let alarms = cloudwatch.describe_alarms().alarm_names(ALARM).send().await.unwrap();
    let alarm = &alarms.metric_alarms()[0];
    assert_eq!(alarm.namespace(), Some("CloudTrailMetrics"));
    assert_eq!(alarm.metric_name(), Some("IAMPolicyEventCount"));
    assert_eq!(alarm.statistic().map(|s| s.as_str()), Some("Sum"));
    assert_eq!(
        (alarm.period(), alarm.evaluation_periods(), alarm.threshold()),
        (Some(300), Some(1), Some(1.0))
    );
    assert_eq!(
        alarm.comparison_operator().map(|c| c.as_str()),
        Some("GreaterThanOrEqualToThreshold")
    );
    assert_eq!(alarm.treat_missing_data(), Some("notBreaching"));
    assert_eq!(alarm.actions_enabled(), Some(true));
    assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&topic));
    let tags = cloudwatch
        .list_tags_for_resource()
        .resource_arn(alarm.alarm_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == Some("managed-by") && t.value() == Some("iam-policy-alarm")));
}

#[tokio::test]
async fn runs_are_idempotent_ten_runs_leave_one_filter_and_one_alarm() {
    let (account, topic) = seeded(Chain {
        filter_pattern: None,
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    let (code, first) = remediate(&account, &topic, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        first["remediation"]["planned"].as_array().map(Vec::len),
        Some(2),
        "{first:#}"
    );
    // Every run after the first plans nothing and sends nothing.
    for run in 2..=10 {
        let (code, report) = remediate(&account, &topic, &[]);
        assert_eq!(code, 0, "run {run}: {report:#}");
        assert_eq!(report["status"], "PASS", "run {run}");
        assert_eq!(
            report["remediation"]["planned"],
            serde_json::json!([]),
            "run {run}: {report:#}"
        );
        assert!(report["remediation"].get("applied").is_none(), "run {run}: {report:#}");
    }
    assert_eq!(account.filters_named("us-east-1", LOG_GROUP, FILTER).await, 1);
    assert_eq!(account.alarms_named("us-east-1", ALARM).await, 1);
}

/// Two remediations at once, made to overlap: the proxy holds both lease claims until
/// both have arrived, so both runs are inside the lease at the same time. One holds it
/// and writes the filter; the other sees the earlier claim and skips. Then 8 more runs
/// plan nothing.
#[tokio::test]
async fn two_remediations_at_the_same_time_leave_one_filter_and_one_alarm() {
    use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
    let (account, topic) = seeded(Chain {
        filter_pattern: None,
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    let proxy = FaultProxy::start(crate::support::moto().port);
    // The two runs are aligned at their first read (each waits for the other's), so
    // that their claims arrive close together even on a loaded machine; the first two
    // CreateLogStream calls are the two claims (a release comes later), held together.
    proxy.fail("sts:GetCallerIdentity", Fault::Gather(2), Schedule::First(2));
    proxy.fail("logs:CreateLogStream", Fault::Gather(2), Schedule::First(2));
    let start = |account: &Account| {
        let mut command = account.command(&["remediate", "--format", "json"]);
        command
            .env("ALARM_TOPIC_ARN", &topic)
            .env("AWS_ENDPOINT_URL", proxy.url())
            .stdout(std::process::Stdio::piped());
        command.spawn().unwrap()
    };
    let (a, b) = (start(&account), start(&account));
    let runs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let claims: Vec<_> = proxy
        .calls()
        .into_iter()
        .filter(|c| c.name() == "logs:CreateLogStream")
        .take(2)
        .collect();
    assert_eq!(claims.len(), 2);
    let (first_answered, last_arrived) = (
        claims.iter().filter_map(|c| c.answered).min().unwrap(),
        claims.iter().map(|c| c.arrived).max().unwrap(),
    );
    assert!(last_arrived <= first_answered, "the two claims were held together");
    let outcomes: Vec<String> = runs
        .iter()
        .map(|run| {
            let report = crate::support::report_of(run);
            report["remediation"]["applied"][0]["outcome"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let (held, skipped): (Vec<_>, Vec<_>) = (0..2).partition(|&i| outcomes[i] == "applied");
    assert_eq!((held.len(), skipped.len()), (1, 1), "{outcomes:?}");
    assert!(
        outcomes[skipped[0]].starts_with("skipped: another remediation holds the lease"),
        "{outcomes:?}"
    );
    // The holder re-audits after writing both: PASS. The other wrote the alarm (on the
    // metric the holder's filter publishes) and re-audited whenever it did: PASS, or FAIL
    // if the holder's filter was not there yet; never an error.
    assert_eq!(runs[held[0]].status.code(), Some(0));
    assert!(
        matches!(runs[skipped[0]].status.code(), Some(0 | 1)),
        "{:?}",
        runs[skipped[0]].status
    );
    assert_eq!(account.filters_named("us-east-1", LOG_GROUP, FILTER).await, 1);
    assert_eq!(account.alarms_named("us-east-1", ALARM).await, 1);
    for run in 3..=10 {
        let (code, report) = remediate(&account, &topic, &[]);
        assert_eq!(code, 0, "run {run}: {report:#}");
        assert_eq!(report["remediation"]["planned"], serde_json::json!([]), "run {run}");
    }
    assert_eq!(account.filters_named("us-east-1", LOG_GROUP, FILTER).await, 1);
    assert_eq!(account.alarms_named("us-east-1", ALARM).await, 1);
}

#[tokio::test]
async fn a_foreign_filter_with_our_name_is_left_unchanged_and_reported() {
    let narrowed = "{ ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) }";
    let (account, topic) = seeded(Chain {
        filter_pattern: Some(narrowed),
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    let before = account.snapshot(&["us-east-1"]).await;
    let (code, report) = remediate(&account, &topic, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["status"], "FAIL");
    let conflict = &report["remediation"]["conflicts"][0];
    assert!(
        conflict["summary"].as_str().unwrap().contains("left unchanged"),
        "{conflict:#}"
    );
    assert_eq!(conflict["existing"]["pattern"], narrowed);
    // Both sides in one shape, so they compare field by field.
    assert_eq!(conflict["existing"]["name"], FILTER);
    assert_eq!(conflict["wanted"]["name"], FILTER);
    assert_eq!(conflict["wanted"]["pattern"], crate::support::seed::cis_pattern());
    assert_eq!(account.snapshot(&["us-east-1"]).await, before, "nothing may change");
}

#[tokio::test]
async fn a_foreign_alarm_with_our_name_is_left_unchanged_and_reported() {
    let (account, topic) = seeded(Chain {
        alarm_actions_enabled: false,
        ..Chain::default()
    })
    .await;
    let before = account.snapshot(&["us-east-1"]).await;
    let (code, report) = remediate(&account, &topic, &[]);
    assert_eq!(code, 1, "{report:#}");
    let conflict = &report["remediation"]["conflicts"][0];
    assert!(
        conflict["summary"].as_str().unwrap().contains("did not create"),
        "{conflict:#}"
    );
    assert_eq!(conflict["existing"]["actions_enabled"], false);
    assert_eq!(conflict["wanted"]["actions_enabled"], true);
    assert_eq!(conflict["wanted"]["arn"], conflict["existing"]["arn"]);
    assert_eq!(account.snapshot(&["us-east-1"]).await, before, "nothing may change");
}

#[tokio::test]
async fn our_own_alarm_is_updated_when_it_drifts() {
    let (account, topic) = seeded(Chain {
        filter_pattern: None,
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    assert_eq!(remediate(&account, &topic, &[]).0, 0);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.region("us-east-1"));
    let described = |cloudwatch: aws_sdk_cloudwatch::Client| async move {
        let found = cloudwatch.describe_alarms().alarm_names(ALARM).send().await.unwrap();
        found.metric_alarms()[0].clone()
    };
    let before = described(cloudwatch.clone()).await;
    // Someone turns our alarm's actions off; the tag still says it is ours.
    cloudwatch
        .disable_alarm_actions()
        .alarm_names(ALARM)
        .send()
        .await
        .unwrap();
    assert_eq!(account.audit(&[]).0, 1);
    let (code, report) = remediate(&account, &topic, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(report["remediation"]["planned"][0]["summary"]
        .as_str()
        .unwrap()
        .starts_with("update our alarm"));
    assert_eq!(account.alarms_named("us-east-1", ALARM).await, 1);
    // The same alarm, updated in place: its ARN as before, its actions back on.
    let after = described(cloudwatch).await;
    assert!(before.alarm_arn().is_some());
    assert_eq!(after.alarm_arn(), before.alarm_arn());
    assert_eq!(after.actions_enabled(), Some(true));
}

#[tokio::test]
async fn dry_run_plans_every_request_in_full_and_changes_nothing() {
    let (account, topic) = seeded(Chain {
        filter_pattern: None,
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    let before = account.snapshot(&["us-east-1"]).await;
    for args in [
        vec!["remediate", "--dry-run", "--format", "json"],
        vec!["remediate", "--format", "json"],
    ] {
        let dry_env: &[(&str, &str)] = if args.contains(&"--dry-run") {
            &[]
        } else {
            &[("DRY_RUN", "true")]
        };
        let mut env = vec![("ALARM_TOPIC_ARN", topic.as_str())];
        env.extend_from_slice(dry_env);
        let (code, report) = account.run(&args, &env);
        assert_eq!((code, report["dry_run"].as_bool()), (1, Some(true)), "{report:#}");
        let plan = report["remediation"]["planned"].as_array().unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0]["request"]["filterName"], FILTER);
        assert_eq!(plan[0]["request"]["logGroupName"], LOG_GROUP);
        assert!(plan[0]["request"]["filterPattern"]
            .as_str()
            .unwrap()
            .contains("DetachGroupPolicy"));
        assert_eq!(plan[1]["request"]["AlarmName"], ALARM);
        assert_eq!(plan[1]["request"]["AlarmActions"][0], topic.as_str());
        assert!(report["remediation"].get("applied").is_none());
    }
    assert_eq!(
        account.snapshot(&["us-east-1"]).await,
        before,
        "a dry run changes nothing"
    );
}

#[tokio::test]
async fn no_alarm_is_created_for_a_topic_in_another_region() {
    let (account, _) = seeded(Chain {
        log_group_region: "eu-west-1",
        filter_pattern: None,
        alarm_namespace: None,
        ..Chain::default()
    })
    .await;
    let us_topic = account.topic("us-east-1", "alarms-us").await;
    let (code, report) = remediate(&account, &us_topic, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(planned(&report), ["logs:PutMetricFilter"]);
    let refused = report["remediation"]["refused"].to_string();
    assert!(
        refused.contains("can only notify a topic in their own region"),
        "{refused}"
    );
    assert_eq!(account.alarms_named("eu-west-1", ALARM).await, 0);
    assert_eq!(account.alarms_named("us-east-1", ALARM).await, 0);
}

#[tokio::test]
async fn trails_are_never_changed_and_the_report_says_what_to_do() {
    let (account, topic) = seeded(Chain {
        logging: false,
        ..Chain::default()
    })
    .await;
    let before = account.snapshot(&["us-east-1"]).await;
    let (code, report) = remediate(&account, &topic, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["remediation"]["planned"], serde_json::json!([]));
    assert!(
        report["remediation"]["refused"].to_string().contains("start-logging"),
        "{report:#}"
    );
    assert_eq!(account.snapshot(&["us-east-1"]).await, before);
}

/// The Lambda error type of each faulted run of the test below, in its order: a read
/// of the audit is an incomplete audit; a refused write stops remediation for good
/// (not retryable: the same request is refused again); a lost answer may be retried.
const ERROR_TYPES: [Option<&str>; 12] = [
    Some("AuditIncomplete.Retryable"),
    Some("AuditIncomplete.NotRetryable"),
    Some("AuditIncomplete.Retryable"),
    Some("RemediationFailed.NotRetryable"),
    Some("RemediationFailed.NotRetryable"),
    Some("RemediationFailed.NotRetryable"),
    Some("RemediationFailed.NotRetryable"),
    Some("RemediationFailed.Retryable"),
    None,
    None,
    None,
    Some("RemediationFailed.Retryable"),
];

/// Each step remediation takes, refused (or its answer lost) by AWS: the run fails
/// loudly, the account holds at most one filter and one alarm, and the next run, with
/// AWS healthy again, completes the chain.
#[tokio::test]
async fn remediation_interrupted_at_each_step_is_completed_by_the_next_run() {
    use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
    let refused = |code: &str| Fault::error(400, code, "refused by the test");
    // (operation, fault, which of its calls, what the faulted run exits with, and its
    // Lambda error type)
    let steps = [
        ("logs:DescribeMetricFilters", Fault::Status(503), Schedule::Always, 2),
        // The re-read of the filters under the lease (the audit's read passes): the
        // lease is released and nothing is written.
        (
            "logs:DescribeMetricFilters",
            refused("AccessDeniedException"),
            Schedule::After(1),
            2,
        ),
        ("cloudwatch:DescribeAlarms", Fault::Status(503), Schedule::Always, 2),
        (
            "logs:DescribeLogStreams",
            refused("InvalidParameterException"),
            Schedule::Always,
            2,
        ),
        (
            "logs:CreateLogStream",
            refused("InvalidParameterException"),
            Schedule::Always,
            2,
        ),
        (
            "logs:PutMetricFilter",
            refused("InvalidParameterException"),
            Schedule::Always,
            2,
        ),
        (
            "cloudwatch:PutMetricAlarm",
            refused("ValidationError"),
            Schedule::Always,
            2,
        ),
        // Each write applied, but every answer lost: the caller cannot know it took
        // effect. The claim is named after its run, so a retry's AlreadyExists is its
        // own claim, and a run that cannot go on releases it; the filter is read back
        // before it is sent again (and so is applied once, in this same run); a release
        // marker that exists is a release done; the alarm is an upsert by name.
        ("logs:CreateLogStream", Fault::LostResponse, Schedule::Always, 2),
        ("logs:CreateLogStream", Fault::LostResponse, Schedule::First(1), 0),
        ("logs:PutMetricFilter", Fault::LostResponse, Schedule::Always, 0),
        ("logs:CreateLogStream", Fault::LostResponse, Schedule::Nth(2), 0),
        ("cloudwatch:PutMetricAlarm", Fault::LostResponse, Schedule::Always, 2),
    ];
    for ((step, fault, schedule, exit), error) in steps.into_iter().zip(ERROR_TYPES) {
        let (account, topic) = seeded(Chain {
            filter_pattern: None,
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
        let proxy = FaultProxy::start(crate::support::moto().port);
        proxy.fail(step, fault.clone(), schedule);
        // Through the Lambda runtime: the invocation's error type (what Lambda's retries
        // and failure destination see), and the report as the function logged it.
        let lambda = crate::support::lambda::LambdaFace::start(
            &account,
            &[
                ("MODE", "remediate"),
                ("ALARM_TOPIC_ARN", topic.as_str()),
                ("AWS_ENDPOINT_URL", proxy.url().as_str()),
            ],
        );
        let invocation = lambda.invoke("{}");
        let report = lambda
            .findings()
            .pop()
            .unwrap_or_else(|| panic!("no report logged: {invocation:?}"));
        let context = format!("{step} {fault:?} {schedule:?}");
        let error_type = invocation.error_type();
        assert_eq!(error_type, error, "{context}: {invocation:?}");
        let code = if error_type.is_some() { 2 } else { 0 };
        assert_eq!(code, exit, "{context}: {report:#}");
        if exit == 2 && fault != Fault::LostResponse {
            // (A lost answer to a write that took effect re-audits as PASS; the run
            // still fails, since it could not know.)
            assert_ne!(report["status"], "PASS", "{context}");
        }
        if step == "logs:PutMetricFilter" && fault == Fault::LostResponse {
            assert_eq!(
                report["remediation"]["applied"][0]["outcome"], "applied (the answer was lost; read back)",
                "{report:#}"
            );
            assert_eq!(proxy.count(step), 1, "sent once, not again");
        }
        assert!(proxy.faulted(step) > 0, "{context}: never reached");
        assert!(
            account.filters_named("us-east-1", LOG_GROUP, FILTER).await <= 1,
            "{step}"
        );
        assert!(account.alarms_named("us-east-1", ALARM).await <= 1, "{step}");

        let (code, report) = remediate(&account, &topic, &[]);
        assert_eq!(
            (code, report["status"].as_str()),
            (0, Some("PASS")),
            "{step}: the next run completes it: {report:#}"
        );
        assert_eq!(report["remediation"]["conflicts"], serde_json::json!([]), "{step}");
        if step == "cloudwatch:PutMetricAlarm" && fault == Fault::LostResponse {
            // The lost write had taken effect: the next run finds the alarm in place.
            assert_eq!(report["remediation"]["planned"], serde_json::json!([]), "{report:#}");
        }
        if step == "logs:DescribeMetricFilters" && schedule == Schedule::After(1) {
            assert_eq!(
                proxy.count("logs:PutMetricFilter"),
                0,
                "nothing written without the re-read"
            );
        }
        assert_eq!(account.filters_named("us-east-1", LOG_GROUP, FILTER).await, 1, "{step}");
        assert_eq!(account.alarms_named("us-east-1", ALARM).await, 1, "{step}");
    }
}

/// Partial data: when the audit could not read everything (status ERROR: the filters,
/// or the alarms on the filter's metric), remediation plans nothing and writes nothing
/// (the next run, with AWS healthy, fixes it).
#[tokio::test]
async fn an_audit_that_could_not_read_everything_plans_and_writes_nothing() {
    use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
    // (the chain, the read that fails)
    let cases = [
        (Chain::remediable(), "logs:DescribeMetricFilters"),
        (
            Chain {
                alarm_namespace: None,
                ..Chain::default()
            },
            "cloudwatch:DescribeAlarmsForMetric",
        ),
    ];
    for (chain, read) in cases {
        let (account, topic) = seeded(chain).await;
        let proxy = FaultProxy::start(crate::support::moto().port);
        proxy.fail(read, Fault::Status(503), Schedule::Always);
        let (code, report) = remediate(&account, &topic, &[("AWS_ENDPOINT_URL", &proxy.url())]);
        assert_eq!(
            (code, report["status"].as_str()),
            (2, Some("ERROR")),
            "{read}: {report:#}"
        );
        assert_eq!(
            report["remediation"]["planned"],
            serde_json::json!([]),
            "{read}: {report:#}"
        );
        assert!(report["remediation"].get("applied").is_none(), "{read}");
        assert!(proxy.writes().is_empty(), "{read}: {:?}", proxy.writes());
        assert!(proxy.faulted(read) > 0, "{read} was reached");
    }
    // A chain that FAILs on what was read (no metric filter at all) is remediated even
    // when another of its reads failed (the trail's event selectors): the filter and
    // alarm are needed either way; the report stays ERROR until the selectors are read.
    let (account, topic) = seeded(Chain::remediable()).await;
    let proxy = FaultProxy::start(crate::support::moto().port);
    proxy.fail("cloudtrail:GetEventSelectors", Fault::Status(503), Schedule::Always);
    let (code, report) = remediate(&account, &topic, &[("AWS_ENDPOINT_URL", &proxy.url())]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["remediation"]["before"]["status"], "FAIL", "{report:#}");
    assert_eq!(planned(&report), ["logs:PutMetricFilter", "cloudwatch:PutMetricAlarm"]);
    assert_eq!(account.filters_named("us-east-1", LOG_GROUP, FILTER).await, 1);
}
