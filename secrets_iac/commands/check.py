"""`secrets-iac check`: every stage in stacks/ — config valid, program renders, SOPS file decrypts (when an
identity for it is present), every declared secret has a value of the declared shape.

Exit codes: 0 every stage passes (skipped steps say why), 1 a step failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="check every stage of the repository (config, program, SOPS file, values)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--no-render", action="store_true", help="do not run the program under the mock engine (faster)"
    )
    parser.add_argument(
        "--require-decrypt",
        action="store_true",
        help="fail (instead of skip) when no age identity here opens a stage's SOPS file (CI with keys)",
    )
    parser.set_defaults(handler=run)


def _render(project_dir: Path, stage: str) -> int:
    """The real program under Pulumi's mock engine (the Pulumi layer; the library stays Pulumi-free)."""
    from components.offline_plan import run_program

    return len(run_program(project_dir, stage))


def run(args: argparse.Namespace) -> int:
    from secrets_iac.check import check_project, report

    checks = check_project(
        args.project_dir.resolve(),
        None if args.no_render else _render,
        require_decrypt=args.require_decrypt,
    )
    sys.stdout.write(report(checks))
    return 0 if all(c.ok for c in checks) else 1
