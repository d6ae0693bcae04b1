"""Shared test settings: where ../shared lives (one env var), skipping cleanly where it is absent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_ENV = "SECRETS_IAC_SHARED"

# Hypothesis: every run, on every machine, tests the same examples (a seed from each test's source, no
# example database), so CI on a fresh clone and ./scripts/test locally give the same verdict and never
# fail at random; no timing-based deadline or health check either. Look for new counterexamples on
# purpose with `pytest --hypothesis-profile=explore`: random examples on each run, failures kept in
# .hypothesis/ and replayed first next time; pin what it finds with @example.
settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True)
settings.load_profile("deterministic")


def shared_root() -> Path:
    """The read-only shared folder: $SECRETS_IAC_SHARED, default ../shared beside the checkout."""
    return Path(os.environ.get(SHARED_ENV, REPO_ROOT.parent / "shared")).resolve()


def shared_path(*parts: str) -> Path:
    """A path inside the shared folder, or skip the calling test with the reason."""
    path = shared_root().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (set {SHARED_ENV} to the shared folder with schemas, vectors, docs)")
    return path


# -----------------------------------------------------------------------------------------------------------
# moto server: a real `moto_server` process on loopback, for tests that talk to (fake) AWS over HTTP.
#
# IAM enforcement (moto 5.2.5, moto/core/authorization.py): moto counts requests and enforces IAM once
# `INITIAL_NO_AUTH_ACTION_COUNT` requests have been served. The server starts with the count at infinity
# (no enforcement); `MotoServer.enforce_iam()` POSTs a new count to `/moto-api/reset-auth`, which also zeroes
# the request counter, so enforcement starts exactly when a test says so, however many setup calls it made.
# Once enforced, only credentials moto knows (IAM users' access keys, assumed-role sessions) are accepted;
# the dummy root credentials are then rejected, so do the setup first.
# -----------------------------------------------------------------------------------------------------------

MOTO_REGION = "eu-west-1"
MOTO_ACCOUNT_ID = "123456789012"  # moto's default account for requests with unknown (dummy) credentials
MOTO_ROOT_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_LOOPBACK = "127.0.0.1"
# Loopback only: never route test traffic through a proxy from the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def moto_server_command() -> list[str]:
    """The real moto server: `moto_server` beside the running interpreter, else `python -m moto.server`."""
    exe = Path(sys.executable).with_name("moto_server")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A running moto server: its `endpoint_url`, boto3 clients for it, and its control API."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    region: str = MOTO_REGION
    account_id: str = MOTO_ACCOUNT_ID
    log_path: Path | None = field(default=None, repr=False)

    def client(self, service: str, **creds: Any) -> Any:
        """A boto3 client for `service` against this server. Default credentials are the dummy root ones;
        pass `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` (and optionally `region_name`)
        to act as an IAM user or assumed role. No retries, so AccessDenied surfaces immediately."""
        import boto3
        from botocore.config import Config

        kwargs: dict[str, Any] = {**MOTO_ROOT_CREDENTIALS, "region_name": self.region, **creds}
        make_client: Any = boto3.client  # any service name, not only the stubs' literal overloads
        return make_client(
            service,
            endpoint_url=self.endpoint_url,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, proxies={}),
            **kwargs,
        )

    def _post(self, path: str, body: bytes = b"") -> bytes:
        # text/plain: with urllib's default form content type the server would not see the raw body.
        request = urllib.request.Request(
            f"{self.endpoint_url}{path}", data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        with _NO_PROXY_OPENER.open(request, timeout=10) as response:
            return bytes(response.read())

    def enforce_iam(self, after_requests: int = 0) -> None:
        """Enforce IAM authentication and authorization from the next request on (or after N more)."""
        self._post("/moto-api/reset-auth", str(after_requests).encode())

    def disable_iam(self) -> None:
        """Stop enforcing IAM (moto's default)."""
        self._post("/moto-api/reset-auth", b"inf")

    def reset(self) -> None:
        """Forget every resource in every service and stop enforcing IAM."""
        self._post("/moto-api/reset")
        self.disable_iam()


def start_moto_server(command: Sequence[str] | None = None, *, timeout: float = 30.0) -> MotoServer:
    """Start `command` (default: the real moto_server) on 127.0.0.1 and a free port; wait until it answers.

    The command gets `-H 127.0.0.1 -p <port>` appended. Stop it with `stop_moto_server`.
    """
    base = list(command) if command is not None else moto_server_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # Enforcement is switched on per test through /moto-api/reset-auth.
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = "inf"
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probing and binding: retry
        port = _free_loopback_port()
        log = Path(tempfile.mkstemp(prefix="moto-server-", suffix=".log")[1])
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [*base, "-H", _LOOPBACK, "-p", str(port)], stdout=log_file, stderr=subprocess.STDOUT, env=env
            )
        server = MotoServer(endpoint_url=f"http://{_LOOPBACK}:{port}", process=process, log_path=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with _NO_PROXY_OPENER.open(f"{server.endpoint_url}/moto-api/data.json", timeout=1):
                    return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        stop_moto_server(server)
        last_error = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"moto server {base} did not become ready on {_LOOPBACK}: {last_error}")


def stop_moto_server(server: MotoServer) -> None:
    """Terminate the server process (kill after 10 s) and remove its log."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    if server.log_path is not None:
        server.log_path.unlink(missing_ok=True)


@contextmanager
def running_moto_server(command: list[str] | None = None) -> Iterator[MotoServer]:
    """A moto server for the duration of the block, stopped (and its log removed) afterwards."""
    server = start_moto_server(command)
    try:
        yield server
    finally:
        stop_moto_server(server)


@contextmanager
def emptied(server: MotoServer) -> Iterator[MotoServer]:
    """`server` emptied and with IAM enforcement off, before and after the block."""
    server.reset()
    yield server
    server.reset()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One real moto server for the whole session (IAM not enforced until `enforce_iam()`)."""
    with running_moto_server() as server:
        yield server


@pytest.fixture
def moto_fresh(moto_server: MotoServer) -> Iterator[MotoServer]:
    """The session moto server, emptied and with IAM enforcement off, before and after the test."""
    with emptied(moto_server) as server:
        yield server


SM_RESOURCE_SERVER = REPO_ROOT / "tests" / "aws" / "moto_sm_resource_server.py"


@pytest.fixture(scope="session")
def moto_sm_server() -> Iterator[MotoServer]:
    """A moto server whose Secrets Manager authorises against secret ARNs (see moto_sm_resource_server.py)."""
    with running_moto_server([sys.executable, str(SM_RESOURCE_SERVER)]) as server:
        yield server


@pytest.fixture
def moto_sm(moto_sm_server: MotoServer) -> Iterator[MotoServer]:
    """`moto_sm_server`, emptied and with IAM enforcement off, before and after the test."""
    with emptied(moto_sm_server) as server:
        yield server
