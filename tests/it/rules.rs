//! The CIS monitoring section on the emulator: every rule of `rule --rules all` judged on
//! one read of the account, each rule's canonical chain passing its rule, a chain that
//! misses one event or is narrowed failing its own rule only, and remediation of every
//! rule from a bare trail reaching PASS with one filter and one alarm each.

use std::collections::BTreeSet;

use iam_policy_alarm::rule::{self, Rule};
use serde_json::Value;

use crate::support::seed::{Chain, LOG_GROUP};
use crate::support::Account;

const REGION: &str = "us-east-1";

/// Each rule's statuses, by id, in the report's order.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("no rules: {report:#}"))
        .iter()
        .map(|r| (r["id"].as_str().unwrap().into(), r["status"].as_str().unwrap().into()))
        .collect()
}

/// Seeds `rule`'s filter with `pattern` and its Sum >= 1 alarm notifying `topic`.
async fn seed_rule(account: &Account, rule: &Rule, pattern: &str, topic: &str) {
    let (namespace, metric) = (&rule.filter.metric_namespace, &rule.filter.metric_name);
    account
        .metric_filter(REGION, LOG_GROUP, &rule.filter.name, pattern, namespace, metric)
        .await;
    account
        .alarm(REGION, &rule.alarm.name, namespace, metric, true, topic)
        .await;
}

#[tokio::test]
async fn every_rules_canonical_chain_passes_its_rule() {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::remediable()).await;
    for rule in rule::all() {
        seed_rule(&account, rule, &rule.canonical_pattern, &seeded.topic_arn).await;
    }
    let (code, report) = account.run(&["audit", "--rules", "all", "--format", "json"], &[]);
    let ids: Vec<String> = rule::all().iter().map(|r| r.id.clone()).collect();
    let judged = statuses(&report);
    assert_eq!(judged.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ids);
    assert!(judged.iter().all(|(_, s)| s == "PASS"), "{judged:?}\n{report:#}");
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")));
    assert_eq!(
        report["rules"][3]["controls"][1]["id"], "4.4",
        "each rule carries its controls"
    );
    // The default RULES is the mission's rule alone, and the report says so too.
    let (code, report) = account.run(&["audit", "--format", "json"], &[]);
    assert_eq!(
        (code, statuses(&report)),
        (0, vec![("iam-policy-changes".into(), "PASS".into())])
    );
}

/// A chain that misses one event of its rule, or is narrowed by a condition, fails that
/// rule and no other; the run is FAIL and its summary counts the rules.
#[tokio::test]
async fn a_pattern_missing_an_event_or_narrowed_fails_its_own_rule_only() {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::remediable()).await;
    type Breaks = (&'static str, fn(&str) -> String);
    let broken: [Breaks; 3] = [
        ("vpc-changes", |p| p.replace("= CreateVpc)", "= CreateVpcX)")),
        ("root-usage", |p| {
            format!(
                "{{ ({}) && ($.sourceIPAddress != \"10.1.2.3\") }}",
                p.trim().trim_matches(['{', '}'])
            )
        }),
        ("unauthorized-api-calls", |p| {
            p.replace("\"*UnauthorizedOperation\"", "\"UnauthorizedOperation\"")
        }),
    ];
    for rule in rule::all() {
        let pattern = match broken.iter().find(|(id, _)| *id == rule.id) {
            Some((_, change)) => change(&rule.canonical_pattern),
            None => rule.canonical_pattern.clone(),
        };
        assert!(!pattern.is_empty());
        seed_rule(&account, rule, &pattern, &seeded.topic_arn).await;
    }
    let (code, report) = account.run(&["audit", "--rules", "all", "--format", "json"], &[]);
    let failing: BTreeSet<String> = statuses(&report)
        .into_iter()
        .filter(|(_, s)| s != "PASS")
        .map(|(id, s)| {
            assert_eq!(s, "FAIL", "{id}");
            id
        })
        .collect();
    let expected: BTreeSet<String> = broken.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(failing, expected, "{report:#}");
    assert_eq!((code, report["status"].as_str()), (1, Some("FAIL")));
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .starts_with("15 rules: 12 PASS, 3 FAIL, 0 ERROR"),
        "{}",
        report["summary"]
    );
    let vpc = &report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "vpc-changes")
        .unwrap()["trails"][0];
    assert_eq!(vpc["links"]["metric_filter"]["status"], "FAIL");
    assert!(
        vpc["links"]["metric_filter"]["detail"]
            .as_str()
            .unwrap()
            .contains("misses 1 of 11 VPC events (CreateVpc)"),
        "{vpc:#}"
    );
}

#[tokio::test]
async fn remediating_every_rule_from_a_bare_trail_reaches_pass_and_a_second_run_plans_nothing() {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::remediable()).await;
    let env = [("ALARM_TOPIC_ARN", seeded.topic_arn.as_str())];
    let args = ["remediate", "--rules", "all", "--format", "json"];
    let (code, report) = account.run(&args, &env);
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    assert!(statuses(&report).iter().all(|(_, s)| s == "PASS"), "{report:#}");
    let planned = report["remediation"]["planned"].as_array().unwrap();
    assert_eq!(planned.len(), 2 * rule::all().len(), "{planned:#?}");

    // One filter and one alarm per rule, each with the rule's names and pattern.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.region(REGION));
    let filters = logs
        .describe_metric_filters()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .unwrap();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.region(REGION));
    let alarms = cloudwatch.describe_alarms().send().await.unwrap();
    for rule in rule::all() {
        let named: Vec<_> = filters
            .metric_filters()
            .iter()
            .filter(|f| f.filter_name() == Some(rule.filter.name.as_str()))
            .collect();
        assert_eq!(named.len(), 1, "{}", rule.id);
        assert_eq!(
            named[0].filter_pattern(),
            Some(rule.canonical_pattern.as_str()),
            "{}",
            rule.id
        );
        let alarm: Vec<_> = alarms
            .metric_alarms()
            .iter()
            .filter(|a| a.alarm_name() == Some(rule.alarm.name.as_str()))
            .collect();
        assert_eq!(alarm.len(), 1, "{}", rule.id);
        assert_eq!(
            alarm[0].metric_name(),
            Some(rule.filter.metric_name.as_str()),
            "{}",
            rule.id
        );
        assert_eq!(alarm[0].alarm_description(), Some(rule.alarm.description.as_str()));
    }
    assert_eq!(filters.metric_filters().len(), rule::all().len());

    let (code, again) = account.run(&args, &env);
    assert_eq!((code, again["status"].as_str()), (0, Some("PASS")));
    assert_eq!(again["remediation"]["planned"], serde_json::json!([]), "{again:#}");
}

#[tokio::test]
async fn an_unknown_rule_is_refused_with_the_known_ones() {
    let account = Account::new().await;
    let output = account
        .command(&["audit", "--rules", "iam-policy-changes,nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"nope\" is not a rule; the rules are unauthorized-api-calls,"),
        "{stderr}"
    );
    let output = account.command(&["audit"]).env("RULES", "all,nope").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid setting RULES=\"all,nope\""), "{stderr}");
}
