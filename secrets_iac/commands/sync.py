"""`secrets-iac sync`: reconcile a stage's SOPS file (git) into AWS Secrets Manager, in-process.

Exit codes: 0 done (nothing pending with --detailed-exitcode), 1 error (an input problem, an absent
secret, an AWS failure), 2 with --detailed-exitcode when something was written, would be written
(--dry-run) or drifted. The table and the JSON report hold names, statuses and version ids only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync",
        help="write the stage's SOPS values into Secrets Manager (idempotent; drift-aware)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--secrets-file",
        type=Path,
        default=None,
        help="the stage's SOPS file (default: <project-dir>/stacks/secrets/<stack>.enc.yaml)",
    )
    parser.add_argument("--dry-run", action="store_true", help="write nothing; report what would change")
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="also write the report as JSON to this file (- is stdout)"
    )
    parser.add_argument(
        "--create-missing",
        action="store_true",
        help="create absent secrets as Pulumi would (local/demo stacks; adopt them with pulumi import)",
    )
    parser.add_argument(
        "--overwrite-drift", action="store_true", help="replace values that were changed out of band"
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when changes were made or are pending, 0 when all unchanged, 1 on error",
    )
    parser.add_argument("--jobs", type=int, default=8, help="secrets reconciled concurrently (default: 8)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from secrets_iac.errors import UserError
    from secrets_iac.outputs import check_file_output, is_stdout, write_output
    from secrets_iac.sync import SyncOptions, sync_stage

    if args.jobs < 1:
        raise UserError("--jobs must be at least 1")
    check_file_output(args.report)  # a report that cannot be written fails before any AWS write
    report = sync_stage(
        args.project_dir.resolve(),
        args.stack,
        SyncOptions(
            secrets_file=args.secrets_file.resolve() if args.secrets_file else None,
            dry_run=args.dry_run,
            create_missing=args.create_missing,
            overwrite_drift=args.overwrite_drift,
            endpoint_url=args.endpoint_url,
            max_workers=args.jobs,
        ),
    )
    (sys.stderr if is_stdout(args.report) else sys.stdout).write(report.table())  # stdout: JSON only
    if args.report is not None:
        write_output(args.report, report.dumps().encode())
    drifted = [r.name for r in report.results if r.status.value == "drifted"]
    if drifted:
        print(
            f"secrets-iac: warning: {len(drifted)} secret(s) changed out of band and left alone "
            "(--overwrite-drift replaces them)",
            file=sys.stderr,
        )
    return report.exit_code(detailed=args.detailed_exitcode)
