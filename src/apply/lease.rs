//! The lease that makes "create the metric filter" happen once when two remediations
//! race. CloudWatch Logs has one atomic create-if-absent: CreateLogStream. Claims are
//! empty log streams in the target log group, `iam-policy-alarm-lease/<filter>/<n>`,
//! numbered upwards because nothing is ever deleted; the holder marks its claim
//! `<n>/released` when done, and a claim that was never released stops counting after
//! STALE_AFTER (longer than the section it guards can take: two calls of at most 20 s).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::Client;

use crate::aws::{aws_error, AwsError};

const STALE_AFTER: Duration = Duration::from_secs(60);

pub struct Lease {
    group: String,
    stream: String,
}

pub enum Claim {
    Held(Lease),
    /// Another run holds it: why, for the report.
    Busy(String),
}

fn prefix(filter: &str) -> String {
    format!("iam-policy-alarm-lease/{filter}/")
}

/// What the existing claims say: Ok(next claim number) or Err(why not now).
/// `streams` are (name, creation time in ms since the epoch) under the prefix.
pub fn next_claim(streams: &[(String, i64)], prefix: &str, now_ms: i64) -> Result<u64, String> {
    let claims: Vec<(u64, i64)> = streams
        .iter()
        .filter_map(|(name, created)| Some((name.strip_prefix(prefix)?.parse::<u64>().ok()?, *created)))
        .collect();
    let Some(&(last, created)) = claims.iter().max_by_key(|(n, _)| *n) else {
        return Ok(0);
    };
    let released = streams
        .iter()
        .any(|(name, _)| *name == format!("{prefix}{last}/released"));
    let age = Duration::from_millis(now_ms.saturating_sub(created).max(0) as u64);
    if released || age >= STALE_AFTER {
        Ok(last + 1)
    } else {
        Err(format!(
            "another remediation holds the lease {prefix}{last} (taken {} s ago); the next run checks again",
            age.as_secs()
        ))
    }
}

pub async fn claim(logs: &Client, group: &str, filter: &str) -> Result<Claim, AwsError> {
    let prefix = prefix(filter);
    let streams: Vec<(String, i64)> = logs
        .describe_log_streams()
        .log_group_name(group)
        .log_stream_name_prefix(&prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("logs:DescribeLogStreams", group, e))?
        .iter()
        .map(|s| {
            (
                s.log_stream_name().unwrap_or_default().to_string(),
                s.creation_time().unwrap_or(0),
            )
        })
        .collect();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let next = match next_claim(&streams, &prefix, now_ms) {
        Ok(n) => n,
        Err(busy) => return Ok(Claim::Busy(busy)),
    };
    let stream = format!("{prefix}{next}");
    match create(logs, group, &stream).await {
        Ok(()) => Ok(Claim::Held(Lease {
            group: group.to_string(),
            stream,
        })),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_already_exists_exception()) =>
        {
            Ok(Claim::Busy(format!(
                "another remediation took the lease {stream} first; the next run checks again"
            )))
        }
        Err(e) => Err(aws_error("logs:CreateLogStream", group, e)),
    }
}

/// Best effort: if it fails, the claim goes stale after STALE_AFTER.
pub async fn release(logs: &Client, lease: Lease) {
    let marker = format!("{}/released", lease.stream);
    if let Err(e) = create(logs, &lease.group, &marker).await {
        tracing::warn!(stream = %lease.stream, error = %aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e), "lease not released; it expires on its own");
    }
}

async fn create(
    logs: &Client,
    group: &str,
    stream: &str,
) -> Result<
    (),
    aws_sdk_cloudwatchlogs::error::SdkError<aws_sdk_cloudwatchlogs::operation::create_log_stream::CreateLogStreamError>,
> {
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "iam-policy-alarm-lease/f/";
    const NOW: i64 = 1_000_000_000;

    fn s(name: &str, age_s: i64) -> (String, i64) {
        (format!("{P}{name}"), NOW - age_s * 1000)
    }

    #[test]
    fn the_first_claim_is_zero() {
        assert_eq!(next_claim(&[], P, NOW), Ok(0));
    }

    #[test]
    fn a_live_claim_keeps_others_out() {
        let err = next_claim(&[s("0", 2)], P, NOW).unwrap_err();
        assert!(
            err.contains("holds the lease iam-policy-alarm-lease/f/0 (taken 2 s ago)"),
            "{err}"
        );
    }

    #[test]
    fn a_released_or_stale_claim_lets_the_next_one_in() {
        assert_eq!(next_claim(&[s("0", 2), s("0/released", 1)], P, NOW), Ok(1));
        assert_eq!(next_claim(&[s("0", 61)], P, NOW), Ok(1));
        assert!(next_claim(&[s("0", 300), s("0/released", 300), s("1", 5)], P, NOW).is_err());
        assert_eq!(
            next_claim(&[s("9", 300), s("10", 100), s("10/released", 99)], P, NOW),
            Ok(11)
        );
    }

    #[test]
    fn other_streams_do_not_count() {
        assert_eq!(
            next_claim(&[("123456789012_CloudTrail_us-east-1".into(), NOW), s("x", 1)], P, NOW),
            Ok(0)
        );
    }
}
