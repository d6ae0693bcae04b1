"""`secrets-iac verify --stack S`: does every ExternalSecret of the stage resolve with its store's role?

Each store's role is assumed (IRSA: AssumeRoleWithWebIdentity with a ServiceAccount token from
--web-identity-token-command; Pod Identity/controller roles: AssumeRole); where it cannot be, access is
decided by iam:SimulateCustomPolicy over the planned policy documents. Values are never shown.

Exit codes: 0 every key of every target Secret resolves, 1 otherwise (or on an error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="resolve every ExternalSecret of a stage as ESO would, with its store's role",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stage name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml (default: .)"
    )
    parser.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: AWS_ENDPOINT_URL or the real AWS)"
    )
    parser.add_argument(
        "--web-identity-token-command",
        default=None,
        help="prints a ServiceAccount token for {namespace} and {service_account}, e.g. "
        "'kubectl create token {service_account} -n {namespace} --audience sts.amazonaws.com'",
    )
    parser.add_argument("--json", action="store_true", help="print the machine-readable report only")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    from secrets_iac.config import read_stack_config, stack_file
    from secrets_iac.planner import plan_stage
    from secrets_iac.review.verify import Credentials, verify_stage

    path = stack_file(args.project_dir.resolve(), args.stack)
    _, plan = plan_stage(read_stack_config(path), args.stack, source=f"stacks/{path.name}")
    session = boto3.Session()

    def client(service: str, **creds: str) -> Any:
        make: Any = session.client
        return make(service, region_name=plan.region, endpoint_url=args.endpoint_url, **creds)

    report = verify_stage(plan, Credentials(client, args.web_identity_token_command))
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        sys.stdout.write(report.table())
    return 0 if report.ok else 1
