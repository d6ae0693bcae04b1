"""A loopback HTTP proxy in front of the moto server that breaks AWS calls on purpose.

boto3 clients point their `endpoint_url` at `FaultProxy.url`; every request is forwarded to moto
unless a `Fault` matching its operation (the `X-Amz-Target` of the JSON protocol, or STS's `Action`)
and, optionally, its secret says otherwise:

- `throttle` / `error500` / `denied`: answer 400 ThrottlingException / 500 InternalServiceError /
  400 AccessDeniedException without forwarding
  (`after_forward=True`: forward first, so the call took effect, then answer the error);
- `drop`: close the connection without an answer (before or after forwarding);
- `cut`: forward, then send only the first half of the body (with a matching Content-Length, the way a
  proxy that truncates does: botocore then parses an empty answer);
- `strip`: forward, then remove `fields` from the JSON answer (top level and entries of its lists);
- `outage(seconds)`: drop every connection for that long.

`rate` is the chance (seeded) a matching request is hit; `times` caps how many are. `counts` holds the
requests seen per operation. Test-only code: it sees plaintext request bodies, and never logs them.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

FaultKind = Literal["throttle", "error500", "denied", "drop", "cut", "strip"]


@dataclass
class Fault:
    kind: FaultKind
    operations: frozenset[str] | None = None
    """Operation names (`PutSecretValue`); None: every operation."""
    rate: float = 1.0
    secret: str | None = None
    """Only requests whose JSON body names this secret (SecretId, Name or in SecretIdList)."""
    after_forward: bool = False
    fields: tuple[str, ...] = ()
    times: int | None = None
    """Hit at most this many requests; None: no limit."""
    hits: int = 0


def _names_in(body: dict[str, Any]) -> set[str]:
    names = {body.get("SecretId"), body.get("Name"), *body.get("SecretIdList", [])}
    return {n for n in names if isinstance(n, str)}


def _strip(data: Any, fields: tuple[str, ...]) -> Any:
    if isinstance(data, dict):
        return {k: _strip(v, fields) for k, v in data.items() if k not in fields}
    if isinstance(data, list):
        return [_strip(item, fields) for item in data]
    return data


class FaultProxy:
    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._outage_until = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self._outage_until = 0.0
            self.counts.clear()

    def outage(self, seconds: float) -> None:
        with self._lock:
            self._outage_until = time.monotonic() + seconds

    def _pick(self, operation: str, body: dict[str, Any]) -> list[Fault]:
        """The faults that hit this request (at most one before and one after forwarding apply)."""
        with self._lock:
            self.counts[operation] += 1
            hit = []
            for fault in self.faults:
                if fault.operations is not None and operation not in fault.operations:
                    continue
                if fault.secret is not None and fault.secret not in _names_in(body):
                    continue
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                if self._random.random() < fault.rate:
                    fault.hits += 1
                    hit.append(fault)
            return hit

    def _in_outage(self) -> bool:
        with self._lock:
            return time.monotonic() < self._outage_until

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _drop(self) -> None:
                self.close_connection = True
                with suppress(OSError):
                    self.connection.shutdown(2)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in (
                        "content-length",
                        "connection",
                        "transfer-encoding",
                        "date",
                        "server",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, code: str, message: str) -> None:
                body = json.dumps({"__type": code, "message": message}).encode()
                self._send(status, {"Content-Type": "application/x-amz-json-1.1"}, body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                target = self.headers.get("X-Amz-Target", "")
                parsed: dict[str, Any] = {}
                if target:
                    operation = target.rsplit(".", 1)[-1]
                    try:
                        parsed = json.loads(raw or b"{}")
                    except ValueError:
                        parsed = {}
                else:
                    action = parse_qs(raw.decode(errors="replace")).get("Action", [""])[0]
                    operation = action or f"{self.command} {self.path}"
                if proxy._in_outage():
                    self._drop()
                    return
                faults = proxy._pick(operation, parsed)
                before = next(
                    (
                        f
                        for f in faults
                        if not f.after_forward and f.kind in ("throttle", "error500", "denied", "drop")
                    ),
                    None,
                )
                if before is not None:
                    if before.kind == "drop":
                        self._drop()
                    elif before.kind == "throttle":
                        self._error(400, "ThrottlingException", "Rate exceeded (injected)")
                    elif before.kind == "denied":
                        self._error(400, "AccessDeniedException", "not authorized (injected)")
                    else:
                        self._error(500, "InternalServiceError", "injected failure")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "host")}
                status, response_headers, body = proxy._forward(self.command, self.path, headers, raw)
                for fault in faults:
                    if fault.kind == "cut":
                        body = body[: len(body) // 2]
                    elif fault.kind == "strip" and body:
                        with suppress(ValueError):
                            body = json.dumps(_strip(json.loads(body), fault.fields)).encode()
                    elif fault.after_forward and fault.kind == "drop":
                        self._drop()
                        return
                    elif fault.after_forward and fault.kind == "error500":
                        self._error(
                            500, "InternalServiceError", "injected failure after the call took effect"
                        )
                        return
                    elif fault.after_forward and fault.kind == "throttle":
                        self._error(400, "ThrottlingException", "Rate exceeded (injected)")
                        return
                self._send(status, response_headers, body)

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

        return Handler


@contextmanager
def fault_proxy(upstream: str, *, seed: int = 0) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, seed=seed).start()
    try:
        yield proxy
    finally:
        proxy.stop()
