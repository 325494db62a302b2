//! The trail link: multi-region, logging, all management events, delivering to a log
//! group that exists.

use super::{LinkFinding, Problems};
use crate::arn::LogGroupArn;
use crate::state::{AccountState, AwsError, Selectors, Trail};

pub(super) fn trail_link(state: &AccountState, trail: &Trail) -> LinkFinding {
    let name = &trail.name;
    let region = &trail.home_region;
    let mut p = Problems::default();
    if !trail.multi_region {
        p.add(
            "is single-region, so IAM calls made through other regions' endpoints are not recorded".into(),
            format!("aws cloudtrail update-trail --region {region} --name {name} --is-multi-region-trail"),
        );
    }
    match &trail.status {
        Some(Ok(status)) if !status.is_logging => p.add(
            "is not logging".into(),
            format!("aws cloudtrail start-logging --region {region} --name {name}"),
        ),
        Some(Err(e)) => p.errors.push(e.clone()),
        _ => {}
    }
    match &trail.selectors {
        Some(Ok(selectors)) => {
            if let Err(why) = records_all_management_events(selectors) {
                p.add(
                    why,
                    format!(
                        "aws cloudtrail put-event-selectors --region {region} --trail-name {name} --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]'"
                    ),
                );
            }
        }
        Some(Err(e)) => p.errors.push(e.clone()),
        None => {}
    }
    let mut resources = vec![trail.arn.clone()];
    let deliver_fix = format!(
        "aws cloudtrail update-trail --region {region} --name {name} --cloud-watch-logs-log-group-arn <log group ARN> --cloud-watch-logs-role-arn <role ARN>"
    );
    match trail.log_group_arn.as_deref().map(|a| (a, a.parse::<LogGroupArn>())) {
        None => p.add(
            "does not deliver to CloudWatch Logs (no CloudWatchLogsLogGroupArn)".into(),
            deliver_fix,
        ),
        Some((raw, Err(e))) => p.add(
            format!("has a malformed CloudWatchLogsLogGroupArn {raw:?}: {}", e.reason),
            deliver_fix,
        ),
        Some((_, Ok(arn))) => {
            resources.push(arn.to_string());
            match state.log_groups.get(&arn).map(|g| &g.exists) {
                Some(Ok(true)) => {}
                Some(Ok(false)) => p.add(
                    format!(
                        "delivers to log group {} in {}, which does not exist",
                        arn.name, arn.region
                    ),
                    format!(
                        "aws logs create-log-group --region {} --log-group-name {}",
                        arn.region, arn.name
                    ),
                ),
                Some(Err(e)) => p.errors.push(e.clone()),
                None => p.errors.push(AwsError {
                    operation: "logs:DescribeLogGroups".into(),
                    resource: arn.to_string(),
                    message: "not read".into(),
                    retryable: false,
                }),
            }
        }
    }
    if let Some(Ok(status)) = &trail.status {
        if let Some(e) = &status.latest_cloudwatch_logs_delivery_error {
            p.add(
                format!("reports a CloudWatch Logs delivery error: {e}"),
                "check the trail's CloudWatchLogsRoleArn can logs:CreateLogStream and logs:PutLogEvents on the log group".into(),
            );
        }
    }
    let ok = format!(
        "multi-region, logging, all management events, delivers to {}",
        trail.log_group_arn.as_deref().unwrap_or_default()
    );
    p.into_link(ok, resources).prefixed(&format!("trail {name} "))
}

/// Does some selector record every management event, reads and writes, from IAM?
pub fn records_all_management_events(selectors: &Selectors) -> Result<(), String> {
    match selectors {
        // AWS always returns at least the default selector; only an emulator returns
        // none, and a trail with no selectors behaves as the default (All, management).
        Selectors::Basic(list) if list.is_empty() => Ok(()),
        Selectors::Basic(list) => {
            let all = list.iter().any(|s| {
                s.include_management_events.unwrap_or(true)
                    && s.read_write_type.as_deref().unwrap_or("All") == "All"
                    && !s
                        .exclude_management_event_sources
                        .iter()
                        .any(|src| src == "iam.amazonaws.com")
            });
            if all {
                Ok(())
            } else {
                let kinds: Vec<String> = list
                    .iter()
                    .map(|s| {
                        format!(
                            "{}{}",
                            s.read_write_type.as_deref().unwrap_or("All"),
                            if s.include_management_events == Some(false) {
                                " (data events only)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect();
                Err(format!(
                    "does not record all management events (event selectors: {})",
                    kinds.join(", ")
                ))
            }
        }
        Selectors::Advanced(list) => {
            let all = list.iter().any(|s| {
                let field = |name: &str| s.fields.iter().find(|f| f.field == name);
                let management = field("eventCategory").is_some_and(|f| f.equals.iter().any(|v| v == "Management"));
                // A readOnly field narrows to reads or writes; without it both are recorded.
                let reads_and_writes = field("readOnly").is_none();
                let iam_included = field("eventSource").is_none_or(|f| {
                    (f.equals.is_empty() || f.equals.iter().any(|v| v == "iam.amazonaws.com"))
                        && !f.not_equals.iter().any(|v| v == "iam.amazonaws.com")
                });
                management && reads_and_writes && iam_included
            });
            if all {
                Ok(())
            } else {
                Err("has no advanced event selector recording all management events (eventCategory = Management, no readOnly filter, IAM not excluded)".into())
            }
        }
    }
}
