"""Pretty-prints what the demo shows: a report returned by the function (stdin), or,
with --inbox QUEUE_URL, the findings messages SNS delivered to the SQS inbox.

With --expect STORY, it also checks the report tells the demo's story at that step and
exits 1 with one line saying what differs when it does not (so `make demo`, and CI
which runs it first, fail when the story breaks)."""
import json
import os
import sys


def operations(report, section):
    """The operations (without their service prefix) of the remediation's planned or applied
    actions; of applied ones, only those whose outcome is "applied"."""
    actions = (report.get("remediation") or {}).get(section, [])
    return [a["operation"].split(":")[-1] for a in actions if section != "applied" or a.get("outcome") == "applied"]


def applied_operations(report):
    return operations(report, "applied")


def check_story(story, report):
    """The differences between `report` and what step `story` must show ([] when it holds)."""
    status = report.get("status")
    wrong = []
    if story == "fail":
        if status != "FAIL":
            wrong.append(f"status {status}, expected FAIL")
    elif story == "plan":
        planned = operations(report, "planned")
        if not report.get("dry_run") or not {"PutMetricFilter", "PutMetricAlarm"} <= set(planned):
            wrong.append(f"a dry run planning PutMetricFilter and PutMetricAlarm expected, got dry_run={report.get('dry_run')} planned={planned}")
        if applied_operations(report):
            wrong.append(f"a dry run applied {applied_operations(report)}")
    elif story == "remediated":
        if status != "PASS":
            wrong.append(f"status {status}, expected PASS")
        applied = applied_operations(report)
        if not {"PutMetricFilter", "PutMetricAlarm"} <= set(applied):
            wrong.append(f"PutMetricFilter and PutMetricAlarm applied expected, got {applied}")
    elif story == "pass":
        if status != "PASS":
            wrong.append(f"status {status}, expected PASS")
    elif story == "rules":
        # Every rule judged on the one account: only the mission's rule has a chain.
        rules = {r["id"]: r["status"] for r in report.get("rules", [])}
        others = {i: s for i, s in rules.items() if i != "iam-policy-changes"}
        if status != "FAIL" or len(rules) != 15 or rules.get("iam-policy-changes") != "PASS" \
                or set(others.values()) != {"FAIL"}:
            wrong.append(f"status {status} with rules {rules}; expected FAIL, 15 rules, iam-policy-changes PASS, the others FAIL")
    elif story == "organization-pass":
        accounts = report.get("accounts", [])
        not_pass = [f"{a['account']} {a['status']}" for a in accounts if a["status"] != "PASS"]
        if status != "PASS" or not accounts or not_pass:
            wrong.append(f"status {status} with {len(accounts)} accounts, not PASS: {not_pass}; expected every account PASS")
    elif story.startswith("tamper-fail:"):
        actor = story.split(":", 1)[1]
        trigger = report.get("trigger")
        changes = trigger if isinstance(trigger, list) else [trigger] if trigger else []
        # Named as the caller only once CloudTrail's event history confirms the event;
        # until then (the emulator has no event history) it is the event's claim.
        actors = [(c.get("actor") or c.get("claimed_actor") or {}).get("arn") for c in changes]
        if status != "FAIL":
            wrong.append(f"status {status}, expected FAIL")
        if actor not in actors:
            wrong.append(f"the change by {actor} expected in the report's trigger, got {actors}")
        named = [c["actor"]["arn"] for c in changes if c.get("actor") and c["confirmation"]["status"] != "confirmed"]
        if named:
            wrong.append(f"an unconfirmed change names its caller: {named}")
    else:
        wrong.append(f"unknown story {story!r}")
    return wrong


def show_report(report):
    if report.get("scope") == "organization":
        return show_organization(report)
    print(f"  status: {report['status']}   account {report['account']}   mode {report['mode']}"
          f"{' (dry run)' if report.get('dry_run') else ''}")
    print(f"  {report['summary']}")
    trigger = report.get("trigger")
    for change in trigger if isinstance(trigger, list) else [trigger] if trigger else []:
        confirmation = change["confirmation"]
        if confirmation["status"] == "confirmed":
            print(f"  after: {change['event_name']} ({change['event_source']}) by {change['actor']['arn']} "
                  f"({change['actor']['type']}) from {change['source_ip']} at {change['event_time']}")
        else:
            print(f"  after: {change['event_name']} ({change['event_source']}) at {change['event_time']}, "
                  f"claimed by {change['claimed_actor']['arn']}, {confirmation['status']}: {confirmation['why'][:160]}")
    rules = report.get("rules", [])
    if len(rules) > 1:
        for rule in rules:
            print(f"    [{rule['status']}] {rule['id']}: {rule['summary'][:140]}")
    for trail in report.get("trails", []) if len(rules) <= 1 else []:
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
    text = sys.stdin.read()
    if not text.strip():
        print("demo: no report to show (the invocation failed; see above)", file=sys.stderr)
        sys.exit(1)
    report = json.loads(text)
    show_report(report)
    if len(sys.argv) == 3 and sys.argv[1] == "--expect":
        wrong = check_story(sys.argv[2], report)
        if wrong:
            print(f"demo: this step does not tell the story ({sys.argv[2]}): {'; '.join(wrong)}", file=sys.stderr)
            sys.exit(1)
