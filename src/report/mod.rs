//! report: Findings -> what people and machines read. The JSON report (returned by the
//! handler, printed by the CLI), a readable text body for email, and the SNS message:
//! subject, per-protocol bodies and filterable message attributes. Pure.

use serde::Serialize;
use serde_json::json;

pub mod asff;
pub mod ocsf;
mod organization;
pub mod overridden;
mod trigger;

pub use organization::{AccountRemediation, Organization, OrganizationReport};
pub use trigger::{described, TriggerSection};

use crate::check::{Findings, LinkStatus, RuleFindings, Status, TrailFinding};
use crate::plan::{AppliedAction, Conflict, Plan, PlannedAction};
use crate::settings::Mode;
use crate::state::AwsError;

/// What every report of a run says about the run itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The function's region.
    pub region: String,
    /// When the run started (the clock is read once per run).
    pub time: String,
    pub mode: Mode,
    pub dry_run: bool,
    /// The rules the run judged.
    pub rules: Vec<&'static crate::rule::Rule>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub status: Status,
    pub account: Option<String>,
    pub region: String,
    pub time: String,
    pub mode: Mode,
    pub dry_run: bool,
    /// The controls the judged rules automate, one rule's after another's.
    pub controls: String,
    pub summary: String,
    /// Each judged rule's verdict and chains (also with one rule); `status` is the worst.
    pub rules: Vec<RuleFindings>,
    /// The change (tamper event) that started this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerSection>,
    /// The calls of the trigger that broke or silenced the chain, and what undid them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tamper_windows: Vec<crate::tamper::Window>,
    /// Changes of the trigger left out of a message too big for SNS (the log has all).
    #[serde(skip_serializing_if = "is_zero")]
    pub changes_left_out: usize,
    pub trails: Vec<TrailFinding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AwsError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<RemediationSection>,
}

/// What remediation found, planned and did. Full in the report; in an SNS message too
/// big for SNS, only the summaries.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RemediationSection {
    Full(Remediation),
    Shortened(ShortenedRemediation),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Remediation {
    /// The audit the plan was made from.
    pub before: Before,
    pub planned: Vec<PlannedAction>,
    pub conflicts: Vec<Conflict>,
    pub refused: Vec<Summary>,
    /// Absent in a dry run and when nothing was planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Vec<AppliedAction>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Before {
    pub status: Status,
    pub summary: String,
    pub trails: Vec<TrailFinding>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShortenedRemediation {
    pub planned: Vec<Summary>,
    pub applied: Vec<Summary>,
    pub conflicts: Vec<Summary>,
    pub refused: Vec<Summary>,
}

impl Remediation {
    pub fn new(before: &Findings, plan: &Plan) -> Self {
        Remediation {
            before: Before {
                status: before.status,
                summary: before.summary.clone(),
                trails: before.trails.clone(),
            },
            planned: plan.actions.iter().map(|a| a.planned()).collect(),
            conflicts: plan.conflicts.clone(),
            refused: plan.refused.iter().map(|r| Summary { summary: r.clone() }).collect(),
            applied: None,
        }
    }

    /// Each list as (label in the text report, summaries), in report order.
    fn lists(&self) -> [(&'static str, Vec<&str>); 4] {
        [
            ("planned", self.planned.iter().map(|a| a.summary.as_str()).collect()),
            (
                "applied",
                self.applied
                    .iter()
                    .flatten()
                    .map(|a| a.action.summary.as_str())
                    .collect(),
            ),
            ("conflict", self.conflicts.iter().map(|c| c.summary.as_str()).collect()),
            ("not done", self.refused.iter().map(|r| r.summary.as_str()).collect()),
        ]
    }
}

impl Report {
    pub fn new(findings: Findings, mode: Mode, dry_run: bool, time: String) -> Self {
        Report {
            status: findings.status,
            account: findings.account,
            region: findings.region,
            time,
            mode,
            dry_run,
            controls: controls_of(findings.rules.iter().map(|r| r.rule)),
            summary: findings.summary,
            rules: findings.rules,
            trigger: None,
            tamper_windows: Vec::new(),
            changes_left_out: 0,
            trails: findings.trails,
            errors: findings.errors,
            remediation: None,
        }
    }

    pub fn status_word(&self) -> &'static str {
        status_word(self.status)
    }

    /// The report as one line of JSON, fields in report order (status first).
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| json!({"status": "ERROR", "error": e.to_string()}).to_string())
    }

    /// The SNS subject (`sns_subject`): the status, then the change or the account.
    pub fn subject(&self) -> String {
        let mut about = format!(
            "account {} ({})",
            self.account.as_deref().unwrap_or("unknown"),
            self.region
        );
        if self.rules.len() > 1 {
            let passing = self.rules.iter().filter(|r| r.status == Status::Pass).count();
            about.push_str(&match passing == self.rules.len() {
                true => format!(", all {} rules", self.rules.len()),
                false => format!(
                    ", {} of {} rules not PASS",
                    self.rules.len() - passing,
                    self.rules.len()
                ),
            });
        }
        let what = label(self.rules.iter().map(|r| r.rule));
        sns_subject(
            self.status_word(),
            self.trigger.as_ref(),
            &self.tamper_windows,
            &what,
            &about,
        )
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{}: {}\nAccount {}, audited from {} at {} ({}{})\n{}\n",
            heading(self.rules.iter().map(|r| r.rule)),
            self.status_word(),
            self.account.as_deref().unwrap_or("unknown"),
            self.region,
            self.time,
            self.mode,
            if self.dry_run { ", dry run" } else { "" },
            Shown(&self.summary)
        );
        if let Some(trigger) = &self.trigger {
            out.push_str(&trigger.text(&self.tamper_windows));
        }
        if self.changes_left_out > 0 {
            out.push_str(&format!(
                "  ... and {} more changes (in the function's log)\n",
                self.changes_left_out
            ));
        }
        for e in &self.errors {
            out.push_str(&format!("  [ERROR] {}\n", Shown(&e.to_string())));
        }
        // With several rules, each rule's verdict, and the chains of those that fail.
        let shown: Vec<(Option<&RuleFindings>, &[TrailFinding])> = match self.rules.len() > 1 {
            false => vec![(None, &self.trails[..])],
            true => self.rules.iter().map(|r| (Some(r), &r.trails[..])).collect(),
        };
        for (rule, trails) in shown {
            if let Some(r) = rule {
                out.push_str(&format!(
                    "\n== {} {} ({}): {}\n",
                    status_word(r.status),
                    r.id,
                    r.rule.controls_summary,
                    Shown(&r.summary)
                ));
                if r.status == Status::Pass {
                    continue;
                }
            }
            trails_text(&mut out, trails);
        }
        if let Some(RemediationSection::Full(remediation)) = &self.remediation {
            out.push_str("\nRemediation:\n");
            out.push_str(&remediation_text(remediation));
        }
        out
    }

    /// The SNS message: `MessageStructure=json` bodies per protocol (text for email and
    /// SMS, the JSON report for machines) and the attributes subscribers filter on.
    /// A report too big for SNS (a thousand alarms on the metric) is shortened until it
    /// fits, never dropped: the full report is in the function's log.
    pub fn sns_message(&self) -> SnsMessage {
        let mut message = self.sns_body();
        for keep in [1000, 100, 0] {
            if message.len() <= MAX_SNS_MESSAGE_BYTES {
                break;
            }
            message = self.shortened(keep).sns_body();
        }
        // Whatever the report held: the verdict alone, which always fits.
        if message.len() > MAX_SNS_MESSAGE_BYTES {
            message = self.verdict_only().sns_body();
        }
        SnsMessage {
            subject: self.subject(),
            message,
            attributes: vec![
                ("status".into(), self.status_word().into()),
                (
                    "account".into(),
                    self.account.clone().unwrap_or_else(|| "unknown".into()),
                ),
            ],
        }
    }

    fn sns_body(&self) -> String {
        sns_bodies(&self.text(), &self.subject(), &self.to_json_string())
    }

    /// Status, account and summary (cut to 1,000 characters), the first change that
    /// started the run, and nothing else: bounded whatever the report held.
    fn verdict_only(&self) -> Report {
        let mut short = self.shortened(0);
        short.summary = short.summary.chars().take(1000).collect();
        short.errors.clear();
        short.tamper_windows.truncate(1);
        short.remediation = None;
        if let Some(trigger) = &self.trigger {
            let (first, left_out) = trigger.capped(1);
            short.trigger = Some(first);
            short.changes_left_out = left_out;
        }
        short
    }

    /// The same verdict with every text cut to `keep` characters, no resource lists, at
    /// most 5 errors per place, 20 remediation items per list and 10 changes of the
    /// trigger; no trails at all when `keep` is 0. Status, account and summary stay.
    fn shortened(&self, keep: usize) -> Report {
        let cut = |s: &str| match s.char_indices().nth(keep) {
            Some((i, _)) => format!("{}…", &s[..i]),
            None => s.to_string(),
        };
        let mut short = self.clone();
        short.summary = format!(
            "{} (shortened to fit an SNS message: the full report is in the function's log)",
            self.summary
        );
        short.errors.truncate(5);
        if keep == 0 {
            short.trails.clear();
            short.rules.iter_mut().for_each(|r| r.trails.clear());
        }
        if let Some(trigger) = &self.trigger {
            let (kept, left_out) = trigger.capped(10);
            short.trigger = Some(kept);
            short.changes_left_out = left_out;
        }
        let rule_trails = short.rules.iter_mut().flat_map(|r| r.trails.iter_mut());
        for trail in short.trails.iter_mut().chain(rule_trails) {
            let links = &mut trail.links;
            for link in [
                &mut links.trail,
                &mut links.metric_filter,
                &mut links.alarm,
                &mut links.notification,
            ] {
                link.detail = cut(&link.detail);
                link.fix = link.fix.as_deref().map(cut);
                link.resources.clear();
                link.errors.truncate(5);
            }
        }
        short.remediation = match &self.remediation {
            Some(RemediationSection::Full(r)) => {
                let [planned, applied, conflicts, refused] = r.lists().map(|(_, summaries)| {
                    summaries
                        .into_iter()
                        .take(20)
                        .map(|s| Summary { summary: cut(s) })
                        .collect()
                });
                Some(RemediationSection::Shortened(ShortenedRemediation {
                    planned,
                    applied,
                    conflicts,
                    refused,
                }))
            }
            other => other.clone(),
        };
        short
    }
}

/// Each trail's chain, link by link, with the fixes.
fn trails_text(out: &mut String, trails: &[TrailFinding]) {
    for trail in trails {
        out.push_str(&format!(
            "\nTrail {} ({}), home region {}: {}\n",
            Shown(&trail.name),
            Shown(&trail.arn),
            Shown(&trail.home_region),
            link_word(trail.status)
        ));
        for (name, link) in trail.links.all() {
            out.push_str(&format!(
                "  [{}] {name}: {}\n",
                link_word(link.status),
                Shown(&link.detail)
            ));
            if let Some(fix) = &link.fix {
                out.push_str(&format!("      fix: {}\n", Shown(fix)));
            }
        }
    }
}

/// The controls of the judged rules, one line.
pub(crate) fn controls_of<'a>(rules: impl Iterator<Item = &'a crate::rule::Rule>) -> String {
    let all: Vec<&str> = rules.map(|r| r.controls_summary.as_str()).collect();
    match all.is_empty() {
        true => crate::rule::default_rule().controls_summary.clone(),
        false => all.join("; "),
    }
}

/// What the report is about: the mission's alarm, another rule's, or the monitoring
/// rules judged.
pub(crate) fn label<'a>(rules: impl Iterator<Item = &'a crate::rule::Rule>) -> String {
    let rules: Vec<&crate::rule::Rule> = rules.collect();
    match &rules[..] {
        [one] if one.id != crate::rule::DEFAULT_RULE => format!("{} alarm", one.title),
        [] | [_] => "IAM policy change alarm".into(),
        _ => "CIS monitoring alarms".into(),
    }
}

/// The label with the controls: one rule's, or how many rules (each rule's line in the
/// text then names its controls).
pub(crate) fn heading<'a>(rules: impl Iterator<Item = &'a crate::rule::Rule>) -> String {
    let rules: Vec<&crate::rule::Rule> = rules.collect();
    let label = label(rules.iter().copied());
    match &rules[..] {
        [] => format!("{label} ({})", crate::rule::default_rule().controls_summary),
        [one] => format!("{label} ({})", one.controls_summary),
        several => format!("{label} ({} rules)", several.len()),
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A name or detail from AWS (or from an event anyone could shape) as the email text
/// shows it: a control character, a line or paragraph separator or a bidirectional
/// override is written as its escape (`\u{a}`), so no name can start a line of its own
/// ("[PASS] ...") or reorder what the reader sees. The JSON bodies escape by themselves.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        for c in self.0.chars() {
            let hidden = c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if hidden {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// SNS accepts 256 KiB per message, attributes included; this leaves a margin.
pub const MAX_SNS_MESSAGE_BYTES: usize = 240 * 1024;

fn remediation_text(remediation: &Remediation) -> String {
    let before = &remediation.before;
    let mut out = format!(
        "  before: {} ({})\n",
        status_word(before.status),
        Shown(&before.summary)
    );
    for (label, summaries) in remediation.lists() {
        for summary in summaries {
            out.push_str(&format!("  {label}: {}\n", Shown(summary)));
        }
    }
    out
}

/// `MessageStructure=json`: one body per subscription protocol.
#[derive(Serialize)]
struct SnsBodies<'a> {
    default: &'a str,
    email: &'a str,
    sms: &'a str,
    sqs: &'a str,
    lambda: &'a str,
    http: &'a str,
    https: &'a str,
    firehose: &'a str,
    #[serde(rename = "email-json")]
    email_json: &'a str,
}

/// The message body of every report: `text` for people (default and email), `sms` for
/// phones, `json` for every machine protocol.
fn sns_bodies(text: &str, sms: &str, json: &str) -> String {
    let bodies = SnsBodies {
        default: text,
        email: text,
        sms,
        sqs: json,
        lambda: json,
        http: json,
        https: json,
        firehose: json,
        email_json: json,
    };
    serde_json::to_string(&bodies).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnsMessage {
    pub subject: String,
    pub message: String,
    pub attributes: Vec<(String, String)>,
}

/// An SNS subject: ASCII, one line, under 100 characters. It starts with the status,
/// then names the change that started the run, or else what was audited.
fn sns_subject(
    status: &str,
    trigger: Option<&TriggerSection>,
    windows: &[crate::tamper::Window],
    what: &str,
    about: &str,
) -> String {
    let subject = match trigger {
        Some(trigger) => trigger::subject(status, trigger, windows),
        None => format!("{status}: {what}, {about}"),
    };
    sns_subject_text(&subject)
}

/// What SNS takes as a subject: printable ASCII, one line, under 100 characters.
fn sns_subject_text(subject: &str) -> String {
    let ascii: String = subject.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').collect();
    ascii.chars().take(99).collect()
}

pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
    }
}

fn link_word(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Pass => "PASS",
        LinkStatus::Fail => "FAIL",
        LinkStatus::Error => "ERROR",
        LinkStatus::External => "EXTERNAL",
        LinkStatus::NotReached => "NOT REACHED",
    }
}

/// What a run reports: one account, or an organization.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RunReport {
    Account(Box<Report>),
    Organization(Box<OrganizationReport>),
}

impl RunReport {
    pub fn status(&self) -> Status {
        match self {
            RunReport::Account(r) => r.status,
            RunReport::Organization(r) => r.status,
        }
    }

    pub fn status_word(&self) -> &'static str {
        status_word(self.status())
    }

    pub fn to_json_string(&self) -> String {
        match self {
            RunReport::Account(r) => r.to_json_string(),
            RunReport::Organization(r) => r.to_json_string(),
        }
    }

    pub fn text(&self) -> String {
        match self {
            RunReport::Account(r) => r.text(),
            RunReport::Organization(r) => r.text(),
        }
    }

    pub fn sns_message(&self) -> SnsMessage {
        match self {
            RunReport::Account(r) => r.sns_message(),
            RunReport::Organization(r) => r.sns_message(),
        }
    }

    /// Records the changes (tamper events) that started the run.
    pub fn set_trigger(&mut self, changes: &[crate::tamper::Change]) {
        // What the audit reported of the chain names its resources.
        let chain = self.to_json_string();
        let windows = crate::tamper::windows(changes, &chain);
        let trigger = TriggerSection::new(changes);
        match self {
            RunReport::Account(r) => (r.trigger, r.tamper_windows) = (trigger, windows),
            RunReport::Organization(r) => (r.trigger, r.tamper_windows) = (trigger, windows),
        }
    }

    /// A change that started the run broke or silenced the chain (a tamper window).
    pub fn broke_the_chain(&self) -> bool {
        match self {
            RunReport::Account(r) => !r.tamper_windows.is_empty(),
            RunReport::Organization(r) => !r.tamper_windows.is_empty(),
        }
    }

    /// The run's time in ms since the epoch (RFC 3339 as the run wrote it; 0 if not).
    pub fn time_ms(&self) -> i64 {
        let time = match self {
            RunReport::Account(r) => &r.time,
            RunReport::Organization(r) => &r.time,
        };
        aws_smithy_types::DateTime::from_str(time, aws_smithy_types::date_time::Format::DateTime)
            .ok()
            .and_then(|t| t.to_millis().ok())
            .unwrap_or(0)
    }

    /// Each account's status word: the audited account, or every reported account of the
    /// organization. With several rules, each rule's too (`FAIL root-usage=FAIL ...`), so
    /// a rule that breaks while another already fails is news.
    pub fn statuses(&self) -> std::collections::BTreeMap<String, String> {
        let word = |status: Status, rules: &mut dyn Iterator<Item = (&str, Status)>| {
            let each: Vec<String> = rules.map(|(id, s)| format!("{id}={}", status_word(s))).collect();
            match each.len() {
                0 | 1 => status_word(status).to_string(),
                _ => format!("{} {}", status_word(status), each.join(" ")),
            }
        };
        match self {
            RunReport::Account(r) => [(
                r.account.clone().unwrap_or_else(|| "unknown".into()),
                word(r.status, &mut r.rules.iter().map(|x| (x.id, x.status))),
            )]
            .into(),
            RunReport::Organization(r) => r
                .accounts
                .iter()
                .map(|a| {
                    (
                        a.account.clone(),
                        word(a.status, &mut a.rules.iter().map(|x| (x.verdict.id, x.verdict.status))),
                    )
                })
                .collect(),
        }
    }

    /// A change that started the run names a resource this report names (a chain's
    /// trail, log group, filter, alarm, topic, subscription or key).
    pub fn names_a_changed_resource(&self) -> bool {
        let changes = match self {
            RunReport::Account(r) => r.trigger.as_ref(),
            RunReport::Organization(r) => r.trigger.as_ref(),
        };
        let Some(changes) = changes else {
            return false;
        };
        let chain = self.to_json_string();
        changes.changes().iter().any(|c| c.touches(&chain))
    }

    /// Whom the report is about, for the log: the account or the organization.
    pub fn about(&self) -> String {
        match self {
            RunReport::Account(r) => r.account.clone().unwrap_or_else(|| "unknown".into()),
            RunReport::Organization(r) => r.organization.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{MetricFilterRequest, Request};

    /// A name from AWS cannot start a line of the email text of its own, nor reorder it.
    #[test]
    fn control_characters_in_names_are_shown_escaped_in_the_email_text() {
        assert_eq!(
            Shown("alarm\n[PASS] forged\u{202e}x\ty").to_string(),
            "alarm\\u{a}[PASS] forged\\u{202e}x\\u{9}y"
        );
        assert_eq!(Shown("IAM-changes é ü").to_string(), "IAM-changes é ü");
        let findings = Findings {
            account: Some("111111111111".into()),
            region: "us-east-1".into(),
            status: Status::Fail,
            summary: "no alarm on filter \"f\r\n[PASS] all good\"".into(),
            trails: Vec::new(),
            errors: Vec::new(),
            rules: Vec::new(),
        };
        let text = Report::new(findings, Mode::Audit, false, "t".into()).text();
        assert!(!text.lines().any(|l| l.starts_with("[PASS]")), "{text}");
        assert!(text.contains(r#"f\u{d}\u{a}[PASS] all good"#), "{text}");
    }

    /// With several rules, the remembered status names each rule's: a second rule that
    /// breaks while the first already fails is news (NOTIFY=on-change), and the subject
    /// counts the failing rules.
    #[test]
    fn with_several_rules_each_rules_status_is_remembered_and_counted() {
        let report = |second: Status| {
            let rule = |id: &str, status| {
                crate::check::RuleFindings::new(crate::rule::by_id(id).unwrap(), status, "s".into(), Vec::new())
            };
            let findings = Findings {
                account: Some("111111111111".into()),
                region: "us-east-1".into(),
                status: Status::Fail,
                summary: "s".into(),
                trails: Vec::new(),
                errors: Vec::new(),
                rules: vec![rule("root-usage", Status::Fail), rule("vpc-changes", second)],
            };
            RunReport::Account(Box::new(Report::new(findings, Mode::Audit, false, "t".into())))
        };
        let (before, after) = (report(Status::Pass), report(Status::Fail));
        assert_eq!(
            before.statuses()["111111111111"],
            "FAIL root-usage=FAIL vpc-changes=PASS"
        );
        assert_ne!(before.statuses(), after.statuses());
        let RunReport::Account(after) = after else {
            unreachable!()
        };
        assert_eq!(
            after.subject(),
            "FAIL: CIS monitoring alarms, account 111111111111 (us-east-1), 2 of 2 rules not PASS"
        );
    }

    /// A remediation section too big for SNS: the message keeps each list's summaries
    /// only (at most 20 each, no request), and the verdict.
    #[test]
    fn a_remediation_too_big_for_sns_keeps_only_each_lists_summaries() {
        let findings = Findings {
            account: Some("111111111111".into()),
            region: "us-east-1".into(),
            status: Status::Fail,
            summary: "s".into(),
            trails: Vec::new(),
            errors: Vec::new(),
            rules: Vec::new(),
        };
        let planned = |i: usize| PlannedAction {
            operation: "logs:PutMetricFilter",
            region: "us-east-1".into(),
            summary: format!("put metric filter {i}"),
            request: Request::MetricFilter(MetricFilterRequest {
                rule: crate::rule::default_rule(),
                group: "arn:aws:logs:us-east-1:111111111111:log-group:g:*".parse().unwrap(),
                log_group_name: "g".into(),
                filter_name: format!("f{i}"),
                filter_pattern: "p".repeat(10_000),
                metric_transformations: Vec::new(),
            }),
        };
        let mut report = Report::new(findings.clone(), Mode::Remediate, false, "t".into());
        report.remediation = Some(RemediationSection::Full(Remediation {
            before: Before {
                status: Status::Fail,
                summary: "s".into(),
                trails: Vec::new(),
            },
            planned: (0..50).map(planned).collect(),
            conflicts: Vec::new(),
            refused: (0..30)
                .map(|i| Summary {
                    summary: format!("not done {i}"),
                })
                .collect(),
            applied: None,
        }));
        assert!(report.to_json_string().len() > MAX_SNS_MESSAGE_BYTES);
        let message = report.sns_message();
        assert!(
            message.message.len() <= MAX_SNS_MESSAGE_BYTES,
            "{}",
            message.message.len()
        );
        let body: serde_json::Value = serde_json::from_str(&message.message).unwrap();
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        let remediation = &json["remediation"];
        assert_eq!(json["status"], "FAIL");
        assert_eq!(remediation["planned"].as_array().unwrap().len(), 20);
        assert_eq!(
            remediation["planned"][0],
            serde_json::json!({"summary": "put metric filter 0"})
        );
        assert_eq!(remediation["refused"].as_array().unwrap().len(), 20);
        assert!(remediation.get("before").is_none(), "{remediation:#}");
        assert!(!message.message.contains("ppppp"), "no request is sent");
    }
}
