//! The Lambda face: settings and clients built once, then the runtime loop. Each
//! invocation parses its event, runs, and returns the report (or an error whose type
//! says whether a retry can help).

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::invocation::parse_event;
use crate::report::Report;
use crate::run::{run, App};

pub async fn serve(app: App) -> Result<(), lambda_runtime::Error> {
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| handle(app, event.payload))).await
}

pub async fn handle(app: &App, payload: Value) -> Result<Report, Diagnostic> {
    let request = parse_event(&payload, &app.settings).map_err(|e| {
        tracing::error!(error = %e, "invocation refused");
        Diagnostic {
            error_type: "InvalidEvent".into(),
            error_message: e.to_string(),
        }
    })?;
    let outcome = run(app, &request).await;
    match outcome.error() {
        Some(e) => Err(Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        }),
        None => Ok(outcome.report),
    }
}
