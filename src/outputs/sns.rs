//! Publishes the report's SNS message to the findings topic. The report has already
//! been logged in full, so a failure here loses nothing; it fails the invocation.

use crate::arn::TopicArn;
use crate::aws::{aws_error, AwsError, Clients};
use crate::report::SnsMessage;
use aws_sdk_sns::types::MessageAttributeValue;

pub async fn publish(clients: &Clients, topic: &TopicArn, message: &SnsMessage) -> Result<String, AwsError> {
    let sns = clients.regional(topic.region()).sns;
    let mut request = sns
        .publish()
        .topic_arn(topic.to_string())
        .subject(&message.subject)
        .message(&message.message)
        .message_structure("json");
    for (name, value) in &message.attributes {
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|e| AwsError::invalid_request("sns:Publish", topic.to_string(), e))?;
        request = request.message_attributes(name, attribute);
    }
    let out = request
        .send()
        .await
        .map_err(|e| aws_error("sns:Publish", topic.to_string(), e))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}
