//! An organization-wide audit: every ACTIVE account of the organization (less
//! EXCLUDE_ACCOUNTS, or only the accounts a manual invocation names; the management
//! account, where organization trails live, is read either way), each through the
//! same collect -> check as one account, its own with the function's credentials and
//! every other through the member role, at most ACCOUNT_CONCURRENCY at once; then the
//! organization trails' chains credited to the accounts they cover (check::organization).
//! One account that cannot be audited does not stop the others. With a deadline (in
//! Lambda), an account is not started when less time is left than one account's worst
//! case: it is an ERROR, retryable, and says so.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use futures_util::stream::{self, StreamExt};

use crate::aws::{AwsError, AUDIT_CHAIN_CALLS, REMEDIATION_CHAIN_CALLS, RETRY_BUDGET};
use crate::check::organization::{judge, AccountAudit, AccountError};
use crate::check::{check, LinkStatus, Status};
use crate::collect::{self, Reads};
use crate::invocation::RunRequest;
use crate::report::{AccountRemediation, Organization, OrganizationReport};
use crate::run::{self, now, App};
use crate::state::Member;

/// The most one account's audit can take when every call hangs: its AssumeRole and its
/// chain of dependent reads, each cut at the operation timeout.
pub fn per_account_worst_case() -> Duration {
    RETRY_BUDGET.operation_timeout * (AUDIT_CHAIN_CALLS + 1)
}

/// The same for one account's remediation (its AssumeRole and its measured chain, one
/// target log group), which must end before the deadline too.
pub fn per_remediation_worst_case() -> Duration {
    RETRY_BUDGET.operation_timeout * (REMEDIATION_CHAIN_CALLS + 1)
}

/// The organization, the function's own account, and the accounts a run reads.
struct Scope {
    organization: crate::state::OrganizationState,
    own: String,
}

impl Scope {
    async fn read(app: &App) -> Result<Scope, AwsError> {
        let (organization, own) = tokio::join!(
            collect::organization(&app.clients),
            collect::caller_account(&app.clients)
        );
        Ok(Scope {
            organization: organization?,
            own: own?,
        })
    }

    /// Whether a run reports this account: not excluded, and named when a run names some.
    fn reported(&self, app: &App, request: &RunRequest, id: &str) -> bool {
        !app.settings.organization.exclude_accounts.contains(id)
            && request.accounts.as_ref().is_none_or(|wanted| wanted.contains(id))
    }

    /// The accounts read: the reported ones, and the management account in any case
    /// (the organization trails live there, and decide for every account).
    fn members(&self, app: &App, request: &RunRequest) -> Vec<&Member> {
        self.organization
            .accounts
            .iter()
            .filter(|a| self.reported(app, request, &a.id) || a.id == self.organization.management_account)
            .collect()
    }

    async fn audit(&self, app: &App, request: &RunRequest, members: &[&Member]) -> Vec<AccountAudit> {
        let mut audits: Vec<AccountAudit> = stream::iter(members.iter().copied())
            .map(|member| audit_account(app, member, &self.own, request.deadline))
            .buffer_unordered(app.settings.organization.account_concurrency)
            .collect()
            .await;
        // Accounts a manual invocation named that are not active members: said, not skipped.
        let active: BTreeSet<&str> = self.organization.accounts.iter().map(|a| a.id.as_str()).collect();
        for unknown in request
            .accounts
            .iter()
            .flatten()
            .filter(|a| !active.contains(a.as_str()))
        {
            audits.push(AccountAudit {
                account: unknown.clone(),
                name: String::new(),
                findings: Err(AccountError {
                    message: format!(
                        "{unknown} is not an ACTIVE account of organization {}",
                        self.organization.id
                    ),
                    retryable: false,
                }),
            });
        }
        audits
    }

    fn report(&self, app: &App, request: &RunRequest, audits: &[AccountAudit]) -> OrganizationReport {
        let active: BTreeSet<&str> = self.organization.accounts.iter().map(|a| a.id.as_str()).collect();
        let verdicts = judge(audits)
            .into_iter()
            .filter(|v| self.reported(app, request, &v.account) || !active.contains(v.account.as_str()))
            .collect();
        let organization = Organization {
            id: self.organization.id.clone(),
            management_account: self.organization.management_account.clone(),
        };
        OrganizationReport::new(organization, verdicts, Vec::new(), context(app, request))
    }
}

fn context(app: &App, request: &RunRequest) -> (String, String, crate::settings::Mode, bool) {
    (
        app.clients.home_region().to_string(),
        now(),
        request.mode,
        request.dry_run,
    )
}

pub async fn audit(app: &App, request: &RunRequest) -> OrganizationReport {
    let scope = match Scope::read(app).await {
        Ok(scope) => scope,
        Err(e) => return OrganizationReport::new(Organization::default(), Vec::new(), vec![e], context(app, request)),
    };
    let members = scope.members(app, request);
    let audits = scope.audit(app, request, &members).await;
    scope.report(app, request, &audits)
}

/// Each chain is fixed in the account it lives in: first the organization trails'
/// owners (the function's own account with its own credentials; another through
/// MEMBER_REMEDIATION_ROLE_NAME), whose chains cover every account (or, with no
/// organization trail, the function's own account); then, with that role, each
/// account still failing. The report is the audit after, with what each account's
/// remediation planned and did.
pub async fn remediate(app: &App, request: &RunRequest) -> (OrganizationReport, Option<AwsError>) {
    let scope = match Scope::read(app).await {
        Ok(scope) => scope,
        Err(e) => {
            let report = OrganizationReport::new(Organization::default(), Vec::new(), vec![e], context(app, request));
            return (report, None);
        }
    };
    let members = scope.members(app, request);
    let mut audits = scope.audit(app, request, &members).await;
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
    let mut remediations: Vec<AccountRemediation> = Vec::new();
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
        for account in &failing {
            let (done, failed) = remediate_in(app, request, account, &scope.own).await;
            wrote |= done.remediation.is_some();
            failure = failure.or(failed);
            remediations.push(done);
        }
        if wrote && !request.dry_run {
            audits = scope.audit(app, request, &members).await;
        }
    }
    let mut report = scope.report(app, request, &audits);
    report.remediation = remediations;
    (report, failure)
}

#[derive(Clone, Copy)]
enum Pass {
    Owners,
    Members,
}

/// One account's remediation, with the clients that may write there.
async fn remediate_in(
    app: &App,
    request: &RunRequest,
    account: &str,
    own: &str,
) -> (AccountRemediation, Option<AwsError>) {
    let entry = |status, remediation, refused| AccountRemediation {
        account: account.to_string(),
        status,
        remediation,
        refused,
    };
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
        return (entry(Status::Error, None, Some(why)), Some(failure));
    }
    let (report, failure) = if account == own {
        run::remediate_account(&app.clients, &app.settings, request).await
    } else {
        let Some(role_name) = &app.settings.organization.member_remediation_role_name else {
            let why = format!(
                "the chain lives in account {account}: set MEMBER_REMEDIATION_ROLE_NAME (and deploy member-role.yaml with its remediation role) to remediate there"
            );
            return (entry(Status::Fail, None, Some(why)), None);
        };
        let role = format!("arn:aws:iam::{account}:role/{role_name}");
        match app
            .clients
            .assume(&role, app.settings.organization.member_external_id.as_deref())
            .await
        {
            Ok(clients) => run::remediate_account(&clients, &app.settings, request).await,
            Err(e) => {
                let why = format!("cannot assume {role}: {}", e.message);
                return (entry(Status::Error, None, Some(why)), Some(e));
            }
        }
    };
    (entry(report.status, report.remediation, None), failure)
}

async fn audit_account(app: &App, member: &Member, own: &str, deadline: Option<SystemTime>) -> AccountAudit {
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
    let names = &app.settings.names;
    if member.id == own {
        let state = collect::collect(&app.clients, Reads::default()).await;
        return result(Ok(check(&state, names)));
    }
    let settings = &app.settings.organization;
    let role = format!("arn:aws:iam::{}:role/{}", member.id, settings.member_role_name);
    match app.clients.assume(&role, settings.member_external_id.as_deref()).await {
        Ok(clients) => {
            let state = collect::collect(&clients, Reads::default()).await;
            result(Ok(check(&state, names)))
        }
        Err(e) => result(Err(AccountError {
            message: format!("cannot assume {role}: {}", e.message),
            retryable: e.retryable,
        })),
    }
}
