"""`secrets-iac plan`: what a stack would declare, offline (mock engine, no credentials)."""

from __future__ import annotations

import argparse
import asyncio
import gc
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "plan", help="render a stack offline: manifests/, iam/, plan.json", description=__doc__
    )
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output folder: new, empty or a previous plan output, replaced atomically (else refused)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--graph",
        action="store_true",
        help="also write the stage's diagram: graph.mmd (Mermaid) and graph.dot (Graphviz)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from components.offline_plan import plan_stack
    from secrets_iac.outputs import check_output_dir

    check_output_dir(args.out)  # before the program runs: refuse a folder the plan must not replace
    try:
        counts = plan_stack(args.project_dir.resolve(), args.stack, args.out, graph=args.graph)
    finally:
        _close_idle_event_loops()
    print(
        f"{args.stack}: {counts['resources']} resources, {counts['manifests']} Kubernetes objects, "
        f"{counts['iam']} IAM documents -> {args.out}"
    )
    return 0


def _close_idle_event_loops() -> None:
    """Pulumi's mock engine leaves event loops open; closed now, interpreter shutdown stays quiet.

    Only at the end of the command: a library caller may plan again, on the same loop.
    """
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.AbstractEventLoop) and not obj.is_running() and not obj.is_closed():
            obj.close()
