#!/usr/bin/env bash
# Deploy a built SAM template to the moto emulator and assert what it created.
#
# Usage: scripts/sam-deploy-local.sh BUILT_TEMPLATE
#   BUILT_TEMPLATE: .aws-sam/build/template.yaml (from `sam build`) or
#   .aws-sam/prebuilt/template.yaml (from scripts/sam-stage-prebuilt.py).
# Environment (mk/sam.mk sets them): SAM_VENV (has sam, python+boto3),
# MOTO_SERVER (moto_server from the project venv), SAM_LOCAL_DIR (work dir).
#
# Steps: start moto on a free loopback port (stopped on exit), make the
# artifact bucket, `sam package` the built template into it, translate the
# packaged SAM template to plain CloudFormation (moto does not expand the
# AWS::Serverless transform), `sam deploy` that with samconfig.toml's
# [emulator] settings, then scripts/sam-assert-stack.py checks the resources.
# Every wait is bounded; the whole run takes well under a minute.
set -euo pipefail

built=${1:?usage: $0 BUILT_TEMPLATE}
root=$(cd "$(dirname "$0")/.." && pwd)
sam_venv=${SAM_VENV:-$root/.venv-sam}
moto_server=${MOTO_SERVER:-$root/.venv/bin/moto_server}
work=${SAM_LOCAL_DIR:-$root/.aws-sam/emulator}
stack=iam-policy-alarm
bucket=sam-artifacts  # as in samconfig.toml [emulator.*]
region=us-east-1

[[ -f $built ]] || { echo "sam-deploy-local: $built not found (build it first)" >&2; exit 2; }
[[ -x $moto_server ]] || { echo "sam-deploy-local: $moto_server not found; install the project venv (make tools)" >&2; exit 2; }
mkdir -p "$work"

port=$("$sam_venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
stop_moto() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
}
trap stop_moto EXIT

# Only the emulator: test credentials, no profile or config from the user's
# ~/.aws, and `localhost` (not 127.0.0.1) because moto reads path-style S3
# template URLs only when the endpoint host is localhost.
export AWS_ENDPOINT_URL=http://localhost:$port
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=$region AWS_REGION=$region
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
export SAM_CLI_TELEMETRY=0

for _ in $(seq 1 100); do
  if "$sam_venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log" >&2; echo "sam-deploy-local: moto exited" >&2; exit 1; }
  sleep 0.2
done
echo "sam-deploy-local: moto on $AWS_ENDPOINT_URL (pid $moto_pid)"

"$sam_venv/bin/python" -c "import boto3; boto3.client('s3').create_bucket(Bucket='$bucket')"

cd "$root"
timeout 120 "$sam_venv/bin/sam" package --config-file "$root/samconfig.toml" --config-env emulator \
  --template-file "$built" --output-template-file "$work/packaged.yaml" --no-progressbar
"$sam_venv/bin/python" scripts/sam-translate.py "$work/packaged.yaml" "$work/packaged-cfn.json"
timeout 300 "$sam_venv/bin/sam" deploy --config-file "$root/samconfig.toml" --config-env emulator \
  --template-file "$work/packaged-cfn.json" --no-progressbar --no-confirm-changeset

"$sam_venv/bin/python" scripts/sam-assert-stack.py "$stack" "$work/packaged-cfn.json"
if grep -q "not supported by moto's CloudFormation" "$work/moto.log"; then
  echo "sam-deploy-local: moto's own warnings:"
  grep -o "Tried to parse [A-Za-z:]* but it's not supported by moto's CloudFormation implementation" "$work/moto.log" | sort -u | sed 's/^/  /'
fi
