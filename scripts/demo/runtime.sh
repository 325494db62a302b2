# Sourced by demo.sh and invoke.sh: starts the emulator (scripts/emulator/emulator.py:
# moto and the harness's protocol bridge), seeds it (seed.py), builds and serves the
# function through cargo lambda's runtime API, and stops everything on exit. Every file it writes lives in a folder it
# made itself ($work), so it works from a fresh clone (no target/ yet).
# shellcheck shell=bash
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv"
work="$(mktemp -d "${TMPDIR:-/tmp}/iam-policy-alarm-demo.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Stops the script: what failed, and the last lines of that process's log.
die_with_log() { # message, log file
    echo "$1; its last lines ($2):" >&2
    tail -n 20 "$2" | sed 's/^/    /' >&2
    exit 2
}

# Waits up to $3 seconds for 127.0.0.1:$2 to listen, while the process $1 lives.
await_port() { # pid, port, seconds; returns 1 when the process exited, 2 on timeout
    local tries=$(($3 * 10))
    for _ in $(seq "$tries"); do
        kill -0 "$1" 2>/dev/null || return 1
        (echo >"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    return 2
}

start_emulator() {
    local pid endpoint=""
    # scripts/emulator/emulator.py: moto and the protocol bridge, started as everyone
    # starts them; it prints the endpoint once both answer.
    "$venv/bin/python" "$root/scripts/emulator/emulator.py" --log-dir "$work" ${DEMO_EMULATOR_PORT:+--port "$DEMO_EMULATOR_PORT"} \
        >"$work/emulator.out" 2>"$work/emulator.err" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 600); do
        endpoint="$(head -n 1 "$work/emulator.out")"
        [ -n "$endpoint" ] && break
        kill -0 "$pid" 2>/dev/null || die_with_log "the emulator did not start" "$work/emulator.err"
        sleep 0.1
    done
    [ -n "$endpoint" ] || die_with_log "the emulator did not start within 60 s" "$work/emulator.err"
    # Fake credentials, the emulator's endpoint, and nothing from ~/.aws.
    export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    unset AWS_PROFILE AWS_SESSION_TOKEN
    echo "emulator: moto server on $AWS_ENDPOINT_URL"
}

# Sets ALARM_TOPIC_ARN, FINDINGS_TOPIC_ARN and FINDINGS_QUEUE_URL; stops the script when
# seeding fails (an `eval "$(...)"` would hide the failure).
seed_account() {
    local seeded
    seeded="$("$venv/bin/python" "$root/scripts/demo/seed.py")" || { echo "seeding the emulator failed" >&2; exit 2; }
    eval "$seeded"
}

# The debug binary, built with the integration tests' target so that its dependencies
# carry the same features as `make test`'s (the test-only features of dev-dependencies
# would otherwise rebuild the SDK crates there): `make test` after `make demo` reuses
# this build.
build_function() {
    (cd "$root" && cargo build --bin iam-policy-alarm --test it)
    function_bin="${CARGO_TARGET_DIR:-$root/target}/debug/iam-policy-alarm"
}

# Serves the built binary through cargo lambda's runtime API (--only-lambda-apis) on a
# free port; the function is our own child, so a start-up failure is seen at once.
start_function() {
    local watch_pid
    LAMBDA_PORT="${DEMO_LAMBDA_PORT:-$(free_port)}"
    PATH="$venv/bin:$PATH" cargo lambda watch --only-lambda-apis -A 127.0.0.1 -P "$LAMBDA_PORT" \
        >"$work/lambda-watch.log" 2>&1 &
    watch_pid=$!
    pids+=("$watch_pid")
    await_port "$watch_pid" "$LAMBDA_PORT" 30 \
        || die_with_log "cargo lambda's runtime API did not start on 127.0.0.1:$LAMBDA_PORT" "$work/lambda-watch.log"
    # Something else may hold the port: then cargo lambda exits soon after it opens.
    sleep 0.5
    kill -0 "$watch_pid" 2>/dev/null \
        || die_with_log "cargo lambda's runtime API exited (is 127.0.0.1:$LAMBDA_PORT taken?)" "$work/lambda-watch.log"
    emulator_pid=$watch_pid
    # With a path, the runtime client needs the scheme to parse it as a URI.
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$LAMBDA_PORT/.rt" AWS_LAMBDA_FUNCTION_NAME=iam-policy-alarm \
        AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
        "$function_bin" >/dev/null 2>"$work/function.log" &
    function_pid=$!
    pids+=("$function_pid")
    # A start-up failure (a bad setting, no runtime API) exits within a second.
    sleep 1
    function_alive
}

function_alive() {
    kill -0 "$function_pid" 2>/dev/null && return 0
    local code=0
    wait "$function_pid" 2>/dev/null || code=$?
    die_with_log "the function exited (code $code)" "$work/function.log"
}

# Invokes the function with a file's event and prints its answer; stops the script at
# once if the function dies meanwhile, and returns non-zero if the invocation failed.
invoke() {
    PATH="$venv/bin:$PATH" cargo lambda invoke -A 127.0.0.1 -P "$LAMBDA_PORT" --output-format json \
        --data-file "$1" >"$work/invoke.out" 2>"$work/invoke.err" &
    local invoke_pid=$! code=0
    while kill -0 "$invoke_pid" 2>/dev/null; do
        if ! kill -0 "$function_pid" 2>/dev/null; then
            kill "$invoke_pid" 2>/dev/null || true
            function_alive
        fi
        if ! kill -0 "$emulator_pid" 2>/dev/null; then
            kill "$invoke_pid" 2>/dev/null || true
            die_with_log "cargo lambda's runtime API exited" "$work/lambda-watch.log"
        fi
        sleep 0.1
    done
    wait "$invoke_pid" || code=$?
    cat "$work/invoke.out"
    if [ "$code" != 0 ]; then
        cat "$work/invoke.err" >&2
        echo "cargo lambda invoke --data-file $1 failed (code $code); the function's last log lines:" >&2
        tail -n 5 "$work/function.log" | sed 's/^/    /' >&2
        return "$code"
    fi
}
