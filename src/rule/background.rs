//! The background: CloudTrail records every active account writes to its trail's log
//! group in every period, whatever else happens. A metric filter that matches one of
//! them publishes in quiet periods too, so an alarm on its metric either rests in ALARM
//! or cannot be shown to react to one IAM policy change.
//!
//! Records follow the CloudTrail record contents reference and the examples of the
//! services' user guides ("Logging AWS STS API calls with CloudTrail", "Logging AWS KMS
//! API calls with AWS CloudTrail", "Logging Amazon EC2 API calls with AWS CloudTrail",
//! "AWS Config and CloudTrail": the Config service role's IAM reads): AWS services
//! assuming roles, `kms:Decrypt` by a service, EC2 `Describe*` by a console session,
//! and IAM reads by AWS Config. Compact JSON, members in CloudTrail's order.

use std::sync::OnceLock;

use serde_json::Value;

/// (what the record is, the record as CloudTrail delivers it to CloudWatch Logs).
const RECORDS: [(&str, &str); 5] = [
    (
        "sts:AssumeRole by lambda.amazonaws.com",
        r#"{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},"eventTime":"2026-11-30T10:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"lambda.amazonaws.com","userAgent":"lambda.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/service-role/orders-api-role","roleSessionName":"orders-api"},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLEBACKGRND1","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLE","expiration":"Nov 30, 2026, 10:15:01 PM"}},"requestID":"0b7a1c9e-2f3d-4e5a-8b6c-7d8e9f0a1b2c","eventID":"5d2c8a7e-1b3f-4c6d-9e8f-0a1b2c3d4e5f","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/service-role/orders-api-role"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"7e6d5c4b-3a2f-4e1d-8c9b-0a1f2e3d4c5b","eventCategory":"Management"}"#,
    ),
    (
        "kms:Decrypt by secretsmanager.amazonaws.com",
        r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEORDERSAPI:orders-api","arn":"arn:aws:sts::111122223333:assumed-role/orders-api-role/orders-api","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEBACKGRND1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEORDERSAPI","arn":"arn:aws:iam::111122223333:role/service-role/orders-api-role","accountId":"111122223333","userName":"orders-api-role"},"attributes":{"creationDate":"2026-11-30T10:00:01Z","mfaAuthenticated":"false"}},"invokedBy":"secretsmanager.amazonaws.com"},"eventTime":"2026-11-30T10:00:02Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"secretsmanager.amazonaws.com","userAgent":"secretsmanager.amazonaws.com","requestParameters":{"encryptionContext":{"SecretARN":"arn:aws:secretsmanager:us-east-1:111122223333:secret:orders-db-AbCdEf"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"requestID":"1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f","eventID":"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "ec2:DescribeInstances from the console",
        r#"{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEOPERATOR:alice","arn":"arn:aws:sts::111122223333:assumed-role/Operator/alice","accountId":"111122223333","accessKeyId":"ASIAEXAMPLECONSOLE01","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEOPERATOR","arn":"arn:aws:iam::111122223333:role/Operator","accountId":"111122223333","userName":"Operator"},"attributes":{"creationDate":"2026-11-30T09:12:44Z","mfaAuthenticated":"true"}}},"eventTime":"2026-11-30T10:00:03Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.23","userAgent":"AWS Internal","requestParameters":{"instancesSet":{},"filterSet":{},"maxResults":1000},"responseElements":null,"requestID":"3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a","eventID":"4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.eu-west-1.amazonaws.com"},"sessionCredentialFromConsole":"true"}"#,
    ),
    (
        "iam:GetRolePolicy by AWS Config",
        r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLECONFIGRL:AWSConfig-Describe","arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe","accountId":"111122223333","accessKeyId":"ASIAEXAMPLECONFIG001","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLECONFIGRL","arn":"arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig","accountId":"111122223333","userName":"AWSServiceRoleForConfig"},"attributes":{"creationDate":"2026-11-30T09:58:10Z","mfaAuthenticated":"false"}},"invokedBy":"config.amazonaws.com"},"eventTime":"2026-11-30T10:00:04Z","eventSource":"iam.amazonaws.com","eventName":"GetRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"config.amazonaws.com","userAgent":"config.amazonaws.com","requestParameters":{"roleName":"orders-api-role","policyName":"orders-api-inline"},"responseElements":null,"requestID":"5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c","eventID":"6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
    (
        "iam:ListAttachedRolePolicies by AWS Config",
        r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLECONFIGRL:AWSConfig-Describe","arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe","accountId":"111122223333","accessKeyId":"ASIAEXAMPLECONFIG001","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLECONFIGRL","arn":"arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig","accountId":"111122223333","userName":"AWSServiceRoleForConfig"},"attributes":{"creationDate":"2026-11-30T09:58:10Z","mfaAuthenticated":"false"}},"invokedBy":"config.amazonaws.com"},"eventTime":"2026-11-30T10:00:05Z","eventSource":"iam.amazonaws.com","eventName":"ListAttachedRolePolicies","awsRegion":"us-east-1","sourceIPAddress":"config.amazonaws.com","userAgent":"config.amazonaws.com","requestParameters":{"roleName":"orders-api-role"},"responseElements":null,"requestID":"7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e","eventID":"8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    ),
];

/// The background records, parsed once: (what each is, its text, its value).
pub(super) fn background() -> &'static [(&'static str, &'static str, Value)] {
    static PARSED: OnceLock<Vec<(&'static str, &'static str, Value)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        RECORDS
            .iter()
            .map(|(what, text)| {
                (
                    *what,
                    *text,
                    serde_json::from_str(text).expect("background records are JSON"),
                )
            })
            .collect()
    })
}

/// Of the background, the ones every account writes all the time (a filter matching
/// one rests in ALARM): all but the IAM reads, which are routine only where AWS Config
/// records IAM resources.
pub(super) fn is_ubiquitous(what: &str) -> bool {
    !what.starts_with("iam:")
}
