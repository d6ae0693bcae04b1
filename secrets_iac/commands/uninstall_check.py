"""`secrets-iac uninstall-check`: may this stage be destroyed? Only with a backup that holds what AWS holds.

Exit 1 (with the reasons) unless the backup decrypts, is of this stage, was taken after the last sync,
and covers every secret of the stage that exists now at its current version. Exit 0 prints the
`pulumi destroy` steps and what is retained (Pulumi's protect / retainOnDelete; README "Uninstall").

Exit codes: 0 ready to uninstall, 1 not ready (or an error), 64 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "uninstall-check",
        help="exit 1 unless a backup newer than the last sync covers the stage; then the destroy steps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--backup", required=True, type=Path, metavar="FILE", help="the backup file")
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from secrets_iac.day2.backup import survey_stage
    from secrets_iac.day2.backup_file import load_backup
    from secrets_iac.day2.restore import check_backup_matches
    from secrets_iac.day2.stage import load_stage, stage_clients
    from secrets_iac.day2.uninstall import check_backup, destroy_steps
    from secrets_iac.errors import UserError
    from secrets_iac.sync.calls import Caller, CallFailed

    stage = load_stage(args.project_dir.resolve(), args.stack)
    backup = load_backup(args.backup)
    check_backup_matches(backup, stage, str(args.backup))
    clients = stage_clients(stage, endpoint_url=args.endpoint_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        try:
            found = survey_stage(Caller(clients.secretsmanager), stage.plan, pool=pool, values=False)
        except CallFailed as err:
            raise UserError(f"uninstall-check of stack {args.stack}: {err}") from None
    verdict = check_backup(backup, found.metas)
    if not verdict.ok:
        print(f"uninstall-check: stack {args.stack}: NOT ready to uninstall with {args.backup}:")
        for problem in verdict.problems:
            print(f"  - {problem}")
        print(f"take a new one: secrets-iac backup --stack {args.stack} --out {args.backup}")
        return 1
    print(
        f"uninstall-check: stack {args.stack}: {args.backup} (taken {backup.taken_at}) covers all "
        f"{verdict.live} secrets at their current versions; last sync {verdict.last_sync or 'never'}"
    )
    if verdict.deleted:
        print(f"  scheduled for deletion already (not in any backup): {', '.join(verdict.deleted)}")
    for step in destroy_steps(stage.plan, args.stack, str(args.backup)):
        print(step)
    return 0
