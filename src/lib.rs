//! iam-policy-alarm: proves an AWS account would be told of every change to an IAM
//! policy (CIS AWS Foundations 4.4, Security Hub CloudWatch.4, Conformity CWL-010),
//! builds what is missing when asked to, and reports.
//!
//! # Layout
//!
//! One invocation flows down, and imports point down only (checked by `layout.rs`
//! against a table of allowed edges):
//!
//! ```text
//! faces      main, cli, lambda         settings from the environment, the request
//!   run                                scope -> fleet -> aggregate -> outputs; Outcome, RunError
//!   outputs                            the final report: log, SNS, Security Hub; the run's metric
//!   aggregate                          what ran -> the account or organization report, retryability
//!   fleet                              targets at a bound, the deadline guard, owners then members
//!   scope                              which accounts, with which credentials (roles assumed here only)
//!   pipeline                           one account: collect -> check [-> plan -> apply -> collect -> check]
//! core       collect (reads) -> state -> check -> plan -> apply (writes); report
//! pure       rule, pattern, alarm, snsfilter, selection, transformer, policy, arn, tamper
//! edge       aws (clients, budget, AwsError), app (clients + settings, built once)
//! ```
//!
//! Only the faces import `run`; only `scope` builds a role ARN or assumes a role; only
//! `pipeline` runs an account's chain (collect, check, plan, apply); only `outputs`
//! writes to SNS or Security Hub; the report's time is read once per run (the deadline
//! guard and the lease read the clock for what they measure); `report` never imports
//! `apply` (the applied-action type is `plan`'s); `alarm` and `pattern` import nothing
//! else from the crate.

pub mod aggregate;
pub mod alarm;
pub mod app;
pub mod apply;
pub mod arn;
pub mod aws;
pub mod check;
pub mod cli;
pub mod collect;
pub mod fleet;
pub mod invocation;
pub mod lambda;
#[cfg(test)]
mod layout;
pub mod outputs;
pub mod pattern;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod report;
pub mod rule;
pub mod run;
pub mod scope;
pub mod selection;
pub mod settings;
pub mod snsfilter;
pub mod state;
pub mod tamper;
pub mod transformer;
