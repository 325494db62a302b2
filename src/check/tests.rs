//! Table-driven tests of the pure check: one compliant account as plain data, then one
//! case per way each link can break, each asserting the status of every link.

use std::collections::BTreeMap;

use super::{check, LinkStatus, Status};
use crate::arn::{LogGroupArn, TopicArn};
use crate::settings::Names;
use crate::state::*;

const ACCOUNT: &str = "123456789012";
/// The mission's rule alone, as a run with the default RULES judges it.
fn check_iam(state: &AccountState, names: &Names) -> super::Findings {
    check(state, &[(crate::rule::default_rule(), names.clone())])
}

fn cis() -> &'static str {
    &crate::rule::default_rule().canonical_pattern
}

fn group_arn(region: &str) -> LogGroupArn {
    format!("arn:aws:logs:{region}:{ACCOUNT}:log-group:CloudTrail/Logs:*")
        .parse()
        .unwrap()
}

fn topic_arn(region: &str) -> TopicArn {
    format!("arn:aws:sns:{region}:{ACCOUNT}:alarms").parse().unwrap()
}

fn aws_error(operation: &str) -> AwsError {
    AwsError {
        operation: operation.into(),
        resource: "r".into(),
        message: "Throttling: Rate exceeded".into(),
        retryable: true,
    }
}

fn transformation() -> Transformation {
    Transformation {
        namespace: "CloudTrailMetrics".into(),
        name: "IAMPolicyEventCount".into(),
        value: "1".into(),
        default_value: None,
        dimensions: BTreeMap::new(),
        unit: None,
    }
}

fn alarm(region: &str) -> Alarm {
    Alarm {
        name: "IAMAuthorizationActivityAlarm".into(),
        arn: format!("arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:IAMAuthorizationActivityAlarm"),
        actions_enabled: true,
        alarm_actions: vec![topic_arn(region).to_string()],
        namespace: "CloudTrailMetrics".into(),
        metric_name: "IAMPolicyEventCount".into(),
        statistic: Some("Sum".into()),
        period: Some(300),
        evaluation_periods: Some(1),
        threshold: Some(1.0),
        comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
        treat_missing_data: Some("notBreaching".into()),
        ..Alarm::default()
    }
}

/// A compliant account: the trail's home region is `home`, its log group (and the rest
/// of the chain) in `group_region`, the function in us-east-1.
fn compliant_in(home: &str, group_region: &str) -> AccountState {
    let group = group_arn(group_region);
    let topic = topic_arn(group_region);
    AccountState {
        account_id: Ok(ACCOUNT.into()),
        region: "us-east-1".into(),
        trails: Ok(vec![Trail {
            name: "main".into(),
            arn: format!("arn:aws:cloudtrail:{home}:{ACCOUNT}:trail/main"),
            home_region: home.into(),
            multi_region: true,
            organization: false,
            log_group_arn: Some(format!("{group}:*")),
            status: Some(Ok(TrailStatus {
                is_logging: true,
                latest_cloudwatch_logs_delivery_error: None,
            })),
            selectors: Some(Ok(Selectors::Basic(vec![BasicSelector {
                read_write_type: Some("All".into()),
                include_management_events: Some(true),
                exclude_management_event_sources: vec![],
            }]))),
        }]),
        log_groups: BTreeMap::from([(
            group.clone(),
            LogGroup {
                arn: group,
                exists: Ok(true),
                filters: Ok(vec![MetricFilter::new(
                    "IAMAuthConfigChanges".into(),
                    cis().into(),
                    vec![transformation()],
                )]),
                class: None,
            },
        )]),
        alarms: BTreeMap::from([(
            MetricKey {
                region: group_region.into(),
                namespace: "CloudTrailMetrics".into(),
                name: "IAMPolicyEventCount".into(),
                ..MetricKey::default()
            },
            Ok(vec![alarm(group_region)]),
        )]),
        topics: BTreeMap::from([(
            topic.clone(),
            Ok(Topic {
                arn: topic,
                subscriptions: vec![Subscription {
                    arn: format!("arn:aws:sns:{group_region}:{ACCOUNT}:alarms:5e4e0a4b"),
                    protocol: "email".into(),
                    endpoint: "security@example.com".into(),
                    attributes: Some(Ok(SubscriptionAttributes::default())),
                }],
                kms_key_id: None,
                policy: None,
                other_attributes: BTreeMap::from([("DisplayName".to_string(), "alarms".to_string())]),
            }),
        )]),
        keys: BTreeMap::new(),
        named_alarms: BTreeMap::new(),
        math_alarms: BTreeMap::new(),
        composites: BTreeMap::new(),
        // Read: none in the region.
        mute_rules: BTreeMap::from([(group_region.to_string(), Ok(Vec::new()))]),
    }
}

/// An alarm mute rule on the alarm, with this status and type.
fn mute_rule(s: &mut AccountState, status: &str, mute_type: &str) {
    let rules = s.mute_rules.values_mut().next().unwrap().as_mut().unwrap();
    rules.push(MuteRule {
        name: "quiet-hours".into(),
        arn: format!("arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm-mute-rule:quiet-hours"),
        status: status.into(),
        mute_type: mute_type.into(),
        expression: Some(
            if mute_type == "RECURRING" {
                "cron(0 22 * * ? *)"
            } else {
                "at(2027-01-01T00:00)"
            }
            .into(),
        ),
        duration: Some("PT8H".into()),
        timezone: Some("UTC".into()),
        expire_date: None,
        targets: vec!["IAMAuthorizationActivityAlarm".into()],
    });
}

fn compliant() -> AccountState {
    compliant_in("us-east-1", "us-east-1")
}

fn trail(s: &mut AccountState) -> &mut Trail {
    &mut s.trails.as_mut().unwrap()[0]
}
fn filters(s: &mut AccountState) -> &mut Vec<MetricFilter> {
    s.log_groups.values_mut().next().unwrap().filters.as_mut().unwrap()
}
/// Replaces the filter's pattern; its coverage is evaluated anew, as collect does.
fn set_pattern(s: &mut AccountState, pattern: &str) {
    let f = &mut filters(s)[0];
    *f = MetricFilter::new(f.name.clone(), pattern.into(), f.transformations.clone());
}
fn alarms(s: &mut AccountState) -> &mut Vec<Alarm> {
    s.alarms.values_mut().next().unwrap().as_mut().unwrap()
}
fn first_alarm(s: &mut AccountState) -> &mut Alarm {
    &mut alarms(s)[0]
}
fn topic(s: &mut AccountState) -> &mut Topic {
    s.topics.values_mut().next().unwrap().as_mut().unwrap()
}

/// The only alarm on the metric is a metric math alarm, FILL(m1, 0) >= 1.
fn math_alarm_only(s: &mut AccountState) {
    let mut math = alarms(s).remove(0);
    math.name = "iam-math".into();
    math.statistic = None;
    math.metrics = vec![
        MetricQuery {
            id: "m1".into(),
            metric: Some(MetricStat {
                namespace: "CloudTrailMetrics".into(),
                name: "IAMPolicyEventCount".into(),
                stat: "Sum".into(),
                period: Some(300),
                ..MetricStat::default()
            }),
            return_data: Some(false),
            ..MetricQuery::default()
        },
        MetricQuery {
            id: "e1".into(),
            expression: Some("FILL(m1, 0)".into()),
            return_data: Some(true),
            ..MetricQuery::default()
        },
    ];
    s.math_alarms.insert("us-east-1".into(), Ok(vec![math]));
}

/// The alarm loses its SNS action; a composite alarm with `rule` notifies the topic.
fn composite_over(s: &mut AccountState, rule: &str, actions_enabled: bool) {
    first_alarm(s).alarm_actions.clear();
    s.composites.insert(
        ("us-east-1".into(), "IAMAuthorizationActivityAlarm".into()),
        Ok(vec![CompositeAlarm {
            name: "any-iam-change".into(),
            arn: format!("arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:any-iam-change"),
            description: None,
            rule: rule.into(),
            actions_enabled,
            alarm_actions: vec![topic_arn("us-east-1").to_string()],
            actions_suppressor: None,
            notification_configured: false,
        }]),
    );
}

/// The filter replaced by one filter per IAM policy event (but `leave_out`), all
/// publishing the same metric, as a large platform writes it.
fn one_filter_per_event(s: &mut AccountState, leave_out: Option<&str>) {
    let per_event: Vec<MetricFilter> = crate::rule::default_rule()
        .events()
        .iter()
        .filter(|e| Some(**e) != leave_out)
        .map(|e| {
            MetricFilter::new(
                format!("iam-{e}"),
                format!("{{ $.eventName = {e} }}"),
                vec![transformation()],
            )
        })
        .collect();
    *filters(s) = per_event;
}

/// The filter emits `@aws.account` as a dimension: the alarms are read for the metric
/// with that dimension (collect asks DescribeAlarmsForMetric with it).
fn system_dimension(s: &mut AccountState) {
    filters(s)[0].system_dimensions = vec!["@aws.account".into()];
    let (mut key, alarms) = s.alarms.pop_first().unwrap();
    key.dimensions.insert("@aws.account".into(), ACCOUNT.into());
    s.alarms.insert(key, alarms);
}

/// A second filter on the alarm's metric, with `pattern`.
fn second_filter(s: &mut AccountState, pattern: &str, unit: Option<&str>) {
    let mut t = transformation();
    t.unit = unit.map(String::from);
    filters(s).push(MetricFilter::new("extra".into(), pattern.into(), vec![t]));
}

/// The only subscription gets a filter policy (in `scope`; None: SNS's default).
fn filter_policy(s: &mut AccountState, scope: Option<&str>, policy: &str) {
    let attributes = topic(s).subscriptions[0].attributes.as_mut().unwrap().as_mut().unwrap();
    attributes.filter_policy = Some(policy.into());
    attributes.filter_policy_scope = scope.map(String::from);
}

/// A second confirmed subscription, read with `attributes`.
fn second_subscription(s: &mut AccountState, attributes: Read<SubscriptionAttributes>) {
    topic(s).subscriptions.push(Subscription {
        arn: format!("arn:aws:sns:us-east-1:{ACCOUNT}:alarms:77aa"),
        protocol: "sqs".into(),
        endpoint: format!("arn:aws:sqs:us-east-1:{ACCOUNT}:pager"),
        attributes: Some(attributes),
    });
}

const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn encrypted(s: &mut AccountState, manager: &str, policy: &str) {
    topic(s).kms_key_id = Some(KMS_KEY.into());
    s.keys.insert(
        ("us-east-1".into(), KMS_KEY.into()),
        Ok(Key {
            arn: KMS_KEY.into(),
            manager: manager.into(),
            enabled: true,
            policy: Ok(policy.into()),
            unusable: None,
        }),
    );
}

const CLOUDWATCH_KEY_POLICY: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}"#;
const ROOT_ONLY_KEY_POLICY: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}"#;

use LinkStatus::{Error as E, Fail as F, NotReached as N, Pass as P};

type Case = (&'static str, fn(&mut AccountState), [LinkStatus; 4], &'static str);

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        ("compliant", |_| {}, [P, P, P, P], "1 confirmed subscription(s): email s***@example.com"),
        // trail
        ("single region", |s| trail(s).multi_region = false, [F, P, P, P], "single-region"),
        ("not logging", |s| trail(s).status = Some(Ok(TrailStatus { is_logging: false, latest_cloudwatch_logs_delivery_error: None })), [F, P, P, P], "is not logging"),
        ("delivery error", |s| trail(s).status = Some(Ok(TrailStatus { is_logging: true, latest_cloudwatch_logs_delivery_error: Some("AccessDenied".into()) })), [F, P, P, P], "delivery error: AccessDenied"),
        ("write-only selectors", |s| trail(s).selectors = Some(Ok(Selectors::Basic(vec![BasicSelector { read_write_type: Some("WriteOnly".into()), include_management_events: Some(true), exclude_management_event_sources: vec![] }]))), [F, P, P, P], "WriteOnly"),
        ("data events only", |s| trail(s).selectors = Some(Ok(Selectors::Basic(vec![BasicSelector { read_write_type: Some("All".into()), include_management_events: Some(false), exclude_management_event_sources: vec![] }]))), [F, P, P, P], "data events only"),
        ("advanced selectors, writes only", |s| trail(s).selectors = Some(Ok(Selectors::Advanced(vec![AdvancedSelector { name: None, fields: vec![
            FieldSelector { field: "eventCategory".into(), equals: vec!["Management".into()], ..FieldSelector::default() },
            FieldSelector { field: "readOnly".into(), equals: vec!["false".into()], ..FieldSelector::default() }] }]))), [F, P, P, P], "advanced event selector"),
        ("advanced selectors, all management", |s| trail(s).selectors = Some(Ok(Selectors::Advanced(vec![AdvancedSelector { name: Some("mgmt".into()), fields: vec![
            FieldSelector { field: "eventCategory".into(), equals: vec!["Management".into()], ..FieldSelector::default() }] }]))), [P, P, P, P], "confirmed"),
        ("no log group", |s| trail(s).log_group_arn = None, [F, N, N, N], "does not deliver to CloudWatch Logs"),
        ("malformed log group arn", |s| trail(s).log_group_arn = Some("arn:aws:s3:::bucket".into()), [F, N, N, N], "malformed CloudWatchLogsLogGroupArn"),
        ("log group deleted", |s| s.log_groups.values_mut().next().unwrap().exists = Ok(false), [F, N, N, N], "does not exist"),
        ("trail status unreadable", |s| trail(s).status = Some(Err(aws_error("cloudtrail:GetTrailStatus"))), [E, P, P, P], "cloudtrail:GetTrailStatus"),
        // metric filter
        ("no filter", |s| filters(s).clear(), [P, F, N, N], "has no metric filters"),
        ("filter misses an event", |s| set_pattern(s, &cis().replace("($.eventName = DeletePolicy) || ", "")), [P, F, N, N], "misses 1 of 16 IAM policy events (DeletePolicy)"),
        // conditions on fields the corpus holds constant are varied from the pattern itself
        ("filter narrowed by one role's name", |s| set_pattern(s, &format!("{{ ({}) && ($.userIdentity.sessionContext.sessionIssuer.userName != \"ModernisationPlatformAccess\") }}", cis().trim_matches(|c| c == '{' || c == '}' || c == ' '))), [P, F, N, N], "drops the IAM policy events made with $.userIdentity.sessionContext.sessionIssuer.userName = \"ModernisationPlatformAccess\""),
        ("filter narrowed by a source address", |s| set_pattern(s, &format!("{{ ({}) && ($.sourceIPAddress != \"10.1.2.3\") }}", cis().trim_matches(|c| c == '{' || c == '}' || c == ' '))), [P, F, N, N], "by its condition $.sourceIPAddress != \"10.1.2.3\""),
        ("filter joined with &&", |s| set_pattern(s, "{ ($.eventName = CreatePolicy) && ($.eventName = DeletePolicy) }"), [P, F, N, N], "misses 16 of 16"),
        ("filter unparseable", |s| set_pattern(s, "{ ($.eventName = CreatePolicy) "), [P, F, N, N], "invalid filter pattern at position"),
        // A filter that also matches what every account logs all the time publishes in quiet periods.
        ("empty pattern: every event", |s| set_pattern(s, ""), [P, P, F, N], "rests in ALARM and a new event sends nothing"),
        ("every event name", |s| set_pattern(s, r#"{ $.eventName = "*" }"#), [P, P, F, N], "the filter also counts routine events (sts:AssumeRole by lambda.amazonaws.com"),
        ("the cis() pattern or every event version", |s| set_pattern(s, &cis().replace(" }", " || ($.eventVersion = *) }")), [P, P, F, N], "breaches with no matching event"),
        // the filter's system fields: selection criteria, system dimensions, transformed logs
        ("selection criteria that selects this account and region", |s| filters(s)[0].selection_criteria = Some(format!(r#"@aws.account = "{ACCOUNT}" AND @aws.region IN ["us-east-1", "eu-west-1"]"#)), [P, P, P, P], "covers all 16"),
        ("selection criteria that selects another account", |s| filters(s)[0].selection_criteria = Some(r#"@aws.account = "111111111111""#.into()), [P, F, N, N], "selects only events whose system fields pass @aws.account = \"111111111111\", and this trail's events (account 123456789012, region us-east-1) do not"),
        ("selection criteria by account on an organization trail", |s| { trail(s).organization = true; filters(s)[0].selection_criteria = Some(format!(r#"@aws.account = "{ACCOUNT}""#)); }, [P, F, N, N], "the organization's accounts' events cannot be proven to pass it"),
        ("selection criteria by region on an organization trail", |s| { trail(s).organization = true; filters(s)[0].selection_criteria = Some(r#"@aws.region = "us-east-1""#.into()); }, [P, P, P, P], "covers all 16"),
        ("selection criteria not evaluated", |s| filters(s)[0].selection_criteria = Some(r#"@aws.logGroup = "x""#.into()), [P, F, N, N], "what it selects cannot be proven"),
        ("a filter on transformed logs, its transformer not read", |s| filters(s)[0].on_transformed_logs = true, [P, F, N, N], "applyOnTransformedLogs"),
        ("a filter on transformed logs, judged on the transformer's output", |s| { let renamed = [crate::transformer::Processor::RenameKeys(vec![("eventName".into(), "event".into(), false)])]; let f = MetricFilter::new("renamed".into(), cis().replace("$.eventName", "$.event"), vec![transformation()]).on_transformed(Ok(&renamed)); filters(s)[0] = f; }, [P, P, P, P], "covers all 16"),
        ("a filter on transformed logs, a processor not evaluated", |s| { let f = MetricFilter::new("grokked".into(), cis().into(), vec![transformation()]).on_transformed(Ok(&[crate::transformer::Processor::Other("grok".into())])); filters(s)[0] = f; }, [P, F, N, N], "the processor grok is not evaluated"),
        ("system dimensions the alarm does not name", system_dimension, [P, P, F, N], "watches dimensions [] but the filter publishes [@aws.account]"),
        ("system dimensions the alarm names", |s| { system_dimension(s); first_alarm(s).dimensions.insert("@aws.account".into(), ACCOUNT.into()); }, [P, P, P, P], "fires on a single"),
        ("system dimensions on an organization trail: one account's alarm", |s| { trail(s).organization = true; system_dimension(s); first_alarm(s).dimensions.insert("@aws.account".into(), ACCOUNT.into()); }, [P, P, F, N], "watches only @aws.account=123456789012"),
        ("a log group of the Infrequent Access class", |s| { let g = s.log_groups.values_mut().next().unwrap(); g.filters = Ok(Vec::new()); g.class = Some("INFREQUENT_ACCESS".into()); }, [P, F, N, N], "is of class INFREQUENT_ACCESS, which supports no metric filters"),
        // several filters publishing one metric are one source
        ("one filter per event, one metric", |s| one_filter_per_event(s, None), [P, P, P, P], "the 16 metric filters \"iam-DeleteGroupPolicy\""),
        ("one filter per event, one metric: the alarm counts each once", |s| one_filter_per_event(s, None), [P, P, P, P], "Sum of the period = 1 (one event, value 1) >= 1"),
        ("one filter per event, one left out", |s| one_filter_per_event(s, Some("DetachGroupPolicy")), [P, F, N, N], "publishing CloudTrailMetrics/IAMPolicyEventCount together miss 1 of 16 IAM policy events (DetachGroupPolicy)"),
        ("a second filter on the metric counts CreatePolicy twice", |s| second_filter(s, "{ $.eventName = CreatePolicy }", None), [P, P, P, P], "the 2 metric filters \"IAMAuthConfigChanges\", \"extra\" publishing CloudTrailMetrics/IAMPolicyEventCount together"),
        ("a second filter on the metric counts CreatePolicy twice: an alarm that needs exactly one", |s| { second_filter(s, "{ $.eventName = CreatePolicy }", None); let a = first_alarm(s); a.comparison_operator = Some("LessThanThreshold".into()); a.threshold = Some(1.5); a.treat_missing_data = Some("notBreaching".into()); }, [P, P, F, N], "published by 2 filters) < 1.5 is false"),
        ("a second filter on the metric also counts routine events", |s| second_filter(s, "{ $.eventSource = kms.amazonaws.com }", None), [P, P, F, N], "rests in ALARM"),
        ("a second filter on the metric, narrowed, still counts CreatePolicy twice", |s| { second_filter(s, r#"{ $.eventName = CreatePolicy && $.sourceIPAddress != "10.1.2.3" }"#, None); let a = first_alarm(s); a.comparison_operator = Some("LessThanThreshold".into()); a.threshold = Some(1.5); a.treat_missing_data = Some("notBreaching".into()); }, [P, P, F, N], "published by 2 filters) < 1.5 is false"),
        ("a second filter on the metric emitting a system dimension is another metric", |s| { second_filter(s, "{ $.eventName = CreatePolicy }", None); filters(s)[1].system_dimensions = vec!["@aws.account".into()]; first_alarm(s).dimensions.insert("@aws.account".into(), ACCOUNT.into()); }, [P, P, F, N], "watches dimensions [@aws.account] but the filter publishes []"),
        ("a filter on transformed logs publishing the same metric", |s| { second_filter(s, "{ $.eventName = CreatePolicy }", None); filters(s)[1].on_transformed_logs = true; }, [P, F, N, N], "\"extra\" also publishes CloudTrailMetrics/IAMPolicyEventCount, and what it counts is not evaluated"),
        ("filters on one metric with different units", |s| { one_filter_per_event(s, None); filters(s)[0].transformations[0].unit = Some("Count".into()); }, [P, F, N, N], "with different units or default values"),
        ("a pattern that also counts IAM reads, no routine event", |s| set_pattern(s, "{ $.eventName = *Policy* }"), [P, P, P, P], "it also counts other events: iam:GetRolePolicy by AWS Config"),
        ("every event, on a metric no quiet period breaches", |s| { set_pattern(s, ""); first_alarm(s).threshold = Some(1e12); }, [P, P, F, N], "depends on how many of those the period holds"),
        ("filters unreadable", |s| s.log_groups.values_mut().next().unwrap().filters = Err(aws_error("logs:DescribeMetricFilters")), [P, E, N, N], "logs:DescribeMetricFilters"),
        // alarm
        ("no alarm", |s| alarms(s).clear(), [P, P, F, N], "no alarm on metric CloudTrailMetrics/IAMPolicyEventCount in us-east-1"),
        ("no alarm: its reason code", |s| alarms(s).clear(), [P, P, F, N], "CLOUDWATCH_ALARMS_NOT_PRESENT"),
        ("an alarm that does not fire: its reason code", |s| first_alarm(s).threshold = Some(2.0), [P, P, F, N], "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID"),
        ("alarm unreadable", |s| *s.alarms.values_mut().next().unwrap() = Err(aws_error("cloudwatch:DescribeAlarmsForMetric")), [P, P, E, N], "cloudwatch:DescribeAlarmsForMetric"),
        // Judged by the alarm model: one sample, so every statistic reads the event (a list of accepted statistics wrongly failed these).
        ("average statistic", |s| first_alarm(s).statistic = Some("Average".into()), [P, P, P, P], "Average of the period = 1 (one event, value 1) >= 1"),
        ("percentile statistic", |s| { let a = first_alarm(s); a.statistic = None; a.extended_statistic = Some("p99".into()); }, [P, P, P, P], "p99 of the period = 1"),
        ("maximum statistic", |s| first_alarm(s).statistic = Some("Maximum".into()), [P, P, P, P], "Maximum of the period = 1"),
        ("a unit the filter does not publish", |s| first_alarm(s).unit = Some("Count".into()), [P, P, F, N], "asks for unit Count, but the filter publishes the metric with unit None"),
        ("average, with defaultValue 0", |s| { first_alarm(s).statistic = Some("Average".into()); filters(s)[0].transformations[0].default_value = Some(0.0); }, [P, P, F, N], "does not fire on one event"),
        ("anomaly detection band", |s| { let a = first_alarm(s); a.comparison_operator = Some("GreaterThanUpperThreshold".into()); a.threshold_metric_id = Some("ad1".into()); }, [P, P, F, N], "cannot prove it fires on one event"),
        ("a metric math alarm with FILL", math_alarm_only, [P, P, P, P], "e1 (FILL(m1, 0)) = 1"),
        ("math alarms unreadable", |s| { alarms(s).clear(); s.math_alarms.insert("us-east-1".into(), Err(aws_error("cloudwatch:DescribeAlarms"))); }, [P, P, E, N], "cloudwatch:DescribeAlarms"),
        // The alarm read does not fire; one that could not be read might: ERROR, not FAIL.
        ("math alarms unreadable beside one that does not fire", |s| { first_alarm(s).threshold = Some(5.0); s.math_alarms.insert("us-east-1".into(), Err(aws_error("cloudwatch:DescribeAlarms"))); }, [P, P, E, N], "of what was read: alarm"),
        ("no SNS action, a composite notifies", |s| composite_over(s, "ALARM(IAMAuthorizationActivityAlarm) AND NOT ALARM(maintenance)", true), [P, P, P, P], "arn:aws:cloudwatch:us-east-1:123456789012:alarm:any-iam-change"),
        ("no SNS action, the composite needs another alarm", |s| composite_over(s, "ALARM(IAMAuthorizationActivityAlarm) AND ALARM(other)", true), [P, P, F, N], "is not in ALARM when only this alarm is"),
        ("no SNS action, the composite's actions disabled", |s| composite_over(s, "ALARM(IAMAuthorizationActivityAlarm)", false), [P, P, F, N], "actions disabled"),
        ("no SNS action, composites unreadable", |s| { first_alarm(s).alarm_actions.clear(); s.composites.insert(("us-east-1".into(), "IAMAuthorizationActivityAlarm".into()), Err(aws_error("cloudwatch:DescribeAlarms"))); }, [P, P, E, N], "cloudwatch:DescribeAlarms"),
        ("threshold 2", |s| first_alarm(s).threshold = Some(2.0), [P, P, F, N], "does not fire on one event"),
        ("greater than 1", |s| first_alarm(s).comparison_operator = Some("GreaterThanThreshold".into()), [P, P, F, N], "does not fire on one event"),
        ("less than", |s| first_alarm(s).comparison_operator = Some("LessThanThreshold".into()), [P, P, F, N], "does not fire on one event"),
        ("sample count > 0 fires", |s| { let a = first_alarm(s); a.statistic = Some("SampleCount".into()); a.threshold = Some(0.0); a.comparison_operator = Some("GreaterThanThreshold".into()); }, [P, P, P, P], "fires on a single"),
        ("two of three datapoints", |s| { let a = first_alarm(s); a.evaluation_periods = Some(3); a.datapoints_to_alarm = Some(2); }, [P, P, F, N], "needs 2 breaching periods"),
        ("missing data breaching", |s| first_alarm(s).treat_missing_data = Some("breaching".into()), [P, P, F, N], "missing data as breaching"),
        ("actions disabled", |s| first_alarm(s).actions_enabled = false, [P, P, F, N], "actions disabled"),
        ("no sns action", |s| first_alarm(s).alarm_actions = vec!["arn:aws:automate:us-east-1:ec2:stop".into()], [P, P, F, N], "no SNS topic"),
        ("topic in another region", |s| first_alarm(s).alarm_actions = vec![topic_arn("eu-west-1").to_string()], [P, P, F, N], "only notifies topics in the alarm's region"),
        ("alarm watches a dimension", |s| { first_alarm(s).dimensions.insert("user".into(), "alice".into()); }, [P, P, F, N], "watches dimensions [user]"),
        ("metric value from the event", |s| filters(s)[0].transformations[0].value = "$.count".into(), [P, P, F, N], "which 16 of the 16 IAM policy events do not carry as a number"),
        // notification
        ("no subscription", |s| topic(s).subscriptions.clear(), [P, P, P, F], "SNS_SUBSCRIPTION_NOT_PRESENT"),
        ("pending only", |s| topic(s).subscriptions[0].arn = "PendingConfirmation".into(), [P, P, P, F], "pending confirmation"),
        ("aws/sns key", |s| topic(s).kms_key_id = Some("alias/aws/sns".into()), [P, P, P, F], "AWS-managed key aws/sns"),
        ("aws-managed key by id", |s| encrypted(s, "AWS", CLOUDWATCH_KEY_POLICY), [P, P, P, F], "AWS-managed key aws/sns"),
        ("customer key for cloudwatch", |s| encrypted(s, "CUSTOMER", CLOUDWATCH_KEY_POLICY), [P, P, P, P], "KMS key lets CloudWatch publish"),
        ("customer key for this account's alarms (SourceAccount, SourceArn)", |s| encrypted(s, "CUSTOMER", &CLOUDWATCH_KEY_POLICY.replace(r#""Resource":"*"}]}"#, r#""Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}}}]}"#)), [P, P, P, P], "KMS key lets CloudWatch publish"),
        ("customer key for another region's alarms", |s| encrypted(s, "CUSTOMER", &CLOUDWATCH_KEY_POLICY.replace(r#""Resource":"*"}]}"#, r#""Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"}}}]}"#)), [P, P, P, F], "does not let cloudwatch.amazonaws.com use kms:Decrypt"),
        // What DisableKey or ScheduleKeyDeletion of the stack's key leaves (docs/tamper-detection.md, the key).
        ("customer key disabled", |s| { encrypted(s, "CUSTOMER", CLOUDWATCH_KEY_POLICY); s.keys.values_mut().next().unwrap().as_mut().unwrap().enabled = false; }, [P, P, P, F], "is not enabled"),
        ("customer key in an unavailable custom key store", |s| { encrypted(s, "CUSTOMER", CLOUDWATCH_KEY_POLICY); s.keys.values_mut().next().unwrap().as_mut().unwrap().unusable = Some("its state is Unavailable".into()); }, [P, P, P, F], "SNS cannot encrypt with its KMS key"),
        ("customer key without cloudwatch", |s| encrypted(s, "CUSTOMER", ROOT_ONLY_KEY_POLICY), [P, P, P, F], "does not let cloudwatch.amazonaws.com use kms:Decrypt"),
        ("key policy unreadable", |s| { encrypted(s, "CUSTOMER", ""); s.keys.values_mut().next().unwrap().as_mut().unwrap().policy = Err(aws_error("kms:GetKeyPolicy")); }, [P, P, P, E], "kms:GetKeyPolicy"),
        ("topic policy denies", |s| topic(s).policy = Some(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*"}]}"#.into()), [P, P, P, F], "denies CloudWatch sns:Publish"),
        ("a topic of another account, not readable", |s| { let other: TopicArn = "arn:aws:sns:us-east-1:999999999999:central".parse().unwrap(); first_alarm(s).alarm_actions = vec![other.to_string()]; s.topics.insert(other, Err(AwsError { operation: "sns:GetTopicAttributes".into(), resource: "central".into(), message: "AuthorizationError: not authorized".into(), retryable: false })); }, [P, P, P, LinkStatus::External], "is in account 999999999999, which does not let this account read it"),
        ("a topic of another account, throttled", |s| { let other: TopicArn = "arn:aws:sns:us-east-1:999999999999:central".parse().unwrap(); first_alarm(s).alarm_actions = vec![other.to_string()]; s.topics.insert(other, Err(aws_error("sns:GetTopicAttributes"))); }, [P, P, P, E], "sns:GetTopicAttributes"),
        ("topic unreadable", |s| *s.topics.values_mut().next().unwrap() = Err(aws_error("sns:GetTopicAttributes")), [P, P, P, E], "sns:GetTopicAttributes"),
        // alarm mute rules
        ("a mute rule active now", |s| mute_rule(s, "ACTIVE", "ONE_TIME"), [P, P, P, F], "alarm IAMAuthorizationActivityAlarm's actions are muted now by alarm mute rule \"quiet-hours\" (ACTIVE ONE_TIME, schedule at(2027-01-01T00:00) for PT8H (UTC))"),
        ("a recurring mute rule", |s| mute_rule(s, "SCHEDULED", "RECURRING"), [P, P, P, F], "muted on a recurring schedule by alarm mute rule \"quiet-hours\" (SCHEDULED RECURRING, schedule cron(0 22 * * ? *) for PT8H (UTC))"),
        ("a recurring mute rule: the fix", |s| mute_rule(s, "SCHEDULED", "RECURRING"), [P, P, P, F], "delete-alarm-mute-rule"),
        ("a one-time window to come", |s| mute_rule(s, "SCHEDULED", "ONE_TIME"), [P, P, P, P], "note: alarm IAMAuthorizationActivityAlarm will be muted by the one-time alarm mute rule \"quiet-hours\""),
        ("an expired mute rule", |s| mute_rule(s, "EXPIRED", "RECURRING"), [P, P, P, P], "1 confirmed subscription(s)"),
        ("a mute rule active on another alarm", |s| { mute_rule(s, "ACTIVE", "ONE_TIME"); s.mute_rules.values_mut().next().unwrap().as_mut().unwrap()[0].targets = vec!["other".into()]; }, [P, P, P, P], "1 confirmed subscription(s)"),
        ("a mute rule of a status not evaluated", |s| mute_rule(s, "PAUSED", "RECURRING"), [P, P, P, F], "whose status or type this audit does not evaluate"),
        ("a live mute rule whose targets were not read", |s| { mute_rule(s, "ACTIVE", "ONE_TIME"); s.mute_rules.values_mut().next().unwrap().as_mut().unwrap()[0].targets.clear(); }, [P, P, P, F], "names no target this audit could read"),
        ("mute rules unreadable", |s| *s.mute_rules.values_mut().next().unwrap() = Err(aws_error("cloudwatch:ListAlarmMuteRules")), [P, P, P, E], "cloudwatch:ListAlarmMuteRules"),
        ("a mute rule on the composite that notifies", |s| { composite_over(s, "ALARM(IAMAuthorizationActivityAlarm)", true); s.mute_rules.get_mut("us-east-1").unwrap().as_mut().unwrap().push(MuteRule { name: "freeze".into(), status: "ACTIVE".into(), mute_type: "ONE_TIME".into(), targets: vec!["any-iam-change".into()], ..MuteRule::default() }); }, [P, P, P, F], "alarm any-iam-change's actions are muted now"),
        // subscription filter policies, judged against the notification CloudWatch sends
        ("filter policy on message attributes (the notification has none)", |s| filter_policy(s, None, r#"{"severity": ["high"]}"#), [P, P, P, F], "does not receive it: its filter policy (MessageAttributes)"),
        ("filter policy on the body: another alarm-name prefix", |s| filter_policy(s, Some("MessageBody"), r#"{"AlarmName": [{"prefix": "prod-"}]}"#), [P, P, P, F], "none of its 1 confirmed subscription(s) would receive this alarm's notification"),
        ("filter policy on the body: another metric", |s| filter_policy(s, Some("MessageBody"), r#"{"Trigger": {"MetricName": ["Other"]}}"#), [P, P, P, F], "SNS_SUBSCRIPTION_NOT_PRESENT"),
        ("filter policy on the body that lets this alarm through", |s| filter_policy(s, Some("MessageBody"), r#"{"NewStateValue": ["ALARM"], "Trigger": {"MetricName": ["IAMPolicyEventCount"]}}"#), [P, P, P, P], "receives it through its filter policy (MessageBody)"),
        ("filter policy on a field that varies per notification", |s| filter_policy(s, Some("MessageBody"), r#"{"OldStateValue": ["OK"]}"#), [P, P, P, F], "tests OldStateValue, which CloudWatch sets anew in each notification"),
        ("filter policy on a field the model does not know", |s| filter_policy(s, Some("MessageBody"), r#"{"AlarmTags": {"team": ["sec"]}}"#), [P, P, P, F], "cannot be proven to receive it"),
        ("filter policy with an operator the model does not know", |s| filter_policy(s, Some("MessageBody"), r#"{"AlarmName": [{"regex": ".*"}]}"#), [P, P, P, F], "cannot be proven to receive it"),
        ("a filter policy, and an ActionConfiguration that changes the notification", |s| { filter_policy(s, Some("MessageBody"), r#"{"NewStateValue": ["ALARM"]}"#); first_alarm(s).notification_configured = true; }, [P, P, P, F], "ActionConfiguration changes its notification's content"),
        ("no filter policy, and an ActionConfiguration", |s| first_alarm(s).notification_configured = true, [P, P, P, P], "1 confirmed subscription(s)"),
        ("a filtered subscription, and another that takes everything", |s| { filter_policy(s, None, r#"{"severity": ["high"]}"#); second_subscription(s, Ok(SubscriptionAttributes::default())); }, [P, P, P, P], "2 confirmed subscription(s)"),
        ("a filtered subscription, and another unreadable", |s| { filter_policy(s, None, r#"{"severity": ["high"]}"#); second_subscription(s, Err(aws_error("sns:GetSubscriptionAttributes"))); }, [P, P, P, E], "sns:GetSubscriptionAttributes"),
        ("an unreadable subscription, and another that takes everything", |s| { *topic(s).subscriptions[0].attributes.as_mut().unwrap() = Err(aws_error("sns:GetSubscriptionAttributes")); second_subscription(s, Ok(SubscriptionAttributes::default())); }, [P, P, P, P], "2 confirmed subscription(s)"),
        // topic and subscription attributes: known, judged, or not known (cannot prove)
        ("a FIFO topic", |s| { topic(s).other_attributes.insert("FifoTopic".into(), "true".into()); }, [P, P, P, F], "is a FIFO topic"),
        ("a topic attribute this audit does not know", |s| { topic(s).other_attributes.insert("QuantumDelivery".into(), "on".into()); }, [P, P, P, F], "has the attribute QuantumDelivery, which this audit does not know"),
        ("a tiny MaximumMessageSize", |s| { topic(s).other_attributes.insert("MaximumMessageSize".into(), "1024".into()); }, [P, P, P, F], "its MaximumMessageSize is 1024"),
        ("a known topic attribute", |s| { topic(s).other_attributes.insert("TracingConfig".into(), "Active".into()); }, [P, P, P, P], "1 confirmed subscription(s)"),
        ("a subscription with an attribute this audit does not know", |s| { topic(s).subscriptions[0].attributes.as_mut().unwrap().as_mut().unwrap().other_attributes.insert("SubscriptionRoleArn".into(), "arn:aws:iam::123456789012:role/firehose".into()); }, [P, P, P, F], "it has the attribute SubscriptionRoleArn, which this audit does not know"),
        ("a subscription with an attribute this audit does not know, and another that takes everything", |s| { topic(s).subscriptions[0].attributes.as_mut().unwrap().as_mut().unwrap().other_attributes.insert("SubscriptionRoleArn".into(), "r".into()); second_subscription(s, Ok(SubscriptionAttributes::default())); }, [P, P, P, P], "2 confirmed subscription(s)"),
        ("listed as confirmed, its attributes say pending", |s| topic(s).subscriptions[0].attributes.as_mut().unwrap().as_mut().unwrap().pending_confirmation = true, [P, P, P, F], "is pending confirmation"),
    ]
}

#[test]
fn each_way_a_link_breaks() {
    for (name, breaks, expected, says) in cases() {
        let mut state = compliant();
        breaks(&mut state);
        let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
        let trail = &findings.trails[0];
        let statuses = trail.links.all().map(|(_, l)| l.status);
        assert_eq!(statuses, expected, "{name}: {trail:#?}");
        let text: String = trail
            .links
            .all()
            .iter()
            .map(|(_, l)| {
                format!(
                    "{} {} {} ",
                    l.detail,
                    l.fix.as_deref().unwrap_or(""),
                    l.reason_code.unwrap_or("")
                )
            })
            .collect();
        assert!(text.contains(says), "{name}: expected {says:?} in {text}");
        let account = if expected.iter().all(|s| *s == P) {
            Status::Pass
        } else if expected.contains(&F) || expected.contains(&LinkStatus::External) {
            // A chain that goes on in another account is not proven here: FAIL, not ERROR.
            Status::Fail
        } else {
            Status::Error
        };
        assert_eq!(findings.status, account, "{name}");
        // Every FAIL carries Security Hub's reason code, and only a FAIL (or a topic of
        // another account) does.
        for (link_name, link) in trail.links.all() {
            let cross_account = link_name == "notification" && link.status == LinkStatus::External;
            assert_eq!(
                link.reason_code.is_some(),
                link.status == F || cross_account,
                "{name}: {link_name}"
            );
        }
        for (_, link) in trail.links.all() {
            assert_eq!(
                link.fix.is_some(),
                link.status == F,
                "{name}: a FAIL, and only a FAIL, says what would fix it"
            );
        }
    }
}

#[test]
fn trail_home_region_differs_from_the_function_region() {
    let findings = check_iam(&compliant_in("eu-west-1", "eu-west-1"), &Names::default());
    assert_eq!(findings.status, Status::Pass);
    assert_eq!(findings.region, "us-east-1");
    assert_eq!(findings.trails[0].home_region, "eu-west-1");
    assert!(findings.trails[0].links.alarm.resources[0].contains(":eu-west-1:"));
}

#[test]
fn log_group_in_another_region_than_the_trail() {
    let findings = check_iam(&compliant_in("us-east-1", "ap-southeast-2"), &Names::default());
    assert_eq!(findings.status, Status::Pass, "{findings:#?}");
}

#[test]
fn one_passing_trail_is_enough() {
    let mut state = compliant();
    let mut broken = trail(&mut state).clone();
    broken.arn = broken.arn.replace("/main", "/other");
    broken.name = "other".into();
    broken.log_group_arn = None;
    state.trails.as_mut().unwrap().insert(0, broken);
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    assert_eq!(findings.status, Status::Pass);
    assert_eq!(findings.trails[0].status, LinkStatus::Fail);
}

#[test]
fn organization_trail_of_another_account_is_external_not_a_failure_of_this_one() {
    let mut state = compliant();
    let t = trail(&mut state);
    t.arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org".into();
    t.organization = true;
    t.log_group_arn = Some("arn:aws:logs:us-east-1:999999999999:log-group:org:*".into());
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    let links = findings.trails[0].links.all().map(|(_, l)| l.status);
    assert_eq!(links, [LinkStatus::External; 4]);
    assert!(findings.trails[0]
        .links
        .trail
        .detail
        .contains("run this audit in account 999999999999"));
    assert_eq!(findings.status, Status::Fail);
    assert!(findings.summary.contains("organization trails owned elsewhere"));
}

#[test]
fn unreadable_account_basics_are_an_error_never_a_pass() {
    let mut state = compliant();
    state.account_id = Err(aws_error("sts:GetCallerIdentity"));
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    assert_eq!(findings.status, Status::Error);
    assert!(
        findings
            .summary
            .contains("sts:GetCallerIdentity (Throttling: Rate exceeded)"),
        "{}",
        findings.summary
    );
    // The account is unknown, so no trail can be called another account's.
    assert_ne!(findings.trails[0].links.trail.status, LinkStatus::External);
    let mut state = compliant();
    state.trails = Err(aws_error("cloudtrail:DescribeTrails"));
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    assert_eq!(findings.status, Status::Error);
    assert_eq!(findings.errors[0].operation, "cloudtrail:DescribeTrails");
}

#[test]
fn no_trail_is_a_failure_that_says_what_to_create() {
    let mut state = compliant();
    state.trails = Ok(vec![]);
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    assert_eq!(findings.status, Status::Fail);
    assert!(findings.summary.contains("create a multi-region trail"));
}

#[test]
fn endpoints_are_masked() {
    use super::mask_endpoint;
    assert_eq!(mask_endpoint("email", "security@example.com"), "s***@example.com");
    assert_eq!(mask_endpoint("sms", "+15555550123"), "***23");
    assert_eq!(
        mask_endpoint("https", "https://hooks.example.com/T000/secret"),
        "https://hooks.example.com/***"
    );
}

/// A log group whose class takes no metric filters: the audit says so, and
/// remediation plans nothing there (its PutMetricFilter would fail) and says why.
#[test]
fn remediation_plans_nothing_on_a_log_group_that_takes_no_filters() {
    let mut state = compliant();
    let group = state.log_groups.values_mut().next().unwrap();
    group.filters = Ok(Vec::new());
    group.class = Some("INFREQUENT_ACCESS".into());
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    assert_eq!(findings.status, Status::Fail);
    let plan = crate::plan::plan(
        &findings,
        &state,
        &crate::settings::Settings::default(),
        crate::plan::Writer::Own,
    );
    assert!(plan.actions.is_empty(), "{plan:?}");
    assert!(
        plan.refused.iter().any(|r| r.contains("supports no metric filters")),
        "{:?}",
        plan.refused
    );
    // The same group of the Standard class gets the filter.
    state.log_groups.values_mut().next().unwrap().class = Some("STANDARD".into());
    let findings = check(&state, &[(crate::rule::default_rule(), Names::default())]);
    let plan = crate::plan::plan(
        &findings,
        &state,
        &crate::settings::Settings::default(),
        crate::plan::Writer::Own,
    );
    assert!(!plan.actions.is_empty(), "{plan:?}");
}
