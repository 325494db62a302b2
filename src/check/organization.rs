//! The organization's verdict, from each account's own findings. Pure. An organization
//! trail belongs to its owner account (the management account) and logs every account
//! of the organization: its chain is judged once, there, and credited to every account
//! it covers. An account PASSes when its own chain or a covering organization chain
//! passes; it is never FAIL for a chain that lives in another account, and it is ERROR
//! when it could not be audited, or when the organization chain that would decide could
//! not be read.

use serde::Serialize;

use super::{Findings, LinkStatus, Status, TrailFinding};

/// One account of the organization and what its audit found (Err: why it could not be
/// audited, one line).
#[derive(Clone, Debug, PartialEq)]
pub struct AccountAudit {
    pub account: String,
    pub name: String,
    pub findings: Result<Findings, AccountError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountError {
    pub message: String,
    pub retryable: bool,
}

/// The organization chain that covers an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CoveredBy {
    pub trail: String,
    pub account: String,
    /// The chain's resources: trail, log group, alarm, topic.
    pub resources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountVerdict {
    pub account: String,
    pub name: String,
    pub status: Status,
    pub summary: String,
    pub covered_by: Option<CoveredBy>,
    /// The account's own trails, as its audit judged them (the first rule's).
    pub trails: Vec<TrailFinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<AccountError>,
    /// Each judged rule's verdict for the account (empty when it was not audited).
    pub rules: Vec<RuleVerdict>,
}

/// One rule's verdict for one account of the organization: its own chains, or an
/// organization trail's chain for that rule (`covered_by`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleVerdict {
    #[serde(flatten)]
    pub verdict: crate::check::RuleFindings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<CoveredBy>,
}

/// An organization trail and whether its chain, judged in its owner account, holds.
struct OrganizationChain<'a> {
    owner: &'a str,
    trail: &'a TrailFinding,
}

/// Each account's verdict over every judged rule: each rule judged on its own (an
/// organization trail covers a member for the rules its chain passes), the account's
/// status the worst of them.
pub fn judge(audits: &[AccountAudit]) -> Vec<AccountVerdict> {
    let rules: Vec<&crate::check::RuleFindings> = audits
        .iter()
        .filter_map(|a| a.findings.as_ref().ok())
        .map(|f| f.rules.iter().collect::<Vec<_>>())
        .max_by_key(Vec::len)
        .unwrap_or_default();
    let per_rule: Vec<Vec<AccountVerdict>> = rules
        .iter()
        .map(|r| {
            let of_rule: Vec<AccountAudit> = audits
                .iter()
                .map(|a| AccountAudit {
                    findings: a
                        .findings
                        .as_ref()
                        .map(|f| match f.rules.iter().find(|x| x.id == r.id) {
                            Some(found) => f.of_rule(found),
                            None => f.clone(),
                        })
                        .map_err(Clone::clone),
                    ..a.clone()
                })
                .collect();
            judge_rule(&of_rule)
        })
        .collect();
    let Some(first) = per_rule.first() else {
        return judge_rule(audits);
    };
    let mut verdicts: Vec<AccountVerdict> = first
        .iter()
        .map(|v| {
            let mine: Vec<(&AccountVerdict, &crate::check::RuleFindings)> = per_rule
                .iter()
                .zip(&rules)
                .filter_map(|(vs, r)| Some((vs.iter().find(|x| x.account == v.account)?, *r)))
                .collect();
            let mut combined = v.clone();
            if v.error.is_none() {
                combined.rules = mine
                    .iter()
                    .map(|(x, r)| RuleVerdict {
                        verdict: crate::check::RuleFindings::new(r.rule, x.status, x.summary.clone(), x.trails.clone()),
                        covered_by: x.covered_by.clone(),
                    })
                    .collect();
                combined.status = mine.iter().fold(Status::Pass, |w, (x, _)| w.worst(x.status));
                let verdicts: Vec<(&str, Status, &str)> =
                    mine.iter().map(|(x, r)| (r.id, x.status, x.summary.as_str())).collect();
                combined.summary = crate::check::rules_summary(&verdicts);
            }
            combined
        })
        .collect();
    sort(&mut verdicts);
    verdicts
}

fn sort(verdicts: &mut [AccountVerdict]) {
    let rank = |s: Status| match s {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Pass => 2,
    };
    verdicts.sort_by(|a, b| (rank(a.status), &a.account).cmp(&(rank(b.status), &b.account)));
}

/// The accounts' verdicts for one rule (each audit's findings that rule's).
fn judge_rule(audits: &[AccountAudit]) -> Vec<AccountVerdict> {
    // Organization trails judged in their own account (not a member's EXTERNAL view).
    let chains: Vec<OrganizationChain> = audits
        .iter()
        .filter_map(|a| Some((a.account.as_str(), a.findings.as_ref().ok()?)))
        .flat_map(|(owner, f)| {
            f.trails
                .iter()
                .filter(|t| t.organization && t.links.trail.status != LinkStatus::External)
                .map(move |trail| OrganizationChain { owner, trail })
        })
        .collect();
    // Whose audit failed: an organization chain there is not known.
    let unread_owners: Vec<&str> = audits
        .iter()
        .filter(|a| match &a.findings {
            Err(_) => true,
            Ok(f) => f.status == Status::Error && chains.iter().all(|c| c.owner != a.account),
        })
        .map(|a| a.account.as_str())
        .collect();
    let mut verdicts: Vec<AccountVerdict> = audits.iter().map(|a| verdict(a, &chains, &unread_owners)).collect();
    sort(&mut verdicts);
    verdicts
}

fn verdict(audit: &AccountAudit, chains: &[OrganizationChain], unread_owners: &[&str]) -> AccountVerdict {
    let mut v = AccountVerdict {
        account: audit.account.clone(),
        name: audit.name.clone(),
        status: Status::Error,
        summary: String::new(),
        covered_by: None,
        trails: Vec::new(),
        error: None,
        rules: Vec::new(),
    };
    let findings = match &audit.findings {
        Ok(f) => f,
        Err(e) => {
            v.summary = e.message.clone();
            v.error = Some(e.clone());
            return v;
        }
    };
    v.trails = findings.trails.clone();
    if findings.status == Status::Pass {
        v.status = Status::Pass;
        v.summary = findings.summary.clone();
        return v;
    }
    if let Some(chain) = chains.iter().find(|c| c.trail.status == LinkStatus::Pass) {
        v.status = Status::Pass;
        v.summary = format!(
            "covered by organization trail {} of account {}: its chain alarms on the rule's events",
            chain.trail.name, chain.owner
        );
        v.covered_by = Some(CoveredBy {
            trail: chain.trail.arn.clone(),
            account: chain.owner.to_string(),
            resources: chain
                .trail
                .links
                .all()
                .iter()
                .flat_map(|(_, l)| l.resources.clone())
                .collect(),
        });
        return v;
    }
    if findings.status == Status::Error {
        v.summary = findings.summary.clone();
        return v;
    }
    // Its own chains fail; so do (or cannot be told) the organization's.
    if let Some(owner) = unread_owners.iter().find(|o| **o != audit.account) {
        v.summary = format!(
            "{}; whether an organization trail of account {owner} covers it is not known: that account could not be audited",
            findings.summary
        );
        return v;
    }
    v.status = Status::Fail;
    v.summary = match chains.first() {
        Some(chain) => {
            let broken = chain
                .trail
                .links
                .all()
                .into_iter()
                .find(|(_, l)| l.status != LinkStatus::Pass)
                .map(|(name, l)| format!("{name}: {}", l.detail))
                .unwrap_or_default();
            format!(
                "organization trail {} of account {} does not alarm ({broken}); {}",
                chain.trail.name,
                chain.owner,
                own_summary(findings, &audit.account, chain.owner)
            )
        }
        None => findings.summary.clone(),
    };
    v
}

/// The account's own part, once the organization trail's failure is said: a member
/// whose only trail is the organization's is not failing its own configuration.
fn own_summary(findings: &Findings, account: &str, owner: &str) -> String {
    let own = findings
        .trails
        .iter()
        .filter(|t| t.links.trail.status != LinkStatus::External)
        .count();
    if account == owner {
        return "this is the account the organization trail belongs to".into();
    }
    if own == 0 {
        "the account has no trail of its own".into()
    } else {
        format!("its own trails: {}", findings.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{LinkFinding, Links};

    fn link(status: LinkStatus) -> LinkFinding {
        LinkFinding {
            status,
            detail: format!("{status:?}"),
            reason_code: None,
            fix: None,
            resources: vec!["r".into()],
            errors: Vec::new(),
        }
    }

    fn trail(name: &str, organization: bool, status: LinkStatus) -> TrailFinding {
        TrailFinding {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:us-east-1:111111111111:trail/{name}"),
            home_region: "us-east-1".into(),
            organization,
            log_group: None,
            status,
            links: Links {
                trail: link(LinkStatus::Pass),
                metric_filter: link(status),
                alarm: link(LinkStatus::Pass),
                notification: link(LinkStatus::Pass),
            },
        }
    }

    fn findings(status: Status, trails: Vec<TrailFinding>) -> Findings {
        Findings {
            account: None,
            region: "us-east-1".into(),
            status,
            summary: format!("own {status:?}"),
            trails,
            errors: Vec::new(),
            rules: Vec::new(),
        }
    }

    fn audit(account: &str, findings: Result<Findings, AccountError>) -> AccountAudit {
        AccountAudit {
            account: account.into(),
            name: format!("n{account}"),
            findings,
        }
    }

    const MGMT: &str = "111111111111";
    const A: &str = "222222222222";
    const B: &str = "333333333333";

    fn status_of(v: &[AccountVerdict], account: &str) -> Status {
        v.iter().find(|x| x.account == account).unwrap().status
    }

    #[test]
    fn a_passing_organization_chain_covers_every_account() {
        let v = judge(&[
            audit(
                MGMT,
                Ok(findings(Status::Pass, vec![trail("org", true, LinkStatus::Pass)])),
            ),
            audit(A, Ok(findings(Status::Fail, vec![]))),
            audit(
                B,
                Ok(findings(Status::Fail, vec![trail("own", false, LinkStatus::Fail)])),
            ),
        ]);
        for account in [MGMT, A, B] {
            assert_eq!(status_of(&v, account), Status::Pass, "{account}");
        }
        let a = v.iter().find(|x| x.account == A).unwrap();
        assert_eq!(a.covered_by.as_ref().unwrap().account, MGMT);
        assert!(a
            .summary
            .starts_with("covered by organization trail org of account 111111111111"));
    }

    /// Each rule is judged on its own: the organization trail covers a member for the rule
    /// whose chain passes, not for the one whose chain is broken.
    #[test]
    fn an_organization_chain_covers_a_member_rule_by_rule() {
        let by_rule = |statuses: [(Status, LinkStatus); 2]| {
            let rules: Vec<crate::check::RuleFindings> = ["root-usage", "vpc-changes"]
                .iter()
                .zip(statuses)
                .map(|(id, (status, link))| {
                    let trails = match link {
                        LinkStatus::NotReached => Vec::new(),
                        _ => vec![trail("org", true, link)],
                    };
                    crate::check::RuleFindings::new(
                        crate::rule::by_id(id).unwrap(),
                        status,
                        format!("own {status:?}"),
                        trails,
                    )
                })
                .collect();
            let worst = rules.iter().fold(Status::Pass, |w, r| w.worst(r.status));
            Findings {
                rules: rules.clone(),
                ..findings(worst, rules[0].trails.clone())
            }
        };
        let v = judge(&[
            audit(
                MGMT,
                Ok(by_rule([
                    (Status::Pass, LinkStatus::Pass),
                    (Status::Fail, LinkStatus::Fail),
                ])),
            ),
            audit(
                A,
                Ok(by_rule([
                    (Status::Fail, LinkStatus::NotReached),
                    (Status::Fail, LinkStatus::NotReached),
                ])),
            ),
        ]);
        let a = v.iter().find(|x| x.account == A).unwrap();
        assert_eq!(a.status, Status::Fail);
        let rule = |id: &str| a.rules.iter().find(|r| r.verdict.id == id).unwrap();
        assert_eq!(rule("root-usage").verdict.status, Status::Pass);
        assert_eq!(rule("root-usage").covered_by.as_ref().unwrap().account, MGMT);
        assert_eq!(rule("vpc-changes").verdict.status, Status::Fail);
        assert!(rule("vpc-changes").covered_by.is_none());
        // The report shows a rule's verdict and what covers it side by side.
        let shown = serde_json::to_value(rule("root-usage")).unwrap();
        assert_eq!(
            (shown["id"].as_str(), shown["status"].as_str()),
            (Some("root-usage"), Some("PASS"))
        );
        assert_eq!(shown["covered_by"]["account"], MGMT);
        assert!(
            a.summary
                .starts_with("2 rules: 1 PASS, 1 FAIL, 0 ERROR; vpc-changes: organization trail org"),
            "{}",
            a.summary
        );
        assert_eq!(status_of(&v, MGMT), Status::Fail);
    }

    #[test]
    fn a_broken_organization_chain_fails_every_account_without_its_own() {
        let v = judge(&[
            audit(
                MGMT,
                Ok(findings(Status::Fail, vec![trail("org", true, LinkStatus::Fail)])),
            ),
            audit(A, Ok(findings(Status::Fail, vec![]))),
            audit(
                B,
                Ok(findings(Status::Pass, vec![trail("own", false, LinkStatus::Pass)])),
            ),
        ]);
        assert_eq!(status_of(&v, MGMT), Status::Fail);
        assert_eq!(status_of(&v, A), Status::Fail);
        assert_eq!(status_of(&v, B), Status::Pass);
        let a = v.iter().find(|x| x.account == A).unwrap();
        assert!(
            a.summary
                .contains("organization trail org of account 111111111111 does not alarm"),
            "{}",
            a.summary
        );
        assert!(a.summary.contains("no trail of its own"), "{}", a.summary);
        // Failing first.
        assert_eq!(v.last().unwrap().account, B);
    }

    #[test]
    fn an_account_that_could_not_be_audited_is_an_error_and_the_rest_are_judged() {
        let refused = AccountError {
            message: "cannot assume arn:aws:iam::333333333333:role/r: AccessDenied: no".into(),
            retryable: false,
        };
        let v = judge(&[
            audit(
                MGMT,
                Ok(findings(Status::Pass, vec![trail("org", true, LinkStatus::Pass)])),
            ),
            audit(A, Ok(findings(Status::Fail, vec![]))),
            audit(B, Err(refused.clone())),
        ]);
        assert_eq!(status_of(&v, A), Status::Pass);
        let b = v.iter().find(|x| x.account == B).unwrap();
        assert_eq!(
            (b.status, b.summary.as_str()),
            (Status::Error, refused.message.as_str())
        );
    }

    #[test]
    fn when_the_owner_could_not_be_audited_a_failing_member_is_an_error_not_a_failure() {
        let v = judge(&[
            audit(
                MGMT,
                Err(AccountError {
                    message: "throttled".into(),
                    retryable: true,
                }),
            ),
            audit(A, Ok(findings(Status::Fail, vec![]))),
        ]);
        assert_eq!(status_of(&v, A), Status::Error);
        assert!(v[1].summary.contains("not known") || v[0].summary.contains("not known"));
    }
}
