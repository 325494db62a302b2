#!/usr/bin/env bash
# Usage: fuzz/run.sh [SECONDS]     (default 60)
#
# Builds fuzz_targets/parse_and_match.rs with the instrumentation cargo-fuzz
# uses (libFuzzer + SanitizerCoverage, AddressSanitizer when it works here) on
# the installed nightly toolchain, then runs it for SECONDS over the seed corpus.
# Set FUZZ_ASAN=0 to build without AddressSanitizer. Extra arguments after
# SECONDS go to libFuzzer (e.g. -jobs=2).
# Crashes land in fuzz/artifacts/; the growing corpus in fuzz/corpus/.
set -euo pipefail

secs="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

target="$(rustc +nightly -vV | sed -n 's/^host: //p')"
flags="-Cpasses=sancov-module"
flags+=" -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares"
flags+=" --cfg fuzzing -Cdebug-assertions -Coverflow-checks"

asan_works() {
    local dir ok=1
    dir="$(mktemp -d)"
    echo 'fn main() { let v = vec![1u8]; assert_eq!(v[0], 1); }' >"$dir/probe.rs"
    if rustc +nightly -Zsanitizer=address --target "$target" -o "$dir/probe" "$dir/probe.rs" >/dev/null 2>&1 \
        && "$dir/probe" >/dev/null 2>&1; then
        ok=0
    fi
    rm -rf "$dir"
    return "$ok"
}
if [ "${FUZZ_ASAN:-1}" != 0 ] && asan_works; then
    flags+=" -Zsanitizer=address"
    echo "run.sh: AddressSanitizer on"
else
    echo "run.sh: AddressSanitizer off"
fi

# Same dependency versions as the main crate.
if [ ! -f Cargo.lock ] && [ -f ../Cargo.lock ]; then
    cp ../Cargo.lock Cargo.lock
fi

# --target keeps the instrumentation off build scripts and proc macros.
RUSTFLAGS="$flags" cargo +nightly build --release --target "$target" --bin parse_and_match

mkdir -p corpus/parse_and_match artifacts
exec "target/$target/release/parse_and_match" \
    -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$here/artifacts/" -print_final_stats=1 \
    "$@" corpus/parse_and_match seeds
