#!/usr/bin/env bash
# make invoke: the function under cargo lambda watch, on the emulator seeded as in the
# demo, invoked with each sample event in events/ (raw responses).
set -euo pipefail
# shellcheck source=scripts/emulator.sh
source "$(dirname "$0")/emulator.sh"
cd "$root"

start_emulator
eval "$(seed_account)"
export ALARM_TOPIC_ARN FINDINGS_TOPIC_ARN
start_function
for event in events/schedule.json events/audit.json events/remediate-dry-run.json events/remediate.json events/tamper-delete-alarms.json events/tamper-stop-logging.json; do
    echo "== cargo lambda invoke --data-file $event"
    invoke "$event"
    echo
done
