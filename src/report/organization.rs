//! The organization's report: one verdict per account, failing first, with the
//! counts; its text, and one SNS message per run. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{status_word, Context, RemediationSection, Shown, SnsMessage, MAX_SNS_MESSAGE_BYTES};
use crate::check::organization::AccountVerdict;
use crate::check::Status;
use crate::settings::Mode;
use crate::state::AwsError;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrganizationReport {
    pub status: Status,
    pub scope: &'static str,
    pub organization: Organization,
    pub counts: BTreeMap<&'static str, usize>,
    pub region: String,
    pub time: String,
    pub mode: Mode,
    pub dry_run: bool,
    /// The controls the judged rules automate.
    pub controls: String,
    /// What the text's first line says the report is about.
    #[serde(skip)]
    pub heading: String,
    /// What the SNS subject says the report is about.
    #[serde(skip)]
    pub label: String,
    pub summary: String,
    /// The changes (tamper events) that started this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<super::TriggerSection>,
    /// The calls of the trigger that broke or silenced the chain, and what undid them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tamper_windows: Vec<crate::tamper::Window>,
    pub accounts: Vec<AccountVerdict>,
    /// Accounts left out of a message too big for SNS (the log has all; counts stay).
    #[serde(skip_serializing_if = "super::is_zero")]
    pub accounts_left_out: usize,
    /// Changes of the trigger left out of a message too big for SNS.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub changes_left_out: usize,
    /// Reads that failed before any account could be audited (the organization itself).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AwsError>,
    /// With mode remediate: each account a chain was remediated in, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remediation: Vec<AccountRemediation>,
}

/// One account's remediation within the organization's: its status after it, and its
/// remediation section (or why it was not remediated).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountRemediation {
    pub account: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<RemediationSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct Organization {
    pub id: String,
    pub management_account: String,
}

impl OrganizationReport {
    pub fn new(
        organization: Organization,
        accounts: Vec<AccountVerdict>,
        errors: Vec<AwsError>,
        context: &Context,
    ) -> Self {
        let count = |s: Status| accounts.iter().filter(|a| a.status == s).count();
        let counts = BTreeMap::from([
            ("PASS", count(Status::Pass)),
            ("FAIL", count(Status::Fail)),
            ("ERROR", count(Status::Error)),
        ]);
        let status = if !errors.is_empty() || counts["ERROR"] > 0 {
            Status::Error
        } else if counts["FAIL"] > 0 || accounts.is_empty() {
            Status::Fail
        } else {
            Status::Pass
        };
        let summary = if !errors.is_empty() {
            format!(
                "the organization could not be read, so no account was audited: {}",
                errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            )
        } else if accounts.is_empty() {
            "no account of the organization was audited".into()
        } else {
            format!(
                "{} of {} accounts alarm on {}; {} fail, {} could not be audited",
                counts["PASS"],
                accounts.len(),
                match &context.rules[..] {
                    [one] => one.in_sentence(),
                    several => format!("every one of the {} rules", several.len()),
                },
                counts["FAIL"],
                counts["ERROR"]
            )
        };
        OrganizationReport {
            status,
            scope: "organization",
            organization,
            counts,
            region: context.region.clone(),
            time: context.time.clone(),
            mode: context.mode,
            dry_run: context.dry_run,
            controls: super::controls_of(context.rules.iter().copied()),
            heading: super::heading(context.rules.iter().copied()),
            label: super::label(context.rules.iter().copied()),
            summary,
            trigger: None,
            tamper_windows: Vec::new(),
            accounts,
            accounts_left_out: 0,
            changes_left_out: 0,
            errors,
            remediation: Vec::new(),
        }
    }

    pub fn status_word(&self) -> &'static str {
        status_word(self.status)
    }

    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// ASCII, one line, under 100 characters, starting with the status.
    pub fn subject(&self) -> String {
        // From the counts: a shortened report lists fewer accounts than it counts.
        let total: usize = self.counts.values().sum();
        let passing = self.counts["PASS"];
        let which = if passing == total {
            format!("all {total} accounts")
        } else {
            format!("{} of {total} accounts", total - passing)
        };
        let about = format!("{which} ({})", self.organization.id);
        super::sns_subject(
            self.status_word(),
            self.trigger.as_ref(),
            &self.tamper_windows,
            &self.label,
            &about,
        )
    }

    /// One line per account, failing first.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{}: {}\nOrganization {} (management account {}), audited from {} at {} ({}{})\n{}\n",
            self.heading,
            self.status_word(),
            self.organization.id,
            self.organization.management_account,
            self.region,
            self.time,
            self.mode,
            if self.dry_run { ", dry run" } else { "" },
            Shown(&self.summary)
        );
        if let Some(trigger) = &self.trigger {
            out.push_str(&trigger.text(&self.tamper_windows));
        }
        for e in &self.errors {
            out.push_str(&format!("  [ERROR] {}\n", Shown(&e.to_string())));
        }
        for a in &self.accounts {
            out.push_str(&format!(
                "  [{}] {} ({}): {}\n",
                status_word(a.status),
                a.account,
                Shown(&a.name),
                Shown(&a.summary)
            ));
        }
        for r in &self.remediation {
            out.push_str(&format!(
                "\nRemediation in account {}: {}\n",
                r.account,
                status_word(r.status)
            ));
            if let Some(why) = &r.refused {
                out.push_str(&format!("  not done: {}\n", Shown(why)));
            }
            if let Some(RemediationSection::Full(section)) = &r.remediation {
                out.push_str(&super::remediation_text(section));
            }
        }
        out
    }

    /// One message per run: text for people, the JSON report for machines, attributes
    /// `status` and `organization`. Too big for SNS, it keeps the counts and the
    /// accounts that do not pass, and says what it left out; the full report is logged.
    pub fn sns_message(&self) -> SnsMessage {
        let mut message = self.sns_body();
        if message.len() > MAX_SNS_MESSAGE_BYTES {
            message = self.shortened(true).sns_body();
        }
        if message.len() > MAX_SNS_MESSAGE_BYTES {
            message = self.shortened(false).sns_body();
        }
        // Whatever the organization's size: the counts and the summary, which always fit.
        if message.len() > MAX_SNS_MESSAGE_BYTES {
            let mut short = self.shortened(false);
            short.accounts_left_out += short.accounts.len();
            short.accounts.clear();
            short.summary = short.summary.chars().take(1000).collect();
            short.errors.clear();
            short.tamper_windows.truncate(1);
            if let Some(trigger) = &self.trigger {
                let (first, left_out) = trigger.capped(1);
                short.trigger = Some(first);
                short.changes_left_out = left_out;
            }
            message = short.sns_body();
        }
        SnsMessage {
            subject: self.subject(),
            message,
            attributes: vec![
                ("status".into(), self.status_word().into()),
                ("organization".into(), self.organization.id.clone()),
            ],
        }
    }

    fn sns_body(&self) -> String {
        super::sns_bodies(&self.text(), &self.subject(), &self.to_json_string())
    }

    /// Only the accounts that do not pass; without their trails when `keep_trails` is
    /// false.
    fn shortened(&self, keep_trails: bool) -> OrganizationReport {
        let mut short = self.clone();
        let passing = self.counts["PASS"];
        short.accounts.retain(|a| a.status != Status::Pass);
        if !keep_trails {
            // At most 200 accounts, each summary at most 300 characters.
            short.accounts_left_out = short.accounts.len().saturating_sub(200);
            short.accounts.truncate(200);
            for a in &mut short.accounts {
                a.trails.clear();
                a.summary = a.summary.chars().take(300).collect();
            }
        }
        if let Some(trigger) = &self.trigger {
            let (kept, left_out) = trigger.capped(10);
            short.trigger = Some(kept);
            short.changes_left_out = left_out;
        }
        short.summary = format!(
            "{} (shortened to fit an SNS message: the {passing} passing accounts{} are left out; the full report is in the function's log)",
            self.summary,
            if keep_trails { "" } else { " and every account's trails" }
        );
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(i: usize, status: Status) -> AccountVerdict {
        AccountVerdict {
            account: format!("{:012}", i),
            name: format!("account-{i}"),
            status,
            summary: "x".repeat(400),
            covered_by: None,
            trails: Vec::new(),
            error: None,
            rules: Vec::new(),
        }
    }

    fn report(accounts: Vec<AccountVerdict>) -> OrganizationReport {
        let org = Organization {
            id: "o-abc1234567".into(),
            management_account: "000000000000".into(),
        };
        OrganizationReport::new(
            org,
            accounts,
            Vec::new(),
            &Context {
                region: "us-east-1".into(),
                time: "t".into(),
                mode: Mode::Audit,
                dry_run: false,
                rules: vec![crate::rule::default_rule()],
            },
        )
    }

    #[test]
    fn the_subject_counts_the_accounts_that_do_not_pass() {
        let r = report(vec![
            verdict(1, Status::Fail),
            verdict(2, Status::Pass),
            verdict(3, Status::Error),
        ]);
        assert_eq!(r.status, Status::Error);
        assert_eq!(
            r.subject(),
            "ERROR: IAM policy change alarm, 2 of 3 accounts (o-abc1234567)"
        );
        let r = report(vec![verdict(1, Status::Pass), verdict(2, Status::Pass)]);
        assert_eq!(
            r.subject(),
            "PASS: IAM policy change alarm, all 2 accounts (o-abc1234567)"
        );
        assert_eq!(r.counts["PASS"], 2);
        assert!(r.text().contains("  [PASS] 000000000001 (account-1): "), "{}", r.text());
    }

    // A thousand passing accounts and a few failing: the message fits, keeps the counts
    // and every account that does not pass, and says what it left out.
    #[test]
    fn a_report_too_big_for_sns_keeps_the_counts_and_the_accounts_that_do_not_pass() {
        let mut accounts: Vec<AccountVerdict> = (0..1000).map(|i| verdict(i, Status::Pass)).collect();
        accounts.extend((1000..1003).map(|i| verdict(i, Status::Fail)));
        let r = report(accounts);
        let message = r.sns_message();
        assert!(
            message.message.len() <= MAX_SNS_MESSAGE_BYTES,
            "{}",
            message.message.len()
        );
        let body: serde_json::Value = serde_json::from_str(&message.message).unwrap();
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["counts"], serde_json::json!({"ERROR": 0, "FAIL": 3, "PASS": 1000}));
        assert_eq!(json["accounts"].as_array().unwrap().len(), 3);
        assert!(json["summary"]
            .as_str()
            .unwrap()
            .contains("the 1000 passing accounts are left out"));
        assert_eq!(
            message.attributes[1],
            ("organization".to_string(), "o-abc1234567".to_string())
        );
    }

    /// Failing accounts whose trails alone are too big: the first shortening (only the
    /// accounts that do not pass, with their trails) does not fit, the second (without
    /// their trails) does, and says so; every failing account is still named.
    #[test]
    fn failing_accounts_too_big_with_their_trails_are_sent_without_them() {
        use crate::check::{LinkFinding, LinkStatus, Links, TrailFinding};
        let link = |detail: &str| LinkFinding {
            status: LinkStatus::Fail,
            detail: detail.to_string(),
            reason_code: None,
            fix: Some("f".repeat(2_000)),
            resources: vec!["r".repeat(500)],
            errors: Vec::new(),
        };
        let trail = TrailFinding {
            name: "t".into(),
            arn: "arn:aws:cloudtrail:us-east-1:000000000001:trail/t".into(),
            home_region: "us-east-1".into(),
            organization: false,
            log_group: None,
            status: LinkStatus::Fail,
            links: Links {
                trail: link(&"d".repeat(2_000)),
                metric_filter: link(&"d".repeat(2_000)),
                alarm: link(&"d".repeat(2_000)),
                notification: link(&"d".repeat(2_000)),
            },
        };
        let mut accounts: Vec<AccountVerdict> = (0..20)
            .map(|i| {
                let mut v = verdict(i, Status::Fail);
                v.trails = vec![trail.clone(); 3];
                v
            })
            .collect();
        accounts.extend((20..30).map(|i| verdict(i, Status::Pass)));
        let r = report(accounts);
        assert!(
            r.shortened(true).sns_body().len() > MAX_SNS_MESSAGE_BYTES,
            "the first step must not fit"
        );
        let message = r.sns_message();
        assert!(
            message.message.len() <= MAX_SNS_MESSAGE_BYTES,
            "{}",
            message.message.len()
        );
        let body: serde_json::Value = serde_json::from_str(&message.message).unwrap();
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        let sent = json["accounts"].as_array().unwrap();
        assert_eq!(sent.len(), 20, "every failing account, none passing");
        assert!(sent.iter().all(|a| a["trails"].as_array().is_some_and(Vec::is_empty)));
        assert!(json.get("accounts_left_out").is_none_or(|n| n == 0));
        assert!(
            json["summary"]
                .as_str()
                .unwrap()
                .contains("the 10 passing accounts and every account's trails are left out"),
            "{}",
            json["summary"]
        );
    }

    /// At the limits: 5,000 failing accounts with long summaries, after a
    /// burst of 2,000 changes with the longest actors: the message still fits SNS, keeps
    /// the counts, and says what it left out.
    #[test]
    fn any_organization_and_any_burst_fit_an_sns_message() {
        let accounts: Vec<AccountVerdict> = (0..5_000)
            .map(|i| {
                let mut v = verdict(i, if i % 2 == 0 { Status::Error } else { Status::Fail });
                v.summary = "s".repeat(2_000);
                v
            })
            .collect();
        let mut r = report(accounts);
        let mut event: serde_json::Value =
            serde_json::from_str(include_str!("../../events/tamper-delete-alarms.json")).unwrap();
        event["detail"]["userIdentity"]["arn"] = serde_json::json!("a".repeat(10_000));
        let crate::tamper::Classified::Change(change) =
            crate::tamper::classify(&event, &crate::tamper::OwnIdentity::default()).unwrap()
        else {
            panic!("not a change")
        };
        r.trigger = super::super::TriggerSection::new(&vec![*change; 2_000]);
        let message = r.sns_message();
        assert!(
            message.message.len() <= MAX_SNS_MESSAGE_BYTES,
            "{}",
            message.message.len()
        );
        assert!(message.subject.len() < 100 && message.subject.is_ascii());
        let body: serde_json::Value = serde_json::from_str(&message.message).unwrap();
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["counts"]["ERROR"], 2_500);
        assert_eq!(json["counts"]["FAIL"], 2_500);
        assert_eq!(
            json["accounts_left_out"].as_u64().unwrap() + json["accounts"].as_array().unwrap().len() as u64,
            5_000
        );
        assert!(
            json["changes_left_out"].as_u64().unwrap() >= 1_990,
            "{}",
            json["changes_left_out"]
        );
    }
}
