//! outputs: where a final report goes, in this order: the log in full (so a failed
//! delivery loses nothing), the findings topic (SNS) when it is news (`memory`, the
//! statuses last reported), Security Hub (and a finding found set aside there); and, in
//! Lambda, the run's own metric (`metrics`). The only writer to SNS or Security Hub.

mod memory;
pub mod metrics;
mod securityhub;
mod sns;

use crate::app::App;
use crate::aws::{AwsError, RECALL_BUDGET};
use crate::check::Status;
use crate::invocation::{RunRequest, Trigger};
use crate::report::overridden::{self, FindingOverride};
use crate::report::RunReport;
use crate::scope::Targets;
use crate::settings::{Notify, TamperNotify};

pub struct Delivered {
    /// The SNS message id, None when no findings topic is set or nothing was to be
    /// published, Err when publishing the report (or the findings the import found set
    /// aside) failed.
    pub published: Result<Option<String>, AwsError>,
    /// The Security Hub import, when SECURITY_HUB is on: Err when a finding was not taken.
    pub imported: Result<(), AwsError>,
}

pub async fn deliver(app: &App, targets: Option<&Targets>, request: &RunRequest, report: &RunReport) -> Delivered {
    let json = report.to_json_string();
    tracing::info!(status = report.status_word(), account = %report.about(), report = %json, "findings");
    // A call that broke the chain is a finding even when the audit after it passes
    // (undone meanwhile): only a change that broke nothing goes unpublished.
    let intact_after_change = matches!(&request.trigger, Trigger::Change(_))
        && !report.broke_the_chain()
        && report.status() == Status::Pass
        && app.settings.tamper_notify == TamperNotify::OnFail;
    let remembered = Box::pin(remembered(app, request, report)).await;
    let mut published = match &app.settings.findings_topic {
        None => Ok(None),
        Some(_) if intact_after_change => {
            tracing::info!("findings not published: the chain is intact after the change (TAMPER_NOTIFY=on-fail)");
            Ok(None)
        }
        Some(_) if remembered.as_ref().is_some_and(|m| !m.is_news) => {
            tracing::info!("findings not published: no account's status changed since the last run, and no change broke or names a chain (NOTIFY=on-change)");
            Ok(None)
        }
        Some(topic) => match sns::publish(&app.clients, topic, &report.sns_message()).await {
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
    // Remembered once told (or nothing was to be told): a failed publish is news again.
    // Beside the import, so the delivery gets no longer.
    let remember = async {
        if let (Some(m), Ok(_)) = (&remembered, &published) {
            let logs = app.clients.regional(app.clients.home_region()).logs;
            if let Err(e) = memory::remember(&logs, &m.group, &m.now, report.time_ms()).await {
                tracing::warn!(error = %e, "statuses not remembered: the next run counts them as news");
            }
        }
    };
    // After the report is logged and published: a failed import loses nothing.
    let import = async {
        if !app.settings.security_hub {
            return (Ok(()), Ok(()));
        }
        let imported = Box::pin(securityhub::import_report(app, targets, report)).await;
        match &imported.result {
            Ok(()) => tracing::info!("findings imported into Security Hub"),
            Err(e) => tracing::error!(error = %e, "findings not imported into Security Hub"),
        }
        let told = tell_overrides(app, &imported.overrides).await;
        (imported.result, told)
    };
    let ((imported, told), ()) = tokio::join!(import, remember);
    if let Err(e) = told {
        published = published.and(Err(e));
    }
    Delivered { published, imported }
}

/// A finding someone else set aside is a tamper of its own: logged, and published on the
/// findings topic whatever TAMPER_NOTIFY says.
async fn tell_overrides(app: &App, overrides: &[FindingOverride]) -> Result<(), AwsError> {
    if overrides.is_empty() {
        return Ok(());
    }
    for o in overrides {
        tracing::warn!(account = %o.account, finding = %o.finding_id, workflow = ?o.workflow_status, record_state = ?o.record_state, updated_by = ?o.note_updated_by, "Security Hub finding set aside by someone else");
    }
    let Some(topic) = &app.settings.findings_topic else {
        return Ok(());
    };
    match sns::publish(&app.clients, topic, &overridden::message(overrides)).await {
        Ok(id) => {
            tracing::info!(topic = %topic, message_id = %id, "Security Hub overrides published");
            Ok(())
        }
        Err(e) => {
            tracing::error!(topic = %topic, error = %e, "Security Hub overrides not published");
            Err(e)
        }
    }
}

/// What the memory says of this run, when NOTIFY=on-change and STATE_LOG_GROUP keep one
/// and the schedule or a tamper event started it (a run someone asked for, by hand or
/// on the command line, is always published).
struct Remembered {
    group: String,
    now: memory::Statuses,
    is_news: bool,
}

async fn remembered(app: &App, request: &RunRequest, report: &RunReport) -> Option<Remembered> {
    let routine = matches!(request.trigger, Trigger::Schedule { .. } | Trigger::Change(_));
    let group = app.settings.state_log_group.as_ref()?;
    if app.settings.notify != Notify::OnChange || !routine {
        return None;
    }
    let logs = app.clients.regional(app.clients.home_region()).logs;
    let previous = match tokio::time::timeout(RECALL_BUDGET, memory::recall(&logs, group)).await {
        Ok(Ok(previous)) => previous,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "statuses not recalled: every status counts as news");
            None
        }
        Err(_) => {
            tracing::warn!(
                budget_s = RECALL_BUDGET.as_secs(),
                "statuses not recalled in time: every status counts as news"
            );
            None
        }
    };
    let now = memory::Statuses {
        accounts: report.statuses(),
    };
    let news = memory::news(previous.as_ref(), &now);
    let named = report.status() != Status::Pass && report.names_a_changed_resource();
    if !news.is_empty() {
        tracing::info!(news = ?news, "statuses changed since the last run");
    }
    Some(Remembered {
        group: group.clone(),
        is_news: !news.is_empty() || report.broke_the_chain() || named,
        now,
    })
}
