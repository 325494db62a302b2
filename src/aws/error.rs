//! One error for every AWS call, read or write: the operation, what it addressed, the
//! service's own code and message (or what went wrong on the way there, in one readable
//! line), and whether trying again later could help.

use std::sync::OnceLock;

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde::Serialize;

/// A call to AWS that failed. A failed read makes the link that needed it ERROR, never
/// PASS or FAIL; a failed write stops remediation there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AwsError {
    /// e.g. "logs:DescribeMetricFilters" (a read) or "logs:PutMetricFilter" (a write)
    pub operation: String,
    /// What was addressed (ARN or name), for the report.
    pub resource: String,
    pub message: String,
    /// Throttling, 5xx, timeouts and dropped connections: worth trying again later.
    pub retryable: bool,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {} failed: {}", self.operation, self.resource, self.message)
    }
}

impl AwsError {
    /// A request the SDK refused to build (a missing required field): never retryable.
    pub fn invalid_request(operation: &str, resource: impl Into<String>, why: impl std::fmt::Display) -> Self {
        AwsError {
            operation: operation.into(),
            resource: resource.into(),
            message: one_line(&why.to_string()),
            retryable: false,
        }
    }
}

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

/// The endpoint every client was pointed at (AWS_ENDPOINT_URL), set once when the
/// clients are built: connection errors name it, since the SDK's error does not.
static CONFIGURED_ENDPOINT: OnceLock<Option<String>> = OnceLock::new();

pub(super) fn remember_endpoint(endpoint: Option<&str>) {
    let _ = CONFIGURED_ENDPOINT.set(endpoint.map(String::from));
}

pub fn aws_error<E>(operation: &str, resource: impl Into<String>, err: SdkError<E, HttpResponse>) -> AwsError
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
        _ => match &err {
            SdkError::DispatchFailure(failure) => connection_failure(operation, failure.as_connector_error())
                .unwrap_or_else(|| DisplayErrorContext(&err).to_string()),
            _ => DisplayErrorContext(&err).to_string(),
        },
    };
    AwsError {
        operation: operation.to_string(),
        resource: resource.into(),
        message: one_line(&message),
        retryable,
    }
}

/// "cannot connect to http://127.0.0.1:1 (connection refused)": the endpoint and the
/// cause at the bottom of the error chain, instead of the SDK's nested debug output.
/// None for a dispatch failure that is not about the connection (no credentials, a
/// request the client refused to send): the SDK's own text says that best.
fn connection_failure(
    operation: &str,
    connector: Option<&aws_smithy_runtime_api::client::result::ConnectorError>,
) -> Option<String> {
    let connector = connector?;
    let service = operation.split(':').next().unwrap_or("AWS");
    let endpoint = match CONFIGURED_ENDPOINT.get().cloned().flatten() {
        Some(url) => url,
        None => format!("the {service} endpoint"),
    };
    if connector.is_timeout() {
        return Some(format!("cannot connect to {endpoint} (timed out)"));
    }
    if !connector.is_io() {
        return None;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(connector);
    let mut deepest = connector.to_string();
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return Some(match io.kind() {
                ConnectionRefused => format!("cannot connect to {endpoint} (connection refused)"),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                    format!("the connection to {endpoint} was lost (connection reset)")
                }
                TimedOut => format!("cannot connect to {endpoint} (timed out)"),
                _ => format!("cannot connect to {endpoint} ({io})"),
            });
        }
        deepest = e.to_string();
        cause = e.source();
    }
    Some(format!("the connection to {endpoint} failed ({deepest})"))
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
