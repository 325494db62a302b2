"""Pretty-prints what the demo shows: a report returned by the function (stdin), or,
with --inbox QUEUE_URL, the findings messages SNS delivered to the SQS inbox."""
import json
import os
import sys


def show_report(report):
    if report.get("scope") == "organization":
        return show_organization(report)
    print(f"  status: {report['status']}   account {report['account']}   mode {report['mode']}"
          f"{' (dry run)' if report.get('dry_run') else ''}")
    print(f"  {report['summary']}")
    trigger = report.get("trigger")
    for change in trigger if isinstance(trigger, list) else [trigger] if trigger else []:
        print(f"  after: {change['event_name']} ({change['event_source']}) by {change['actor']['arn']} "
              f"({change['actor']['type']}) from {change['source_ip']} at {change['event_time']}")
    for trail in report.get("trails", []):
        print(f"  trail {trail['name']} ({trail['home_region']}): {trail['status']}")
        for name in ("trail", "metric_filter", "alarm", "notification"):
            link = trail["links"][name]
            print(f"    [{link['status']}] {name}: {link['detail'][:160]}")
    remediation = report.get("remediation")
    if remediation:
        print(f"  before remediation: {remediation['before']['status']}")
        for action in remediation.get("planned", []):
            print(f"  planned: {action['operation']} in {action['region']}")
            print("    request: " + json.dumps(action["request"])[:400])
        for action in remediation.get("applied", []):
            print(f"  applied: {action['operation']} -> {action['outcome']}")
        for refusal in remediation.get("refused", []):
            print(f"  not done: {refusal['summary'][:200]}")
        for conflict in remediation.get("conflicts", []):
            print(f"  conflict: {conflict['summary'][:200]}")


def show_organization(report):
    org = report["organization"]
    print(f"  status: {report['status']}   organization {org['id']} (management account {org['management_account']})   counts {report['counts']}")
    print(f"  {report['summary']}")
    for account in report["accounts"]:
        covered = account.get("covered_by")
        via = f" (covered by {covered['trail']})" if covered else ""
        print(f"    [{account['status']}] {account['account']} {account['name']}{via}")


def show_inbox(queue_url):
    import boto3
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    for message in messages:
        envelope = json.loads(message["Body"])
        attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
        body = json.loads(envelope["Message"])
        print(f"  SNS message: Subject: {envelope.get('Subject')!r}")
        print(f"               attributes: {attributes}")
        what = f"{len(body['accounts'])} account(s)" if "accounts" in body else f"{len(body['trails'])} trail(s)"
        print(f"               body (JSON for machine subscribers): status {body['status']}, {what}")
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    if not messages:
        print("  (no SNS message received)")


if len(sys.argv) == 3 and sys.argv[1] == "--inbox":
    show_inbox(sys.argv[2])
else:
    show_report(json.load(sys.stdin))
