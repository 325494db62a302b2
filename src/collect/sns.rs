//! SNS adapter: a topic's attributes (encryption key, access policy) and every
//! subscription (all pages).

use aws_sdk_sns::Client;

use super::read_error;
use crate::arn::TopicArn;
use crate::state::{Read, Subscription, Topic};

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
    let attributes = attributes.map_err(|e| read_error("sns:GetTopicAttributes", &name, e))?;
    let subscriptions = subscriptions.map_err(|e| read_error("sns:ListSubscriptionsByTopic", &name, e))?;
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
        subscriptions: subscriptions
            .iter()
            .map(|s| Subscription {
                arn: s.subscription_arn().unwrap_or_default().to_string(),
                protocol: s.protocol().unwrap_or_default().to_string(),
                endpoint: s.endpoint().unwrap_or_default().to_string(),
            })
            .collect(),
    })
}
