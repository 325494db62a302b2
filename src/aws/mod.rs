//! aws: the only code that talks to AWS is built on this layer. Clients built once per
//! run from one SdkConfig (per region), the retry and timeout budget, and one error
//! type for every call, read or write. `collect` reads through it, `apply` writes.

mod clients;
mod error;

pub use clients::{
    load_sdk_config, Clients, Regional, APPLY_CHAIN_CALLS, AUDIT_CHAIN_CALLS, DELIVERY_CHAIN_CALLS,
    READS_THE_EMULATOR_CANNOT_SHOW, RECALL_BUDGET, REMEDIATION_CHAIN_CALLS, RETRY_BUDGET,
};
pub use error::{aws_error, AwsError};
