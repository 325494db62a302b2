#!/usr/bin/env bash
# make invoke: the function behind cargo lambda's runtime API, on the emulator seeded as in the
# demo, invoked with each sample event in events/ (raw responses).
set -euo pipefail
# shellcheck source=scripts/demo/runtime.sh
source "$(dirname "$0")/runtime.sh"
cd "$root"

build_function
start_emulator
seed_account
export ALARM_TOPIC_ARN FINDINGS_TOPIC_ARN
start_function
for event in events/schedule.json events/audit.json events/remediate-dry-run.json events/remediate.json events/tamper-delete-alarms.json events/tamper-stop-logging.json; do
    echo "== cargo lambda invoke --data-file $event"
    invoke "$event" || true
    echo
done
