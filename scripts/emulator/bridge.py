"""A protocol bridge in front of the moto emulator (test harness, never the product).

From 1.100.0 aws-sdk-cloudwatch speaks Smithy RPC v2 CBOR (POST
/service/GraniteServiceVersion20100801/operation/<Op>, header smithy-protocol:
rpc-v2-cbor); moto 5.2.5 answers CloudWatch in awsQuery and in awsJson1_0 (what boto3
sends, with x-amzn-query-mode), not in CBOR. This server takes every request for the
emulator: a CloudWatch CBOR request is decoded, sent to moto as the same operation in
awsJson1_0, and moto's answer encoded back to CBOR (errors as `__type`/`message`, with
moto's x-amzn-query-error header, which the SDK reads for CloudWatch's awsQuery error
codes); everything else passes through unchanged. Timestamps, doubles and blobs are
converted by the operation's shapes in botocore's CloudWatch model.

Alarm mute rules: moto implements none of their operations, so no mute rule can exist
on the emulator; the bridge answers the two reads the audit makes with that state
(ListAlarmMuteRules: an empty list; GetAlarmMuteRule: ResourceNotFound) and leaves
PutAlarmMuteRule unimplemented, so nothing pretends to hold a rule. What the audit does
with mute rules is proven with aws-smithy-mocks and the pure tables.

    python scripts/emulator/bridge.py --port PORT --upstream UPSTREAM_PORT
"""
import argparse
import base64
import datetime
import http.client
import http.server
import json
import socketserver
import sys

import botocore.session
import cbor2

CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"
MODEL = botocore.session.get_session().get_service_model("cloudwatch")
# Hop-by-hop headers, and the ones recomputed for the new body.
DROPPED = {"host", "content-length", "connection", "transfer-encoding", "keep-alive", "content-type", "accept"}


def to_json(value, shape):
    """A decoded CBOR value -> what awsJson1_0 writes for `shape`."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: to_json(v, shape.members.get(k)) for k, v in value.items()}
    if kind == "list":
        return [to_json(v, shape.member) for v in value]
    if kind == "map":
        return {k: to_json(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        return value
    if kind == "blob":
        return base64.b64encode(value).decode()
    return value


def to_cbor(value, shape):
    """An awsJson1_0 value -> what RPC v2 CBOR carries for `shape`."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: to_cbor(v, shape.members.get(k)) for k, v in value.items() if k in shape.members}
    if kind == "list":
        return [to_cbor(v, shape.member) for v in value]
    if kind == "map":
        return {k: to_cbor(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, (int, float)):
            return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
        if isinstance(value, str):
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind == "blob":
        return base64.b64decode(value)
    return value


class Bridge(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = 0

    def log_message(self, *args):
        pass

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()  # the blank line after the last chunk
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            conn.close()

    def _reply(self, status, reason, headers, body):
        self.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        # A HEAD answer keeps the length moto gave (its body is empty).
        length = dict((k.lower(), v) for k, v in headers).get("content-length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        try:
            body = self._body()
            if self.command == "POST" and self.path.startswith(CBOR_PREFIX):
                return self._cloudwatch(self.path[len(CBOR_PREFIX):], body)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive", "transfer-encoding")
            }
            headers["Content-Length"] = str(len(body))
            self._reply(*self._forward(self.command, self.path, headers, body))
        except Exception as e:  # a bridge failure is an answer, never a dropped connection
            message = f"bridge: {type(e).__name__}: {e}".encode()
            self._reply(502, "Bad Gateway", [("Content-Type", "text/plain")], message)

    def _cloudwatch(self, name, body):
        if name == "ListAlarmMuteRules":
            return self._cbor(200, {"AlarmMuteRuleSummaries": []})
        if name == "GetAlarmMuteRule":
            return self._cbor(
                404,
                {"__type": "ResourceNotFoundException", "message": "the emulator holds no alarm mute rules"},
                [("x-amzn-query-error", "ResourceNotFoundException;Sender")],
            )
        try:
            operation = MODEL.operation_model(name)
        except Exception:
            return self._cbor(404, {"__type": "UnknownOperationException", "message": f"no operation {name}"})
        decoded = cbor2.loads(body) if body else {}
        params = to_json(decoded, operation.input_shape)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in DROPPED}
        headers.update(
            {
                "X-Amz-Target": f"GraniteServiceVersion20100801.{name}",
                "Content-Type": "application/x-amz-json-1.0",
                "x-amzn-query-mode": "true",
            }
        )
        status, _, answer_headers, answer = self._forward("POST", "/", headers, json.dumps(params).encode())
        try:
            parsed = json.loads(answer) if answer.strip() else {}
        except ValueError:
            parsed = None
        passed = [(k, v) for k, v in answer_headers if k.lower() in ("x-amzn-requestid", "x-amzn-query-error")]
        if status >= 300 or parsed is None:
            parsed = parsed or {}
            code = parsed.get("__type") or dict(answer_headers).get("x-amzn-query-error", "InternalFailure").split(";")[0]
            message = parsed.get("message") or parsed.get("Message") or answer.decode(errors="replace")[:500]
            return self._cbor(status if status >= 300 else 500, {"__type": code.split("#")[-1], "message": message}, passed)
        return self._cbor(status, to_cbor(parsed, operation.output_shape) or {}, passed)

    def _cbor(self, status, value, extra=()):
        body = cbor2.dumps(value, datetime_as_timestamp=True, timezone=datetime.timezone.utc)
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), *extra]
        self._reply(status, http.client.responses.get(status, ""), headers, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    a = ap.parse_args()
    Bridge.upstream = a.upstream
    server = Server(("127.0.0.1", a.port), Bridge)
    print(f"cloudwatch bridge on 127.0.0.1:{a.port} -> moto on 127.0.0.1:{a.upstream}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
