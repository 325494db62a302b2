//! KMS adapter: who manages the key of an encrypted topic, and its key policy.

use aws_sdk_kms::Client;

use crate::aws::aws_error;
use crate::state::{Key, Read};

pub async fn read_key(kms: &Client, key_id: &str) -> Read<Key> {
    // GetKeyPolicy takes a key id or key ARN, not an alias: only an alias waits for
    // DescribeKey to resolve it; otherwise both run at once, one round trip fewer.
    let (described, policy) = if names_an_alias(key_id) {
        (describe(kms, key_id).await, None)
    } else {
        let (described, policy) = tokio::join!(describe(kms, key_id), key_policy(kms, key_id));
        (described, Some(policy))
    };
    let described = described?;
    let meta = described.key_metadata();
    let arn = meta.and_then(|m| m.arn()).unwrap_or(key_id).to_string();
    let manager = meta
        .and_then(|m| m.key_manager())
        .map_or("CUSTOMER", |m| m.as_str())
        .to_string();
    let policy = match policy {
        Some(policy) => policy,
        None => key_policy(kms, &arn).await,
    };
    Ok(Key {
        enabled: meta.is_some_and(|m| m.enabled()),
        unusable: meta.and_then(unusable),
        arn,
        manager,
        policy,
    })
}

/// SNS encrypts with symmetric encryption keys only, and a key that is not Enabled
/// (unavailable custom key store, pending import or deletion) cannot be used.
fn unusable(meta: &aws_sdk_kms::types::KeyMetadata) -> Option<String> {
    let state = meta.key_state().map(|s| s.as_str()).filter(|s| *s != "Enabled");
    let usage = meta.key_usage().map(|u| u.as_str()).filter(|u| *u != "ENCRYPT_DECRYPT");
    let spec = meta
        .key_spec()
        .map(|s| s.as_str())
        .filter(|s| *s != "SYMMETRIC_DEFAULT");
    match (state, usage, spec) {
        (Some(state), _, _) => Some(format!("its state is {state}")),
        (_, Some(usage), _) => Some(format!("its usage is {usage}, not ENCRYPT_DECRYPT")),
        (_, _, Some(spec)) => Some(format!("it is a {spec} key, not a symmetric encryption key")),
        _ => None,
    }
}

/// `alias/name` or `arn:aws:kms:region:account:alias/name`.
fn names_an_alias(key_id: &str) -> bool {
    key_id.starts_with("alias/") || key_id.split(':').nth(5).is_some_and(|r| r.starts_with("alias/"))
}

async fn describe(kms: &Client, key_id: &str) -> Read<aws_sdk_kms::operation::describe_key::DescribeKeyOutput> {
    kms.describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| aws_error("kms:DescribeKey", key_id, e))
}

async fn key_policy(kms: &Client, key: &str) -> Read<String> {
    kms.get_key_policy()
        .key_id(key)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| aws_error("kms:GetKeyPolicy", key, e))
        .map(|out| out.policy().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
    use aws_sdk_kms::types::{KeyManagerType, KeyMetadata};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn rules() -> (aws_smithy_mocks::Rule, aws_smithy_mocks::Rule) {
        let describe = mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
                        .arn(ARN)
                        .enabled(true)
                        .key_manager(KeyManagerType::Customer)
                        .build()
                        .unwrap(),
                )
                .build()
        });
        let policy = mock!(aws_sdk_kms::Client::get_key_policy)
            .match_requests(|r| {
                matches!(r.key_id(), Some(ARN | "1234abcd-12ab-34cd-56ef-1234567890ab"))
                    && r.policy_name() == Some("default")
            })
            .then_output(|| GetKeyPolicyOutput::builder().policy("{}").build());
        (describe, policy)
    }

    #[tokio::test]
    async fn a_key_named_by_id_or_arn_and_one_named_by_alias_read_the_same() {
        for name in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            ARN,
            "alias/alarms",
            "arn:aws:kms:us-east-1:123456789012:alias/alarms",
        ] {
            let (describe, policy) = rules();
            let kms = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&describe, &policy]);
            let key = read_key(&kms, name).await.unwrap();
            assert_eq!(
                (key.arn.as_str(), key.manager.as_str(), key.enabled),
                (ARN, "CUSTOMER", true),
                "{name}"
            );
            assert_eq!(key.policy.as_deref(), Ok("{}"), "{name}");
            assert_eq!((describe.num_calls(), policy.num_calls()), (1, 1), "{name}");
        }
    }

    #[test]
    fn aliases_are_told_from_key_ids_and_arns() {
        assert!(names_an_alias("alias/alarms"));
        assert!(names_an_alias("arn:aws:kms:us-east-1:123456789012:alias/alarms"));
        assert!(!names_an_alias("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(!names_an_alias(ARN));
    }
}
