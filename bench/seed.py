"""Seeds the moto server for bench/run.py through boto3 (the project venv's), in the
emulator's default account (123456789012) with static fake credentials.

compliant(): the single-trail compliant account of tests/support/seed.rs
  (Chain::default): a logging multi-region trail -> log group
  CloudTrail/DefaultLogGroup -> the CIS filter -> an alarm -> an SNS topic with a
  confirmed (SQS) subscriber. `variant` changes one link, for the verdict table.
remediable(): the same trail and log group, no filter and no alarm, and a topic
  for ALARM_TOPIC_ARN: what `remediate` builds on.
Scale: 5 multi-region trails homed in 3 regions, each delivering to its own log
  group, 20 log groups in all; metric filters spread evenly over the 20 groups (one
  covering CIS filter on each trail's group, the rest unrelated); alarms: one on each
  covering metric, the rest on unrelated metrics. grow() adds what is missing, with a
  thread pool, so the sizes of the chart are seeded one on top of the other.
"""

from __future__ import annotations

import concurrent.futures
import os
import urllib.request

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"
EVENTS = [
    "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
    "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
    "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
    "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
]  # fmt: skip
CIS_PATTERN = "{ " + " || ".join(f"($.eventName = {e})" for e in EVENTS) + " }"
LOG_GROUP = "CloudTrail/DefaultLogGroup"
REGION = "us-east-1"

# Filter patterns on which the two tools' verdicts are compared (see VARIANTS).
AND_JOINED = "{ " + " && ".join(f"($.eventName = {e})" for e in EVENTS) + " }"
IAM_SCOPED = "{ ($.eventSource = iam.amazonaws.com) && (" + " || ".join(f"($.eventName = {e})" for e in EVENTS) + ") }"
WRONG_SOURCE = "{ ($.eventSource = s3.amazonaws.com) && (" + " || ".join(f"($.eventName = {e})" for e in EVENTS) + ") }"
REORDERED = "{ " + " || ".join(f"($.eventName = {e})" for e in sorted(EVENTS)) + " }"
QUOTED_NO_PARENS = "{ " + " || ".join(f'$.eventName = "{e}"' for e in EVENTS) + " }"
# CloudWatch Logs wildcards only work at the ends of a value ("Ev*ent" is literal).
WILDCARDS = "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = *Policy) || ($.eventName = *PolicyVersion)) }"
MISSING_ONE = "{ " + " || ".join(f"($.eventName = {e})" for e in EVENTS[:-1]) + " }"

# name -> (what differs, changes to compliant())
VARIANTS = {
    "cis": ("the CIS benchmark's filter pattern, alarm -> topic with a subscriber", {}),
    "reordered": ("the same 16 events in alphabetical order", {"pattern": REORDERED}),
    "quoted": ('values quoted, no parentheses: `$.eventName = "PutRolePolicy" || ...`', {"pattern": QUOTED_NO_PARENS}),
    "wildcards": ("a broader pattern that covers all 16: `$.eventName = *Policy || *PolicyVersion`, `&&` iam.amazonaws.com", {"pattern": WILDCARDS}),
    "iam_scoped": ("the 16 events `&&` `$.eventSource = iam.amazonaws.com`", {"pattern": IAM_SCOPED}),
    "and_joined": ("the 16 conditions joined with `&&` (matches no event)", {"pattern": AND_JOINED}),
    "wrong_source": ("the 16 events `&&` `$.eventSource = s3.amazonaws.com` (matches no IAM event)", {"pattern": WRONG_SOURCE}),
    "missing_one": ("15 of the 16 events (DetachGroupPolicy missing)", {"pattern": MISSING_ONE}),
    "threshold_5": ("alarm threshold 5: one policy change does not alarm", {"threshold": 5.0}),
    "actions_disabled": ("alarm actions disabled", {"actions_enabled": False}),
    "no_subscriber": ("the alarm's topic has no subscriber", {"subscribe": False}),
}


class Seeder:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.config = Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=32)

    def client(self, service: str, region: str = REGION):
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint, config=self.config)

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")).read()

    def bucket(self, name: str):
        # moto accepts an unsigned path-style PUT; CloudTrail only checks that it exists.
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")).read()

    def trail(self, region: str, name: str, group_arn: str | None, multi_region=True, logging=True):
        self.bucket(f"trail-{ACCOUNT}-{name.lower()}")
        kwargs = {"Name": name, "S3BucketName": f"trail-{ACCOUNT}-{name.lower()}", "IsMultiRegionTrail": multi_region}
        if group_arn:
            kwargs["CloudWatchLogsLogGroupArn"] = group_arn
            kwargs["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/CloudTrailToCloudWatch"
        ct = self.client("cloudtrail", region)
        ct.create_trail(**kwargs)
        if logging:
            ct.start_logging(Name=name)

    @staticmethod
    def group_arn(region: str, name: str) -> str:
        return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}:*"

    def topic_with_subscriber(self, region: str, name: str, subscribe=True) -> str:
        sns = self.client("sns", region)
        topic = sns.create_topic(Name=name)["TopicArn"]
        if subscribe:
            sqs = self.client("sqs", region)
            url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        return topic

    def alarm(self, cw, name, namespace, metric, topic, threshold=1.0, actions_enabled=True):
        cw.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName=metric,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            ActionsEnabled=actions_enabled,
            AlarmActions=[topic],
        )

    def compliant(self, variant: str = "cis") -> dict:
        opts = VARIANTS[variant][1]
        self.client("logs").create_log_group(logGroupName=LOG_GROUP)
        self.trail(REGION, "main-trail", self.group_arn(REGION, LOG_GROUP))
        self.client("logs").put_metric_filter(
            logGroupName=LOG_GROUP,
            filterName="IAMAuthConfigChanges",
            filterPattern=opts.get("pattern", CIS_PATTERN),
            metricTransformations=[
                {"metricName": "IAMPolicyEventCount", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}
            ],
        )
        topic = self.topic_with_subscriber(REGION, "iam-alarms", subscribe=opts.get("subscribe", True))
        self.alarm(
            self.client("cloudwatch"),
            "IAMAuthorizationActivityAlarm",
            "CloudTrailMetrics",
            "IAMPolicyEventCount",
            topic,
            threshold=opts.get("threshold", 1.0),
            actions_enabled=opts.get("actions_enabled", True),
        )
        return {"topic": topic}

    def remediable(self) -> dict:
        self.client("logs").create_log_group(logGroupName=LOG_GROUP)
        self.trail(REGION, "main-trail", self.group_arn(REGION, LOG_GROUP))
        topic = self.topic_with_subscriber(REGION, "iam-alarms")
        return {"alarm_topic": topic}


SCALE_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
TRAIL_HOMES = ["us-east-1", "us-east-1", "us-west-2", "us-west-2", "eu-west-1"]
LOG_GROUPS = 20


class Scale:
    """The scale account, grown in place: grow(filters, alarms)."""

    def __init__(self, seeder: Seeder, workers: int = 16):
        self.s = seeder
        self.workers = workers
        self.filters = 0
        self.alarms = 0
        self.groups: list[tuple[str, str]] = []  # (region, name)
        self.topics: dict[str, str] = {}
        self.logs = {r: seeder.client("logs", r) for r in SCALE_REGIONS}
        self.cw = {r: seeder.client("cloudwatch", r) for r in SCALE_REGIONS}

    def base(self):
        """Trails, log groups, topics, and on each trail's group its covering filter and
        alarm: 5 filters and 5 alarms."""
        for i, region in enumerate(TRAIL_HOMES):
            self.groups.append((region, f"cloudtrail/trail-{i}"))
        for k in range(LOG_GROUPS - len(TRAIL_HOMES)):
            self.groups.append((SCALE_REGIONS[k % 3], f"app/service-{k}"))
        for region, name in self.groups:
            self.logs[region].create_log_group(logGroupName=name)
        for region in SCALE_REGIONS:
            self.topics[region] = self.s.topic_with_subscriber(region, "iam-alarms")
        for i, region in enumerate(TRAIL_HOMES):
            group = self.groups[i][1]
            self.s.trail(region, f"trail-{i}", Seeder.group_arn(region, group))
            self.logs[region].put_metric_filter(
                logGroupName=group,
                filterName="IAMAuthConfigChanges",
                filterPattern=CIS_PATTERN,
                metricTransformations=[
                    {"metricName": f"IAMPolicyEventCount{i}", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}
                ],
            )
            self.s.alarm(self.cw[region], f"IAMPolicyChanges-{i}", "CloudTrailMetrics", f"IAMPolicyEventCount{i}", self.topics[region])
        self.filters = self.alarms = len(TRAIL_HOMES)

    def _filter(self, n: int):
        region, group = self.groups[n % LOG_GROUPS]
        self.logs[region].put_metric_filter(
            logGroupName=group,
            filterName=f"app-filter-{n}",
            filterPattern=f'{{ ($.level = "ERROR") && ($.code = {n}) }}',
            metricTransformations=[{"metricName": f"AppErrors{n}", "metricNamespace": "App", "metricValue": "1"}],
        )

    def _alarm(self, n: int):
        region = SCALE_REGIONS[n % 3]
        self.s.alarm(self.cw[region], f"app-alarm-{n}", "App", f"AppErrors{n % 997}", self.topics[region])

    def alarms_in(self, region: str) -> int:
        """Alarms seeded in `region`: the covering ones of its trails and its share of the rest."""
        covering = TRAIL_HOMES.count(region)
        i = SCALE_REGIONS.index(region)
        rest = len([n for n in range(len(TRAIL_HOMES), self.alarms) if n % 3 == i])
        return covering + rest

    def grow(self, filters: int, alarms: int):
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            jobs = [pool.submit(self._filter, n) for n in range(self.filters, filters)]
            jobs += [pool.submit(self._alarm, n) for n in range(self.alarms, alarms)]
            for j in jobs:
                j.result()
        self.filters = max(self.filters, filters)
        self.alarms = max(self.alarms, alarms)


if __name__ == "__main__":
    import sys

    s = Seeder(os.environ["AWS_ENDPOINT_URL"])
    what = sys.argv[1] if len(sys.argv) > 1 else "cis"
    s.reset()
    print(s.remediable() if what == "remediable" else s.compliant(what))
