"""Benchmark the in-process sync against a local moto_server: N secrets reconciled twice.

The first run creates every secret (--create-missing) and writes its value; the second is the
idempotent rerun (DescribeSecret + GetSecretValue per secret, no write). Prints seconds for both.

    python bench/bench_sync.py [--secrets 500] [--jobs 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyrage
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from secrets_iac.sops import AgeIdentity, encrypt_file  # noqa: E402
from secrets_iac.sync import SyncOptions, make_clients, sync_stage  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account
PER_APP = 50


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


def write_project(root: Path, secrets: int, identity: AgeIdentity) -> None:
    apps: list[dict[str, object]] = []
    values: dict[str, dict[str, object]] = {}
    for index in range(secrets):
        app = f"app{index // PER_APP}"
        if not apps or apps[-1]["name"] != app:
            apps.append({"name": app, "namespace": f"{app}-bench", "secrets": []})
            values[app] = {}
        name = f"secret{index % PER_APP}"
        apps[-1]["secrets"].append({"name": name})  # type: ignore[attr-defined]
        values[app][name] = (
            {"username": f"user{index}", "password": os.urandom(12).hex()}
            if index % 2
            else os.urandom(16).hex()
        )
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/BENCH0123456789"
    stack = {
        "config": {
            "aws:region": "eu-west-1",
            "secrets-iac:region": "eu-west-1",
            "secrets-iac:accountId": ACCOUNT,
            "secrets-iac:cluster": {
                "name": "bench",
                "oidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}",
                "oidcIssuerUrl": f"https://{issuer}",
            },
            "secrets-iac:store": {"kind": "ClusterSecretStore", "auth": "irsa"},
            "secrets-iac:apps": apps,
        }
    }
    (root / "stacks" / "secrets").mkdir(parents=True)
    (root / "stacks" / "Pulumi.bench.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    secrets_file = root / "stacks" / "secrets" / "bench.enc.yaml"
    plain = yaml.safe_dump(values, sort_keys=False).encode()
    secrets_file.write_bytes(encrypt_file(secrets_file, recipients=[identity.recipient], data=plain))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--secrets", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        os.environ[name] = value
    os.environ["NO_PROXY"] = "127.0.0.1"
    identity = AgeIdentity.from_str(str(pyrage.x25519.Identity.generate()), "bench")
    process, url = start_moto()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
            root = Path(tmp)
            write_project(root, args.secrets, identity)
            options = SyncOptions(identities=[identity], create_missing=True, max_workers=args.jobs)
            clients = make_clients("eu-west-1", url)
            timings = []
            for label in ("first (create + write)", "second (idempotent)"):
                start = time.perf_counter()
                report = sync_stage(root, "bench", options, clients=clients)
                elapsed = time.perf_counter() - start
                timings.append(elapsed)
                counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
                print(f"{label:24} {elapsed:7.2f} s  ({counts})")
            if report.has_changes or report.has_errors:
                print("second run was not all unchanged", file=sys.stderr)
                return 1
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"{args.secrets} secrets, {args.jobs} concurrent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
