//! scope: which accounts a run reads, and with which credentials. The only place that
//! builds a role ARN or assumes a role. An account run is a scope of one target, the
//! function's own account with its own credentials; an organization run reads the
//! organization and the function's own account once, and reaches every other account
//! through the member role (audit, Security Hub import) or the member remediation role.

use std::collections::BTreeSet;
use std::ops::Deref;

use crate::app::App;
use crate::arn::partition_of;
use crate::aws::{AwsError, Clients};
use crate::collect;
use crate::invocation::RunRequest;
use crate::settings::{self, OrganizationSettings};
use crate::state::{Member, OrganizationState};

pub enum Targets {
    /// The function's own account.
    Account,
    Organization(OrganizationTargets),
}

/// The organization, the function's own account, and which accounts a run reports.
pub struct OrganizationTargets {
    pub organization: OrganizationState,
    /// The function's own account: read once per run, from the caller's identity.
    pub own: String,
    excluded: BTreeSet<String>,
    /// A manual invocation's accounts (None: every account).
    named: Option<BTreeSet<String>>,
}

/// The role a run takes in another account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// MEMBER_ROLE_NAME: reads, and Security Hub imports.
    Audit,
    /// MEMBER_REMEDIATION_ROLE_NAME: remediation's writes.
    Remediation,
}

/// Clients for one account: the function's own, or a role's in another account.
pub enum Credentials<'a> {
    Own(&'a Clients),
    Assumed(Box<Clients>),
}

impl Deref for Credentials<'_> {
    type Target = Clients;

    fn deref(&self) -> &Clients {
        match self {
            Credentials::Own(clients) => clients,
            Credentials::Assumed(clients) => clients,
        }
    }
}

/// Why an account cannot be reached.
#[derive(Debug)]
pub enum Unreachable {
    /// No role is configured for it: said, not an error (the account FAILs with why).
    NotConfigured(String),
    /// The role could not be assumed: `why` names it.
    Refused { why: String, error: AwsError },
}

/// The role in `account` with `name`, in the partition of the function's region: the
/// only place a role ARN is built.
fn role_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:role/{name}", partition_of(region))
}

/// The scope of a run: for an organization, the organization and the function's own
/// account, read at once.
pub async fn resolve(app: &App, request: &RunRequest) -> Result<Targets, AwsError> {
    if request.scope == settings::Scope::Account {
        return Ok(Targets::Account);
    }
    let (organization, own) = tokio::join!(
        collect::organization(&app.clients),
        collect::caller_account(&app.clients)
    );
    Ok(Targets::Organization(OrganizationTargets {
        organization: organization?,
        own: own?,
        excluded: app.settings.organization.exclude_accounts.clone(),
        named: request.accounts.clone(),
    }))
}

impl OrganizationTargets {
    /// Whether a run reports this account: not excluded, and named when a run names some.
    pub fn reported(&self, id: &str) -> bool {
        !self.excluded.contains(id) && self.named.as_ref().is_none_or(|wanted| wanted.contains(id))
    }

    pub fn is_active(&self, id: &str) -> bool {
        self.organization.accounts.iter().any(|a| a.id == id)
    }

    /// The accounts read: the reported ones, and the management account in any case
    /// (the organization trails live there, and decide for every account).
    pub fn targets(&self) -> Vec<&Member> {
        self.organization
            .accounts
            .iter()
            .filter(|a| self.reported(&a.id) || a.id == self.organization.management_account)
            .collect()
    }

    /// Accounts a manual invocation named that are not ACTIVE members.
    pub fn unknown(&self) -> Vec<&str> {
        self.named
            .iter()
            .flatten()
            .filter(|a| !self.is_active(a))
            .map(String::as_str)
            .collect()
    }

    /// The clients for `account`: the function's own for its own account, else the
    /// role's.
    pub async fn credentials<'a>(
        &self,
        app: &'a App,
        account: &str,
        role: Role,
    ) -> Result<Credentials<'a>, Unreachable> {
        if account == self.own {
            return Ok(Credentials::Own(&app.clients));
        }
        let settings: &OrganizationSettings = &app.settings.organization;
        let name = match role {
            Role::Audit => settings.member_role_name.as_str(),
            Role::Remediation => match &settings.member_remediation_role_name {
                Some(name) => name.as_str(),
                None => {
                    return Err(Unreachable::NotConfigured(format!(
                        "the chain lives in account {account}: set MEMBER_REMEDIATION_ROLE_NAME (and deploy member-role.yaml with its remediation role) to remediate there"
                    )))
                }
            },
        };
        let role = role_arn(app.clients.home_region(), account, name);
        match app.clients.assume(&role, settings.member_external_id.as_deref()).await {
            Ok(clients) => Ok(Credentials::Assumed(Box::new(clients))),
            Err(error) => Err(Unreachable::Refused {
                why: format!("cannot assume {role}: {}", error.message),
                error,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_role_is_in_the_functions_partition() {
        assert_eq!(
            role_arn("us-east-1", "222222222222", "iam-policy-alarm-audit"),
            "arn:aws:iam::222222222222:role/iam-policy-alarm-audit"
        );
        assert_eq!(
            role_arn("cn-northwest-1", "222222222222", "iam-policy-alarm-audit"),
            "arn:aws-cn:iam::222222222222:role/iam-policy-alarm-audit"
        );
        assert_eq!(
            role_arn("us-gov-west-1", "222222222222", "r"),
            "arn:aws-us-gov:iam::222222222222:role/r"
        );
    }
}
