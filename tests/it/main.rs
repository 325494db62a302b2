//! The integration tests, one binary: the built `iam-policy-alarm` binary against a
//! real AWS API emulator (moto server) that this binary starts once, each test in a
//! fresh emulated account. `support` holds what the tests share, by concern.

mod support;

mod audit;
mod bad_input;
mod faults;
mod lambda_runtime;
mod organization;
mod pattern_cli;
mod remediation;
mod rules;
mod secrets;
mod security_hub;
mod stack_policies;
mod tamper;
