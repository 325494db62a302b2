//! The change that started a run (a tamper event), as the report shows it: one change,
//! or the list when several were batched into one audit. Pure.

use serde::Serialize;

use super::Shown;
use crate::tamper::{headline, Change, Confirmation, Window};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TriggerSection {
    One(Box<Change>),
    Many(Vec<Change>),
}

impl TriggerSection {
    pub fn new(changes: &[Change]) -> Option<Self> {
        match changes {
            [] => None,
            [one] => Some(TriggerSection::One(Box::new(one.clone()))),
            many => Some(TriggerSection::Many(many.to_vec())),
        }
    }

    /// The first `n` changes (all of them when there are no more), and how many were
    /// left out: what a message too big for SNS carries.
    pub fn capped(&self, n: usize) -> (TriggerSection, usize) {
        let changes = self.changes();
        let kept = &changes[..changes.len().min(n)];
        (
            TriggerSection::new(kept).unwrap_or_else(|| self.clone()),
            changes.len() - kept.len(),
        )
    }

    pub fn changes(&self) -> &[Change] {
        match self {
            TriggerSection::One(one) => std::slice::from_ref(one),
            TriggerSection::Many(many) => many,
        }
    }

    /// For the subject: "DeleteAlarms by <actor>", and how many more were batched.
    pub fn headline(&self) -> String {
        headline(self.changes())
    }

    /// One line per change, for the email body; first, each break (`windows`).
    pub fn text(&self, windows: &[Window]) -> String {
        let mut out = String::new();
        for w in windows {
            out.push_str(&format!(
                "\nThe chain was broken by {} at {}",
                Shown(&w.broken_by),
                Shown(w.broken_at.as_deref().unwrap_or("an unknown time"))
            ));
            match &w.restored_by {
                Some(by) => out.push_str(&format!(
                    ", and restored by {} at {}: what it watches told nobody in between.",
                    Shown(by),
                    Shown(w.restored_at.as_deref().unwrap_or("an unknown time"))
                )),
                None => out.push_str(": what it watches told nobody from then until it was repaired."),
            }
        }
        out.push_str("\nAudited after:\n");
        for c in self.changes() {
            out.push_str(&format!(
                "  {} ({}) in account {} ({}) at {}",
                Shown(&c.headline()),
                Shown(&c.event_source),
                Shown(&c.account),
                Shown(&c.region),
                Shown(c.event_time.as_deref().unwrap_or("an unknown time")),
            ));
            // Where from and what kind of caller only for a confirmed event: the rest
            // is what the event claims, and says why it is not confirmed.
            match (&c.confirmation, &c.actor) {
                (Confirmation::Confirmed, Some(actor)) => out.push_str(&format!(
                    ", from {}, type {}",
                    Shown(c.source_ip.as_deref().unwrap_or("an unknown address")),
                    Shown(actor.kind.as_deref().unwrap_or("unknown")),
                )),
                (Confirmation::Unconfirmed { why } | Confirmation::Contradicted { why }, _) => {
                    out.push_str(&format!(" [{}]", Shown(why)))
                }
                (Confirmation::Confirmed, None) => {}
            }
            if !c.request.is_empty() {
                let names: Vec<String> = c.request.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!(": {}", Shown(&names.join(", "))));
            }
            out.push('\n');
        }
        out
    }
}

/// `summary` with the changes made in `account` that started the run, for a finding
/// read without the report (Security Hub's description).
pub fn described(summary: &str, trigger: Option<&TriggerSection>, account: &str) -> String {
    let Some(changes) = trigger.map(TriggerSection::changes) else {
        return summary.to_string();
    };
    let here: Vec<&Change> = changes.iter().filter(|c| c.account == account).collect();
    match here.as_slice() {
        [] => summary.to_string(),
        here => format!("{summary} (audited after {})", headline(here.iter().copied())),
    }
}

/// The subject of a report a change started: "FAIL after DeleteAlarms by <actor>"; a
/// chain that holds now after a call that broke it (a window) says so first: "BROKEN
/// meanwhile, PASS now: StopLogging by <actor>".
pub fn subject(status_word: &str, trigger: &TriggerSection, windows: &[Window]) -> String {
    match (status_word, windows) {
        ("PASS", [first, ..]) => format!(
            "BROKEN meanwhile, PASS now: {}{}",
            first.broken_by,
            match windows.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            }
        ),
        _ => format!("{status_word} after {}", trigger.headline()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Findings, Status};
    use crate::report::Report;
    use crate::settings::Mode;
    use crate::tamper::{classify, Classified, OwnIdentity};

    /// A change CloudTrail's event history confirmed, made by `actor`.
    fn change(actor: &str) -> Change {
        let mut c = claimed(actor);
        c.confirm(Confirmation::Confirmed);
        c
    }

    /// The same change, as the event claims it, not confirmed.
    fn claimed(actor: &str) -> Change {
        let mut event: serde_json::Value =
            serde_json::from_str(include_str!("../../events/tamper-delete-alarms.json")).unwrap();
        event["detail"]["userIdentity"]["arn"] = actor.into();
        match classify(&event, &OwnIdentity::default()).unwrap() {
            Classified::Change(c) => *c,
            other => panic!("{other:?}"),
        }
    }

    /// An event that is not confirmed names nobody, anywhere the report goes: the
    /// subject, the text, the JSON's `actor` (the claim is `claimed_actor`), Security
    /// Hub's description.
    #[test]
    fn an_unconfirmed_change_is_never_attributed() {
        let mut mallory = claimed("arn:aws:iam::123456789012:user/mallory");
        mallory.confirm(Confirmation::Unconfirmed {
            why: "event e-1 is not in CloudTrail's event history".into(),
        });
        let r = report(std::slice::from_ref(&mallory));
        assert_eq!(r.subject(), "FAIL after DeleteAlarms (caller unconfirmed)");
        let text = r.text();
        assert!(!text.contains("user/mallory"), "{text}");
        assert!(text.contains("DeleteAlarms (caller unconfirmed) (monitoring.amazonaws.com) in account 123456789012 (us-east-1) at 2026-11-30T10:15:02Z [event e-1 is not in CloudTrail's event history]"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&r.to_json_string()).unwrap();
        assert!(json["trigger"].get("actor").is_none(), "{json:#}");
        assert_eq!(
            json["trigger"]["claimed_actor"]["arn"],
            "arn:aws:iam::123456789012:user/mallory"
        );
        assert_eq!(json["trigger"]["confirmation"]["status"], "unconfirmed");
        let trigger = r.trigger.as_ref();
        assert!(!described("s", trigger, "123456789012").contains("mallory"));
    }

    fn report(changes: &[Change]) -> Report {
        let findings = Findings {
            status: Status::Fail,
            account: Some("123456789012".into()),
            region: "us-east-1".into(),
            summary: "no alarm".into(),
            trails: Vec::new(),
            errors: Vec::new(),
            rules: Vec::new(),
        };
        let mut report = Report::new(findings, Mode::Audit, false, "now".into());
        report.trigger = TriggerSection::new(changes);
        report
    }

    #[test]
    fn the_subject_names_the_change_and_who_made_it() {
        let mallory = change("arn:aws:iam::123456789012:user/mallory");
        let r = report(std::slice::from_ref(&mallory));
        assert_eq!(
            r.subject(),
            "FAIL after DeleteAlarms by arn:aws:iam::123456789012:user/mallory"
        );
        assert!(r.text().contains("Audited after:\n  DeleteAlarms by arn:aws:iam::123456789012:user/mallory (monitoring.amazonaws.com) in account 123456789012 (us-east-1)"), "{}", r.text());
        let json: serde_json::Value = serde_json::from_str(&r.to_json_string()).unwrap();
        assert_eq!(json["trigger"]["event_name"], "DeleteAlarms");
        assert_eq!(json["trigger"]["actor"]["type"], "IAMUser");
        let r = report(&[mallory.clone(), mallory.clone(), mallory]);
        assert_eq!(
            r.subject(),
            "FAIL after DeleteAlarms by arn:aws:iam::123456789012:user/mallory and 2 more changes"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json_string()).unwrap();
        assert_eq!(json["trigger"].as_array().map(Vec::len), Some(3));
        // A long session name: still one ASCII line under SNS's 100 characters.
        let long = change(&format!(
            "arn:aws:sts::123456789012:assumed-role/Admin/{}é",
            "s".repeat(80)
        ));
        let subject = report(std::slice::from_ref(&long)).subject();
        assert!(
            subject.len() < 100 && subject.is_ascii() && subject.starts_with("FAIL after DeleteAlarms by "),
            "{subject}"
        );
    }

    #[test]
    fn a_finding_names_the_changes_made_in_its_account() {
        let mut other = change("arn:aws:iam::222222222222:user/eve");
        other.account = "222222222222".into();
        let mine = change("arn:aws:iam::123456789012:user/mallory");
        let trigger = TriggerSection::new(&[mine.clone(), other, mine]);
        assert_eq!(
            described("no alarm", trigger.as_ref(), "123456789012"),
            "no alarm (audited after DeleteAlarms by arn:aws:iam::123456789012:user/mallory and 1 more change)"
        );
        assert_eq!(
            described("no alarm", trigger.as_ref(), "222222222222"),
            "no alarm (audited after DeleteAlarms by arn:aws:iam::222222222222:user/eve)"
        );
        assert_eq!(described("no alarm", trigger.as_ref(), "333333333333"), "no alarm");
        assert_eq!(described("no alarm", None, "123456789012"), "no alarm");
    }

    /// A chain that passes after a call that broke it: the subject says the break first.
    #[test]
    fn a_pass_after_a_break_says_the_chain_was_broken_meanwhile() {
        let mallory = change("arn:aws:iam::123456789012:user/mallory");
        let mut r = report(std::slice::from_ref(&mallory));
        r.status = Status::Pass;
        // The chain the audit reported names the alarm the change deleted.
        r.tamper_windows = crate::tamper::windows(
            std::slice::from_ref(&mallory),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:IAMAuthorizationActivityAlarm",
        );
        assert_eq!(
            r.subject(),
            "BROKEN meanwhile, PASS now: DeleteAlarms by arn:aws:iam::123456789012:user/mallory"
        );
        assert!(
            r.text()
                .contains("The chain was broken by DeleteAlarms by arn:aws:iam::123456789012:user/mallory at "),
            "{}",
            r.text()
        );
        // A call that breaks nothing by itself, or a break of another alarm than the
        // chain's: the usual subject.
        let mut put = mallory.clone();
        put.event_name = "PutMetricAlarm".into();
        let mut r = report(&[put]);
        r.status = Status::Pass;
        assert!(
            r.subject().starts_with("PASS after PutMetricAlarm by "),
            "{}",
            r.subject()
        );
        assert!(crate::tamper::windows(&[mallory], "arn:aws:cloudwatch:us-east-1:123456789012:alarm:other").is_empty());
    }

    /// At the limits: 2,000 changes with the longest actors and names, on a report with
    /// long links: the message still fits SNS and says how many changes it left out.
    #[test]
    fn any_burst_fits_an_sns_message() {
        let long = change(&"a".repeat(10_000));
        let mut r = report(&vec![long; 2_000]);
        r.summary = "s".repeat(100_000);
        let message = r.sns_message();
        assert!(
            message.message.len() <= crate::report::MAX_SNS_MESSAGE_BYTES,
            "{}",
            message.message.len()
        );
        let body: serde_json::Value = serde_json::from_str(&message.message).unwrap();
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        let kept = json["trigger"].as_array().map_or(1, Vec::len) as u64;
        assert_eq!(kept + json["changes_left_out"].as_u64().unwrap(), 2_000);
        assert!(body["default"]
            .as_str()
            .unwrap()
            .contains("more changes (in the function's log)"));
    }
}
