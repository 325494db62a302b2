//! Publishes the report's SNS message to the findings topic. The report has already
//! been logged in full, so a failure here loses nothing; it fails the invocation.

use crate::arn::TopicArn;
use crate::collect::{read_error, Clients};
use crate::report::SnsMessage;
use crate::state::ReadError;
use aws_sdk_sns::types::MessageAttributeValue;

pub async fn publish(clients: &Clients, topic: &TopicArn, message: &SnsMessage) -> Result<String, ReadError> {
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
            .map_err(|e| ReadError {
                operation: "sns:Publish".into(),
                resource: topic.to_string(),
                message: e.to_string(),
                retryable: false,
            })?;
        request = request.message_attributes(name, attribute);
    }
    let out = request
        .send()
        .await
        .map_err(|e| read_error("sns:Publish", topic.to_string(), e))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}
