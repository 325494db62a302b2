//! SDK errors become ReadErrors: the operation, what it read, the service's own code
//! and message, and whether trying again later could help.

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::state::ReadError;

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalError",
];

pub fn read_error<E>(operation: &str, resource: impl Into<String>, err: SdkError<E, HttpResponse>) -> ReadError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() >= 500
                || service.err().code().is_some_and(|c| THROTTLING_CODES.contains(&c))
        }
        _ => false,
    };
    let message = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => DisplayErrorContext(&err).to_string(),
    };
    ReadError {
        operation: operation.to_string(),
        resource: resource.into(),
        message: one_line(&message),
        retryable,
    }
}

fn one_line(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // Bound what an error can put into a report or a log line.
    if flat.len() > 500 {
        let cut = (0..=500).rev().find(|i| flat.is_char_boundary(*i)).unwrap_or(0);
        format!("{}…", &flat[..cut])
    } else {
        flat
    }
}
