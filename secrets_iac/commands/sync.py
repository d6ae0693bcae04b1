"""`secrets-iac sync`: reconcile stages' SOPS files (git) into AWS Secrets Manager, in-process.

One stage (`--stack dev`), several (`--stack dev --stack prod`) or every `stacks/Pulumi.*.yaml`
(`--all-stacks`), concurrently, each with its own credentials (`secrets-iac:sync` in its stack file).

Exit codes:
  0    done; with --detailed-exitcode: nothing written, nothing pending, no drift
  1    error: a bad stack or SOPS file (including a key that cannot decrypt it), a refused value,
       an absent secret, an AWS failure, a stage not synced (credentials, account, lock)
  2    only with --detailed-exitcode: something was written, would be written (--dry-run) or drifted
  64   usage error (unknown flag, flags that cannot go together)
  130  interrupted

Output: the table on stdout; with --json (or --report -) the JSON report is all stdout gets and the
table is left out (one summary line per stage goes to stderr). Warnings go to stderr. The table and
the report hold names, statuses and version ids only, never a value. A progress bar shows on a
terminal (stdout and stderr both a tty, no --json).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from secrets_iac.sync import RunReport, SecretResult

STDOUT = "-"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync",
        help="write the stages' SOPS values into Secrets Manager (idempotent; drift-aware)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--stack",
        action="append",
        metavar="STACK",
        help="stage name: stacks/Pulumi.<stack>.yaml (repeat for several stages)",
    )
    which.add_argument("--all-stacks", action="store_true", help="every stacks/Pulumi.*.yaml")
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--secrets-file",
        type=Path,
        default=None,
        help="the stage's SOPS file, one stack only (default: <project-dir>/stacks/secrets/<stack>.enc.yaml)",
    )
    parser.add_argument("--dry-run", action="store_true", help="write nothing; report what would change")
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.add_argument(
        "--report", default=None, metavar="PATH", help="also write the JSON report to PATH ('-': stdout)"
    )
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout, no table")
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
    parser.add_argument("--jobs", type=int, default=8, help="secrets reconciled concurrently per stage (8)")
    parser.add_argument(
        "--max-writes-per-second",
        type=float,
        default=None,
        metavar="N",
        help="writes per second per account and region (default 40; AWS allows 50; 0: no limit)",
    )
    parser.add_argument("--no-lock", action="store_true", help="do not take the stage's sync lock")
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run's lock before refusing the stage (default 0)",
    )
    parser.set_defaults(handler=run)


class TerminalProgress:
    """A transient rich progress bar on stderr: secrets done out of the run's total."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("syncing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("sync", total=total)

    @property
    def started(self) -> bool:
        return self._task is not None

    def advance(self, stack: str, result: SecretResult) -> None:
        if self._task is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self.started:
            self._bar.stop()


def wants_progress(stdout: TextIO, stderr: TextIO, *, machine_output: bool) -> bool:
    """Only for a person at a terminal: never with --json, never into a pipe or a file."""
    return not machine_output and stdout.isatty() and stderr.isatty()


def _check_usage(args: argparse.Namespace) -> None:
    from secrets_iac.errors import UsageError

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.lock_timeout < 0:
        raise UsageError("--lock-timeout must not be negative")
    if args.max_writes_per_second is not None and args.max_writes_per_second < 0:
        raise UsageError("--max-writes-per-second must not be negative")
    if args.secrets_file is not None and (args.all_stacks or len(args.stack) > 1):
        raise UsageError("--secrets-file names one stage's file: use it with a single --stack")


def run(args: argparse.Namespace) -> int:
    from secrets_iac.errors import EXIT_USAGE, UserError
    from secrets_iac.outputs import check_file_output, is_stdout, write_output

    _check_usage(args)
    check_file_output(args.report)  # a report that cannot be written fails before any AWS write
    try:
        report = _sync(args)
    except UserError as err:
        if err.exit_code == EXIT_USAGE:
            raise
        # One failure code for the sync: sops's own codes (128 for a key that cannot decrypt) stay with
        # `secrets-iac sops`, where they match the real sops.
        raise UserError(str(err), exit_code=1) from None
    machine_output = args.json or is_stdout(args.report)
    if machine_output:
        sys.stdout.write(report.dumps())
        for stage in report.stages:
            print(stage.summary(), file=sys.stderr)
    else:
        sys.stdout.write(report.table())
    if args.report is not None and not is_stdout(args.report):
        write_output(args.report, report.dumps().encode())
    _warn(report)
    return report.exit_code(detailed=args.detailed_exitcode)


def _sync(args: argparse.Namespace) -> RunReport:
    from secrets_iac.outputs import is_stdout
    from secrets_iac.sync import DEFAULT_WRITES_PER_SECOND, SyncOptions, stack_names, sync_stages

    project_dir = args.project_dir.resolve()
    stacks = stack_names(project_dir) if args.all_stacks else args.stack
    machine_output = args.json or is_stdout(args.report)
    progress = (
        TerminalProgress() if wants_progress(sys.stdout, sys.stderr, machine_output=machine_output) else None
    )
    options = SyncOptions(
        secrets_file=args.secrets_file.resolve() if args.secrets_file else None,
        dry_run=args.dry_run,
        create_missing=args.create_missing,
        overwrite_drift=args.overwrite_drift,
        endpoint_url=args.endpoint_url,
        max_workers=args.jobs,
        lock=not args.no_lock,
        lock_timeout=args.lock_timeout,
        writes_per_second=(
            DEFAULT_WRITES_PER_SECOND if args.max_writes_per_second is None else args.max_writes_per_second
        ),
        progress=progress,
    )
    try:
        return sync_stages(project_dir, stacks, options)
    finally:
        if progress is not None:
            progress.stop()


def _warn(report: RunReport) -> None:
    for stage in report.stages:
        warn_stage(stage.stack, stage.results, stage.notes)


def warn_stage(stack: str, results: Sequence[SecretResult], notes: Sequence[str]) -> None:
    """On stderr: drifted secrets left alone, and the stage's notes (the sync's and restore's words)."""
    drifted = [r.name for r in results if r.status.value == "drifted"]
    if drifted:
        print(
            f"secrets-iac: warning: {stack}: {len(drifted)} secret(s) changed out of band and "
            "left alone (--overwrite-drift replaces them)",
            file=sys.stderr,
        )
    for note in notes:
        print(f"secrets-iac: note: {stack}: {note}", file=sys.stderr)
