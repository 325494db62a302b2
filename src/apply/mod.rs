//! apply: the writes. Executes a Plan against AWS, in order, stopping at the first
//! failure so the next run finds a consistent state and completes it. Every write is an
//! upsert by name; a metric filter is written only under a lease, because two runs
//! racing to create it must leave exactly one. A write is started only when it can end
//! before the time the run must stop writing (the audit after and the delivery need
//! the rest): with many rules to fix, the next run completes what did not fit.

mod lease;

use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;

use crate::aws::{aws_error, AwsError, Clients, RETRY_BUDGET};
use crate::collect::metric_filters;
use crate::plan::{Action, AlarmRequest, AppliedAction, MetricFilterRequest, Outcome, Plan};

#[derive(Debug, Default)]
pub struct Applied {
    /// One entry per action attempted.
    pub results: Vec<AppliedAction>,
    pub failure: Option<AwsError>,
}

/// The calls of one write when every call hangs: a filter's lease (look, claim, look
/// again), the filters read again, the filter, the lease's release; an alarm's one.
fn worst_calls(action: &Action) -> u32 {
    match action {
        Action::PutMetricFilter(_) => 6,
        Action::PutMetricAlarm { .. } => 1,
    }
}

/// Applies `plan`; with `write_by`, each write only when it can end by then.
pub async fn apply(clients: &Clients, plan: &Plan, write_by: Option<SystemTime>) -> Applied {
    let mut applied = Applied::default();
    // The lease's claims are named after the run that takes them.
    let run = lease::run_id();
    for action in &plan.actions {
        let needs = RETRY_BUDGET.operation_timeout * worst_calls(action);
        if write_by.is_some_and(|by| SystemTime::now() + needs > by) {
            let why = format!(
                "not started: less time was left before the function's deadline than this write ({} s) and the audit after need; the next run completes it",
                needs.as_secs()
            );
            tracing::warn!(operation = action.operation(), region = action.region(), "{why}");
            applied.results.push(AppliedAction {
                action: action.planned(),
                outcome: Outcome::Skipped(why.clone()),
            });
            applied.failure = Some(AwsError {
                operation: action.operation().into(),
                resource: action.region().into(),
                message: why,
                retryable: true,
            });
            break;
        }
        let outcome = match action {
            Action::PutMetricFilter(request) => put_metric_filter(clients, request, &run).await,
            Action::PutMetricAlarm { request, .. } => {
                put_metric_alarm(clients, request).await.map(|()| Outcome::Applied)
            }
        };
        let (outcome, failure) = match outcome {
            Ok(outcome) => {
                tracing::info!(operation = action.operation(), region = action.region(), outcome = %outcome, "remediation step");
                (outcome, None)
            }
            Err(e) => {
                tracing::error!(operation = action.operation(), region = action.region(), error = %e, "remediation step failed");
                (Outcome::Failed(e.to_string()), Some(e))
            }
        };
        applied.results.push(AppliedAction {
            action: action.planned(),
            outcome,
        });
        if failure.is_some() {
            applied.failure = failure;
            break;
        }
    }
    applied
}

/// Under the lease: re-reads the filters and writes the filter only if nobody did
/// meanwhile; the lease is released whatever happened.
async fn put_metric_filter(clients: &Clients, request: &MetricFilterRequest, run: &str) -> Result<Outcome, AwsError> {
    let logs = clients.regional(&request.group.region).logs;
    let lease = match lease::claim(&logs, &request.log_group_name, &request.filter_name, run).await? {
        lease::Claim::Held(lease) => lease,
        lease::Claim::Busy(why) => return Ok(Outcome::Skipped(why)),
    };
    let outcome = put_metric_filter_held(clients, &logs, request).await;
    lease::release(&logs, lease).await;
    outcome
}

async fn put_metric_filter_held(
    clients: &Clients,
    logs: &aws_sdk_cloudwatchlogs::Client,
    request: &MetricFilterRequest,
) -> Result<Outcome, AwsError> {
    let current = metric_filters(clients, &request.group).await?;
    if current.iter().any(|f| f.name == request.filter_name) {
        return Ok(Outcome::Skipped(
            "a filter with this name appeared meanwhile; left unchanged".into(),
        ));
    }
    let t = &request.metric_transformations[0];
    let transformation = MetricTransformation::builder()
        .metric_name(&t.metric_name)
        .metric_namespace(&t.metric_namespace)
        .metric_value(&t.metric_value)
        .build()
        .map_err(|e| AwsError::invalid_request("logs:PutMetricFilter", &request.log_group_name, e))?;
    let write = async {
        for attempt in 1..=RETRY_BUDGET.max_attempts {
            let sent = logs
                .put_metric_filter()
                .log_group_name(&request.log_group_name)
                .filter_name(&request.filter_name)
                .filter_pattern(&request.filter_pattern)
                .metric_transformations(transformation.clone())
                .customize()
                .config_override(
                    aws_sdk_cloudwatchlogs::config::Builder::default().retry_config(RetryConfig::disabled()),
                )
                .send()
                .await;
            let error = match sent {
                Ok(_) => return Ok(Outcome::Applied),
                Err(e) => aws_error("logs:PutMetricFilter", &request.log_group_name, e),
            };
            // A failure worth retrying may have come after the write took effect (a lost
            // answer): read back before sending again. AWS would replace the filter; the
            // emulator would add a second one; neither needs the second write.
            if error.retryable {
                let written = metric_filters(clients, &request.group).await.is_ok_and(|filters| {
                    filters
                        .iter()
                        .any(|f| f.name == request.filter_name && f.pattern == request.filter_pattern)
                });
                if written {
                    return Ok(Outcome::AppliedReadBack);
                }
            }
            if !error.retryable || attempt == RETRY_BUDGET.max_attempts {
                return Err(error);
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        unreachable!("the loop returns on its last attempt")
    };
    // One call's worth of time, as for every other call: the phase budget holds.
    match tokio::time::timeout(RETRY_BUDGET.operation_timeout, write).await {
        Ok(outcome) => outcome,
        Err(_) => Err(AwsError {
            operation: "logs:PutMetricFilter".into(),
            resource: request.log_group_name.clone(),
            message: format!(
                "no answer within the {} s operation timeout",
                RETRY_BUDGET.operation_timeout.as_secs()
            ),
            retryable: true,
        }),
    }
}

async fn put_metric_alarm(clients: &Clients, r: &AlarmRequest) -> Result<(), AwsError> {
    let cloudwatch = clients.regional(&r.region).cloudwatch;
    let mut request = cloudwatch
        .put_metric_alarm()
        .alarm_name(&r.alarm_name)
        .alarm_description(&r.alarm_description)
        .namespace(&r.namespace)
        .metric_name(&r.metric_name)
        .statistic(Statistic::from(r.statistic.as_str()))
        .period(r.period)
        .evaluation_periods(r.evaluation_periods)
        .threshold(r.threshold)
        .comparison_operator(ComparisonOperator::from(r.comparison_operator.as_str()))
        .treat_missing_data(&r.treat_missing_data)
        .actions_enabled(r.actions_enabled);
    for action in &r.alarm_actions {
        request = request.alarm_actions(action);
    }
    for tag in &r.tags {
        request = request.tags(Tag::builder().key(&tag.key).value(&tag.value).build());
    }
    request
        .send()
        .await
        .map_err(|e| aws_error("cloudwatch:PutMetricAlarm", &r.alarm_name, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Tag;

    // Past the time to stop writing, nothing is sent (the clients point nowhere: a call
    // would fail, not be skipped) and the run says the next one completes it.
    #[tokio::test]
    async fn no_write_is_started_that_cannot_end_before_the_time_to_stop() {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let clients = Clients::new(config).unwrap();
        let request = AlarmRequest {
            region: "us-east-1".into(),
            alarm_name: "a".into(),
            alarm_description: String::new(),
            namespace: "n".into(),
            metric_name: "m".into(),
            statistic: "Sum".into(),
            period: 300,
            evaluation_periods: 1,
            threshold: 1.0,
            comparison_operator: "GreaterThanOrEqualToThreshold".into(),
            treat_missing_data: "notBreaching".into(),
            actions_enabled: true,
            alarm_actions: Vec::new(),
            tags: vec![Tag {
                key: "k".into(),
                value: "v".into(),
            }],
        };
        let plan = Plan {
            actions: vec![
                Action::PutMetricAlarm {
                    request: request.clone(),
                    replaces_own: false,
                },
                Action::PutMetricAlarm {
                    request,
                    replaces_own: false,
                },
            ],
            ..Plan::default()
        };
        let applied = apply(&clients, &plan, Some(SystemTime::now() + Duration::from_secs(10))).await;
        assert_eq!(
            applied.results.len(),
            1,
            "the first skipped write ends the run's writes"
        );
        assert!(
            applied.results[0]
                .outcome
                .to_string()
                .starts_with("skipped: not started: less time was left"),
            "{}",
            applied.results[0].outcome
        );
        let failure = applied.failure.unwrap();
        assert!(failure.retryable && failure.message.contains("the next run completes it"));
    }
}
