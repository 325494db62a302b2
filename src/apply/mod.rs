//! apply: the writes. Executes a Plan against AWS, in order, stopping at the first
//! failure so the next run finds a consistent state and completes it. Every write is an
//! upsert by name; a metric filter is written only under a lease, because two runs
//! racing to create it must leave exactly one. Publishing the findings is a write too.

mod lease;
mod publish;

pub use publish::publish;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use serde::Serialize;

use crate::aws::{aws_error, AwsError, Clients};
use crate::collect::metric_filters;
use crate::plan::{Action, AlarmRequest, MetricFilterRequest, Plan, PlannedAction};

/// One planned action and what became of it: "applied", "skipped: why" or "failed: why".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedAction {
    #[serde(flatten)]
    pub action: PlannedAction,
    pub outcome: String,
}

#[derive(Debug, Default)]
pub struct Applied {
    /// One entry per action attempted.
    pub results: Vec<AppliedAction>,
    pub failure: Option<AwsError>,
}

pub async fn apply(clients: &Clients, plan: &Plan) -> Applied {
    let mut applied = Applied::default();
    for action in &plan.actions {
        let outcome = match action {
            Action::PutMetricFilter(request) => put_metric_filter(clients, request).await,
            Action::PutMetricAlarm { request, .. } => {
                put_metric_alarm(clients, request).await.map(|()| "applied".to_string())
            }
        };
        let (outcome, failure) = match outcome {
            Ok(outcome) => {
                tracing::info!(operation = action.operation(), region = action.region(), outcome = %outcome, "remediation step");
                (outcome, None)
            }
            Err(e) => {
                tracing::error!(operation = action.operation(), region = action.region(), error = %e, "remediation step failed");
                (format!("failed: {e}"), Some(e))
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
async fn put_metric_filter(clients: &Clients, request: &MetricFilterRequest) -> Result<String, AwsError> {
    let logs = clients.regional(&request.group.region).logs;
    let lease = match lease::claim(&logs, &request.log_group_name, &request.filter_name).await? {
        lease::Claim::Held(lease) => lease,
        lease::Claim::Busy(why) => return Ok(format!("skipped: {why}")),
    };
    let outcome = put_metric_filter_held(clients, &logs, request).await;
    lease::release(&logs, lease).await;
    outcome
}

async fn put_metric_filter_held(
    clients: &Clients,
    logs: &aws_sdk_cloudwatchlogs::Client,
    request: &MetricFilterRequest,
) -> Result<String, AwsError> {
    let current = metric_filters(clients, &request.group).await?;
    if current.iter().any(|f| f.name == request.filter_name) {
        return Ok("skipped: a filter with this name appeared meanwhile; left unchanged".into());
    }
    let t = &request.metric_transformations[0];
    let transformation = MetricTransformation::builder()
        .metric_name(&t.metric_name)
        .metric_namespace(&t.metric_namespace)
        .metric_value(&t.metric_value)
        .build()
        .map_err(|e| AwsError::invalid_request("logs:PutMetricFilter", &request.log_group_name, e))?;
    logs.put_metric_filter()
        .log_group_name(&request.log_group_name)
        .filter_name(&request.filter_name)
        .filter_pattern(&request.filter_pattern)
        .metric_transformations(transformation)
        .send()
        .await
        .map_err(|e| aws_error("logs:PutMetricFilter", &request.log_group_name, e))?;
    Ok("applied".into())
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
