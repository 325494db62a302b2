"""The AWS API emulator, started one way for everyone: the demo, `make invoke`,
deploy-local, the benches and the Rust integration tests. moto server (the project
venv's) on a free 127.0.0.1 port and, unless --no-bridge, the harness's protocol bridge
in front of it (bridge.py: the SDK's CloudWatch CBOR requests, which moto does not
speak, turned into its JSON protocol; every other request passed through).

As a module:  with Emulator() as e: ... e.endpoint, e.env()
As a program: python scripts/emulator/emulator.py [--port P] [--no-bridge]
              [--url-host H] [--log-dir D]
  prints the endpoint (one line) once every part answers, then runs until it is
  terminated, or exits 2 with the last lines of a part's log when one dies. The parts
  die with it (PR_SET_PDEATHSIG), so a killed caller leaves nothing behind.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".venv", "bin")
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    # Linux: the child is killed when the process that started it goes away.
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def clean_env(endpoint: str, extra: dict | None = None) -> dict:
    """The environment of a process that must reach the emulator and nothing else:
    fake static credentials, its endpoint, nothing from ~/.aws."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_")
        and k not in ("MODE", "DRY_RUN", "FINDINGS_TOPIC_ARN", "ALARM_TOPIC_ARN", "RUST_LOG", "SSL_CERT_FILE")
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    env.update(extra or {})
    return env


class Emulator:
    """moto, and the bridge in front of it unless `bridge=False`. `endpoint` is what
    clients use; `url_host` names the host in it (deploy-local needs `localhost`:
    moto reads path-style S3 template URLs only for that host)."""

    def __init__(self, port: int | None = None, bridge: bool = True, url_host: str = "127.0.0.1",
                 log_dir: str | None = None):
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="iam-policy-alarm-emulator.")
        self.parts: list[tuple[str, subprocess.Popen, str]] = []
        moto_port = free_port() if bridge else (port or free_port())
        self._start("moto server", [os.path.join(VENV, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)])
        self.port = moto_port
        if bridge:
            self.port = port or free_port()
            self._start("protocol bridge", [os.path.join(VENV, "python"), os.path.join(ROOT, "scripts/emulator/bridge.py"),
                                            "--port", str(self.port), "--upstream", str(moto_port)])
        self.endpoint = f"http://{url_host}:{self.port}"
        self._await()

    def _start(self, name: str, command: list[str]):
        if not os.path.exists(command[0]):
            self.stop()
            raise RuntimeError(f"{command[0]} not found: install the project venv (make tools)")
        log = os.path.join(self.log_dir, name.replace(" ", "-") + ".log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self.parts.append((name, proc, log))

    def dead(self) -> str | None:
        """The first part that exited, with the last lines of its log."""
        for name, proc, log in self.parts:
            if proc.poll() is not None:
                with open(log, errors="replace") as f:
                    tail = "".join(f.readlines()[-20:])
                return f"the emulator's {name} exited (code {proc.returncode}); its last lines ({log}):\n{tail}"
        return None

    def _await(self, seconds: float = 60):
        # Through the bridge, when there is one: both answer.
        url = f"http://127.0.0.1:{self.port}/moto-api/"
        deadline = time.time() + seconds
        while True:
            dead = self.dead()
            if dead:
                self.stop()
                raise RuntimeError(dead)
            try:
                urllib.request.urlopen(url, timeout=2).read()
                # Something else may hold the port (it answered): then ours exits soon.
                time.sleep(0.3)
                dead = self.dead()
                if dead:
                    self.stop()
                    raise RuntimeError(f"{dead}(is 127.0.0.1:{self.port} taken?)")
                return
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"the emulator did not answer on 127.0.0.1:{self.port} within {seconds:.0f} s")
                time.sleep(0.1)

    def env(self, extra: dict | None = None) -> dict:
        return clean_env(self.endpoint, extra)

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")).read()

    def stop(self):
        for _, proc, _ in reversed(self.parts):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.parts = []

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, help="the endpoint's port (default: a free one)")
    ap.add_argument("--no-bridge", action="store_true", help="moto alone (no CloudWatch CBOR bridge)")
    ap.add_argument("--url-host", default="127.0.0.1", help="the host named in the printed endpoint")
    ap.add_argument("--log-dir", help="where the parts' logs go (default: a new temporary folder)")
    args = ap.parse_args()
    stop = False

    def terminate(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    try:
        emulator = Emulator(args.port, bridge=not args.no_bridge, url_host=args.url_host, log_dir=args.log_dir)
    except RuntimeError as e:
        print(f"emulator: {e}", file=sys.stderr)
        return 2
    print(emulator.endpoint, flush=True)
    while not stop:
        dead = emulator.dead()
        if dead:
            print(f"emulator: {dead}", file=sys.stderr)
            emulator.stop()
            return 2
        time.sleep(0.2)
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
