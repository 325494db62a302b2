#!/usr/bin/env bash
# Builds the TLS variants of the release x86_64 bootstrap that bench/run.py compares
# with the shipped build (rustls + aws-lc-rs, the SDK's default-https-client, aws-lc-sys
# built with AWS_LC_SYS_NO_JITTER_ENTROPY=1 by .cargo/config.toml):
#   jitter    the same with aws-lc's CPU jitter entropy source (the crate's default:
#             AWS_LC_SYS_NO_JITTER_ENTROPY=0, which overrides the [env] setting)
#   ring      rustls + ring: a copy of the crate whose SDK crates drop
#             default-https-client and whose load_sdk_config() sets an
#             aws-smithy-http-client built with CryptoMode::Ring (the SDK's default
#             client hard-codes aws-lc-rs, so ring needs this code change)
# Each in its own target dir under target/bench-variants/ (a full release build each,
# ~10-15 min on 2 cores; a rebuild with nothing changed takes seconds).
# Usage: bench/variants.sh [jitter] [ring]   (default: both)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
out="$root/target/bench-variants"
mkdir -p "$out"
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(jitter ring)

build() { # name, source dir
    local name="$1" src="$2"
    (cd "$src" && CARGO_TARGET_DIR="$out/$name/target" cargo lambda build --release --x86-64 \
        --bin iam-policy-alarm --output-format zip --lambda-dir "$out/$name/lambda")
    cp "$out/$name/target/x86_64-unknown-linux-gnu/release/iam-policy-alarm" "$out/$name/bootstrap"
}

for v in "${variants[@]}"; do
    case "$v" in
    jitter)
        AWS_LC_SYS_NO_JITTER_ENTROPY=0 build jitter "$root"
        ;;
    ring)
        src="$out/ring/src-copy"
        # A patched copy; files are rewritten only when their content changes, so an
        # unchanged tree does not rebuild.
        python3 "$root/bench/ring_copy.py" "$root" "$src"
        build ring "$src"
        if (cd "$src" && CARGO_TARGET_DIR="$out/ring/target" cargo tree -e normal --target x86_64-unknown-linux-gnu -i aws-lc-sys 2>/dev/null) | grep -q '^aws-lc-sys v'; then
            echo "warning: the ring variant still links aws-lc-sys" >&2
        fi
        ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
    esac
done
ls -l "$out"/*/bootstrap
