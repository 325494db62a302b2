//! One run, whoever asked for it (the schedule, a manual invocation, the CLI):
//! collect -> check -> report, or collect -> check -> plan -> apply -> collect -> check
//! -> report; then log the report in full and publish it.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};

use crate::apply::{apply, publish};
use crate::aws::{AwsError, Clients};
use crate::check::TrailFinding;
use crate::check::{check, Status};
use crate::collect::{collect, Reads};
use crate::invocation::{RunRequest, Trigger};
use crate::organization;
use crate::plan::plan;
use crate::report::{Remediation, RemediationSection, Report, RunReport};
use crate::securityhub;
use crate::settings::{Mode, Scope, Settings, TamperNotify};

/// Built once per process (outside the Lambda handler) and shared by every invocation.
pub struct App {
    pub clients: Clients,
    pub settings: Settings,
}

pub struct Outcome {
    pub report: RunReport,
    /// The SNS message id, None when no findings topic is set, Err when publishing failed.
    pub published: Result<Option<String>, AwsError>,
    /// A remediation step AWS refused: the run stopped there.
    pub remediation_failure: Option<AwsError>,
    /// The Security Hub import, when SECURITY_HUB is on: Err when a finding was not taken.
    pub imported: Result<(), AwsError>,
}

impl Outcome {
    /// A FAIL is a result; an incomplete audit or a lost report is an error, so that
    /// Lambda's retries and failure destination catch it.
    pub fn error(&self) -> Option<RunError> {
        if let Err(e) = &self.published {
            return Some(RunError::Publish {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        if let Err(e) = &self.imported {
            return Some(RunError::Import {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        if let Some(e) = &self.remediation_failure {
            return Some(RunError::Remediation {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        let (summary, retryable) = match &self.report {
            RunReport::Account(r) => (r.summary.clone(), all_retryable(&r.errors, &r.trails)),
            RunReport::Organization(r) => (
                r.summary.clone(),
                r.errors.iter().all(|e| e.retryable)
                    && r.accounts.iter().filter(|a| a.status == Status::Error).all(|a| {
                        a.error
                            .as_ref()
                            .map_or_else(|| all_retryable(&[], &a.trails), |e| e.retryable)
                    }),
            ),
        };
        (self.report.status() == Status::Error).then_some(RunError::Incomplete { summary, retryable })
    }
}

/// An incomplete audit is worth retrying when every read that failed was.
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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("audit incomplete: {summary}")]
    Incomplete { summary: String, retryable: bool },
    #[error("report not published: {message}")]
    Publish { message: String, retryable: bool },
    #[error("remediation stopped: {message}; the next run completes it")]
    Remediation { message: String, retryable: bool },
    #[error("findings not imported into Security Hub: {message}")]
    Import { message: String, retryable: bool },
}

impl RunError {
    /// The Lambda error type: says what failed and whether a retry can help.
    pub fn error_type(&self) -> &'static str {
        match self {
            RunError::Incomplete { retryable: true, .. } => "AuditIncomplete.Retryable",
            RunError::Incomplete { retryable: false, .. } => "AuditIncomplete.NotRetryable",
            RunError::Publish { retryable: true, .. } => "PublishFailed.Retryable",
            RunError::Publish { retryable: false, .. } => "PublishFailed.NotRetryable",
            RunError::Remediation { retryable: true, .. } => "RemediationFailed.Retryable",
            RunError::Remediation { retryable: false, .. } => "RemediationFailed.NotRetryable",
            RunError::Import { retryable: true, .. } => "ImportFailed.Retryable",
            RunError::Import { retryable: false, .. } => "ImportFailed.NotRetryable",
        }
    }
}

pub async fn run(app: &App, request: &RunRequest) -> Outcome {
    tracing::info!(mode = %request.mode, dry_run = request.dry_run, trigger = %request.trigger, "run started");
    let (mut report, remediation_failure) = match (request.scope, request.mode) {
        // Boxed: its future nests every account's, too deep for the compiler to lay out inline.
        (Scope::Organization, Mode::Audit) => (
            RunReport::Organization(Box::new(Box::pin(organization::audit(app, request)).await)),
            None,
        ),
        (Scope::Organization, Mode::Remediate) => {
            let (report, failure) = Box::pin(organization::remediate(app, request)).await;
            (RunReport::Organization(Box::new(report)), failure)
        }
        (Scope::Account, Mode::Audit) => (RunReport::Account(Box::new(audit(app, request).await)), None),
        (Scope::Account, Mode::Remediate) => {
            let (report, failure) = remediate(app, request).await;
            (RunReport::Account(Box::new(report)), failure)
        }
    };
    if let Trigger::Change(changes) = &request.trigger {
        report.set_trigger(changes);
    }
    let json = report.to_json_string();
    // Logged in full before publishing, so the findings survive a failed publish.
    tracing::info!(status = report.status_word(), account = %report.about(), report = %json, "findings");
    // A call that broke the chain is a finding even when the audit after it passes
    // (undone meanwhile): only a change that broke nothing goes unpublished.
    let intact_after_change = matches!(&request.trigger, Trigger::Change(_))
        && !report.broke_the_chain()
        && report.status() == Status::Pass
        && app.settings.tamper_notify == TamperNotify::OnFail;
    let published = match &app.settings.findings_topic {
        None => Ok(None),
        Some(_) if intact_after_change => {
            tracing::info!("findings not published: the chain is intact after the change (TAMPER_NOTIFY=on-fail)");
            Ok(None)
        }
        Some(topic) => match publish(&app.clients, topic, &report.sns_message()).await {
            Ok(id) => {
                tracing::info!(topic = %topic, message_id = %id, "findings published");
                Ok(Some(id))
            }
            Err(e) => {
                tracing::error!(topic = %topic, error = %e, "findings not published");
                Err(e)
            }
        },
    };
    // After the report is logged and published: a failed import loses nothing.
    let imported = if app.settings.security_hub {
        let imported = Box::pin(securityhub::import_report(app, &report)).await;
        match &imported {
            Ok(()) => tracing::info!("findings imported into Security Hub"),
            Err(e) => tracing::error!(error = %e, "findings not imported into Security Hub"),
        }
        imported
    } else {
        Ok(())
    };
    Outcome {
        report,
        published,
        remediation_failure,
        imported,
    }
}

async fn audit(app: &App, request: &RunRequest) -> Report {
    let state = collect(&app.clients, Reads::default()).await;
    let findings = check(&state, &app.settings.names);
    Report::new(findings, request.mode, request.dry_run, now())
}

/// Audit, plan, and unless this is a dry run, apply and audit again. The report is the
/// final audit (PASS only if the re-check passes), with before and the plan attached.
async fn remediate(app: &App, request: &RunRequest) -> (Report, Option<AwsError>) {
    remediate_account(&app.clients, &app.settings, request).await
}

/// One account's remediation, with the clients of that account (the function's own,
/// or a role's in another account of the organization).
pub async fn remediate_account(
    clients: &Clients,
    settings: &Settings,
    request: &RunRequest,
) -> (Report, Option<AwsError>) {
    let reads = Reads {
        alarm_named: Some(&settings.names.alarm_name),
    };
    let state = collect(clients, reads).await;
    let before = check(&state, &settings.names);
    let plan = plan(&before, &state, settings);
    let mut remediation = Remediation::new(&before, &plan);
    // A lookup the plan needed that failed means something was not written: incomplete.
    let unread = plan.unread.first().cloned();
    let (after, failure) = if request.dry_run || plan.actions.is_empty() {
        (before, unread)
    } else {
        let applied = apply(clients, &plan).await;
        remediation.applied = Some(applied.results);
        let after = check(&collect(clients, Reads::default()).await, &settings.names);
        (after, applied.failure.or(unread))
    };
    let mut report = Report::new(after, request.mode, request.dry_run, now());
    report.remediation = Some(RemediationSection::Full(remediation));
    (report, failure)
}

pub fn now() -> String {
    DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "unknown".into())
}
