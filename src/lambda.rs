//! The Lambda face: settings and clients built once, then the runtime loop. Each
//! invocation parses its event, runs, and returns the report (or an error whose type
//! says whether a retry can help); for the tamper queue's SQS event, also the records
//! it refused, as SQS batch item failures.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

use crate::invocation::{parse_invocation, Invocation, RunRequest};
use crate::outputs::metrics;
use crate::report::RunReport;
use crate::run::{run, App};

/// What an invocation returns.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Report(Box<RunReport>),
    /// To the tamper queue's event source mapping (ReportBatchItemFailures): the
    /// records refused go back to the queue (and after its retries, to the failure
    /// queue); `report` is the run's, null when no record was a change.
    Queue {
        #[serde(rename = "batchItemFailures")]
        batch_item_failures: Vec<BatchItemFailure>,
        report: Option<Box<RunReport>>,
        ignored: Vec<String>,
    },
    /// A change event that starts no run.
    Ignored {
        ignored: String,
    },
}

#[derive(Debug, Serialize)]
pub struct BatchItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

impl Response {
    /// The run's report, when there was a run.
    pub fn report(&self) -> Option<&RunReport> {
        match self {
            Response::Report(r) => Some(r),
            Response::Queue { report, .. } => report.as_deref(),
            Response::Ignored { .. } => None,
        }
    }
}

/// Variables Lambda always sets and lambda_runtime reads with `expect` (a panic and a
/// backtrace when one is missing, e.g. AWS_LAMBDA_RUNTIME_API set by hand): checked
/// first, so a misconfigured start is one line naming the variable.
const RUNTIME_VARIABLES: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
];

pub fn check_runtime_environment(var: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    for name in RUNTIME_VARIABLES {
        match var(name) {
            None => {
                return Err(format!(
                    "{name} is not set: AWS_LAMBDA_RUNTIME_API says this is Lambda, which always sets it"
                ))
            }
            Some(v) if name == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" && v.parse::<i32>().is_err() => {
                let shown: String = v.chars().take(40).collect();
                return Err(format!("{name}={shown:?} is not a whole number of MB"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

pub async fn serve(app: App) -> Result<(), lambda_runtime::Error> {
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let deadline = usable_deadline(event.context.deadline, SystemTime::now());
        if deadline.is_none() {
            tracing::warn!(
                deadline_ms = event.context.deadline,
                "the invocation's deadline has already passed; running without one"
            );
        }
        handle(app, event.payload, deadline)
    }))
    .await
}

/// Lambda's deadline (ms since the epoch). One already past when the invocation starts
/// is no deadline Lambda gives (cargo lambda's emulator sends a constant 600,000): the
/// run goes on without one rather than starting nothing.
pub fn usable_deadline(deadline_ms: u64, now: SystemTime) -> Option<SystemTime> {
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    (deadline > now).then_some(deadline)
}

pub async fn handle(
    app: &App,
    payload: Value,
    deadline: Option<std::time::SystemTime>,
) -> Result<Response, Diagnostic> {
    let invocation = parse_invocation(&payload, &app.settings).map_err(|e| {
        tracing::error!(error = %e, "invocation refused");
        Diagnostic {
            error_type: "InvalidEvent".into(),
            error_message: e.to_string(),
        }
    })?;
    match invocation {
        Invocation::Run(request) => Ok(Response::Report(Box::new(run_to_end(app, request, deadline).await?))),
        Invocation::Ignored(why) => {
            tracing::info!(reason = %why, "change event ignored");
            Ok(Response::Ignored { ignored: why })
        }
        Invocation::Queue(batch) => {
            for r in &batch.refused {
                tracing::error!(message_id = %r.message_id, error = %r.reason, "queue record refused");
            }
            for why in &batch.ignored {
                tracing::info!(reason = %why, "queue record ignored");
            }
            // A failed run fails the whole batch: its changes come back to be audited again.
            let report = match batch.request {
                Some(request) => Some(Box::new(run_to_end(app, request, deadline).await?)),
                None => None,
            };
            Ok(Response::Queue {
                batch_item_failures: batch
                    .refused
                    .into_iter()
                    .map(|r| BatchItemFailure {
                        item_identifier: r.message_id,
                    })
                    .collect(),
                report,
                ignored: batch.ignored,
            })
        }
    }
}

async fn run_to_end(
    app: &App,
    mut request: RunRequest,
    deadline: Option<std::time::SystemTime>,
) -> Result<RunReport, Diagnostic> {
    request.deadline = deadline;
    // Boxed: the run's future nests every account's, too deep to lay out inline here.
    let outcome = Box::pin(run(app, &request)).await;
    match outcome.error() {
        Some(e) => Err(Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        }),
        None => {
            // A completed run, counted by NoSuccessfulRunAlarm (not the invocation).
            let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
            println!(
                "{}",
                metrics::completed_run(&function, &request.trigger, outcome.report.time_ms())
            );
            Ok(outcome.report)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_already_past_is_none() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let later = 1_800_000_000_000 + 600_000;
        assert_eq!(
            usable_deadline(later, now),
            Some(UNIX_EPOCH + Duration::from_millis(later))
        );
        assert_eq!(usable_deadline(600_000, now), None);
    }

    fn check(vars: &[(&str, &str)]) -> Result<(), String> {
        check_runtime_environment(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn lambda_variables_are_required_before_the_runtime_reads_them() {
        let all = [
            ("AWS_LAMBDA_FUNCTION_NAME", "iam-policy-alarm"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ];
        assert_eq!(check(&all), Ok(()));
        for missing in 0..all.len() {
            let vars: Vec<_> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != missing)
                .map(|(_, v)| *v)
                .collect();
            let error = check(&vars).unwrap_err();
            assert!(error.starts_with(&format!("{} is not set", all[missing].0)), "{error}");
        }
        let error = check(&[all[0], all[1], ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots")]).unwrap_err();
        assert_eq!(
            error,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=\"lots\" is not a whole number of MB"
        );
    }
}
