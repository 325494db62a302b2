//! The Lambda face: settings and clients built once, then the runtime loop. Each
//! invocation parses its event, runs, and returns the report (or an error whose type
//! says whether a retry can help).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::invocation::parse_event;
use crate::report::RunReport;
use crate::run::{run, App};

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
) -> Result<RunReport, Diagnostic> {
    let mut request = parse_event(&payload, &app.settings).map_err(|e| {
        tracing::error!(error = %e, "invocation refused");
        Diagnostic {
            error_type: "InvalidEvent".into(),
            error_message: e.to_string(),
        }
    })?;
    request.deadline = deadline;
    let outcome = run(app, &request).await;
    match outcome.error() {
        Some(e) => Err(Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        }),
        None => Ok(outcome.report),
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
