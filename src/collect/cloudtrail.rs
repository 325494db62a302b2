//! CloudTrail adapter: trails (with shadow trails), their status and event selectors,
//! each read in the trail's home region.

use aws_sdk_cloudtrail::Client;

use crate::aws::aws_error;
use crate::state::{AdvancedSelector, BasicSelector, FieldSelector, Read, Selectors, Trail, TrailStatus};

pub async fn describe_trails(cloudtrail: &Client, region: &str) -> Read<Vec<Trail>> {
    let out = cloudtrail
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| aws_error("cloudtrail:DescribeTrails", region, e))?;
    let mut trails: Vec<Trail> = out
        .trail_list()
        .iter()
        .map(|t| Trail {
            name: t.name().unwrap_or_default().to_string(),
            arn: t.trail_arn().unwrap_or_default().to_string(),
            home_region: t.home_region().unwrap_or(region).to_string(),
            multi_region: t.is_multi_region_trail().unwrap_or(false),
            organization: t.is_organization_trail().unwrap_or(false),
            log_group_arn: t
                .cloud_watch_logs_log_group_arn()
                .filter(|a| !a.is_empty())
                .map(String::from),
            status: None,
            selectors: None,
        })
        .collect();
    trails.sort_by(|a, b| a.arn.cmp(&b.arn));
    trails.dedup_by(|a, b| a.arn == b.arn);
    Ok(trails)
}

/// Both reads address the trail by ARN, as shadow and organization trails require.
pub async fn status_and_selectors(cloudtrail: &Client, arn: &str) -> (Read<TrailStatus>, Read<Selectors>) {
    let status = async {
        let out = cloudtrail
            .get_trail_status()
            .name(arn)
            .send()
            .await
            .map_err(|e| aws_error("cloudtrail:GetTrailStatus", arn, e))?;
        Ok(TrailStatus {
            is_logging: out.is_logging().unwrap_or(false),
            latest_cloudwatch_logs_delivery_error: out
                .latest_cloud_watch_logs_delivery_error()
                .filter(|e| !e.is_empty())
                .map(String::from),
        })
    };
    let selectors = async {
        let out = cloudtrail
            .get_event_selectors()
            .trail_name(arn)
            .send()
            .await
            .map_err(|e| aws_error("cloudtrail:GetEventSelectors", arn, e))?;
        Ok(if out.advanced_event_selectors().is_empty() {
            Selectors::Basic(
                out.event_selectors()
                    .iter()
                    .map(|s| BasicSelector {
                        read_write_type: s.read_write_type().map(|r| r.as_str().to_string()),
                        include_management_events: s.include_management_events(),
                        exclude_management_event_sources: s.exclude_management_event_sources().to_vec(),
                    })
                    .collect(),
            )
        } else {
            Selectors::Advanced(
                out.advanced_event_selectors()
                    .iter()
                    .map(|s| AdvancedSelector {
                        name: s.name().map(String::from),
                        fields: s
                            .field_selectors()
                            .iter()
                            .map(|f| FieldSelector {
                                field: f.field().to_string(),
                                equals: f.equals().to_vec(),
                                not_equals: f.not_equals().to_vec(),
                                starts_with: f.starts_with().to_vec(),
                                not_starts_with: f.not_starts_with().to_vec(),
                                ends_with: f.ends_with().to_vec(),
                                not_ends_with: f.not_ends_with().to_vec(),
                            })
                            .collect(),
                    })
                    .collect(),
            )
        })
    };
    tokio::join!(status, selectors)
}

/// CloudTrail's own record of the event `event_id` (LookupEvents by EventId, in the
/// client's region): the record's JSON, None when the event history has no such event.
pub async fn lookup_event(cloudtrail: &Client, event_id: &str) -> Read<Option<serde_json::Value>> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventId)
        .attribute_value(event_id)
        .build()
        .map_err(|e| crate::state::AwsError {
            operation: "cloudtrail:LookupEvents".into(),
            resource: event_id.into(),
            message: e.to_string(),
            retryable: false,
        })?;
    let out = cloudtrail
        .lookup_events()
        .lookup_attributes(attribute)
        .send()
        .await
        .map_err(|e| aws_error("cloudtrail:LookupEvents", event_id, e))?;
    // Matched here too: a filter the service ignored would return other events.
    let record = out
        .events()
        .iter()
        .find(|e| e.event_id() == Some(event_id))
        .and_then(|e| e.cloud_trail_event())
        .map(serde_json::from_str::<serde_json::Value>)
        .transpose()
        .map_err(|e| crate::state::AwsError {
            operation: "cloudtrail:LookupEvents".into(),
            resource: event_id.into(),
            message: format!("the event's record is not JSON: {e}"),
            retryable: false,
        })?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::Event;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    /// aws-smithy-mocks: the emulator has no LookupEvents (moto answers "not
    /// implemented"), so the event history's answers are shown with the SDK's own types.
    #[tokio::test]
    async fn an_event_is_looked_up_by_its_id_and_read_from_its_record() {
        let found = mock!(Client::lookup_events)
            .match_requests(|r| {
                r.lookup_attributes()
                    .first()
                    .is_some_and(|a| a.attribute_key() == &aws_sdk_cloudtrail::types::LookupAttributeKey::EventId && a.attribute_value() == "e-1")
            })
            .then_output(|| {
                LookupEventsOutput::builder()
                    .events(
                        Event::builder()
                            .event_id("e-1")
                            .event_name("DeleteAlarms")
                            .cloud_trail_event(r#"{"eventID":"e-1","eventName":"DeleteAlarms","userIdentity":{"arn":"arn:aws:iam::123456789012:user/mallory"}}"#)
                            .build(),
                    )
                    .build()
            });
        let missing = mock!(Client::lookup_events)
            .match_requests(|r| {
                r.lookup_attributes()
                    .first()
                    .is_some_and(|a| a.attribute_value() == "e-2")
            })
            .then_output(|| LookupEventsOutput::builder().build());
        let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&found, &missing]);
        let record = lookup_event(&cloudtrail, "e-1").await.unwrap().expect("found");
        assert_eq!(record["userIdentity"]["arn"], "arn:aws:iam::123456789012:user/mallory");
        assert_eq!(lookup_event(&cloudtrail, "e-2").await.unwrap(), None);
        assert_eq!((found.num_calls(), missing.num_calls()), (1, 1));
    }
}
