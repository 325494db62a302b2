#!/usr/bin/env bash
# make demo: the whole story on the embedded emulator, through the Lambda runtime.
# audit FAIL -> remediate dry run (the plan) -> remediate -> audit PASS -> the
# organization -> someone deletes the alarm, and CloudTrail's event of it re-audits
# (tamper detection), with the SNS findings messages each run published.
set -euo pipefail
# shellcheck source=scripts/emulator.sh
source "$(dirname "$0")/emulator.sh"
cd "$root"

start_emulator
eval "$(seed_account)"
export ALARM_TOPIC_ARN FINDINGS_TOPIC_ARN
echo "seeded: an organization (this management account and two members); a logging multi-region organization trail -> log group CloudTrail/DefaultLogGroup; no metric filter, no alarm"
echo "building and starting the function under cargo lambda watch (first build takes a few minutes)..."
start_function

step() {
    echo
    echo "== $1: cargo lambda invoke --data-file $2"
    invoke "$2" | "$venv/bin/python" scripts/demo_show.py
    "$venv/bin/python" scripts/demo_show.py --inbox "$FINDINGS_QUEUE_URL"
}
step "1. audit" events/audit.json
step "2. remediate, dry run" events/remediate-dry-run.json
step "3. remediate" events/remediate.json
step "4. audit again" events/schedule.json
step "5. audit the organization (the trail is an organization trail: its chain covers every member)" events/audit-organization.json
echo
echo "== mallory deletes the alarm (cloudwatch delete-alarms)..."
"$venv/bin/python" -c "import boto3; import os; boto3.client('cloudwatch', region_name=os.environ['AWS_REGION']).delete_alarms(AlarmNames=['IAMAuthorizationActivityAlarm'])"
step "6. ... and CloudTrail's event of it arrives (tamper detection)" events/tamper-delete-alarms.json
echo
echo "demo done; emulator and function stopped."
