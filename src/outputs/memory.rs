//! The notification memory: each account's status as the last run reported it, kept
//! as one log event per run in STATE_LOG_GROUP's stream `iam-policy-alarm-state` (the
//! function's own log group in the template: no store of its own to deploy or to lose
//! apart from the evidence). With NOTIFY=on-change a run the schedule or a tamper event
//! started publishes only what is news: an account whose status changed, a change that
//! broke the chain, or one that names a resource of a chain that is not PASS. When the
//! memory cannot be read, every status counts as news: notify rather than miss.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde::{Deserialize, Serialize};

use crate::aws::{aws_error, AwsError};

/// The log stream of the memory, in STATE_LOG_GROUP.
pub const STREAM: &str = "iam-policy-alarm-state";

/// Account -> status word (PASS, FAIL, ERROR), as last reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statuses {
    pub accounts: BTreeMap<String, String>,
}

/// What changed from `previous` (None: nothing remembered) to `now`, one line per
/// account: "111111111111 FAIL -> PASS", "222222222222 new: FAIL". Accounts no longer
/// reported are not news.
pub fn news(previous: Option<&Statuses>, now: &Statuses) -> Vec<String> {
    now.accounts
        .iter()
        .filter_map(
            |(account, status)| match previous.and_then(|p| p.accounts.get(account)) {
                Some(before) if before == status => None,
                Some(before) => Some(format!("{account} {before} -> {status}")),
                None => Some(format!("{account} new: {status}")),
            },
        )
        .collect()
}

/// The last statuses the memory holds; None when it holds none yet.
pub async fn recall(logs: &aws_sdk_cloudwatchlogs::Client, group: &str) -> Result<Option<Statuses>, AwsError> {
    let out = logs
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(STREAM)
        .start_from_head(false)
        .limit(1)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        // No stream yet: the first run with this memory.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(aws_error("logs:GetLogEvents", group, e)),
    };
    let Some(event) = out.events().last() else {
        return Ok(None);
    };
    serde_json::from_str(event.message().unwrap_or_default())
        .map(Some)
        .map_err(|e| AwsError {
            operation: "logs:GetLogEvents".into(),
            resource: format!("{group} {STREAM}"),
            message: format!("the remembered statuses are not what this function writes: {e}"),
            retryable: false,
        })
}

/// Remembers `statuses` as the last reported.
pub async fn remember(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    statuses: &Statuses,
    now_millis: i64,
) -> Result<(), AwsError> {
    let event = InputLogEvent::builder()
        .timestamp(now_millis)
        .message(serde_json::to_string(statuses).unwrap_or_default())
        .build()
        .map_err(|e| AwsError {
            operation: "logs:PutLogEvents".into(),
            resource: group.into(),
            message: e.to_string(),
            retryable: false,
        })?;
    let put = || {
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(STREAM)
            .log_events(event.clone())
            .send()
    };
    match put().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            let created = logs
                .create_log_stream()
                .log_group_name(group)
                .log_stream_name(STREAM)
                .send()
                .await;
            if let Err(e) = created {
                if !e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_already_exists_exception())
                {
                    return Err(aws_error("logs:CreateLogStream", group, e));
                }
            }
            put()
                .await
                .map(|_| ())
                .map_err(|e| aws_error("logs:PutLogEvents", group, e))
        }
        Err(e) => Err(aws_error("logs:PutLogEvents", group, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(pairs: &[(&str, &str)]) -> Statuses {
        Statuses {
            accounts: pairs.iter().map(|(a, s)| (a.to_string(), s.to_string())).collect(),
        }
    }

    #[test]
    fn only_a_changed_or_new_status_is_news() {
        let before = statuses(&[
            ("111111111111", "FAIL"),
            ("222222222222", "PASS"),
            ("333333333333", "ERROR"),
        ]);
        assert!(
            news(Some(&before), &before).is_empty(),
            "FAIL -> FAIL again is not news"
        );
        let now = statuses(&[
            ("111111111111", "PASS"),
            ("222222222222", "PASS"),
            ("444444444444", "FAIL"),
        ]);
        assert_eq!(
            news(Some(&before), &now),
            ["111111111111 FAIL -> PASS", "444444444444 new: FAIL"]
        );
        assert_eq!(news(None, &before).len(), 3, "nothing remembered: everything is news");
    }
}
