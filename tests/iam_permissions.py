#!/usr/bin/env python3
"""The function's IAM permissions in template.yaml are exactly what src/ calls.

Reads the AWS SDK calls in src/**/*.rs and the permissions template.yaml gives
the function's role, and fails when
  * the code calls an operation the template does not grant,
  * the template grants an action the code never calls (unless it is on the
    GRANTED_WITHOUT_CALL allow-list below, with the reason),
  * a statement grants Resource "*" for an action that supports resource-level
    permissions, or an action pattern with a wildcard (logs:*, cloudwatch:Put*)
    other than the allow-listed kms:GenerateDataKey*,
  * with Mode=audit, the role holds any of remediation's writes (they are granted
    only under the IsRemediate condition), or a remediation call is not granted
    with Mode=remediate,
  * the conditions that narrow the writes and the key use are missing,
  * the code reads an environment variable the function is not given, or the
    template sets one that is not a Parameter (or this stack's resource).

Convention it relies on (src/ keeps to it): every SDK call is a method call on
a variable or field named exactly after the service -- cloudtrail, logs,
cloudwatch, sns, sts, kms -- e.g. `logs.describe_metric_filters()` or, after
rustfmt, `self.cloudwatch\\n    .put_metric_alarm()`; environment variables are
read by literal name, `env::var("MODE")` or clap's `env = "MODE"`.

Run: python tests/iam_permissions.py [-v] [--src DIR] [--template FILE]
(`make test-iam-permissions`). Needs PyYAML, which the SAM venv has. Closes
with a line "iam_permissions: N passed, N failed".
"""

import argparse
import fnmatch
import json
import os
import re
import sys
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "template.yaml")
MEMBER_TEMPLATE = os.path.join(ROOT, "member-role.yaml")
SRC = os.path.join(ROOT, "src")
FIXTURE_SRC = os.path.join(ROOT, "tests", "fixtures", "iam_permissions", "src")

# Variable/field name -> IAM service prefix.
SERVICES = {
    "securityhub": "securityhub",
    "organizations": "organizations",
    "cloudtrail": "cloudtrail",
    "logs": "logs",
    "cloudwatch": "cloudwatch",
    "sns": "sns",
    "sts": "sts",
    "kms": "kms",
}
CALL_RE = re.compile(r"\b(" + "|".join(SERVICES) + r")\s*\.\s*([a-z][a-z0-9_]*)\s*\(")

# Client methods that are not operations.
NOT_OPERATIONS = {"clone", "config", "from_conf", "new", "as_ref", "to_owned", "into"}

# Operations whose IAM action is not named like the operation. None so far.
ACTION_FOR_OPERATION = {}

# Operations src/ calls that need no permission (so the template grants none).
NO_PERMISSION_NEEDED = {
    "sts:GetCallerIdentity": "STS answers it for any valid credentials; no policy can allow or deny it.",
}

# Actions the function's role is granted although src/ never calls them.
# Each needs its reason; add nothing here that src/ could call instead.
GRANTED_WITHOUT_CALL = {
    "kms:GenerateDataKey*": "SNS generates a data key with the caller's permissions when the function "
    "publishes to the KMS-encrypted findings topic (the queues use SQS-managed encryption).",
    "kms:Decrypt": "Same path: SNS requires kms:Decrypt on the key alongside GenerateDataKey.",
    "cloudwatch:TagResource": "PutMetricAlarm with Tags (the owner tag remediation relies on) is "
    "authorized as cloudwatch:TagResource as well.",
    "logs:PutLogEvents": "The Lambda service writes the function's own logs with its role.",
    "sqs:SendMessage": "Lambda sends failed asynchronous invocations to the on-failure destination "
    "(FailureQueue) with the function's role.",
    "xray:PutTraceSegments": "With Tracing=true, Lambda sends the function's traces with its role.",
    "xray:PutTelemetryRecords": "Same: X-Ray's tracing of the function.",
    "sqs:ReceiveMessage": "With TamperDetection=true, Lambda's event source mapping polls the tamper queue "
    "with the function's role.",
    "sqs:DeleteMessage": "Same: the mapping deletes the records of a batch the function took.",
    "sqs:GetQueueAttributes": "Same: the mapping reads the tamper queue's attributes.",
}

# The calls only remediation makes: granted only with Mode=remediate.
REMEDIATION_ONLY = {
    "logs:PutMetricFilter",
    "logs:DescribeLogStreams",
    "logs:CreateLogStream",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "cloudwatch:ListTagsForResource",
}

# The only action patterns with a wildcard a grant may use: each names one family
# of KMS data-key operations that SNS asks for together.
WILDCARD_ACTIONS = {"kms:GenerateDataKey*"}

# Actions that have no resource type in the AWS Service Authorization Reference
# (the "Resource types" column is empty), so Resource must be "*". Every other
# action must be scoped to an ARN pattern.
NO_RESOURCE_LEVEL = {
    "cloudtrail:DescribeTrails",
    "logs:DescribeLogGroups",
    "cloudwatch:DescribeAlarmsForMetric",
    "cloudwatch:ListAlarmMuteRules",
    "cloudtrail:LookupEvents",
    "sts:GetCallerIdentity",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
}

# Environment the Lambda runtime (or the developer's shell) provides; the
# template need not set these.
RUNTIME_ENV_PREFIXES = ("AWS_", "LAMBDA_", "_")
RUNTIME_ENV = {"RUST_BACKTRACE", "NO_COLOR", "HOME", "PATH", "TZ"}

# The settings the code reads from the environment; the template must set each.
CONTRACT_ENV = {
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
}

# How src/ reads a variable: std::env::var("X"), clap's env = "X", or the
# settings lookup closure get("X") / lookup("X").
ENV_READ_RES = [
    re.compile(r"\benv::var(?:_os)?\s*\(\s*\"([A-Z][A-Z0-9_]*)\""),
    re.compile(r"\benv\s*=\s*\"([A-Z][A-Z0-9_]*)\""),
    re.compile(r"\b(?:get|lookup)\s*\(\s*\"([A-Z][A-Z0-9_]*)\"\s*\)"),
]
# Variables only a library reads, not by name in src/ (none today: main.rs reads
# RUST_LOG itself, to refuse one that does not parse).
READ_BY_LIBRARIES = set()


# ---------------------------------------------------------------- the code


def strip_comments_and_strings(text):
    """Blank out Rust comments and string/char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if text[i] == "\n" else "")
                    i += 1
        elif re.match(r'b?r#*"', text[i:i + 20]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + m.end())
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            i += 2 if c == "b" else 1
            start = i
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", start, i))
            i += 1
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:  # a char literal; otherwise a lifetime
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def rust_files(src):
    for dirpath, _, files in os.walk(src):
        for name in sorted(files):
            if name.endswith(".rs"):
                yield os.path.join(dirpath, name)


def pascal(snake):
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def sdk_calls_in_text(text, where="<text>"):
    """{"service:Action": ["file:line", ...]} for the SDK calls in Rust source."""
    calls = {}
    code = strip_comments_and_strings(text)
    for m in CALL_RE.finditer(code):
        var, method = m.group(1), m.group(2)
        if method in NOT_OPERATIONS:
            continue
        op = ACTION_FOR_OPERATION.get((var, method), pascal(method))
        line = code.count("\n", 0, m.start()) + 1
        calls.setdefault(f"{SERVICES[var]}:{op}", []).append(f"{where}:{line}")
    return calls


def sdk_calls(src):
    calls = {}
    for path in rust_files(src):
        with open(path, encoding="utf-8") as f:
            found = sdk_calls_in_text(f.read(), os.path.relpath(path, ROOT))
        for action, places in found.items():
            calls.setdefault(action, []).extend(places)
    return calls


def env_reads(src):
    names = {}
    for path in rust_files(src):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for regex in ENV_READ_RES:
            for m in regex.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                names.setdefault(m.group(1), []).append(f"{os.path.relpath(path, ROOT)}:{line}")
    return names


# ------------------------------------------------------------ the template


class CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short-form tags into long form."""


def _cfn_tag(loader, tag_suffix, node):
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)  # noqa: S506 (SafeLoader subclass)


def as_list(value):
    return value if isinstance(value, list) else [value]


def branches(value, conditions=None):
    """The branches of Fn::If: the one `conditions` picks ({name: bool}), or both when
    it does not name the condition (a grant under any condition counts); drops
    AWS::NoValue."""
    if isinstance(value, dict) and "Fn::If" in value:
        name, then, otherwise = value["Fn::If"]
        picked = (conditions or {}).get(name)
        chosen = [then, otherwise] if picked is None else [then if picked else otherwise]
        for branch in chosen:
            yield from branches(branch, conditions)
    elif value == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield value


def statements(document, conditions=None):
    for doc in branches(document, conditions):
        for st in branches(doc.get("Statement", []), conditions):
            for item in as_list(st):
                yield from branches(item, conditions)


def role_logical_id(value):
    """FunctionRole from !GetAtt FunctionRole.Arn or !Ref FunctionRole."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
        if "Ref" in value:
            return value["Ref"]
    return None


class Grants:
    """The Allow statements that apply to the function's role."""

    def __init__(self, template, conditions=None):
        self.problems = []
        self.statements = []  # (where, statement, is_key_policy)
        resources = template.get("Resources", {})
        functions = {k: v for k, v in resources.items() if v.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")}
        if not functions:
            self.problems.append("template.yaml has no function")
        roles = set()
        for name, fn in functions.items():
            props = fn.get("Properties", {})
            if props.get("Policies") is not None:
                self.problems.append(f"{name}: use the explicit FunctionRole, not SAM Policies")
            role = role_logical_id(props.get("Role"))
            if role not in resources:
                self.problems.append(f"{name}: Role must be !GetAtt of a role in this template")
            roles.add(role)
        for name, res in resources.items():
            rtype, props = res.get("Type"), res.get("Properties", {})
            # A resource under a condition the caller decided against is not in the stack.
            if (conditions or {}).get(res.get("Condition")) is False:
                continue
            if rtype == "AWS::IAM::Role" and name in roles:
                if props.get("ManagedPolicyArns"):
                    self.problems.append(f"{name}: managed policies hide their actions from this test; use FunctionPolicy")
                for pol in as_list(props.get("Policies", [])):
                    for st in statements(pol.get("PolicyDocument", {}), conditions):
                        self.statements.append((f"{name}/{pol.get('PolicyName')}", st, False))
            elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
                attached = {role_logical_id(r) for r in as_list(props.get("Roles", []))}
                attached.add(role_logical_id(props.get("RoleName")))
                if attached & roles:
                    for st in statements(props.get("PolicyDocument", {}), conditions):
                        self.statements.append((name, st, False))
            elif rtype and rtype.startswith("AWS::IAM::") and any(f'"{r}"' in json.dumps(props) for r in roles):
                self.problems.append(f"{name}: {rtype} names the function's role; this test does not read it")
            elif rtype == "AWS::KMS::Key":
                for st in statements(props.get("KeyPolicy", {}), conditions):
                    principals = st.get("Principal", {})
                    aws = as_list(principals.get("AWS", [])) if isinstance(principals, dict) else []
                    if any(role_logical_id(p) in roles for p in aws):
                        self.statements.append((f"{name} key policy", st, True))
        for where, st, _ in self.statements:
            if "NotAction" in st or "NotResource" in st:
                self.problems.append(f"{where}: NotAction/NotResource grant more than they name")

    def allows(self):
        for where, st, key_policy in self.statements:
            if st.get("Effect") == "Allow":
                yield where, st, key_policy

    def actions(self):
        """{action pattern (as written): [where, ...]}"""
        found = {}
        for where, st, _ in self.allows():
            for action in as_list(st.get("Action", [])):
                found.setdefault(action, []).append(f"{where} {st.get('Sid', '')}".strip())
        return found


def template_env(template):
    env = {}
    for name, res in template.get("Resources", {}).items():
        if res.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            env.update(res.get("Properties", {}).get("Environment", {}).get("Variables", {}))
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return {**globals_env, **env}


# --------------------------------------------------------------- the check


def matches(pattern, action):
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def compare(calls, grants):
    """Problems between what the code calls and what the template grants."""
    problems = list(grants.problems)
    granted = grants.actions()
    for action, places in sorted(calls.items()):
        if action in NO_PERMISSION_NEEDED:
            continue
        if not any(matches(p, action) for p in granted):
            problems.append(f"code calls {action} ({', '.join(places[:3])}) but template.yaml does not grant it")
    for pattern, where in sorted(granted.items()):
        if pattern in GRANTED_WITHOUT_CALL:
            continue
        if not any(matches(pattern, a) for a in calls):
            problems.append(f"template.yaml grants {pattern} ({where[0]}) but the code never calls it")
    for action in NO_PERMISSION_NEEDED:
        if action in granted:
            problems.append(f"template.yaml grants {action}, which needs no permission")
    return problems


def wildcard_problems(grants):
    """Action patterns that grant more than they name."""
    problems = []
    for where, st, _ in grants.allows():
        for action in as_list(st.get("Action", [])):
            if ("*" in action or "?" in action) and action not in WILDCARD_ACTIONS:
                problems.append(f"{where} {st.get('Sid', '')}: wildcard action {action}")
    return problems


def audit_mode_problems(calls, audit_grants):
    """With Mode=audit: every call but remediation's is granted, and no remediation write
    is, except the function's own log writes (CreateLogStream on its log group)."""
    problems = []
    granted = audit_grants.actions()
    for action, places in sorted(calls.items()):
        if action in NO_PERMISSION_NEEDED or action in REMEDIATION_ONLY:
            continue
        if not any(matches(p, action) for p in granted):
            problems.append(f"with Mode=audit the code's {action} ({places[0]}) is not granted")
    for where, st, _ in audit_grants.allows():
        own_logs = st.get("Resource") == {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}
        for action in as_list(st.get("Action", [])):
            # The runtime writes the function's own log streams: only that write is not remediation's.
            if own_logs and action == "logs:CreateLogStream":
                continue
            if any(matches(action, r) for r in REMEDIATION_ONLY):
                problems.append(f"with Mode=audit {where} {st.get('Sid', '')} grants remediation's {action}")
            if matches(action, "sts:AssumeRole") and "MemberRemediationRoleName" in json.dumps(st.get("Resource")):
                problems.append(f"with Mode=audit {where} {st.get('Sid', '')} grants sts:AssumeRole on the member remediation role")
    for action in REMEDIATION_ONLY:
        if action in calls or action == "cloudwatch:TagResource":
            continue
        problems.append(f"REMEDIATION_ONLY names {action}, which the code does not call")
    return problems


def member_reads(src):
    """The calls an audit makes in a member account: collect's reads, less the
    organization's own (made in the auditor's account), remediation's, and what needs
    no permission."""
    calls = sdk_calls(os.path.join(src, "collect"))
    return {
        a: p
        for a, p in calls.items()
        if a not in REMEDIATION_ONLY and a not in NO_PERMISSION_NEEDED and not a.startswith("organizations:")
    }


def member_role_statements(template, logical="AuditRole"):
    role = template["Resources"][logical]["Properties"]
    grants = [st for pol in role["Policies"] for st in statements(pol["PolicyDocument"])]
    trust = list(statements(role["AssumeRolePolicyDocument"]))
    return grants, trust


def statement(grants, sid):
    found = [st for _, st, _ in grants.statements if st.get("Sid") == sid]
    return found[0] if found else None


def scoping_problems(grants):
    problems = []
    for where, st, key_policy in grants.allows():
        if key_policy:  # in a key policy, "*" means this key
            continue
        resources = [r for res in as_list(st.get("Resource", [])) for r in branches(res)]
        if "*" in resources:
            wide = [a for a in as_list(st.get("Action", [])) if a not in NO_RESOURCE_LEVEL]
            if wide:
                problems.append(f"{where} {st.get('Sid', '')}: Resource \"*\" for {wide}, which take resource ARNs")
    return problems


def env_problems(reads, env, parameters, resources):
    problems = []
    for name, places in sorted(reads.items()):
        if name in env or name in RUNTIME_ENV or name.startswith(RUNTIME_ENV_PREFIXES):
            continue
        problems.append(f"code reads {name} ({places[0]}) but the function's Environment does not set it")
    for name in sorted(CONTRACT_ENV - set(env)):
        problems.append(f"the function's Environment lacks {name}")
    for name, value in sorted(env.items()):
        refs = [(b.get("Ref") or role_logical_id(b)) if isinstance(b, dict) else None for b in branches(value)]
        if not refs or any(r not in parameters and r not in resources for r in refs):
            problems.append(f"Environment {name} is not a Parameter (or this stack's resource): {value!r}")
        if name not in reads and name not in READ_BY_LIBRARIES:
            problems.append(f"Environment sets {name}, which the code does not read")
    return problems


# ------------------------------------------------------ guards against widening


# Statements whose ARNs may name any account ("*"), with the reason.
ANY_ACCOUNT = {
    "ReadTrails": "an organization trail's ARN names the management account",
    "AssumeTheMemberRole": "the member role in every account; aws:ResourceOrgID keeps it in the organization",
    "AssumeTheMemberRemediationRole": "the same, for the member remediation role",
}
# Statements whose ARNs may end in a wildcard resource, with the reason.
ANY_RESOURCE = {
    "ReadTrails": "the trails are discovered (DescribeTrails)",
    "ReadMetricFilters": "the trail names its log group",
    "ReadAlarms": "the alarms are discovered on the filter's metric",
    "ReadAlarmMuteRules": "a mute rule is found by the alarm it targets",
    "ReadTopics": "the alarms name their topics",
    "ReadTopicKeys": "the topics name their keys",
    "WriteMetricFiltersUnderTheLease": "with RemediationLogGroupArns=* (AllLogGroups) only",
    "ReadAndWriteMetricFiltersUnderTheLease": "the member's trail names its log group",
}
# The services that may use the stack's key on the role's behalf, exactly.
KEY_VIA_SERVICES = {"sns.${AWS::Region}.amazonaws.com"}
# The only tag remediation writes, exactly.
OWNER_TAG_CONDITION = {
    "ForAllValues:StringEquals": {"aws:TagKeys": ["managed-by"]},
    "StringEquals": {"aws:RequestTag/managed-by": "iam-policy-alarm"},
}
# A resource policy's narrowing of a service principal (the confused-deputy keys).
SOURCE_KEYS = {"aws:SourceArn", "aws:SourceAccount", "kms:EncryptionContext:aws:logs:arn"}
PSEUDO = {"AWS::AccountId": "111111111111", "AWS::Region": "us-east-1", "AWS::Partition": "aws",
          "AWS::StackName": "iam-policy-alarm", "AWS::NoValue": None}


def resolve_conditions(template, params):
    """{condition name: bool} for these parameter values (the rest at their defaults)."""
    values = {name: p.get("Default", "") for name, p in template.get("Parameters", {}).items()}
    values.update(params)
    for name, p in template.get("Parameters", {}).items():
        if p.get("Type") == "CommaDelimitedList" and isinstance(values[name], str):
            values[name] = values[name].split(",")
    conditions = template.get("Conditions", {})
    done = {}

    def value(e):
        if isinstance(e, dict):
            (fn, arg), = e.items()
            if fn == "Ref":
                return PSEUDO[arg] if arg in PSEUDO else values[arg]
            if fn == "Fn::Join":
                return arg[0].join(value(x) for x in as_list(value(arg[1])))
            if fn == "Fn::Split":
                return value(arg[1]).split(arg[0])
            if fn == "Fn::Select":
                return value(arg[1])[int(arg[0])]
            raise ValueError(f"condition function {fn} not understood")
        return e

    def cond(e):
        (fn, arg), = e.items()
        if fn in ("Condition", "Fn::Condition"):
            return condition(arg)
        if fn == "Fn::Equals":
            return value(arg[0]) == value(arg[1])
        if fn == "Fn::Not":
            return not cond(arg[0])
        if fn == "Fn::And":
            return all(cond(x) for x in arg)
        if fn == "Fn::Or":
            return any(cond(x) for x in arg)
        raise ValueError(f"condition function {fn} not understood")

    def condition(name):
        if name not in done:
            done[name] = cond(conditions[name])
        return done[name]

    return {name: condition(name) for name in conditions}


def role_statements(template, conditions=None):
    """(where, statement) for every Allow of every role and policy in a template."""
    found = []
    for name, res in template.get("Resources", {}).items():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::IAM::Role":
            for pol in as_list(props.get("Policies", [])):
                found += [(f"{name}/{pol.get('PolicyName')}", st) for st in statements(pol.get("PolicyDocument", {}), conditions)]
        elif res.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            found += [(name, st) for st in statements(props.get("PolicyDocument", {}), conditions)]
    return [(where, st) for where, st in found if st.get("Effect") == "Allow"]


def sub_text(value):
    """The text of an ARN as written: a literal, or Fn::Sub's string; None for a Ref."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub[0] if isinstance(sub, list) else sub
    return None


def arn_problems(stmts):
    """ARNs that name a partition literally, any account, another account, or any
    resource, where the statement is not allow-listed for it."""
    problems = []
    for where, st in stmts:
        sid = st.get("Sid", "")
        for res in as_list(st.get("Resource", [])):
            for b in branches(res):
                text = sub_text(b)
                if text is None or text == "*":
                    continue
                at = f"{where} {sid}: {text}"
                if not text.startswith("arn:${AWS::Partition}:"):
                    problems.append(f"{at}: the partition is not ${{AWS::Partition}}")
                # ${AWS::X} holds colons of its own: hide them before splitting the ARN.
                parts = re.sub(r"\$\{[^}]*\}", lambda m: m.group(0).replace(":", "."), text).split(":", 5)
                if len(parts) < 6:
                    problems.append(f"{at}: not an ARN")
                    continue
                account, resource = parts[4], parts[5]
                if account == "*" and sid not in ANY_ACCOUNT:
                    problems.append(f"{at}: any account")
                elif account not in ("*", "") and not account.startswith("${"):
                    problems.append(f"{at}: a literal account")
                if "*" in resource and sid not in ANY_RESOURCE:
                    problems.append(f"{at}: a wildcard resource")
    return problems


def alarm_write_problems(stmts, topics, own_topic=None):
    """An alarm write must name one alarm, carry only the owner tag, and notify only
    `topics` (Refs to this stack's alarm topic) or, with `own_topic`, the SNS topic of
    that name in the role's own account (a member's MemberAlarmTopicName)."""
    problems = []
    for where, st in stmts:
        actions = set(as_list(st.get("Action", [])))
        at = f"{where} {st.get('Sid', '')}"
        if actions & {"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:ListTagsForResource"}:
            for res in as_list(st.get("Resource", [])):
                for b in branches(res):
                    if not str(sub_text(b)).endswith(":alarm:${AlarmName}"):
                        problems.append(f"{at}: writes alarms other than ${{AlarmName}}: {b!r}")
        if "cloudwatch:TagResource" in actions and st.get("Condition") != OWNER_TAG_CONDITION:
            problems.append(f"{at}: tags other than the owner tag: {st.get('Condition')!r}")
        if "cloudwatch:PutMetricAlarm" in actions:
            cond = st.get("Condition", {})
            if cond.get("Null", {}).get("cloudwatch:AlarmActions") != "false":
                problems.append(f"{at}: an alarm without actions is allowed")
            allowed = [v for op in ("ForAllValues:StringEquals", "ForAllValues:StringLike")
                       for v in as_list(cond.get(op, {}).get("cloudwatch:AlarmActions", []))]
            if not allowed:
                problems.append(f"{at}: any alarm action is allowed")
            for v in allowed:
                for b in branches(v):
                    text = str(sub_text(b))
                    own = (own_topic is not None and text.startswith("arn:${AWS::Partition}:sns:")
                           and text.endswith(f":${{AWS::AccountId}}:{own_topic}"))
                    if not (isinstance(b, dict) and b.get("Ref") in topics) and not own:
                        problems.append(f"{at}: an alarm may notify {b!r}, not this stack's alarm topic")
    return problems


def assume_problems(stmts):
    problems = []
    for where, st in stmts:
        if "sts:AssumeRole" in as_list(st.get("Action", [])):
            org = st.get("Condition", {}).get("StringEquals", {}).get("aws:ResourceOrgID")
            if org != {"Ref": "OrganizationId"}:
                problems.append(f"{where} {st.get('Sid', '')}: sts:AssumeRole without aws:ResourceOrgID = OrganizationId")
    return problems


def key_use_problems(stmts):
    problems = []
    for where, st in stmts:
        if "kms:Decrypt" in as_list(st.get("Action", [])):
            via = st.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", [])
            texts = {sub_text(v) for v in as_list(via)}
            if texts != KEY_VIA_SERVICES:
                problems.append(f"{where} {st.get('Sid', '')}: the key may be used via {sorted(map(str, texts))}, not exactly {sorted(KEY_VIA_SERVICES)}")
    return problems


def resource_policy_problems(template):
    """Resource policies (queues, topics, keys, the event bus): an Allow to any
    principal must be held to the organization; one to a service, to a source."""
    problems = []
    for name, res in template.get("Resources", {}).items():
        props = res.get("Properties", {})
        docs = {
            "AWS::SQS::QueuePolicy": props.get("PolicyDocument"),
            "AWS::SNS::TopicPolicy": props.get("PolicyDocument"),
            "AWS::KMS::Key": props.get("KeyPolicy"),
            "AWS::Events::EventBusPolicy": {"Statement": props.get("Statement", [])},
        }
        if res.get("Type") not in docs:
            continue
        for st in statements(docs[res["Type"]] or {}):
            if st.get("Effect") != "Allow":
                continue
            principal = st.get("Principal")
            keys = {k for op in st.get("Condition", {}).values() if isinstance(op, dict) for k in op}
            anyone = principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS", [])))
            at = f"{name} {st.get('Sid', '')}"
            if anyone and "aws:PrincipalOrgID" not in keys:
                problems.append(f"{at}: open to any principal")
            if isinstance(principal, dict) and "Service" in principal and not keys & SOURCE_KEYS:
                problems.append(f"{at}: a service principal with no source condition (confused deputy)")
    return problems


def forged_record_problems(template):
    """The tamper queue must deny sqs:SendMessage to everyone but the tamper rule: an
    Allow for the rule does not stop a principal of this account whose own policy
    allows SendMessage on every queue."""
    res = template["Resources"].get("TamperQueuePolicy")
    if res is None:
        return []
    deny = [st for st in statements(res["Properties"]["PolicyDocument"])
            if st.get("Effect") == "Deny" and "sqs:SendMessage" in as_list(st.get("Action")) and st.get("Principal") == "*"]
    wanted = {"ArnNotEquals": {"aws:SourceArn": {"Fn::GetAtt": ["TamperRule", "Arn"]}}}
    if not any(st.get("Condition") == wanted for st in deny):
        return ["TamperQueuePolicy: no Deny of sqs:SendMessage to all but the tamper rule (a forged record could name anyone)"]
    return []


def key_loss_problems(template):
    """What must outlive the loss of the stack's key (DisableKey, ScheduleKeyDeletion,
    PutKeyPolicy) is not behind it: the queues that carry the tamper event of that very
    call and the failed runs, and the topic the stack's own alarms notify; an event
    EventBridge cannot deliver to the tamper queue goes to a dead-letter queue."""
    resources = template["Resources"]
    problems = []
    for name, res in resources.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::SQS::Queue" and "KmsMasterKeyId" in props:
            problems.append(f"{name}: a queue behind the stack's key (SQS-managed encryption outlives the key)")
        if res["Type"] == "AWS::CloudWatch::Alarm":
            for action in as_list(props.get("AlarmActions", [])):
                topic = resources.get(role_logical_id(action) or "", {})
                if "KmsMasterKeyId" in topic.get("Properties", {}):
                    problems.append(f"{name}: a self-alarm notifies {role_logical_id(action)}, a topic behind the stack's key")
    rule = resources.get("TamperRule")
    if rule is not None:
        for target in rule["Properties"]["Targets"]:
            if "DeadLetterConfig" not in target:
                problems.append(f"TamperRule target {target['Id']}: no dead-letter queue (an undelivered tamper event is lost)")
    return problems


AUDIT_ORGANIZATION = {"Mode": "audit", "Scope": "organization", "OrganizationId": "o-abc1234567",
                      "MemberRemediationRoleName": "iam-policy-alarm-remediate", "SecurityHub": "true",
                      "TamperDetection": "true", "Tracing": "false"}
REMEDIATE_ORGANIZATION = {**AUDIT_ORGANIZATION, "Mode": "remediate", "Tracing": "true"}


def policy_problems(template, member, calls):
    """Every guard of this file over a template pair, as one list of named problems."""
    problems = compare(calls, Grants(template))
    grants = Grants(template)
    problems += wildcard_problems(grants) + scoping_problems(grants)
    audit = Grants(template, resolve_conditions(template, AUDIT_ORGANIZATION))
    problems += audit_mode_problems(calls, audit)
    remediate = Grants(template, resolve_conditions(template, REMEDIATE_ORGANIZATION))
    problems += compare(calls, remediate)
    stmts = [(where, st) for where, st, key_policy in grants.allows() if not key_policy]
    member_stmts = role_statements(member)
    problems += arn_problems(stmts) + arn_problems(member_stmts)
    problems += alarm_write_problems(stmts, {"AlarmTopicArn", "Topic"}) + alarm_write_problems(member_stmts, set(), "${MemberAlarmTopicName}")
    problems += assume_problems(stmts) + key_use_problems(stmts)
    problems += resource_policy_problems(template) + resource_policy_problems(member)
    problems += forged_record_problems(template) + key_loss_problems(template)
    problems += wildcard_problems(_Statements(member_stmts)) + scoping_problems(_Statements(member_stmts))
    return problems


class _Statements:
    """The `allows()` of Grants over a plain list of (where, statement)."""

    def __init__(self, stmts):
        self.stmts = stmts

    def allows(self):
        for where, st in self.stmts:
            yield where, st, False


def _statement(template, resource, sid, key="PolicyDocument"):
    for st in as_list(template["Resources"][resource]["Properties"][key]["Statement"]):
        if isinstance(st, dict) and st.get("Sid") == sid:
            return st
    raise KeyError(f"{resource} has no statement {sid}")


def _member_statement(member, role, sid):
    for pol in member["Resources"][role]["Properties"]["Policies"]:
        for st in pol["PolicyDocument"]["Statement"]:
            if st.get("Sid") == sid:
                return st
    raise KeyError(f"{role} has no statement {sid}")


def _set(st, key, value):
    st[key] = value


# Widenings a review found the earlier checks let through: each must be a named problem.
# (name, mutate(template, member), a phrase of the problem it must raise)
MUTATIONS = [
    ("topics readable in any account, any partition",
     lambda t, m: _set(_statement(t, "FunctionPolicy", "ReadTopics"), "Resource", "arn:aws:sns:*:*:*"),
     "ReadTopics: arn:aws:sns:*:*:*: any account"),
    ("metric filters readable in any account",
     lambda t, m: _set(_statement(t, "FunctionPolicy", "ReadMetricFilters"), "Resource", "arn:aws:logs:*:*:*"),
     "ReadMetricFilters: arn:aws:logs:*:*:*: the partition is not"),
    ("findings imported into any product",
     lambda t, m: _set(_statement(t, "SecurityHubPolicy", "ImportFindings"), "Resource",
                       {"Fn::Sub": "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/*/*"}),
     "ImportFindings: arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/*/*: a wildcard resource"),
    ("an attacker's topic among the alarm's allowed actions",
     lambda t, m: _statement(t, "RemediationPolicy", "WriteTheAlarm")["Condition"]["ForAllValues:StringEquals"].update(
         {"cloudwatch:AlarmActions": [{"Ref": "Topic"}, "arn:aws:sns:us-east-1:666666666666:attacker"]}),
     "an alarm may notify 'arn:aws:sns:us-east-1:666666666666:attacker'"),
    ("member remediation assumed outside the organization",
     lambda t, m: _statement(t, "MemberRemediationPolicy", "AssumeTheMemberRemediationRole").pop("Condition"),
     "AssumeTheMemberRemediationRole: sts:AssumeRole without aws:ResourceOrgID"),
    ("member remediation assumable with Mode=audit",
     lambda t, m: t["Resources"]["MemberRemediationPolicy"].update({"Condition": "IsOrganization"}),
     "with Mode=audit MemberRemediationPolicy AssumeTheMemberRemediationRole grants sts:AssumeRole on the member remediation role"),
    ("PutMetricFilter on the function's own log group",
     lambda t, m: _statement(t, "FunctionPolicy", "WriteOwnLogs")["Action"].append("logs:PutMetricFilter"),
     "with Mode=audit FunctionPolicy WriteOwnLogs grants remediation's logs:PutMetricFilter"),
    ("the key used through other services",
     lambda t, m: _statement(t, "FunctionPolicy", "UseEncryptionKey")["Condition"]["StringEquals"].update(
         {"kms:ViaService": [{"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}, {"Fn::Sub": "lambda.${AWS::Region}.amazonaws.com"}]}),
     "UseEncryptionKey: the key may be used via"),
    ("a new role policy granting everything",
     lambda t, m: t["Resources"].update({"Backdoor": {"Type": "AWS::IAM::RolePolicy", "Properties": {
         "PolicyName": "x", "RoleName": {"Ref": "FunctionRole"},
         "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}}}),
     "Backdoor : wildcard action *"),
    ("the failure queue open to any principal",
     lambda t, m: _set(_statement(t, "FailureQueuePolicy", "ScheduleRuleDeadLetters"), "Principal", "*"),
     "FailureQueuePolicy ScheduleRuleDeadLetters: open to any principal"),
    ("the member remediation role writing any alarm",
     lambda t, m: _set(_member_statement(m, "RemediationRole", "WriteTheAlarm"), "Resource",
                       {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:*"}),
     "RemediationRole/iam-policy-alarm-remediate WriteTheAlarm: writes alarms other than ${AlarmName}"),
    ("anyone of the account putting records on the tamper queue",
     lambda t, m: t["Resources"]["TamperQueuePolicy"]["Properties"]["PolicyDocument"].update(
         {"Statement": [st for st in t["Resources"]["TamperQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
                        if st.get("Sid") != "OnlyTheTamperRuleSends"]}),
     "TamperQueuePolicy: no Deny of sqs:SendMessage to all but the tamper rule"),
    ("the member remediation role's alarm notifying any topic of its account",
     lambda t, m: _member_statement(m, "RemediationRole", "WriteTheAlarm")["Condition"]["ForAllValues:StringLike"].update(
         {"cloudwatch:AlarmActions": {"Fn::Sub": "arn:${AWS::Partition}:sns:*:${AWS::AccountId}:*"}}),
     "RemediationRole/iam-policy-alarm-remediate WriteTheAlarm: an alarm may notify"),
    ("the member remediation role writing any tag",
     lambda t, m: _member_statement(m, "RemediationRole", "TagTheAlarm")["Condition"].pop("ForAllValues:StringEquals"),
     "RemediationRole/iam-policy-alarm-remediate TagTheAlarm: tags other than the owner tag"),
    ("the tamper queue behind the stack's key",
     lambda t, m: t["Resources"]["TamperQueue"]["Properties"].update({"KmsMasterKeyId": {"Ref": "EncryptionKey"}}),
     "TamperQueue: a queue behind the stack's key"),
    ("a self-alarm notifying the encrypted alarm topic",
     lambda t, m: t["Resources"]["FunctionErrorsAlarm"]["Properties"].update({"AlarmActions": [{"Ref": "Topic"}]}),
     "FunctionErrorsAlarm: a self-alarm notifies Topic"),
    ("the tamper rule's target without a dead-letter queue",
     lambda t, m: t["Resources"]["TamperRule"]["Properties"]["Targets"][0].pop("DeadLetterConfig"),
     "TamperRule target tamper-queue: no dead-letter queue"),
]


# ---------------------------------------------------------------- the tests


class Args:
    template = TEMPLATE
    src = SRC


class IamPermissions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.template = load_template(Args.template)
        cls.grants = Grants(cls.template)
        cls.audit_grants = Grants(cls.template, resolve_conditions(cls.template, AUDIT_ORGANIZATION))
        cls.remediate_grants = Grants(cls.template, resolve_conditions(cls.template, REMEDIATE_ORGANIZATION))
        cls.fixture_calls = sdk_calls(FIXTURE_SRC)

    def assertNoProblems(self, problems):
        self.assertFalse(problems, "\n  " + "\n  ".join(problems))

    def test_fixture_reads_the_contracted_calls(self):
        self.assertEqual(
            set(self.fixture_calls),
            {
                "sts:GetCallerIdentity",
                "cloudtrail:DescribeTrails",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:LookupEvents",
                "logs:GetLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeMetricFilters",
                "logs:GetTransformer",
                "logs:PutMetricFilter",
                "cloudwatch:DescribeAlarmsForMetric",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListAlarmMuteRules",
                "cloudwatch:GetAlarmMuteRule",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutMetricAlarm",
                "logs:DescribeLogStreams",
                "logs:CreateLogStream",
                "sns:GetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:GetSubscriptionAttributes",
                "sns:Publish",
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "organizations:DescribeOrganization",
                "organizations:ListAccounts",
                "sts:AssumeRole",
                "securityhub:GetFindings",
                "securityhub:BatchImportFindings",
            },
        )

    def test_template_grants_exactly_the_fixture_calls(self):
        self.assertNoProblems(compare(self.fixture_calls, self.grants))

    def test_template_grants_exactly_the_src_calls(self):
        calls = sdk_calls(Args.src)
        self.assertTrue(calls, f"{Args.src} makes no AWS SDK call this test can see (see the convention above)")
        self.assertNoProblems(compare(calls, self.grants))

    def test_a_call_without_a_grant_fails(self):
        calls = dict(self.fixture_calls)
        calls.update(sdk_calls_in_text("async fn f() { self.logs\n  .delete_log_group()\n  .send().await; }"))
        problems = compare(calls, self.grants)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("code calls logs:DeleteLogGroup", problems[0])

    def test_a_grant_without_a_call_fails(self):
        calls = {k: v for k, v in self.fixture_calls.items() if k != "kms:GetKeyPolicy"}
        problems = compare(calls, self.grants)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("grants kms:GetKeyPolicy", problems[0])

    def test_comments_strings_and_non_operations_are_not_calls(self):
        text = '// logs.delete_log_group()\nlet s = "sns.publish()"; let c = logs.clone(); let q = \'"\'; kms.describe_key();'
        self.assertEqual(set(sdk_calls_in_text(text)), {"kms:DescribeKey"})

    def test_only_actions_without_resource_types_use_resource_star(self):
        self.assertNoProblems(scoping_problems(self.grants))

    def test_alarm_writes_are_scoped_to_the_alarm_name(self):
        for where, st, _ in self.grants.allows():
            if {"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:ListTagsForResource"} & set(as_list(st.get("Action"))):
                for res in as_list(st["Resource"]):
                    text = res.get("Fn::Sub", res) if isinstance(res, dict) else res
                    text = text[0] if isinstance(text, list) else text
                    self.assertTrue(str(text).endswith(":alarm:${AlarmName}"), f"{where}: {res}")

    def test_no_wildcard_actions_but_the_allow_listed(self):
        self.assertNoProblems(wildcard_problems(self.grants))

    def test_a_widened_action_or_resource_is_caught(self):
        import copy

        for widen in ("action", "resource"):
            t = copy.deepcopy(self.template)
            doc = t["Resources"]["FunctionPolicy"]["Properties"]["PolicyDocument"]
            read = next(st for st in doc["Statement"] if isinstance(st, dict) and st.get("Sid") == "ReadTopics")
            if widen == "action":
                read["Action"] = ["sns:*"]
                problems = wildcard_problems(Grants(t))
            else:
                read["Resource"] = "*"
                problems = scoping_problems(Grants(t))
            self.assertEqual(len(problems), 1, problems)

    def test_audit_mode_holds_no_write(self):
        self.assertNoProblems(audit_mode_problems(sdk_calls(Args.src), self.audit_grants))

    def test_remediate_mode_grants_exactly_the_src_calls(self):
        self.assertNoProblems(compare(sdk_calls(Args.src), self.remediate_grants))

    def test_the_alarm_write_names_exactly_the_alarm_topic(self):
        st = statement(self.remediate_grants, "WriteTheAlarm")
        self.assertIsNotNone(st)
        cond = st["Condition"]
        self.assertIn("cloudwatch:AlarmActions", cond["ForAllValues:StringEquals"])
        self.assertEqual(cond["Null"], {"cloudwatch:AlarmActions": "false"})
        region = st["Resource"]["Fn::Sub"]
        self.assertIn("${TopicRegion}", region[0], "the alarm's region is the topic's")
        tag = statement(self.remediate_grants, "TagTheAlarm")["Condition"]
        self.assertEqual(tag["ForAllValues:StringEquals"], {"aws:TagKeys": ["managed-by"]})
        self.assertEqual(tag["StringEquals"], {"aws:RequestTag/managed-by": "iam-policy-alarm"})

    def test_confused_deputy_conditions(self):
        resources = self.template["Resources"]
        key = [st for st in resources["EncryptionKey"]["Properties"]["KeyPolicy"]["Statement"] if st.get("Sid") == "CloudWatchAlarmsPublishToEncryptedTopic"][0]
        self.assertIn("aws:SourceAccount", key["Condition"]["StringEquals"])
        self.assertIn("aws:SourceArn", key["Condition"]["ArnLike"])
        topic = [st for st in resources["TopicPolicy"]["Properties"]["PolicyDocument"]["Statement"] if st.get("Sid") == "CloudWatchAlarmsPublish"][0]
        self.assertIn("aws:SourceAccount", topic["Condition"]["StringEquals"])
        self.assertIn("aws:SourceArn", topic["Condition"]["ArnLike"])
        use = statement(self.grants, "UseEncryptionKey")
        self.assertEqual(sub_text(use["Condition"]["StringEquals"]["kms:ViaService"]), "sns.${AWS::Region}.amazonaws.com")
        # One grant of the key to the role: the key policy names no role.
        self.assertFalse([st for st in self.grants.statements if st[2]], "the key policy grants the role too")

    def test_the_member_role_grants_exactly_the_audits_reads(self):
        grants, _ = member_role_statements(load_template(MEMBER_TEMPLATE))
        granted = {a for st in grants if st.get("Effect") == "Allow" for a in as_list(st["Action"])}
        reads = member_reads(Args.src)
        self.assertTrue(reads)
        self.assertEqual(granted, set(reads), f"grants without a read: {sorted(granted - set(reads))}; reads not granted: {sorted(set(reads) - granted)}")
        for st in grants:
            wide = [a for a in as_list(st["Action"]) if a not in NO_RESOURCE_LEVEL]
            self.assertFalse(st["Resource"] == "*" and wide, f"{st.get('Sid')}: Resource * for {wide}")
            self.assertFalse([a for a in as_list(st["Action"]) if "*" in a], st.get("Sid"))

    def test_the_member_remediation_role_grants_the_reads_and_remediations_writes(self):
        grants, trust = member_role_statements(load_template(MEMBER_TEMPLATE), "RemediationRole")
        granted = {a for st in grants if st.get("Effect") == "Allow" for a in as_list(st["Action"])}
        wanted = set(member_reads(Args.src)) | REMEDIATION_ONLY
        self.assertEqual(granted, wanted, f"extra: {sorted(granted - wanted)}; missing: {sorted(wanted - granted)}")
        write = [st for st in grants if st.get("Sid") == "WriteTheAlarm"][0]
        self.assertEqual(write["Condition"]["Null"], {"cloudwatch:AlarmActions": "false"})
        self.assertEqual(trust, member_role_statements(load_template(MEMBER_TEMPLATE))[1], "trusted like the audit role")

    def test_the_member_role_imports_only_its_own_accounts_findings(self):
        t = load_template(MEMBER_TEMPLATE)
        policy = t["Resources"]["AuditRoleSecurityHub"]
        self.assertEqual(policy["Condition"], "ImportsFindings")
        grants = list(statements(policy["Properties"]["PolicyDocument"]))
        granted = {a for st in grants for a in as_list(st["Action"])}
        imports = {a for a in sdk_calls(Args.src) if a.startswith("securityhub:")}
        self.assertEqual(granted, imports)
        for st in grants:
            self.assertIn("${AWS::AccountId}", st["Resource"]["Fn::Sub"], st)

    def test_the_member_role_trusts_only_the_auditor_within_the_organization(self):
        _, trust = member_role_statements(load_template(MEMBER_TEMPLATE))
        self.assertEqual(len(trust), 1, trust)
        cond = trust[0]["Condition"]
        self.assertEqual(cond["ArnEquals"], {"aws:PrincipalArn": {"Ref": "AuditorRoleArn"}})
        with_id, without = cond["StringEquals"]["Fn::If"][1:]
        self.assertEqual(without, {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}})
        self.assertEqual(with_id, {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}, "sts:ExternalId": {"Ref": "ExternalId"}})
        # The auditor may assume only that role name, only inside the organization.
        assume = statement(self.grants, "AssumeTheMemberRole")
        self.assertTrue(assume["Resource"]["Fn::Sub"].endswith(":role/${MemberRoleName}"), assume)
        self.assertEqual(assume["Condition"], {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}})

    def test_tamper_forwarding_puts_only_on_the_auditors_bus(self):
        # Not an SDK call of the function: EventBridge's, with this role, when the
        # member's rule forwards a change. Nothing else is granted, on nothing else.
        t = load_template(MEMBER_TEMPLATE)
        role = t["Resources"]["TamperForwardingRole"]
        self.assertEqual(role["Condition"], "ForwardsTamperEvents")
        props = role["Properties"]
        grants = [st for pol in props["Policies"] for st in statements(pol["PolicyDocument"])]
        self.assertEqual([as_list(st["Action"]) for st in grants], [["events:PutEvents"]])
        bus, names = grants[0]["Resource"]["Fn::Sub"]
        self.assertTrue(bus.endswith(":${AuditorAccount}:event-bus/default"), bus)
        self.assertIn("AuditorRoleArn", json.dumps(names))
        trust = props["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual([st["Principal"] for st in trust], [{"Service": "events.amazonaws.com"}])
        self.assertEqual(trust[0]["Condition"], {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}})
        rule = t["Resources"]["TamperForwardingRule"]["Properties"]
        self.assertEqual(rule["Targets"][0]["RoleArn"], {"Fn::GetAtt": ["TamperForwardingRole", "Arn"]})

    def test_tamper_events_come_only_from_the_rule_and_the_organization(self):
        r = self.template["Resources"]
        queue_policy = statements(r["TamperQueuePolicy"]["Properties"]["PolicyDocument"])
        sends = [st for st in queue_policy if st["Effect"] == "Allow"]
        self.assertEqual(len(sends), 1, sends)
        self.assertEqual(sends[0]["Principal"], {"Service": "events.amazonaws.com"})
        self.assertEqual(sends[0]["Condition"], {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["TamperRule", "Arn"]}}})
        self.assertNoProblems(forged_record_problems(self.template))
        bus = r["MemberTamperEventsPolicy"]
        self.assertEqual(bus["Condition"], "ReceivesMemberTamperEvents")
        st = bus["Properties"]["Statement"]
        self.assertEqual((st["Action"], st["Principal"]), ("events:PutEvents", "*"))
        self.assertEqual(st["Condition"], {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}})

    def test_every_guard_holds_on_the_templates(self):
        self.assertNoProblems(policy_problems(self.template, load_template(MEMBER_TEMPLATE), sdk_calls(Args.src)))

    def test_each_widening_is_caught_by_name(self):
        import copy

        member, calls = load_template(MEMBER_TEMPLATE), sdk_calls(Args.src)
        for name, mutate, expected in MUTATIONS:
            with self.subTest(name):
                t, m = copy.deepcopy(self.template), copy.deepcopy(member)
                mutate(t, m)
                problems = policy_problems(t, m, calls)
                self.assertTrue(any(expected in p for p in problems), f"{name}: expected a problem with {expected!r}, got {problems}")

    def test_environment_matches_fixture_reads_and_parameters(self):
        t = self.template
        self.assertNoProblems(env_problems(env_reads(FIXTURE_SRC), template_env(t), t.get("Parameters", {}), t.get("Resources", {})))

    def test_environment_matches_src_reads_and_parameters(self):
        t = self.template
        self.assertNoProblems(env_problems(env_reads(Args.src), template_env(t), t.get("Parameters", {}), t.get("Resources", {})))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--src", default=SRC)
    parser.add_argument("--template", default=TEMPLATE)
    args = parser.parse_args()
    Args.src, Args.template = args.src, args.template
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(IamPermissions)
    result = unittest.TextTestRunner(verbosity=2 if args.verbose else 1, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"iam_permissions: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
