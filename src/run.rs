//! One run, whoever asked for it (the schedule, a manual invocation, a tamper event,
//! the CLI): resolve the scope, run the fleet over it, aggregate what it did into the
//! report, deliver the report. Only the faces (main, cli, lambda) import this.

use std::borrow::Cow;
use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};

pub use crate::app::App;
use crate::aws::AwsError;
use crate::check::Status;
use crate::invocation::{RunRequest, Trigger};
use crate::report::{Context, RunReport};
use crate::{aggregate, fleet, outputs, scope};

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
    /// The run's error, the first of [`Outcome::errors`]: an incomplete audit whatever
    /// else failed (a lost publish or import follows from it, or matters less than it).
    pub fn error(&self) -> Option<RunError> {
        self.errors().into_iter().next()
    }

    /// Every way the run failed, the one that decides first. A FAIL is a result; an
    /// incomplete audit, a lost report or a stopped remediation is an error, so that
    /// Lambda's retries and failure destination catch it.
    pub fn errors(&self) -> Vec<RunError> {
        let mut errors = Vec::new();
        if self.report.status() == Status::Error {
            let summary = match &self.report {
                RunReport::Account(r) => r.summary.clone(),
                RunReport::Organization(r) => r.summary.clone(),
            };
            let retryable = aggregate::retryable(&self.report);
            errors.push(RunError::Incomplete { summary, retryable });
        }
        if let Err(e) = &self.published {
            errors.push(RunError::Publish {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        if let Some(e) = &self.remediation_failure {
            errors.push(RunError::Remediation {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        if let Err(e) = &self.imported {
            errors.push(RunError::Import {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        errors
    }
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
    let context = Context {
        region: app.clients.home_region().to_string(),
        time: now(),
        mode: request.mode,
        dry_run: request.dry_run,
        rules: request.rules.clone(),
    };
    let (report, targets, remediation_failure, request) = match scope::resolve(app, request).await {
        Ok(targets) => {
            // Boxed: its future nests every account's, too deep to lay out inline.
            let ran = Box::pin(fleet::run(app, &targets, request)).await;
            let failure = ran.failure();
            // A tamper event names its caller only once CloudTrail's history confirms it.
            let request = match &request.trigger {
                Trigger::Change(changes) => Cow::Owned(RunRequest {
                    trigger: Trigger::Change(fleet::confirm(app, &targets, changes).await),
                    ..request.clone()
                }),
                _ => Cow::Borrowed(request),
            };
            (
                aggregate::report(&targets, ran, &request, &context),
                Some(targets),
                failure,
                request,
            )
        }
        Err(e) => (
            aggregate::unread_organization(e, request, &context),
            None,
            None,
            Cow::Borrowed(request),
        ),
    };
    let delivered = outputs::deliver(app, targets.as_ref(), &request, &report).await;
    Outcome {
        report,
        published: delivered.published,
        remediation_failure,
        imported: delivered.imported,
    }
}

/// The run's time, read once: every report of the run carries it.
fn now() -> String {
    DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "unknown".into())
}
