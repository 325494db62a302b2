//! A Security Hub finding someone else set aside: the finding this tool imported for an
//! account, suppressed, resolved or archived while the chain it describes is not
//! proven, hides a FAIL from everyone who reads Security Hub. It is a tamper of its own,
//! published as its own message (the report itself went out before the import).
//!
//! What Security Hub does by itself (the ASFF `Workflow` documentation): it sets
//! `Workflow.Status` to RESOLVED when a finding's `Compliance.Status` turns PASSED, and
//! back to NEW when it turns from PASSED to FAILED; it never suppresses or archives a
//! finding of this product. So SUPPRESSED, ARCHIVED, or RESOLVED over a compliance that
//! is not PASSED, was set by a person or an automation rule.

use serde::Serialize;
use serde_json::json;

use super::{sns_bodies, sns_subject_text, Shown, SnsMessage};
use crate::check::Status;

/// At most this many overrides are named in one message; the rest are counted.
const NAMED: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingOverride {
    pub account: String,
    pub finding_id: String,
    /// The compliance status this tool imported last.
    pub compliance_status: String,
    pub workflow_status: Option<String>,
    pub record_state: Option<String>,
    /// `Note.UpdatedBy` and `Note.Text`, when whoever set it aside left a note.
    pub note_updated_by: Option<String>,
    pub note: Option<String>,
    /// This run's verdict for the account.
    pub status_now: &'static str,
}

/// What Security Hub held of a finding before this run's import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    pub compliance_status: Option<String>,
    pub workflow_status: Option<String>,
    pub record_state: Option<String>,
    pub note_updated_by: Option<String>,
    pub note: Option<String>,
}

/// The override `stored` shows, if any: set aside by someone (see the module's note),
/// while the last import or this run's verdict is not PASSED.
pub fn detect(account: &str, finding_id: &str, stored: &Stored, now: Status) -> Option<FindingOverride> {
    let compliance = stored.compliance_status.as_deref().unwrap_or("NOT_AVAILABLE");
    let workflow = stored.workflow_status.as_deref();
    let set_aside = workflow == Some("SUPPRESSED")
        || stored.record_state.as_deref() == Some("ARCHIVED")
        || (workflow == Some("RESOLVED") && compliance != "PASSED");
    let hides_something = compliance != "PASSED" || now != Status::Pass;
    (set_aside && hides_something).then(|| FindingOverride {
        account: account.to_string(),
        finding_id: finding_id.to_string(),
        compliance_status: compliance.to_string(),
        workflow_status: stored.workflow_status.clone(),
        record_state: stored.record_state.clone(),
        note_updated_by: stored.note_updated_by.clone(),
        note: stored.note.clone(),
        status_now: super::status_word(now),
    })
}

impl FindingOverride {
    /// "SUPPRESSED", "ARCHIVED" or "RESOLVED": what was done to the finding.
    fn what(&self) -> &str {
        match (self.workflow_status.as_deref(), self.record_state.as_deref()) {
            (Some("SUPPRESSED"), _) => "SUPPRESSED",
            (_, Some("ARCHIVED")) => "ARCHIVED",
            (Some(other), _) => other,
            (None, _) => "set aside",
        }
    }

    fn line(&self) -> String {
        format!(
            "  account {}: finding {} was {} while it read {} (now {}){}\n",
            Shown(&self.account),
            Shown(&self.finding_id),
            Shown(self.what()),
            Shown(&self.compliance_status),
            self.status_now,
            match (&self.note_updated_by, &self.note) {
                (Some(by), Some(note)) => format!(", note by {}: {}", Shown(by), Shown(note)),
                (Some(by), None) => format!(", by {}", Shown(by)),
                (None, Some(note)) => format!(", note: {}", Shown(note)),
                (None, None) => String::new(),
            }
        )
    }
}

/// The message that reports `overrides` (at least one): status FAIL, one line each
/// (the first NAMED; the rest counted, all of them in the function's log).
pub fn message(overrides: &[FindingOverride]) -> SnsMessage {
    let first = &overrides[0];
    let more = overrides.len() - 1;
    let subject = sns_subject_text(&format!(
        "TAMPER: Security Hub finding of account {} {}{}",
        first.account,
        first.what(),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ));
    let named = &overrides[..overrides.len().min(NAMED)];
    let mut text = String::from(
        "IAM policy change alarm: a Security Hub finding of this tool was set aside by someone else.\n\
         It hides a chain that is not proven from whoever reads Security Hub; the next import keeps it active,\n\
         but its workflow status stays until someone sets it back (BatchUpdateFindings).\n",
    );
    for o in named {
        text.push_str(&o.line());
    }
    if overrides.len() > named.len() {
        text.push_str(&format!(
            "  ... and {} more (in the function's log)\n",
            overrides.len() - named.len()
        ));
    }
    let json = json!({
        "status": "FAIL",
        "security_hub_overrides": named,
        "security_hub_overrides_left_out": overrides.len() - named.len(),
    })
    .to_string();
    let message = sns_bodies(&text, &subject, &json);
    SnsMessage {
        subject,
        message,
        attributes: vec![
            ("status".into(), "FAIL".into()),
            ("account".into(), first.account.clone()),
            ("kind".into(), "security-hub-override".into()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(compliance: &str, workflow: &str, record: &str) -> Stored {
        Stored {
            compliance_status: Some(compliance.into()),
            workflow_status: Some(workflow.into()),
            record_state: Some(record.into()),
            ..Stored::default()
        }
    }

    #[test]
    fn a_finding_set_aside_while_it_is_not_passed_is_an_override() {
        use Status::{Fail, Pass};
        let cases = [
            // (stored compliance, workflow, record state, this run, an override?)
            ("FAILED", "SUPPRESSED", "ACTIVE", Fail, true),
            ("FAILED", "RESOLVED", "ACTIVE", Fail, true),
            ("FAILED", "NEW", "ARCHIVED", Fail, true),
            ("NOT_AVAILABLE", "SUPPRESSED", "ACTIVE", Pass, true),
            // Suppressed while passing, and failing now: it would hide the new FAIL.
            ("PASSED", "SUPPRESSED", "ACTIVE", Fail, true),
            // Security Hub's own: RESOLVED when it turned PASSED.
            ("PASSED", "RESOLVED", "ACTIVE", Pass, false),
            ("PASSED", "RESOLVED", "ACTIVE", Fail, false),
            ("FAILED", "NEW", "ACTIVE", Fail, false),
            ("FAILED", "NOTIFIED", "ACTIVE", Fail, false),
            // Set aside, but nothing to hide: passing then and now.
            ("PASSED", "SUPPRESSED", "ACTIVE", Pass, false),
        ];
        for (compliance, workflow, record, now, wanted) in cases {
            let found = detect("111111111111", "id", &stored(compliance, workflow, record), now);
            assert_eq!(found.is_some(), wanted, "{compliance} {workflow} {record} {now:?}");
        }
    }

    #[test]
    fn the_message_names_who_and_what_and_stays_bounded() {
        let mut s = stored("FAILED", "SUPPRESSED", "ACTIVE");
        s.note_updated_by = Some("arn:aws:iam::111111111111:user/mallory".into());
        s.note = Some("noise\n[PASS] fine".into());
        let one = detect("111111111111", "f-1", &s, Status::Fail).unwrap();
        let m = message(std::slice::from_ref(&one));
        assert_eq!(
            m.subject,
            "TAMPER: Security Hub finding of account 111111111111 SUPPRESSED"
        );
        let bodies: serde_json::Value = serde_json::from_str(&m.message).unwrap();
        let email = bodies["email"].as_str().unwrap();
        assert!(
            email.contains("account 111111111111: finding f-1 was SUPPRESSED while it read FAILED (now FAIL), note by arn:aws:iam::111111111111:user/mallory: noise\\u{a}[PASS] fine"),
            "{email}"
        );
        let json: serde_json::Value = serde_json::from_str(bodies["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["security_hub_overrides"][0]["workflow_status"], "SUPPRESSED");
        assert!(m.attributes.contains(&("status".into(), "FAIL".into())));

        let many = vec![one; 1000];
        let m = message(&many);
        assert!(m.message.len() < 64 * 1024, "{}", m.message.len());
        assert!(m.subject.ends_with("and 999 more"), "{}", m.subject);
        let bodies: serde_json::Value = serde_json::from_str(&m.message).unwrap();
        let json: serde_json::Value = serde_json::from_str(bodies["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["security_hub_overrides"].as_array().unwrap().len(), NAMED);
        assert_eq!(json["security_hub_overrides_left_out"], 1000 - NAMED);
    }
}
