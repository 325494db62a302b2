"""Seeds the emulated account for the demo (scripts/emulator/seeder.py does the work): the
management account of an organization with two member accounts; a logging
multi-region organization trail delivering to a CloudWatch Logs log group, with no
metric filter and no alarm (what the rule's remediation is for); an alarm topic with a
confirmed (SQS) subscriber; a findings topic with an SQS inbox the demo reads the
published findings from. Prints the settings the demo exports."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))

from seeder import LOG_GROUP, Seeder  # noqa: E402

seeder = Seeder(os.environ["AWS_ENDPOINT_URL"], os.environ.get("AWS_REGION", "us-east-1"))
# The organization first: an organization trail needs one.
seeder.organization(("workloads", "sandbox"))
seeder.client("logs").create_log_group(logGroupName=LOG_GROUP)
seeder.trail(seeder.region, "management-events", seeder.group_arn(seeder.region, LOG_GROUP), organization=True)
alarm_topic, _ = seeder.topic_with_subscriber(seeder.region, "iam-policy-alarm-alarms", queue="security-team-pager")
findings_topic, findings_queue = seeder.topic_with_subscriber(seeder.region, "iam-policy-alarm-findings", queue="findings-inbox")
print(f"ALARM_TOPIC_ARN={alarm_topic}")
print(f"FINDINGS_TOPIC_ARN={findings_topic}")
print(f"FINDINGS_QUEUE_URL={findings_queue}")
