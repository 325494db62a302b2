//! Tamper events on the emulator: the template's own event pattern (read from
//! template.yaml and member-role.yaml, not copied) as a rule on the emulator's default
//! bus with the tamper queue as its target; synthetic CloudTrail events put on the bus
//! (moto accepts aws.* sources); what reaches the queue fed to the built binary as the
//! SQS event, through the Lambda runtime API. The emulator runs no event source
//! mapping: the tests assemble the batch as the mapping hands it to Lambda.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::support::lambda::LambdaFace;
use crate::support::seed::Chain;
use crate::support::{template, Account, REGION};

const REMEDIATION_ROLE_NAME: &str = "iam-policy-alarm-remediate";
/// The function's name: Lambda names the sessions of the function's role after it.
const FUNCTION_NAME: &str = "iam-policy-alarm-AuditFunction-T3ST";

fn function_role(account: &Account) -> String {
    format!("arn:aws:iam::{}:role/iam-policy-alarm-FunctionRole-T3ST", account.id)
}

/// The EventPattern of `resource` in `file`, with the function's role (or the member's
/// remediation role) resolved for `account`.
fn pattern(file: &str, resource: &str, account: &str, function_role: &str) -> Value {
    let t = template::template(file);
    template::resolve(
        &t["Resources"][resource]["Properties"]["EventPattern"],
        &|tag, v| match (tag, v.as_str()?) {
            ("!GetAtt", "FunctionRole.Arn") => Some(json!(function_role)),
            ("!Sub", s) => Some(json!(s
                .replace("${AWS::Partition}", "aws")
                .replace("${AWS::AccountId}", account)
                .replace("${FunctionRole}", function_role.rsplit('/').next().unwrap())
                .replace("${AuditFunction}", FUNCTION_NAME)
                .replace("${RemediationRoleName}", REMEDIATION_ROLE_NAME))),
            _ => None,
        },
    )
}

/// A rule on `account`'s default bus with `pattern`, and what it delivers.
struct Bus {
    events: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: Option<String>,
    queue_arn: String,
}

impl Bus {
    /// The rule sends to a new queue of the account (the tamper queue).
    async fn to_queue(account: &Account, pattern: &Value) -> Bus {
        let config = account.region(REGION);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name("tamper")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let queue_arn = format!("arn:aws:sqs:{REGION}:{}:tamper", account.id);
        let bus = Bus {
            events: aws_sdk_eventbridge::Client::new(&config),
            sqs,
            queue_url: Some(queue_url),
            queue_arn: queue_arn.clone(),
        };
        bus.rule("tamper", pattern, &queue_arn).await;
        bus
    }

    /// The rule forwards to another account's default bus (the member's forwarding).
    async fn to_bus(account: &Account, pattern: &Value, auditor: &Account) -> Bus {
        let config = account.region(REGION);
        let bus = Bus {
            events: aws_sdk_eventbridge::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            queue_url: None,
            queue_arn: String::new(),
        };
        let target = format!("arn:aws:events:{REGION}:{}:event-bus/default", auditor.id);
        bus.rule("forward-tamper-events", pattern, &target).await;
        bus
    }

    async fn rule(&self, name: &str, pattern: &Value, target: &str) {
        self.events
            .put_rule()
            .name(name)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("the emulator takes the template's pattern");
        self.events
            .put_targets()
            .rule(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("target")
                    .arn(target)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// PutEvents, ten at a time, as CloudTrail puts its events on the bus.
    async fn put(&self, events: &[Value]) {
        for chunk in events.chunks(10) {
            let entries = chunk.iter().map(|e| {
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .source(e["source"].as_str().unwrap())
                    .detail_type(e["detail-type"].as_str().unwrap())
                    .detail(e["detail"].to_string())
                    .build()
            });
            let out = self
                .events
                .put_events()
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .unwrap();
            assert_eq!(out.failed_entry_count, 0, "{out:?}");
        }
    }

    /// Every message the queue holds, (message id, body), taken off the queue.
    async fn drain(&self) -> Vec<(String, String)> {
        let url = self.queue_url.as_deref().expect("a queue");
        let mut all = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            if out.messages().is_empty() {
                return all;
            }
            for m in out.messages() {
                all.push((m.message_id().unwrap().to_string(), m.body().unwrap().to_string()));
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

fn sample(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(crate::support::project_dir().join("events").join(file)).unwrap())
        .unwrap()
}

/// A CloudTrail event of `name` by `identity` in the identity's account, tagged with
/// `id` (its eventID).
fn change(source: &str, event_source: &str, name: &str, identity: Value, id: &str) -> Value {
    let mut e = sample("tamper-delete-alarms.json");
    e["account"] = identity["accountId"].clone();
    e["detail"]["recipientAccountId"] = identity["accountId"].clone();
    e["source"] = json!(source);
    e["detail"]["eventSource"] = json!(event_source);
    e["detail"]["eventName"] = json!(name);
    e["detail"]["userIdentity"] = identity;
    e["detail"]["eventID"] = json!(id);
    e
}

/// A CloudTrail event of a call src/tamper.rs watches, from its service.
fn watched(name: &str, identity: Value, id: &str) -> Value {
    let service = iam_policy_alarm::tamper::WATCHED
        .iter()
        .find(|s| s.calls.contains(&name))
        .unwrap_or_else(|| panic!("{name} is not watched"));
    change(service.source, service.event_source, name, identity, id)
}

fn user(account: &Account, name: &str) -> Value {
    json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{}:user/{name}", account.id), "accountId": account.id, "userName": name})
}

fn role_session(role_arn: &str) -> Value {
    let (account, name) = (
        role_arn.split(':').nth(4).unwrap(),
        role_arn.rsplit('/').next().unwrap(),
    );
    json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::{account}:assumed-role/{name}/{FUNCTION_NAME}"), "accountId": account,
           "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn, "accountId": account, "userName": name}}})
}

fn event_ids(delivered: &[(String, String)]) -> BTreeSet<String> {
    delivered
        .iter()
        .map(|(_, body)| {
            let event: Value = serde_json::from_str(body).unwrap();
            event["detail"]["eventID"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The SQS event the event source mapping hands the function for these messages.
fn sqs_event(messages: &[(String, String)], queue_arn: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({"messageId": id, "receiptHandle": format!("handle-{id}"), "body": body,
                   "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764583200000"},
                   "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                   "eventSourceARN": queue_arn, "awsRegion": REGION})
        })
        .collect();
    json!({ "Records": records })
}

/// What the rule takes: other identities' successful calls that can break the chain;
/// what it leaves: failed calls, the function's own writes, other calls.
#[tokio::test]
async fn the_rule_takes_other_identities_changes_and_nothing_else() {
    let account = Account::new().await;
    let ours = function_role(&account);
    let bus = Bus::to_queue(&account, &pattern("template.yaml", "TamperRule", &account.id, &ours)).await;
    let mallory = user(&account, "mallory");
    let admin = role_session(&format!("arn:aws:iam::{}:role/Admin", account.id));
    let mut failed = watched("DeleteAlarms", mallory.clone(), "failed");
    failed["detail"]["errorCode"] = json!("AccessDenied");
    // The function's role given to another function: Lambda names that session after it.
    let mut borrowed = role_session(&ours);
    borrowed["arn"] = json!(format!(
        "arn:aws:sts::{}:assumed-role/iam-policy-alarm-FunctionRole-T3ST/someone-elses-function",
        account.id
    ));
    let wanted = [
        watched("DeleteAlarms", mallory.clone(), "delete-alarms"),
        watched("StopLogging", admin.clone(), "stop-logging"),
        watched("DeleteMetricFilter", admin.clone(), "delete-filter"),
        watched("Unsubscribe", mallory.clone(), "unsubscribe"),
        watched("ScheduleKeyDeletion", mallory.clone(), "key-deletion"),
        watched("PutMetricAlarm", borrowed, "borrowed-role"),
    ];
    let unwanted = [
        failed,
        // Remediation's writes, made in the function's session of its role.
        watched("PutMetricAlarm", role_session(&ours), "ours-alarm"),
        watched("PutMetricFilter", role_session(&ours), "ours-filter"),
        // Calls that cannot break the chain.
        change(
            "aws.monitoring",
            "monitoring.amazonaws.com",
            "DescribeAlarms",
            mallory.clone(),
            "read",
        ),
        change("aws.iam", "iam.amazonaws.com", "PutUserPolicy", mallory.clone(), "iam"),
        change("aws.sns", "sns.amazonaws.com", "Publish", mallory, "publish"),
    ];
    bus.put(&wanted).await;
    bus.put(&unwanted).await;
    let delivered = bus.drain().await;
    let expected: BTreeSet<String> = wanted
        .iter()
        .map(|e| e["detail"]["eventID"].as_str().unwrap().into())
        .collect();
    assert_eq!(event_ids(&delivered), expected);
}

/// In organization scope a member's rule forwards its changes to the auditor's bus,
/// where the auditor's rule takes them; the member's remediation role's writes (the
/// auditor's own) are not forwarded. The forwarded event still names the member
/// (CloudTrail's recipientAccountId), the account the handler audits.
#[tokio::test]
async fn a_members_changes_reach_the_auditors_queue_but_not_its_remediation_writes() {
    let auditor = Account::new().await;
    let member = Account::new().await;
    let ours = function_role(&auditor);
    let queue = Bus::to_queue(&auditor, &pattern("template.yaml", "TamperRule", &auditor.id, &ours)).await;
    let member_pattern = pattern("member-role.yaml", "TamperForwardingRule", &member.id, &ours);
    let forward = Bus::to_bus(&member, &member_pattern, &auditor).await;
    let remediation_role = format!("arn:aws:iam::{}:role/{REMEDIATION_ROLE_NAME}", member.id);
    forward
        .put(&[
            watched("DeleteAlarms", user(&member, "mallory"), "member-delete"),
            watched("PutMetricAlarm", role_session(&remediation_role), "remediation"),
        ])
        .await;
    let delivered = queue.drain().await;
    assert_eq!(event_ids(&delivered), BTreeSet::from(["member-delete".to_string()]));
    let event: Value = serde_json::from_str(&delivered[0].1).unwrap();
    let own = iam_policy_alarm::tamper::OwnIdentity::default();
    match iam_policy_alarm::tamper::classify(&event, &own).unwrap() {
        iam_policy_alarm::tamper::Classified::Change(c) => assert_eq!(c.account, member.id),
        other => panic!("{other:?}"),
    }
}

/// The calls both templates' rules match are those src/tamper.rs watches, from the same
/// sources, and the two rules differ only in whose writes they leave out.
#[test]
fn both_rules_and_the_handler_watch_the_same_calls() {
    use iam_policy_alarm::tamper::WATCHED;
    let auditor = pattern(
        "template.yaml",
        "TamperRule",
        "111111111111",
        "arn:aws:iam::111111111111:role/f",
    );
    let member = pattern("member-role.yaml", "TamperForwardingRule", "111111111111", "unused");
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let calls: BTreeSet<String> = WATCHED
        .iter()
        .flat_map(|s| s.calls.iter().map(|c| c.to_string()))
        .collect();
    let sources: BTreeSet<String> = WATCHED.iter().map(|s| s.source.to_string()).collect();
    let event_sources: BTreeSet<String> = WATCHED.iter().map(|s| s.event_source.to_string()).collect();
    for p in [&auditor, &member] {
        assert_eq!(strings(&p["detail"]["eventName"]), calls);
        assert_eq!(strings(&p["source"]), sources);
        assert_eq!(strings(&p["detail"]["eventSource"]), event_sources);
        assert_eq!(p["detail-type"], json!(["AWS API Call via CloudTrail"]));
        assert_eq!(p["detail"]["errorCode"], json!([{"exists": false}]));
    }
    let excluded = |p: &Value| {
        p["detail"]["$or"][1]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"][0]["anything-but"].clone()
    };
    assert_eq!(excluded(&auditor), json!("arn:aws:iam::111111111111:role/f"));
    assert_eq!(
        excluded(&member),
        json!(format!("arn:aws:iam::111111111111:role/{REMEDIATION_ROLE_NAME}"))
    );
    // The auditor also leaves out only the function's own session of its role.
    assert_eq!(
        auditor["detail"]["$or"][2]["userIdentity"]["arn"][0]["anything-but"],
        json!(format!("arn:aws:sts::111111111111:assumed-role/f/{FUNCTION_NAME}"))
    );
    let mut a = auditor.clone();
    let mut m = member.clone();
    a["detail"]["$or"] = Value::Null;
    m["detail"]["$or"] = Value::Null;
    assert_eq!(a, m);
}

/// A burst of 100 changes, delivered by the rule, plus a record that is no event: one
/// audit, one message whose subject names the change and who made it, the trigger
/// listing all 100, and the bad record alone refused back to the queue.
#[tokio::test]
async fn a_burst_of_changes_is_one_audit_and_a_bad_record_is_refused_alone() {
    let account = Account::new().await;
    // The alarm is gone: what the burst did.
    account
        .seed(&Chain {
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
    let findings = account.topic(REGION, "findings").await;
    let inbox = account.sqs_subscriber(&findings, "findings-inbox").await;
    let ours = function_role(&account);
    let bus = Bus::to_queue(&account, &pattern("template.yaml", "TamperRule", &account.id, &ours)).await;
    let burst: Vec<Value> = (0..100)
        .map(|i| watched("DeleteAlarms", user(&account, "mallory"), &format!("burst-{i}")))
        .collect();
    bus.put(&burst).await;
    let mut delivered = bus.drain().await;
    assert_eq!(delivered.len(), 100);
    delivered.insert(
        3,
        (
            "not-an-event".into(),
            "{\"detail-type\": \"AWS API Call via CloudTrail\", \"detail\": 1".into(),
        ),
    );
    let face = LambdaFace::start(
        &account,
        &[
            ("FINDINGS_TOPIC_ARN", &findings),
            ("FUNCTION_ROLE_ARN", &ours),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME),
            ("SECURITY_HUB", "true"),
        ],
    );
    let response = face.invoke(&sqs_event(&delivered, &bus.queue_arn).to_string());
    assert!(response.ok, "{}\n{}", response.raw, face.log());
    assert_eq!(
        response.payload["batchItemFailures"],
        json!([{"itemIdentifier": "not-an-event"}])
    );
    let report = &response.payload["report"];
    assert_eq!(report["status"], "FAIL", "{report:#}");
    let trigger = report["trigger"].as_array().expect("a list of changes");
    assert_eq!(trigger.len(), 100);
    let mallory = format!("arn:aws:iam::{}:user/mallory", account.id);
    assert_eq!(trigger[0]["event_name"], "DeleteAlarms");
    // The emulator has no LookupEvents: no change is confirmed, so none names its
    // caller; the claim is kept as such (the confirmed path: tamper::tests and the
    // collect::cloudtrail adapter's aws-smithy-mocks test).
    assert!(trigger[0].get("actor").is_none(), "{:#}", trigger[0]);
    assert_eq!(trigger[0]["claimed_actor"], json!({"arn": mallory, "type": "IAMUser"}));
    assert_eq!(trigger[0]["confirmation"]["status"], "unconfirmed");
    assert!(
        trigger[0]["confirmation"]["why"]
            .as_str()
            .unwrap()
            .starts_with("CloudTrail's event history could not be read: cloudtrail:LookupEvents"),
        "{:#}",
        trigger[0]
    );
    assert_eq!(
        trigger[10]["confirmation"]["why"],
        "not looked up: at most 10 changes of a run are"
    );
    assert_eq!(trigger[0]["account"], json!(account.id));
    assert_eq!(trigger[0]["source_ip"], "203.0.113.7");
    assert_eq!(
        trigger[0]["request"],
        json!({"alarmNames": ["IAMAuthorizationActivityAlarm"]})
    );
    assert_eq!(face.findings().len(), 1, "one audit");
    let log = face.log();
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains("queue record refused")).collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(
        refusals[0].contains("SQS record not-an-event: body is not JSON"),
        "{}",
        refusals[0]
    );
    let messages = account.received(REGION, &inbox).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(
        messages[0]["Subject"],
        json!("FAIL after DeleteAlarms (caller unconfirmed) and 99 more changes")
    );
    // Security Hub's finding, read without the report, names the changes too.
    let hub = aws_sdk_securityhub::Client::new(&account.region(REGION));
    let found = hub.get_findings().send().await.unwrap();
    let finding = found
        .findings()
        .iter()
        .find(|f| f.aws_account_id() == Some(account.id.as_str()))
        .expect("the account's finding");
    let description = finding.description().unwrap();
    assert!(
        description.ends_with("(audited after DeleteAlarms (caller unconfirmed) and 99 more changes)"),
        "{description}"
    );
}

/// After a change that left the chain intact, nothing is published by default
/// (TAMPER_NOTIFY=on-fail), though the findings are logged; TAMPER_NOTIFY=always
/// publishes them. A change event the handler ignores starts no run at all.
#[tokio::test]
async fn an_intact_chain_after_a_change_is_published_only_when_asked() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let findings = account.topic(REGION, "findings").await;
    let inbox = account.sqs_subscriber(&findings, "findings-inbox").await;
    let ours = function_role(&account);
    let event = watched("SetTopicAttributes", user(&account, "bob"), "set");
    let env = [
        ("FINDINGS_TOPIC_ARN", findings.as_str()),
        ("FUNCTION_ROLE_ARN", ours.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME),
    ];

    let face = LambdaFace::start(&account, &env);
    let response = face.invoke(&event.to_string());
    assert!(response.ok, "{}", response.raw);
    assert_eq!(response.payload["status"], "PASS", "{:#}", response.payload);
    assert_eq!(response.payload["trigger"]["event_name"], "SetTopicAttributes");
    assert_eq!(face.findings().len(), 1, "logged");
    assert!(face
        .log()
        .contains("the chain is intact after the change (TAMPER_NOTIFY=on-fail)"));
    assert!(account.received(REGION, &inbox).await.is_empty());

    // Remediation's own call, made with the function's role (the only calls it skips).
    let by_us = watched("PutMetricAlarm", role_session(&ours), "ours");
    let response = face.invoke(&by_us.to_string());
    assert!(response.ok, "{}", response.raw);
    assert!(
        response.payload["ignored"]
            .as_str()
            .unwrap()
            .contains("this function's own role"),
        "{:#}",
        response.payload
    );
    assert_eq!(face.findings().len(), 1, "no second run");
    drop(face);

    let face = LambdaFace::start(&account, &[env[0], env[1], ("TAMPER_NOTIFY", "always")]);
    let response = face.invoke(&event.to_string());
    assert!(response.ok, "{}", response.raw);
    let messages = account.received(REGION, &inbox).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(
        messages[0]["Subject"],
        json!("PASS after SetTopicAttributes (caller unconfirmed)")
    );
}

/// Loop safety: with MODE=remediate a change is repaired, and the CloudTrail events of
/// remediation's own writes (made with the function's role) neither pass the rule nor,
/// handed to the function anyway, start a run; the next change finds the chain
/// converged, and remediation plans nothing.
#[tokio::test]
async fn remediations_own_writes_start_no_run_and_a_converged_chain_plans_nothing() {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::remediable()).await;
    let ours = function_role(&account);
    let bus = Bus::to_queue(&account, &pattern("template.yaml", "TamperRule", &account.id, &ours)).await;
    let face = LambdaFace::start(
        &account,
        &[
            ("MODE", "remediate"),
            ("ALARM_TOPIC_ARN", &seeded.topic_arn),
            ("FUNCTION_ROLE_ARN", &ours),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME),
        ],
    );
    bus.put(&[watched("DeleteMetricFilter", user(&account, "mallory"), "tamper")])
        .await;
    let delivered = bus.drain().await;
    let response = face.invoke(&sqs_event(&delivered, &bus.queue_arn).to_string());
    assert!(response.ok, "{}\n{}", response.raw, face.log());
    let report = &response.payload["report"];
    assert_eq!(
        (
            report["status"].as_str(),
            report["remediation"]["before"]["status"].as_str()
        ),
        (Some("PASS"), Some("FAIL"))
    );
    // Every write remediation made, as CloudTrail records them: with the function's role.
    // (The lease's log stream and the alarm's owner tag are not watched calls at all.)
    let writes: Vec<(String, String)> = report["remediation"]["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let (service, call) = a["operation"].as_str().unwrap().split_once(':').unwrap();
            (service.to_string(), call.to_string())
        })
        .collect();
    assert_eq!(writes.len(), 2, "{report:#}");
    let as_recorded = |identity: Value| -> Vec<Value> {
        writes
            .iter()
            .map(|(service, call)| {
                let (source, event_source) = match service.as_str() {
                    "logs" => ("aws.logs", "logs.amazonaws.com"),
                    "cloudwatch" => ("aws.monitoring", "monitoring.amazonaws.com"),
                    other => panic!("remediation wrote to {other}"),
                };
                change(source, event_source, call, identity.clone(), call)
            })
            .collect()
    };
    // The control: the same two calls by someone else are watched, and pass the rule.
    bus.put(&as_recorded(user(&account, "mallory"))).await;
    assert_eq!(
        bus.drain().await.len(),
        2,
        "the same writes by another identity pass the rule"
    );
    let own = as_recorded(role_session(&ours));
    bus.put(&own).await;
    assert!(bus.drain().await.is_empty(), "the rule passed remediation's own writes");
    let own_messages: Vec<(String, String)> = own
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("own-{i}"), e.to_string()))
        .collect();
    let response = face.invoke(&sqs_event(&own_messages, &bus.queue_arn).to_string());
    assert!(response.ok, "{}", response.raw);
    assert_eq!(response.payload["report"], Value::Null, "{:#}", response.payload);
    assert_eq!(response.payload["batchItemFailures"], json!([]));
    assert_eq!(face.findings().len(), 1, "no run after our own writes");

    bus.put(&[watched("PutMetricAlarm", user(&account, "bob"), "next")])
        .await;
    let response = face.invoke(&sqs_event(&bus.drain().await, &bus.queue_arn).to_string());
    assert!(response.ok, "{}", response.raw);
    let report = &response.payload["report"];
    assert_eq!(report["status"], "PASS", "{report:#}");
    assert_eq!(report["remediation"]["planned"], json!([]), "{report:#}");
    assert!(report["remediation"].get("applied").is_none(), "{report:#}");
}

/// Tamper, then restore: logging stopped and started again before the audit reads the
/// trail. The audit passes, yet the stop is a finding of its own: published (even with
/// TAMPER_NOTIFY=on-fail) with who stopped it and how long the window was.
#[tokio::test]
async fn a_break_undone_before_the_audit_is_still_published() {
    let account = Account::new().await;
    account.seed(&Chain::default()).await;
    let findings = account.topic(REGION, "findings").await;
    let inbox = account.sqs_subscriber(&findings, "findings-inbox").await;
    let ours = function_role(&account);
    let bus = Bus::to_queue(&account, &pattern("template.yaml", "TamperRule", &account.id, &ours)).await;
    let mut stop = watched("StopLogging", user(&account, "mallory"), "stop");
    let mut start = watched("StartLogging", user(&account, "mallory"), "start");
    for (event, time) in [
        (&mut stop, "2026-11-30T10:15:02Z"),
        (&mut start, "2026-11-30T10:19:40Z"),
    ] {
        event["detail"]["eventTime"] = json!(time);
        event["detail"]["requestParameters"] = json!({"name": "main-trail"});
    }
    bus.put(&[stop, start]).await;
    let delivered = bus.drain().await;
    assert_eq!(delivered.len(), 2, "the rule takes both");
    let face = LambdaFace::start(
        &account,
        &[
            ("FINDINGS_TOPIC_ARN", &findings),
            ("FUNCTION_ROLE_ARN", &ours),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME),
        ],
    );
    let response = face.invoke(&sqs_event(&delivered, &bus.queue_arn).to_string());
    assert!(response.ok, "{}\n{}", response.raw, face.log());
    let report = &response.payload["report"];
    assert_eq!(report["status"], "PASS", "{report:#}");
    assert_eq!(
        report["tamper_windows"],
        json!([{"broken_by": "StopLogging (caller unconfirmed)", "broken_at": "2026-11-30T10:15:02Z",
                "restored_by": "StartLogging (caller unconfirmed)", "restored_at": "2026-11-30T10:19:40Z"}])
    );
    let messages = account.received(REGION, &inbox).await;
    assert_eq!(
        messages.len(),
        1,
        "published despite TAMPER_NOTIFY=on-fail: {messages:#?}"
    );
    let subject = messages[0]["Subject"].as_str().unwrap();
    assert!(
        subject.starts_with("BROKEN meanwhile, PASS now: StopLogging (caller unconfirmed)"),
        "{subject}"
    );
}
