"""A counting HTTP(S) proxy in front of the moto server, for bench/run.py.

Every AWS API request that passes through is recorded with its service, region,
operation, and the monotonic times at which the request arrived and its response was
fully written. An optional fixed latency is added to each request (before it is
forwarded), which makes dependent round trips visible in wall time; or a latency model,
a latency per operation (AWS's STS AssumeRole is slower than a read). It can also
listen with TLS, so that a binary's first HTTPS handshake (aws-lc-rs or ring) is part
of what is timed.

Operation names are read the way AWS routes them: the X-Amz-Target header (JSON
protocols: CloudTrail, CloudWatch Logs, KMS), the Action parameter (query protocol:
STS, SNS, CloudWatch up to aws-sdk-cloudwatch 1.99), or the /service/X/operation/Op
path (Smithy RPC v2 CBOR); service and region come from the SigV4 credential scope.
"""

from __future__ import annotations

import http.client
import re
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
CBOR_PATH = re.compile(r"/service/[^/]+/operation/([^/?]+)")
ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")


def operation_of(method: str, path: str, headers, body: bytes) -> tuple[str, str, str]:
    """(service, region, operation) of one request."""
    service, region = "?", "?"
    m = SCOPE.search(headers.get("Authorization", ""))
    if m:
        region, service = m.group(1), m.group(2)
    target = headers.get("X-Amz-Target")
    if target:
        return service, region, target.rsplit(".", 1)[-1]
    m = CBOR_PATH.search(path)
    if m:
        return service, region, m.group(1)
    m = ACTION.search(body or b"")
    if m:
        return service, region, m.group(1).decode()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if "Action" in query:
        return service, region, query["Action"][0]
    return service, region, f"{method} {urllib.parse.urlsplit(path).path}"


class Proxy:
    """Listens on 127.0.0.1 (a free port), forwards to the emulator on upstream_port."""

    def __init__(self, upstream_port: int, tls: tuple[str, str] | None = None):
        self.upstream_port = upstream_port
        self.latency_s = 0.0
        # A latency model: seconds held per "service:Operation" (others: latency_s).
        self.latency_by_op: dict[str, float] = {}
        self.records: list[dict] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                start = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                service, region, op = operation_of(self.command, self.path, self.headers, body)
                delay = proxy.latency_by_op.get(f"{service}:{op}", proxy.latency_s)
                if delay:
                    time.sleep(delay)
                conn = getattr(self.server.local, "conn", None)
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                    self.server.local.conn = conn
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                    self.server.local.conn = conn
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                self.send_response_only(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                end = time.monotonic()
                with proxy.lock:
                    proxy.records.append(
                        {
                            "service": service,
                            "region": region,
                            "op": op,
                            "status": resp.status,
                            "start": start,
                            "end": end,
                        }
                    )

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        # Upstream connections are per handler thread (one per client connection).
        self.server.local = threading.local()
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Proxy":
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def take(self) -> list[dict]:
        """The records so far, cleared."""
        with self.lock:
            out, self.records = self.records, []
        return sorted(out, key=lambda r: r["start"])


def longest_chain(records: list[dict]) -> tuple[int, list[str]]:
    """The longest chain of calls each of which started only after the previous one's
    response had been fully sent: a dependent round trip sequence (an upper bound of
    the dependence; with injected latency, concurrent independent calls overlap)."""
    recs = sorted(records, key=lambda r: r["start"])
    best: list[tuple[int, int]] = []  # (length, predecessor index)
    for i, r in enumerate(recs):
        length, prev = 1, -1
        for j in range(i):
            if recs[j]["end"] <= r["start"] and best[j][0] + 1 > length:
                length, prev = best[j][0] + 1, j
        best.append((length, prev))
    if not best:
        return 0, []
    i = max(range(len(best)), key=lambda k: best[k][0])
    chain = []
    while i >= 0:
        chain.append(recs[i]["op"])
        i = best[i][1]
    return len(chain), chain[::-1]


def phases(records: list[dict]) -> list[list[str]]:
    """Calls grouped into waves of overlapping requests (a new wave starts when a call
    begins after every earlier call has ended)."""
    waves: list[list[str]] = []
    last_end = None
    for r in sorted(records, key=lambda r: r["start"]):
        if last_end is None or r["start"] >= last_end:
            waves.append([])
            last_end = r["end"]
        else:
            last_end = max(last_end, r["end"])
        waves[-1].append(r["op"])
    return waves
