//! The lease that makes "create the metric filter" happen once when two remediations
//! race. CloudWatch Logs has one atomic create-if-absent: CreateLogStream. A claim is an
//! empty log stream in the target log group named after the run that takes it,
//! `iam-policy-alarm-lease/<filter>/<run>`, so a claim is recognisably its taker's: when
//! the answer to its CreateLogStream is lost and the SDK's retry hears
//! ResourceAlreadyExists, the run knows the claim is its own. Of the live claims, the
//! earliest created (then the lowest name) holds the lease; a run lists the claims
//! before and after it claims, and steps back (releasing its claim) when another
//! precedes it. The holder marks its claim `<claim>/released` when done; nothing is
//! ever deleted. A claim never released stops counting after STALE_AFTER (longer than
//! the section it guards can take: two calls of at most 20 s).
//!
//! Two claims created one listing apart get distinct creation times (the second is
//! created after the first's listing came back), so the order is one both runs see.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::Client;

use crate::aws::{aws_error, AwsError};

const STALE_AFTER: Duration = Duration::from_secs(60);

const RELEASED: &str = "/released";

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

/// Whether the claim `own` (under `prefix`, absent until created) may hold the lease,
/// given the log streams under the prefix as (name, creation time in ms since the
/// epoch): Ok, or Err(why not) naming the live claim that precedes it.
pub fn precedes_own(streams: &[(String, i64)], prefix: &str, own: &str, now_ms: i64) -> Result<(), String> {
    let released = |name: &str| streams.iter().any(|(s, _)| *s == format!("{name}{RELEASED}"));
    let age = |created: i64| Duration::from_millis(now_ms.saturating_sub(created).max(0) as u64);
    let is_claim = |name: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    };
    let own_key = streams
        .iter()
        .find(|(name, _)| name == own)
        .map(|(name, created)| (*created, name.as_str()));
    let first = streams
        .iter()
        .filter(|(name, created)| is_claim(name) && name != own && !released(name) && age(*created) < STALE_AFTER)
        .filter(|(name, created)| own_key.is_none_or(|own_key| (*created, name.as_str()) < own_key))
        .min_by_key(|(name, created)| (*created, name.clone()));
    match first {
        None => Ok(()),
        Some((name, created)) => Err(format!(
            "another remediation holds the lease {name} (taken {} s ago); the next run checks again",
            age(*created).as_secs()
        )),
    }
}

/// Claims the lease for `run` (unique to this run): looks, claims, looks again.
pub async fn claim(logs: &Client, group: &str, filter: &str, run: &str) -> Result<Claim, AwsError> {
    let prefix = prefix(filter);
    let own = format!("{prefix}{run}");
    if let Err(busy) = precedes_own(&claims(logs, group, &prefix).await?, &prefix, &own, now_ms()) {
        return Ok(Claim::Busy(busy));
    }
    let lease = Lease {
        group: group.to_string(),
        stream: own,
    };
    match create(logs, group, &lease.stream).await {
        Ok(()) => {}
        // Only this run uses this name: an earlier attempt whose answer was lost made it.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_already_exists_exception()) => {}
        Err(e) => {
            // The claim may have been made all the same: step back from it.
            release(logs, lease).await;
            return Err(aws_error("logs:CreateLogStream", group, e));
        }
    }
    // Another run may have claimed between our look and our claim: the earlier holds.
    let after = match claims(logs, group, &prefix).await {
        Ok(streams) => precedes_own(&streams, &prefix, &lease.stream, now_ms()),
        Err(e) => {
            release(logs, lease).await;
            return Err(e);
        }
    };
    match after {
        Ok(()) => Ok(Claim::Held(lease)),
        Err(busy) => {
            release(logs, lease).await;
            Ok(Claim::Busy(busy))
        }
    }
}

async fn claims(logs: &Client, group: &str, prefix: &str) -> Result<Vec<(String, i64)>, AwsError> {
    Ok(logs
        .describe_log_streams()
        .log_group_name(group)
        .log_stream_name_prefix(prefix)
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
        .collect())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Best effort: if it fails, the claim goes stale after STALE_AFTER. A marker that
/// already exists (a retry after a lost answer) is a release done.
pub async fn release(logs: &Client, lease: Lease) {
    let marker = format!("{}{RELEASED}", lease.stream);
    match create(logs, &lease.group, &marker).await {
        Ok(()) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_already_exists_exception()) => {}
        Err(e) => {
            tracing::warn!(stream = %lease.stream, error = %aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e), "lease not released; it expires on its own")
        }
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

/// A name unique to this run: its claims are its own.
pub fn run_id() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "iam-policy-alarm-lease/f/";
    const NOW: i64 = 1_000_000_000;
    const OWN: &str = "iam-policy-alarm-lease/f/me";

    fn s(name: &str, age_s: i64) -> (String, i64) {
        (format!("{P}{name}"), NOW - age_s * 1000)
    }

    #[test]
    fn with_no_claim_the_lease_is_free() {
        assert_eq!(precedes_own(&[], P, OWN, NOW), Ok(()));
        assert_eq!(precedes_own(&[s("me", 0)], P, OWN, NOW), Ok(()));
    }

    #[test]
    fn a_live_claim_keeps_others_out() {
        let err = precedes_own(&[s("other", 2)], P, OWN, NOW).unwrap_err();
        assert!(
            err.contains("holds the lease iam-policy-alarm-lease/f/other (taken 2 s ago)"),
            "{err}"
        );
    }

    #[test]
    fn a_released_or_stale_claim_lets_the_next_one_in() {
        assert_eq!(precedes_own(&[s("a", 2), s("a/released", 1)], P, OWN, NOW), Ok(()));
        assert_eq!(precedes_own(&[s("a", 61)], P, OWN, NOW), Ok(()));
        assert!(precedes_own(&[s("a", 300), s("a/released", 300), s("b", 5)], P, OWN, NOW).is_err());
    }

    // After both claimed, each sees the same order: the earlier claim holds.
    #[test]
    fn of_two_claims_the_earlier_holds_and_both_agree() {
        let streams = [s("me", 3), s("other", 2)];
        assert_eq!(precedes_own(&streams, P, OWN, NOW), Ok(()));
        let other = format!("{P}other");
        assert!(precedes_own(&streams, P, &other, NOW).unwrap_err().contains("/f/me"));
        // The same millisecond: the lower name holds.
        let tie = [s("me", 3), s("other", 3)];
        assert_eq!(precedes_own(&tie, P, OWN, NOW), Ok(()));
        assert!(precedes_own(&tie, P, &other, NOW).is_err());
    }

    // Its own claim never blocks a run, and a claim that stepped back (released) never
    // blocks the one it stepped back for.
    #[test]
    fn its_own_claim_and_released_claims_do_not_block() {
        assert_eq!(precedes_own(&[s("me", 0)], P, OWN, NOW), Ok(()));
        assert_eq!(
            precedes_own(&[s("me", 0), s("other", 0), s("other/released", 0)], P, OWN, NOW),
            Ok(())
        );
    }

    #[test]
    fn other_streams_do_not_count() {
        assert_eq!(
            precedes_own(
                &[("123456789012_CloudTrail_us-east-1".into(), NOW), s("x/y", 1)],
                P,
                OWN,
                NOW
            ),
            Ok(())
        );
    }

    #[test]
    fn run_ids_differ_and_fit_a_stream_name() {
        let (a, b) = (run_id(), run_id());
        assert_ne!(a, b);
        assert!(
            a.len() < 64 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{a}"
        );
    }

    // The branch the name says: CreateLogStream's answer was lost, the SDK retried, and
    // the stream this run made already exists: the claim is held, not refused.
    #[tokio::test]
    async fn a_claim_retried_by_its_own_run_counts_as_held() {
        use aws_sdk_cloudwatchlogs::operation::create_log_stream::CreateLogStreamError;
        use aws_sdk_cloudwatchlogs::operation::describe_log_streams::DescribeLogStreamsOutput;
        use aws_sdk_cloudwatchlogs::types::error::ResourceAlreadyExistsException;
        use aws_sdk_cloudwatchlogs::types::LogStream;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};
        let own = "iam-policy-alarm-lease/f/run-1";
        let looks = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_streams)
            .sequence()
            .output(|| DescribeLogStreamsOutput::builder().build())
            .output(move || {
                DescribeLogStreamsOutput::builder()
                    .log_streams(
                        LogStream::builder()
                            .log_stream_name(own)
                            .creation_time(now_ms())
                            .build(),
                    )
                    .build()
            })
            .build();
        let exists = mock!(aws_sdk_cloudwatchlogs::Client::create_log_stream).then_error(|| {
            CreateLogStreamError::ResourceAlreadyExistsException(ResourceAlreadyExistsException::builder().build())
        });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&looks, &exists]);
        match claim(&logs, "trail", "f", "run-1").await {
            Ok(Claim::Held(lease)) => assert_eq!(lease.stream, own),
            Ok(Claim::Busy(why)) => panic!("refused: {why}"),
            Err(e) => panic!("{e}"),
        }
        assert_eq!((looks.num_calls(), exists.num_calls()), (2, 1));
    }
}
