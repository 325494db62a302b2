//! Typed settings from the environment. Invalid values fail start-up with one line
//! that names the variable; the rest of the code never sees a raw string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::arn::TopicArn;
use crate::rule::{self, Rule};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct SettingsError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Audit,
    Remediate,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "audit" => Ok(Mode::Audit),
            "remediate" => Ok(Mode::Remediate),
            _ => Err("expected audit or remediate".into()),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Audit => "audit",
            Mode::Remediate => "remediate",
        })
    }
}

/// Whose accounts a run audits: the function's own, or every account of its
/// AWS Organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Account,
    Organization,
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "account" => Ok(Scope::Account),
            "organization" => Ok(Scope::Organization),
            _ => Err("expected account or organization".into()),
        }
    }
}

/// Whether a run started by a tamper event publishes a chain that is still intact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TamperNotify {
    /// Only FAIL and ERROR (the change broke something, or could not be judged).
    #[default]
    OnFail,
    Always,
}

impl FromStr for TamperNotify {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "on-fail" => Ok(TamperNotify::OnFail),
            "always" => Ok(TamperNotify::Always),
            _ => Err("expected on-fail or always".into()),
        }
    }
}

/// Which runs the schedule or a tamper event started publish their findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Notify {
    /// Only when an account's status changed since the last run (STATE_LOG_GROUP keeps
    /// it), a change broke the chain, or a change names a resource of a chain that is
    /// not PASS: a permanently failing account is mailed once, not on every run.
    #[default]
    OnChange,
    EveryRun,
}

impl FromStr for Notify {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "on-change" => Ok(Notify::OnChange),
            "every-run" => Ok(Notify::EveryRun),
            _ => Err("expected on-change or every-run".into()),
        }
    }
}

/// How the other accounts of the organization are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationSettings {
    /// The role assumed in each other account: arn:aws:iam::<account>:role/<name>.
    pub member_role_name: String,
    pub member_external_id: Option<String>,
    /// Remediation in another account of the organization goes through this role
    /// (None: only the function's own account is remediated).
    pub member_remediation_role_name: Option<String>,
    /// The topic, in each member account and region, that an alarm remediation creates
    /// there notifies: the member remediation role may name no other (None: no alarm is
    /// created in a member account).
    pub member_alarm_topic_name: Option<String>,
    /// At most this many accounts are audited at once.
    pub account_concurrency: usize,
    pub exclude_accounts: std::collections::BTreeSet<String>,
}

pub const DEFAULT_MEMBER_ROLE_NAME: &str = "iam-policy-alarm-audit";

impl Default for OrganizationSettings {
    fn default() -> Self {
        OrganizationSettings {
            member_role_name: DEFAULT_MEMBER_ROLE_NAME.into(),
            member_external_id: None,
            member_remediation_role_name: None,
            member_alarm_topic_name: None,
            account_concurrency: 16,
            exclude_accounts: Default::default(),
        }
    }
}

/// The names the audit advises and remediation writes for one rule. Defaults follow
/// the rule's documented remediation (for the mission's rule, Conformity CWL-010, CIS 4.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Names {
    pub filter_name: String,
    pub alarm_name: String,
    pub metric_namespace: String,
    pub metric_name: String,
}

impl Default for Names {
    fn default() -> Self {
        Names::of(rule::default_rule())
    }
}

impl Names {
    /// The names `rule`'s data gives.
    pub fn of(rule: &Rule) -> Self {
        Names {
            filter_name: rule.filter.name.clone(),
            alarm_name: rule.alarm.name.clone(),
            metric_namespace: rule.filter.metric_namespace.clone(),
            metric_name: rule.filter.metric_name.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    pub dry_run: bool,
    /// Where findings are published; `None` = only logged and returned.
    pub findings_topic: Option<TopicArn>,
    /// The topic remediation points new alarms at.
    pub alarm_topic: Option<TopicArn>,
    /// The names of the mission's rule (FILTER_NAME, ALARM_NAME, METRIC_NAMESPACE,
    /// METRIC_NAME); every other rule's come from its data (`names_for`).
    pub names: Names,
    /// The rules every run judges (RULES), in the benchmark's order.
    pub rules: Vec<&'static Rule>,
    pub scope: Scope,
    pub organization: OrganizationSettings,
    /// Import one finding per audited account into Security Hub after every run.
    pub security_hub: bool,
    pub tamper_notify: TamperNotify,
    pub notify: Notify,
    /// The log group where each account's status as last reported is kept (a stream of
    /// its own); None: no memory, so every run is a change.
    pub state_log_group: Option<String>,
    /// The function's name (Lambda's AWS_LAMBDA_FUNCTION_NAME): Lambda names the
    /// function's sessions of its role after it, so only those are the function's own.
    pub function_name: Option<String>,
    /// The function's own role: its writes are no tamper event (set by the template).
    pub function_role_arn: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Audit,
            dry_run: false,
            findings_topic: None,
            alarm_topic: None,
            names: Names::default(),
            rules: vec![rule::default_rule()],
            scope: Scope::Account,
            organization: OrganizationSettings::default(),
            security_hub: false,
            tamper_notify: TamperNotify::OnFail,
            notify: Notify::OnChange,
            state_log_group: None,
            function_name: None,
            function_role_arn: None,
        }
    }
}

impl Settings {
    /// The names the audit advises and remediation writes for `rule`: the settings' for
    /// the mission's rule, the rule's data for any other.
    pub fn names_for(&self, rule: &Rule) -> Names {
        match rule.id == rule::DEFAULT_RULE {
            true => self.names.clone(),
            false => Names::of(rule),
        }
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup`; an empty value counts as unset, because
    /// CloudFormation passes empty parameters as "".
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let defaults = Names::default();
        Ok(Settings {
            mode: parse_with("MODE", get("MODE"), Mode::Audit, |v| v.parse())?,
            dry_run: parse_with("DRY_RUN", get("DRY_RUN"), false, parse_bool)?,
            findings_topic: optional_topic("FINDINGS_TOPIC_ARN", get("FINDINGS_TOPIC_ARN"))?,
            alarm_topic: optional_topic("ALARM_TOPIC_ARN", get("ALARM_TOPIC_ARN"))?,
            names: Names {
                filter_name: name_setting("FILTER_NAME", get("FILTER_NAME"), defaults.filter_name, 512, ":*")?,
                alarm_name: name_setting("ALARM_NAME", get("ALARM_NAME"), defaults.alarm_name, 255, "")?,
                metric_namespace: namespace_setting(get("METRIC_NAMESPACE"), defaults.metric_namespace)?,
                metric_name: name_setting("METRIC_NAME", get("METRIC_NAME"), defaults.metric_name, 255, "")?,
            },
            rules: parse_with("RULES", get("RULES"), vec![rule::default_rule()], rule_list)?,
            scope: parse_with("SCOPE", get("SCOPE"), Scope::Account, |v| v.parse())?,
            security_hub: parse_with("SECURITY_HUB", get("SECURITY_HUB"), false, parse_bool)?,
            tamper_notify: parse_with("TAMPER_NOTIFY", get("TAMPER_NOTIFY"), TamperNotify::OnFail, |v| {
                v.parse()
            })?,
            notify: parse_with("NOTIFY", get("NOTIFY"), Notify::OnChange, |v| v.parse())?,
            state_log_group: get("STATE_LOG_GROUP")
                .map(|v| parse_with("STATE_LOG_GROUP", Some(v), String::new(), log_group_name))
                .transpose()?,
            function_name: get("AWS_LAMBDA_FUNCTION_NAME"),
            function_role_arn: get("FUNCTION_ROLE_ARN")
                .map(|v| parse_with("FUNCTION_ROLE_ARN", Some(v), String::new(), role_arn))
                .transpose()?,
            organization: OrganizationSettings {
                member_role_name: parse_with(
                    "MEMBER_ROLE_NAME",
                    get("MEMBER_ROLE_NAME"),
                    DEFAULT_MEMBER_ROLE_NAME.into(),
                    role_name,
                )?,
                member_external_id: get("MEMBER_EXTERNAL_ID")
                    .map(|v| parse_with("MEMBER_EXTERNAL_ID", Some(v), String::new(), external_id))
                    .transpose()?,
                member_remediation_role_name: get("MEMBER_REMEDIATION_ROLE_NAME")
                    .map(|v| parse_with("MEMBER_REMEDIATION_ROLE_NAME", Some(v), String::new(), role_name))
                    .transpose()?,
                member_alarm_topic_name: get("MEMBER_ALARM_TOPIC_NAME")
                    .map(|v| parse_with("MEMBER_ALARM_TOPIC_NAME", Some(v), String::new(), topic_name))
                    .transpose()?,
                account_concurrency: parse_with("ACCOUNT_CONCURRENCY", get("ACCOUNT_CONCURRENCY"), 16, |v| {
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=64).contains(n))
                        .ok_or_else(|| "expected a whole number from 1 to 64".into())
                })?,
                exclude_accounts: parse_with(
                    "EXCLUDE_ACCOUNTS",
                    get("EXCLUDE_ACCOUNTS"),
                    Default::default(),
                    account_list,
                )?,
            },
        })
    }
}

fn parse_with<T>(
    name: &'static str,
    value: Option<String>,
    default: T,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, SettingsError> {
    match value {
        None => Ok(default),
        Some(v) => parse(v.trim()).map_err(|reason| SettingsError { name, value: v, reason }),
    }
}

/// An IAM role name: 1-64 of letters, digits and +=,.@_-.
fn role_name(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    ok.then(|| s.to_string())
        .ok_or_else(|| "expected an IAM role name (1-64 letters, digits and +=,.@_-)".into())
}

/// A standard SNS topic's name: 1-256 letters, digits, - and _ (CloudWatch alarms
/// cannot notify a FIFO topic, so no .fifo).
/// A CloudWatch Logs log group name: 1-512 letters, digits and `_-./#`.
fn log_group_name(s: &str) -> Result<String, String> {
    let ok = (1..=512).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./#".contains(c));
    ok.then(|| s.to_string())
        .ok_or_else(|| "expected a log group name (1-512 letters, digits, _ - . / #)".into())
}

fn topic_name(s: &str) -> Result<String, String> {
    let ok = (1..=256).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    ok.then(|| s.to_string())
        .ok_or_else(|| "expected a standard SNS topic name (1-256 letters, digits, - and _)".into())
}

/// An IAM role ARN: arn:<partition>:iam::<account>:role/<path/>name.
fn role_arn(s: &str) -> Result<String, String> {
    let arn: crate::arn::Arn = s.parse().map_err(|e: crate::arn::ArnError| e.reason.to_string())?;
    let name = arn.resource.strip_prefix("role/").and_then(|r| r.rsplit('/').next());
    match name {
        Some(name) if arn.service == "iam" && crate::arn::is_account_id(&arn.account) && role_name(name).is_ok() => {
            Ok(s.to_string())
        }
        _ => Err("expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)".into()),
    }
}

/// An STS external id: 2-1224 of letters, digits and +=,.@:/_-.
fn external_id(s: &str) -> Result<String, String> {
    let ok = (2..=1224).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
    ok.then(|| s.to_string())
        .ok_or_else(|| "expected an external id (2-1224 letters, digits and +=,.@:/_-)".into())
}

/// Comma-separated rule ids, or `all`: the rules in the benchmark's order, each once.
pub fn rule_list(s: &str) -> Result<Vec<&'static Rule>, String> {
    let ids: Vec<&str> = s.split(',').map(str::trim).filter(|id| !id.is_empty()).collect();
    if ids == ["all"] {
        return Ok(rule::all().iter().collect());
    }
    if ids.contains(&"all") {
        return Err("all stands alone: it names every rule".into());
    }
    if ids.is_empty() {
        return Err(format!("expected rule ids or all; the rules are {}", rule::ids()));
    }
    for id in &ids {
        if rule::by_id(id).is_none() {
            return Err(format!("{id:?} is not a rule; the rules are {} (or all)", rule::ids()));
        }
    }
    Ok(rule::all().iter().filter(|r| ids.contains(&r.id.as_str())).collect())
}

/// Comma-separated 12-digit account ids.
pub fn account_list(s: &str) -> Result<std::collections::BTreeSet<String>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            crate::arn::is_account_id(a)
                .then(|| a.to_string())
                .ok_or_else(|| format!("{a:?} is not a 12-digit account id"))
        })
        .collect()
}

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn optional_topic(name: &'static str, value: Option<String>) -> Result<Option<TopicArn>, SettingsError> {
    value
        .map(|v| {
            v.trim().parse::<TopicArn>().map_err(|e| SettingsError {
                name,
                value: v.clone(),
                reason: e.reason.to_string(),
            })
        })
        .transpose()
}

fn name_setting(
    name: &'static str,
    value: Option<String>,
    default: String,
    max_len: usize,
    forbidden: &str,
) -> Result<String, SettingsError> {
    let Some(v) = value else { return Ok(default) };
    let fail = |reason: String| SettingsError {
        name,
        value: v.clone(),
        reason,
    };
    if v.chars().count() > max_len {
        return Err(fail(format!("longer than {max_len} characters")));
    }
    if let Some(c) = v.chars().find(|c| forbidden.contains(*c) || c.is_control()) {
        return Err(fail(format!("contains the character {c:?}, which AWS rejects here")));
    }
    Ok(v)
}

fn namespace_setting(value: Option<String>, default: String) -> Result<String, SettingsError> {
    let v = name_setting("METRIC_NAMESPACE", value, default, 255, ":")?;
    // CloudWatch reserves the AWS/ prefix for AWS services' own metrics.
    if v.starts_with("AWS/") {
        return Err(SettingsError {
            name: "METRIC_NAMESPACE",
            value: v,
            reason: "namespaces starting with AWS/ are reserved for AWS services".into(),
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_documented_remediation() {
        let s = settings(&[]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.names.filter_name, "IAMAuthConfigChanges");
        assert_eq!(s.names.alarm_name, "IAMAuthorizationActivityAlarm");
        assert_eq!(s.names.metric_namespace, "CloudTrailMetrics");
        assert_eq!(s.names.metric_name, "IAMPolicyEventCount");
    }

    #[test]
    fn every_setting_is_read() {
        let s = settings(&[
            ("MODE", "remediate"),
            ("DRY_RUN", "true"),
            ("FINDINGS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:findings"),
            ("ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alarms"),
            ("METRIC_NAMESPACE", "Security"),
            ("METRIC_NAME", "IamChanges"),
            ("FILTER_NAME", "iam-changes"),
            ("ALARM_NAME", "iam-changes-alarm"),
        ])
        .unwrap();
        assert_eq!(s.mode, Mode::Remediate);
        assert!(s.dry_run);
        assert_eq!(s.findings_topic.unwrap().name(), "findings");
        assert_eq!(s.alarm_topic.unwrap().name(), "alarms");
        assert_eq!(
            s.names,
            Names {
                filter_name: "iam-changes".into(),
                alarm_name: "iam-changes-alarm".into(),
                metric_namespace: "Security".into(),
                metric_name: "IamChanges".into(),
            }
        );
    }

    #[test]
    fn organization_settings_are_read_and_checked() {
        let s = settings(&[
            ("SCOPE", "organization"),
            ("MEMBER_ROLE_NAME", "audit-role"),
            ("MEMBER_EXTERNAL_ID", "ext-123"),
            ("ACCOUNT_CONCURRENCY", "4"),
            ("EXCLUDE_ACCOUNTS", "111111111111, 222222222222"),
            ("MEMBER_REMEDIATION_ROLE_NAME", "fix-role"),
            ("MEMBER_ALARM_TOPIC_NAME", "member-alarms"),
        ])
        .unwrap();
        assert_eq!(s.organization.member_remediation_role_name.as_deref(), Some("fix-role"));
        assert_eq!(s.organization.member_alarm_topic_name.as_deref(), Some("member-alarms"));
        assert_eq!(s.scope, Scope::Organization);
        assert_eq!(s.organization.member_role_name, "audit-role");
        assert_eq!(s.organization.member_external_id.as_deref(), Some("ext-123"));
        assert_eq!(s.organization.account_concurrency, 4);
        assert_eq!(s.organization.exclude_accounts.len(), 2);
        for (vars, message) in [
            (vec![("SCOPE", "org")], "invalid setting SCOPE=\"org\": expected account or organization"),
            (vec![("ACCOUNT_CONCURRENCY", "0")], "invalid setting ACCOUNT_CONCURRENCY=\"0\": expected a whole number from 1 to 64"),
            (vec![("ACCOUNT_CONCURRENCY", "65")], "invalid setting ACCOUNT_CONCURRENCY=\"65\": expected a whole number from 1 to 64"),
            (vec![("MEMBER_ROLE_NAME", "a/b")], "invalid setting MEMBER_ROLE_NAME=\"a/b\": expected an IAM role name (1-64 letters, digits and +=,.@_-)"),
            (vec![("MEMBER_EXTERNAL_ID", "x")], "invalid setting MEMBER_EXTERNAL_ID=\"x\": expected an external id (2-1224 letters, digits and +=,.@:/_-)"),
            (vec![("EXCLUDE_ACCOUNTS", "1234")], "invalid setting EXCLUDE_ACCOUNTS=\"1234\": \"1234\" is not a 12-digit account id"),
            (
                vec![("MEMBER_ALARM_TOPIC_NAME", "alarms.fifo")],
                "invalid setting MEMBER_ALARM_TOPIC_NAME=\"alarms.fifo\": expected a standard SNS topic name (1-256 letters, digits, - and _)",
            ),
        ] {
            assert_eq!(settings(&vars).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn notification_settings_are_read_and_checked() {
        let s = settings(&[
            ("NOTIFY", "every-run"),
            ("STATE_LOG_GROUP", "/aws/lambda/iam-policy-alarm"),
        ])
        .unwrap();
        assert_eq!(s.notify, Notify::EveryRun);
        assert_eq!(s.state_log_group.as_deref(), Some("/aws/lambda/iam-policy-alarm"));
        let defaults = settings(&[]).unwrap();
        assert_eq!((defaults.notify, defaults.state_log_group), (Notify::OnChange, None));
        for (vars, message) in [
            (vec![("NOTIFY", "daily")], "invalid setting NOTIFY=\"daily\": expected on-change or every-run"),
            (
                vec![("STATE_LOG_GROUP", "group:*")],
                "invalid setting STATE_LOG_GROUP=\"group:*\": expected a log group name (1-512 letters, digits, _ - . / #)",
            ),
        ] {
            assert_eq!(settings(&vars).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn tamper_settings_are_read_and_checked() {
        let s = settings(&[
            ("TAMPER_NOTIFY", "always"),
            (
                "FUNCTION_ROLE_ARN",
                "arn:aws:iam::123456789012:role/stack-FunctionRole-X1",
            ),
        ])
        .unwrap();
        assert_eq!(s.tamper_notify, TamperNotify::Always);
        assert_eq!(
            s.function_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/stack-FunctionRole-X1")
        );
        assert_eq!(settings(&[]).unwrap().tamper_notify, TamperNotify::OnFail);
        for (vars, message) in [
            (vec![("TAMPER_NOTIFY", "never")], "invalid setting TAMPER_NOTIFY=\"never\": expected on-fail or always"),
            (
                vec![("FUNCTION_ROLE_ARN", "arn:aws:iam::123456789012:user/bob")],
                "invalid setting FUNCTION_ROLE_ARN=\"arn:aws:iam::123456789012:user/bob\": expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
            ),
            (
                vec![("FUNCTION_ROLE_ARN", "role/x")],
                "invalid setting FUNCTION_ROLE_ARN=\"role/x\": does not start with \"arn:\"",
            ),
        ] {
            assert_eq!(settings(&vars).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn empty_values_mean_unset() {
        assert_eq!(
            settings(&[("FINDINGS_TOPIC_ARN", ""), ("MODE", " ")]).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (vars, message) in [
            (vec![("MODE", "fix")], "invalid setting MODE=\"fix\": expected audit or remediate"),
            (vec![("DRY_RUN", "maybe")], "invalid setting DRY_RUN=\"maybe\": expected true or false"),
            (
                vec![("FINDINGS_TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:q")],
                "invalid setting FINDINGS_TOPIC_ARN=\"arn:aws:sqs:us-east-1:123456789012:q\": not an SNS topic ARN (service is not sns)",
            ),
            (vec![("ALARM_TOPIC_ARN", "alarms")], "invalid setting ALARM_TOPIC_ARN=\"alarms\": does not start with \"arn:\""),
            (vec![("FILTER_NAME", "a:b")], "invalid setting FILTER_NAME=\"a:b\": contains the character ':', which AWS rejects here"),
            (
                vec![("METRIC_NAMESPACE", "AWS/Logs")],
                "invalid setting METRIC_NAMESPACE=\"AWS/Logs\": namespaces starting with AWS/ are reserved for AWS services",
            ),
        ] {
            assert_eq!(settings(&vars).unwrap_err().to_string(), message);
        }
        let long = "x".repeat(256);
        assert!(settings(&[("ALARM_NAME", &long)])
            .unwrap_err()
            .to_string()
            .contains("longer than 255"));
    }

    #[test]
    fn rules_are_ids_or_all_in_the_benchmarks_order() {
        let ids = |s: &Settings| s.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(&settings(&[]).unwrap()), ["iam-policy-changes"]);
        let s = settings(&[("RULES", " vpc-changes, root-usage ,root-usage")]).unwrap();
        assert_eq!(
            ids(&s),
            ["root-usage", "vpc-changes"],
            "the benchmark's order, each once"
        );
        assert_eq!(settings(&[("RULES", "all")]).unwrap().rules.len(), 15);
        for (value, reason) in [
            ("nope", "\"nope\" is not a rule; the rules are unauthorized-api-calls, console-signin-without-mfa, root-usage, iam-policy-changes,"),
            ("all,root-usage", "all stands alone: it names every rule"),
            (",", "expected rule ids or all"),
        ] {
            let e = settings(&[("RULES", value)]).unwrap_err().to_string();
            assert!(e.starts_with(&format!("invalid setting RULES={value:?}: {reason}")), "{e}");
        }
        // Only the mission's rule's names are settings.
        let s = settings(&[("FILTER_NAME", "mine"), ("RULES", "all")]).unwrap();
        assert_eq!(s.names_for(crate::rule::default_rule()).filter_name, "mine");
        assert_eq!(
            s.names_for(crate::rule::by_id("root-usage").unwrap()).filter_name,
            "RootAccountUsage"
        );
    }

    /// The names in the first column of docs/settings.md's table (backticked, upper case).
    fn documented_variables() -> BTreeSet<String> {
        include_str!("../docs/settings.md")
            .lines()
            .filter_map(|line| line.strip_prefix("| `")?.split_once('`'))
            .map(|(name, _)| name)
            .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_settings_page_lists_exactly_the_variables_read() {
        // Every name from_lookup asks for: with none set, each takes its default, so all are asked.
        let asked = RefCell::new(BTreeSet::new());
        let lookup = |name: &str| -> Option<String> {
            asked.borrow_mut().insert(name.to_string());
            None
        };
        Settings::from_lookup(lookup).unwrap();
        let mut read = asked.into_inner();
        // And the log filter's, which main.rs reads (and refuses when it does not parse).
        read.insert("RUST_LOG".to_string());
        assert_eq!(documented_variables(), read);
    }
}
