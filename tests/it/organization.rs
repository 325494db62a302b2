//! The organization-wide audit against the emulator: an organization of a management
//! account and members (moto's Organizations: CreateOrganization, CreateAccount), each
//! member its own isolated account reached through AssumeRole of the member role. moto
//! accepts any role and ExternalId, so the member role's trust conditions are proven
//! by the template tests, not here; it also does not show the organization trail to
//! members, which is how the members see it here.

use serde_json::Value;

use crate::support::fault_proxy::{Fault, FaultProxy, Schedule};
use crate::support::seed::Chain;
use crate::support::{moto, Account};

struct Organization {
    management: Account,
    /// (id, name), in creation order.
    members: Vec<(String, String)>,
}

async fn organization(members: usize) -> Organization {
    let management = Account::new().await;
    let orgs = aws_sdk_organizations::Client::new(&management.sdk);
    orgs.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("create the organization");
    let mut created = Vec::new();
    for i in 0..members {
        let name = format!("member-{i}");
        let out = orgs
            .create_account()
            .account_name(&name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .expect("create a member account");
        let id = out
            .create_account_status()
            .and_then(|s| s.account_id())
            .unwrap()
            .to_string();
        created.push((id, name));
    }
    Organization {
        management,
        members: created,
    }
}

/// Makes the management account's seeded trail an organization trail.
async fn organization_trail(management: &Account) {
    aws_sdk_cloudtrail::Client::new(&management.region("us-east-1"))
        .update_trail()
        .name("main-trail")
        .is_organization_trail(true)
        .send()
        .await
        .expect("make it an organization trail");
}

/// The function as its handler sees it, in this process, acting in the management
/// account on the emulator: for tests that give the handler a deadline.
fn in_process(org: &Organization, settings: iam_policy_alarm::settings::Settings) -> iam_policy_alarm::run::App {
    let config = org.management.sdk.to_builder().endpoint_url(moto().endpoint()).build();
    iam_policy_alarm::run::App {
        clients: iam_policy_alarm::aws::Clients::new(config).unwrap(),
        settings,
    }
}

fn audit(org: &Organization, env: &[(&str, &str)]) -> (i32, Value) {
    org.management
        .run(&["audit", "--organization", "--format", "json"], env)
}

fn account<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == id)
        .unwrap_or_else(|| panic!("{id} not in {report:#}"))
}

#[tokio::test]
async fn an_organization_trails_complete_chain_passes_every_account() {
    let org = organization(2).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    // One member also has a trail of its own, broken: covered all the same.
    Account::with_id(org.members[1].0.clone())
        .await
        .seed(&Chain {
            filter_pattern: None,
            ..Chain::default()
        })
        .await;
    let (code, report) = audit(&org, &[]);
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    assert_eq!(report["scope"], "organization");
    assert!(
        report["organization"]["id"].as_str().unwrap().starts_with("o-"),
        "{report:#}"
    );
    assert_eq!(report["organization"]["management_account"], org.management.id.as_str());
    assert_eq!(report["counts"], serde_json::json!({"ERROR": 0, "FAIL": 0, "PASS": 3}));
    for (id, name) in &org.members {
        let member = account(&report, id);
        assert_eq!(
            (member["status"].as_str(), member["name"].as_str()),
            (Some("PASS"), Some(name.as_str()))
        );
        assert_eq!(
            member["covered_by"]["account"],
            org.management.id.as_str(),
            "{member:#}"
        );
        assert!(member["covered_by"]["trail"]
            .as_str()
            .unwrap()
            .ends_with(":trail/main-trail"));
        assert!(!member["covered_by"]["resources"].as_array().unwrap().is_empty());
    }
    assert_eq!(account(&report, &org.management.id)["covered_by"], Value::Null);
    // Its own trail is still reported as its audit judged it.
    let own = &account(&report, &org.members[1].0)["trails"][0];
    assert_eq!(own["links"]["metric_filter"]["status"], "FAIL", "{own:#}");
}

#[tokio::test]
async fn an_organization_trail_without_a_filter_fails_every_account_naming_it() {
    let org = organization(2).await;
    org.management.seed(&Chain::remediable()).await;
    organization_trail(&org.management).await;
    let (code, report) = audit(&org, &[]);
    assert_eq!((code, report["status"].as_str()), (1, Some("FAIL")), "{report:#}");
    assert_eq!(report["counts"]["FAIL"], 3);
    for (id, _) in &org.members {
        let summary = account(&report, id)["summary"].as_str().unwrap().to_string();
        assert!(
            summary.contains(&format!(
                "organization trail main-trail of account {} does not alarm",
                org.management.id
            )) && summary.contains("no trail of its own"),
            "{summary}"
        );
    }
}

#[tokio::test]
async fn a_member_with_its_own_chain_passes_when_the_organization_chain_is_broken() {
    let org = organization(2).await;
    org.management
        .seed(&Chain {
            filter_pattern: None,
            ..Chain::default()
        })
        .await;
    organization_trail(&org.management).await;
    let (own_id, _) = &org.members[0];
    Account::with_id(own_id.clone()).await.seed(&Chain::default()).await;
    let (code, report) = audit(&org, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(account(&report, own_id)["status"], "PASS");
    assert_eq!(account(&report, own_id)["covered_by"], Value::Null);
    assert_eq!(account(&report, &org.members[1].0)["status"], "FAIL");
    assert_eq!(account(&report, &org.management.id)["status"], "FAIL");
    // Failing accounts first.
    assert_eq!(report["accounts"][2]["status"], "PASS", "{report:#}");
}

#[tokio::test]
async fn a_member_whose_role_cannot_be_assumed_is_an_error_and_the_rest_are_judged() {
    let org = organization(2).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    let (refused, _) = &org.members[1];
    let role = format!("arn:aws:iam::{refused}:role/iam-policy-alarm-audit");
    let proxy = FaultProxy::start(moto().port);
    proxy.fail_when(
        "sts:AssumeRole",
        &role.replace(':', "%3A").replace('/', "%2F"),
        Fault::error(403, "AccessDenied", "not authorized to perform sts:AssumeRole"),
        Schedule::Always,
    );
    let (code, report) = audit(&org, &[("AWS_ENDPOINT_URL", &proxy.url())]);
    assert_eq!((code, report["status"].as_str()), (2, Some("ERROR")), "{report:#}");
    let member = account(&report, refused);
    assert_eq!(member["status"], "ERROR");
    assert_eq!(
        member["summary"],
        format!("cannot assume {role}: AccessDenied: not authorized to perform sts:AssumeRole").as_str()
    );
    assert_eq!(member["error"]["retryable"], false);
    assert_eq!(account(&report, &org.members[0].0)["status"], "PASS");
    assert_eq!(account(&report, &org.management.id)["status"], "PASS");
    assert!(proxy.writes().is_empty(), "{:?}", proxy.writes());
}

#[tokio::test]
async fn excluded_accounts_are_not_audited() {
    let org = organization(2).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    let (excluded, _) = &org.members[0];
    let (code, report) = audit(&org, &[("EXCLUDE_ACCOUNTS", excluded), ("ACCOUNT_CONCURRENCY", "1")]);
    assert_eq!(code, 0, "{report:#}");
    let audited: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert!(!audited.contains(&excluded.as_str()), "{audited:?}");
}

/// A broken organization chain is fixed once, in the account it lives in (the
/// management account, with the function's own credentials), and every account
/// PASSes after; no member is written to. A second run plans nothing.
#[tokio::test]
async fn remediation_fixes_the_organization_chain_once_in_its_owner_account() {
    use crate::support::seed::LOG_GROUP;
    let org = organization(2).await;
    let seeded = org.management.seed(&Chain::remediable()).await;
    organization_trail(&org.management).await;
    let env = [("ALARM_TOPIC_ARN", seeded.topic_arn.as_str())];
    let (code, report) = org
        .management
        .run(&["remediate", "--organization", "--format", "json"], &env);
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    assert_eq!(report["counts"]["PASS"], 3, "{report:#}");
    let remediated: Vec<&str> = report["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account"].as_str().unwrap())
        .collect();
    assert_eq!(remediated, [org.management.id.as_str()], "{report:#}");
    let applied = &report["remediation"][0]["remediation"]["applied"];
    assert_eq!(applied.as_array().map(Vec::len), Some(2), "{report:#}");
    assert_eq!(
        org.management
            .filters_named("us-east-1", LOG_GROUP, "IAMAuthConfigChanges")
            .await,
        1
    );
    assert_eq!(
        org.management
            .alarms_named("us-east-1", "IAMAuthorizationActivityAlarm")
            .await,
        1
    );
    for (id, _) in &org.members {
        assert_eq!(
            account(&report, id)["covered_by"]["account"],
            org.management.id.as_str()
        );
        let member = Account::with_id(id.clone()).await;
        assert_eq!(
            member.alarms_named("us-east-1", "IAMAuthorizationActivityAlarm").await,
            0,
            "{id}"
        );
    }
    let (code, again) = org
        .management
        .run(&["remediate", "--organization", "--format", "json"], &env);
    assert_eq!(code, 0, "{again:#}");
    assert!(again.get("remediation").is_none(), "nothing to remediate: {again:#}");
}

/// Without MEMBER_REMEDIATION_ROLE_NAME a member's own broken chain is not touched:
/// the report says where the chain lives and what to set. With it, the member's new
/// alarm notifies the member's own MEMBER_ALARM_TOPIC_NAME, the only topic its role may
/// name (the auditor's ALARM_TOPIC_ARN accepts only the auditor's alarms); without
/// that setting no alarm is written there, and the report says so.
#[tokio::test]
async fn a_members_chain_is_remediated_only_through_the_member_remediation_role() {
    use aws_sdk_cloudwatch::Client;
    let org = organization(1).await;
    let (member_id, _) = &org.members[0];
    let member = Account::with_id(member_id.clone()).await;
    let seeded = member.seed(&Chain::remediable()).await;
    // The management account's own chain is complete (no organization trail).
    let own = org.management.seed(&Chain::default()).await;
    let env = [("ALARM_TOPIC_ARN", own.topic_arn.as_str())];
    let (code, report) = org
        .management
        .run(&["remediate", "--organization", "--format", "json"], &env);
    assert_eq!(code, 1, "{report:#}");
    let refused = report["remediation"][0]["refused"].as_str().unwrap();
    assert!(
        refused.contains(&format!(
            "the chain lives in account {member_id}: set MEMBER_REMEDIATION_ROLE_NAME"
        )),
        "{refused}"
    );
    let alarms = || member.alarms_named("us-east-1", "IAMAuthorizationActivityAlarm");
    assert_eq!(alarms().await, 0);

    let with_role = [env[0], ("MEMBER_REMEDIATION_ROLE_NAME", "iam-policy-alarm-remediate")];
    let (code, report) = org
        .management
        .run(&["remediate", "--organization", "--format", "json"], &with_role);
    assert_eq!(code, 1, "{report:#}");
    let refused = report["remediation"][0]["remediation"]["refused"].to_string();
    assert!(refused.contains("MEMBER_ALARM_TOPIC_NAME is not set"), "{report:#}");
    assert_eq!(alarms().await, 0);

    let member_topic = seeded.topic_arn.rsplit(':').next().unwrap();
    let with_topic = [with_role[0], with_role[1], ("MEMBER_ALARM_TOPIC_NAME", member_topic)];
    let (code, report) = org
        .management
        .run(&["remediate", "--organization", "--format", "json"], &with_topic);
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    assert_eq!(report["remediation"][0]["account"], member_id.as_str());
    let written = Client::new(&member.region("us-east-1"))
        .describe_alarms()
        .alarm_names("IAMAuthorizationActivityAlarm")
        .send()
        .await
        .unwrap();
    assert_eq!(
        written.metric_alarms()[0].alarm_actions(),
        std::slice::from_ref(&seeded.topic_arn)
    );
}

/// Through the Lambda runtime: events/audit-organization.json audits every account, and
/// a manual payload naming accounts audits just those.
#[tokio::test]
async fn lambda_audits_the_accounts_a_manual_payload_names() {
    use crate::support::lambda::LambdaFace;
    let org = organization(2).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    let (named, _) = &org.members[1];
    let lambda = LambdaFace::start(&org.management, &[]);
    // The sample event: every account.
    let every = lambda.invoke(include_str!("../../events/audit-organization.json"));
    assert!(every.ok, "{every:?}");
    assert_eq!(every.payload["counts"]["PASS"], 3, "{:#}", every.payload);
    let result = lambda.invoke(&format!(r#"{{"mode": "audit", "accounts": ["{named}"]}}"#));
    assert!(result.ok, "{result:?}");
    let accounts = result.payload["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{:#}", result.payload);
    assert_eq!(
        (accounts[0]["account"].as_str(), accounts[0]["status"].as_str()),
        (Some(named.as_str()), Some("PASS"))
    );
}

/// The Lambda handler with the invocation's deadline (cargo lambda's emulator sends
/// none usable, so the handler is called in process): with less time left than one
/// account can take, no account is started, each is an ERROR that says so, and the
/// invocation fails as retryable; with time enough, they are audited.
#[tokio::test]
async fn no_account_is_started_past_the_invocations_deadline() {
    use iam_policy_alarm::fleet::per_account_worst_case;
    use std::time::{Duration, SystemTime};
    let org = organization(1).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    let app = in_process(&org, iam_policy_alarm::settings::Settings::default());
    let payload = serde_json::json!({"mode": "audit", "scope": "organization"});
    let soon = SystemTime::now() + per_account_worst_case() - Duration::from_secs(10);
    let late = iam_policy_alarm::lambda::handle(&app, payload.clone(), Some(soon))
        .await
        .unwrap_err();
    assert_eq!(late.error_type, "AuditIncomplete.Retryable", "{late:?}");
    assert!(late.error_message.contains("2 could not be audited"), "{late:?}");
    // Each account says why in its own words.
    let request = iam_policy_alarm::invocation::RunRequest {
        mode: iam_policy_alarm::settings::Mode::Audit,
        dry_run: false,
        trigger: iam_policy_alarm::invocation::Trigger::Manual,
        scope: iam_policy_alarm::settings::Scope::Organization,
        accounts: None,
        deadline: Some(SystemTime::now() + per_account_worst_case() - Duration::from_secs(10)),
        rules: vec![iam_policy_alarm::rule::default_rule()],
    };
    let outcome = iam_policy_alarm::run::run(&app, &request).await;
    let report: Value = serde_json::from_str(&outcome.report.to_json_string()).unwrap();
    let accounts = report["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{report:#}");
    let why = format!(
        "not audited: less time was left before the function's deadline than one account can take ({} s); the next run audits it",
        per_account_worst_case().as_secs()
    );
    for account in accounts {
        assert_eq!(account["status"], "ERROR", "{account:#}");
        assert_eq!(account["error"]["message"], why.as_str(), "{account:#}");
        assert_eq!(account["error"]["retryable"], true, "{account:#}");
    }
    let in_time = SystemTime::now() + per_account_worst_case() + Duration::from_secs(60);
    let report = iam_policy_alarm::lambda::handle(&app, payload, Some(in_time))
        .await
        .unwrap();
    let report = report.report().expect("a run");
    assert_eq!(report.status_word(), "PASS", "{}", report.to_json_string());
}

/// One SNS message per run: the subject counts the accounts that do not pass and names
/// the organization; the attributes are status and organization.
#[tokio::test]
async fn the_findings_message_names_the_organization_and_counts_the_accounts() {
    let org = organization(1).await;
    org.management
        .seed(&Chain {
            filter_pattern: None,
            ..Chain::default()
        })
        .await;
    organization_trail(&org.management).await;
    let findings = org.management.topic("us-east-1", "findings").await;
    let inbox = org.management.sqs_subscriber(&findings, "findings-inbox").await;
    let (code, report) = audit(&org, &[("FINDINGS_TOPIC_ARN", &findings)]);
    assert_eq!(code, 1, "{report:#}");
    let messages = org.management.received("us-east-1", &inbox).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let id = report["organization"]["id"].as_str().unwrap();
    let subject = messages[0]["Subject"].as_str().unwrap();
    assert_eq!(
        subject,
        format!("FAIL: IAM policy change alarm, 2 of 2 accounts ({id})")
    );
    assert_eq!(messages[0]["MessageAttributes"]["status"]["Value"], "FAIL");
    assert_eq!(messages[0]["MessageAttributes"]["organization"]["Value"], id);
    let published: Value = serde_json::from_str(messages[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published["accounts"], report["accounts"]);
}

/// A remediation is not started with less time left than one can take: the chain is
/// left as it is, the report says why, and the invocation fails as retryable.
#[tokio::test]
async fn no_remediation_is_started_past_the_invocations_deadline() {
    use iam_policy_alarm::fleet::{per_account_worst_case, per_remediation_worst_case};
    use std::time::{Duration, SystemTime};
    let org = organization(1).await;
    let seeded = org.management.seed(&Chain::remediable()).await;
    organization_trail(&org.management).await;
    let settings = iam_policy_alarm::settings::Settings {
        alarm_topic: Some(seeded.topic_arn.parse().unwrap()),
        ..Default::default()
    };
    let app = in_process(&org, settings);
    // Time enough to audit every account, not to remediate one.
    let deadline = SystemTime::now() + per_account_worst_case() + Duration::from_secs(60);
    assert!(per_remediation_worst_case() > per_account_worst_case() + Duration::from_secs(60));
    let payload = serde_json::json!({"mode": "remediate", "scope": "organization"});
    let refused = iam_policy_alarm::lambda::handle(&app, payload, Some(deadline))
        .await
        .unwrap_err();
    assert_eq!(refused.error_type, "RemediationFailed.Retryable", "{refused:?}");
    assert!(
        refused.error_message.contains("not started: less time was left"),
        "{refused:?}"
    );
    assert_eq!(
        org.management
            .alarms_named("us-east-1", "IAMAuthorizationActivityAlarm")
            .await,
        0
    );
}

/// With SECURITY_HUB, each account's finding is imported from that account itself (the
/// member through its role): Security Hub's default product takes no other.
#[tokio::test]
async fn each_accounts_finding_is_imported_from_that_account() {
    let org = organization(1).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    let (code, report) = audit(&org, &[("SECURITY_HUB", "true")]);
    assert_eq!(code, 0, "{report:#}");
    for id in [org.management.id.clone(), org.members[0].0.clone()] {
        let account = Account::with_id(id.clone()).await;
        let found = aws_sdk_securityhub::Client::new(&account.region("us-east-1"))
            .get_findings()
            .send()
            .await
            .unwrap();
        let own: Vec<_> = found
            .findings()
            .iter()
            .filter(|f| f.aws_account_id() == Some(id.as_str()))
            .collect();
        assert_eq!(own.len(), 1, "{id}: {own:#?}");
        assert_eq!(
            own[0].compliance().and_then(|c| c.status()).map(|s| s.as_str()),
            Some("PASSED")
        );
        assert!(own[0]
            .product_arn()
            .unwrap()
            .ends_with(&format!(":product/{id}/default")));
    }
}

/// A member's change, forwarded to the auditor's bus, names the member: in organization
/// scope the run audits that account and no other, and the subject names the change.
#[tokio::test]
async fn a_members_change_audits_only_that_member() {
    let org = organization(2).await;
    org.management.seed(&Chain::default()).await;
    organization_trail(&org.management).await;
    let settings = iam_policy_alarm::settings::Settings {
        scope: iam_policy_alarm::settings::Scope::Organization,
        ..Default::default()
    };
    let app = in_process(&org, settings);
    let member = &org.members[1].0;
    let mut event: Value = serde_json::from_str(include_str!("../../events/tamper-stop-logging.json")).unwrap();
    event["account"] = member.as_str().into();
    event["detail"]["recipientAccountId"] = member.as_str().into();
    let response = iam_policy_alarm::lambda::handle(&app, event, None).await.unwrap();
    let report = response.report().expect("a run");
    let json: Value = serde_json::from_str(&report.to_json_string()).unwrap();
    let audited: Vec<&str> = json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(audited, [member.as_str()], "{json:#}");
    assert_eq!(json["trigger"]["account"], member.as_str());
    // Looked up in the member's own event history, through the member role (the
    // emulator has none: unconfirmed, and the caller is not named).
    assert!(
        json["trigger"]["confirmation"]["why"]
            .as_str()
            .unwrap()
            .starts_with("CloudTrail's event history could not be read: cloudtrail:LookupEvents"),
        "{json:#}"
    );
    assert_eq!(
        report.sns_message().subject,
        format!("{} after StopLogging (caller unconfirmed)", report.status_word())
    );
}
