"""Benchmark the sync against a local moto_server with a 20 ms round trip injected into every AWS call.

A botocore `before-send` hook sleeps `--rtt` ms before each HTTP request (retries included) and counts
requests per operation. Side by side, for each size:

- no-op: the sync (ListSecrets pages + BatchGetSecretValue batches) vs a naive GetSecretValue loop;
- changed: every value new in git; the sync at its default write rate (40/s, under Secrets Manager's
  50/s quota) and with no write limit, vs a naive GetSecretValue + PutSecretValue loop;
- several stages in several accounts in one run (`--stages`, moto accounts through assumed roles).

Set-up (creating the secrets) runs without the injected latency. Peak RSS is the process's so far.

    python bench/bench_sync.py [--sizes 1000 5000] [--multi 10000] [--stages 3] [--rtt 20] [--jobs 8]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pyrage
from botocore.config import Config

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from secrets_iac.sops import AgeIdentity  # noqa: E402
from secrets_iac.sync import RunReport, SyncOptions, sync_stages  # noqa: E402
from tests.fixtures.stages import bulk_sync_stage, write_sync_project  # noqa: E402

DEFAULT_ACCOUNT = "123456789012"  # moto's account for unknown credentials
KEY_ID = SECRET_KEY = "testing"
REGION = "eu-west-1"


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = Path(sys.executable).with_name("moto_server")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with opener.open(f"{url}/moto-api/data.json", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("moto_server did not start")


@dataclass
class Latency:
    """The before-send hook: `rtt` seconds of sleep and a count per operation."""

    rtt: float
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, client: Any) -> None:
        client.meta.events.register("before-send", self._before_send)

    def _before_send(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target")
        operation = (target.decode() if isinstance(target, bytes) else str(target or "sts")).rsplit(".", 1)[
            -1
        ]
        with self.lock:
            self.counts[operation] += 1
        if self.rtt:
            time.sleep(self.rtt)

    def take(self) -> Counter[str]:
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/bench-sync"


@dataclass
class Bench:
    url: str
    root: Path
    identity: AgeIdentity
    latency: Latency
    jobs: int

    def options(self, *, latency: bool = True, **kwargs: Any) -> SyncOptions:
        return SyncOptions(
            identities=[self.identity],
            endpoint_url=self.url,
            session=boto3.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET_KEY),
            max_workers=self.jobs,
            on_client=self.latency.hook if latency else None,
            **kwargs,
        )

    def stage(self, stack: str, secrets: int, seed: str, account: str = DEFAULT_ACCOUNT) -> list[str]:
        extra: dict[str, Any] = {"sync": {"roleArn": role(account)}} if account != DEFAULT_ACCOUNT else {}
        stage, values = bulk_sync_stage(secrets, account=account, seed=seed, **extra)
        write_sync_project(self.root, stack, stage, values, self.identity.recipient)
        return [f"secrets-iac/{stack}/{app}/{name}" for app, names in values.items() for name in names]

    def sync(self, stacks: list[str], **kwargs: Any) -> tuple[float, Counter[str], RunReport]:
        self.latency.take()
        start = time.perf_counter()
        report = sync_stages(self.root, stacks, self.options(**kwargs))
        elapsed = time.perf_counter() - start
        if report.has_errors:
            raise SystemExit(f"sync failed: {[s.error for s in report.stages]}")
        return elapsed, self.latency.take(), report

    def naive(self, names: list[str], action: Callable[[Any, str], None]) -> tuple[float, Counter[str]]:
        make: Any = boto3.client
        client = make(
            "secretsmanager",
            region_name=REGION,
            endpoint_url=self.url,
            config=Config(retries={"mode": "standard"}),
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET_KEY,
        )
        self.latency.hook(client)
        self.latency.take()
        start = time.perf_counter()
        for name in names:
            action(client, name)
        return time.perf_counter() - start, self.latency.take()


def calls_text(counts: Counter[str]) -> str:
    short = {
        "ListSecrets": "List",
        "BatchGetSecretValue": "Batch",
        "GetSecretValue": "Get",
        "PutSecretValue": "Put",
        "DescribeSecret": "Describe",
        "CreateSecret": "Create",
        "DeleteSecret": "Delete",
        "GetCallerIdentity": "Caller",
        "sts": "STS",
    }
    return " ".join(f"{short.get(op, op)} {n}" for op, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def row(label: str, seconds: float, counts: Counter[str], baseline: float | None) -> None:
    ratio = f"{baseline / seconds:6.1f}x" if baseline else "      -"
    total = sum(counts.values())
    print(f"  {label:34} {seconds:8.2f} s  {ratio}  {total:6} calls  ({calls_text(counts)})", flush=True)


def single_stage(bench: Bench, size: int) -> None:
    stack = f"s{size}"
    names = bench.stage(stack, size, "v1")
    bench.sync([stack], latency=False, create_missing=True, writes_per_second=0)
    print(f"{size} secrets, one stage (round trip {bench.latency.rtt * 1000:.0f} ms, {bench.jobs} jobs)")
    naive_s, naive_calls = bench.naive(names, lambda c, n: c.get_secret_value(SecretId=n))
    sync_s, sync_calls, report = bench.sync([stack])
    assert report.counts["unchanged"] == size
    row("no-op: naive GetSecretValue loop", naive_s, naive_calls, None)
    row("no-op: sync", sync_s, sync_calls, naive_s)

    def get_put(client: Any, name: str) -> None:
        client.get_secret_value(SecretId=name)
        client.put_secret_value(SecretId=name, SecretString=f"naive-{name}")

    changed = []
    for seed, label, rate in (
        ("v2", "changed: sync, 40 writes/s", 40.0),
        ("v3", "changed: sync, no write limit", 0.0),
    ):
        bench.stage(stack, size, seed)
        sync_s, sync_calls, report = bench.sync([stack], writes_per_second=rate)
        assert report.counts["updated"] == size, report.counts
        changed.append((label, sync_s, sync_calls))
    naive_s, naive_calls = bench.naive(names, get_put)  # last: its writes look like drift to the sync
    row("changed: naive Get+Put loop", naive_s, naive_calls, None)
    for label, sync_s, sync_calls in changed:
        row(label, sync_s, sync_calls, naive_s)
    print(f"  peak RSS so far: {peak_rss_mb():.0f} MB", flush=True)


def multi_stage(bench: Bench, total: int, stages: int) -> None:
    accounts = [f"{100000000000 + i * 111111111:012d}" for i in range(1, stages + 1)]
    stacks = [f"m{i}" for i in range(stages)]
    sizes = [total // stages + (1 if i < total % stages else 0) for i in range(stages)]
    for stack, size, account in zip(stacks, sizes, accounts, strict=True):
        bench.stage(stack, size, "v1", account)
    bench.sync(stacks, latency=False, create_missing=True, writes_per_second=0)
    print(f"{total} secrets in {stages} stages, {stages} accounts, one run")
    sync_s, sync_calls, report = bench.sync(stacks)
    assert report.counts["unchanged"] == total
    row("no-op: sync", sync_s, sync_calls, None)
    for stack, size, account in zip(stacks, sizes, accounts, strict=True):
        bench.stage(stack, size, "v2", account)
    sync_s, sync_calls, report = bench.sync(stacks)
    assert report.counts["updated"] == total
    row("changed: sync, 40 writes/s per account", sync_s, sync_calls, None)
    print(f"  peak RSS so far: {peak_rss_mb():.0f} MB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--multi", type=int, default=10000, help="secrets across --stages stages (0: skip)")
    parser.add_argument("--stages", type=int, default=3)
    parser.add_argument("--rtt", type=float, default=20.0, help="injected round trip, ms")
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = "127.0.0.1"
    identity = AgeIdentity.from_str(str(pyrage.x25519.Identity.generate()), "bench")
    process, url = start_moto()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
            bench = Bench(url, Path(tmp), identity, Latency(args.rtt / 1000), args.jobs)
            for size in args.sizes:
                single_stage(bench, size)
            if args.multi:
                multi_stage(bench, args.multi, args.stages)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
