//! The audit under the faults AWS really produces, injected by a proxy (FaultProxy)
//! between the built binary and the emulator: throttling in each protocol's own error
//! format, 500 and 503, reset connections, truncated bodies, calls that outlive the
//! attempt timeout, calls that never answer. Transient faults change nothing in the
//! result; persistent ones make the report ERROR, naming the operation, never PASS;
//! a failed publish fails the run and loses nothing; no fault leads to a write.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::lambda::LambdaFace;
use crate::support::seed::encrypt_topic;
use crate::support::seed::Chain;
use crate::support::{moto, project_dir, Account};
use iam_policy_alarm::aws::RETRY_BUDGET;
use serde_json::Value;

/// Every request a compliant audit with a findings topic makes, in the order of its
/// phases. AssumeRole is the test profile's credentials (Lambda's come from its
/// environment); the rest are the audit's own reads, and the publish.
const OPERATIONS: [&str; 14] = [
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarmsForMetric",
    "cloudwatch:ListAlarmMuteRules",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:GetSubscriptionAttributes",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "sns:Publish",
];

/// Every request an audit of a log group without metric filters makes: the one
/// scenario that asks DescribeLogGroups (an empty filter list may mean a missing group).
const EMPTY_GROUP_OPERATIONS: [&str; 8] = [
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "logs:DescribeMetricFilters",
    "logs:DescribeLogGroups",
    "sns:Publish",
];

/// An account seeded for one scenario, with a findings topic, and the requests its
/// audit makes.
struct Scenario {
    account: Account,
    findings: String,
    operations: &'static [&'static str],
    /// The exit code of a run without faults.
    clean_code: i32,
}

/// A compliant account whose chain uses every read but one that the audit can make
/// (the alarm's topic is encrypted with a customer-managed key named by alias).
async fn compliant() -> Scenario {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::default()).await;
    encrypt_topic(&account, "us-east-1", &seeded.topic_arn).await;
    let findings = account.topic("us-east-1", "findings").await;
    Scenario {
        account,
        findings,
        operations: &OPERATIONS,
        clean_code: 0,
    }
}

/// A trail delivering to a log group without metric filters: FAIL at metric_filter,
/// after DescribeLogGroups settled that the group exists.
async fn empty_group() -> Scenario {
    let account = Account::new().await;
    account.seed(&Chain::remediable()).await;
    let findings = account.topic("us-east-1", "findings").await;
    Scenario {
        account,
        findings,
        operations: &EMPTY_GROUP_OPERATIONS,
        clean_code: 1,
    }
}

struct Run {
    code: i32,
    report: Value,
    stderr: String,
    elapsed: Duration,
}

impl Scenario {
    /// `iam-policy-alarm audit --format json`, through `proxy`, publishing findings.
    fn audit(&self, proxy: &FaultProxy) -> Run {
        self.run(&["audit", "--format", "json"], proxy, &[])
    }

    fn run(&self, args: &[&str], proxy: &FaultProxy, env: &[(&str, &str)]) -> Run {
        let start = Instant::now();
        let output = self
            .account
            .command(args)
            .env("AWS_ENDPOINT_URL", proxy.url())
            .env("FINDINGS_TOPIC_ARN", &self.findings)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        Run {
            code: output.status.code().unwrap_or(-1),
            report: crate::support::report_of(&output),
            stderr,
            elapsed: start.elapsed(),
        }
    }

    fn baseline(&self) -> (FaultProxy, Run) {
        let proxy = FaultProxy::start(moto().port);
        let run = self.audit(&proxy);
        let status = if self.clean_code == 0 { "PASS" } else { "FAIL" };
        assert_eq!(
            (run.code, run.report["status"].as_str()),
            (self.clean_code, Some(status)),
            "{:#}",
            run.report
        );
        let expected: BTreeSet<String> = self.operations.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            proxy.operations(),
            expected,
            "the audit's operations changed: update OPERATIONS"
        );
        (proxy, run)
    }
}

/// The report without its timestamp: what two runs over the same account must share.
fn verdict(report: &Value) -> Value {
    let mut report = report.clone();
    report.as_object_mut().unwrap().remove("time");
    report
}

/// Every failed read the report names, with the status of the link (or "report" for
/// reads that failed before any trail could be looked at).
fn named_errors(report: &Value) -> Vec<(String, Value)> {
    let mut found: Vec<(String, Value)> = report["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| ("report".to_string(), e.clone()))
        .collect();
    for trail in report["trails"].as_array().into_iter().flatten() {
        for (_, link) in trail["links"].as_object().into_iter().flatten() {
            for e in link["errors"].as_array().into_iter().flatten() {
                found.push((link["status"].as_str().unwrap_or("?").to_string(), e.clone()));
            }
        }
    }
    found
}

// ---------------------------------------------------------------- budget

/// The lines of the mapping entry `name:` indented by two spaces (a resource or a
/// parameter), up to the next entry at that depth.
fn entry<'a>(template: &'a str, name: &str) -> Vec<&'a str> {
    let head = format!("  {name}:");
    template
        .lines()
        .skip_while(|l| *l != head)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with("   "))
        .collect()
}

/// The function's timeout in template.yaml, in seconds, resolved through `!Ref` to its
/// parameter's Default.
/// The Timeout parameter's (Default, MinValue), or the literal Timeout twice.
fn template_timeout() -> (u64, u64) {
    let template = std::fs::read_to_string(project_dir().join("template.yaml")).unwrap();
    let field = |lines: &[&str], name: &str| -> Option<String> {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().trim_matches('"').to_string())
    };
    let function = entry(&template, "AuditFunction");
    let value = field(&function, "Timeout:").expect("AuditFunction has a Timeout");
    let Some(parameter) = value.strip_prefix("!Ref ") else {
        let literal = value.parse().unwrap();
        return (literal, literal);
    };
    let parameter = entry(&template, parameter);
    let default = field(&parameter, "Default:").expect("the Timeout parameter has a Default");
    let minimum = field(&parameter, "MinValue:").expect("the Timeout parameter has a MinValue");
    (default.parse().unwrap(), minimum.parse().unwrap())
}

#[test]
fn retry_budget_relations() {
    let b = &RETRY_BUDGET;
    assert_eq!(b.max_attempts, 4);
    assert!(b.connect_timeout < b.attempt_timeout);
    assert!(b.attempt_timeout < b.operation_timeout);
    // Every attempt could run to its timeout: the operation timeout is what bounds a call.
    assert!(b.attempt_timeout * b.max_attempts >= b.operation_timeout);
}

/// The chain of a compliant audit: the calls of each phase that one of them may be.
const COMPLIANT_CHAIN: [&[&str]; 7] = [
    &["sts:GetCallerIdentity", "cloudtrail:DescribeTrails"],
    &[
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "logs:DescribeMetricFilters",
    ],
    &["cloudwatch:DescribeAlarmsForMetric"],
    // The alarm's mute rules are read beside its topic.
    &[
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "cloudwatch:ListAlarmMuteRules",
    ],
    // The subscriptions' filter policies are read beside the key.
    &["kms:DescribeKey", "sns:GetSubscriptionAttributes"],
    &["kms:GetKeyPolicy"],
    &["sns:Publish"],
];

/// The longest chain of an audit the emulator can show, and the delivery after it.
const LONGEST_AUDIT_CHAIN: [&[&str]; 12] = [
    COMPLIANT_CHAIN[0],
    COMPLIANT_CHAIN[1],
    &["cloudwatch:DescribeAlarmsForMetric"],
    // None on the metric fires: the region's metric math alarms.
    &["cloudwatch:DescribeAlarms"],
    // One of them fires without a topic: the composite alarms over it.
    &["cloudwatch:DescribeAlarms"],
    COMPLIANT_CHAIN[3],
    COMPLIANT_CHAIN[4],
    &["kms:GetKeyPolicy", "sns:GetSubscriptionAttributes"],
    &["sns:Publish"],
    // Security Hub (REST JSON, named by path): the first import's CreatedAt, the import.
    &["securityhub:POST /findings"],
    &["securityhub:POST /findings/import"],
    // The read found the finding set aside (suppressed while FAILED): its own message.
    &["sns:Publish"],
];

/// Security Hub holds the account's finding as FAILED, suppressed by someone (moto has
/// no BatchUpdateFindings: written as an import, which it stores as given).
async fn suppressed_failed_finding(account: &Account) {
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding, Compliance, ComplianceStatus, Resource, Workflow, WorkflowStatus,
    };
    aws_sdk_securityhub::Client::new(&account.region("us-east-1"))
        .batch_import_findings()
        .findings(
            AwsSecurityFinding::builder()
                .id(iam_policy_alarm::report::asff::finding_id(
                    "us-east-1",
                    &account.id,
                    iam_policy_alarm::rule::default_rule(),
                ))
                .aws_account_id(&account.id)
                .resources(
                    Resource::builder()
                        .r#type("AwsAccount")
                        .id(format!("AWS::::Account:{}", account.id))
                        .build(),
                )
                .compliance(Compliance::builder().status(ComplianceStatus::Failed).build())
                .workflow(Workflow::builder().status(WorkflowStatus::Suppressed).build())
                .build(),
        )
        .send()
        .await
        .expect("the suppressed finding is stored");
}

/// The audit's longest path on the emulator: the standard alarm on the filter's metric
/// does not fire (threshold 5), so the region's metric math alarms are read; one of
/// them fires but notifies no topic, so the composite alarms over it are read; another
/// fires and notifies the topic, encrypted with a key named by alias; and Security Hub
/// holds the account's finding, FAILED and suppressed by someone.
async fn longest_audit() -> Scenario {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Metric, MetricDataQuery, MetricStat, Statistic};
    let account = Account::new().await;
    let seeded = account
        .seed(&Chain {
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
    encrypt_topic(&account, "us-east-1", &seeded.topic_arn).await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.region("us-east-1"));
    cloudwatch
        .put_metric_alarm()
        .alarm_name("iam-changes-five")
        .namespace(iam_policy_alarm::rule::default_rule().filter.metric_namespace.as_str())
        .metric_name(iam_policy_alarm::rule::default_rule().filter.metric_name.as_str())
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions(&seeded.topic_arn)
        .send()
        .await
        .unwrap();
    for (name, topic) in [
        ("iam-changes-math-silent", None),
        ("iam-changes-math", Some(&seeded.topic_arn)),
    ] {
        let m1 = MetricDataQuery::builder()
            .id("m1")
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(iam_policy_alarm::rule::default_rule().filter.metric_namespace.as_str())
                            .metric_name(iam_policy_alarm::rule::default_rule().filter.metric_name.as_str())
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
            .alarm_name(name)
            .metrics(m1)
            .metrics(e1)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .actions_enabled(true)
            .set_alarm_actions(topic.map(|t| vec![t.clone()]))
            .send()
            .await
            .unwrap();
    }
    Box::pin(suppressed_failed_finding(&account)).await;
    let findings = account.topic("us-east-1", "findings").await;
    Scenario {
        account,
        findings,
        // Not a baseline scenario: its requests are the chain's, checked where it is used.
        operations: &[],
        clean_code: 0,
    }
}

fn assert_chain(chain: &[String], wanted: &[&[&str]]) {
    let fits = chain.len() == wanted.len()
        && chain
            .iter()
            .zip(wanted)
            .all(|(call, step)| step.contains(&call.as_str()));
    assert!(fits, "measured {chain:?}, expected one of each of {wanted:?}");
}

/// The calls of a run, one after another, each waiting for the one before: measured
/// through the proxy with every answer held 100 ms, so that calls of one phase overlap
/// and calls that wait for another's answer do not. AssumeRole is the test profile's
/// credentials (Lambda's come from its environment).
fn chain_of(scenario: &Scenario, args: &[&str], env: &[(&str, &str)], expect: i32) -> Vec<String> {
    let proxy = FaultProxy::start(moto().port);
    proxy.fail("*", Fault::Delay(Duration::from_millis(100)), Schedule::Always);
    let run = scenario.run(args, &proxy, env);
    assert_eq!(run.code, expect, "{:#}", run.report);
    proxy.dependent_chain(&["sts:AssumeRole"])
}

/// When every call hangs, each is cut at the operation timeout, so a run lasts at most
/// (its longest chain of dependent calls) x operation timeout. The chains are measured
/// on real runs: the audit's longest path the emulator can show (metric math alarms,
/// then composite alarms, then an encrypted topic, then the publish and the Security
/// Hub import), plus the dependent reads only mocks can show
/// (`aws::READS_THE_EMULATOR_CANNOT_SHOW`); remediation's own steps, measured on a log
/// group without filters whose alarm of the configured name is ours and drifted. The
/// constants the product runs on (the organization's deadline guard) and template.yaml's
/// Timeout bounds must follow them: a new dependent read fails this test until they do.
#[tokio::test]
async fn the_function_timeout_covers_the_measured_chains_of_dependent_calls() {
    use iam_policy_alarm::aws::{
        APPLY_CHAIN_CALLS, AUDIT_CHAIN_CALLS, DELIVERY_CHAIN_CALLS, READS_THE_EMULATOR_CANNOT_SHOW,
        REMEDIATION_CHAIN_CALLS,
    };
    let op = RETRY_BUDGET.operation_timeout;
    let longest = chain_of(
        &longest_audit().await,
        &["audit", "--format", "json"],
        &[("SECURITY_HUB", "true")],
        0,
    );
    assert_chain(&longest, &LONGEST_AUDIT_CHAIN);
    let (reads, delivery) = longest.split_at(longest.len() - DELIVERY_CHAIN_CALLS as usize);
    assert_eq!(delivery.len(), DELIVERY_CHAIN_CALLS as usize);
    assert!(delivery[0] == "sns:Publish", "{delivery:?}");
    assert_eq!(
        reads.len() + READS_THE_EMULATOR_CANNOT_SHOW.len(),
        AUDIT_CHAIN_CALLS as usize,
        "the audit's measured reads {reads:?} and {READS_THE_EMULATOR_CANNOT_SHOW:?}"
    );
    for read in READS_THE_EMULATOR_CANNOT_SHOW {
        assert!(
            !reads.contains(&read.to_string()),
            "{read} is measured now: count it once"
        );
    }
    // A compliant chain is shorter, and within it.
    let compliant = chain_of(&compliant().await, &["audit", "--format", "json"], &[], 0);
    assert_chain(&compliant, &COMPLIANT_CHAIN);
    assert!(compliant.len() < longest.len());
    // Remediation's longest path: first a run that creates our filter and alarm, then
    // the filter gone and our alarm drifted.
    let scenario = empty_group().await;
    let topic = scenario.account.topic("us-east-1", "iam-alarms").await;
    let setup = scenario.run(
        &["remediate", "--format", "json"],
        &FaultProxy::start(moto().port),
        &[("ALARM_TOPIC_ARN", &topic)],
    );
    assert_eq!(setup.code, 0, "{:#}", setup.report);
    let config = scenario.account.region("us-east-1");
    aws_sdk_cloudwatchlogs::Client::new(&config)
        .delete_metric_filter()
        .log_group_name(crate::support::seed::LOG_GROUP)
        .filter_name(iam_policy_alarm::rule::default_rule().filter.name.as_str())
        .send()
        .await
        .unwrap();
    aws_sdk_cloudwatch::Client::new(&config)
        .disable_alarm_actions()
        .alarm_names(iam_policy_alarm::rule::default_rule().alarm.name.as_str())
        .send()
        .await
        .unwrap();
    encrypt_topic(&scenario.account, "us-east-1", &topic).await;
    let remediation = chain_of(
        &scenario,
        &["remediate", "--format", "json"],
        &[("ALARM_TOPIC_ARN", &topic)],
        0,
    );
    let apply: [&[&str]; 12] = [
        &["logs:DescribeLogGroups"],
        &["cloudwatch:DescribeAlarms"],
        &["cloudwatch:ListTagsForResource"],
        // The lease: look, claim, look again.
        &["logs:DescribeLogStreams"],
        &["logs:CreateLogStream"],
        &["logs:DescribeLogStreams"],
        &["logs:DescribeMetricFilters"],
        &["logs:PutMetricFilter"],
        // The lease's release.
        &["logs:CreateLogStream"],
        &["cloudwatch:PutMetricAlarm"],
        // The re-audit's reads follow.
        COMPLIANT_CHAIN[0],
        COMPLIANT_CHAIN[1],
    ];
    let wanted: Vec<&[&str]> = COMPLIANT_CHAIN[..2]
        .iter()
        .chain(&apply)
        .chain(&COMPLIANT_CHAIN[2..])
        .copied()
        .collect();
    assert_chain(&remediation, &wanted);
    // Between the audit's first two steps and the re-audit's: remediation's own.
    assert_eq!(apply.len() - 2, APPLY_CHAIN_CALLS as usize);
    assert_eq!(REMEDIATION_CHAIN_CALLS, 2 * AUDIT_CHAIN_CALLS + APPLY_CHAIN_CALLS);
    let (default, minimum) = template_timeout();
    let audit_calls = AUDIT_CHAIN_CALLS + DELIVERY_CHAIN_CALLS;
    let remediation_calls = REMEDIATION_CHAIN_CALLS + DELIVERY_CHAIN_CALLS;
    // A tamper run confirms its events too, cut at CONFIRMATION_BUDGET, and a run the
    // schedule or a tamper event started reads the notification memory, cut at
    // RECALL_BUDGET (its write runs beside the import).
    let confirmation = iam_policy_alarm::fleet::CONFIRMATION_BUDGET;
    let budgets_s = (confirmation + iam_policy_alarm::aws::RECALL_BUDGET).as_secs();
    let audit_worst = op.as_secs() * u64::from(audit_calls) + budgets_s;
    let remediation_worst = op.as_secs() * u64::from(remediation_calls) + budgets_s;
    // The organization's guard: an account is started only with its AssumeRole, its
    // chain, a tamper run's confirmation, the notification memory's read and the
    // delivery after (a member's import follows its AssumeRole) left.
    let budgets = confirmation + iam_policy_alarm::aws::RECALL_BUDGET;
    assert_eq!(
        iam_policy_alarm::fleet::per_account_worst_case(),
        op * (1 + AUDIT_CHAIN_CALLS + DELIVERY_CHAIN_CALLS + 1) + budgets
    );
    assert_eq!(
        iam_policy_alarm::fleet::per_remediation_worst_case(),
        op * (1 + REMEDIATION_CHAIN_CALLS + DELIVERY_CHAIN_CALLS + 1) + budgets
    );
    assert!(
        iam_policy_alarm::fleet::per_remediation_worst_case().as_secs() < default,
        "a fresh invocation at the default Timeout can start a remediation"
    );
    assert!(
        minimum > audit_worst,
        "template.yaml's smallest Timeout ({minimum} s) must exceed the audit's worst case, {audit_calls} dependent calls x {} s = {audit_worst} s",
        op.as_secs()
    );
    assert!(
        default > remediation_worst,
        "template.yaml's default Timeout ({default} s) must exceed remediation's worst case, {remediation_calls} dependent calls x {} s = {remediation_worst} s",
        op.as_secs()
    );
}

// ---------------------------------------------------------------- transient faults

/// Each operation fails once with `fault`, then works: the result is the same as
/// without faults, each operation was retried exactly once, and nothing was written.
/// Both scenarios together make every request an audit can make.
async fn transient(fault: Fault) {
    for scenario in [compliant().await, empty_group().await] {
        let (clean, baseline) = scenario.baseline();
        let proxy = FaultProxy::start(moto().port);
        for op in scenario.operations {
            proxy.fail(op, fault.clone(), Schedule::First(1));
        }
        let run = scenario.audit(&proxy);
        assert_eq!(
            (run.code, verdict(&run.report)),
            (baseline.code, verdict(&baseline.report)),
            "{fault:?}: {}",
            run.stderr
        );
        for op in scenario.operations {
            assert_eq!(proxy.faulted(op), 1, "{fault:?} on {op}");
            assert_eq!(proxy.count(op), clean.count(op) + 1, "{fault:?}: {op} retried once");
        }
        assert!(proxy.writes().is_empty(), "{:?}", proxy.writes());
    }
}

#[tokio::test]
async fn transient_throttling_of_every_operation_changes_nothing() {
    transient(Fault::Throttle).await;
}

#[tokio::test]
async fn transient_500_of_every_operation_changes_nothing() {
    transient(Fault::Status(500)).await;
}

#[tokio::test]
async fn transient_503_of_every_operation_changes_nothing() {
    transient(Fault::Status(503)).await;
}

#[tokio::test]
async fn transient_connection_reset_of_every_operation_changes_nothing() {
    transient(Fault::Reset).await;
}

#[tokio::test]
async fn transient_truncated_body_of_every_operation_changes_nothing() {
    transient(Fault::Truncate).await;
}

/// Three throttles in a row on one call use the whole budget (4 attempts) and still
/// complete.
#[tokio::test]
async fn throttling_up_to_the_attempt_limit_still_completes() {
    let c = compliant().await;
    let (_, baseline) = c.baseline();
    let proxy = FaultProxy::start(moto().port);
    let limit = RETRY_BUDGET.max_attempts as usize;
    proxy.fail(
        "logs:DescribeMetricFilters",
        Fault::Throttle,
        Schedule::First(limit - 1),
    );
    let run = c.audit(&proxy);
    assert_eq!(verdict(&run.report), verdict(&baseline.report), "{}", run.stderr);
    assert_eq!(proxy.count("logs:DescribeMetricFilters"), limit);
    assert!(proxy.writes().is_empty());
}

/// A call that outlives the 5 s attempt timeout is abandoned and retried.
#[tokio::test]
async fn a_call_slower_than_the_attempt_timeout_is_retried() {
    let c = compliant().await;
    let (_, baseline) = c.baseline();
    let proxy = FaultProxy::start(moto().port);
    let slow = RETRY_BUDGET.attempt_timeout + Duration::from_secs(1);
    proxy.fail("logs:DescribeMetricFilters", Fault::Delay(slow), Schedule::First(1));
    let run = c.audit(&proxy);
    assert_eq!(verdict(&run.report), verdict(&baseline.report), "{}", run.stderr);
    assert_eq!(proxy.count("logs:DescribeMetricFilters"), 2);
    assert!(proxy.writes().is_empty());
    // A lower bound only, and only because the claim is about the timeout itself: the
    // caller waited the whole attempt timeout before it tried again.
    assert!(run.elapsed >= RETRY_BUDGET.attempt_timeout, "{:?}", run.elapsed);
}

// ---------------------------------------------------------------- persistent faults

/// Each read in turn fails on every attempt, with each kind of fault (throttling, 503,
/// 500, a reset connection, a truncated body, access denied): the report is ERROR,
/// names the operation and its error in the link that needed it (or in the report's
/// errors, for the reads before any trail), says whether a retry can help, and nothing
/// is written. Never PASS, never FAIL. Every read of a compliant audit, and the two
/// only other paths make: DescribeLogGroups (a log group without filters) and
/// DescribeAlarms (no alarm on the metric fires: the region's metric math alarms).
#[tokio::test]
async fn persistent_failure_of_each_read_is_an_error_naming_it() {
    let c = compliant().await;
    c.baseline();
    let empty = empty_group().await;
    let math = longest_audit().await;
    let faults = [
        (Fault::Throttle, "Throttl", true),
        (Fault::Status(503), "ServiceUnavailable", true),
        (Fault::Status(500), "InternalFailure", true),
        (Fault::Reset, "was lost (connection reset)", true),
        (Fault::Truncate, "response error", true),
        (
            Fault::error(403, "AccessDenied", "not authorized to perform this action"),
            "AccessDenied",
            false,
        ),
    ];
    let reads = OPERATIONS[1..OPERATIONS.len() - 1]
        .iter()
        .map(|op| (&c, *op))
        .chain([(&empty, "logs:DescribeLogGroups"), (&math, "cloudwatch:DescribeAlarms")]);
    let cases: Vec<_> = reads
        .flat_map(|(scenario, op)| faults.iter().map(move |f| (scenario, op, f.clone())))
        .collect();
    let mut results: Vec<(String, Fault, &str, bool, Run, FaultProxy)> = Vec::new();
    // A few at a time: each is a process and a proxy on a 2-core machine.
    for chunk in cases.chunks(6) {
        results.extend(std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(scenario, op, (fault, says, retryable))| {
                    s.spawn(move || {
                        let proxy = FaultProxy::start(moto().port);
                        proxy.fail(op, fault.clone(), Schedule::Always);
                        let run = scenario.audit(&proxy);
                        (op.to_string(), fault.clone(), *says, *retryable, run, proxy)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        }));
    }
    assert_eq!(results.len(), (OPERATIONS.len() - 2 + 2) * faults.len());
    for (op, fault, says, retryable, run, proxy) in &results {
        let report = &run.report;
        let context = format!("{op} failing with {fault:?}: {report:#}");
        assert_eq!((run.code, report["status"].as_str()), (2, Some("ERROR")), "{context}");
        let named: Vec<_> = named_errors(report)
            .into_iter()
            .filter(|(_, e)| e["operation"] == op.as_str())
            .collect();
        assert!(!named.is_empty(), "the report does not name {op}: {context}");
        // Reads made before any trail could be looked at are the report's own errors;
        // every other read's error sits in the link that needed it, which is ERROR.
        let before_any_trail = ["sts:GetCallerIdentity", "cloudtrail:DescribeTrails"].contains(&op.as_str());
        for (where_, error) in &named {
            let expected = if before_any_trail { "report" } else { "ERROR" };
            assert_eq!(where_, expected, "{op} unreadable: {context}");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains(says), "{op}: {message:?} should say {says:?}");
            assert_eq!(error["retryable"], *retryable, "{context}");
        }
        let attempts = if *retryable {
            RETRY_BUDGET.max_attempts as usize
        } else {
            1
        };
        // Each read is made once per run here: every attempt of it, and no more.
        assert_eq!(proxy.count(op), attempts, "{op}: attempts");
        assert!(proxy.writes().is_empty(), "{op}: {:?}", proxy.writes());
    }
}

/// DescribeLogGroups is asked only when a group has no metric filters (an empty answer
/// may mean a missing group); when it cannot be read, the trail link is ERROR naming it.
#[tokio::test]
async fn an_unreadable_log_group_without_filters_is_an_error_naming_describe_log_groups() {
    let account = Account::new().await;
    account.seed(&Chain::remediable()).await;
    let proxy = FaultProxy::start(moto().port);
    proxy.fail(
        "logs:DescribeLogGroups",
        Fault::error(403, "AccessDenied", "not authorized to perform this action"),
        Schedule::Always,
    );
    let output = account
        .command(&["audit", "--format", "json"])
        .env("AWS_ENDPOINT_URL", proxy.url())
        .output()
        .unwrap();
    let report = crate::support::report_of(&output);
    assert_eq!(
        (output.status.code(), report["status"].as_str()),
        (Some(2), Some("ERROR")),
        "{report:#}"
    );
    let trail = &report["trails"][0]["links"]["trail"];
    assert_eq!(trail["status"], "ERROR", "{report:#}");
    assert_eq!(trail["errors"][0]["operation"], "logs:DescribeLogGroups", "{report:#}");
    assert_eq!(proxy.count("logs:DescribeLogGroups"), 1);
    assert!(proxy.writes().is_empty(), "{:?}", proxy.writes());
}

/// An endpoint nobody listens on: every read fails the same way, and the report says
/// so in one readable line per cause (not the SDK's nested debug output), retryable.
#[tokio::test]
async fn an_endpoint_that_refuses_connections_is_named_once_per_cause() {
    let account = Account::new().await;
    // A port that was free a moment ago: nothing listens on it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let output = account
        .command(&["audit", "--format", "json"])
        // Static keys: no credential call that would fail first, elsewhere.
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output()
        .unwrap();
    let report = crate::support::report_of(&output);
    assert_eq!(
        (output.status.code(), report["status"].as_str()),
        (Some(2), Some("ERROR")),
        "{report:#}"
    );
    let cause = format!("cannot connect to {endpoint} (connection refused)");
    let errors = named_errors(&report);
    assert_eq!(errors.len(), 2, "STS and DescribeTrails, both refused: {report:#}");
    for (_, e) in &errors {
        assert_eq!(e["message"], cause.as_str(), "{e}");
        assert_eq!(e["retryable"], true, "{e}");
    }
    let summary = report["summary"].as_str().unwrap();
    assert_eq!(summary.matches(&cause).count(), 1, "{summary}");
    assert!(
        summary.contains("sts:GetCallerIdentity, cloudtrail:DescribeTrails"),
        "{summary}"
    );
    assert!(!output.stdout.windows(8).any(|w| w == b"Dispatch"), "{report:#}");
}

/// When the credentials cannot be had, nothing can be read: ERROR, never PASS.
#[tokio::test]
async fn no_credentials_is_an_error() {
    let c = compliant().await;
    let proxy = FaultProxy::start(moto().port);
    proxy.fail(
        "sts:AssumeRole",
        Fault::error(403, "AccessDenied", "not authorized to perform sts:AssumeRole"),
        Schedule::Always,
    );
    let run = c.audit(&proxy);
    assert_eq!(
        (run.code, run.report["status"].as_str()),
        (2, Some("ERROR")),
        "{:#}",
        run.report
    );
    assert_eq!(run.report["trails"], serde_json::json!([]));
    let errors = named_errors(&run.report);
    assert!(!errors.is_empty());
    for (_, e) in errors {
        assert!(e["message"].as_str().unwrap().contains("credentials"), "{e}");
    }
    assert_eq!(proxy.operations(), BTreeSet::from(["sts:AssumeRole".to_string()]));
}

/// A call that never answers is cut at the operation timeout: ERROR naming it, within
/// the budget.
#[tokio::test]
async fn a_call_that_never_answers_is_an_error_at_the_operation_timeout() {
    let c = compliant().await;
    let proxy = FaultProxy::start(moto().port);
    let op = "cloudwatch:DescribeAlarmsForMetric";
    proxy.fail(op, Fault::Delay(Duration::from_secs(60)), Schedule::Always);
    let run = c.audit(&proxy);
    assert_eq!(
        (run.code, run.report["status"].as_str()),
        (2, Some("ERROR")),
        "{:#}",
        run.report
    );
    let alarm = &run.report["trails"][0]["links"]["alarm"];
    assert_eq!(alarm["status"], "ERROR", "{alarm:#}");
    assert_eq!(alarm["errors"][0]["operation"], op);
    assert!(
        alarm["errors"][0]["message"].as_str().unwrap().contains("timeout"),
        "{alarm:#}"
    );
    assert_eq!(alarm["errors"][0]["retryable"], true);
    // What ended the call is the operation timeout, in the SDK's own words (not an
    // attempt timeout after the last attempt): all attempts included, at 20 s.
    let message = alarm["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("operation timeout (all attempts including retries) occurred after 20s"),
        "{message}"
    );
    // A lower bound only, and only because the claim is about the timeout itself: the
    // call was given the whole operation timeout. That it was then abandoned, not
    // waited for, the attempts say: each was cut at the attempt timeout, no more tried.
    assert!(run.elapsed >= RETRY_BUDGET.operation_timeout, "{:?}", run.elapsed);
    let attempts = proxy.count(op);
    assert!(
        (1..=RETRY_BUDGET.max_attempts as usize).contains(&attempts),
        "{attempts} attempts"
    );
    assert!(proxy.writes().is_empty());
}

#[test]
fn schedules_pick_the_calls_they_name() {
    let picked = |s: Schedule| (1..=6).filter(|n| s.fires(*n)).collect::<Vec<_>>();
    assert_eq!(picked(Schedule::Always), [1, 2, 3, 4, 5, 6]);
    assert_eq!(picked(Schedule::First(2)), [1, 2]);
    assert_eq!(picked(Schedule::After(4)), [5, 6]);
    assert_eq!(picked(Schedule::Every(3)), [3, 6]);
    assert_eq!(picked(Schedule::Nth(5)), [5]);
}

// ---------------------------------------------------------------- publishing

/// The answer to a publish is lost after SNS took the message: the SDK retries, and
/// subscribers get the findings twice rather than not at all.
#[tokio::test]
async fn a_lost_publish_response_is_retried_at_least_once_delivery() {
    let c = compliant().await;
    let inbox = c.account.sqs_subscriber(&c.findings, "findings-inbox").await;
    let proxy = FaultProxy::start(moto().port);
    proxy.fail("sns:Publish", Fault::LostResponse, Schedule::First(1));
    let run = c.audit(&proxy);
    assert_eq!(
        (run.code, run.report["status"].as_str()),
        (0, Some("PASS")),
        "{}",
        run.stderr
    );
    assert_eq!(proxy.count("sns:Publish"), 2);
    let messages = c.account.received("us-east-1", &inbox).await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(messages[0]["Message"], messages[1]["Message"]);
    assert!(proxy.writes().is_empty());
}

/// Publishing fails on every attempt: the run fails (exit 2, saying why), and the
/// report is still printed in full.
#[tokio::test]
async fn a_failed_publish_fails_the_run_and_the_report_is_still_printed() {
    let c = compliant().await;
    let (_, baseline) = c.baseline();
    let proxy = FaultProxy::start(moto().port);
    proxy.fail("sns:Publish", Fault::Throttle, Schedule::Always);
    let run = c.audit(&proxy);
    assert_eq!(run.code, 2);
    assert_eq!(verdict(&run.report), verdict(&baseline.report));
    assert!(
        run.stderr.contains("report not published: sns:Publish on ")
            && run.stderr.contains("Throttling: Rate exceeded"),
        "{}",
        run.stderr
    );
    assert_eq!(proxy.count("sns:Publish"), RETRY_BUDGET.max_attempts as usize);
    assert!(proxy.writes().is_empty());
}

// ---------------------------------------------------------------- the Lambda face

/// Through the Lambda runtime API: an incomplete audit and a lost publish are
/// invocation errors whose type says whether a retry can help, and the findings are
/// in the function's JSON log, in full, even when publishing failed.
#[tokio::test]
async fn lambda_errors_say_whether_to_retry_and_the_findings_are_logged() {
    let c = compliant().await;
    let proxy = FaultProxy::start(moto().port);
    let lambda = LambdaFace::start(
        &c.account,
        &[("AWS_ENDPOINT_URL", &proxy.url()), ("FINDINGS_TOPIC_ARN", &c.findings)],
    );

    let passed = lambda.invoke("{}");
    assert!(passed.ok, "{passed:?}");
    assert_eq!(passed.payload["status"], "PASS");

    proxy.fail("logs:DescribeMetricFilters", Fault::Status(503), Schedule::Always);
    let failed = lambda.invoke("{}");
    assert_eq!(failed.error_type(), Some("AuditIncomplete.Retryable"), "{failed:?}");
    let logged = lambda.findings().pop().expect("findings logged");
    assert_eq!(logged["status"], "ERROR");
    assert_eq!(
        logged["trails"][0]["links"]["metric_filter"]["errors"][0]["operation"],
        "logs:DescribeMetricFilters"
    );

    proxy.heal();
    proxy.fail(
        "cloudtrail:GetEventSelectors",
        Fault::error(403, "AccessDeniedException", "not authorized"),
        Schedule::Always,
    );
    let denied = lambda.invoke("{}");
    assert_eq!(denied.error_type(), Some("AuditIncomplete.NotRetryable"), "{denied:?}");

    proxy.heal();
    proxy.fail("sns:Publish", Fault::Status(503), Schedule::Always);
    let unpublished = lambda.invoke("{}");
    assert_eq!(
        unpublished.error_type(),
        Some("PublishFailed.Retryable"),
        "{unpublished:?}"
    );
    assert!(unpublished.error_message().contains("sns:Publish"), "{unpublished:?}");
    let logged = lambda.findings().pop().expect("findings logged");
    assert_eq!(
        verdict(&logged),
        verdict(&passed.payload),
        "the log holds the whole report"
    );

    proxy.heal();
    proxy.fail(
        "sns:Publish",
        Fault::error(403, "AuthorizationError", "not authorized"),
        Schedule::Always,
    );
    let refused = lambda.invoke("{}");
    assert_eq!(refused.error_type(), Some("PublishFailed.NotRetryable"), "{refused:?}");

    proxy.heal();
    let again = lambda.invoke("{}");
    assert!(again.ok && again.payload["status"] == "PASS", "{again:?}");
    assert!(proxy.writes().is_empty());
}

/// Through the Lambda runtime API: remediation that AWS stops midway is an invocation
/// error whose type says whether a retry can help, with what was done logged.
#[tokio::test]
async fn lambda_remediation_failures_say_whether_to_retry() {
    let scenario = empty_group().await;
    let topic = scenario.account.topic("us-east-1", "iam-alarms").await;
    let proxy = FaultProxy::start(moto().port);
    let lambda = LambdaFace::start(
        &scenario.account,
        &[("AWS_ENDPOINT_URL", &proxy.url()), ("ALARM_TOPIC_ARN", &topic)],
    );
    let remediate = r#"{"mode": "remediate"}"#;

    proxy.fail(
        "cloudwatch:PutMetricAlarm",
        Fault::error(400, "ValidationError", "refused by the test"),
        Schedule::Always,
    );
    let refused = lambda.invoke(remediate);
    assert_eq!(
        refused.error_type(),
        Some("RemediationFailed.NotRetryable"),
        "{refused:?}"
    );
    assert!(
        refused.error_message().contains("cloudwatch:PutMetricAlarm"),
        "{refused:?}"
    );
    let logged = lambda.findings().pop().expect("findings logged");
    let applied = &logged["remediation"]["applied"];
    assert_eq!(applied[0]["outcome"], "applied", "{logged:#}");
    assert!(
        applied[1]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("failed: cloudwatch:PutMetricAlarm"),
        "{logged:#}"
    );

    proxy.heal();
    proxy.fail("cloudwatch:PutMetricAlarm", Fault::Status(503), Schedule::Always);
    let unavailable = lambda.invoke(remediate);
    assert_eq!(
        unavailable.error_type(),
        Some("RemediationFailed.Retryable"),
        "{unavailable:?}"
    );

    proxy.heal();
    let completed = lambda.invoke(remediate);
    assert!(completed.ok && completed.payload["status"] == "PASS", "{completed:?}");
}
