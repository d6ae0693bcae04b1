"""`secrets-iac import`: the `pulumi import` file for the stage's secrets that already exist in AWS.

For teams that have their secrets already: every secret the stage declares that exists in AWS (and,
with --stack-export, is not in the stack's state yet) goes into a Pulumi import file with the exact
names, parents and ids the program declares, so `pulumi import --file FILE` adopts them and the next
`pulumi up` changes nothing it does not have to. The file goes to stdout or --out; one summary line
and any notes go to stderr.

    secrets-iac import --stack prod --stack-export <(pulumi stack export --stack prod) --out import.json
    pulumi import --stack prod --file import.json

Exit codes: 0 written (also when nothing is to import), 1 error, 64 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="write the pulumi import file for the stage's secrets that already exist in AWS",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--out", default="-", metavar="FILE", help="the import file (default '-': stdout)")
    parser.add_argument(
        "--stack-export",
        type=Path,
        default=None,
        metavar="FILE",
        help="output of `pulumi stack export`: leave out what the state already has",
    )
    parser.add_argument(
        "--pulumi-stack",
        default=None,
        metavar="NAME",
        help="the Pulumi stack's name in URNs (default: --stack)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.set_defaults(handler=run)


def _project_name(project_dir: Path) -> str:
    import yaml

    from secrets_iac.errors import UserError

    path = project_dir / "Pulumi.yaml"
    try:
        name = yaml.safe_load(path.read_text(encoding="utf-8")).get("name")
    except (OSError, yaml.YAMLError, AttributeError) as err:
        raise UserError(f"{path}: cannot read the project name: {err}") from None
    if not isinstance(name, str) or not name:
        raise UserError(f"{path}: name: missing")
    return name


def _state(path: Path | None) -> set[str] | None:
    import json

    from secrets_iac.day2.adopt import state_urns
    from secrets_iac.errors import UserError

    if path is None:
        return None
    try:
        return state_urns(json.loads(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise UserError(f"{path}: {err.strerror or err}") from None
    except ValueError as err:
        raise UserError(f"{path}: {err}") from None


def run(args: argparse.Namespace) -> int:
    import json
    from concurrent.futures import ThreadPoolExecutor

    from secrets_iac.day2.adopt import Names, import_plan
    from secrets_iac.day2.backup import survey_stage
    from secrets_iac.day2.stage import load_stage, stage_clients
    from secrets_iac.errors import UserError
    from secrets_iac.outputs import check_file_output, write_output
    from secrets_iac.sync.calls import Caller, CallFailed

    check_file_output(args.out)
    project_dir = args.project_dir.resolve()
    stage = load_stage(project_dir, args.stack)
    names = Names(args.pulumi_stack or args.stack, _project_name(project_dir), stage.plan.environment)
    state = _state(args.stack_export)
    declared = [s.name for s in (*stage.plan.secrets, *stage.plan.generated_secrets)]
    clients = stage_clients(stage, endpoint_url=args.endpoint_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        try:
            found = survey_stage(
                Caller(clients.secretsmanager), stage.plan, pool=pool, names=declared, values=False
            )
        except CallFailed as err:
            raise UserError(f"import of stack {args.stack}: {err}") from None
    if found.account is not None and found.account != stage.plan.account_id:
        raise UserError(
            f"the AWS credentials are for account {found.account} but {stage.source} declares accountId "
            f"{stage.plan.account_id}"
        )
    result = import_plan(stage.plan, names, found.metas, state)
    write_output(args.out, (json.dumps(result.document, indent=2) + "\n").encode())
    for note in result.notes:
        print(f"secrets-iac: note: {args.stack}: {note}", file=sys.stderr)
    where = "stdout" if args.out == "-" else args.out
    print(
        f"import: stack {args.stack}: {len(result.adopted)} secrets to import "
        f"({len(result.in_state)} already in state) -> {where}; "
        f"then: pulumi import --stack {names.stack} --file <file>",
        file=sys.stderr,
    )
    return 0
