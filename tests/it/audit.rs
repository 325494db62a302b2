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
