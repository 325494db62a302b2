//! The Security Hub import on the emulator (moto's BatchImportFindings and GetFindings;
//! it upserts by Id and does not enforce the calling-account rule, so that rule and the
//! batch limit are proven by pure tests in src/report/asff.rs).

use serde_json::Value;

use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::lambda::LambdaFace;
use crate::support::seed::Chain;
use crate::support::{moto, Account};

async fn findings(account: &Account) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    aws_sdk_securityhub::Client::new(&account.region("us-east-1"))
        .get_findings()
        .send()
        .await
        .expect("get findings")
        .findings()
        .iter()
        .filter(|f| f.aws_account_id() == Some(account.id.as_str()))
        .cloned()
        .collect()
}

fn compliance(f: &aws_sdk_securityhub::types::AwsSecurityFinding) -> &str {
    f.compliance().and_then(|c| c.status()).map_or("", |s| s.as_str())
}

#[tokio::test]
async fn a_failing_account_is_one_failed_finding_and_remediation_updates_the_same_one() {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::remediable()).await;
    let (code, report) = account.audit(&[("SECURITY_HUB", "true")]);
    assert_eq!(code, 1, "{report:#}");
    let first = findings(&account).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(compliance(&first[0]), "FAILED");
    let reason = first[0].compliance().unwrap().status_reasons()[0].reason_code();
    assert_eq!(reason, Some("CLOUDTRAIL_METRIC_FILTER_NOT_VALID"));
    assert_eq!(
        first[0].severity().and_then(|s| s.label()).map(|l| l.as_str()),
        Some("HIGH")
    );
    let created = first[0].created_at().unwrap().to_string();

    let (code, report) = account.run(
        &["remediate", "--format", "json"],
        &[("SECURITY_HUB", "true"), ("ALARM_TOPIC_ARN", &seeded.topic_arn)],
    );
    assert_eq!(code, 0, "{report:#}");
    let after = findings(&account).await;
    assert_eq!(after.len(), 1, "still one finding: {after:#?}");
    assert_eq!(after[0].id(), first[0].id());
    assert_eq!(compliance(&after[0]), "PASSED");
    assert_eq!(
        after[0].created_at(),
        Some(created.as_str()),
        "CreatedAt kept from the first import"
    );
}

#[tokio::test]
async fn an_incomplete_audit_is_not_available_never_passed() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let proxy = FaultProxy::start(moto().port);
    proxy.fail("logs:DescribeMetricFilters", Fault::Status(503), Schedule::Always);
    let (code, _) = account.audit(&[("SECURITY_HUB", "true"), ("AWS_ENDPOINT_URL", &proxy.url())]);
    assert_eq!(code, 2);
    let found = findings(&account).await;
    assert_eq!(found.len(), 1);
    assert_eq!(compliance(&found[0]), "NOT_AVAILABLE");
}

/// An incomplete audit is the run's error whatever else failed: with the caller's
/// identity refused, no finding can name the account, and the import says it was not
/// done because of the audit; the Lambda error is the audit's, not the import's.
#[tokio::test]
async fn an_incomplete_audit_is_the_runs_error_even_when_the_import_fails_too() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let proxy = FaultProxy::start(moto().port);
    proxy.fail(
        "sts:GetCallerIdentity",
        Fault::error(403, "AccessDenied", "not authorized"),
        Schedule::Always,
    );
    let output = account
        .command(&["audit", "--format", "json"])
        .envs([("SECURITY_HUB", "true"), ("AWS_ENDPOINT_URL", proxy.url().as_str())])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("findings not imported into Security Hub")
            && stderr.contains("not imported: the audit is incomplete and the account is unknown"),
        "{stderr}"
    );
    assert!(
        findings(&account).await.is_empty(),
        "no finding names an unknown account"
    );

    let lambda = LambdaFace::start(
        &account,
        &[("SECURITY_HUB", "true"), ("AWS_ENDPOINT_URL", &proxy.url())],
    );
    let refused = lambda.invoke("{}");
    assert_eq!(
        refused.error_type(),
        Some("AuditIncomplete.NotRetryable"),
        "{refused:?}"
    );

    // Where the account is known, the incomplete audit is imported as NOT_AVAILABLE
    // and the run's error is still the audit's (retryable: a 503).
    proxy.heal();
    proxy.fail("logs:DescribeMetricFilters", Fault::Status(503), Schedule::Always);
    let incomplete = lambda.invoke("{}");
    assert_eq!(
        incomplete.error_type(),
        Some("AuditIncomplete.Retryable"),
        "{incomplete:?}"
    );
    let found = findings(&account).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(compliance(&found[0]), "NOT_AVAILABLE");
}

/// Security Hub refuses the import: exit 2 saying so, after the report was printed and
/// published.
/// A finding someone else suppressed while its chain FAILs is a tamper of its own: the
/// next run publishes it on the findings topic, naming the note's author. moto has no
/// BatchUpdateFindings: the test writes the workflow status and note as another
/// principal's import, which moto stores as given (the state GetFindings then reads).
#[tokio::test]
async fn a_failed_finding_someone_suppressed_is_published_as_a_tamper() {
    let account = Account::new().await;
    account.seed(&Chain::remediable()).await;
    let topic = account.topic("us-east-1", "findings").await;
    let inbox = account.sqs_subscriber(&topic, "findings-inbox").await;
    let env = [("SECURITY_HUB", "true"), ("FINDINGS_TOPIC_ARN", topic.as_str())];
    let (code, report) = account.audit(&env);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(account.received("us-east-1", &inbox).await.len(), 1, "the report only");

    let id = findings(&account).await[0].id().unwrap().to_string();
    let mallory = format!("arn:aws:iam::{}:user/mallory", account.id);
    // Boxed: the finding's SDK types would overflow the test thread's stack in a debug build.
    Box::pin(suppress(&account, &id, &mallory)).await;

    let (code, report) = account.audit(&env);
    assert_eq!(code, 1, "{report:#}");
    let messages = account.received("us-east-1", &inbox).await;
    let tamper: Vec<&Value> = messages
        .iter()
        .filter(|m| m["Subject"].as_str().unwrap_or("").starts_with("TAMPER"))
        .collect();
    assert_eq!(tamper.len(), 1, "{messages:#?}");
    assert_eq!(
        tamper[0]["Subject"],
        format!("TAMPER: Security Hub finding of account {} SUPPRESSED", account.id)
    );
    let body: Value = serde_json::from_str(tamper[0]["Message"].as_str().unwrap()).unwrap();
    let o = &body["security_hub_overrides"][0];
    assert_eq!(
        (
            o["finding_id"].as_str(),
            o["workflow_status"].as_str(),
            o["note_updated_by"].as_str()
        ),
        (Some(id.as_str()), Some("SUPPRESSED"), Some(mallory.as_str())),
        "{body:#}"
    );
    assert_eq!(o["compliance_status"], "FAILED");
    assert_eq!(messages.len(), 2, "the report, and the tamper: {messages:#?}");
}

/// Another principal sets the finding `id` aside: SUPPRESSED, with a note by `by`.
async fn suppress(account: &Account, id: &str, by: &str) {
    use aws_sdk_securityhub::types::{AwsSecurityFinding, Note, Resource, Workflow, WorkflowStatus};
    aws_sdk_securityhub::Client::new(&account.region("us-east-1"))
        .batch_import_findings()
        .findings(
            AwsSecurityFinding::builder()
                .id(id)
                .resources(
                    Resource::builder()
                        .r#type("AwsAccount")
                        .id(format!("AWS::::Account:{}", account.id))
                        .build(),
                )
                .workflow(Workflow::builder().status(WorkflowStatus::Suppressed).build())
                .note(
                    Note::builder()
                        .text("known, ignore")
                        .updated_by(by)
                        .updated_at("2026-12-03T00:00:00Z")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("the override is stored");
}

#[tokio::test]
async fn a_refused_import_fails_the_run_after_the_report_is_printed_and_published() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let topic = account.topic("us-east-1", "findings").await;
    let inbox = account.sqs_subscriber(&topic, "findings-inbox").await;
    let proxy = FaultProxy::start(moto().port);
    // REST JSON: the proxy names the operation by its path, so the import is told by
    // its body (BatchImportFindings sends Findings, GetFindings Filters).
    proxy.fail_when(
        "securityhub:*",
        "\"Findings\"",
        Fault::error(403, "AccessDeniedException", "not authorized"),
        Schedule::Always,
    );
    let output = account
        .command(&["audit", "--format", "json"])
        .env("SECURITY_HUB", "true")
        .env("FINDINGS_TOPIC_ARN", &topic)
        .env("AWS_ENDPOINT_URL", proxy.url())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report: Value = crate::support::report_of(&output);
    assert_eq!(report["status"], "PASS");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("findings not imported into Security Hub: securityhub:BatchImportFindings"),
        "{stderr}"
    );
    assert_eq!(
        account.received("us-east-1", &inbox).await.len(),
        1,
        "published all the same"
    );
    assert!(proxy.faulted("securityhub:*") > 0, "the import was reached");

    // Through the Lambda runtime: the error type says whether a retry can help.
    let lambda = LambdaFace::start(
        &account,
        &[("SECURITY_HUB", "true"), ("AWS_ENDPOINT_URL", &proxy.url())],
    );
    let refused = lambda.invoke("{}");
    assert_eq!(refused.error_type(), Some("ImportFailed.NotRetryable"), "{refused:?}");
    proxy.heal();
    proxy.fail_when("securityhub:*", "\"Findings\"", Fault::Status(503), Schedule::Always);
    let unavailable = lambda.invoke("{}");
    assert_eq!(
        unavailable.error_type(),
        Some("ImportFailed.Retryable"),
        "{unavailable:?}"
    );
    assert!(
        unavailable.error_message().contains("securityhub:BatchImportFindings"),
        "{unavailable:?}"
    );
}

/// `--format ocsf` prints OCSF Compliance Finding events that the published OCSF model
/// (PyPI py-ocsf-models, which Prowler uses) accepts; an incomplete audit is never Pass.
#[tokio::test]
async fn ocsf_output_validates_against_the_published_model() {
    use std::io::Write;
    let account = Account::new().await;
    account
        .seed(&Chain {
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
    let output = account.command(&["audit", "--format", "ocsf"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let events: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events:#}");
    assert_eq!(events[0]["compliance"]["status"], "Fail");
    assert_eq!(events[0]["cloud"]["account"]["uid"], account.id.as_str());
    let validate = r#"
import json, sys
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
events = json.load(sys.stdin)
for e in events:
    f = ComplianceFinding(**e)
    assert f.class_uid == 2003, f.class_uid
    assert f.compliance.status_id.value == 3, f.compliance.status_id
print(len(events))
"#;
    let python = crate::support::project_dir().join(".venv/bin/python");
    let mut child = std::process::Command::new(python)
        .args(["-c", validate])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&output.stdout).unwrap();
    let checked = child.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "the OCSF model refused the events: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&checked.stdout).trim(), "1");
}
