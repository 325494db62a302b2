"""The performance benchmark (run by `make bench-all`, see mk/bench.mk):
init time, memory, artifact size, API round trips, scale, and Prowler side by side,
all against a moto server it starts on 127.0.0.1. Writes the raw results as JSON,
the chart (bench/chart.py) and BENCHMARKS.md + target/bench/PERF-SECTION.md (bench/report.py).

Run with the project venv's Python (boto3 for seeding, moto_server):
    .venv/bin/python bench/run.py --out target/bench/results.json
Stages can be chosen with --stages (default: all).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "emulator"))

import proxy as proxylib  # noqa: E402
import seed as seedlib  # noqa: E402
from emulator import Emulator, clean_env  # noqa: E402

STAGES = ["size", "init", "audit", "roundtrips", "remediate", "rules_all", "prowler", "verdicts", "scale", "organization", "org_latency", "tamper"]
LATENCY_MS = 50
# The release build `make build` ships: aws-lc-rs, jitter entropy off (.cargo/config.toml).
SHIPPED = "aws-lc-rs, AWS_LC_SYS_NO_JITTER_ENTROPY=1 (shipped)"
PROWLER_CHECK = "cloudwatch_log_metric_filter_policy_changes"
SCALE_SIZES = [(20, 10), (20, 100), (100, 1000), (1000, 10000)]  # (filters, alarms)


def log(msg: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values):
    return {
        "n": len(values),
        "median": pct(values, 50),
        "p90": pct(values, 90),
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }


def timed(cmd: list[str], env: dict, cwd: str | None = None, timeout: int = 1800) -> dict:
    """One run under /usr/bin/time -v: wall time (measured here around the process,
    perf_counter) and peak RSS (time's 'Maximum resident set size') of the same run."""
    # Inside the repository's target/, like every other file the benchmark writes.
    scratch = os.path.join(ROOT, "target/bench")
    os.makedirs(scratch, exist_ok=True)
    with tempfile.NamedTemporaryFile("r", suffix=".time", dir=scratch) as tf:
        t0 = time.perf_counter()
        p = subprocess.run(
            ["/usr/bin/time", "-v", "-o", tf.name] + cmd, env=env, cwd=cwd, capture_output=True, timeout=timeout
        )
        wall = time.perf_counter() - t0
        report = tf.read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    return {
        "wall_ms": wall * 1000,
        "rss_kb": int(m.group(1)) if m else None,
        "code": p.returncode,
        "stdout": p.stdout.decode(errors="replace"),
        "stderr": p.stderr.decode(errors="replace"),
    }


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.results: dict = {"meta": self.meta(), "commands": {}}
        # The seeder reads the rule (events, canonical pattern) from the binary under test.
        os.environ["IAM_POLICY_ALARM_BIN"] = self.bin
        self.moto = Emulator()
        self.seed = seedlib.Seeder(self.moto.endpoint)
        self.proxy = proxylib.Proxy(self.moto.port).start()
        self.work = os.path.abspath(args.work)
        os.makedirs(self.work, exist_ok=True)

    # ---- environment -------------------------------------------------------------
    def meta(self) -> dict:
        cpu = "unknown"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        mem_gb = None
        try:
            for line in open("/proc/meminfo"):
                if line.startswith("MemTotal"):
                    mem_gb = round(int(line.split()[1]) / 1024 / 1024)
        except OSError:
            pass
        osname = "Linux"
        try:
            osname = dict(
                line.rstrip().split("=", 1) for line in open("/etc/os-release") if "=" in line
            ).get("PRETTY_NAME", "Linux").strip('"')
        except OSError:
            pass

        def version(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
            except Exception:
                return "unknown"

        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem_gb} GiB, {osname}, kernel {platform.release()}",
            "machine_short": f"{platform.machine()}, {os.cpu_count()} cores, {osname}",
            "loadavg_start": open("/proc/loadavg").read().split()[:3],
            "rustc": version(["rustc", "--version"]),
            "moto": version([os.path.join(ROOT, ".venv/bin/python"), "-c", "import moto; print(moto.__version__)"]),
            "prowler_version": None,
            "hyperfine": version(["hyperfine", "--version"]) if shutil.which("hyperfine") else None,
        }

    def env(self, extra=None, endpoint=None):
        return clean_env(endpoint or self.moto.endpoint, extra)

    def ours(self, args: list[str], extra=None, endpoint=None) -> dict:
        return timed([self.bin] + args, self.env(extra, endpoint))

    # ---- 1. size -----------------------------------------------------------------
    def stage_size(self):
        out = {}
        for arch, path in (("x86_64", self.args.zip_x86_64), ("arm64", self.args.zip_arm64)):
            if path and os.path.exists(path):
                with zipfile.ZipFile(path) as z:
                    info = z.getinfo("bootstrap")
                out[arch] = {"zip_bytes": os.path.getsize(path), "bootstrap_bytes": info.file_size, "path": os.path.relpath(path, ROOT)}
        out["variants"] = {}
        for name, path in self.variants().items():
            zpath = os.path.join(self.work, f"{name}.zip")
            with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                z.write(path, "bootstrap")
            out["variants"][name] = {"bootstrap_bytes": os.path.getsize(path), "zip_bytes_deflate9": os.path.getsize(zpath)}
        self.results["size"] = out

    def variants(self) -> dict:
        """name -> binary: the shipped build first, then those bench/variants.sh built."""
        found = {SHIPPED: self.bin}
        base = os.path.join(ROOT, "target/bench-variants")
        for name, label in (("jitter", "aws-lc-rs with jitter entropy (the crate's default)"), ("ring", "ring")):
            p = os.path.join(base, name, "bootstrap")
            if os.path.exists(p):
                found[label] = p
        return found

    # ---- 2. init ----------------------------------------------------------------
    def stub(self, binary: str, runs: int, invocations: int, env: dict, event: str | None = None) -> list[dict]:
        cmd = [self.args.stub, "--bin", binary, "--runs", str(runs), "--invocations", str(invocations)]
        for k, v in env.items():
            cmd += ["--env", f"{k}={v}"]
        if event:
            cmd += ["--event", event]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env={"PATH": os.environ.get("PATH", "")})
        if p.returncode != 0:
            raise RuntimeError(f"runtime-stub failed: {p.stderr}")
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]

    def lambda_env(self, endpoint: str, extra=None) -> dict:
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "MODE": "audit",
        }
        env.update(extra or {})
        return env

    def tls_setup(self) -> tuple[str, str, str]:
        """A throwaway CA and a certificate for 127.0.0.1, and a bundle = the system's
        roots + that CA (what the binary loads through SSL_CERT_FILE, as it would load
        the system roots on Lambda)."""
        d = os.path.join(self.work, "tls")
        os.makedirs(d, exist_ok=True)
        key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        if not os.path.exists(cert):
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=127.0.0.1",
                 "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext", "basicConstraints=critical,CA:FALSE",
                 "-keyout", key, "-out", cert],
                check=True, capture_output=True,
            )  # fmt: skip
        bundle = os.path.join(d, "bundle.pem")
        system = "/etc/ssl/certs/ca-certificates.crt"
        with open(bundle, "w") as f:
            if os.path.exists(system):
                f.write(open(system).read())
            f.write(open(cert).read())
        return key, cert, bundle

    def stage_init(self):
        runs = self.args.init_runs
        out = {"runs": runs, "variants": {}}
        self.seed.reset()
        self.seed.chain()
        key, cert, bundle = self.tls_setup()
        tls_proxy = proxylib.Proxy(self.moto.port, tls=(cert, key)).start()
        https = f"https://127.0.0.1:{tls_proxy.port}"
        try:
            for name, binary in self.variants().items():
                log(f"init: {name}")
                # Init only: the process is killed at its first poll for an event.
                init = self.stub(binary, runs, 0, self.lambda_env(self.moto.endpoint))
                # A cold start with one scheduled invocation over HTTPS (TLS proxy in front
                # of moto; roots from a bundle as large as the system's).
                cold = self.stub(binary, max(5, runs // 3), 1, self.lambda_env(https, {"SSL_CERT_FILE": bundle}))
                errors = [r for r in init + cold if r.get("error")]
                out["variants"][name] = {
                    "init_ms": summary([r["init_ms"] for r in init if r["init_ms"] is not None]),
                    "init_cpu_ms": summary([r["init_cpu_ms"] for r in init if r.get("init_cpu_ms") is not None]),
                    "init_rss_kb": summary([r["hwm_kb"] for r in init if r["hwm_kb"]]),
                    "https_cold": {
                        "init_ms": summary([r["init_ms"] for r in cold if r["init_ms"] is not None]),
                        "first_invoke_ms": summary([r["invoke_ms"][0] for r in cold if r["invoke_ms"]]),
                        "total_ms": summary([r["init_ms"] + r["invoke_ms"][0] for r in cold if r["invoke_ms"]]),
                        "outcome": cold[0]["outcomes"] if cold else None,
                    },
                    "errors": [r["error"] for r in errors][:3],
                }
            tls_proxy.take()
            # Warm invocations (the same process; Lambda reuses it while warm), plain HTTP.
            warm = self.stub(self.bin, 3, 5, self.lambda_env(self.moto.endpoint))
            out["lambda_mode"] = {
                "invoke_ms_first": summary([r["invoke_ms"][0] for r in warm if r["invoke_ms"]]),
                "invoke_ms_warm": summary([v for r in warm for v in r["invoke_ms"][1:]]),
                "peak_rss_kb_after_5": summary([r["hwm_kb"] for r in warm if r["hwm_kb"]]),
                "outcome": warm[0]["outcomes"][0] if warm and warm[0]["outcomes"] else None,
            }
        finally:
            tls_proxy.stop()
        self.results["init"] = out
        self.results["commands"]["init"] = (
            f"{os.path.relpath(self.args.stub, ROOT)} --bin BOOTSTRAP --runs {runs} --invocations 0 "
            "--env AWS_REGION=us-east-1 --env AWS_ACCESS_KEY_ID=testing ... (bench/run.py stage_init)"
        )

    # ---- 3. audit: wall time and peak RSS ---------------------------------------
    def stage_audit(self):
        self.seed.reset()
        self.seed.chain()
        runs = [self.ours(["audit", "--format", "json"]) for _ in range(self.args.runs)]
        self.check_verdict(runs[0], "PASS", "compliant audit")
        out = {
            "wall_ms": summary([r["wall_ms"] for r in runs]),
            "rss_kb": summary([r["rss_kb"] for r in runs]),
        }
        if shutil.which("hyperfine"):
            hf = os.path.join(self.work, "hyperfine-audit.json")
            cmd = f"{self.bin} audit --format json"
            subprocess.run(
                ["hyperfine", "-N", "--warmup", "3", "--runs", "30", "--export-json", hf, cmd],
                env=self.env(), capture_output=True, check=True,
            )  # fmt: skip
            h = json.load(open(hf))["results"][0]
            out["hyperfine"] = {k: h[k] * 1000 for k in ("mean", "stddev", "median", "min", "max")}
            self.results["commands"]["audit_hyperfine"] = (
                "hyperfine -N --warmup 3 --runs 30 'iam-policy-alarm audit --format json'"
            )
        out["emulator_call_ms"] = self.emulator_call_ms()
        self.results["audit"] = out
        self.results["commands"]["audit"] = "/usr/bin/time -v iam-policy-alarm audit --format json"
        self.results["commands"]["emulator_call"] = (
            "sts:GetCallerIdentity posted to moto 50 times, one connection each (bench/run.py emulator_call_ms)"
        )

    def emulator_call_ms(self, runs: int = 50) -> dict:
        """What one request costs the emulator by itself: a signed-looking STS
        GetCallerIdentity (moto does not check signatures) on a fresh connection, as our
        client sends them (moto closes each connection). The floor under any audit's wall
        time on the emulator is roughly its call count times this."""
        import http.client

        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=0",
        }
        body = "Action=GetCallerIdentity&Version=2011-06-15"
        times = []
        for i in range(runs + 5):
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.moto.port, timeout=10)
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                raise RuntimeError(f"emulator call: HTTP {response.status}")
            if i >= 5:  # the first calls warm moto's backend
                times.append((time.perf_counter() - t0) * 1000)
        return summary(times)

    def check_verdict(self, run: dict, expected: str, what: str):
        try:
            status = json.loads(run["stdout"])["status"]
        except (ValueError, KeyError):
            status = f"no report (exit {run['code']}): {run['stderr'][-400:]}"
        if status != expected:
            raise RuntimeError(f"{what}: expected {expected}, got {status}")

    # ---- 4. round trips -----------------------------------------------------------
    def counted(self, args, extra=None, latency_ms=0):
        self.proxy.latency_s = latency_ms / 1000
        self.proxy.take()
        run = self.ours(args, extra, endpoint=f"http://127.0.0.1:{self.proxy.port}")
        self.proxy.latency_s = 0
        records = self.proxy.take()
        return run, records

    @staticmethod
    def by_op(records):
        counts: dict[str, int] = {}
        for r in records:
            key = f"{r['service']}:{r['op']}"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def roundtrip_case(self, args, extra=None, repeat=3):
        plain = [self.counted(args, extra) for _ in range(repeat)]
        slow = [self.counted(args, extra, LATENCY_MS) for _ in range(repeat)]
        run0, rec0 = plain[0]
        chains = [proxylib.longest_chain(rec) for _, rec in slow]
        chain, chain_ops = max(chains, key=lambda c: c[0])
        wall0 = pct([r["wall_ms"] for r, _ in plain], 50)
        wallL = pct([r["wall_ms"] for r, _ in slow], 50)
        return {
            "calls": len(rec0),
            "by_op": self.by_op(rec0),
            "chain": chain,
            "chain_ops": chain_ops,
            "waves": proxylib.phases(slow[0][1]),
            "wall_ms_with_latency": wallL,
            "wall_ms_no_latency": wall0,
            "est_sequential_round_trips": (wallL - wall0) / LATENCY_MS,
            "status": (json.loads(run0["stdout"]) if run0["stdout"].strip().startswith("{") else {}).get("status"),
        }

    def stage_roundtrips(self):
        self.seed.reset()
        info = self.seed.chain()
        findings, _ = self.seed.topic_with_subscriber("us-east-1", "findings")
        out = {
            "compliant": self.roundtrip_case(["audit", "--format", "json"]),
            "compliant_publish": self.roundtrip_case(["audit", "--format", "json"], {"FINDINGS_TOPIC_ARN": findings}),
        }
        # A topic encrypted with a customer managed key (named by key id) adds DescribeKey ∥ GetKeyPolicy.
        kms = self.seed.client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        self.seed.client("sns").set_topic_attributes(TopicArn=info["topic"], AttributeName="KmsMasterKeyId", AttributeValue=key)
        out["compliant_kms_topic"] = self.roundtrip_case(["audit", "--format", "json"])
        self.results["roundtrips"] = out
        self.results["commands"]["roundtrips"] = (
            f"iam-policy-alarm audit --format json, through bench/proxy.py (counts calls), then again with {LATENCY_MS} ms added to each request"
        )

    # ---- 5. remediation -----------------------------------------------------------
    def stage_remediate(self):
        runs = []
        for i in range(max(3, self.args.runs // 3)):
            self.seed.reset()
            info = self.seed.remediable()
            extra = {"ALARM_TOPIC_ARN": info["alarm_topic"]}
            if i == 0:
                run, records = self.counted(["remediate", "--format", "json"], extra)
                calls, by_op = len(records), self.by_op(records)
            else:
                run = self.ours(["remediate", "--format", "json"], extra)
            self.check_verdict(run, "PASS", "remediation")
            runs.append(run)
        timed_runs = runs[1:]
        self.results["remediate"] = {
            "wall_ms": summary([r["wall_ms"] for r in timed_runs]),
            "rss_kb": summary([r["rss_kb"] for r in runs]),
            "calls": calls,
            "by_op": by_op,
        }
        self.results["commands"]["remediate"] = "ALARM_TOPIC_ARN=... /usr/bin/time -v iam-policy-alarm remediate --format json"

    # ---- 5b. every rule of the CIS monitoring section (RULES=all) ------------------
    def seed_every_rule(self) -> dict:
        """remediable(), then each rule's filter (its canonical pattern) and Sum >= 1
        alarm on the one topic: what `audit --rules all` passes on."""
        info = self.seed.remediable()
        rules = json.loads(subprocess.run([self.bin, "rule", "--rules", "all"], check=True, capture_output=True).stdout)
        logs, cw = self.seed.client("logs"), self.seed.client("cloudwatch")
        for r in rules:
            self.seed.metric_filter(logs, seedlib.LOG_GROUP, r["filter_name"], r["canonical_pattern"], r["metric_namespace"], r["metric_name"])
            self.seed.alarm(cw, r["alarm_name"], r["metric_namespace"], r["metric_name"], info["alarm_topic"])
        return {"alarm_topic": info["alarm_topic"], "rules": len(rules)}

    def stage_rules_all(self):
        """The same account judged for every rule: one read of the chain whatever the
        number of rules (calls and round trips against the one-rule audit of stage 3/4),
        and remediation of all of them from a bare trail."""
        args = ["audit", "--rules", "all", "--format", "json"]
        self.seed.reset()
        seeded = self.seed_every_rule()
        runs = [self.ours(args) for _ in range(self.args.runs)]
        self.check_verdict(runs[0], "PASS", "audit --rules all")
        audit = {
            "rules": seeded["rules"],
            "wall_ms": summary([r["wall_ms"] for r in runs]),
            "rss_kb": summary([r["rss_kb"] for r in runs]),
            "roundtrips": self.roundtrip_case(args),
        }
        remediation = []
        for i in range(3):
            self.seed.reset()
            info = self.seed.remediable()
            extra = {"ALARM_TOPIC_ARN": info["alarm_topic"]}
            if i == 0:
                run, records = self.counted(["remediate", "--rules", "all", "--format", "json"], extra)
                calls, by_op = len(records), self.by_op(records)
            else:
                run = self.ours(["remediate", "--rules", "all", "--format", "json"], extra)
            self.check_verdict(run, "PASS", "remediate --rules all")
            remediation.append(run)
        self.results["rules_all"] = {
            "audit": audit,
            "remediate": {
                "wall_ms": summary([r["wall_ms"] for r in remediation[1:]]),
                "rss_kb": summary([r["rss_kb"] for r in remediation]),
                "calls": calls,
                "by_op": by_op,
            },
        }
        self.results["commands"]["rules_all"] = (
            "/usr/bin/time -v iam-policy-alarm audit --rules all --format json (each rule's canonical chain seeded); "
            "ALARM_TOPIC_ARN=... iam-policy-alarm remediate --rules all --format json from a bare trail"
        )

    # ---- 6. Prowler ----------------------------------------------------------------
    def prowler(self, endpoint_port: int, tag: str, extra: list[str] | None = None) -> dict:
        outdir = os.path.join(self.work, "prowler", tag)
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        env = self.env(endpoint=f"http://localhost:{endpoint_port}")
        env.pop("AWS_REGION")
        cmd = [
            os.path.join(self.args.prowler_venv, "bin/prowler"), "aws",
            "--checks", PROWLER_CHECK, "-f", "us-east-1",
            "--output-formats", "csv", "--output-directory", outdir, "--output-filename", "out",
            "--no-banner", "--log-level", "INFO", "--ignore-exit-code-3",
        ] + (extra or [])  # fmt: skip
        started = time.time()
        run = timed(cmd, env, cwd=outdir)
        run["status"] = self.prowler_status(outdir)
        run["phases"] = self.prowler_phases(run["stderr"] + run["stdout"], started, run["wall_ms"])
        run["scan_ms"] = run["phases"].get("scan_ms")
        with open(os.path.join(outdir, "log.txt"), "w") as f:
            f.write(run["stdout"] + run["stderr"])
        return run

    @staticmethod
    def prowler_status(outdir: str) -> str | None:
        path = os.path.join(outdir, "out.csv")
        if not os.path.exists(path):
            return None
        import csv

        with open(path) as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        statuses = sorted({r.get("STATUS") for r in rows if r.get("CHECK_ID") == PROWLER_CHECK})
        return ",".join(s for s in statuses if s) or None

    @staticmethod
    def prowler_phases(text: str, started: float, wall_ms: float) -> dict:
        """Prowler's phases from its own log timestamps (local time, milliseconds):
        startup (process start -> its first log line: Python imports), provider (AWS
        session, credentials, Organizations, regions), scan (the check's service
        clients: first 'Found endpoint for cloudtrail' -> 'Extracting audit
        statistics'), outputs (-> process end)."""
        stamps = []
        for line in text.splitlines():
            m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ", line)
            if m:
                stamps.append((datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp(), line))
        if not stamps:
            return {}
        first = stamps[0][0]
        scan_start = next((t for t, line in stamps if "Found endpoint for cloudtrail" in line or "CLOUDTRAIL - Starting" in line), None)
        scan_end = next((t for t, line in stamps if "Extracting audit statistics" in line), None)
        end = started + wall_ms / 1000
        out = {"startup_ms": (first - started) * 1000}
        if scan_start:
            out["provider_ms"] = (scan_start - first) * 1000
        if scan_start and scan_end:
            out["scan_ms"] = (scan_end - scan_start) * 1000
            out["outputs_ms"] = (end - scan_end) * 1000
        return out

    def stage_prowler(self):
        self.results["meta"]["prowler_version"] = subprocess.run(
            [os.path.join(self.args.prowler_venv, "bin/prowler"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        self.seed.reset()
        self.seed.chain()
        # The first run goes through the counting proxy (its number of API calls) and
        # warms the file cache; the timed runs go straight to moto, like ours.
        self.proxy.take()
        counted = self.prowler(self.proxy.port, "compliant-counted")
        records = self.proxy.take()
        runs = [self.prowler(self.moto.port, f"compliant-{i}") for i in range(self.args.prowler_runs)]
        if runs[0]["status"] != "PASS":
            raise RuntimeError(f"Prowler did not pass the compliant account: {runs[0]['status']}\n{runs[0]['stderr'][-3000:]}")
        self.results["prowler"] = {
            "wall_ms": summary([r["wall_ms"] for r in runs]),
            "rss_kb": summary([r["rss_kb"] for r in runs]),
            "scan_ms": summary([r["scan_ms"] for r in runs if r["scan_ms"] is not None]),
            "phases_ms": {k: pct([r["phases"][k] for r in runs if k in r["phases"]], 50) for k in ("startup_ms", "provider_ms", "scan_ms", "outputs_ms")},
            "status": runs[0]["status"],
            "calls": len(records),
            "by_op": self.by_op(records),
            "counted_status": counted["status"],
        }
        self.results["commands"]["prowler"] = (
            f"/usr/bin/time -v prowler aws --checks {PROWLER_CHECK} -f us-east-1 --output-formats csv "
            "--no-banner --log-level INFO --ignore-exit-code-3  (AWS_ENDPOINT_URL=http://localhost:PORT, fake credentials)"
        )

    # ---- 6b. an organization ----------------------------------------------------------
    def stage_organization(self):
        """An emulated organization of --org-accounts accounts (the management account's
        organization trail complete, every member without a trail of its own) audited in
        one run: wall time, peak RSS, API calls per member; the emulator's own floor for
        those calls; and Prowler's way, one process per account (a few measured)."""
        n = self.args.org_accounts
        members = self.seed_organization(n)
        args = ["audit", "--organization", "--format", "json"]
        self.proxy.take()
        counted = self.ours(args, endpoint=f"http://127.0.0.1:{self.proxy.port}")
        records = self.proxy.take()
        report = json.loads(counted["stdout"])
        if report.get("status") != "PASS" or report["counts"]["PASS"] != n:
            raise RuntimeError(f"the organization audit did not pass every account: {report.get('summary')}\n{counted['stderr'][-2000:]}")
        runs = [self.ours(args) for _ in range(self.args.org_runs)]
        by_op = self.by_op(records)
        # A covered member costs its AssumeRole, GetCallerIdentity and DescribeTrails.
        member_ops = ("sts:AssumeRole", "sts:GetCallerIdentity", "cloudtrail:DescribeTrails")
        # Less the management account's own: GetCallerIdentity twice (who runs it, and its audit), DescribeTrails.
        per_member = sum(by_op.get(op, 0) for op in member_ops) - 3
        # The emulator's floor: the same number of calls, one after another, each as
        # cheap as moto can answer (GetCallerIdentity, the cheapest).
        sts = self.seed.client("sts")
        t0 = time.perf_counter()
        for _ in range(200):
            sts.get_caller_identity()
        per_call_ms = (time.perf_counter() - t0) * 1000 / 200
        out = {
            "accounts": n,
            "wall_ms": summary([r["wall_ms"] for r in runs]),
            "rss_kb": summary([r["rss_kb"] for r in runs]),
            "calls": len(records),
            "by_op": by_op,
            "calls_per_member": per_member / max(1, len(members)),
            "emulator_ms_per_call": per_call_ms,
            "emulator_floor_ms": len(records) * per_call_ms,
            "concurrency": 16,
        }
        prowler = os.path.join(self.args.prowler_venv, "bin/prowler")
        if os.path.exists(prowler) and self.args.org_prowler_accounts > 0:
            walls = []
            for member in members[: self.args.org_prowler_accounts]:
                run = self.prowler(self.moto.port, f"org-{member}", ["-R", f"arn:aws:iam::{member}:role/iam-policy-alarm-audit"])
                walls.append(run["wall_ms"])
            out["prowler_per_account_ms"] = summary(walls)
            out["prowler_extrapolated_ms"] = pct(walls, 50) * n
        self.results["organization"] = out
        self.results["commands"]["organization"] = (
            f"iam-policy-alarm audit --organization --format json, {n} accounts (moto Organizations; the management "
            "account's organization trail complete), under /usr/bin/time -v; Prowler: prowler aws -R <member role> "
            f"--checks {PROWLER_CHECK} per account, {self.args.org_prowler_accounts} measured, times {n}"
        )

    def seed_organization(self, n: int) -> list[str]:
        """An organization of n accounts whose management account's organization trail is
        complete (every member covered by it); the members' ids."""
        self.seed.reset()
        self.seed.chain()
        orgs = self.seed.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        for i in range(n - 1):
            orgs.create_account(AccountName=f"member-{i:04d}", Email=f"member-{i:04d}@example.com")
        cloudtrail = self.seed.client("cloudtrail")
        for trail in cloudtrail.describe_trails()["trailList"]:
            cloudtrail.update_trail(Name=trail["TrailARN"], IsOrganizationTrail=True)
        return [a["Id"] for p in orgs.get_paginator("list_accounts").paginate() for a in p["Accounts"] if a["Id"] != seedlib.ACCOUNT]

    # ---- 6c. an organization at AWS's latency -----------------------------------------
    def stage_org_latency(self):
        """The emulator answers in milliseconds; AWS does not. The organization of stage 6
        audited through a latency model on the proxy (sts:AssumeRole held
        --latency-assume-ms, every other call --latency-call-ms) at ACCOUNT_CONCURRENCY
        16 and 64, wall time and peak RSS; one account's remediation through the same
        model, plus one AssumeRole, as a member remediation's time (they run one after
        another). From them: how many accounts one invocation of --timeout-s audits, and
        how many member remediations it starts, given the deadline guard's reserves
        (--guard-audit-s, --guard-remediation-s: fleet::per_account_worst_case and
        per_remediation_worst_case, docs/failure-behaviour.md)."""
        a = self.args
        n = a.org_accounts
        self.seed_organization(n)
        endpoint = f"http://127.0.0.1:{self.proxy.port}"
        self.proxy.latency_by_op = {"sts:AssumeRole": a.latency_assume_ms / 1000}
        self.proxy.latency_s = a.latency_call_ms / 1000
        points = []
        try:
            for concurrency in (16, 64):
                self.proxy.take()
                run = self.ours(["audit", "--organization", "--format", "json"], {"ACCOUNT_CONCURRENCY": str(concurrency)}, endpoint=endpoint)
                calls = len(self.proxy.take())
                report = json.loads(run["stdout"])
                if report.get("status") != "PASS" or report["counts"]["PASS"] != n:
                    raise RuntimeError(f"the organization audit at concurrency {concurrency} did not pass every account: {report.get('summary')}\n{run['stderr'][-2000:]}")
                per_account_ms = run["wall_ms"] / n
                points.append({
                    "concurrency": concurrency,
                    "wall_ms": run["wall_ms"],
                    "rss_kb": run["rss_kb"],
                    "calls": calls,
                    "per_account_ms": per_account_ms,
                    # Accounts are started until the guard's reserve is all that is left.
                    "accounts_per_invocation": int((a.timeout_s - a.guard_audit_s) * 1000 / per_account_ms),
                })
                log(f"org latency: {n} accounts at concurrency {concurrency}: {run['wall_ms'] / 1000:.1f} s, {run['rss_kb'] / 1024:.0f} MB")
            self.seed.reset()
            info = self.seed.remediable()
            self.proxy.take()
            rem = self.ours(["remediate", "--format", "json"], {"ALARM_TOPIC_ARN": info["alarm_topic"]}, endpoint=endpoint)
            self.proxy.take()
            self.check_verdict(rem, "PASS", "remediation through the latency model")
        finally:
            self.proxy.latency_by_op = {}
            self.proxy.latency_s = 0
        member_remediation_ms = rem["wall_ms"] + a.latency_assume_ms
        window_s = a.timeout_s - a.guard_remediation_s
        self.results["org_latency"] = {
            "accounts": n,
            "latency_assume_ms": a.latency_assume_ms,
            "latency_call_ms": a.latency_call_ms,
            "points": points,
            "member_remediation_ms": member_remediation_ms,
            "timeout_s": a.timeout_s,
            "guard_audit_s": a.guard_audit_s,
            "guard_remediation_s": a.guard_remediation_s,
            # An organization remediation audits every account first (at the default
            # concurrency, 16), then remediates members one after another, each started
            # only while more than its reserve is left: within the first window_s seconds.
            "member_remediations_per_invocation": (
                int((window_s * 1000 - points[0]["wall_ms"]) / member_remediation_ms) + 1 if window_s * 1000 > points[0]["wall_ms"] else 0
            ),
        }
        self.results["commands"]["org_latency"] = (
            f"bench/run.py --stages org_latency: iam-policy-alarm audit --organization --format json, {n} accounts, "
            f"ACCOUNT_CONCURRENCY=16 and 64, through bench/proxy.py holding sts:AssumeRole {a.latency_assume_ms} ms and "
            f"every other call {a.latency_call_ms} ms; remediate --format json of one account through the same model"
        )

    # ---- 7. verdicts ------------------------------------------------------------------
    def stage_verdicts(self):
        rows = []
        if self.args.merge and os.path.exists(self.args.out):
            wanted = set(self.args.verdicts.split(","))
            rows = [v for v in json.load(open(self.args.out)).get("verdicts", []) if v["variant"] not in wanted]
        for name, (what, _) in seedlib.variants().items():
            if name not in self.args.verdicts.split(","):
                continue
            self.seed.reset()
            self.seed.chain(**seedlib.variants()[name][1])
            ours = self.ours(["audit", "--format", "json"])
            try:
                report = json.loads(ours["stdout"])
                links = report["trails"][0]["links"] if report.get("trails") else {}
                broken = [k for k in ("trail", "metric_filter", "alarm", "notification") if links.get(k, {}).get("status") not in ("PASS", None)]
                verdict = report["status"]
            except (ValueError, KeyError, IndexError):
                verdict, broken = f"exit {ours['code']}", []
            prowler = self.prowler(self.moto.port, f"verdict-{name}")
            rows.append({"variant": name, "what": what, "ours": verdict, "ours_broken": broken, "prowler": prowler["status"]})
            log(f"verdict {name}: ours {verdict} {broken}, prowler {prowler['status']}")
        order = list(seedlib.variants())
        self.results["verdicts"] = sorted(rows, key=lambda v: order.index(v["variant"]))

    # ---- 8. scale ------------------------------------------------------------------------
    def stage_scale(self):
        self.seed.reset()
        scale = seedlib.Scale(self.seed)
        t0 = time.perf_counter()
        scale.base()
        base_s = time.perf_counter() - t0
        points = []
        sizes = [tuple(int(x) for x in pair.split("/")) for pair in self.args.scale_sizes.split(",")]
        for filters, alarms in sizes:
            t0 = time.perf_counter()
            scale.grow(filters, alarms)
            seed_s = time.perf_counter() - t0 + (base_s if not points else 0)
            log(f"scale: {filters} filters, {alarms} alarms seeded in {seed_s:.1f} s")
            runs = [self.ours(["audit", "--format", "json"]) for _ in range(self.args.scale_runs)]
            self.check_verdict(runs[0], "PASS", f"scale {alarms}")
            counted_run, records = self.counted(["audit", "--format", "json"])
            point = {
                "filters": filters,
                "alarms": alarms,
                "log_groups": seedlib.LOG_GROUPS,
                "trails": len(seedlib.TRAIL_HOMES),
                "regions": len(seedlib.SCALE_REGIONS),
                "seed_s": seed_s,
                "ours": {
                    "wall_ms_median": pct([r["wall_ms"] for r in runs], 50),
                    "rss_kb_max": max(r["rss_kb"] for r in runs),
                    "calls": len(records),
                    "by_op": self.by_op(records),
                },
                # What a design that lists every alarm would need on AWS (DescribeAlarms
                # pages of 100), plus the same other calls: for the chart only.
                "listing_design_calls_on_aws": len([r for r in records if r["op"] != "DescribeAlarmsForMetric"])
                + sum(-(-scale.alarms_in(region) // 100) for region in seedlib.SCALE_REGIONS),
            }
            point["ours"]["wall_ms_counted"] = counted_run["wall_ms"]
            if not self.args.no_prowler_scale:
                # One Prowler run per size, through the counting proxy (as our counted run).
                self.proxy.take()
                p = self.prowler(self.proxy.port, f"scale-{alarms}")
                precords = self.proxy.take()
                point["prowler"] = {
                    "wall_ms": p["wall_ms"], "rss_kb": p["rss_kb"], "scan_ms": p["scan_ms"], "status": p["status"],
                    "calls": len(precords), "by_op": self.by_op(precords),
                }  # fmt: skip
            points.append(point)
        self.results["scale"] = {"points": points}
        self.results["commands"]["scale"] = "bench/seed.py Scale.grow(); iam-policy-alarm audit --format json (direct, and through bench/proxy.py)"

    # ---- 10. tamper: from the change to the findings message --------------------------
    def tamper_pattern(self, role_arn: str) -> dict:
        """template.yaml's TamperRule pattern, the function's role resolved."""
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        def tagged(loader, suffix, node):
            if isinstance(node, yaml.ScalarNode):
                return {"!" + suffix: loader.construct_scalar(node)}
            if isinstance(node, yaml.SequenceNode):
                return {"!" + suffix: loader.construct_sequence(node, deep=True)}
            return {"!" + suffix: loader.construct_mapping(node, deep=True)}

        Loader.add_multi_constructor("!", tagged)
        with open(os.path.join(ROOT, "template.yaml"), encoding="utf-8") as f:
            template = yaml.load(f, Loader=Loader)  # noqa: S506 - SafeLoader with the CloudFormation tags as data
        pattern = json.dumps(template["Resources"]["TamperRule"]["Properties"]["EventPattern"])
        return json.loads(pattern.replace(json.dumps({"!GetAtt": "FunctionRole.Arn"}), json.dumps(role_arn)))

    def stage_tamper(self):
        """The alarm deleted and CloudTrail's DeleteAlarms event put on the emulator's bus:
        through the template's own rule to the tamper queue, handed to the function (a
        cold start under the runtime stub) as the event source mapping hands a batch, to
        the findings message in a queue subscribed to the topic. On AWS, CloudTrail's
        delivery to EventBridge, the queue's delay and the batching window come on top."""
        runs = self.args.tamper_runs
        self.seed.reset()
        seeded = self.seed.chain()
        cw, sqs, events = self.seed.client("cloudwatch"), self.seed.client("sqs"), self.seed.client("events")
        cw.delete_alarms(AlarmNames=["IAMAuthorizationActivityAlarm"])
        role = f"arn:aws:iam::{seedlib.ACCOUNT}:role/iam-policy-alarm-FunctionRole-BENCH"
        queue = sqs.create_queue(QueueName="tamper")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tamper", EventPattern=json.dumps(self.tamper_pattern(role)))
        events.put_targets(Rule="tamper", Targets=[{"Id": "queue", "Arn": queue_arn}])
        inbox = sqs.get_queue_url(QueueName="iam-alarms-inbox")["QueueUrl"]
        sample = json.load(open(os.path.join(ROOT, "events/tamper-delete-alarms.json")))
        env = self.lambda_env(self.moto.endpoint, {"FINDINGS_TOPIC_ARN": seeded["topic"], "FUNCTION_ROLE_ARN": role})
        event_file = os.path.join(self.work, "tamper-sqs-event.json")

        def first(url, deadline_s=30):
            end = time.perf_counter() + deadline_s
            while time.perf_counter() < end:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
                if got:
                    for m in got:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    return got
                time.sleep(0.005)
            raise RuntimeError(f"nothing arrived in {url} within {deadline_s} s")

        rows = []
        for _ in range(runs):
            t0 = time.perf_counter()
            events.put_events(Entries=[{"Source": sample["source"], "DetailType": sample["detail-type"], "Detail": json.dumps(sample["detail"])}])
            delivered = first(queue)
            t_queue = time.perf_counter()
            records = [{"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"} for m in delivered]
            with open(event_file, "w") as f:
                json.dump({"Records": records}, f)
            stub = self.stub(self.bin, 1, 1, env, event_file)[0]
            t_function = time.perf_counter()
            message = json.loads(first(inbox)[0]["Body"])
            t1 = time.perf_counter()
            # The emulator has no CloudTrail event history: the caller stays unconfirmed.
            if not message.get("Subject", "").startswith("FAIL after DeleteAlarms (caller unconfirmed)"):
                raise RuntimeError(f"unexpected findings message: {message.get('Subject')}")
            rows.append({
                "put_to_queue_ms": (t_queue - t0) * 1000,
                "function_ms": (t_function - t_queue) * 1000,
                "init_ms": stub["init_ms"],
                "invoke_ms": stub["invoke_ms"][0] if stub["invoke_ms"] else None,
                "total_ms": (t1 - t0) * 1000,
            })  # fmt: skip
        self.results["tamper"] = {
            "runs": runs,
            "subject": message["Subject"],
            **{k: summary([r[k] for r in rows if r[k] is not None]) for k in rows[0]},
        }
        self.results["commands"]["tamper"] = (
            "PutEvents of events/tamper-delete-alarms.json -> template.yaml's TamperRule pattern (moto) -> SQS -> "
            f"{os.path.relpath(self.args.stub, ROOT)} --event <the SQS event> (cold start) -> the findings message "
            f"received from the topic's SQS subscriber; {runs} runs (bench/run.py stage_tamper)"
        )

    def run(self):
        try:
            for stage in self.args.stages.split(","):
                log(f"stage {stage}")
                t0 = time.perf_counter()
                getattr(self, f"stage_{stage}")()
                self.results.setdefault("stage_seconds", {})[stage] = round(time.perf_counter() - t0, 1)
                self.save()
        finally:
            self.proxy.stop()
            self.moto.stop()
        self.results["meta"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        self.save()

    def save(self):
        previous = {}
        if os.path.exists(self.args.out) and self.args.merge:
            previous = json.load(open(self.args.out))
        fresh = {k: v for k, v in self.results.items() if k not in ("commands", "stage_seconds")}
        if "meta" in previous:
            # A partial re-run: keep the main run's date and machine, and say what was redone when.
            meta = fresh.pop("meta")
            redone = previous["meta"].setdefault("rerun", {})
            for stage in self.args.stages.split(","):
                redone[stage] = meta["date"]
            if meta.get("prowler_version"):
                previous["meta"]["prowler_version"] = meta["prowler_version"]
        previous.update(fresh)
        for k in ("commands", "stage_seconds"):
            previous.setdefault(k, {}).update(self.results.get(k, {}))
        with open(self.args.out, "w") as f:
            json.dump(previous, f, indent=1, default=str)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the release x86_64 bootstrap")
    ap.add_argument("--zip-x86_64")
    ap.add_argument("--zip-arm64")
    ap.add_argument("--stub", required=True, help="bench/runtime-stub binary")
    ap.add_argument("--prowler-venv", default=os.path.join(ROOT, ".venv-prowler"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target/bench/results.json"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target/bench"))
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--merge", action="store_true", help="update an existing results file")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--init-runs", type=int, default=30)
    ap.add_argument("--prowler-runs", type=int, default=3)
    ap.add_argument("--scale-runs", type=int, default=5)
    ap.add_argument("--no-prowler-scale", action="store_true")
    ap.add_argument("--org-accounts", type=int, default=1000)
    ap.add_argument("--org-runs", type=int, default=3)
    ap.add_argument("--org-prowler-accounts", type=int, default=3)
    ap.add_argument("--latency-assume-ms", type=int, default=200, help="org_latency: sts:AssumeRole's latency")
    ap.add_argument("--latency-call-ms", type=int, default=40, help="org_latency: every other call's latency")
    ap.add_argument("--timeout-s", type=int, default=900, help="org_latency: the function's Timeout")
    ap.add_argument("--guard-audit-s", type=int, default=335, help="fleet::per_account_worst_case, in seconds")
    ap.add_argument("--guard-remediation-s", type=int, default=735, help="fleet::per_remediation_worst_case, in seconds")
    ap.add_argument("--tamper-runs", type=int, default=10)
    ap.add_argument("--verdicts", default="cis,quoted,wildcards,iam_scoped,and_joined,wrong_source,threshold_5,no_subscriber",
                    help="variants of bench/seed.py variants() audited by both tools")
    ap.add_argument("--scale-sizes", default=",".join(f"{f}/{a}" for f, a in SCALE_SIZES), help="filters/alarms,...")
    args = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    Bench(args).run()


if __name__ == "__main__":
    main()
