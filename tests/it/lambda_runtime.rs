//! The built binary served through a real Lambda runtime API (cargo lambda's emulator),
//! invoked with each sample event in events/, as `make invoke` and users do.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::lambda::{cargo_lambda, LambdaFace};
use crate::support::seed::Chain;
use crate::support::Account;
use serde_json::Value;

/// One invocation; a function that died would leave `invoke` waiting, so it is bounded.
fn invoke(port: u16, data: &[&str]) -> (bool, Value, String) {
    let mut child = cargo_lambda()
        .args([
            "invoke",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "--output-format",
            "json",
        ])
        .args(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo lambda invoke");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cargo lambda invoke {data:?} did not return within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.success(), value, stderr)
}

#[tokio::test]
async fn each_sample_event_through_the_lambda_runtime() {
    let account = Account::new().await;
    // A logging multi-region trail with no metric filter and no alarm: what the rule's
    // remediation is for.
    let seeded = account.seed(&Chain::remediable()).await;
    let face = LambdaFace::start(&account, &[("ALARM_TOPIC_ARN", &seeded.topic_arn)]);
    let port = face.port;

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/schedule.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["status"], "FAIL", "{report:#}");
    assert_eq!(report["mode"], "audit");

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/audit.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        (report["status"].as_str(), report["mode"].as_str()),
        (Some("FAIL"), Some("audit"))
    );

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/remediate-dry-run.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        (report["status"].as_str(), report["dry_run"].as_bool()),
        (Some("FAIL"), Some(true)),
        "{report:#}"
    );
    assert_eq!(
        report["remediation"]["planned"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/remediate.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["status"], "PASS", "{report:#}");
    assert_eq!(report["remediation"]["before"]["status"], "FAIL");

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/audit.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["status"], "PASS", "{report:#}");

    // The tamper samples, as EventBridge delivers CloudTrail's events: one audit each,
    // the change and who made it in the report.
    for (file, event_name, actor) in [
        (
            "events/tamper-delete-alarms.json",
            "DeleteAlarms",
            "arn:aws:iam::123456789012:user/mallory",
        ),
        (
            "events/tamper-stop-logging.json",
            "StopLogging",
            "arn:aws:sts::123456789012:assumed-role/Admin/mallory",
        ),
    ] {
        let (ok, report, stderr) = invoke(port, &["--data-file", file]);
        assert!(ok, "{file}: {stderr}");
        assert_eq!(report["status"], "PASS", "{report:#}");
        assert_eq!(report["trigger"]["event_name"], event_name, "{report:#}");
        // Claimed, not confirmed: the emulator has no CloudTrail event history.
        assert_eq!(report["trigger"]["claimed_actor"]["arn"], actor, "{report:#}");
        assert_eq!(report["trigger"]["confirmation"]["status"], "unconfirmed", "{report:#}");
    }

    // The default level is info: the SDK's per-request debug records stay out of the
    // function's log (and out of the CloudWatch Logs bill).
    let log = face.log();
    let levels: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"))["level"].to_string())
        .collect();
    assert!(!levels.is_empty());
    assert!(
        levels
            .iter()
            .all(|l| l == "\"INFO\"" || l == "\"WARN\"" || l == "\"ERROR\""),
        "{levels:?}\n{log}"
    );
}

#[tokio::test]
async fn a_malformed_event_is_an_invocation_error_that_says_what_was_expected() {
    let account = Account::new().await;
    let face = LambdaFace::start(&account, &[]);
    let port = face.port;
    for payload in [
        r#"{"mode": "fix"}"#,
        r#""audit""#,
        r#"{"mode": "audit", "force": true}"#,
    ] {
        let (ok, _, stderr) = invoke(port, &["--data-ascii", payload]);
        assert!(!ok, "{payload} was accepted");
        assert!(
            stderr.contains("InvalidEvent") && stderr.contains("invalid invocation event"),
            "{payload}: {stderr}"
        );
    }
}

/// NoSuccessfulRunAlarm counts runs, not invocations: each run that completes writes one
/// embedded-metric-format line (CompletedRuns, with what triggered it) on standard
/// output; an invocation that starts no run, or a run that fails, writes none.
#[tokio::test]
async fn each_completed_run_is_one_metric_line_and_an_invocation_without_a_run_is_none() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let lambda = LambdaFace::start(&account, &[]);
    let event = |name: &str| std::fs::read_to_string(crate::support::project_dir().join("events").join(name)).unwrap();

    let scheduled = lambda.invoke(&event("schedule.json"));
    assert!(scheduled.ok, "{scheduled:?}");
    let metrics = lambda.metrics();
    assert_eq!(metrics.len(), 1, "{metrics:#?}");
    assert_eq!(
        metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "iam-policy-alarm"
    );
    assert_eq!(
        (
            metrics[0]["CompletedRuns"].as_i64(),
            metrics[0]["Trigger"].as_str(),
            metrics[0]["FunctionName"].as_str()
        ),
        (Some(1), Some("schedule"), Some("_"))
    );

    // A failed call is a change event that starts no run: no metric.
    let mut failed_call: Value = serde_json::from_str(&event("tamper-delete-alarms.json")).unwrap();
    failed_call["detail"]["errorCode"] = "AccessDenied".into();
    let ignored = lambda.invoke(&failed_call.to_string());
    assert!(ignored.ok && ignored.payload["ignored"].is_string(), "{ignored:?}");
    assert_eq!(lambda.metrics().len(), 1, "an ignored event is not a run");

    let manual = lambda.invoke("{}");
    assert!(manual.ok, "{manual:?}");
    assert_eq!(lambda.metrics().last().unwrap()["Trigger"], "manual");
    assert_eq!(lambda.metrics().len(), 2);

    // A run that could not read the account is an error, not a completed run.
    let unreachable = LambdaFace::start(&account, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
    let failed = unreachable.invoke(&event("schedule.json"));
    assert_eq!(failed.error_type(), Some("AuditIncomplete.Retryable"), "{failed:?}");
    assert!(unreachable.metrics().is_empty(), "{:#?}", unreachable.metrics());
}
