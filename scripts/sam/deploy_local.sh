#!/usr/bin/env bash
# Deploy a built SAM template to the moto emulator and assert what it created.
#
# Usage: scripts/sam/deploy_local.sh BUILT_TEMPLATE
#   BUILT_TEMPLATE: .aws-sam/build/template.yaml (from `sam build`) or
#   .aws-sam/prebuilt/template.yaml (from scripts/sam/stage_prebuilt.py).
# Environment (mk/sam.mk sets them): SAM_VENV (has sam, python+boto3),
# SAM_LOCAL_DIR (work dir). The emulator is scripts/emulator/emulator.py (moto from the
# project venv, without the CloudWatch bridge: CloudFormation needs none).
#
# Steps: start moto on a free loopback port (stopped on exit), make the
# artifact bucket, `sam package` the built template into it, translate the
# packaged SAM template to plain CloudFormation (moto does not expand the
# AWS::Serverless transform), `sam deploy` that with samconfig.toml's
# [emulator] settings, then scripts/sam/assert_stack.py checks the resources.
# Every wait is bounded; the whole run takes well under a minute.
set -euo pipefail

built=${1:?usage: $0 BUILT_TEMPLATE}
root=$(cd "$(dirname "$0")/../.." && pwd)
sam_venv=${SAM_VENV:-$root/.venv-sam}
work=${SAM_LOCAL_DIR:-$root/.aws-sam/emulator}
stack=iam-policy-alarm
bucket=sam-artifacts  # as in samconfig.toml [emulator.*]
region=us-east-1

[[ -f $built ]] || { echo "sam-deploy-local: $built not found (build it first)" >&2; exit 2; }
mkdir -p "$work"

# `localhost` (not 127.0.0.1) in the endpoint: moto reads path-style S3 template URLs
# only when the endpoint host is localhost.
"$root/.venv/bin/python" "$root/scripts/emulator/emulator.py" --no-bridge --url-host localhost --log-dir "$work" \
  >"$work/emulator.out" 2>"$work/emulator.err" &
moto_pid=$!
stop_moto() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
}
trap stop_moto EXIT
endpoint=""
for _ in $(seq 1 600); do
  endpoint=$(head -n 1 "$work/emulator.out")
  [[ -n $endpoint ]] && break
  kill -0 "$moto_pid" 2>/dev/null || { cat "$work/emulator.err" >&2; echo "sam-deploy-local: the emulator did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -n $endpoint ]] || { echo "sam-deploy-local: the emulator did not start within 60 s" >&2; exit 1; }

# Only the emulator: test credentials, no profile or config from the user's ~/.aws.
export AWS_ENDPOINT_URL=$endpoint
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=$region AWS_REGION=$region
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
export SAM_CLI_TELEMETRY=0

echo "sam-deploy-local: moto on $AWS_ENDPOINT_URL (pid $moto_pid)"

"$sam_venv/bin/python" -c "import boto3; boto3.client('s3').create_bucket(Bucket='$bucket')"

cd "$root"
timeout 120 "$sam_venv/bin/sam" package --config-file "$root/samconfig.toml" --config-env emulator \
  --template-file "$built" --output-template-file "$work/packaged.yaml" --no-progressbar
"$sam_venv/bin/python" scripts/sam/translate.py "$work/packaged.yaml" "$work/packaged-cfn.json"
timeout 300 "$sam_venv/bin/sam" deploy --config-file "$root/samconfig.toml" --config-env emulator \
  --template-file "$work/packaged-cfn.json" --no-progressbar --no-confirm-changeset

"$sam_venv/bin/python" scripts/sam/assert_stack.py "$stack" "$work/packaged-cfn.json"
if grep -q "not supported by moto's CloudFormation" "$work/moto-server.log"; then
  echo "sam-deploy-local: moto's own warnings:"
  grep -o "Tried to parse [A-Za-z:]* but it's not supported by moto's CloudFormation implementation" "$work/moto-server.log" | sort -u | sed 's/^/  /'
fi
