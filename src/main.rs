//! Wiring only: logging, typed settings (fail fast), clients built once, then either
//! the Lambda runtime loop (when AWS_LAMBDA_RUNTIME_API is set) or the CLI.

use std::process::ExitCode;

use clap::Parser;
use tracing::Level;
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

use iam_policy_alarm::aws::{load_sdk_config, Clients};
use iam_policy_alarm::cli::{self, Cli};
use iam_policy_alarm::lambda;
use iam_policy_alarm::run::App;
use iam_policy_alarm::settings::Settings;

fn main() -> ExitCode {
    let in_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    if let Err(e) = init_logging(in_lambda) {
        return fail(&e);
    }
    // One thread is enough: the work is waiting on AWS, and concurrency comes from
    // joining futures, not from threads.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    if in_lambda {
        runtime.block_on(serve_lambda())
    } else {
        let cli = Cli::parse();
        runtime.block_on(run_cli(cli))
    }
}

async fn build_app() -> Result<App, String> {
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    let clients = Clients::new(load_sdk_config().await)?;
    Ok(App { clients, settings })
}

async fn serve_lambda() -> ExitCode {
    if let Err(e) = lambda::check_runtime_environment(|name| std::env::var(name).ok()) {
        return fail(&e);
    }
    let app = match build_app().await {
        Ok(app) => app,
        Err(e) => return fail(&e),
    };
    match lambda::serve(app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("Lambda runtime stopped: {e}")),
    }
}

async fn run_cli(cli: Cli) -> ExitCode {
    if !cli::needs_aws(&cli) {
        return cli::execute_offline(cli);
    }
    match build_app().await {
        Ok(app) => cli::execute(cli, &app).await,
        Err(e) => fail(&e),
    }
}

/// One line on stderr: a JSON log record in Lambda, plain text on the command line.
fn fail(message: &str) -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        tracing::error!(error = message, "start-up failed");
    } else {
        eprintln!("iam-policy-alarm: {message}");
    }
    ExitCode::from(2)
}

/// Logging at RUST_LOG's level (the default when unset or empty). A RUST_LOG that does
/// not parse is refused, not silently replaced: logging starts at the default level so
/// the refusal itself is logged, and the caller stops.
fn init_logging(json: bool) -> Result<(), String> {
    let default = if json { "info" } else { "warn" };
    let requested = std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty());
    let (level, refused) = match requested.as_deref().map(EnvFilter::try_new) {
        None => (EnvFilter::new(default), None),
        Some(Ok(level)) => (level, None),
        Some(Err(e)) => {
            let value = requested.as_deref().unwrap_or_default();
            (
                EnvFilter::new(default),
                Some(format!("invalid setting RUST_LOG={value:?}: {e}")),
            )
        }
    };
    // At trace level the SDK's orchestrator logs every response body and decoded
    // output, subscription endpoints (email addresses) included: never, whatever
    // RUST_LOG says. A separate filter caps that target without raising its level above
    // the default (an EnvFilter directive would set it, not cap it).
    let no_bodies = filter_fn(|meta| {
        !(*meta.level() == Level::TRACE && meta.target().starts_with("aws_smithy_runtime::client::orchestrator"))
    });
    let filter = level.and(no_bodies);
    let stderr_layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    if json {
        // Lambda's JSON log format: one object per line, fields flattened, no colours.
        let layer = stderr_layer
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_ansi(false);
        tracing_subscriber::registry().with(layer.with_filter(filter)).init();
    } else {
        let layer = stderr_layer.with_target(false);
        tracing_subscriber::registry().with(layer.with_filter(filter)).init();
    }
    refused.map_or(Ok(()), Err)
}
