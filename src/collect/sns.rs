//! SNS adapter: a topic's attributes (encryption key, access policy), every
//! subscription (all pages), and, as a later step, the attributes of its confirmed
//! subscriptions (filter policy and scope): the first, then, unless it takes every
//! message, the others at once.

use aws_sdk_sns::Client;

use crate::arn::TopicArn;
use crate::aws::aws_error;
use crate::state::{Read, Subscription, SubscriptionAttributes, Topic};

pub async fn read_topic(sns: &Client, arn: &TopicArn) -> Read<Topic> {
    let name = arn.to_string();
    let attributes = sns.get_topic_attributes().topic_arn(&name).send();
    let subscriptions = sns
        .list_subscriptions_by_topic()
        .topic_arn(&name)
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let (attributes, subscriptions) = tokio::join!(attributes, subscriptions);
    let attributes = attributes.map_err(|e| aws_error("sns:GetTopicAttributes", &name, e))?;
    let subscriptions = subscriptions.map_err(|e| aws_error("sns:ListSubscriptionsByTopic", &name, e))?;
    let attribute = |key: &str| {
        attributes
            .attributes()
            .and_then(|a| a.get(key))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    Ok(Topic {
        arn: arn.clone(),
        kms_key_id: attribute("KmsMasterKeyId"),
        policy: attribute("Policy"),
        other_attributes: others(attributes.attributes(), &["KmsMasterKeyId", "Policy"]),
        subscriptions: subscriptions
            .iter()
            .map(|s| Subscription {
                arn: s.subscription_arn().unwrap_or_default().to_string(),
                protocol: s.protocol().unwrap_or_default().to_string(),
                endpoint: s.endpoint().unwrap_or_default().to_string(),
                attributes: None,
            })
            .collect(),
    })
}

/// Reads the attributes of the topic's confirmed subscriptions: the first alone (one
/// read for a compliant topic, whose one subscriber has no filter policy), then, unless
/// it takes every message, all the others at once: two steps of the chain at most,
/// however many subscribers. Whether a filter lets the alarm through is check's to judge.
pub async fn read_subscription_attributes(sns: &Client, topic: &mut Topic) {
    let mut confirmed = topic.subscriptions.iter_mut().filter(|s| s.is_confirmed());
    let Some(first) = confirmed.next() else {
        return;
    };
    let attributes = subscription_attributes(sns, &first.arn).await;
    let done = attributes.as_ref().is_ok_and(SubscriptionAttributes::takes_everything);
    first.attributes = Some(attributes);
    if done {
        return;
    }
    let rest: Vec<_> = confirmed.collect();
    let read = futures_util::future::join_all(rest.iter().map(|s| subscription_attributes(sns, &s.arn))).await;
    for (subscription, attributes) in rest.into_iter().zip(read) {
        subscription.attributes = Some(attributes);
    }
}

async fn subscription_attributes(sns: &Client, arn: &str) -> Read<SubscriptionAttributes> {
    let out = sns
        .get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("sns:GetSubscriptionAttributes", arn, e))?;
    let attribute = |key: &str| {
        out.attributes()
            .and_then(|a| a.get(key))
            .filter(|v| !v.trim().is_empty())
            .cloned()
    };
    Ok(SubscriptionAttributes {
        filter_policy: attribute("FilterPolicy"),
        filter_policy_scope: attribute("FilterPolicyScope"),
        pending_confirmation: attribute("PendingConfirmation").is_some_and(|v| v == "true"),
        other_attributes: others(
            out.attributes(),
            &["FilterPolicy", "FilterPolicyScope", "PendingConfirmation"],
        ),
    })
}

fn others(
    attributes: Option<&std::collections::HashMap<String, String>>,
    read: &[&str],
) -> std::collections::BTreeMap<String, String> {
    attributes
        .into_iter()
        .flatten()
        .filter(|(k, _)| !read.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesOutput;
    use aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
    use aws_sdk_sns::types::Subscription as SdkSubscription;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn subscription(arn: &str, endpoint: &str) -> SdkSubscription {
        SdkSubscription::builder()
            .subscription_arn(arn)
            .protocol("email")
            .endpoint(endpoint)
            .topic_arn("arn:aws:sns:us-east-1:123456789012:alarms")
            .build()
    }

    // The emulator lists every subscription as confirmed, so the pending state and
    // pagination are proven here, on the real SDK types.
    #[tokio::test]
    async fn reads_every_page_and_keeps_pending_subscriptions_apart() {
        let attributes = mock!(aws_sdk_sns::Client::get_topic_attributes).then_output(|| {
            GetTopicAttributesOutput::builder()
                .attributes("KmsMasterKeyId", "alias/aws/sns")
                .attributes("Policy", "{}")
                .build()
        });
        let first = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListSubscriptionsByTopicOutput::builder()
                    .subscriptions(subscription("PendingConfirmation", "a@example.com"))
                    .next_token("page-2")
                    .build()
            });
        let second = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListSubscriptionsByTopicOutput::builder()
                    .subscriptions(subscription(
                        "arn:aws:sns:us-east-1:123456789012:alarms:1",
                        "b@example.com",
                    ))
                    .build()
            });
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&attributes, &first, &second]);
        let arn: TopicArn = "arn:aws:sns:us-east-1:123456789012:alarms".parse().unwrap();
        let topic = read_topic(&sns, &arn).await.unwrap();
        assert_eq!(topic.subscriptions.len(), 2);
        assert_eq!(
            topic.subscriptions.iter().map(|s| s.is_confirmed()).collect::<Vec<_>>(),
            [false, true]
        );
        assert_eq!(topic.kms_key_id.as_deref(), Some("alias/aws/sns"));
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    fn topic_with(subscriptions: &[&str]) -> Topic {
        Topic {
            arn: "arn:aws:sns:us-east-1:123456789012:alarms".parse().unwrap(),
            subscriptions: subscriptions
                .iter()
                .map(|arn| Subscription {
                    arn: arn.to_string(),
                    protocol: "sqs".into(),
                    endpoint: "arn:aws:sqs:us-east-1:123456789012:q".into(),
                    attributes: None,
                })
                .collect(),
            kms_key_id: None,
            policy: None,
            other_attributes: Default::default(),
        }
    }

    // The emulator returns what it stores; the order of reads, where they stop, and a
    // refused read are shown here.
    #[tokio::test]
    async fn the_first_subscription_is_read_alone_and_the_others_at_once_when_it_filters() {
        use aws_sdk_sns::operation::get_subscription_attributes::GetSubscriptionAttributesOutput;
        let filtered = mock!(aws_sdk_sns::Client::get_subscription_attributes)
            .match_requests(|r| r.subscription_arn() == Some("arn:aws:sns:us-east-1:123456789012:alarms:1"))
            .then_output(|| {
                GetSubscriptionAttributesOutput::builder()
                    .attributes("FilterPolicy", r#"{"severity": ["high"]}"#)
                    .attributes("FilterPolicyScope", "MessageAttributes")
                    .attributes("PendingConfirmation", "false")
                    .build()
            });
        let refused = mock!(aws_sdk_sns::Client::get_subscription_attributes)
            .match_requests(|r| r.subscription_arn() == Some("arn:aws:sns:us-east-1:123456789012:alarms:2"))
            .then_http_response(|| {
                aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(403).unwrap(),
                    aws_smithy_types::body::SdkBody::from(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>not authorized</Message></Error></ErrorResponse>",
                    ),
                )
            });
        let plain = mock!(aws_sdk_sns::Client::get_subscription_attributes)
            .match_requests(|r| r.subscription_arn() == Some("arn:aws:sns:us-east-1:123456789012:alarms:3"))
            .then_output(|| {
                GetSubscriptionAttributesOutput::builder()
                    .attributes("PendingConfirmation", "false")
                    .build()
            });
        let after = mock!(aws_sdk_sns::Client::get_subscription_attributes)
            .match_requests(|r| r.subscription_arn() == Some("arn:aws:sns:us-east-1:123456789012:alarms:4"))
            .then_output(|| GetSubscriptionAttributesOutput::builder().build());
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&filtered, &refused, &plain, &after]);
        let mut topic = topic_with(&[
            "PendingConfirmation",
            "arn:aws:sns:us-east-1:123456789012:alarms:1",
            "arn:aws:sns:us-east-1:123456789012:alarms:2",
            "arn:aws:sns:us-east-1:123456789012:alarms:3",
            "arn:aws:sns:us-east-1:123456789012:alarms:4",
        ]);
        read_subscription_attributes(&sns, &mut topic).await;
        let read: Vec<_> = topic.subscriptions.iter().map(|s| s.attributes.clone()).collect();
        assert_eq!(read[0], None, "a pending subscription has nothing to read");
        let first = read[1].clone().unwrap().unwrap();
        assert_eq!(first.filter_policy.as_deref(), Some(r#"{"severity": ["high"]}"#));
        assert_eq!(first.filter_policy_scope.as_deref(), Some("MessageAttributes"));
        assert!(!first.takes_everything());
        let error = read[2].clone().unwrap().unwrap_err();
        assert_eq!(error.operation, "sns:GetSubscriptionAttributes");
        assert!(read[3].clone().unwrap().unwrap().takes_everything());
        // The first filters what it receives: the others are read at once, in one step.
        assert!(read[4].clone().unwrap().unwrap().takes_everything());
        assert_eq!(
            [
                filtered.num_calls(),
                refused.num_calls(),
                plain.num_calls(),
                after.num_calls()
            ],
            [1, 1, 1, 1]
        );
    }

    #[tokio::test]
    async fn pending_subscriptions_are_read_as_unconfirmed() {
        let attributes = mock!(aws_sdk_sns::Client::get_topic_attributes)
            .then_output(|| GetTopicAttributesOutput::builder().build());
        let pending = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic).then_output(|| {
            ListSubscriptionsByTopicOutput::builder()
                .subscriptions(subscription("PendingConfirmation", "a@example.com"))
                .build()
        });
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&attributes, &pending]);
        let arn: TopicArn = "arn:aws:sns:us-east-1:123456789012:alarms".parse().unwrap();
        let topic = read_topic(&sns, &arn).await.unwrap();
        assert!(topic.subscriptions.iter().all(|s| !s.is_confirmed()));
    }

    #[tokio::test]
    async fn a_throttled_read_is_a_retryable_error_naming_the_operation() {
        let throttled = mock!(aws_sdk_sns::Client::get_topic_attributes).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>",
                ),
            )
        });
        let list = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic)
            .then_output(|| ListSubscriptionsByTopicOutput::builder().build());
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&throttled, &list], |c| c
            .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled()));
        let arn: TopicArn = "arn:aws:sns:us-east-1:123456789012:alarms".parse().unwrap();
        let err = read_topic(&sns, &arn).await.unwrap_err();
        assert_eq!(err.operation, "sns:GetTopicAttributes");
        assert!(err.retryable, "{err:?}");
        assert!(err.message.contains("Throttling"), "{err:?}");
    }
}
