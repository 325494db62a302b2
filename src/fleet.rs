//! fleet: a run over its scope's targets. An account run is one pipeline; an
//! organization run audits every target at most ACCOUNT_CONCURRENCY at once, each with
//! its own credentials, one account that cannot be audited not stopping the others;
//! remediation fixes the organization trails' owners first (their chains cover every
//! account), then each account still failing. With a deadline (in Lambda), an account
//! is not started when less time is left than one account's worst case: it is an
//! ERROR, retryable, and says so.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use futures_util::stream::{self, StreamExt};

use crate::app::App;
use crate::aws::{
    AwsError, AUDIT_CHAIN_CALLS, DELIVERY_CHAIN_CALLS, RECALL_BUDGET, REMEDIATION_CHAIN_CALLS, RETRY_BUDGET,
};
use crate::check::organization::{judge, AccountAudit, AccountError};
use crate::check::{Findings, LinkStatus, Status};
use crate::invocation::RunRequest;
use crate::pipeline::{self, Remediated, Writer};
use crate::scope::{OrganizationTargets, Role, Targets, Unreachable};
use crate::settings::Mode;
use crate::state::Member;
use crate::tamper::{Change, Confirmation};

/// What must be left after the last account: a tamper run's confirmation of its events
/// (CONFIRMATION_BUDGET), the notification memory's read (RECALL_BUDGET), then the
/// report's delivery, whose Security Hub import in a member follows its AssumeRole.
fn after_the_accounts() -> Duration {
    CONFIRMATION_BUDGET + RECALL_BUDGET + RETRY_BUDGET.operation_timeout * (DELIVERY_CHAIN_CALLS + 1)
}

/// The time an account's audit needs left when it starts, when every call hangs: its
/// AssumeRole and its longest chain of dependent reads, each call cut at the operation
/// timeout, and what follows the last account.
pub fn per_account_worst_case() -> Duration {
    RETRY_BUDGET.operation_timeout * (1 + AUDIT_CHAIN_CALLS) + after_the_accounts()
}

/// The same for one account's remediation (its AssumeRole, an audit, the writes for
/// one target log group, the audit after), which must end before the deadline too.
pub fn per_remediation_worst_case() -> Duration {
    RETRY_BUDGET.operation_timeout * (1 + REMEDIATION_CHAIN_CALLS) + after_the_accounts()
}

/// When a remediation's writes must have ended: the audit after them and what follows
/// the last account need the rest of the invocation. With several rules to fix, the
/// writes that would run past it wait for the next run.
fn write_by(request: &RunRequest) -> Option<SystemTime> {
    let after_the_writes = RETRY_BUDGET.operation_timeout * AUDIT_CHAIN_CALLS + after_the_accounts();
    request.deadline.and_then(|d| d.checked_sub(after_the_writes))
}

/// The most a run spends confirming its tamper events in CloudTrail's event history,
/// whatever the calls do: what is not confirmed by then is reported unconfirmed.
pub const CONFIRMATION_BUDGET: Duration = Duration::from_secs(10);

/// At most this many of a run's changes are looked up (LookupEvents allows two requests
/// a second per account and region); the others are reported unconfirmed.
pub const CONFIRMED_AT_MOST: usize = 10;

/// `changes` as the report shows them: each confirmed, contradicted or unconfirmed by
/// the event history of the account and region it names (through the member role for
/// another account of the organization), within CONFIRMATION_BUDGET.
pub async fn confirm(app: &App, scope: &Targets, changes: &[Change]) -> Vec<Change> {
    let mut results: Vec<Confirmation> = Vec::new();
    let looked_up = async {
        // A history that could not be read is not asked again in this run.
        let mut unreadable: Vec<(&str, &str, Confirmation)> = Vec::new();
        for change in changes.iter().take(CONFIRMED_AT_MOST) {
            let (account, region) = (change.account.as_str(), change.region.as_str());
            if let Some((_, _, known)) = unreadable.iter().find(|(a, r, _)| (*a, *r) == (account, region)) {
                results.push(known.clone());
                continue;
            }
            let confirmed = match scope {
                Targets::Account => pipeline::confirm(&app.clients, change).await,
                Targets::Organization(org) => match org.credentials(app, account, Role::Audit).await {
                    Ok(clients) => pipeline::confirm(&clients, change).await,
                    Err(Unreachable::NotConfigured(why) | Unreachable::Refused { why, .. }) => {
                        Err(Confirmation::Unconfirmed {
                            why: format!("account {account}'s event history cannot be read: {why}"),
                        })
                    }
                },
            };
            match confirmed {
                Ok(c) => results.push(c),
                Err(c) => {
                    unreadable.push((account, region, c.clone()));
                    results.push(c);
                }
            }
        }
    };
    let in_time = tokio::time::timeout(CONFIRMATION_BUDGET, looked_up).await.is_ok();
    let mut shown = changes.to_vec();
    for (i, change) in shown.iter_mut().enumerate() {
        let confirmation = match results.get(i) {
            Some(c) => c.clone(),
            None if i < CONFIRMED_AT_MOST && !in_time => Confirmation::Unconfirmed {
                why: format!(
                    "CloudTrail's event history did not answer within {} s",
                    CONFIRMATION_BUDGET.as_secs()
                ),
            },
            None => Confirmation::Unconfirmed {
                why: format!("not looked up: at most {CONFIRMED_AT_MOST} changes of a run are"),
            },
        };
        change.confirm(confirmation);
    }
    shown
}

/// What a run did, before it is a report.
pub enum Ran {
    AccountAudit(Findings),
    AccountRemediation(Box<Remediated>),
    Organization {
        /// The audit after remediation, if any.
        audits: Vec<AccountAudit>,
        remediations: Vec<AccountRemediated>,
        /// The first remediation step that failed (the run stopped there for that account).
        failure: Option<AwsError>,
    },
}

impl Ran {
    /// The remediation step that failed, if any: the run is incomplete.
    pub fn failure(&self) -> Option<AwsError> {
        match self {
            Ran::AccountAudit(_) => None,
            Ran::AccountRemediation(remediated) => remediated.failure.clone(),
            Ran::Organization { failure, .. } => failure.clone(),
        }
    }
}

/// One account's remediation in an organization run.
pub struct AccountRemediated {
    pub account: String,
    pub result: Result<Box<Remediated>, NotRemediated>,
}

/// Why an account was not remediated: FAIL (no role to reach it) or ERROR.
pub struct NotRemediated {
    pub status: Status,
    pub why: String,
}

pub async fn run(app: &App, scope: &Targets, request: &RunRequest) -> Ran {
    match (scope, request.mode) {
        (Targets::Account, Mode::Audit) => {
            Ran::AccountAudit(pipeline::audit(&app.clients, &app.settings, &request.rules).await)
        }
        (Targets::Account, Mode::Remediate) => Ran::AccountRemediation(Box::new(
            pipeline::remediate(
                &app.clients,
                &app.settings,
                &request.rules,
                Writer::Own,
                request.dry_run,
                write_by(request),
            )
            .await,
        )),
        (Targets::Organization(scope), Mode::Audit) => Ran::Organization {
            audits: audit(app, scope, request).await,
            remediations: Vec::new(),
            failure: None,
        },
        (Targets::Organization(scope), Mode::Remediate) => remediate(app, scope, request).await,
    }
}

/// Every target's audit, and a line for each named account that is not a member.
async fn audit(app: &App, scope: &OrganizationTargets, request: &RunRequest) -> Vec<AccountAudit> {
    let mut audits: Vec<AccountAudit> = stream::iter(scope.targets())
        .map(|member| audit_account(app, scope, member, request))
        .buffer_unordered(app.settings.organization.account_concurrency)
        .collect()
        .await;
    for unknown in scope.unknown() {
        audits.push(AccountAudit {
            account: unknown.to_string(),
            name: String::new(),
            findings: Err(AccountError {
                message: format!(
                    "{unknown} is not an ACTIVE account of organization {}",
                    scope.organization.id
                ),
                retryable: false,
            }),
        });
    }
    audits
}

async fn audit_account(app: &App, scope: &OrganizationTargets, member: &Member, request: &RunRequest) -> AccountAudit {
    let deadline = request.deadline;
    let result = |findings| AccountAudit {
        account: member.id.clone(),
        name: member.name.clone(),
        findings,
    };
    if deadline.is_some_and(|d| SystemTime::now() + per_account_worst_case() > d) {
        return result(Err(AccountError {
            message: format!(
                "not audited: less time was left before the function's deadline than one account can take ({} s); the next run audits it",
                per_account_worst_case().as_secs()
            ),
            retryable: true,
        }));
    }
    match scope.credentials(app, &member.id, Role::Audit).await {
        Ok(clients) => result(Ok(pipeline::audit(&clients, &app.settings, &request.rules).await)),
        Err(Unreachable::Refused { why, error }) => result(Err(AccountError {
            message: why,
            retryable: error.retryable,
        })),
        Err(Unreachable::NotConfigured(why)) => result(Err(AccountError {
            message: why,
            retryable: false,
        })),
    }
}

/// Each chain is fixed in the account it lives in: first the organization trails'
/// owners (the function's own account with its own credentials; another through
/// MEMBER_REMEDIATION_ROLE_NAME), whose chains cover every account (or, with no
/// organization trail, the function's own account); then, with that role, each account
/// still failing. The audits returned are the ones after.
async fn remediate(app: &App, scope: &OrganizationTargets, request: &RunRequest) -> Ran {
    let mut audits = audit(app, scope, request).await;
    let owners: BTreeSet<String> = audits
        .iter()
        .filter_map(|a| Some((a, a.findings.as_ref().ok()?)))
        .filter(|(_, f)| {
            f.trails
                .iter()
                .any(|t| t.organization && t.links.trail.status != LinkStatus::External)
        })
        .map(|(a, _)| a.account.clone())
        .collect();
    let mut remediations: Vec<AccountRemediated> = Vec::new();
    let mut failure = None;
    for pass in [Pass::Owners, Pass::Members] {
        // Accounts still failing (reported or the management account), not yet tried.
        let failing: Vec<String> = judge(&audits)
            .into_iter()
            .filter(|v| v.status == Status::Fail && remediations.iter().all(|r| r.account != v.account))
            .map(|v| v.account)
            .filter(|a| match pass {
                Pass::Owners => owners.contains(a) || (owners.is_empty() && *a == scope.own),
                Pass::Members => true,
            })
            .collect();
        let mut wrote = false;
        for account in failing {
            let (result, failed) = remediate_account(app, scope, request, &account).await;
            wrote |= result.is_ok();
            failure = failure.or(failed);
            remediations.push(AccountRemediated { account, result });
        }
        if wrote && !request.dry_run {
            audits = audit(app, scope, request).await;
        }
    }
    Ran::Organization {
        audits,
        remediations,
        failure,
    }
}

#[derive(Clone, Copy)]
enum Pass {
    Owners,
    Members,
}

/// One account's remediation, with the clients that may write there.
async fn remediate_account(
    app: &App,
    scope: &OrganizationTargets,
    request: &RunRequest,
    account: &str,
) -> (Result<Box<Remediated>, NotRemediated>, Option<AwsError>) {
    let worst = per_remediation_worst_case();
    if request.deadline.is_some_and(|d| SystemTime::now() + worst > d) {
        let why = format!(
            "not started: less time was left before the function's deadline than one remediation can take ({} s); the next run remediates it",
            worst.as_secs()
        );
        let failure = AwsError {
            operation: "remediation".into(),
            resource: account.to_string(),
            message: why.clone(),
            retryable: true,
        };
        let status = Status::Error;
        return (Err(NotRemediated { status, why }), Some(failure));
    }
    match scope.credentials(app, account, Role::Remediation).await {
        Ok(clients) => {
            let writer = if account == scope.own {
                Writer::Own
            } else {
                Writer::Member
            };
            let remediated = pipeline::remediate(
                &clients,
                &app.settings,
                &request.rules,
                writer,
                request.dry_run,
                write_by(request),
            )
            .await;
            let failure = remediated.failure.clone();
            (Ok(Box::new(remediated)), failure)
        }
        Err(Unreachable::NotConfigured(why)) => (
            Err(NotRemediated {
                status: Status::Fail,
                why,
            }),
            None,
        ),
        Err(Unreachable::Refused { why, error }) => (
            Err(NotRemediated {
                status: Status::Error,
                why,
            }),
            Some(error),
        ),
    }
}
