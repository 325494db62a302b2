//! aggregate: what a run did -> its report (one account's, or the organization's with
//! each account's verdict), the trigger that started it, and whether an incomplete
//! run is worth retrying. Pure.

use crate::check::organization::{judge, AccountAudit};
use crate::check::{Status, TrailFinding};
use crate::fleet::{AccountRemediated, Ran};
use crate::invocation::{RunRequest, Trigger};
use crate::pipeline::Remediated;
use crate::report::{
    AccountRemediation, Context, Organization, OrganizationReport, Remediation, RemediationSection, Report, RunReport,
};
use crate::scope::{OrganizationTargets, Targets};
use crate::state::AwsError;

/// The run's report.
pub fn report(scope: &Targets, ran: Ran, request: &RunRequest, context: &Context) -> RunReport {
    let report = match (scope, ran) {
        (_, Ran::AccountAudit(findings)) => RunReport::Account(Box::new(Report::new(
            findings,
            context.mode,
            context.dry_run,
            context.time.clone(),
        ))),
        (_, Ran::AccountRemediation(remediated)) => {
            RunReport::Account(Box::new(account_remediation(*remediated, context)))
        }
        (
            Targets::Organization(scope),
            Ran::Organization {
                audits, remediations, ..
            },
        ) => RunReport::Organization(Box::new(organization_report(scope, &audits, remediations, context))),
        (Targets::Account, Ran::Organization { .. }) => unreachable!("an account scope runs one account"),
    };
    triggered(report, request)
}

/// The report of a run whose organization could not be read: no account was audited.
pub fn unread_organization(error: AwsError, request: &RunRequest, context: &Context) -> RunReport {
    let report = OrganizationReport::new(Organization::default(), Vec::new(), vec![error], context);
    triggered(RunReport::Organization(Box::new(report)), request)
}

fn triggered(mut report: RunReport, request: &RunRequest) -> RunReport {
    if let Trigger::Change(changes) = &request.trigger {
        report.set_trigger(changes);
    }
    report
}

/// The report of one account's remediation: the audit after, with what was found,
/// planned and done.
fn account_remediation(remediated: Remediated, context: &Context) -> Report {
    let remediation = remediation_section(&remediated);
    let mut report = Report::new(remediated.after, context.mode, context.dry_run, context.time.clone());
    report.remediation = Some(remediation);
    report
}

fn remediation_section(remediated: &Remediated) -> RemediationSection {
    let mut remediation = Remediation::new(&remediated.before, &remediated.plan);
    remediation.applied = remediated.applied.clone();
    RemediationSection::Full(remediation)
}

/// Every reported account's verdict (the organization trails' chains credited to the
/// accounts they cover), and each account's remediation.
fn organization_report(
    scope: &OrganizationTargets,
    audits: &[AccountAudit],
    remediations: Vec<AccountRemediated>,
    context: &Context,
) -> OrganizationReport {
    let verdicts = judge(audits)
        .into_iter()
        .filter(|v| scope.reported(&v.account) || !scope.is_active(&v.account))
        .collect();
    let organization = Organization {
        id: scope.organization.id.clone(),
        management_account: scope.organization.management_account.clone(),
    };
    let mut report = OrganizationReport::new(organization, verdicts, Vec::new(), context);
    report.remediation = remediations
        .into_iter()
        .map(|r| match r.result {
            Ok(remediated) => AccountRemediation {
                account: r.account,
                status: remediated.after.status,
                remediation: Some(remediation_section(&remediated)),
                refused: None,
            },
            Err(not) => AccountRemediation {
                account: r.account,
                status: not.status,
                remediation: None,
                refused: Some(not.why),
            },
        })
        .collect();
    report
}

/// An incomplete audit is worth retrying when every read that failed was.
pub fn retryable(report: &RunReport) -> bool {
    match report {
        RunReport::Account(r) => all_retryable(&r.errors, &r.trails),
        RunReport::Organization(r) => {
            r.errors.iter().all(|e| e.retryable)
                && r.accounts.iter().filter(|a| a.status == Status::Error).all(|a| {
                    a.error
                        .as_ref()
                        .map_or_else(|| all_retryable(&[], &a.trails), |e| e.retryable)
                })
        }
    }
}

fn all_retryable(errors: &[AwsError], trails: &[TrailFinding]) -> bool {
    errors
        .iter()
        .chain(
            trails
                .iter()
                .flat_map(|t| t.links.all().into_iter().flat_map(|(_, l)| l.errors.iter())),
        )
        .all(|e| e.retryable)
}
