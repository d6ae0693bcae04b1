"""Benchmark `secrets-iac plan` as a stage grows: 20 / 200 / 1,000 apps, side by side with the baseline.

Each size is a generated stage in a temporary project (its own fixture, never `stacks/`): per-app
SecretStores with IRSA, a namespace the stack creates, two secrets and one PushSecret per app, ESO installed
and a KMS key created (the shape where every object used to depend on every namespace, role and store).
`secrets-iac plan` runs as a subprocess; its peak RSS comes from `resource.getrusage(RUSAGE_CHILDREN)` in
a fresh measuring process per size, so sizes never share a maximum.

    python bench/bench_plan.py [--apps 20 200 1000] [--checkout DIR]

`--checkout DIR` plans with another checkout's code (e.g. `git archive <ref> | tar -x -C DIR`) to measure a
baseline on this machine (this interpreter runs it, with DIR first on the path). Wall seconds are what the
issue measured; CPU seconds are steadier on a busy machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "444455556666"
REGION = "eu-west-1"
ISSUER = f"oidc.eks.{REGION}.amazonaws.com/id/BENCH0123456789ABCDEF"

BASELINE: dict[int, tuple[float, float, float]] = {
    # Issue 10, measured before the linear plan: apps -> (seconds, peak RSS MB, plan.json MB).
    20: (2.3, 114, 0.6),
    100: (26.9, 257, 9.6),
    200: (179.5, 618, 36.0),
}
TARGET_200 = (15.0, 300.0)


def stage_values(apps: int) -> dict[str, Any]:
    """A complete stage of `apps` apps in the shape described above."""
    return {
        "region": REGION,
        "accountId": ACCOUNT,
        "cluster": {
            "name": "bench-eks",
            "oidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}",
            "oidcIssuerUrl": f"https://{ISSUER}",
        },
        "kms": {"mode": "create"},
        "eso": {"install": True},
        "apps": [
            {
                "name": f"app{i:04d}",
                "namespace": f"team{i:04d}",
                "serviceAccount": f"app{i:04d}-secrets",
                "createNamespace": True,
                "secrets": [
                    {"name": "db", "keys": [{"secretKey": "DB_PASSWORD", "property": "password"}]},
                    {"name": "api-key"},
                ],
                "push": [{"secretName": "signing", "secretKey": "key", "remoteName": "signing-key"}],
            }
            for i in range(apps)
        ],
    }


def write_project(root: Path, checkout: Path, apps: int) -> None:
    root.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy2(checkout / name, root / name)
    (root / "components").symlink_to(checkout / "components", target_is_directory=True)
    (root / "stacks").mkdir()
    config = {"aws:region": REGION, **{f"secrets-iac:{k}": v for k, v in stage_values(apps).items()}}
    (root / "stacks" / "Pulumi.bench.yaml").write_text(
        yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8"
    )


def measure(apps: int, checkout: Path) -> dict[str, float]:
    """Plan a stage of `apps` apps once (run in its own process: RUSAGE_CHILDREN is then this plan's)."""
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        project = Path(tmp) / "project"
        write_project(project, checkout, apps)
        out = Path(tmp) / "out"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "secrets_iac", "plan", "--stack", "bench", "--out", str(out)],
            cwd=project,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss_kb = usage.ru_maxrss  # Linux: kilobytes
        plan = out / "plan.json"
        resources = json.loads(plan.read_text(encoding="utf-8"))["resources"]
        return {
            "apps": apps,
            "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "rss_mb": rss_kb / 1024,
            "plan_mb": plan.stat().st_size / 1e6,
            "resources": len(resources),
            "dependencies": sum(len(r["dependsOn"]) for r in resources),
            "max_dependencies": max(len(r["dependsOn"]) for r in resources),
        }


def _measure_in_child(apps: int, checkout: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(apps), "--checkout", str(checkout)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def _ratio(a: float, b: float) -> str:
    return f"x{b / a:.1f}" if a else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--checkout", type=Path, default=REPO, help="code to plan with (default: this one)")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, checkout)))
        return

    rows = [_measure_in_child(apps, checkout) for apps in sorted(args.apps)]
    print(f"secrets-iac plan ({checkout}), {os.cpu_count()} cores")
    print(
        f"{'apps':>6} {'seconds':>8} {'CPU s':>6} {'RSS MB':>7} {'plan MB':>8} {'resources':>9} {'deps':>8} "
        f"{'max':>4} | baseline {'seconds':>8} {'RSS MB':>7} {'plan MB':>8}"
    )
    for row in rows:
        base = BASELINE.get(int(row["apps"]))
        baseline = f"{base[0]:8.1f} {base[1]:7.0f} {base[2]:8.1f}" if base else f"{'-':>8} {'-':>7} {'-':>8}"
        measured = (
            f"{row['apps']:6.0f} {row['seconds']:8.1f} {row['cpu_seconds']:6.1f} {row['rss_mb']:7.0f} "
            f"{row['plan_mb']:8.1f} {row['resources']:9.0f} {row['dependencies']:8.0f} "
            f"{row['max_dependencies']:4.0f}"
        )
        print(f"{measured} | {'':8} {baseline}")
    print("growth from one size to the next (linear: time, plan.json and deps grow like apps):")
    for small, large in itertools.pairwise(rows):
        grows = ", ".join(
            f"{label} {_ratio(small[key], large[key])}"
            for label, key in (
                ("time", "seconds"),
                ("CPU", "cpu_seconds"),
                ("RSS", "rss_mb"),
                ("plan.json", "plan_mb"),
                ("dependencies", "dependencies"),
            )
        )
        apps = f"{small['apps']:.0f} -> {large['apps']:.0f} apps ({_ratio(small['apps'], large['apps'])})"
        print(f"  {apps}: {grows}")
    at_200 = next((r for r in rows if r["apps"] == 200), None)
    if at_200 is not None:
        seconds, rss = TARGET_200
        verdict = "met" if at_200["seconds"] < seconds and at_200["rss_mb"] < rss else "MISSED"
        print(f"target at 200 apps: < {seconds:.0f} s and < {rss:.0f} MB: {verdict}")


if __name__ == "__main__":
    main()
