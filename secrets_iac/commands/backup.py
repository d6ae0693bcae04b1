"""`secrets-iac backup`: every secret of a stage, with its metadata and current value, into one SOPS file.

The file is encrypted to the recipients of the stage's own SOPS file (the `.sops.yaml` creation rule of
`stacks/secrets/<stack>.enc.yaml`), or to `--age` recipients, and written atomically (`-`: stdout).
Values are never printed; one summary line goes to stderr.

Exit codes: 0 written, 1 error (nothing written), 64 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "backup",
        help="back up every secret of a stage (metadata and values) into one SOPS/age file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="the backup file, e.g. prod.backup.enc.yaml"
    )
    parser.add_argument(
        "--age",
        action="append",
        metavar="RECIPIENT",
        help="encrypt to this age recipient instead of the stage's (repeat for several)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.add_argument("--jobs", type=int, default=8, help="concurrent reads (8)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from secrets_iac.day2.backup import take_backup
    from secrets_iac.day2.backup_file import encrypt_backup, stage_key_groups
    from secrets_iac.day2.stage import load_stage, stage_clients
    from secrets_iac.errors import UsageError
    from secrets_iac.outputs import check_file_output, write_output

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    check_file_output(args.out)  # fails before any AWS read
    project_dir = args.project_dir.resolve()
    stage = load_stage(project_dir, args.stack)
    groups: tuple[tuple[str, ...], ...] = ((*args.age,),) if args.age else ()
    threshold = 0
    if not groups:
        groups, threshold = stage_key_groups(project_dir, args.stack)
    clients = stage_clients(stage, endpoint_url=args.endpoint_url)
    backup, notes = take_backup(clients.secretsmanager, stage.plan, args.stack, max_workers=args.jobs)
    write_output(args.out, encrypt_backup(backup, args.out, groups, threshold))
    for note in notes:
        print(f"secrets-iac: note: {args.stack}: {note}", file=sys.stderr)
    with_value = sum(1 for s in backup.secrets if s.has_value)
    deleted = len(backup.scheduled_for_deletion)
    print(
        f"backup of stack {args.stack}: {len(backup.secrets)} secrets ({with_value} with a value"
        + (f", {deleted} scheduled for deletion not kept" if deleted else "")
        + f") taken {backup.taken_at} -> {args.out}",
        file=sys.stderr,
    )
    return 0
