//! The stack's own topic policy and key policy, as template.yaml writes them (with
//! their confused-deputy conditions), put on a topic and key in the emulator: the
//! audit's policy evaluator must judge them as letting this account's alarms publish,
//! so the chain PASSes; the same policies naming another region's alarms FAIL.

use serde_json::Value;

use crate::support::seed::Chain;
use crate::support::template;
use crate::support::{Account, REGION};

/// A CloudFormation value with the pseudo parameters and `Topic` resolved; the other
/// intrinsic functions do not appear in these two policies.
fn resolve(value: &serde_yaml::Value, account: &str, region: &str, topic: &str) -> Value {
    template::resolve(value, &|tag, value| match (tag, value.as_str()?) {
        ("!Sub", s) => Some(Value::String(
            s.replace("${AWS::Partition}", "aws")
                .replace("${AWS::AccountId}", account)
                .replace("${AWS::Region}", region),
        )),
        ("!Ref", "AWS::AccountId") => Some(Value::String(account.into())),
        ("!Ref", "Topic") => Some(Value::String(topic.into())),
        _ => None,
    })
}

/// The policy document of `resource` (its `property`), resolved.
fn policy(resource: &str, property: &str, account: &str, region: &str, topic: &str) -> Value {
    let t = template::template("template.yaml");
    resolve(
        &t["Resources"][resource]["Properties"][property],
        account,
        region,
        topic,
    )
}

async fn audit_with_the_stacks_policies(alarm_region: &str) -> (i32, Value) {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::default()).await;
    let topic = seeded.topic_arn;
    let config = account.region(REGION);
    // The key policy lets this account administer the key; the CloudWatch statement
    // carries the conditions under test. Its region is the alarm's.
    let key_policy = policy("EncryptionKey", "KeyPolicy", &account.id, alarm_region, &topic);
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms.create_key().policy(key_policy.to_string()).send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    let sns = aws_sdk_sns::Client::new(&config);
    for (name, value) in [
        ("KmsMasterKeyId", key_id),
        (
            "Policy",
            policy("TopicPolicy", "PolicyDocument", &account.id, alarm_region, &topic).to_string(),
        ),
    ] {
        sns.set_topic_attributes()
            .topic_arn(&topic)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .unwrap();
    }
    account.audit(&[])
}

#[tokio::test]
async fn the_stacks_own_topic_and_key_policies_pass_its_own_audit() {
    let (code, report) = audit_with_the_stacks_policies(REGION).await;
    assert_eq!((code, report["status"].as_str()), (0, Some("PASS")), "{report:#}");
    let detail = report["trails"][0]["links"]["notification"]["detail"].as_str().unwrap();
    assert!(detail.contains("KMS key lets CloudWatch publish"), "{detail}");
}

/// The positive control: the conditions are evaluated, not ignored.
#[tokio::test]
async fn the_same_policies_for_another_regions_alarms_fail() {
    let (code, report) = audit_with_the_stacks_policies("eu-west-1").await;
    assert_eq!((code, report["status"].as_str()), (1, Some("FAIL")), "{report:#}");
    let link = &report["trails"][0]["links"]["notification"];
    assert_eq!(link["status"], "FAIL", "{report:#}");
}

/// The stack's own alarms, as template.yaml writes them, judged by the audit's alarm
/// model: one failed invocation, one throttle, one message in the failure queue each
/// take their alarm to ALARM within one period, and a quiet period leaves it out of
/// ALARM. (NoSuccessfulRunAlarm is the inverse, ALARM when nothing happens, which the
/// model does not judge; `make deploy-local` checks its metric.)
#[test]
fn the_stacks_own_alarms_fire_on_one_failure() {
    use iam_policy_alarm::alarm::{evaluate, Alarm, Emission};
    let t = template::template("template.yaml");
    for logical in [
        "FunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "FailedInvocationsAlarm",
        "FailureQueueArrivalsAlarm",
        "TamperDeliveryAlarm",
    ] {
        // Names (the function's, the queue's, the stack's) do not change the verdict.
        let props = template::resolve(&t["Resources"][logical]["Properties"], &|tag, value| match tag {
            "!Ref" | "!Sub" | "!GetAtt" => Some(Value::String(format!("{tag} {value:?}"))),
            _ => None,
        });
        let text = |key: &str| props[key].as_str().map(String::from);
        let number = |key: &str| props[key].as_f64();
        let dimensions: std::collections::BTreeMap<String, String> = props["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| (d["Name"].as_str().unwrap().to_string(), "the-resource".to_string()))
            .collect();
        let alarm = Alarm {
            name: logical.into(),
            actions_enabled: true,
            alarm_actions: vec!["topic".into()],
            namespace: text("Namespace").unwrap(),
            metric_name: text("MetricName").unwrap(),
            statistic: text("Statistic"),
            dimensions: dimensions.clone(),
            period: number("Period").map(|p| p as i32),
            evaluation_periods: number("EvaluationPeriods").map(|p| p as i32),
            datapoints_to_alarm: number("DatapointsToAlarm").map(|p| p as i32),
            threshold: number("Threshold"),
            comparison_operator: text("ComparisonOperator"),
            treat_missing_data: text("TreatMissingData"),
            ..Alarm::default()
        };
        // One failure: one datapoint of 1 in the period (Lambda's Errors and Throttles
        // count it, SQS's visible and sent messages show it, EventBridge's
        // FailedInvocations counts it).
        let one = Emission {
            namespace: alarm.namespace.clone(),
            name: alarm.metric_name.clone(),
            values: vec![1.0],
            default_value: None,
            unit: "None".into(),
            dimensions,
            routine: Vec::new(),
            copies: vec![1],
        };
        let verdict = evaluate(&alarm, &one);
        assert!(verdict.fires(), "{logical}: {verdict:?}");
    }
}
