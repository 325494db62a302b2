//! Imports the report into Security Hub: one ASFF finding per audited account and rule
//! (BatchImportFindings, at most 100 a request, in the function's region), each from
//! its own account (the default product accepts findings only for the calling
//! account): the function's own with its clients, every other through the member role,
//! at most ACCOUNT_CONCURRENCY at once. CreatedAt and FirstObservedAt are kept from the
//! first import (GetFindings by Id, one read for an account's findings of every rule), so
//! a re-import updates the same finding; that read also finds a finding someone else set
//! aside (report::overridden).

use aws_sdk_securityhub::types::{
    AwsSecurityFindingFilters, Compliance, ComplianceStatus, Recommendation, Remediation, Resource, Severity,
    SeverityLabel, StatusReason, StringFilter, StringFilterComparison,
};

use futures_util::stream::{self, StreamExt};

use crate::app::App;
use crate::arn::partition_of;
use crate::aws::{aws_error, AwsError, Clients};
use crate::check::{RuleFindings, Status, TrailFinding};
use crate::report::asff::{batches, finding, finding_id, AsffFinding};
use crate::report::overridden::{self, FindingOverride, Stored};
use crate::report::{described, RunReport};
use crate::rule::Rule;
use crate::scope::{Role, Targets, Unreachable};

/// The import's outcome: the findings someone else set aside (read before each import,
/// kept whatever else failed), and the first error.
pub struct Imported {
    pub overrides: Vec<FindingOverride>,
    pub result: Result<(), AwsError>,
}

/// One rule's verdict for one account, as its finding says it.
struct Verdict<'a> {
    rule: &'static Rule,
    status: Status,
    summary: String,
    trails: &'a [TrailFinding],
}

/// The account's verdicts, each summary saying what started the run.
fn verdicts<'a>(
    rules: impl Iterator<Item = &'a RuleFindings>,
    trigger: Option<&crate::report::TriggerSection>,
    account: &str,
) -> Vec<Verdict<'a>> {
    rules
        .map(|x| Verdict {
            rule: x.rule,
            status: x.status,
            summary: described(&x.summary, trigger, account),
            trails: &x.trails,
        })
        .collect()
}

pub async fn import_report(app: &App, targets: Option<&Targets>, report: &RunReport) -> Imported {
    let results = import_accounts(app, targets, report).await;
    let mut overrides = Vec::new();
    let mut result = Ok(());
    for r in results {
        match r {
            Ok(found) => overrides.extend(found),
            Err(e) if result.is_ok() => result = Err(e),
            Err(_) => {}
        }
    }
    Imported { overrides, result }
}

async fn import_accounts(
    app: &App,
    targets: Option<&Targets>,
    report: &RunReport,
) -> Vec<Result<Vec<FindingOverride>, AwsError>> {
    let region = app.clients.home_region().to_string();
    match report {
        RunReport::Account(r) => {
            let Some(account) = r.account.as_deref() else {
                return vec![Err(AwsError {
                    operation: "securityhub:BatchImportFindings".into(),
                    resource: "finding".into(),
                    message: "not imported: the audit is incomplete and the account is unknown (its identity could not be read), so no finding can name it".into(),
                    retryable: true,
                })];
            };
            let verdicts = verdicts(r.rules.iter(), r.trigger.as_ref(), account);
            vec![import_one(&app.clients, &region, account, &verdicts, &r.time).await]
        }
        RunReport::Organization(r) => {
            // No organization read: no account was audited, so none has a finding.
            let Some(Targets::Organization(targets)) = targets else {
                return Vec::new();
            };
            stream::iter(&r.accounts)
                .map(|a| {
                    let region = region.clone();
                    async move {
                        let rules = a.rules.iter().map(|x| &x.verdict);
                        let verdicts = verdicts(rules, r.trigger.as_ref(), &a.account);
                        let clients = match targets.credentials(app, &a.account, Role::Audit).await {
                            Ok(clients) => clients,
                            Err(Unreachable::Refused { error, .. }) => return Err(error),
                            Err(Unreachable::NotConfigured(why)) => {
                                return Err(AwsError {
                                    operation: "securityhub:BatchImportFindings".into(),
                                    resource: a.account.clone(),
                                    message: why,
                                    retryable: false,
                                })
                            }
                        };
                        import_one(&clients, &region, &a.account, &verdicts, &r.time).await
                    }
                })
                .buffer_unordered(app.settings.organization.account_concurrency)
                .collect()
                .await
        }
    }
}

/// The account's findings, one per rule: read (one GetFindings for them all), then
/// imported (one BatchImportFindings).
async fn import_one(
    clients: &Clients,
    region: &str,
    account: &str,
    verdicts: &[Verdict<'_>],
    time: &str,
) -> Result<Vec<FindingOverride>, AwsError> {
    let ids: Vec<String> = verdicts.iter().map(|v| finding_id(region, account, v.rule)).collect();
    let stored = stored(clients, region, &ids).await?;
    let mut overrides = Vec::new();
    let mut findings = Vec::new();
    for (v, id) in verdicts.iter().zip(&ids) {
        let (first, held) = stored.get(id).cloned().unwrap_or_default();
        overrides.extend(held.and_then(|s| overridden::detect(account, id, &s, v.status)));
        findings.push(finding(
            v.rule,
            account,
            region,
            v.status,
            &v.summary,
            v.trails,
            time,
            first.as_deref(),
        ));
    }
    import(&clients.securityhub(region), &findings).await?;
    Ok(overrides)
}

/// Of the findings with `ids`, those Security Hub has: each one's CreatedAt and what
/// Security Hub holds of its state.
async fn stored(
    clients: &Clients,
    region: &str,
    ids: &[String],
) -> Result<std::collections::BTreeMap<String, (Option<String>, Option<Stored>)>, AwsError> {
    let securityhub = clients.securityhub(region);
    let filters = AwsSecurityFindingFilters::builder()
        .set_id(Some(
            ids.iter()
                .map(|id| {
                    StringFilter::builder()
                        .value(id)
                        .comparison(StringFilterComparison::Equals)
                        .build()
                })
                .collect(),
        ))
        .build();
    let resource = ids.first().cloned().unwrap_or_default();
    let out = securityhub
        .get_findings()
        .filters(filters)
        .max_results(100)
        .send()
        .await
        .map_err(|e| aws_error("securityhub:GetFindings", &resource, e))?;
    // Matched here too: a filter the service ignored would name other findings.
    Ok(out
        .findings()
        .iter()
        .filter_map(|f| {
            let id = f.id().filter(|id| ids.iter().any(|i| i == id))?;
            Some((id.to_string(), (f.created_at().map(String::from), Some(held(f)))))
        })
        .collect())
}

/// What Security Hub holds of a finding's state.
fn held(f: &aws_sdk_securityhub::types::AwsSecurityFinding) -> Stored {
    Stored {
        compliance_status: f.compliance().and_then(|c| c.status()).map(|s| s.as_str().to_string()),
        workflow_status: f.workflow().and_then(|w| w.status()).map(|s| s.as_str().to_string()),
        record_state: f.record_state().map(|s| s.as_str().to_string()),
        note_updated_by: f.note().and_then(|n| n.updated_by()).map(String::from),
        note: f.note().and_then(|n| n.text()).map(String::from),
    }
}

/// Imports `findings`; any finding Security Hub did not take fails the import.
async fn import(securityhub: &aws_sdk_securityhub::Client, findings: &[AsffFinding]) -> Result<(), AwsError> {
    for batch in batches(findings) {
        let resource = batch.first().map(|f| f.id.clone()).unwrap_or_default();
        let out = securityhub
            .batch_import_findings()
            .set_findings(Some(batch.iter().map(to_sdk).collect()))
            .send()
            .await
            .map_err(|e| aws_error("securityhub:BatchImportFindings", &resource, e))?;
        if let Some(failed) = out.failed_findings().first() {
            return Err(AwsError {
                operation: "securityhub:BatchImportFindings".into(),
                resource: failed.id().unwrap_or(&resource).to_string(),
                message: format!(
                    "{} of {} findings not imported: {}: {}",
                    out.failed_findings().len(),
                    batch.len(),
                    failed.error_code().unwrap_or("?"),
                    failed.error_message().unwrap_or("")
                ),
                retryable: false,
            });
        }
    }
    Ok(())
}

fn to_sdk(f: &AsffFinding) -> aws_sdk_securityhub::types::AwsSecurityFinding {
    let compliance = Compliance::builder()
        .status(ComplianceStatus::from(f.compliance_status))
        .set_related_requirements(Some(f.related_requirements.clone()))
        .set_status_reasons(Some(
            f.status_reasons
                .iter()
                .map(|(code, description)| {
                    StatusReason::builder()
                        .reason_code(code)
                        .description(description)
                        .build()
                })
                .collect(),
        ))
        .build();
    let resources = f
        .resources
        .iter()
        .map(|(kind, id)| {
            Resource::builder()
                .r#type(*kind)
                .id(id)
                .partition(aws_sdk_securityhub::types::Partition::from(partition_of(&f.region)))
                .region(&f.region)
                .build()
        })
        .collect();
    aws_sdk_securityhub::types::AwsSecurityFinding::builder()
        .schema_version(f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .set_types(Some(f.types.iter().map(|t| t.to_string()).collect()))
        .title(&f.title)
        .description(&f.description)
        .severity(Severity::builder().label(SeverityLabel::from(f.severity)).build())
        .compliance(compliance)
        .set_resources(Some(resources))
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&f.recommendation)
                        .url(&f.recommendation_url)
                        .build(),
                )
                .build(),
        )
        .first_observed_at(&f.first_observed_at)
        .last_observed_at(&f.last_observed_at)
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .record_state(aws_sdk_securityhub::types::RecordState::Active)
        .set_product_fields(Some(
            f.product_fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsOutput;
    use aws_sdk_securityhub::types::ImportFindingsError;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    /// aws-smithy-mocks: the emulator's BatchImportFindings takes every finding, so a
    /// finding Security Hub refuses (FailedFindings in a 200 answer) is shown with the
    /// SDK's own types.
    #[tokio::test]
    async fn a_finding_security_hub_did_not_take_fails_the_import_and_is_not_retried() {
        let refused = mock!(aws_sdk_securityhub::Client::batch_import_findings).then_output(|| {
            BatchImportFindingsOutput::builder()
                .failed_count(1)
                .success_count(0)
                .failed_findings(
                    ImportFindingsError::builder()
                        .id("finding-1")
                        .error_code("InvalidInput")
                        .error_message("AwsAccountId does not match")
                        .build(),
                )
                .build()
        });
        let securityhub = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&refused]);
        let f = finding(
            crate::rule::default_rule(),
            "111111111111",
            "us-east-1",
            Status::Pass,
            "s",
            &[],
            "2026-12-02T00:00:00Z",
            None,
        );
        let error = import(&securityhub, &[f]).await.unwrap_err();
        assert_eq!(error.operation, "securityhub:BatchImportFindings");
        assert_eq!(error.resource, "finding-1");
        assert_eq!(
            error.message,
            "1 of 1 findings not imported: InvalidInput: AwsAccountId does not match"
        );
        assert!(!error.retryable, "a refused finding is refused again");
        assert_eq!(refused.num_calls(), 1);
    }
}
