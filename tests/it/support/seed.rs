//! Seeds an emulated account with each piece of the chain, through the real SDK.

use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use iam_policy_alarm::rule::{self, WANTED_ALARM};

use super::{http, moto, Account};

/// The pattern remediation writes and the seeded chain uses: the rule's own.
/// The mission's rule's canonical pattern.
pub fn cis_pattern() -> &'static str {
    rule::default_rule().canonical_pattern.as_str()
}

pub const LOG_GROUP: &str = "CloudTrail/DefaultLogGroup";

/// How each link of the chain is seeded; `Chain::default()` is the compliant account.
#[derive(Clone)]
pub struct Chain {
    pub trail_region: &'static str,
    pub log_group_region: &'static str,
    pub multi_region: bool,
    pub logging: bool,
    pub trail_delivers: bool,
    pub create_log_group: bool,
    pub selectors: Option<ReadWriteType>,
    pub filter_pattern: Option<&'static str>,
    pub alarm_namespace: Option<&'static str>,
    pub alarm_actions_enabled: bool,
    pub subscribe: bool,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            trail_region: "us-east-1",
            log_group_region: "us-east-1",
            multi_region: true,
            logging: true,
            trail_delivers: true,
            create_log_group: true,
            selectors: None,
            filter_pattern: Some(cis_pattern()),
            alarm_namespace: Some(rule::default_rule().filter.metric_namespace.as_str()),
            alarm_actions_enabled: true,
            subscribe: true,
        }
    }
}

impl Chain {
    /// A logging trail delivering to its log group, with no metric filter and no alarm:
    /// what remediation is for (bench/seed.py's `remediable()`).
    pub fn remediable() -> Chain {
        Chain {
            filter_pattern: None,
            alarm_namespace: None,
            ..Chain::default()
        }
    }
}

pub struct Seeded {
    pub log_group_arn: String,
    pub topic_arn: String,
    pub queue_url: Option<String>,
}

impl Account {
    pub fn log_group_arn(&self, region: &str, name: &str) -> String {
        format!("arn:aws:logs:{region}:{}:log-group:{name}:*", self.id)
    }

    pub async fn seed(&self, chain: &Chain) -> Seeded {
        let log_group_arn = self.log_group_arn(chain.log_group_region, LOG_GROUP);
        if chain.create_log_group {
            self.log_group(chain.log_group_region, LOG_GROUP).await;
        }
        self.trail(
            chain.trail_region,
            "main-trail",
            chain.multi_region,
            chain.trail_delivers.then_some(log_group_arn.as_str()),
            chain.logging,
            chain.selectors.clone(),
        )
        .await;
        if let Some(pattern) = chain.filter_pattern {
            self.metric_filter(
                chain.log_group_region,
                LOG_GROUP,
                rule::default_rule().filter.name.as_str(),
                pattern,
                rule::default_rule().filter.metric_namespace.as_str(),
                rule::default_rule().filter.metric_name.as_str(),
            )
            .await;
        }
        let topic_arn = self.topic(chain.log_group_region, "iam-alarms").await;
        if let Some(namespace) = chain.alarm_namespace {
            self.alarm(
                chain.log_group_region,
                rule::default_rule().alarm.name.as_str(),
                namespace,
                rule::default_rule().filter.metric_name.as_str(),
                chain.alarm_actions_enabled,
                &topic_arn,
            )
            .await;
        }
        let queue_url = if chain.subscribe {
            Some(self.sqs_subscriber(&topic_arn, "iam-alarm-inbox").await)
        } else {
            None
        };
        Seeded {
            log_group_arn,
            topic_arn,
            queue_url,
        }
    }

    pub async fn trail(
        &self,
        region: &str,
        name: &str,
        multi_region: bool,
        log_group_arn: Option<&str>,
        logging: bool,
        selectors: Option<ReadWriteType>,
    ) {
        let bucket = format!("trail-{}-{name}", self.id);
        // moto accepts an unsigned path-style PUT; CloudTrail only checks the bucket exists.
        http(moto().port, "PUT", &format!("/{bucket}"), "").expect("create bucket");
        let cloudtrail = aws_sdk_cloudtrail::Client::new(&self.region(region));
        let mut request = cloudtrail
            .create_trail()
            .name(name)
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(multi_region);
        if let Some(arn) = log_group_arn {
            request = request
                .cloud_watch_logs_log_group_arn(arn)
                .cloud_watch_logs_role_arn(format!("arn:aws:iam::{}:role/CloudTrailToCloudWatch", self.id));
        }
        request.send().await.expect("create trail");
        if logging {
            cloudtrail
                .start_logging()
                .name(name)
                .send()
                .await
                .expect("start logging");
        }
        if let Some(read_write) = selectors {
            cloudtrail
                .put_event_selectors()
                .trail_name(name)
                .event_selectors(
                    EventSelector::builder()
                        .read_write_type(read_write)
                        .include_management_events(true)
                        .build(),
                )
                .send()
                .await
                .expect("put event selectors");
        }
    }

    pub async fn log_group(&self, region: &str, name: &str) {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.region(region));
        logs.create_log_group()
            .log_group_name(name)
            .send()
            .await
            .expect("create log group");
    }

    pub async fn metric_filter(
        &self,
        region: &str,
        group: &str,
        name: &str,
        pattern: &str,
        namespace: &str,
        metric: &str,
    ) {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.region(region));
        put_metric_filter(&logs, group, name, pattern, namespace, metric)
            .await
            .expect("put metric filter");
    }

    pub async fn topic(&self, region: &str, name: &str) -> String {
        let sns = aws_sdk_sns::Client::new(&self.region(region));
        let out = sns.create_topic().name(name).send().await.expect("create topic");
        out.topic_arn().unwrap().to_string()
    }

    pub async fn alarm(
        &self,
        region: &str,
        name: &str,
        namespace: &str,
        metric: &str,
        actions_enabled: bool,
        topic_arn: &str,
    ) {
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.region(region));
        cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .namespace(namespace)
            .metric_name(metric)
            .statistic(Statistic::from(WANTED_ALARM.statistic))
            .period(WANTED_ALARM.period)
            .evaluation_periods(WANTED_ALARM.evaluation_periods)
            .threshold(WANTED_ALARM.threshold)
            .comparison_operator(ComparisonOperator::from(WANTED_ALARM.comparison_operator))
            .treat_missing_data(WANTED_ALARM.treat_missing_data)
            .actions_enabled(actions_enabled)
            .alarm_actions(topic_arn)
            .send()
            .await
            .expect("put metric alarm");
    }

    /// An SQS queue subscribed to `topic_arn`: a confirmed subscriber whose inbox the
    /// test can read.
    pub async fn sqs_subscriber(&self, topic_arn: &str, queue: &str) -> String {
        let region = topic_arn.split(':').nth(3).unwrap();
        let sqs = aws_sdk_sqs::Client::new(&self.region(region));
        let url = sqs
            .create_queue()
            .queue_name(queue)
            .send()
            .await
            .expect("create queue")
            .queue_url
            .unwrap();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue arn");
        let queue_arn = attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
        let sns = aws_sdk_sns::Client::new(&self.region(region));
        sns.subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("subscribe");
        url
    }

    /// Every SNS notification waiting in the queue, as the SNS envelope JSON.
    pub async fn received(&self, region: &str, queue_url: &str) -> Vec<Value> {
        let sqs = aws_sdk_sqs::Client::new(&self.region(region));
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        out.messages()
            .iter()
            .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
            .collect()
    }
}

impl Account {
    /// Everything remediation could touch, in `regions`, as comparable JSON: log groups
    /// with their streams and metric filters, alarms with their tags, topics with their
    /// subscriptions, trails.
    pub async fn snapshot(&self, regions: &[&str]) -> Value {
        let mut all = serde_json::Map::new();
        for region in regions {
            let config = self.region(region);
            let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
            let mut groups = Vec::new();
            for group in logs.describe_log_groups().send().await.unwrap().log_groups() {
                let name = group.log_group_name().unwrap();
                let filters = logs
                    .describe_metric_filters()
                    .log_group_name(name)
                    .send()
                    .await
                    .unwrap();
                let streams = logs.describe_log_streams().log_group_name(name).send().await.unwrap();
                groups.push(serde_json::json!({
                    "name": name,
                    "filters": format!("{:?}", filters.metric_filters()),
                    "streams": streams.log_streams().iter().map(|s| s.log_stream_name().unwrap_or_default().to_string()).collect::<Vec<_>>(),
                }));
            }
            let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
            let mut alarms = Vec::new();
            for alarm in cloudwatch.describe_alarms().send().await.unwrap().metric_alarms() {
                let tags = cloudwatch
                    .list_tags_for_resource()
                    .resource_arn(alarm.alarm_arn().unwrap())
                    .send()
                    .await
                    .unwrap();
                let mut alarm = alarm.clone();
                // State fields move on their own; the configuration is what must not.
                alarm.state_updated_timestamp = None;
                alarm.state_transitioned_timestamp = None;
                alarm.state_reason = None;
                alarm.state_reason_data = None;
                alarm.state_value = None;
                alarms.push(format!("{alarm:?} {:?}", tags.tags()));
            }
            let sns = aws_sdk_sns::Client::new(&config);
            let topics = format!(
                "{:?} {:?}",
                sns.list_topics().send().await.unwrap().topics(),
                sns.list_subscriptions().send().await.unwrap().subscriptions()
            );
            let cloudtrail = aws_sdk_cloudtrail::Client::new(&config);
            let trails = format!("{:?}", cloudtrail.describe_trails().send().await.unwrap().trail_list());
            all.insert(
                region.to_string(),
                serde_json::json!({"log_groups": groups, "alarms": alarms, "topics": topics, "trails": trails}),
            );
        }
        Value::Object(all)
    }

    pub async fn filters_named(&self, region: &str, group: &str, name: &str) -> usize {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.region(region));
        let out = logs
            .describe_metric_filters()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
        out.metric_filters()
            .iter()
            .filter(|f| f.filter_name() == Some(name))
            .count()
    }

    pub async fn alarms_named(&self, region: &str, name: &str) -> usize {
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.region(region));
        let out = cloudwatch.describe_alarms().alarm_names(name).send().await.unwrap();
        out.metric_alarms().len()
    }
}

/// PutMetricFilter with value 1; the error as text, for tests that expect refusals.
pub async fn put_metric_filter(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    name: &str,
    pattern: &str,
    namespace: &str,
    metric: &str,
) -> Result<(), String> {
    logs.put_metric_filter()
        .log_group_name(group)
        .filter_name(name)
        .filter_pattern(pattern)
        .metric_transformations(
            MetricTransformation::builder()
                .metric_name(metric)
                .metric_namespace(namespace)
                .metric_value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

/// Encrypts `topic_arn` with a new customer-managed KMS key (through an alias) whose
/// policy lets CloudWatch use it, so the audit also reads the key (kms:DescribeKey,
/// kms:GetKeyPolicy) and the chain still passes.
pub async fn encrypt_topic(account: &Account, region: &str, topic_arn: &str) -> String {
    let config = account.region(region);
    let kms = aws_sdk_kms::Client::new(&config);
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", account.id)}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}
        ]
    });
    let key = kms
        .create_key()
        .policy(policy.to_string())
        .description("iam-alarms topic key")
        .send()
        .await
        .expect("create key");
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    kms.create_alias()
        .alias_name("alias/iam-alarms")
        .target_key_id(&key_id)
        .send()
        .await
        .expect("create alias");
    aws_sdk_sns::Client::new(&config)
        .set_topic_attributes()
        .topic_arn(topic_arn)
        .attribute_name("KmsMasterKeyId")
        .attribute_value("alias/iam-alarms")
        .send()
        .await
        .expect("encrypt topic");
    key_id
}
