"""Makes the ring variant's source tree for bench/variants.sh: a copy of Cargo.toml,
Cargo.lock and src/ where the SDK crates drop `default-https-client` (which hard-codes
rustls + aws-lc-rs) and load_sdk_config() sets an aws-smithy-http-client built with
CryptoMode::Ring. Files are written only when their content changes."""

import os
import shutil
import sys

root, dst = sys.argv[1:]


def write(path, data: bytes):
    if os.path.exists(path) and open(path, "rb").read() == data:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


text = open(os.path.join(root, "Cargo.toml")).read()
deps, rest = text.split("[dev-dependencies]", 1)
n = deps.count('"default-https-client", ')
assert n >= 7, f"expected aws-config and the SDK crates with default-https-client, found {n}"
deps = deps.replace('"default-https-client", ', "")
deps += (
    "# bench variant: rustls with ring instead of the default aws-lc-rs\n"
    'aws-smithy-http-client = { version = "1.5", default-features = false, features = ["rustls-ring", "rt-tokio"] }\n\n'
)
manifest = deps + "[dev-dependencies]" + rest + "\n[workspace]\n"
# Only the binary is built: no benches, tests or examples (declared or auto-discovered).
kept, skip = [], False
for line in manifest.splitlines(keepends=True):
    if line.startswith("["):
        skip = line.strip() in ("[[bench]]", "[[test]]", "[[example]]")
    if not skip:
        kept.append(line)
manifest = "".join(kept)
manifest = manifest.replace("[package]", "[package]\nautobenches = false\nautotests = false\nautoexamples = false", 1)
write(os.path.join(dst, "Cargo.toml"), manifest.encode())

lock = open(os.path.join(root, "Cargo.lock"), "rb").read()
base = os.path.join(dst, "Cargo.lock.base")
if not os.path.exists(base) or open(base, "rb").read() != lock:
    write(os.path.join(dst, "Cargo.lock"), lock)
    write(base, lock)

needle = "aws_config::defaults(BehaviorVersion::latest())"
ring = (
    needle
    + "\n        .http_client(aws_smithy_http_client::Builder::new()"
    + ".tls_provider(aws_smithy_http_client::tls::Provider::Rustls("
    + "aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring)).build_https())"
)
seen = set()
for dirpath, _, files in os.walk(os.path.join(root, "src")):
    for name in files:
        rel = os.path.relpath(os.path.join(dirpath, name), root)
        seen.add(rel)
        data = open(os.path.join(root, rel), "rb").read()
        if rel == os.path.join("src", "collect", "clients.rs"):
            code = data.decode()
            assert needle in code, "load_sdk_config() changed: update bench/ring_copy.py"
            data = code.replace(needle, ring, 1).encode()
        write(os.path.join(dst, rel), data)
for dirpath, _, files in os.walk(os.path.join(dst, "src")):
    for name in files:
        rel = os.path.relpath(os.path.join(dirpath, name), dst)
        if rel not in seen:
            os.remove(os.path.join(dst, rel))
