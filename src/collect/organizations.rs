//! Organizations adapter: the organization (its id and management account) and its
//! ACTIVE accounts, every page.

use aws_sdk_organizations::types::AccountStatus;
use aws_sdk_organizations::Client;

use crate::aws::aws_error;
use crate::state::{Member, OrganizationState, Read};

pub async fn read_organization(organizations: &Client) -> Read<OrganizationState> {
    let (described, accounts) = tokio::join!(
        organizations.describe_organization().send(),
        organizations.list_accounts().into_paginator().send().try_collect()
    );
    let described = described.map_err(|e| aws_error("organizations:DescribeOrganization", "organization", e))?;
    let pages: Vec<_> = accounts.map_err(|e| aws_error("organizations:ListAccounts", "organization", e))?;
    let accounts: Vec<_> = pages.iter().flat_map(|p| p.accounts()).collect();
    let organization = described.organization();
    Ok(OrganizationState {
        id: organization.and_then(|o| o.id()).unwrap_or_default().to_string(),
        management_account: organization
            .and_then(|o| o.master_account_id())
            .unwrap_or_default()
            .to_string(),
        accounts: accounts
            .iter()
            .filter(|a| a.status() == Some(&AccountStatus::Active))
            .map(|a| Member {
                id: a.id().unwrap_or_default().to_string(),
                name: a.name().unwrap_or_default().to_string(),
            })
            .collect(),
    })
}
