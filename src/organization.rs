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

use crate::aws::{AUDIT_CHAIN_CALLS, RETRY_BUDGET};
use crate::check::check;
use crate::check::organization::{judge, AccountAudit, AccountError};
use crate::collect::{self, Reads};
use crate::invocation::RunRequest;
use crate::report::{Organization, OrganizationReport};
use crate::run::{now, App};
use crate::state::Member;

/// The most one account's audit can take when every call hangs: its AssumeRole and its
/// chain of dependent reads, each cut at the operation timeout.
pub fn per_account_worst_case() -> Duration {
    RETRY_BUDGET.operation_timeout * (AUDIT_CHAIN_CALLS + 1)
}

pub async fn audit(app: &App, request: &RunRequest) -> OrganizationReport {
    let context = (
        app.clients.home_region().to_string(),
        now(),
        request.mode,
        request.dry_run,
    );
    let (organization, own) = tokio::join!(
        collect::organization(&app.clients),
        collect::caller_account(&app.clients)
    );
    let organization = match (organization, own) {
        (Ok(o), Ok(own)) => (o, own),
        (Err(e), _) | (_, Err(e)) => {
            return OrganizationReport::new(Organization::default(), Vec::new(), vec![e], context)
        }
    };
    let (organization, own) = organization;
    let settings = &app.settings.organization;
    let active: BTreeSet<&str> = organization.accounts.iter().map(|a| a.id.as_str()).collect();
    let reported = |id: &str| {
        !settings.exclude_accounts.contains(id) && request.accounts.as_ref().is_none_or(|wanted| wanted.contains(id))
    };
    // The management account is always read: the organization trails live there, and
    // they decide for every account, reported or not.
    let members: Vec<&Member> = organization
        .accounts
        .iter()
        .filter(|a| reported(&a.id) || a.id == organization.management_account)
        .collect();
    let mut audits: Vec<AccountAudit> = stream::iter(members)
        .map(|member| audit_account(app, member, &own, request.deadline))
        .buffer_unordered(settings.account_concurrency)
        .collect()
        .await;
    // Accounts a manual invocation named that are not active members: said, not skipped.
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
                message: format!("{unknown} is not an ACTIVE account of organization {}", organization.id),
                retryable: false,
            }),
        });
    }
    let verdicts = judge(&audits)
        .into_iter()
        .filter(|v| reported(&v.account) || !active.contains(v.account.as_str()))
        .collect();
    let organization = Organization {
        id: organization.id,
        management_account: organization.management_account,
    };
    OrganizationReport::new(organization, verdicts, Vec::new(), context)
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
