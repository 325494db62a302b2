//! The Security Hub finding (ASFF 2018-10-08) of one audited account for this control:
//! a deterministic Id per account and control (re-imports update the same finding),
//! Security Hub's compliance vocabulary and reason codes, the chain's resources. Pure:
//! the adapter (`apply::securityhub`) sends it.

use serde::Serialize;

use crate::arn::partition_of;
use crate::check::{LinkStatus, Status, TrailFinding};
use crate::rule::{Rule, DEFAULT_RULE};

/// One finding, in the fields Security Hub's BatchImportFindings takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub types: Vec<&'static str>,
    pub title: String,
    pub description: String,
    pub severity: &'static str,
    pub compliance_status: &'static str,
    pub related_requirements: Vec<String>,
    /// (ReasonCode, Description)
    pub status_reasons: Vec<(String, String)>,
    /// (Type, Id)
    pub resources: Vec<(&'static str, String)>,
    pub recommendation: String,
    pub recommendation_url: String,
    pub first_observed_at: String,
    pub last_observed_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub record_state: &'static str,
    pub region: String,
    /// (name, value): the rule's id, and Security Hub's control id where it has one, so
    /// a finding can be found by either.
    pub product_fields: Vec<(&'static str, String)>,
}

/// The mission's rule's generator and finding Id keep the names they had before there
/// were other rules, so its findings stay the same findings.
pub const GENERATOR_ID: &str = "iam-policy-alarm/cis-aws-foundations/iam-policy-changes-alarm";
const CONTROLS_PAGE: &str = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html";

fn generator_id(rule: &Rule) -> String {
    match rule.id == DEFAULT_RULE {
        true => GENERATOR_ID.into(),
        false => format!("iam-policy-alarm/cis-aws-foundations/{}-alarm", rule.id),
    }
}

/// The deterministic Id: one finding per account, region of the audit and rule.
pub fn finding_id(region: &str, account: &str, rule: &Rule) -> String {
    let partition = partition_of(region);
    let name = match rule.id == DEFAULT_RULE {
        true => "cis-4.4-iam-policy-changes-alarm".to_string(),
        false => format!("{}-alarm", rule.id),
    };
    format!("arn:{partition}:securityhub:{region}:{account}:iam-policy-alarm/{name}")
}

/// The finding of `account`, audited from `region` at `time`: `status` and `summary`
/// its verdict, `trails` its chains (with their reason codes). `created_at` keeps the
/// first import's time (None: this is the first).
#[allow(clippy::too_many_arguments)]
pub fn finding(
    rule: &Rule,
    account: &str,
    region: &str,
    status: Status,
    summary: &str,
    trails: &[TrailFinding],
    time: &str,
    created_at: Option<&str>,
) -> AsffFinding {
    // WARNING only for a chain that goes on in another account and could not be read
    // from here: not proven, not broken.
    let external =
        trails.iter().any(|t| t.status == LinkStatus::External) && !trails.iter().any(|t| t.status == LinkStatus::Fail);
    let (compliance_status, severity) = match status {
        Status::Pass => ("PASSED", "INFORMATIONAL"),
        Status::Fail if external => ("WARNING", "MEDIUM"),
        Status::Fail => ("FAILED", "HIGH"),
        Status::Error => ("NOT_AVAILABLE", "INFORMATIONAL"),
    };
    let mut status_reasons: Vec<(String, String)> = trails
        .iter()
        .flat_map(|t| t.links.all().into_iter().map(move |(name, l)| (t, name, l)))
        .filter_map(|(t, name, l)| {
            let code = l.reason_code?;
            Some((
                code.to_string(),
                cut(&format!("trail {} {name}: {}", t.name, l.detail), 2048),
            ))
        })
        .collect();
    status_reasons.dedup_by(|a, b| a.0 == b.0);
    let mut resources = vec![("AwsAccount", format!("AWS::::Account:{account}"))];
    // The chain that decided: the passing one, or else the first.
    let chosen = trails.iter().find(|t| t.status == LinkStatus::Pass).or(trails.first());
    if let Some(t) = chosen {
        resources.push(("AwsCloudTrailTrail", t.arn.clone()));
        for (name, l) in t.links.all() {
            for r in l.resources.iter().filter(|r| r.as_str() != t.arn) {
                let kind = match name {
                    "notification" => "AwsSnsTopic",
                    "alarm" => "AwsCloudWatchAlarm",
                    _ => "Other",
                };
                if !resources.iter().any(|(_, id)| id == r) {
                    resources.push((kind, r.clone()));
                }
            }
        }
    }
    resources.truncate(32);
    AsffFinding {
        schema_version: "2018-10-08",
        id: finding_id(region, account, rule),
        product_arn: format!(
            "arn:{}:securityhub:{region}:{account}:product/{account}/default",
            partition_of(region)
        ),
        generator_id: generator_id(rule),
        aws_account_id: account.to_string(),
        types: vec!["Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"],
        title: format!("{} are alarmed ({})", rule.title, rule.controls_summary),
        description: cut(summary, 1024),
        severity,
        compliance_status,
        related_requirements: rule
            .controls
            .iter()
            .map(|c| match c.versions.as_str() {
                "" => format!("{} {}", c.standard, c.id),
                v => format!("{} {v}/{}", c.standard, c.id),
            })
            .collect(),
        status_reasons,
        resources,
        recommendation: "Create what the failing link's fix says (iam-policy-alarm remediate creates the metric filter and alarm), or audit the account the chain continues in".into(),
        recommendation_url: match &rule.security_hub_control {
            Some(control) => format!("{CONTROLS_PAGE}#{}", control.to_lowercase().replace('.', "-")),
            None => CONTROLS_PAGE.into(),
        },
        first_observed_at: created_at.unwrap_or(time).to_string(),
        last_observed_at: time.to_string(),
        created_at: created_at.unwrap_or(time).to_string(),
        updated_at: time.to_string(),
        record_state: "ACTIVE",
        region: region.to_string(),
        product_fields: std::iter::once(("iam-policy-alarm/RuleId", rule.id.clone()))
            .chain(rule.security_hub_control.clone().map(|c| ("ControlId", c)))
            .collect(),
    }
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// BatchImportFindings takes at most 100 findings a request.
pub fn batches(findings: &[AsffFinding]) -> impl Iterator<Item = &[AsffFinding]> {
    findings.chunks(100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{LinkFinding, Links};

    fn link(status: LinkStatus, code: Option<&'static str>) -> LinkFinding {
        LinkFinding {
            status,
            detail: "d".into(),
            reason_code: code,
            fix: None,
            resources: vec!["arn:aws:logs:us-east-1:111111111111:log-group:g".into()],
            errors: Vec::new(),
        }
    }

    fn trail(status: LinkStatus, filter: LinkStatus) -> TrailFinding {
        TrailFinding {
            name: "t".into(),
            arn: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t".into(),
            home_region: "us-east-1".into(),
            organization: false,
            log_group: None,
            status,
            links: Links {
                trail: link(LinkStatus::Pass, None),
                metric_filter: link(
                    filter,
                    (filter == LinkStatus::Fail).then_some("CLOUDTRAIL_METRIC_FILTER_NOT_VALID"),
                ),
                alarm: link(LinkStatus::NotReached, None),
                notification: link(LinkStatus::NotReached, None),
            },
        }
    }

    #[test]
    fn the_finding_and_product_arns_are_in_the_regions_partition() {
        let f = finding(
            crate::rule::default_rule(),
            "111111111111",
            "cn-north-1",
            Status::Pass,
            "ok",
            &[],
            "2026-12-01T00:00:00Z",
            None,
        );
        assert_eq!(
            f.product_arn,
            "arn:aws-cn:securityhub:cn-north-1:111111111111:product/111111111111/default"
        );
        assert!(f.id.starts_with("arn:aws-cn:securityhub:cn-north-1:"), "{}", f.id);
        assert!(finding_id("us-gov-west-1", "1", crate::rule::default_rule()).starts_with("arn:aws-us-gov:"));
    }

    #[test]
    fn one_finding_per_account_and_control_with_security_hubs_vocabulary() {
        let f = finding(
            crate::rule::default_rule(),
            "111111111111",
            "us-east-1",
            Status::Fail,
            "broken",
            &[trail(LinkStatus::Fail, LinkStatus::Fail)],
            "2026-12-01T00:00:00Z",
            None,
        );
        assert_eq!(
            f.id,
            finding_id("us-east-1", "111111111111", crate::rule::default_rule())
        );
        assert_eq!(
            f.product_arn,
            "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
        );
        assert_eq!((f.compliance_status, f.severity), ("FAILED", "HIGH"));
        assert_eq!(f.status_reasons[0].0, "CLOUDTRAIL_METRIC_FILTER_NOT_VALID");
        assert_eq!(
            f.resources[0],
            ("AwsAccount", "AWS::::Account:111111111111".to_string())
        );
        assert!(
            f.related_requirements
                .contains(&"AWS Security Hub CloudWatch.4".to_string()),
            "{:?}",
            f.related_requirements
        );
        assert!(f
            .related_requirements
            .contains(&"CIS AWS Foundations Benchmark 1.4.0 to 5.0.0/4.4".to_string()));
        let again = finding(
            crate::rule::default_rule(),
            "111111111111",
            "us-east-1",
            Status::Pass,
            "fixed",
            &[trail(LinkStatus::Pass, LinkStatus::Pass)],
            "2026-12-02T00:00:00Z",
            Some("2026-12-01T00:00:00Z"),
        );
        assert_eq!(again.id, f.id, "the same finding, updated");
        assert_eq!((again.compliance_status, again.severity), ("PASSED", "INFORMATIONAL"));
        assert_eq!(
            (again.created_at.as_str(), again.updated_at.as_str()),
            ("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")
        );
        assert!(again.status_reasons.is_empty());
    }

    /// Each rule is a finding of its own: its Id, its controls, its Security Hub control;
    /// the mission's keeps the Id it had before there were other rules.
    #[test]
    fn one_finding_per_rule_with_the_rules_own_controls() {
        let root = crate::rule::by_id("root-usage").unwrap();
        let f = finding(root, "111111111111", "us-east-1", Status::Fail, "s", &[], "t", None);
        assert_eq!(
            f.id,
            "arn:aws:securityhub:us-east-1:111111111111:iam-policy-alarm/root-usage-alarm"
        );
        assert!(f
            .related_requirements
            .contains(&"AWS Security Hub CloudWatch.1".to_string()));
        assert!(f
            .related_requirements
            .contains(&"CIS AWS Foundations Benchmark 1.4.0 to 5.0.0/4.3".to_string()));
        assert!(f
            .title
            .starts_with("Root user calls are alarmed (CIS AWS Foundations 4.3"));
        assert!(
            f.recommendation_url.ends_with("#cloudwatch-1"),
            "{}",
            f.recommendation_url
        );
        assert!(f.product_fields.contains(&("ControlId", "CloudWatch.1".to_string())));
        assert_eq!(
            finding_id("us-east-1", "111111111111", crate::rule::default_rule()),
            "arn:aws:securityhub:us-east-1:111111111111:iam-policy-alarm/cis-4.4-iam-policy-changes-alarm"
        );
        let org = crate::rule::by_id("organizations-changes").unwrap();
        let f = finding(org, "111111111111", "us-east-1", Status::Pass, "s", &[], "t", None);
        assert_eq!(
            f.product_fields,
            [("iam-policy-alarm/RuleId", "organizations-changes".to_string())]
        );
    }

    #[test]
    fn an_incomplete_audit_is_not_available_never_passed() {
        let f = finding(
            crate::rule::default_rule(),
            "111111111111",
            "us-east-1",
            Status::Error,
            "unread",
            &[],
            "t",
            None,
        );
        assert_eq!(f.compliance_status, "NOT_AVAILABLE");
        let f = finding(
            crate::rule::default_rule(),
            "111111111111",
            "us-east-1",
            Status::Fail,
            "elsewhere",
            &[trail(LinkStatus::External, LinkStatus::External)],
            "t",
            None,
        );
        assert_eq!(f.compliance_status, "WARNING");
    }

    #[test]
    fn imports_go_in_requests_of_at_most_100() {
        let one = finding(
            crate::rule::default_rule(),
            "111111111111",
            "us-east-1",
            Status::Pass,
            "s",
            &[],
            "t",
            None,
        );
        let many = vec![one; 250];
        let sizes: Vec<usize> = batches(&many).map(<[AsffFinding]>::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
    }
}
