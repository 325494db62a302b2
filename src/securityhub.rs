//! The Security Hub import of a run's report: one ASFF finding per audited account, each
//! imported from its own account (the default product takes findings only for the
//! calling account): the function's own with its clients, every other through the
//! member role, at most ACCOUNT_CONCURRENCY at once.

use futures_util::stream::{self, StreamExt};

use crate::apply::securityhub::{created_at, import};
use crate::aws::{AwsError, Clients};
use crate::check::{Status, TrailFinding};
use crate::collect;
use crate::report::asff::{finding, finding_id};
use crate::report::{described, RunReport};
use crate::run::App;

pub async fn import_report(app: &App, report: &RunReport) -> Result<(), AwsError> {
    let region = app.clients.home_region().to_string();
    match report {
        RunReport::Account(r) => {
            let account = r.account.as_deref().ok_or_else(|| AwsError {
                operation: "securityhub:BatchImportFindings".into(),
                resource: "finding".into(),
                message: "the account is unknown (its identity could not be read), so no finding can name it".into(),
                retryable: true,
            })?;
            let summary = described(&r.summary, r.trigger.as_ref(), account);
            import_one(&app.clients, &region, account, r.status, &summary, &r.trails, &r.time).await
        }
        RunReport::Organization(r) => {
            let own = collect::caller_account(&app.clients).await?;
            let settings = &app.settings.organization;
            let results: Vec<Result<(), AwsError>> = stream::iter(&r.accounts)
                .map(|a| {
                    let (region, own) = (region.clone(), own.clone());
                    async move {
                        let summary = described(&a.summary, r.trigger.as_ref(), &a.account);
                        if a.account == own {
                            return import_one(
                                &app.clients,
                                &region,
                                &a.account,
                                a.status,
                                &summary,
                                &a.trails,
                                &r.time,
                            )
                            .await;
                        }
                        let role = format!("arn:aws:iam::{}:role/{}", a.account, settings.member_role_name);
                        let clients = app
                            .clients
                            .assume(&role, settings.member_external_id.as_deref())
                            .await?;
                        import_one(&clients, &region, &a.account, a.status, &summary, &a.trails, &r.time).await
                    }
                })
                .buffer_unordered(settings.account_concurrency)
                .collect()
                .await;
            results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
        }
    }
}

async fn import_one(
    clients: &Clients,
    region: &str,
    account: &str,
    status: Status,
    summary: &str,
    trails: &[TrailFinding],
    time: &str,
) -> Result<(), AwsError> {
    let first = created_at(clients, region, &finding_id(region, account)).await?;
    let f = finding(account, region, status, summary, trails, time, first.as_deref());
    import(clients, region, &[f]).await
}
