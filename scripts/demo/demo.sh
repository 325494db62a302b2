#!/usr/bin/env bash
# make demo: the whole story on the embedded emulator, through the Lambda runtime.
# audit FAIL -> remediate dry run (the plan) -> remediate -> audit PASS -> every CIS
# monitoring rule (only this one's chain exists) -> the organization -> someone deletes the alarm, and CloudTrail's event of it re-audits
# (tamper detection), with the SNS findings messages each run published.
# Each step checks its own story (show.py --expect): the demo exits non-zero when
# one does not hold, or within seconds when the function cannot start.
set -euo pipefail
# shellcheck source=scripts/demo/runtime.sh
source "$(dirname "$0")/runtime.sh"
cd "$root"

echo "building the function (cargo build; the first build on a fresh clone takes several minutes)..."
build_function
start_emulator
seed_account
export ALARM_TOPIC_ARN FINDINGS_TOPIC_ARN
echo "seeded: an organization (this management account and two members); a logging multi-region organization trail -> log group CloudTrail/DefaultLogGroup; no metric filter, no alarm"
echo "starting the function behind cargo lambda's runtime API..."
start_function

step() { # title, event file, the story it must tell (show.py --expect)
    echo
    echo "== $1: cargo lambda invoke --data-file $2"
    invoke "$2" | "$venv/bin/python" scripts/demo/show.py --expect "$3"
    "$venv/bin/python" scripts/demo/show.py --inbox "$FINDINGS_QUEUE_URL"
}
step "1. audit" events/audit.json fail
step "2. remediate, dry run" events/remediate-dry-run.json plan
step "3. remediate" events/remediate.json remediated
step "4. audit again" events/schedule.json pass
step "4b. every rule of the CIS monitoring section, for this run ({\"rules\": [\"all\"]}): only the IAM rule's chain exists" events/audit-all-rules.json rules
step "5. audit the organization (the trail is an organization trail: its chain covers every member)" events/audit-organization.json organization-pass
echo
echo "== mallory deletes the alarm (cloudwatch delete-alarms)..."
"$venv/bin/python" -c "import boto3; import os; boto3.client('cloudwatch', region_name=os.environ['AWS_REGION']).delete_alarms(AlarmNames=['IAMAuthorizationActivityAlarm'])"
actor="$("$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["detail"]["userIdentity"]["arn"])' events/tamper-delete-alarms.json)"
step "6. ... and CloudTrail's event of it arrives (tamper detection)" events/tamper-delete-alarms.json "tamper-fail:$actor"
echo
echo "demo done: every step told its story (FAIL, the plan, remediated to PASS, PASS, the other 14 CIS monitoring rules FAIL, every account PASS, FAIL after a change claimed by $actor, unconfirmed: the emulator has no CloudTrail event history); emulator and function stopped."
