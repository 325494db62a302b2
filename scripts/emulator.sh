# Sourced by demo.sh and invoke.sh: starts the moto server from the project venv on a
# free 127.0.0.1 port, seeds it, and stops everything on exit.
# shellcheck shell=bash
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_emulator() {
    local port
    port="$(free_port)"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
        sleep 0.1
    done
    # Fake credentials, the emulator's endpoint, and nothing from ~/.aws.
    export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    unset AWS_PROFILE AWS_SESSION_TOKEN
    echo "emulator: moto server on $AWS_ENDPOINT_URL"
}

# Prints KEY=VALUE lines (ALARM_TOPIC_ARN, FINDINGS_TOPIC_ARN, FINDINGS_QUEUE_URL) to eval.
seed_account() { "$venv/bin/python" "$root/scripts/demo_seed.py"; }

# Runs the function under cargo lambda watch (which builds it) on a free port.
start_function() {
    LAMBDA_PORT="$(free_port)"
    (cd "$root" && PATH="$venv/bin:$PATH" exec cargo lambda watch -A 127.0.0.1 -P "$LAMBDA_PORT" >"$root/target/lambda-watch.log" 2>&1) &
    pids+=($!)
    for _ in $(seq 600); do
        (echo >"/dev/tcp/127.0.0.1/$LAMBDA_PORT") 2>/dev/null && return 0
        sleep 0.5
    done
    echo "cargo lambda watch did not start; see target/lambda-watch.log" >&2
    return 1
}

invoke() {
    PATH="$venv/bin:$PATH" cargo lambda invoke -A 127.0.0.1 -P "$LAMBDA_PORT" --output-format json --data-file "$1"
}
