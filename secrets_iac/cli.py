"""Thin CLI: parse arguments, call the library, print, return an exit code."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from secrets_iac.errors import UserError

# Each name is a module in secrets_iac.commands with `register(subparsers)`.
COMMAND_MODULES: tuple[str, ...] = ("check", "diff", "plan", "sops", "sync", "verify")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secrets-iac", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"secrets_iac.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except UserError as err:
        print(f"secrets-iac: error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop quietly, like coreutils
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:  # a path the library did not name itself: still one line, no traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"secrets-iac: error: {where}{err.strerror or err}", file=sys.stderr)
        return 1
    return code
