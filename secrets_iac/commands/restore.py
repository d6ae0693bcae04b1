"""`secrets-iac restore`: put a backup (`secrets-iac backup`) back into the stage's Secrets Manager.

A dry run by default: the table shows what `--apply` would do. Secrets that are gone are re-created
with the backup's description, tags and KMS key; secrets scheduled for deletion are restored
(RestoreSecret); then each value goes through the sync's rules: equal is `unchanged`, a value the sync
wrote is `updated`, a value changed out of band is `drifted` and left alone unless --overwrite-drift.

Exit codes:
  0    done (with --detailed-exitcode: nothing to restore)
  1    error: the backup cannot be read or is another stage's, an AWS failure
  2    only with --detailed-exitcode: something was (or would be) written, or drifted
  64   usage error
  130  interrupted

The table (or --json) holds names, statuses and version ids, never a value.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "restore",
        help="put a backup back into Secrets Manager (dry run unless --apply; drift-aware)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the backup file (secrets-iac backup --out)")
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--apply", action="store_true", help="write (default: report what would change)")
    parser.add_argument(
        "--overwrite-drift", action="store_true", help="replace values that were changed out of band"
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout, no table")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when changes were made or are pending, 0 when all unchanged, 1 on error",
    )
    parser.add_argument("--jobs", type=int, default=8, help="secrets restored concurrently (8)")
    parser.add_argument("--no-lock", action="store_true", help="do not take the stage's sync lock")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from secrets_iac.commands.sync import warn_stage
    from secrets_iac.day2.restore import RestoreOptions, restore_stage
    from secrets_iac.errors import UsageError

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    options = RestoreOptions(
        apply=args.apply,
        overwrite_drift=args.overwrite_drift,
        endpoint_url=args.endpoint_url,
        max_workers=args.jobs,
        lock=not args.no_lock,
    )
    report = restore_stage(args.project_dir.resolve(), args.stack, args.file.resolve(), options)
    if args.json:
        sys.stdout.write(report.dumps())
    else:
        sys.stdout.write(report.table())
    print(report.summary(), file=sys.stderr)
    warn_stage(args.stack, report.results, report.notes)
    if not args.apply and report.has_changes:
        print("secrets-iac: dry run: nothing written (--apply writes)", file=sys.stderr)
    return report.exit_code(detailed=args.detailed_exitcode)
