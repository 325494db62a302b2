//! One run, whoever asked for it (the schedule, a manual invocation, the CLI):
//! collect -> check -> report, log the report in full, publish it.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};

use crate::check::{check, Status};
use crate::collect::{collect, Clients};
use crate::invocation::RunRequest;
use crate::publish::publish;
use crate::report::Report;
use crate::settings::{Mode, Settings};
use crate::state::ReadError;

/// Built once per process (outside the Lambda handler) and shared by every invocation.
pub struct App {
    pub clients: Clients,
    pub settings: Settings,
}

pub struct Outcome {
    pub report: Report,
    /// The SNS message id, None when no findings topic is set, Err when publishing failed.
    pub published: Result<Option<String>, ReadError>,
}

impl Outcome {
    /// A FAIL is a result; an incomplete audit or a lost report is an error, so that
    /// Lambda's retries and failure destination catch it.
    pub fn error(&self) -> Option<RunError> {
        if let Err(e) = &self.published {
            return Some(RunError::Publish(e.to_string()));
        }
        (self.report.status == Status::Error).then(|| RunError::Incomplete {
            summary: self.report.summary.clone(),
            retryable: self
                .report
                .errors
                .iter()
                .chain(self.report.trails.iter().flat_map(|t| t.links.all().into_iter().flat_map(|(_, l)| l.errors.iter())))
                .all(|e| e.retryable),
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("audit incomplete: {summary}")]
    Incomplete { summary: String, retryable: bool },
    #[error("report not published: {0}")]
    Publish(String),
}

impl RunError {
    /// The Lambda error type: says what failed and whether a retry can help.
    pub fn error_type(&self) -> &'static str {
        match self {
            RunError::Incomplete { retryable: true, .. } => "AuditIncomplete.Retryable",
            RunError::Incomplete { retryable: false, .. } => "AuditIncomplete.NotRetryable",
            RunError::Publish(_) => "PublishFailed.Retryable",
        }
    }
}

pub async fn run(app: &App, request: &RunRequest) -> Outcome {
    tracing::info!(mode = %request.mode, dry_run = request.dry_run, trigger = ?request.trigger, "run started");
    let report = match request.mode {
        Mode::Audit => audit(app, request).await,
        Mode::Remediate => audit(app, request).await,
    };
    let json = report.to_json();
    // Logged in full before publishing, so the findings survive a failed publish.
    tracing::info!(status = report.status_word(), account = report.account.as_deref().unwrap_or("unknown"), report = %json, "findings");
    let published = match &app.settings.findings_topic {
        None => Ok(None),
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
    Outcome { report, published }
}

async fn audit(app: &App, request: &RunRequest) -> Report {
    let state = collect(&app.clients).await;
    let findings = check(&state, &app.settings.names);
    Report::new(findings, request.mode, request.dry_run, now())
}

pub fn now() -> String {
    DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "unknown".into())
}
