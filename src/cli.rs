//! The command line: the same run as the Lambda, against whatever account the ambient
//! credentials and AWS_ENDPOINT_URL point to. Exit 0 PASS, 1 FAIL, 2 error.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::Status;
use crate::invocation::{RunRequest, Trigger};
use crate::run::{run, App};
use crate::settings::Mode;

#[derive(Parser, Debug)]
#[command(name = "iam-policy-alarm", version, about = "Proves this AWS account alarms on every IAM policy change (CIS 4.4, CloudWatch.4, CWL-010)")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit the trail -> metric filter -> alarm -> subscriber chain and print the report.
    Audit {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Commands that need no AWS: decided before any client is built.
pub fn needs_aws(cli: &Cli) -> bool {
    matches!(cli.command, Command::Audit { .. })
}

pub async fn execute(cli: Cli, app: &App) -> ExitCode {
    match cli.command {
        Command::Audit { format } => {
            let request = RunRequest { mode: Mode::Audit, dry_run: false, trigger: Trigger::Cli };
            let outcome = run(app, &request).await;
            print_report(&outcome.report, format);
            if let Err(e) = &outcome.published {
                eprintln!("iam-policy-alarm: report not published: {e}");
                return ExitCode::from(2);
            }
            exit_code(outcome.report.status)
        }
    }
}

fn print_report(report: &crate::report::Report, format: Format) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()),
        Format::Text => print!("{}", report.text()),
    }
}

fn exit_code(status: Status) -> ExitCode {
    ExitCode::from(match status {
        Status::Pass => 0,
        Status::Fail => 1,
        Status::Error => 2,
    })
}

/// Runs the commands that need no AWS account.
pub fn execute_offline(_cli: Cli) -> ExitCode {
    ExitCode::from(2)
}
