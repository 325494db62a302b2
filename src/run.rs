//! One run, whoever asked for it (the schedule, a manual invocation, the CLI):
//! collect -> check -> report, log the report in full, publish it.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};

use serde_json::{json, Value};

use crate::apply::apply;
use crate::check::{check, Status};
use crate::collect::{collect, existing_alarms, Clients};
use crate::invocation::RunRequest;
use crate::plan::{plan, target_log_groups, Action};
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
    /// A remediation step AWS refused: the run stopped there.
    pub remediation_failure: Option<ReadError>,
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
        if let Some(e) = &self.remediation_failure {
            return Some(RunError::Remediation {
                message: e.to_string(),
                retryable: e.retryable,
            });
        }
        (self.report.status == Status::Error).then(|| RunError::Incomplete {
            summary: self.report.summary.clone(),
            retryable: self
                .report
                .errors
                .iter()
                .chain(
                    self.report
                        .trails
                        .iter()
                        .flat_map(|t| t.links.all().into_iter().flat_map(|(_, l)| l.errors.iter())),
                )
                .all(|e| e.retryable),
        })
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
        }
    }
}

pub async fn run(app: &App, request: &RunRequest) -> Outcome {
    tracing::info!(mode = %request.mode, dry_run = request.dry_run, trigger = ?request.trigger, "run started");
    let (report, remediation_failure) = match request.mode {
        Mode::Audit => (audit(app, request).await, None),
        Mode::Remediate => remediate(app, request).await,
    };
    let json = report.to_json_string();
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
    Outcome {
        report,
        published,
        remediation_failure,
    }
}

async fn audit(app: &App, request: &RunRequest) -> Report {
    let state = collect(&app.clients).await;
    let findings = check(&state, &app.settings.names);
    Report::new(findings, request.mode, request.dry_run, now())
}

/// Audit, plan, and unless this is a dry run, apply and audit again. The report is the
/// final audit (PASS only if the re-check passes), with before and the plan attached.
async fn remediate(app: &App, request: &RunRequest) -> (Report, Option<ReadError>) {
    let settings = &app.settings;
    let state = collect(&app.clients).await;
    let before = check(&state, &settings.names);
    let regions = target_log_groups(&before, &state)
        .into_iter()
        .map(|g| g.region)
        .collect();
    let existing = if before.status == Status::Fail {
        existing_alarms(&app.clients, regions, &settings.names.alarm_name).await
    } else {
        Default::default()
    };
    let plan = plan(&before, &state, &existing, settings);
    let planned: Vec<Value> = plan.actions.iter().map(Action::to_json).collect();
    let mut remediation = json!({
        "before": {"status": before.status, "summary": before.summary, "trails": before.trails},
        "planned": planned,
        "conflicts": plan.conflicts,
        "refused": plan.refused.iter().map(|r| json!({"summary": r})).collect::<Vec<_>>(),
    });
    if request.dry_run || plan.actions.is_empty() {
        let mut report = Report::new(before, request.mode, request.dry_run, now());
        report.remediation = Some(remediation);
        return (report, existing.into_values().find_map(Result::err));
    }
    let applied = apply(&app.clients, &plan).await;
    remediation["applied"] = json!(applied.results);
    let after = check(&collect(&app.clients).await, &settings.names);
    let mut report = Report::new(after, request.mode, request.dry_run, now());
    report.remediation = Some(remediation);
    // An alarm that could not be looked up was not written: the run is incomplete.
    let lookup_failure = existing.into_values().find_map(Result::err);
    (report, applied.failure.or(lookup_failure))
}

pub fn now() -> String {
    DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "unknown".into())
}
