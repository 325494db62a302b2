//! Bad input from every side: invocation payloads (the corpus, and a few through the
//! binary's Lambda face), settings, and hostile data in the account itself. Each is
//! refused with one clear, bounded line or judged like any other data: no panic, no
//! AWS call for a refused event or setting, and so no change to the account.

use crate::support::fault_proxy::FaultProxy;
use crate::support::lambda::LambdaFace;
use crate::support::seed::{cis_pattern, put_metric_filter, Chain, LOG_GROUP};
use crate::support::{moto, Account, REGION};
use iam_policy_alarm::invocation::{parse_event, parse_invocation, Invocation};
use iam_policy_alarm::settings::{Mode, Settings};
use serde_json::{json, Value};

/// The longest error line a refused input may produce, whatever its size.
const MAX_ERROR_LINE: usize = 1024;

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("audit"), |inner, _| json!({ "mode": inner }))
}

fn schedule() -> Value {
    serde_json::from_str(include_str!("../../events/schedule.json")).unwrap()
}

// ---------------------------------------------------------------- payload corpus

#[test]
fn malformed_payloads_are_refused_with_one_bounded_line() {
    let settings = Settings::default();
    let huge = "x".repeat(6 * 1024 * 1024);
    let mut other_source = schedule();
    other_source["source"] = json!("aws.s3");
    let mut other_type = schedule();
    other_type["detail-type"] = json!("Object Created");
    let mut huge_source = schedule();
    huge_source["source"] = json!(huge);
    let mut wrong_types = schedule();
    wrong_types["resources"] = json!("arn:aws:events:us-east-1:123456789012:rule/x");
    wrong_types["time"] = json!(5);
    let many_fields: serde_json::Map<String, Value> = (0..10_000).map(|i| (format!("field{i}"), json!(i))).collect();
    let corpus: Vec<(&str, Value)> = vec![
        ("null", json!(null)),
        ("true", json!(true)),
        ("a number", json!(42)),
        ("an empty string", json!("")),
        ("a bare mode", json!("audit")),
        ("an empty array", json!([])),
        ("a payload in an array", json!([{"mode": "audit"}])),
        ("mode as a number", json!({"mode": 1})),
        ("mode as an array", json!({"mode": ["audit"]})),
        ("mode as an object", json!({"mode": {"name": "audit"}})),
        ("unknown mode", json!({"mode": "fix"})),
        ("capitalised mode", json!({"mode": "AUDIT"})),
        ("empty mode", json!({"mode": ""})),
        ("padded mode", json!({"mode": " audit"})),
        ("lookalike mode (Cyrillic a)", json!({"mode": "\u{0430}udit"})),
        (
            "mode with control characters",
            json!({"mode": "audit\n\u{1b}[31mremediate\r\u{0}"}),
        ),
        ("dry_run as a string", json!({"dry_run": "true"})),
        ("dry_run as a number", json!({"dry_run": 1})),
        ("an extra field", json!({"mode": "audit", "force": true})),
        ("only an extra field", json!({"delete": true})),
        (
            "an extra nested field",
            json!({"mode": "remediate", "dry_run": false, "options": {"delete": true}}),
        ),
        ("10,000 fields", Value::Object(many_fields)),
        ("a 6 MB mode", json!({ "mode": huge })),
        ("a 6 MB field name", json!({ huge.clone(): true })),
        ("nesting 100 deep", nested(100)),
        (
            "an EventBridge event without detail-type",
            json!({"source": "aws.events"}),
        ),
        ("only a detail-type", json!({"detail-type": "Scheduled Event"})),
        ("an event from another source", other_source),
        ("another detail-type", other_type),
        ("a 6 MB source", huge_source),
        ("a schedule with wrongly typed fields", wrong_types),
    ];
    for (what, payload) in &corpus {
        let error = parse_event(payload, &settings).expect_err(what).to_string();
        assert!(
            !error.contains(['\n', '\r', '\u{0}', '\u{1b}']),
            "{what}: not one plain line: {error:?}"
        );
        assert!(
            error.len() <= MAX_ERROR_LINE,
            "{what}: a {} byte error: {}…",
            error.len(),
            &error[..200]
        );
        assert!(
            error.starts_with("invalid invocation event: ")
                && error.contains("Expected an EventBridge Scheduled Event"),
            "{what}: {error}"
        );
    }
}

#[test]
fn well_formed_payloads_are_accepted() {
    let settings = Settings {
        mode: Mode::Remediate,
        dry_run: true,
        ..Settings::default()
    };
    let mut newer_schedule = schedule();
    newer_schedule["replay-name"] = json!("a field EventBridge may add one day");
    for (payload, mode, dry_run) in [
        (json!({}), Mode::Remediate, true),
        (json!({"mode": "audit"}), Mode::Audit, true),
        (json!({"mode": "remediate", "dry_run": false}), Mode::Remediate, false),
        (schedule(), Mode::Remediate, true),
        (newer_schedule, Mode::Remediate, true),
    ] {
        let request = parse_event(&payload, &settings).unwrap_or_else(|e| panic!("{payload}: {e}"));
        assert_eq!((request.mode, request.dry_run), (mode, dry_run), "{payload}");
    }
}

/// The tamper queue's records, each hostile in its own way: every one is refused (or
/// ignored) alone with one bounded line, and none starts a run.
#[test]
fn bad_queue_records_are_refused_alone_with_one_bounded_line() {
    let huge = "x".repeat(1024 * 1024);
    let mut sample: Value = serde_json::from_str(include_str!("../../events/tamper-delete-alarms.json")).unwrap();
    sample["detail"]["eventName"] = json!(huge);
    let unwatched = sample.to_string();
    sample["detail"]["eventName"] = json!("DeleteAlarms");
    sample["source"] = json!(huge);
    let huge_source = sample.to_string();
    let bodies = [
        huge.clone(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        json!({"detail-type": huge}).to_string(),
        json!({"detail-type": "AWS API Call via CloudTrail\n", "detail": {}}).to_string(),
        unwatched,
        huge_source,
        String::new(),
    ];
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m{i}"), "body": body}))
        .collect();
    let Ok(Invocation::Queue(batch)) = parse_invocation(&json!({ "Records": records }), &Settings::default()) else {
        panic!("not read as a batch")
    };
    assert_eq!(batch.request, None);
    // Which are refused (reported back, to be tried again and then dead-lettered) and
    // which ignored (well-formed events that start no run).
    let refused: Vec<&str> = batch.refused.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(refused, ["m0", "m1", "m2", "m3", "m6"]);
    assert_eq!(batch.ignored.len(), 2, "{:.300?}", batch.ignored);
    let lines = batch.refused.iter().map(|r| &r.reason).chain(&batch.ignored);
    for line in lines {
        assert!(
            line.len() <= MAX_ERROR_LINE && !line.contains(['\n', '\r']),
            "{line:.300}"
        );
    }
}

/// The same batch through the binary's Lambda face: the refused records come back as
/// batch item failures, each refused and each ignored record is one line of the log,
/// and no request reaches AWS.
#[tokio::test]
async fn bad_queue_records_through_the_handler_are_reported_and_logged_one_line_each() {
    let account = Account::new().await;
    let proxy = FaultProxy::start(moto().port);
    let lambda = LambdaFace::start(&account, &[("AWS_ENDPOINT_URL", &proxy.url())]);
    let mut sample: Value = serde_json::from_str(include_str!("../../events/tamper-delete-alarms.json")).unwrap();
    sample["detail"]["eventName"] = json!("DescribeAlarms");
    let unwatched = sample.to_string();
    let bodies = [
        "not json".to_string(),
        json!({"detail-type": "Scheduled Event"}).to_string(),
        unwatched,
        String::new(),
    ];
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m{i}"), "body": body}))
        .collect();
    let response = lambda.invoke(&json!({ "Records": records }).to_string());
    assert!(response.ok, "{response:?}");
    assert_eq!(
        response.payload["batchItemFailures"],
        json!([{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}])
    );
    assert_eq!(
        response.payload["ignored"].as_array().map(Vec::len),
        Some(1),
        "{response:?}"
    );
    let log = lambda.log();
    let refused: Vec<&str> = log.lines().filter(|l| l.contains("queue record refused")).collect();
    let ignored: Vec<&str> = log.lines().filter(|l| l.contains("queue record ignored")).collect();
    assert_eq!(refused.len(), 3, "{log}");
    for (line, id) in refused.iter().zip(["m0", "m1", "m3"]) {
        assert!(line.contains(&format!("\"message_id\":\"{id}\"")), "{line}");
    }
    assert_eq!(ignored.len(), 1, "{log}");
    assert!(ignored[0].contains("DescribeAlarms"), "{}", ignored[0]);
    assert_eq!(proxy.calls().len(), 0, "a batch with no change reads nothing");
}

/// A batch whose run fails fails as a whole: the invocation is an error (not a list of
/// item failures), so every change in it comes back to be audited again.
#[tokio::test]
async fn a_batch_whose_run_fails_fails_the_whole_batch() {
    let account = Account::new().await;
    let lambda = LambdaFace::start(&account, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
    let change: Value = serde_json::from_str(include_str!("../../events/tamper-delete-alarms.json")).unwrap();
    let records = json!({"Records": [
        {"messageId": "m0", "body": change.to_string()},
        {"messageId": "m1", "body": change.to_string()},
    ]});
    let response = lambda.invoke(&records.to_string());
    assert!(!response.ok, "{response:?}");
    assert_eq!(response.error_type(), Some("AuditIncomplete.Retryable"), "{response:?}");
    assert!(response.payload.get("batchItemFailures").is_none());
}

/// Through the runtime API: empty, huge, deeply nested and wrongly typed payloads are
/// invocation errors that say what was expected; the function keeps serving, and not
/// one request reaches AWS.
#[tokio::test]
async fn bad_payloads_through_the_lambda_runtime_reach_no_aws_api() {
    let account = Account::new().await;
    let proxy = FaultProxy::start(moto().port);
    let mut lambda = LambdaFace::start(&account, &[("AWS_ENDPOINT_URL", &proxy.url())]);
    let huge = format!(r#"{{"mode": "{}"}}"#, "x".repeat(1024 * 1024));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for (what, payload) in [
        ("empty", ""),
        ("whitespace", "  "),
        ("not JSON", "mode=audit"),
        ("a string", r#""remediate""#),
        ("an unknown mode", r#"{"mode": "delete-everything"}"#),
        (
            "an extra field",
            r#"{"mode": "remediate", "dry_run": false, "force": true}"#,
        ),
        ("dry_run as a string", r#"{"mode": "remediate", "dry_run": "false"}"#),
        ("1 MB", &huge),
        ("nested 100,000 deep", &deep),
        (
            "a CloudTrail event without detail",
            r#"{"detail-type": "AWS API Call via CloudTrail", "source": "aws.monitoring", "region": "us-east-1", "account": "123456789012"}"#,
        ),
        ("SQS records without message ids", r#"{"Records": [{"body": "{}"}]}"#),
        ("SQS records that are not a list", r#"{"Records": "x"}"#),
    ] {
        let refused = lambda.invoke(payload);
        assert!(!refused.ok, "{what} was accepted: {refused:?}");
        let message = refused.error_message();
        assert!(
            message.len() <= MAX_ERROR_LINE && !message.trim_end().contains('\n'),
            "{what}: {message}"
        );
        assert!(lambda.alive(), "{what} stopped the function:\n{}", lambda.log());
    }
    assert!(!lambda.log().contains("panicked"), "{}", lambda.log());
    assert_eq!(proxy.calls().len(), 0, "{:?}", proxy.operations());
    // And it still serves a good one.
    let audit = lambda.invoke(r#"{"mode": "audit"}"#);
    assert!(audit.ok, "{audit:?}");
    assert_eq!(audit.payload["status"], "FAIL");
    assert!(proxy.writes().is_empty());
}

// ---------------------------------------------------------------- settings

/// Each invalid setting stops the binary before any AWS call: exit 2 and one line on
/// stderr naming the variable.
#[tokio::test]
async fn invalid_settings_stop_the_binary_with_one_line_naming_the_variable() {
    let account = Account::new().await;
    let proxy = FaultProxy::start(moto().port);
    let long = "x".repeat(300);
    for (name, value) in [
        ("MODE", "fix"),
        ("MODE", "AUDIT"),
        ("DRY_RUN", "maybe"),
        ("FINDINGS_TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:findings"),
        ("FINDINGS_TOPIC_ARN", "arn:aws:sns:us-east-1:12345:findings"),
        ("FINDINGS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:"),
        ("FINDINGS_TOPIC_ARN", "arn:aws:sns:moon-base-1:123456789012:findings"),
        ("FINDINGS_TOPIC_ARN", "findings"),
        (
            "ALARM_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:alarms:extra:parts",
        ),
        (
            "ALARM_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:alarms\nMODE=remediate",
        ),
        ("ALARM_TOPIC_ARN", "arn:aws:sns::123456789012:alarms"),
        ("FILTER_NAME", "a:b"),
        ("METRIC_NAMESPACE", "AWS/Logs"),
        ("METRIC_NAME", "bell\u{7}"),
        ("ALARM_NAME", &long),
        // A level tracing does not know: refused, not silently replaced by the default.
        ("RUST_LOG", "info,iam_policy_alarm=loud"),
    ] {
        let output = account
            .command(&["audit", "--format", "json"])
            .env("AWS_ENDPOINT_URL", proxy.url())
            .env(name, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = format!("{name}={value:?}");
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(output.stdout.is_empty(), "{what}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: {stderr}");
        assert!(
            stderr.starts_with(&format!("iam-policy-alarm: invalid setting {name}=")),
            "{what}: {stderr}"
        );
    }
    assert_eq!(proxy.calls().len(), 0, "{:?}", proxy.operations());
}

/// AWS_LAMBDA_RUNTIME_API set by hand without the rest of Lambda's environment: one
/// line naming the missing variable, not lambda_runtime's panic and backtrace.
#[tokio::test]
async fn a_partial_lambda_environment_stops_with_one_line() {
    let account = Account::new().await;
    let output = account
        .command(&[])
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env_remove("AWS_LAMBDA_FUNCTION_NAME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("AWS_LAMBDA_FUNCTION_NAME is not set"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// An alarm topic in another region than the log group cannot be notified by an alarm
/// there: remediation refuses to write that alarm, says why, and writes nothing else
/// that depends on it.
#[tokio::test]
async fn an_alarm_topic_in_another_region_is_refused_not_written() {
    let account = Account::new().await;
    account
        .seed(&Chain {
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
    let elsewhere = account.topic("eu-west-1", "alarms-elsewhere").await;
    let proxy = FaultProxy::start(moto().port);
    let output = account
        .command(&["remediate", "--format", "json"])
        .env("AWS_ENDPOINT_URL", proxy.url())
        .env("ALARM_TOPIC_ARN", &elsewhere)
        .output()
        .unwrap();
    let (code, report) = (output.status.code().unwrap_or(-1), crate::support::report_of(&output));
    assert_ne!(code, 0, "{report:#}");
    assert_ne!(report["status"], "PASS");
    let refused = report["remediation"]["refused"].to_string();
    assert!(
        refused.contains("can only notify a topic in their own region")
            && refused.contains("eu-west-1")
            && refused.contains(REGION),
        "{report:#}"
    );
    assert_eq!(proxy.count("PutMetricAlarm"), 0, "{:?}", proxy.writes());
}

// ---------------------------------------------------------------- hostile account data

/// Filter patterns no one should write, next to the one that works: unparseable, 1 KB
/// long, deeply nested, unicode and control characters, a regex that backtracks
/// exponentially elsewhere. The audit judges each without panicking, with no more
/// calls than for one filter, and still finds the good one; without it, it says FAIL
/// in a bounded detail. (That matching is linear in the input is the pattern engine's
/// benchmark, not a clock in this test.)
#[tokio::test]
async fn hostile_filter_patterns_are_judged_without_panic() {
    let hostile: Vec<(String, String)> = [
        "{ $.eventName = ",
        "((((",
        "}}}}",
        "{ ($.eventName = CreatePolicy) || }",
        "{ $.eventName = %(a+)+$% }",
        "%(a|aa)+b%",
        "{ $.eventName = \"P\u{f6}l\u{ed}cy\u{2713}\u{1f600}\" }",
        "{ $.eventName = \"\u{202e}yciloPetaerC\" }",
        "\"\u{1b}[2J\u{7}\"",
        "[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z]",
        "{ $.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z[0][1][2][3] = * }",
    ]
    .iter()
    .map(|p| p.to_string())
    .chain([
        format!("{{ {}$.eventName = CreatePolicy{} }}", "(".repeat(480), ")".repeat(480)),
        format!("{{ {} }}", vec!["($.eventName = CreatePolicy)"; 31].join(" || ")),
        "\u{e9}".repeat(1024),
        "x".repeat(1024),
    ])
    .enumerate()
    .map(|(i, p)| (format!("hostile-{i:02}"), p))
    .collect();
    for with_good in [true, false] {
        let account = Account::new().await;
        account
            .seed(&Chain {
                filter_pattern: with_good.then_some(cis_pattern()),
                ..Chain::default()
            })
            .await;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&account.region(REGION));
        for (name, pattern) in &hostile {
            // Every one must be there for the audit to judge: a refused seed fails here.
            put_metric_filter(&logs, LOG_GROUP, name, pattern, "CloudTrailMetrics", name)
                .await
                .unwrap_or_else(|e| panic!("{name} {pattern:?} not seeded: {e}"));
        }
        let proxy = FaultProxy::start(moto().port);
        let (code, report) = account.audit(&[("AWS_ENDPOINT_URL", &proxy.url())]);
        let link = &report["trails"][0]["links"]["metric_filter"];
        let filters = link["detail"].as_str().unwrap();
        if !with_good {
            let judged = format!("none of the {} metric filters", hostile.len());
            assert!(filters.contains(&judged), "{filters}");
        }
        if with_good {
            assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
        } else {
            assert_eq!((code, report["status"].as_str()), (1, Some("FAIL")), "{report:#}");
            assert_eq!(link["status"], "FAIL");
            assert!(link["detail"].as_str().unwrap().len() < 4096, "{link:#}");
        }
        // One read of the group's filters, whatever they hold.
        assert_eq!(proxy.count("logs:DescribeMetricFilters"), 1);
    }
}

/// A thousand metric filters on the trail's log group and a thousand alarms on the
/// metric: judged with each read made once (the calls do not grow with the filters or
/// alarms judged), and the report still fits an SNS message.
#[tokio::test]
async fn thousands_of_filters_and_alarms_are_judged_with_each_read_made_once() {
    use futures_util::stream::{self, StreamExt};
    const N: usize = 1000;
    let account = Account::new().await;
    let seeded = account.seed(&Chain::default()).await;
    let findings = account.topic(REGION, "findings").await;
    let inbox = account.sqs_subscriber(&findings, "findings-inbox").await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.region(REGION));
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.region(REGION));
    let narrowed = cis_pattern().replace("($.eventName = DeletePolicy) || ", "");
    let filters = stream::iter(0..N)
        .map(|i| {
            let (logs, narrowed) = (logs.clone(), narrowed.clone());
            async move {
                // Half miss one event, each into a metric of its own; half cover all 16
                // and count into the chain's metric too (one source with the seeded filter).
                let (pattern, metric) = if i % 2 == 0 {
                    (narrowed, format!("Narrowed{i}"))
                } else {
                    (cis_pattern().to_string(), "IAMPolicyEventCount".to_string())
                };
                put_metric_filter(
                    &logs,
                    LOG_GROUP,
                    &format!("filter-{i:04}"),
                    &pattern,
                    "CloudTrailMetrics",
                    &metric,
                )
                .await
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert!(filters.iter().all(Result::is_ok));
    let alarms = stream::iter(0..N)
        .map(|i| {
            let (cloudwatch, topic) = (cloudwatch.clone(), seeded.topic_arn.clone());
            async move {
                // Sum >= 5: a change counted by one filter would not reach it; here each
                // change is counted by the 501 covering filters on the metric.
                cloudwatch
                    .put_metric_alarm()
                    .alarm_name(format!("noisy-{i:04}"))
                    .namespace("CloudTrailMetrics")
                    .metric_name("IAMPolicyEventCount")
                    .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
                    .period(300)
                    .evaluation_periods(1)
                    .threshold(5.0)
                    .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold)
                    .alarm_actions(topic)
                    .send()
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert!(alarms.iter().all(Result::is_ok));
    let proxy = FaultProxy::start(moto().port);
    let (code, report) = account.audit(&[("FINDINGS_TOPIC_ARN", &findings), ("AWS_ENDPOINT_URL", &proxy.url())]);
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    // The emulator answers in one page; every read of the chain is made once.
    for operation in proxy.operations() {
        assert_eq!(proxy.count(&operation), 1, "{operation}");
    }
    // (The topic's one subscriber: its attributes once, for its filter policy; the
    // alarm's mute rules once.)
    assert_eq!(proxy.calls().len(), 12, "{:?}", proxy.operations());
    // The findings were published, shortened to fit SNS, with the same verdict.
    let messages = account.received(REGION, &inbox).await;
    assert_eq!(messages.len(), 1);
    let published: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published["status"], "PASS");
    assert!(published["summary"]
        .as_str()
        .unwrap()
        .contains("shortened to fit an SNS message"));
}

/// However big the report, its SNS message fits SNS's 256 KiB and keeps the verdict.
#[test]
fn a_report_of_any_size_fits_an_sns_message() {
    use iam_policy_alarm::check::{Findings, LinkFinding, LinkStatus, Links, Status, TrailFinding};
    use iam_policy_alarm::report::{Report, MAX_SNS_MESSAGE_BYTES};
    let link = |size: usize| LinkFinding {
        status: LinkStatus::Fail,
        detail: "alarm \"noisy\": fires only on 5 events; ".repeat(size),
        reason_code: Some("CLOUDWATCH_ALARM_ACTIONS_NOT_VALID"),
        fix: Some("x".repeat(size)),
        resources: (0..size)
            .map(|i| format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:noisy-{i}"))
            .collect(),
        errors: Vec::new(),
    };
    let trail = |size: usize| TrailFinding {
        name: "t".into(),
        arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/t".into(),
        home_region: REGION.into(),
        organization: false,
        log_group: None,
        status: LinkStatus::Fail,
        links: Links {
            trail: link(size),
            metric_filter: link(size),
            alarm: link(size),
            notification: link(size),
        },
    };
    // One trail with 5,000-alarm links, and 300 trails with 20-alarm links.
    for (trails, size) in [(1, 5000), (300, 20)] {
        let findings = Findings {
            account: Some("123456789012".into()),
            region: REGION.into(),
            status: Status::Fail,
            summary: "no trail's chain alarms on IAM policy changes".into(),
            trails: vec![trail(size); trails],
            errors: Vec::new(),
            // The rule's own copy of the chains, which the message must cut as well.
            rules: vec![iam_policy_alarm::check::RuleFindings::new(
                iam_policy_alarm::rule::default_rule(),
                Status::Fail,
                "no trail's chain alarms on IAM policy changes".into(),
                vec![trail(size); trails],
            )],
        };
        let report = Report::new(findings, Mode::Audit, false, "2026-01-01T00:00:00Z".into());
        let message = report.sns_message();
        assert!(
            message.message.len() <= MAX_SNS_MESSAGE_BYTES,
            "{trails} trails: {} bytes",
            message.message.len()
        );
        let body: Value = serde_json::from_str(&message.message).unwrap();
        let json: Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["status"], "FAIL");
        assert_eq!(json["account"], "123456789012");
        assert!(
            json["summary"]
                .as_str()
                .unwrap()
                .starts_with("no trail's chain alarms on IAM policy changes"),
            "{}",
            json["summary"]
        );
        assert!(message.subject.starts_with("FAIL: "));
        assert!(message.subject.contains("123456789012"), "{}", message.subject);
        assert!(body["email"].as_str().unwrap().contains("FAIL"));
    }
}
