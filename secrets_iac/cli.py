"""Thin CLI: parse arguments, call the library, print, return an exit code.

Exit codes shared by every command: 0 success, 1 error (the message names the file, key or call),
64 usage error (a flag that does not exist or values that cannot go together; argparse's own 2 is
remapped so it never means "changes pending" for `sync --detailed-exitcode`), 130 interrupted.
`sync` adds 2 with `--detailed-exitcode` (see `secrets_iac.commands.sync`); `sops` keeps the real
sops's exit codes (`secrets_iac.sops.errors`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import NoReturn

from secrets_iac.errors import EXIT_INTERRUPTED, EXIT_USAGE, UserError

# Each name is a module in secrets_iac.commands with `register(subparsers)`.
COMMAND_MODULES: tuple[str, ...] = (
    "backup",
    "check",
    "diff",
    "import_file",
    "plan",
    "restore",
    "sops",
    "sync",
    "uninstall_check",
    "verify",
)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on exit code 64 (EX_USAGE); subparsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def version() -> str:
    try:
        return metadata.version("secrets-iac")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="secrets-iac", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"secrets-iac {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"secrets_iac.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version (0) and usage errors (64), returned like any other code
        return done.code if isinstance(done.code, int) else EXIT_USAGE
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
    except KeyboardInterrupt:
        print("secrets-iac: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code
