//! The findings as OCSF 1.1 Compliance Finding events (class_uid 2003): one per audited
//! account, with the compliance status, the control ids, the resources and the
//! remediation text; what Prowler and the new Security Hub exchange. Pure.

use serde::Serialize;

use super::asff::{finding, AsffFinding};
use super::RunReport;
use crate::arn::partition_of;
use crate::check::TrailFinding;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComplianceFinding {
    pub activity_id: u8,
    pub activity_name: &'static str,
    pub category_name: &'static str,
    pub category_uid: u8,
    pub class_name: &'static str,
    pub class_uid: u32,
    pub type_uid: u32,
    pub type_name: &'static str,
    pub severity_id: u8,
    pub severity: &'static str,
    /// Epoch milliseconds.
    pub time: i64,
    pub message: String,
    pub metadata: Metadata,
    pub finding_info: FindingInfo,
    pub compliance: Compliance,
    pub resources: Vec<Resource>,
    pub remediation: Remediation,
    pub cloud: Cloud,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metadata {
    pub version: &'static str,
    pub product: Product,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Product {
    pub name: &'static str,
    pub vendor_name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingInfo {
    pub uid: String,
    pub title: String,
    pub desc: String,
    pub types: Vec<&'static str>,
    pub created_time: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Compliance {
    pub control: &'static str,
    pub standards: Vec<String>,
    pub requirements: Vec<String>,
    pub status_id: u8,
    pub status: &'static str,
    pub status_details: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resource {
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub region: String,
    pub cloud_partition: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Remediation {
    pub desc: String,
    pub references: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cloud {
    pub provider: &'static str,
    pub region: String,
    pub account: Account,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Account {
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub type_id: u8,
}

/// One event per audited account and judged rule of the report, at the report's time.
pub fn events(report: &RunReport) -> Vec<ComplianceFinding> {
    let time_ms = report.time_ms();
    let one = |rule, account: &str, region: &str, status, summary: &str, trails: &[TrailFinding], time: &str| {
        event(
            &finding(rule, account, region, status, summary, trails, time, None),
            time_ms,
        )
    };
    match report {
        RunReport::Account(r) => {
            let account = r.account.as_deref().unwrap_or("unknown");
            r.rules
                .iter()
                .map(|x| one(x.rule, account, &r.region, x.status, &x.summary, &x.trails, &r.time))
                .collect()
        }
        RunReport::Organization(r) => r
            .accounts
            .iter()
            .flat_map(|a| {
                // An account that could not be audited has no rule verdicts: one event says so.
                let unaudited = a.rules.is_empty().then(|| {
                    let rule = crate::rule::default_rule();
                    one(rule, &a.account, &r.region, a.status, &a.summary, &a.trails, &r.time)
                });
                a.rules
                    .iter()
                    .map(|x| &x.verdict)
                    .map(|x| one(x.rule, &a.account, &r.region, x.status, &x.summary, &x.trails, &r.time))
                    .chain(unaudited)
                    .collect::<Vec<_>>()
            })
            .collect(),
    }
}

/// The OCSF event of an ASFF finding: the same verdict in OCSF's words.
fn event(f: &AsffFinding, time_ms: i64) -> ComplianceFinding {
    let (status_id, status) = match f.compliance_status {
        "PASSED" => (1, "Pass"),
        "WARNING" => (2, "Warning"),
        "FAILED" => (3, "Fail"),
        _ => (0, "Unknown"),
    };
    let (severity_id, severity) = match f.severity {
        "HIGH" => (4, "High"),
        "MEDIUM" => (3, "Medium"),
        _ => (1, "Informational"),
    };
    ComplianceFinding {
        activity_id: 1,
        activity_name: "Create",
        category_name: "Findings",
        category_uid: 2,
        class_name: "Compliance Finding",
        class_uid: 2003,
        type_uid: 200301,
        type_name: "Compliance Finding: Create",
        severity_id,
        severity,
        time: time_ms,
        message: f.description.clone(),
        metadata: Metadata {
            version: "1.1.0",
            product: Product {
                name: "iam-policy-alarm",
                vendor_name: "iam-policy-alarm",
                version: env!("CARGO_PKG_VERSION"),
            },
        },
        finding_info: FindingInfo {
            uid: f.id.clone(),
            title: f.title.clone(),
            desc: f.description.clone(),
            types: f.types.clone(),
            created_time: time_ms,
        },
        compliance: Compliance {
            control: "CloudWatch.4",
            standards: f.related_requirements.clone(),
            requirements: f.related_requirements.clone(),
            status_id,
            status,
            status_details: f
                .status_reasons
                .iter()
                .map(|(code, d)| format!("{code}: {d}"))
                .collect(),
        },
        resources: f
            .resources
            .iter()
            .map(|(kind, uid)| Resource {
                uid: uid.clone(),
                kind,
                region: f.region.clone(),
                cloud_partition: partition_of(&f.region),
            })
            .collect(),
        remediation: Remediation {
            desc: f.recommendation.clone(),
            references: vec![f.recommendation_url.clone()],
        },
        cloud: Cloud {
            provider: "AWS",
            region: f.region.clone(),
            account: Account {
                uid: f.aws_account_id.clone(),
                kind: "AWS Account",
                type_id: 10,
            },
        },
    }
}

impl ComplianceFinding {
    /// Not PASS what is not proven: an incomplete audit is status Unknown.
    pub fn passed(&self) -> bool {
        self.compliance.status_id == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Findings, Status};
    use crate::report::Report;
    use crate::settings::Mode;

    #[test]
    fn an_account_is_one_compliance_finding_in_ocsfs_words() {
        for (status, id, word) in [
            (Status::Pass, 1, "Pass"),
            (Status::Fail, 3, "Fail"),
            (Status::Error, 0, "Unknown"),
        ] {
            let findings = Findings {
                account: Some("111111111111".into()),
                region: "us-east-1".into(),
                status,
                summary: "s".into(),
                trails: Vec::new(),
                errors: Vec::new(),
                rules: vec![crate::check::RuleFindings::new(
                    crate::rule::default_rule(),
                    status,
                    "s".into(),
                    Vec::new(),
                )],
            };
            let time = "2023-11-14T22:13:20Z".to_string();
            let report = RunReport::Account(Box::new(Report::new(findings, Mode::Audit, false, time)));
            let events = events(&report);
            assert_eq!(events.len(), 1);
            let e = &events[0];
            assert_eq!((e.class_uid, e.category_uid, e.type_uid), (2003, 2, 200301));
            assert_eq!((e.compliance.status_id, e.compliance.status), (id, word));
            assert_eq!(e.passed(), status == Status::Pass);
            assert_eq!(e.cloud.account.uid, "111111111111");
            assert_eq!(e.time, 1_700_000_000_000, "the report's time, not the clock's");
        }
    }
}
