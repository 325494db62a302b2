//! iam-policy-alarm: proves an AWS account would be told of every change to an IAM
//! policy (CIS AWS Foundations 4.4, Security Hub CloudWatch.4, Conformity CWL-010),
//! builds what is missing when asked to, and reports.
//!
//! collect (AWS) -> AccountState -> check -> Findings -> report / plan -> apply (AWS)

pub mod alarm;
pub mod apply;
pub mod arn;
pub mod aws;
pub mod check;
pub mod cli;
pub mod collect;
pub mod invocation;
pub mod lambda;
pub mod organization;
pub mod pattern;
pub mod plan;
pub mod policy;
pub mod report;
pub mod rule;
pub mod run;
pub mod securityhub;
pub mod selection;
pub mod settings;
pub mod snsfilter;
pub mod state;
pub mod tamper;
pub mod transformer;
