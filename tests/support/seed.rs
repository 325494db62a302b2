//! Seeds an emulated account with each piece of the chain, through the real SDK.

use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use super::{http, moto, Account};

pub const CIS_PATTERN: &str = "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }";

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
            filter_pattern: Some(CIS_PATTERN),
            alarm_namespace: Some("CloudTrailMetrics"),
            alarm_actions_enabled: true,
            subscribe: true,
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
            self.metric_filter(chain.log_group_region, LOG_GROUP, "IAMAuthConfigChanges", pattern, "CloudTrailMetrics", "IAMPolicyEventCount")
                .await;
        }
        let topic_arn = self.topic(chain.log_group_region, "iam-alarms").await;
        if let Some(namespace) = chain.alarm_namespace {
            self.alarm(chain.log_group_region, "IAMAuthorizationActivityAlarm", namespace, "IAMPolicyEventCount", chain.alarm_actions_enabled, &topic_arn)
                .await;
        }
        let queue_url = if chain.subscribe {
            Some(self.sqs_subscriber(&topic_arn, "iam-alarm-inbox").await)
        } else {
            None
        };
        Seeded { log_group_arn, topic_arn, queue_url }
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
            cloudtrail.start_logging().name(name).send().await.expect("start logging");
        }
        if let Some(read_write) = selectors {
            cloudtrail
                .put_event_selectors()
                .trail_name(name)
                .event_selectors(EventSelector::builder().read_write_type(read_write).include_management_events(true).build())
                .send()
                .await
                .expect("put event selectors");
        }
    }

    pub async fn log_group(&self, region: &str, name: &str) {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.region(region));
        logs.create_log_group().log_group_name(name).send().await.expect("create log group");
    }

    pub async fn metric_filter(&self, region: &str, group: &str, name: &str, pattern: &str, namespace: &str, metric: &str) {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.region(region));
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
            .expect("put metric filter");
    }

    pub async fn topic(&self, region: &str, name: &str) -> String {
        let sns = aws_sdk_sns::Client::new(&self.region(region));
        let out = sns.create_topic().name(name).send().await.expect("create topic");
        out.topic_arn().unwrap().to_string()
    }

    pub async fn alarm(&self, region: &str, name: &str, namespace: &str, metric: &str, actions_enabled: bool, topic_arn: &str) {
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.region(region));
        cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .namespace(namespace)
            .metric_name(metric)
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .treat_missing_data("notBreaching")
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
        let url = sqs.create_queue().queue_name(queue).send().await.expect("create queue").queue_url.unwrap();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue arn");
        let queue_arn = attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
        let sns = aws_sdk_sns::Client::new(&self.region(region));
        sns.subscribe().topic_arn(topic_arn).protocol("sqs").endpoint(queue_arn).send().await.expect("subscribe");
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
        out.messages().iter().map(|m| serde_json::from_str(m.body().unwrap()).unwrap()).collect()
    }
}
