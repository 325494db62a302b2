//! The command line: the same run as the Lambda, against whatever account the ambient
//! credentials and AWS_ENDPOINT_URL point to. Exit 0 PASS, 1 FAIL, 2 error.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::Status;
use crate::invocation::{RunRequest, Trigger};
use crate::pattern;
use crate::rule;
use crate::run::{run, App, RunError};
use crate::settings::{Mode, Scope};

#[derive(Parser, Debug)]
#[command(
    name = "iam-policy-alarm",
    version,
    about = "Proves this AWS account alarms on every IAM policy change (CIS 4.4, CloudWatch.4, CWL-010)"
)]
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
        /// Audit every account of the AWS Organization (SCOPE=organization).
        #[arg(long)]
        organization: bool,
        /// The rules to judge: comma-separated ids, or all (RULES; see `rule --rules all`).
        #[arg(long, value_parser = rules)]
        rules: Option<Rules>,
    },
    /// Create the missing metric filter and alarm (never a trail; never overwriting what
    /// this tool did not create), then audit again.
    Remediate {
        /// Print the plan, every request in full, and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Across the AWS Organization: each chain fixed in the account it lives in.
        #[arg(long)]
        organization: bool,
        /// The rules to remediate: comma-separated ids, or all (RULES).
        #[arg(long, value_parser = rules)]
        rules: Option<Rules>,
    },
    /// Test a filter pattern against log events, as `aws logs test-metric-filter` does
    /// (same JSON output), without an AWS account.
    TestMetricFilter {
        #[arg(long)]
        filter_pattern: String,
        #[arg(long, num_args = 1.., required = true)]
        log_event_messages: Vec<String>,
    },
    /// Does a filter pattern match every case of a rule (the 16 IAM policy events by
    /// default), for every identity type? Evaluates the pattern against realistic
    /// CloudTrail records, and records derived from its own conditions. Given several
    /// times: the filters as one metric's, judged on their union.
    Coverage {
        #[arg(long, required = true)]
        filter_pattern: Vec<String>,
        /// The rule's id.
        #[arg(long, default_value = rule::DEFAULT_RULE, value_parser = one_rule)]
        rule: Rules,
    },
    /// Print a rule as JSON: its controls, its events, the canonical pattern, and the
    /// filter and alarm remediation writes (what scripts seed a chain from). With
    /// several rules, a JSON array of them.
    Rule {
        #[arg(long, default_value = rule::DEFAULT_RULE, value_parser = rules)]
        rules: Rules,
    },
}

/// Rules named on the command line.
pub type Rules = Vec<&'static rule::Rule>;

fn rules(value: &str) -> Result<Rules, String> {
    crate::settings::rule_list(value)
}

fn one_rule(value: &str) -> Result<Rules, String> {
    match rule::by_id(value.trim()) {
        Some(rule) => Ok(vec![rule]),
        None => Err(format!("{value:?} is not a rule; the rules are {}", rule::ids())),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// OCSF 1.1 Compliance Finding events (class 2003), one per audited account.
    Ocsf,
}

/// Commands that need no AWS: decided before any client is built.
pub fn needs_aws(cli: &Cli) -> bool {
    matches!(cli.command, Command::Audit { .. } | Command::Remediate { .. })
}

pub async fn execute(cli: Cli, app: &App) -> ExitCode {
    let (mode, dry_run, format, organization, rules) = match cli.command {
        Command::Audit {
            format,
            organization,
            ref rules,
        } => (Mode::Audit, false, format, organization, rules.clone()),
        Command::Remediate {
            dry_run,
            format,
            organization,
            ref rules,
        } => (
            Mode::Remediate,
            dry_run || app.settings.dry_run,
            format,
            organization,
            rules.clone(),
        ),
        Command::TestMetricFilter { .. } | Command::Coverage { .. } | Command::Rule { .. } => {
            return execute_offline(cli)
        }
    };
    let scope = if organization {
        Scope::Organization
    } else {
        app.settings.scope
    };
    let request = RunRequest {
        mode,
        dry_run,
        trigger: Trigger::Cli,
        scope,
        accounts: None,
        deadline: None,
        rules: rules.unwrap_or_else(|| app.settings.rules.clone()),
    };
    let outcome = run(app, &request).await;
    print_report(&outcome.report, format);
    // An incomplete audit already says why in the report and exits 2 through its
    // status; every other failure says why here.
    let errors = outcome.errors();
    for e in errors.iter().filter(|e| !matches!(e, RunError::Incomplete { .. })) {
        eprintln!("iam-policy-alarm: {e}");
    }
    if errors.is_empty() {
        exit_code(outcome.report.status())
    } else {
        ExitCode::from(2)
    }
}

fn print_report(report: &crate::report::RunReport, format: Format) {
    match format {
        Format::Json => print_out(&serde_json::to_string_pretty(report).unwrap_or_default()),
        Format::Text => print_out(report.text().trim_end()),
        Format::Ocsf => {
            let events = crate::report::ocsf::events(report);
            print_out(&serde_json::to_string_pretty(&events).unwrap_or_default())
        }
    }
}

fn exit_code(status: Status) -> ExitCode {
    ExitCode::from(match status {
        Status::Pass => 0,
        Status::Fail => 1,
        Status::Error => 2,
    })
}

/// Runs the commands that need no AWS account: the pattern engine's. An invalid
/// pattern exits 2 with the error on stderr.
pub fn execute_offline(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::TestMetricFilter {
            filter_pattern,
            log_event_messages,
        } => pattern::test_metric_filter(filter_pattern, log_event_messages).map(|v| serde_json::to_string_pretty(&v)),
        Command::Coverage { filter_pattern, rule } => match &filter_pattern[..] {
            [one] => rule::coverage_report(rule[0], one).map(|r| serde_json::to_string_pretty(&r)),
            several => rule::union_report(rule[0], several).map(|r| serde_json::to_string_pretty(&r)),
        },
        Command::Rule { rules } => Ok(match &rules[..] {
            [one] => serde_json::to_string_pretty(&one.description()),
            several => serde_json::to_string_pretty(&several.iter().map(|r| r.description()).collect::<Vec<_>>()),
        }),
        Command::Audit { .. } | Command::Remediate { .. } => return ExitCode::from(2),
    };
    match result {
        Ok(json) => {
            print_out(&json.unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("iam-policy-alarm: {e}");
            ExitCode::from(2)
        }
    }
}

/// Prints to stdout; a closed pipe (`| head`) is the reader's choice, not an error.
fn print_out(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
