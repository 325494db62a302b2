//! Every field of the SDK types the chain is read from, classified: evaluated, known not
//! to matter (one line why), or making its link "cannot prove" when set. The field
//! names come from the SDK type itself (its Debug output), so an SDK update that adds
//! a field fails here, naming it, instead of passing unseen: the next AWS feature is a
//! failing test, not a silent PASS.

use std::collections::BTreeSet;

/// What the audit does with a field.
#[derive(Clone, Copy, Debug)]
enum Class {
    /// Read into the state and judged (where).
    Evaluated(&'static str),
    /// Does not change whether the account is told (why).
    Irrelevant(&'static str),
    /// Set, it makes the link "cannot prove" (where).
    CannotProve(&'static str),
}

/// The field names of a value's Debug output, `Type { a: .., b: .. }`, at top level.
fn debug_fields(debug: &str) -> BTreeSet<String> {
    let inner = debug
        .split_once('{')
        .and_then(|(_, rest)| rest.rsplit_once('}'))
        .map(|(inner, _)| inner)
        .unwrap_or_default();
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    let mut parts = vec![String::new()];
    for c in inner.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().unwrap().push(c);
    }
    parts
        .iter()
        .filter_map(|p| p.split_once(':').map(|(name, _)| name.trim().to_string()))
        .filter(|n| !n.is_empty() && n != "_request_id")
        .collect()
}

fn assert_classified(type_name: &str, debug: String, table: &[(&str, Class)]) {
    let fields = debug_fields(&debug);
    let classified: BTreeSet<String> = table.iter().map(|(f, _)| f.to_string()).collect();
    let new: Vec<&String> = fields.difference(&classified).collect();
    let gone: Vec<&String> = classified.difference(&fields).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "{type_name}: fields not classified (a new AWS feature? evaluate it, say why it does not matter, or make it cannot prove): {new:?}; classified but no longer in the SDK: {gone:?}"
    );
    // Every class is a sentence, never empty.
    for (field, class) in table {
        let (Class::Evaluated(s) | Class::Irrelevant(s) | Class::CannotProve(s)) = class;
        assert!(!s.is_empty(), "{type_name}.{field}");
    }
}

use Class::{CannotProve as C, Evaluated as E, Irrelevant as I};

#[test]
fn trail() {
    assert_classified(
        "cloudtrail Trail",
        format!("{:?}", aws_sdk_cloudtrail::types::Trail::builder().build()),
        &[
            ("name", E("named in the report")),
            ("s3_bucket_name", I("S3 delivery; the chain reads CloudWatch Logs")),
            ("s3_key_prefix", I("S3 delivery")),
            ("sns_topic_name", I("the trail's own log-file notifications, not the alarm")),
            ("sns_topic_arn", I("the trail's own log-file notifications")),
            ("include_global_service_events", I("IAM events of a multi-region trail are logged in us-east-1 whatever it says (CloudTrail user guide)")),
            ("is_multi_region_trail", E("check/trail.rs")),
            ("home_region", E("the trail is read there")),
            ("trail_arn", E("identity; the owner account")),
            ("log_file_validation_enabled", I("S3 digest files")),
            ("cloud_watch_logs_log_group_arn", E("the log group of the chain")),
            ("cloud_watch_logs_role_arn", I("a broken role shows as the trail status's delivery error, which is evaluated")),
            ("kms_key_id", I("S3 log-file encryption")),
            ("has_custom_event_selectors", I("the selectors are read whatever it says")),
            ("has_insight_selectors", I("Insights events are not management events")),
            ("is_organization_trail", E("organization coverage")),
            ("recursive_logging", I("S3 data-event logging of the trail's own bucket")),
        ],
    );
}

#[test]
fn trail_status() {
    use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
    assert_classified(
        "cloudtrail GetTrailStatusOutput",
        format!("{:?}", GetTrailStatusOutput::builder().build()),
        &[
            ("is_logging", E("check/trail.rs")),
            ("latest_cloud_watch_logs_delivery_error", E("check/trail.rs")),
            (
                "latest_cloud_watch_logs_delivery_time",
                I("the error field says whether delivery fails"),
            ),
            ("latest_delivery_error", I("S3 delivery")),
            ("latest_notification_error", I("the trail's own SNS notifications")),
            ("latest_delivery_time", I("S3 delivery")),
            ("latest_notification_time", I("the trail's own SNS notifications")),
            ("start_logging_time", I("history; is_logging is the state")),
            ("stop_logging_time", I("history; is_logging is the state")),
            ("latest_digest_delivery_time", I("S3 digest files")),
            ("latest_digest_delivery_error", I("S3 digest files")),
            ("latest_delivery_attempt_time", I("S3 delivery")),
            (
                "latest_notification_attempt_time",
                I("the trail's own SNS notifications"),
            ),
            (
                "latest_notification_attempt_succeeded",
                I("the trail's own SNS notifications"),
            ),
            ("latest_delivery_attempt_succeeded", I("S3 delivery")),
            ("time_logging_started", I("history; is_logging is the state")),
            ("time_logging_stopped", I("history; is_logging is the state")),
        ],
    );
}

#[test]
fn event_selectors() {
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector, EventSelector};
    assert_classified(
        "cloudtrail EventSelector",
        format!("{:?}", EventSelector::builder().build()),
        &[
            ("read_write_type", E("check/trail.rs")),
            ("include_management_events", E("check/trail.rs")),
            (
                "data_resources",
                I("data events; IAM policy changes are management events"),
            ),
            ("exclude_management_event_sources", E("check/trail.rs")),
        ],
    );
    let field = AdvancedFieldSelector::builder().field("eventCategory").build().unwrap();
    assert_classified(
        "cloudtrail AdvancedFieldSelector",
        format!("{field:?}"),
        &[
            ("field", E("check/trail.rs")),
            ("equals", E("check/trail.rs")),
            ("starts_with", E("check/trail.rs")),
            ("ends_with", E("check/trail.rs")),
            ("not_equals", E("check/trail.rs")),
            ("not_starts_with", E("check/trail.rs")),
            ("not_ends_with", E("check/trail.rs")),
        ],
    );
    let selector = AdvancedEventSelector::builder().field_selectors(field).build().unwrap();
    assert_classified(
        "cloudtrail AdvancedEventSelector",
        format!("{selector:?}"),
        &[("name", I("a label")), ("field_selectors", E("check/trail.rs"))],
    );
}

#[test]
fn log_group_and_metric_filter() {
    use aws_sdk_cloudwatchlogs::types::{LogGroup, MetricFilter, MetricTransformation};
    assert_classified(
        "logs LogGroup",
        format!("{:?}", LogGroup::builder().build()),
        &[
            ("log_group_name", E("existence")),
            ("creation_time", I("history")),
            ("retention_in_days", I("how long events are kept, after metric filters ran on them")),
            ("metric_filter_count", I("the filters are read")),
            ("arn", I("the trail names the group")),
            ("stored_bytes", I("size")),
            ("kms_key_id", I("encryption at rest; metric filters run on ingested events")),
            ("data_protection_status", I("masks data identifiers (credentials, personal data); the rule's records are judged by event name and source, which are none")),
            ("inherited_properties", I("account-level data protection: as data_protection_status")),
            ("log_group_class", E("a class without metric filters fails the link")),
            ("log_group_arn", I("the trail names the group")),
            ("deletion_protection_enabled", I("protects the group; does not change delivery")),
            ("bearer_token_authentication_enabled", I("HTTP ingestion; CloudTrail delivers through the service")),
            ("retention_policy_name", I("retention, as retention_in_days")),
        ],
    );
    assert_classified(
        "logs MetricFilter",
        format!("{:?}", MetricFilter::builder().build()),
        &[
            ("filter_name", E("named in the report")),
            ("filter_pattern", E("evaluated over the rule's records")),
            (
                "metric_transformations",
                E("the metric, value, default, unit, dimensions"),
            ),
            ("creation_time", I("history")),
            ("log_group_name", I("read per group")),
            (
                "apply_on_transformed_logs",
                E("judged on the transformer's output (src/transformer.rs), or cannot prove"),
            ),
            (
                "field_selection_criteria",
                E("src/selection.rs, against the trail's events"),
            ),
            ("emit_system_field_dimensions", E("dimensions the alarm must name")),
        ],
    );
    let t = MetricTransformation::builder()
        .metric_name("m")
        .metric_namespace("n")
        .metric_value("1")
        .build()
        .unwrap();
    assert_classified(
        "logs MetricTransformation",
        format!("{t:?}"),
        &[
            ("metric_name", E("the alarm's metric")),
            ("metric_namespace", E("the alarm's metric")),
            ("metric_value", E("rule/metric_value.rs")),
            ("default_value", E("the alarm model")),
            ("dimensions", E("the alarm model")),
            ("unit", E("the alarm model")),
        ],
    );
}

#[test]
fn alarms() {
    use aws_sdk_cloudwatch::types::{CompositeAlarm, Metric, MetricAlarm, MetricDataQuery, MetricStat};
    assert_classified(
        "cloudwatch MetricAlarm",
        format!("{:?}", MetricAlarm::builder().build()),
        &[
            ("alarm_name", E("named; mute rules target it")),
            ("alarm_arn", E("the notification; key and topic policies")),
            ("alarm_description", E("the notification body")),
            ("alarm_configuration_updated_timestamp", I("history")),
            ("actions_enabled", E("check/alarm.rs")),
            ("ok_actions", I("actions on return to OK; the alarm notifies on ALARM")),
            ("alarm_actions", E("check/alarm.rs")),
            ("insufficient_data_actions", I("not the ALARM transition")),
            ("state_value", I("the current state: the model proves the transition from OK and that it rests out of ALARM")),
            ("state_reason", I("text about the current state")),
            ("state_reason_data", I("data about the current state")),
            ("state_updated_timestamp", I("history")),
            ("metric_name", E("the alarm model")),
            ("namespace", E("the alarm model")),
            ("statistic", E("the alarm model")),
            ("extended_statistic", E("the alarm model")),
            ("dimensions", E("the alarm model")),
            ("period", E("the alarm model")),
            ("unit", E("the alarm model")),
            ("evaluation_periods", E("the alarm model")),
            ("datapoints_to_alarm", E("the alarm model")),
            ("threshold", E("the alarm model")),
            ("comparison_operator", E("the alarm model")),
            ("treat_missing_data", E("the alarm model")),
            ("evaluate_low_sample_count_percentile", I("low sample counts of percentiles: one event's period is judged at one sample whatever it says")),
            ("metrics", E("the metric math model")),
            ("threshold_metric_id", C("anomaly detection band")),
            ("evaluation_state", C("collect/cloudwatch.rs: unevaluated")),
            ("state_transitioned_timestamp", I("history")),
            ("evaluation_window", C("collect/cloudwatch.rs: unevaluated")),
            ("warm_up_configuration", I("delays evaluation only for a while after the alarm is created or updated; such an update is a watched tamper call")),
            ("evaluation_criteria", C("collect/cloudwatch.rs: unevaluated")),
            ("evaluation_interval", C("collect/cloudwatch.rs: unevaluated")),
            ("action_configuration", C("changes the notification: a filter policy on it cannot be proven")),
        ],
    );
    assert_classified(
        "cloudwatch MetricDataQuery",
        format!("{:?}", MetricDataQuery::builder().build()),
        &[
            ("id", E("the metric math model")),
            ("metric_stat", E("the metric math model")),
            ("expression", E("the metric math model")),
            ("label", I("a label")),
            ("return_data", E("the metric math model")),
            ("period", C("collect/cloudwatch.rs: unevaluated")),
            ("account_id", C("collect/cloudwatch.rs: unevaluated")),
        ],
    );
    assert_classified(
        "cloudwatch MetricStat",
        format!("{:?}", MetricStat::builder().build()),
        &[
            ("metric", E("the metric math model")),
            ("period", E("the metric math model")),
            ("stat", E("the metric math model")),
            ("unit", E("the metric math model")),
        ],
    );
    assert_classified(
        "cloudwatch Metric",
        format!("{:?}", Metric::builder().build()),
        &[
            ("namespace", E("the metric math model")),
            ("metric_name", E("the metric math model")),
            ("dimensions", E("the metric math model")),
        ],
    );
    assert_classified(
        "cloudwatch CompositeAlarm",
        format!("{:?}", CompositeAlarm::builder().build()),
        &[
            ("actions_enabled", E("check/alarm.rs")),
            ("alarm_actions", E("check/alarm.rs")),
            ("alarm_arn", E("the notification")),
            ("alarm_configuration_updated_timestamp", I("history")),
            (
                "alarm_description",
                I("a composite's notification body is not modelled beyond its name, account and ARN"),
            ),
            ("alarm_name", E("mute rules target it")),
            ("alarm_rule", E("alarm/composite.rs")),
            ("insufficient_data_actions", I("not the ALARM transition")),
            ("ok_actions", I("not the ALARM transition")),
            ("state_reason", I("the current state")),
            ("state_reason_data", I("the current state")),
            ("state_updated_timestamp", I("history")),
            ("state_value", I("the current state")),
            ("state_transitioned_timestamp", I("history")),
            (
                "actions_suppressed_by",
                I("the current suppression; the suppressor itself is reported"),
            ),
            ("actions_suppressed_reason", I("the current suppression")),
            ("actions_suppressor", E("named in the alarm link's detail")),
            (
                "actions_suppressor_wait_period",
                I("timing of the suppression the detail names"),
            ),
            (
                "actions_suppressor_extension_period",
                I("timing of the suppression the detail names"),
            ),
            (
                "action_configuration",
                C("changes the notification: a filter policy on it cannot be proven"),
            ),
        ],
    );
}

#[test]
fn mute_rules() {
    use aws_sdk_cloudwatch::operation::get_alarm_mute_rule::GetAlarmMuteRuleOutput;
    use aws_sdk_cloudwatch::types::{AlarmMuteRuleSummary, Schedule};
    assert_classified(
        "cloudwatch AlarmMuteRuleSummary",
        format!("{:?}", AlarmMuteRuleSummary::builder().build()),
        &[
            ("alarm_mute_rule_arn", E("its name")),
            ("expire_date", E("named in the detail")),
            ("status", E("check/notification.rs")),
            ("mute_type", E("check/notification.rs")),
            ("last_updated_timestamp", I("history")),
        ],
    );
    assert_classified(
        "cloudwatch GetAlarmMuteRuleOutput",
        format!("{:?}", GetAlarmMuteRuleOutput::builder().build()),
        &[
            ("name", E("named")),
            ("alarm_mute_rule_arn", E("named")),
            ("description", I("text")),
            ("rule", E("its schedule")),
            ("mute_targets", E("the alarms it mutes")),
            ("start_date", I("the status says whether it is active now")),
            ("expire_date", I("the status says whether it expired")),
            ("status", I("the summary's status is used")),
            ("last_updated_timestamp", I("history")),
            ("mute_type", I("the summary's type is used")),
        ],
    );
    assert_classified(
        "cloudwatch Schedule",
        format!("{:?}", Schedule::builder().build()),
        &[
            ("expression", E("named in the detail")),
            ("duration", E("named in the detail")),
            ("timezone", E("named in the detail")),
        ],
    );
}

#[test]
fn subscription() {
    assert_classified(
        "sns Subscription",
        format!("{:?}", aws_sdk_sns::types::Subscription::builder().build()),
        &[
            ("subscription_arn", E("confirmed or pending")),
            ("owner", I("who subscribed")),
            ("protocol", E("named in the detail")),
            ("endpoint", E("named, masked")),
            ("topic_arn", I("listed by topic")),
        ],
    );
}

#[test]
fn key() {
    let key = aws_sdk_kms::types::KeyMetadata::builder().key_id("k").build().unwrap();
    let material = I("the key's material, algorithms or stores: its state, usage and spec decide");
    assert_classified(
        "kms KeyMetadata",
        format!("{key:?}"),
        &[
            ("aws_account_id", I("the ARN names it")),
            ("key_id", I("the ARN names it")),
            ("arn", E("key policy requests")),
            ("creation_date", I("history")),
            ("enabled", E("check/notification.rs")),
            ("description", I("text")),
            ("key_usage", E("collect/kms.rs: unusable")),
            ("key_state", E("collect/kms.rs: unusable")),
            ("deletion_date", I("the state says PendingDeletion")),
            (
                "valid_to",
                I("imported material's expiry: the state says when it expired"),
            ),
            ("origin", material),
            ("custom_key_store_id", material),
            ("cloud_hsm_cluster_id", material),
            ("expiration_model", material),
            ("key_manager", E("check/notification.rs: AWS-managed keys")),
            ("customer_master_key_spec", I("deprecated alias of key_spec")),
            ("key_spec", E("collect/kms.rs: unusable")),
            ("encryption_algorithms", material),
            ("signing_algorithms", material),
            ("key_agreement_algorithms", material),
            ("encapsulation_algorithms", material),
            ("multi_region", material),
            ("multi_region_configuration", material),
            ("pending_deletion_window_in_days", I("the state says PendingDeletion")),
            ("mac_algorithms", material),
            ("xks_key_configuration", material),
            ("current_key_material_id", material),
        ],
    );
}

#[test]
fn the_field_reader_sees_nested_values_as_one_field() {
    let fields = debug_fields(r#"T { a: Some([X { b: 1, c: "x, y" }]), d: None }"#);
    assert_eq!(fields, BTreeSet::from(["a".to_string(), "d".to_string()]));
}
