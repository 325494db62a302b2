//! Clients, built once from one SdkConfig: the function's region for STS and trails,
//! and one set per region that a log group, alarm or topic lives in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::{aws_error, AwsError};

/// The SDK's standard retry mode, bounded, with timeouts well below the function's.
/// Worst case per call: `operation_timeout`. Dependent calls run one after another, the
/// reads of one phase concurrently, so a run ends within (its longest chain of
/// dependent calls) x operation_timeout even when every call hangs. The chains are
/// measured on real runs (tests/it/faults.rs,
/// the_function_timeout_covers_the_measured_chains_of_dependent_calls): 7 for an audit,
/// 19 for a remediation with one target log group; template.yaml's Timeout is checked
/// against them there.
pub struct RetryBudget {
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub connect_timeout: Duration,
}

pub const RETRY_BUDGET: RetryBudget = RetryBudget {
    max_attempts: 4,
    attempt_timeout: Duration::from_secs(5),
    operation_timeout: Duration::from_secs(20),
    connect_timeout: Duration::from_secs(3),
};

pub async fn load_sdk_config() -> SdkConfig {
    let b = &RETRY_BUDGET;
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(b.max_attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(b.connect_timeout)
                .operation_attempt_timeout(b.attempt_timeout)
                .operation_timeout(b.operation_timeout)
                .build(),
        )
        .load()
        .await
}

#[derive(Clone)]
pub struct Regional {
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
}

pub struct Clients {
    config: SdkConfig,
    home_region: String,
    sts: aws_sdk_sts::Client,
    organizations: aws_sdk_organizations::Client,
    regional: Mutex<HashMap<String, Regional>>,
}

/// The longest chain of dependent reads an audit of one account can make; with the
/// operation timeout, the most one account's audit can take when every call hangs.
/// Eight are measured on the emulator by tests/it/faults.rs (which asserts this sum):
/// the identity or the trails; trail status, selectors or the log group's filters; the
/// alarms on the filter's metric; the region's metric math alarms (none on the metric
/// fires); the composite alarms over one that fires without a topic; the topic, its
/// subscriptions or the region's mute rules; the key or the first subscription's
/// attributes; the key policy or the other subscriptions'. Two more are
/// [`READS_THE_EMULATOR_CANNOT_SHOW`].
pub const AUDIT_CHAIN_CALLS: u32 = 10;

/// Dependent reads the emulator has no model for, each after the read that names what
/// it reads (proven with aws-smithy-mocks): a filter on transformed logs' transformer
/// after the filters (`collect::logs` tests), a live mute rule's schedule after the
/// region's list (`collect::cloudwatch` tests).
pub const READS_THE_EMULATOR_CANNOT_SHOW: [&str; 2] = ["logs:GetTransformer", "cloudwatch:GetAlarmMuteRule"];

/// After the audit, the report's delivery, one call after another: the publish, then
/// Security Hub's read of the finding's first import and the import, then, when that
/// read found a finding set aside, its own message (measured there too). In an
/// organization, each member's import follows its AssumeRole: one more.
pub const DELIVERY_CHAIN_CALLS: u32 = 4;

/// Before the delivery of a run the schedule or a tamper event started (NOTIFY=on-change):
/// the notification memory's read, cut at this whatever the call does (a memory not
/// read in time counts every status as news). Its write runs beside the Security Hub
/// import, so it adds no step.
pub const RECALL_BUDGET: Duration = Duration::from_secs(5);

/// Remediation's own steps with one target log group, between its audit and the audit
/// after (measured there too): the log group, the alarm of the configured name and its
/// tags, the lease (look, claim, look again), the filters again, the filter, the
/// lease's release, the alarm.
pub const APPLY_CHAIN_CALLS: u32 = 10;

/// A remediation's longest: an audit, the writes, the audit after.
pub const REMEDIATION_CHAIN_CALLS: u32 = 2 * AUDIT_CHAIN_CALLS + APPLY_CHAIN_CALLS;

impl Clients {
    /// Fails when no region is configured: the audit must know where it stands.
    pub fn new(config: SdkConfig) -> Result<Self, String> {
        let home_region = config
            .region()
            .map(|r| r.to_string())
            .ok_or("no AWS region configured: set AWS_REGION (Lambda sets it)")?;
        super::error::remember_endpoint(config.endpoint_url());
        Ok(Clients {
            sts: aws_sdk_sts::Client::new(&config),
            organizations: aws_sdk_organizations::Client::new(&config),
            config,
            home_region,
            regional: Mutex::new(HashMap::new()),
        })
    }

    pub fn home_region(&self) -> &str {
        &self.home_region
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        self.sts.clone()
    }

    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        self.organizations.clone()
    }

    /// Security Hub of `region` (findings go to the function's region).
    pub fn securityhub(&self, region: &str) -> aws_sdk_securityhub::Client {
        aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(&self.config)
                .region(Region::new(region.to_string()))
                .build(),
        )
    }

    /// Clients for another account, through a role there: one AssumeRole, whose
    /// credentials (an hour) serve the whole run; the same region, endpoint and budget.
    pub async fn assume(&self, role_arn: &str, external_id: Option<&str>) -> Result<Clients, AwsError> {
        let mut request = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("iam-policy-alarm");
        if let Some(id) = external_id {
            request = request.external_id(id);
        }
        let out = request
            .send()
            .await
            .map_err(|e| aws_error("sts:AssumeRole", role_arn, e))?;
        let c = out
            .credentials()
            .ok_or_else(|| AwsError::invalid_request("sts:AssumeRole", role_arn, "the answer holds no credentials"))?;
        let credentials = aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            std::time::SystemTime::try_from(*c.expiration()).ok(),
            "iam-policy-alarm member role",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                credentials,
            ))
            .build();
        Clients::new(config).map_err(|e| AwsError::invalid_request("sts:AssumeRole", role_arn, e))
    }

    pub fn regional(&self, region: &str) -> Regional {
        let mut cache = self.regional.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(region.to_string())
            .or_insert_with(|| {
                let r = Region::new(region.to_string());
                let c = &self.config;
                Regional {
                    cloudtrail: aws_sdk_cloudtrail::Client::from_conf(
                        aws_sdk_cloudtrail::config::Builder::from(c).region(r.clone()).build(),
                    ),
                    logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                        aws_sdk_cloudwatchlogs::config::Builder::from(c)
                            .region(r.clone())
                            .build(),
                    ),
                    cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                        aws_sdk_cloudwatch::config::Builder::from(c).region(r.clone()).build(),
                    ),
                    sns: aws_sdk_sns::Client::from_conf(
                        aws_sdk_sns::config::Builder::from(c).region(r.clone()).build(),
                    ),
                    kms: aws_sdk_kms::Client::from_conf(aws_sdk_kms::config::Builder::from(c).region(r).build()),
                }
            })
            .clone()
    }
}
