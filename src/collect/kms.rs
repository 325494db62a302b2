//! KMS adapter: who manages the key of an encrypted topic, and its key policy.

use aws_sdk_kms::Client;

use super::read_error;
use crate::state::{Key, Read};

pub async fn read_key(kms: &Client, key_id: &str) -> Read<Key> {
    let described = kms
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| read_error("kms:DescribeKey", key_id, e))?;
    let meta = described.key_metadata();
    let arn = meta.and_then(|m| m.arn()).unwrap_or(key_id).to_string();
    let manager = meta
        .and_then(|m| m.key_manager())
        .map_or("CUSTOMER", |m| m.as_str())
        .to_string();
    // Aliases resolve only through DescribeKey; GetKeyPolicy needs the key itself.
    let policy = kms
        .get_key_policy()
        .key_id(&arn)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| read_error("kms:GetKeyPolicy", &arn, e))
        .map(|out| out.policy().unwrap_or_default().to_string());
    Ok(Key {
        enabled: meta.is_some_and(|m| m.enabled()),
        arn,
        manager,
        policy,
    })
}
