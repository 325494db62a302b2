"""Seeds the emulated account for the demo: the management account of an organization
with two member accounts; a logging multi-region organization trail delivering to a
CloudWatch Logs log group, with no metric filter and no alarm (what the rule's
remediation is for); an alarm topic with a confirmed (SQS) subscriber; a findings
topic with an SQS inbox the demo reads the published findings from."""
import os
import urllib.request

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
region = os.environ.get("AWS_REGION", "us-east-1")
session = boto3.Session(region_name=region)
client = lambda name: session.client(name, endpoint_url=endpoint)
account = client("sts").get_caller_identity()["Account"]

# The organization first: an organization trail needs one.
organizations = client("organizations")
organizations.create_organization(FeatureSet="ALL")
for name in ("workloads", "sandbox"):
    organizations.create_account(AccountName=name, Email=f"{name}@example.com")

log_group = "CloudTrail/DefaultLogGroup"
client("logs").create_log_group(logGroupName=log_group)
bucket = f"cloudtrail-{account}"
urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{bucket}", method="PUT"))
cloudtrail = client("cloudtrail")
cloudtrail.create_trail(
    Name="management-events",
    S3BucketName=bucket,
    IsMultiRegionTrail=True,
    IsOrganizationTrail=True,
    CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{account}:log-group:{log_group}:*",
    CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/CloudTrailToCloudWatchLogs",
)
cloudtrail.start_logging(Name="management-events")

sns, sqs = client("sns"), client("sqs")


def topic_with_queue(topic_name, queue_name):
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


alarm_topic, _ = topic_with_queue("iam-policy-alarm-alarms", "security-team-pager")
findings_topic, findings_queue = topic_with_queue("iam-policy-alarm-findings", "findings-inbox")
print(f"ALARM_TOPIC_ARN={alarm_topic}")
print(f"FINDINGS_TOPIC_ARN={findings_topic}")
print(f"FINDINGS_QUEUE_URL={findings_queue}")
