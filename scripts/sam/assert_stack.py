#!/usr/bin/env python3
"""Assert what `sam deploy` created on the emulator (moto) for template.yaml.

Usage: scripts/sam/assert_stack.py STACK_NAME DEPLOYED_TEMPLATE_JSON

Reads the stack's resources and checks, through each service's own API, the
function, its role and policy, the schedule rule and its target, the
invoke permission, the topic, the key, the queue and the log group, with the
values the stack's parameters asked for. Resource types the emulator's
CloudFormation does not implement are listed in NOT_CREATED_BY_MOTO and only
reported (they are in the stack, with no physical resource). Runs in the
SAM venv (boto3); AWS_ENDPOINT_URL points it at the emulator. Closes with a
line "deploy-local: N passed, N failed".
"""
import ast
import json
import os
import sys

import boto3
from cfnlint.decode import decode  # the SAM venv's cfn-lint reads CloudFormation's YAML tags

# moto 5.2.5's CloudFormation has no model for these: it marks them
# CREATE_COMPLETE with no physical resource (a warning in its log).
NOT_CREATED_BY_MOTO = {
    "AWS::SNS::TopicPolicy": "no CloudFormation model for SNS topic policies in moto",
    "AWS::SNS::Subscription": "no CloudFormation model for SNS subscriptions in moto",
    "AWS::SQS::QueuePolicy": "no CloudFormation model for SQS queue policies in moto",
    "AWS::Lambda::EventInvokeConfig": "no CloudFormation model for Lambda event invoke configs in moto",
    "AWS::CloudWatch::Alarm": "no CloudFormation model for CloudWatch alarms in moto",
    "AWS::Events::EventBusPolicy": "no CloudFormation model for event bus policies in moto",
}

# Properties moto's CloudFormation model of AWS::Lambda::Function drops
# (its create_function API keeps them); reported, not asserted.
IGNORED_BY_MOTO = {
    "Architectures": "moto's Lambda CloudFormation model always reports x86_64",
    "LoggingConfig": "moto's Lambda CloudFormation model does not store LoggingConfig",
}

# moto creates these but reports no physical id; checked through their service.
NO_PHYSICAL_ID_IN_MOTO = {"AWS::Lambda::Permission"}

CONTRACT_ENV = [
    "MODE",
    "DRY_RUN",
    "FINDINGS_TOPIC_ARN",
    "ALARM_TOPIC_ARN",
    "METRIC_NAMESPACE",
    "METRIC_NAME",
    "FILTER_NAME",
    "ALARM_NAME",
    "RUST_LOG",
    "SCOPE",
    "MEMBER_ROLE_NAME",
    "MEMBER_EXTERNAL_ID",
    "ACCOUNT_CONCURRENCY",
    "EXCLUDE_ACCOUNTS",
    "MEMBER_REMEDIATION_ROLE_NAME",
    "MEMBER_ALARM_TOPIC_NAME",
    "SECURITY_HUB",
    "TAMPER_NOTIFY",
    "NOTIFY",
    "RULES",
    "STATE_LOG_GROUP",
    "FUNCTION_ROLE_ARN",
]


# Remediation's writes: the role holds them only with Mode=remediate.
REMEDIATION_WRITES = {"logs:PutMetricFilter", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "logs:DescribeLogStreams"}


def create_member_stack(cfn, body, name, auditor_role, parameters):
    """member-role.yaml as a plain stack trusting `auditor_role`, with `parameters`."""
    given = {"AuditorRoleArn": auditor_role, "OrganizationId": "o-exampleorgid", **parameters}
    cfn.create_stack(
        StackName=name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )


def inline_policy(iam, role_name):
    """The role's (first) inline policy document."""
    name = iam.list_role_policies(RoleName=role_name)["PolicyNames"][0]
    doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
    if isinstance(doc, str):
        # moto keeps a CloudFormation-made inline policy as Python's repr of it.
        try:
            doc = json.loads(doc)
        except ValueError:
            doc = ast.literal_eval(doc)
    return doc


def resolved_statements(document, params):
    """The policy's statements with Fn::If decided by the stack's parameters."""
    conditions = {
        "IsRemediate": params.get("Mode") == "remediate",
        "IsTracing": params.get("Tracing") == "true",
    }
    out = []
    for st in document["Statement"]:
        if isinstance(st, dict) and "Fn::If" in st:
            name, then, otherwise = st["Fn::If"]
            st = then if conditions[name] else otherwise
        if isinstance(st, dict) and "Effect" in st:
            out.append(st)
    return out


def tamper_pattern(template, role_arn, function_name):
    """The template's TamperRule pattern, with the function's role and its session resolved."""
    pattern = json.dumps(template["Resources"]["TamperRule"]["Properties"]["EventPattern"])
    pattern = pattern.replace(json.dumps({"Fn::GetAtt": ["FunctionRole", "Arn"]}), json.dumps(role_arn))
    account, role_name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    session = {"Fn::Sub": "arn:${AWS::Partition}:sts::${AWS::AccountId}:assumed-role/${FunctionRole}/${AuditFunction}"}
    return json.loads(pattern.replace(json.dumps(session), json.dumps(f"arn:aws:sts::{account}:assumed-role/{role_name}/{function_name}")))


def actions_of(statements):
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed.append(what)
            print(f"  FAIL  {what} {detail}")


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    stack_name, template_path = argv[1], argv[2]
    with open(template_path, encoding="utf-8") as f:
        template = json.load(f)
    cfn = boto3.client("cloudformation")
    c = Checks()

    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    c.check(f"stack {stack_name} is CREATE_COMPLETE or UPDATE_COMPLETE", stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack["StackStatus"])
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    region = stack["StackId"].split(":")[3]

    summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in summaries}
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in summaries}
    # The conditions resources depend on, from the stack's parameters.
    conditions = {
        "IsRemediate": params.get("Mode") == "remediate",
        "IsTracing": params.get("Tracing") == "true",
        "IsOrganization": params.get("Scope") == "organization",
        "IsSecurityHub": params.get("SecurityHub") == "true",
        "RemediatesMembers": params.get("Scope") == "organization" and params.get("Mode") == "remediate" and bool(params.get("MemberRemediationRoleName")),
        "HasEmail": bool(params.get("NotificationEmail")),
        "HasNoEmail": not params.get("NotificationEmail"),
        "IsTamperDetection": params.get("TamperDetection", "true") == "true",
        "ReceivesMemberTamperEvents": params.get("Scope") == "organization" and params.get("TamperDetection", "true") == "true",
    }
    not_created = []
    for logical, res in template["Resources"].items():
        rtype = res["Type"]
        if conditions.get(res.get("Condition")) is False:
            c.check(f"{logical} ({rtype}) is not in the stack: its condition {res['Condition']} is false", logical not in physical)
            continue
        if rtype in NOT_CREATED_BY_MOTO and not physical.get(logical):
            not_created.append((logical, rtype))
            continue
        c.check(f"{logical} ({rtype}) is in the stack", logical in physical)
        if rtype in NO_PHYSICAL_ID_IN_MOTO:
            continue
        c.check(f"{logical} ({rtype}) has a physical resource", bool(physical.get(logical)))

    def one(rtype):
        ids = [k for k, t in types.items() if t == rtype]
        return ids[0] if len(ids) == 1 else None

    fn_id, role_id, policy_id = one("AWS::Lambda::Function"), one("AWS::IAM::Role"), "FunctionPolicy"
    rule_id, topic_id, key_id = "AuditFunctionSchedule", "Topic", one("AWS::KMS::Key")
    queue_id, group_id = "FailureQueue", one("AWS::Logs::LogGroup")

    lam, iam, events = boto3.client("lambda"), boto3.client("iam"), boto3.client("events")
    sns, kms, sqs, logs = boto3.client("sns"), boto3.client("kms"), boto3.client("sqs"), boto3.client("logs")

    topic_arn = physical[topic_id]
    # Not DescribeKey: moto keeps a CloudFormation-made key's policy as an
    # object, and DescribeKey's policy check then fails with a 500.
    keys = {k["KeyId"]: k["KeyArn"] for k in kms.list_keys()["Keys"]}
    key = {"KeyId": physical[key_id], "Arn": keys.get(physical[key_id])}
    c.check("key exists", key["Arn"] is not None, sorted(keys))
    c.check("key rotation is enabled", kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"])
    key_policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    key_policy = json.loads(key_policy) if isinstance(key_policy, str) else key_policy
    services = {s.get("Principal", {}).get("Service") for s in key_policy["Statement"]}
    c.check("key policy lets cloudwatch.amazonaws.com use the key", "cloudwatch.amazonaws.com" in services, services)
    aws = {s.get("Principal", {}).get("AWS") for s in key_policy["Statement"]}
    cloudwatch_use = [s for s in key_policy["Statement"] if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"]
    c.check(
        "key policy's CloudWatch statement is limited to this account's alarms (aws:SourceAccount, aws:SourceArn)",
        bool(cloudwatch_use) and "aws:SourceArn" in json.dumps(cloudwatch_use[0].get("Condition", {})) and "aws:SourceAccount" in json.dumps(cloudwatch_use[0].get("Condition", {})),
        cloudwatch_use,
    )

    topic = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    c.check("topic is encrypted with the stack's key", topic.get("KmsMasterKeyId") in (key["KeyId"], key["Arn"]), topic.get("KmsMasterKeyId"))
    # Findings on a topic of their own (unless FindingsTopicArn names one): the alarm
    # topic, a pager's, carries alarms only.
    findings_topic_arn = params.get("FindingsTopicArn") or physical.get("FindingsTopic")
    c.check("findings have a topic of their own, not the alarm topic", bool(findings_topic_arn) and findings_topic_arn != topic_arn, findings_topic_arn)
    if not params.get("FindingsTopicArn") and findings_topic_arn:
        findings_topic = sns.get_topic_attributes(TopicArn=findings_topic_arn)["Attributes"]
        c.check("findings topic is encrypted with the stack's key", findings_topic.get("KmsMasterKeyId") in (key["KeyId"], key["Arn"]), findings_topic.get("KmsMasterKeyId"))
    # sam deploy prints the outputs: without NotificationEmail the stack says nobody is told.
    outputs = {o["OutputKey"] for o in stack.get("Outputs", [])}
    warning = template.get("Outputs", {}).get("NotificationWarning", {})
    c.check(
        "NotificationWarning is an output exactly when NotificationEmail is empty",
        warning.get("Condition") == "HasNoEmail" and ("NotificationWarning" in outputs) == conditions["HasNoEmail"],
        sorted(outputs),
    )
    # What must outlive the key's loss is not behind it: the stack's own alarms' topic.
    self_alarm_topic_arn = physical.get("SelfAlarmTopic")
    self_alarm_topic = sns.get_topic_attributes(TopicArn=self_alarm_topic_arn)["Attributes"] if self_alarm_topic_arn else {}
    c.check("the self-alarm topic exists and no customer key stands behind it", bool(self_alarm_topic) and not self_alarm_topic.get("KmsMasterKeyId"), self_alarm_topic.get("KmsMasterKeyId"))

    role_name = physical[role_id]
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    c.check("key policy names no role (the role's one grant of the key is its IAM policy)", role["Arn"] not in aws, aws)
    c.check("role trusts lambda.amazonaws.com", any(s.get("Principal", {}).get("Service") == "lambda.amazonaws.com" for s in trust["Statement"]))
    policy_name = template["Resources"][policy_id]["Properties"]["PolicyName"]
    doc = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    granted = actions_of(doc["Statement"])
    wanted = actions_of(resolved_statements(template["Resources"][policy_id]["Properties"]["PolicyDocument"], params))
    c.check(f"role has policy {policy_name} with the template's {len(wanted)} actions for Mode={params.get('Mode')}", granted == wanted, sorted(granted ^ wanted))
    if params.get("Mode") == "audit":
        attached = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        c.check("with Mode=audit the role has no remediation policy", "iam-policy-alarm-remediation" not in attached, attached)
        c.check("with Mode=audit the role holds none of remediation's writes", not (granted & REMEDIATION_WRITES), sorted(granted & REMEDIATION_WRITES))
    use = [st for st in doc["Statement"] if st.get("Sid") == "UseEncryptionKey"]
    c.check("the role uses the key only through SNS (kms:ViaService)", bool(use) and use[0].get("Condition", {}).get("StringEquals", {}).get("kms:ViaService") == f"sns.{region}.amazonaws.com", use)

    fn = lam.get_function(FunctionName=physical[fn_id])
    conf = fn["Configuration"]
    c.check("function runs provided.al2023 with handler bootstrap", (conf["Runtime"], conf["Handler"]) == ("provided.al2023", "bootstrap"), (conf["Runtime"], conf["Handler"]))
    c.check("function uses the stack's role", conf["Role"] == role["Arn"], conf["Role"])
    c.check(f"function memory {params.get('MemorySize')} MB, timeout {params.get('Timeout')} s", (str(conf["MemorySize"]), str(conf["Timeout"])) == (params.get("MemorySize"), params.get("Timeout")), (conf["MemorySize"], conf["Timeout"]))
    c.check("function code was uploaded", conf.get("CodeSize", 0) > 0, conf.get("CodeSize"))
    env = conf.get("Environment", {}).get("Variables", {})
    c.check("function environment has every setting", all(k in env for k in CONTRACT_ENV), sorted(set(CONTRACT_ENV) - set(env)))
    expected_env = {
        "MODE": params.get("Mode"),
        "DRY_RUN": params.get("DryRun"),
        "FINDINGS_TOPIC_ARN": findings_topic_arn,
        "ALARM_TOPIC_ARN": params.get("AlarmTopicArn") or topic_arn,
        "ALARM_NAME": params.get("AlarmName"),
        "RUST_LOG": params.get("LogLevel"),
    }
    c.check("function environment carries the parameters and the topic", all(env.get(k) == v for k, v in expected_env.items()), {k: env.get(k) for k in expected_env})
    if params.get("ReserveConcurrency", "true") == "true":
        reserved = lam.get_function_concurrency(FunctionName=conf["FunctionName"]).get("ReservedConcurrentExecutions")
        c.check("function reserves a concurrency of 1", reserved == 1, reserved)
    for prop, why in IGNORED_BY_MOTO.items():
        print(f"  note  {prop} not checked: {why}")

    rule = events.describe_rule(Name=physical[rule_id])
    c.check(f"schedule rule runs {params.get('ScheduleExpression')}", rule.get("ScheduleExpression") == params.get("ScheduleExpression"), rule.get("ScheduleExpression"))
    want_state = "ENABLED" if params.get("ScheduleEnabled", "true") == "true" else "DISABLED"
    c.check(f"schedule rule is {want_state}", rule.get("State") == want_state, rule.get("State"))
    targets = events.list_targets_by_rule(Rule=physical[rule_id])["Targets"]
    queue_url = physical[queue_id]
    queue_url = sqs.get_queue_url(QueueName=queue_url.rsplit("/", 1)[-1])["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    c.check("schedule rule targets the function", [t["Arn"] for t in targets] == [conf["FunctionArn"]], targets)
    c.check("schedule rule dead-letters to the failure queue", targets and targets[0].get("DeadLetterConfig", {}).get("Arn") == queue["QueueArn"], targets)
    permission = json.loads(lam.get_policy(FunctionName=conf["FunctionName"])["Policy"])
    c.check(
        "EventBridge may invoke the function from that rule only",
        any(
            s.get("Principal", {}).get("Service") == "events.amazonaws.com"
            and s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn") == rule["Arn"]
            for s in permission["Statement"]
        ),
        permission,
    )

    def sqs_managed(logical, attributes):
        # moto defaults SqsManagedSseEnabled to true: the template must say it too.
        declared = template["Resources"][logical]["Properties"].get("SqsManagedSseEnabled") is True
        return declared and attributes.get("SqsManagedSseEnabled") == "true" and not attributes.get("KmsMasterKeyId")

    c.check("failure queue uses SQS-managed encryption, not the stack's key", sqs_managed("FailureQueue", queue), queue.get("KmsMasterKeyId"))
    c.check(f"failure queue keeps messages {params.get('FailureQueueRetentionSeconds')} s", queue.get("MessageRetentionPeriod") == params.get("FailureQueueRetentionSeconds"), queue.get("MessageRetentionPeriod"))

    # Tamper detection: the rule (the template's pattern, this role left out) to the
    # delayed, encrypted queue, read in batches by the event source mapping.
    if conditions["IsTamperDetection"]:
        tamper_rule = events.describe_rule(Name=physical["TamperRule"].split("|")[-1])
        pattern = json.loads(tamper_rule["EventPattern"])
        wanted_pattern = tamper_pattern(template, role["Arn"], conf["FunctionName"])
        c.check("tamper rule matches the template's pattern, leaving out the function's role", pattern == wanted_pattern, pattern)
        c.check("tamper rule is on the default bus and ENABLED", (tamper_rule.get("EventBusName"), tamper_rule.get("State")) == ("default", "ENABLED"), tamper_rule)
        tamper_url = sqs.get_queue_url(QueueName=physical["TamperQueue"].rsplit("/", 1)[-1])["QueueUrl"]
        tamper_queue = sqs.get_queue_attributes(QueueUrl=tamper_url, AttributeNames=["All"])["Attributes"]
        tamper_targets = events.list_targets_by_rule(Rule=tamper_rule["Name"])["Targets"]
        c.check("tamper rule targets the tamper queue", [t["Arn"] for t in tamper_targets] == [tamper_queue["QueueArn"]], tamper_targets)
        c.check("tamper rule dead-letters to the failure queue", [t.get("DeadLetterConfig", {}).get("Arn") for t in tamper_targets] == [queue["QueueArn"]], tamper_targets)
        c.check("tamper queue delays delivery, with SQS-managed encryption (a DisableKey still reaches the function)", tamper_queue.get("DelaySeconds") == "10" and sqs_managed("TamperQueue", tamper_queue), tamper_queue)
        c.check("tamper queue hides a batch for longer than the function can run", int(tamper_queue["VisibilityTimeout"]) > int(params.get("Timeout")) + 30, tamper_queue["VisibilityTimeout"])
        redrive = json.loads(tamper_queue.get("RedrivePolicy", "{}"))
        c.check("tamper queue sends what is received five times to the failure queue", (redrive.get("deadLetterTargetArn"), int(redrive.get("maxReceiveCount", 0))) == (queue["QueueArn"], 5), redrive)
        mappings = lam.list_event_source_mappings(FunctionName=conf["FunctionName"])["EventSourceMappings"]
        mapping = [m for m in mappings if m.get("EventSourceArn") == tamper_queue["QueueArn"]]
        c.check(
            "the function reads the tamper queue in batches of up to 100 within 30 s, reporting refused records",
            len(mapping) == 1
            and (mapping[0].get("BatchSize"), mapping[0].get("MaximumBatchingWindowInSeconds"), mapping[0].get("FunctionResponseTypes")) == (100, 30, ["ReportBatchItemFailures"]),
            mapping,
        )
        c.check("the function knows its own role (its writes are no tamper event)", env.get("FUNCTION_ROLE_ARN") == role["Arn"] and env.get("TAMPER_NOTIFY") == params.get("TamperNotify", "on-fail"), env)
        attached = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        c.check("the role may read the tamper queue (iam-policy-alarm-tamper)", "iam-policy-alarm-tamper" in attached, attached)

    groups = logs.describe_log_groups(logGroupNamePrefix=physical[group_id])["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == physical[group_id]), {})
    c.check(f"log group keeps logs {params.get('LogRetentionInDays')} days", str(group.get("retentionInDays")) == params.get("LogRetentionInDays"), group)

    for logical in ("FunctionLogGroup", "EncryptionKey"):
        res = template["Resources"][logical]
        c.check(f"{logical} is retained when the stack goes", (res.get("DeletionPolicy"), res.get("UpdateReplacePolicy")) == ("Retain", "Retain"), res.get("DeletionPolicy"))

    # What moto's CloudFormation skips, applied through the services' own
    # APIs with the stack's values, so the emulator still validates them.
    skipped = {rtype for _, rtype in not_created}
    if "AWS::SNS::Subscription" in skipped and params.get("NotificationEmail"):
        attributes = {}
        if params.get("EmailFilterPolicy"):
            attributes = {"FilterPolicyScope": "MessageAttributes", "FilterPolicy": params["EmailFilterPolicy"]}
        try:
            # Every alarm, and the findings that pass EmailFilterPolicy.
            sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=params["NotificationEmail"])
            sns.subscribe(TopicArn=self_alarm_topic_arn, Protocol="email", Endpoint=params["NotificationEmail"])
            sub = sns.subscribe(TopicArn=findings_topic_arn, Protocol="email", Endpoint=params["NotificationEmail"], Attributes=attributes, ReturnSubscriptionArn=True)
            got = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
            c.check("SNS accepts the email subscriptions, EmailFilterPolicy on the findings one (applied by API)", json.loads(got.get("FilterPolicy", "{}")) == json.loads(params.get("EmailFilterPolicy") or "{}"), got)
        except Exception as e:  # noqa: BLE001 - any rejection is the failure reported
            c.check("SNS accepts the email subscriptions, EmailFilterPolicy on the findings one (applied by API)", False, e)
    if "AWS::Lambda::EventInvokeConfig" in skipped:
        try:
            lam.put_function_event_invoke_config(
                FunctionName=conf["FunctionName"],
                MaximumRetryAttempts=int(params["MaximumRetryAttempts"]),
                MaximumEventAgeInSeconds=int(params["MaximumEventAgeInSeconds"]),
                DestinationConfig={"OnFailure": {"Destination": queue["QueueArn"]}},
            )
            got = lam.get_function_event_invoke_config(FunctionName=conf["FunctionName"])
            c.check("Lambda accepts the on-failure destination (applied by API)", got["DestinationConfig"]["OnFailure"]["Destination"] == queue["QueueArn"], got)
        except Exception as e:  # noqa: BLE001
            c.check("Lambda accepts the on-failure destination (applied by API)", False, e)
    if "AWS::CloudWatch::Alarm" in skipped:
        # The monitor monitors itself: each alarm, as the template writes it, put through
        # CloudWatch's own API, and notifying the self-alarm topic.
        values = {
            "AWS::StackName": stack_name,
            "SelfAlarmTopic": self_alarm_topic_arn,
            "TamperRule": physical.get("TamperRule", "").split("|")[-1],
            "AuditFunction": conf["FunctionName"],
            "FailureQueue.QueueName": queue["QueueArn"].split(":")[-1],
            "ScheduleIntervalSeconds": int(params.get("ScheduleIntervalSeconds", "86400")),
        }

        def resolve(v):
            if isinstance(v, dict):
                if "Ref" in v:
                    return values[v["Ref"]]
                if "Fn::GetAtt" in v:
                    return values[".".join(v["Fn::GetAtt"])]
                if "Fn::Sub" in v:
                    return v["Fn::Sub"].replace("${AWS::StackName}", stack_name)
                return {k: resolve(x) for k, x in v.items()}
            if isinstance(v, list):
                return [resolve(x) for x in v]
            return v

        cloudwatch = boto3.client("cloudwatch")
        alarms = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm" and conditions.get(r.get("Condition"), True)]
        wanted_alarms = 6 if conditions["IsTamperDetection"] else 5
        c.check(f"the template has the {wanted_alarms} alarms on the function, its failure queue (held, and each arrival) and (with TamperDetection) the tamper rule's delivery", len(alarms) == wanted_alarms, alarms)
        for logical in alarms:
            props = resolve(template["Resources"][logical]["Properties"])
            for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
                if key in props:
                    props[key] = int(props[key])
            for query in props.get("Metrics", []):
                if "MetricStat" in query:
                    query["MetricStat"]["Period"] = int(query["MetricStat"]["Period"])
            props["Threshold"] = float(props["Threshold"])
            try:
                cloudwatch.put_metric_alarm(**props)
                found = cloudwatch.describe_alarms(AlarmNames=[props["AlarmName"]])["MetricAlarms"]
                c.check(f"CloudWatch accepts {logical} (applied by API), notifying the self-alarm topic", len(found) == 1 and found[0].get("AlarmActions") == [self_alarm_topic_arn], found[:1])
            except Exception as e:  # noqa: BLE001
                c.check(f"CloudWatch accepts {logical} (applied by API), notifying the self-alarm topic", False, e)
            if logical == "NoSuccessfulRunAlarm":
                # Runs, not invocations: the schedule's completed runs, as the function
                # emits them (src/outputs/metrics.rs), with missing data breaching.
                dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
                c.check(
                    "NoSuccessfulRunAlarm counts the schedule's completed runs (iam-policy-alarm CompletedRuns, Trigger=schedule)",
                    (props.get("Namespace"), props.get("MetricName"), dims.get("Trigger"), dims.get("FunctionName"), props.get("TreatMissingData"))
                    == ("iam-policy-alarm", "CompletedRuns", "schedule", conf["FunctionName"], "breaching"),
                    props,
                )
            named = [k for k, o in template.get("Outputs", {}).items() if o.get("Value") == {"Ref": logical}]
            c.check(f"{logical}'s name is an output", len(named) == 1, named)
    # The member side: member-role.yaml as a plain stack, trusting this function's role.
    member_template = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "member-role.yaml")
    with open(member_template, encoding="utf-8") as f:
        body = f.read()
    try:
        create_member_stack(cfn, body, "iam-policy-alarm-member", role["Arn"], {"ExternalId": "shared-secret"})
        member = iam.get_role(RoleName="iam-policy-alarm-audit")["Role"]
        trust = member["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        cond = trust["Statement"][0].get("Condition", {})
        c.check(
            "member role trusts only the function's role, within the organization, with the external id",
            cond.get("ArnEquals", {}).get("aws:PrincipalArn") == role["Arn"]
            and cond.get("StringEquals", {}) == {"aws:PrincipalOrgID": "o-exampleorgid", "sts:ExternalId": "shared-secret"},
            cond,
        )
        doc = inline_policy(iam, "iam-policy-alarm-audit")
        reads = actions_of(doc["Statement"])
        c.check("member role grants only reads (Describe, Get, List, Lookup)", bool(reads) and all(a.split(":")[1].startswith(("Describe", "Get", "List", "Lookup")) for a in reads), sorted(reads))
        own = cfn.list_stack_resources(StackName="iam-policy-alarm-member")["StackResourceSummaries"]
        c.check("in the auditor's own account the member stack forwards no tamper events", "TamperForwardingRule" not in {r["LogicalResourceId"] for r in own}, own)
    except Exception as e:  # noqa: BLE001
        c.check("member-role.yaml deploys as a stack", False, e)
    # A member of another account than the auditor's: its rule forwards the template's
    # calls to the auditor's default bus, with a role that may put events there only.
    auditor_role = "arn:aws:iam::111111111111:role/auditor"
    try:
        create_member_stack(cfn, body, "iam-policy-alarm-member-forwarding", auditor_role, {"MemberRoleName": "iam-policy-alarm-audit-forwarding"})
        res = {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in cfn.list_stack_resources(StackName="iam-policy-alarm-member-forwarding")["StackResourceSummaries"]}
        forward = events.describe_rule(Name=res["TamperForwardingRule"].split("|")[-1])
        member_pattern = json.loads(forward["EventPattern"])
        auditor_pattern = tamper_pattern(template, role["Arn"], conf["FunctionName"])
        issuer = member_pattern["detail"]["$or"][1]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"][0]["anything-but"]
        # The calls must agree; who is left out differs (the member's remediation role;
        # the auditor's function session).
        member_pattern["detail"]["$or"] = auditor_pattern["detail"]["$or"] = None
        c.check("the member's forwarding rule matches the auditor's calls", member_pattern == auditor_pattern, member_pattern)
        c.check("the member's forwarding rule leaves out its remediation role's writes", issuer.endswith(":role/iam-policy-alarm-remediate"), issuer)
        targets = events.list_targets_by_rule(Rule=forward["Name"])["Targets"]
        c.check(
            "the member's forwarding rule targets the auditor's default bus, with its own role",
            [t["Arn"] for t in targets] == [f"arn:aws:events:{os.environ.get('AWS_DEFAULT_REGION', 'us-east-1')}:111111111111:event-bus/default"] and targets[0].get("RoleArn", "").endswith(res["TamperForwardingRole"]),
            targets,
        )
    except Exception as e:  # noqa: BLE001
        c.check("member-role.yaml forwards tamper events from another account than the auditor's", False, e)
    # A member with the remediation role: its alarms' own topic, and the role may point
    # the alarm at that topic only. moto's CloudFormation creates no topic policy or
    # subscription (NOT_CREATED_BY_MOTO): those two are checked on the template.
    try:
        create_member_stack(cfn, body, "iam-policy-alarm-member-remediation", auditor_role, {
            "MemberRoleName": "iam-policy-alarm-audit-remediation",
            "TamperDetection": "false",
            "CreateRemediationRole": "true",
            "MemberAlarmTopicName": "member-alarms",
            "NotificationEmail": "security@example.com",
        })
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="iam-policy-alarm-member-remediation")["Stacks"][0].get("Outputs", [])}
        topic = outputs.get("MemberAlarmTopicArn", "")
        c.check("the member stack creates its alarms' topic, named MemberAlarmTopicName", topic.endswith(":member-alarms") and bool(sns.get_topic_attributes(TopicArn=topic)), outputs)
        write = [st for st in inline_policy(iam, "iam-policy-alarm-remediate")["Statement"] if st.get("Sid") == "WriteTheAlarm"]
        allowed = write[0]["Condition"]["ForAllValues:StringLike"]["cloudwatch:AlarmActions"] if write else None
        c.check("the member remediation role's alarm may notify only that topic", isinstance(allowed, str) and allowed.endswith(":member-alarms"), allowed)
    except Exception as e:  # noqa: BLE001
        c.check("member-role.yaml with its remediation role deploys, with its alarms' topic", False, e)
    member_resources = decode(member_template)[0]["Resources"]
    publish = [st for st in member_resources["MemberAlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"] if st.get("Sid") == "ThisAccountsAlarms"]
    c.check(
        "the member topic takes alarms of its own account only",
        len(publish) == 1 and publish[0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        and "aws:SourceAccount" in publish[0]["Condition"]["StringEquals"],
        publish,
    )
    mail = member_resources["MemberAlarmEmailSubscription"]["Properties"]
    c.check("the member topic mails NotificationEmail", (mail["Protocol"], mail["Endpoint"]) == ("email", {"Ref": "NotificationEmail"}), mail)
    for logical, rtype in not_created:
        print(f"  note  {logical} ({rtype}) not created: {NOT_CREATED_BY_MOTO[rtype]}")
    print(f"deploy-local: {c.passed} passed, {len(c.failed)} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main(sys.argv)
