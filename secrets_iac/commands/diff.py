"""`secrets-iac diff BASE HEAD`: what a change declares, in words, from two `plan --out` folders.

Exit codes: 0 no difference (or differences without --detailed-exitcode), 1 error, 2 with
--detailed-exitcode when the plans differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff",
        help="access and resource changes between two plan outputs (Markdown for a PR comment, or JSON)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("base", type=Path, help="plan output of the base branch (secrets-iac plan --out)")
    parser.add_argument("head", type=Path, help="plan output of the change")
    parser.add_argument("--json", action="store_true", help="print the machine-readable diff instead")
    parser.add_argument("--title", default=None, help="heading of the Markdown (default: the head folder)")
    parser.add_argument(
        "--access-analyzer",
        action="store_true",
        help="confirm each changed policy with IAM Access Analyzer CheckNoNewAccess (AWS credentials)",
    )
    parser.add_argument("--region", default=None, help="region of the Access Analyzer calls")
    parser.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when the plans differ, 0 when equal"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from secrets_iac.review.plan_diff import diff_plans, load_plan_output, render_markdown

    base, head = load_plan_output(args.base), load_plan_output(args.head)
    diff = diff_plans(base, head)
    analyzer: dict[str, str] = {}
    if args.access_analyzer:
        import boto3

        from secrets_iac.review.access_analyzer import confirm_with_access_analyzer

        client: Any = boto3.Session().client("accessanalyzer", region_name=args.region)
        analyzer = confirm_with_access_analyzer(client, base, head, diff)
    if args.json:
        print(json.dumps({**diff.to_json(), "accessAnalyzer": analyzer}, indent=2, sort_keys=True))
    else:
        text = render_markdown(diff, title=args.title or f"secrets-iac plan diff: {args.head}")
        if analyzer:
            text += "\n#### IAM Access Analyzer (CheckNoNewAccess)\n\n"
            text += "".join(f"- `{key}`: {result}\n" for key, result in sorted(analyzer.items()))
        sys.stdout.write(text)
    return 2 if args.detailed_exitcode and not diff.empty else 0
