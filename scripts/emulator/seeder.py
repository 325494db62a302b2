"""Seeds a chain on the emulator through boto3 (the project venv's), one way for the
demo, the benches and make invoke. The rule's events, canonical pattern and wanted
filter and alarm come from the binary (`iam-policy-alarm rule`), never retyped here.

    seeder = Seeder(endpoint)
    seeder.chain(pattern=..., threshold=..., subscribe=...)   # trail -> ... -> subscriber
    seeder.remediable()                                       # trail and log group only
"""
from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = "us-east-1"
LOG_GROUP = "CloudTrail/DefaultLogGroup"


def binary() -> str:
    """The function's binary: IAM_POLICY_ALARM_BIN, else the debug build."""
    return os.environ.get("IAM_POLICY_ALARM_BIN") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "debug", "iam-policy-alarm"
    )


_RULE: dict | None = None


def rule(bin_path: str | None = None) -> dict:
    """The rule as the binary describes it: events, canonical_pattern, filter_name,
    alarm_name, metric_namespace, metric_name, filter, alarm, controls."""
    global _RULE
    if _RULE is None:
        path = bin_path or binary()
        if not os.path.exists(path):
            raise RuntimeError(f"{path} not found: build the function first (cargo build), or set IAM_POLICY_ALARM_BIN")
        _RULE = json.loads(subprocess.run([path, "rule"], check=True, capture_output=True).stdout)
    return _RULE


class Seeder:
    def __init__(self, endpoint: str, region: str = REGION):
        self.endpoint = endpoint
        self.region = region
        self.session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        self.config = Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=32)
        self._account: str | None = None

    def client(self, service: str, region: str | None = None):
        return self.session.client(service, region_name=region or self.region, endpoint_url=self.endpoint,
                                   config=self.config)

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")).read()
        self._account = None

    def bucket(self, name: str):
        # moto accepts an unsigned path-style PUT; CloudTrail only checks that it exists.
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")).read()

    def group_arn(self, region: str, name: str) -> str:
        return f"arn:aws:logs:{region}:{self.account}:log-group:{name}:*"

    def organization(self, members: tuple[str, ...] = ("workloads", "sandbox")):
        """This account as the management account of an organization with `members`."""
        organizations = self.client("organizations")
        organizations.create_organization(FeatureSet="ALL")
        for name in members:
            organizations.create_account(AccountName=name, Email=f"{name}@example.com")

    def trail(self, region: str, name: str, group_arn: str | None, multi_region=True, logging=True,
              organization=False):
        bucket = f"trail-{self.account}-{name.lower()}"
        self.bucket(bucket)
        kwargs = {"Name": name, "S3BucketName": bucket, "IsMultiRegionTrail": multi_region}
        if organization:
            kwargs["IsOrganizationTrail"] = True
        if group_arn:
            kwargs["CloudWatchLogsLogGroupArn"] = group_arn
            kwargs["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{self.account}:role/CloudTrailToCloudWatch"
        ct = self.client("cloudtrail", region)
        ct.create_trail(**kwargs)
        if logging:
            ct.start_logging(Name=name)

    def topic_with_subscriber(self, region: str, name: str, subscribe=True, queue: str | None = None) -> tuple[str, str | None]:
        """A topic and, unless `subscribe` is false, a confirmed SQS subscriber (the
        queue's URL is returned with the topic's ARN)."""
        sns = self.client("sns", region)
        topic = sns.create_topic(Name=name)["TopicArn"]
        url = None
        if subscribe:
            sqs = self.client("sqs", region)
            url = sqs.create_queue(QueueName=queue or f"{name}-inbox")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        return topic, url

    def alarm(self, cw, name, namespace, metric, topic, threshold=None, actions_enabled=True):
        wanted = rule()["alarm"]
        cw.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName=metric,
            Statistic=wanted["statistic"],
            Period=wanted["period"],
            EvaluationPeriods=wanted["evaluation_periods"],
            Threshold=wanted["threshold"] if threshold is None else threshold,
            ComparisonOperator=wanted["comparison_operator"],
            TreatMissingData=wanted["treat_missing_data"],
            ActionsEnabled=actions_enabled,
            AlarmActions=[topic],
        )

    def metric_filter(self, logs, group: str, name: str, pattern: str, namespace: str, metric: str):
        logs.put_metric_filter(
            logGroupName=group,
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": metric, "metricNamespace": namespace, "metricValue": rule()["filter"]["metric_value"]}
            ],
        )

    def remediable(self, organization_trail=False) -> dict:
        """A logging multi-region trail -> log group CloudTrail/DefaultLogGroup, no
        filter and no alarm (what remediation builds on), and a topic with a subscriber
        for ALARM_TOPIC_ARN."""
        self.client("logs").create_log_group(logGroupName=LOG_GROUP)
        self.trail(self.region, "main-trail", self.group_arn(self.region, LOG_GROUP), organization=organization_trail)
        topic, _ = self.topic_with_subscriber(self.region, "iam-alarms")
        return {"alarm_topic": topic}

    def chain(self, pattern: str | None = None, threshold: float | None = None, actions_enabled=True,
              subscribe=True) -> dict:
        """The whole chain remediation would build: the trail and log group of
        remediable(), the rule's filter (or `pattern`) and alarm, the topic with a
        confirmed subscriber. Each argument changes one link."""
        r = rule()
        self.client("logs").create_log_group(logGroupName=LOG_GROUP)
        self.trail(self.region, "main-trail", self.group_arn(self.region, LOG_GROUP))
        self.metric_filter(self.client("logs"), LOG_GROUP, r["filter_name"], pattern or r["canonical_pattern"],
                           r["metric_namespace"], r["metric_name"])
        topic, _ = self.topic_with_subscriber(self.region, "iam-alarms", subscribe=subscribe)
        self.alarm(self.client("cloudwatch"), r["alarm_name"], r["metric_namespace"], r["metric_name"], topic,
                   threshold=threshold, actions_enabled=actions_enabled)
        return {"topic": topic}
