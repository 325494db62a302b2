//! Clients, built once from one SdkConfig: the function's region for STS and trails,
//! and one set per region that a log group, alarm or topic lives in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The SDK's standard retry mode, bounded, with timeouts well below the function's.
/// Worst case per call: `operation_timeout`. Dependent phases run one after another,
/// the reads inside a phase concurrently, so a run ends within phases x
/// operation_timeout even when every call hangs: audit 7 x 20 s = 140 s, remediation
/// 19 x 20 s = 380 s. template.yaml's Timeout defaults to 600 s and may not go below
/// 150 s (audit only); tests/faults.rs checks both against these figures.
pub struct RetryBudget {
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub connect_timeout: Duration,
}

/// (STS || DescribeTrails), (trail status and selectors || metric filters),
/// DescribeAlarmsForMetric, (topic attributes || subscriptions), DescribeKey,
/// GetKeyPolicy, Publish. The bound of the longest path: GetKeyPolicy runs beside
/// DescribeKey unless the key is named by alias, and DescribeLogGroups follows the
/// filters only for a group that has none, whose path then ends there.
pub const AUDIT_PHASES: u32 = 7;

/// The audit's six reads (the configured alarm's lookup and its tags run beside them),
/// the lease (DescribeLogStreams, CreateLogStream), DescribeMetricFilters,
/// PutMetricFilter, the lease's release (CreateLogStream), PutMetricAlarm, the
/// re-audit's six reads, Publish.
pub const REMEDIATION_PHASES: u32 = 19;

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
    regional: Mutex<HashMap<String, Regional>>,
}

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
