"""`secrets-iac sops edit|set|unset`: change values in place like sops, keeping the data key.

Unchanged values keep their exact ciphertext, so a change reviews as a small diff. `set` takes the
value as JSON like sops; `--value-stdin` / `--value-file` keep it out of argv and process lists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from secrets_iac.errors import UserError

FILE_TYPES = ("yaml", "json", "dotenv", "ini", "binary")


def register(sub: Any) -> None:
    """Add `edit`, `set` and `unset` to the `sops` subcommands."""
    edit = sub.add_parser(
        "edit",
        help="edit the plaintext in $SOPS_EDITOR/$EDITOR; re-encrypted with the same data key",
        description="Decrypt to a private 0600 temp file outside the repository, run $SOPS_EDITOR, "
        "$EDITOR or vim/nano/vi, and write the file back: same data key, unchanged values keep their "
        "ciphertext, new MAC. Exit 200 when nothing changed (nothing is written).",
    )
    edit.add_argument("file", type=Path, help="the SOPS file (a new file is created by the .sops.yaml rule)")
    edit.add_argument("--input-type", choices=FILE_TYPES, help="store of FILE (default: by extension)")
    edit.set_defaults(handler=run_edit)

    set_ = sub.add_parser(
        "set",
        help='set one value (JSON) at an index like \'["app"]["db"]\'',
        description="Set a key or branch in place, as `sops set FILE INDEX VALUE`: VALUE is JSON "
        '(\'"text"\', 5, true, {"user": "app"}). Use --value-stdin (or --value-file) so the value '
        "never appears in the command line or process list.",
    )
    set_.add_argument("file", type=Path, help="the SOPS file, changed in place")
    set_.add_argument("index", help='where, like \'["app"]["db"]["password"]\' or \'["hosts"][0]\'')
    set_.add_argument("value", nargs="?", help="JSON value (or a path: --value-file)")
    source = set_.add_mutually_exclusive_group()
    source.add_argument("--value-stdin", action="store_true", help="read the JSON value from stdin")
    source.add_argument("--value-file", action="store_true", help="VALUE is a file holding the JSON value")
    set_.add_argument("--input-type", choices=FILE_TYPES, help="store of FILE (default: by extension)")
    set_.add_argument(
        "--idempotent", action="store_true", help="write nothing if the index already has this value"
    )
    set_.set_defaults(handler=run_set)

    unset = sub.add_parser("unset", help="remove the key or list item at an index")
    unset.add_argument("file", type=Path, help="the SOPS file, changed in place")
    unset.add_argument("index", help='what to remove, like \'["app"]["old-token"]\'')
    unset.add_argument("--input-type", choices=FILE_TYPES, help="store of FILE (default: by extension)")
    unset.add_argument("--idempotent", action="store_true", help="succeed without writing if it is absent")
    unset.set_defaults(handler=run_unset)


def _prompt_again(problem: str) -> bool:
    """Interactive sessions get the editor back (edits kept), like sops."""
    print(f"{problem}\nPress Enter to return to the editor, or Ctrl+C to discard the edits.", file=sys.stderr)
    return sys.stdin.readline() != ""


def run_edit(args: argparse.Namespace) -> int:
    from secrets_iac.sops.edit import EditResult, edit_file
    from secrets_iac.sops.errors import EXIT_FILE_NOT_MODIFIED

    retry = _prompt_again if sys.stdin.isatty() else None
    result = edit_file(args.file, input_type=args.input_type, retry=retry)
    if result is EditResult.UNCHANGED:
        print(f"{args.file}: no change; nothing was written", file=sys.stderr)
        return EXIT_FILE_NOT_MODIFIED
    print(f"{args.file}: written", file=sys.stderr)
    return 0


def _value_text(args: argparse.Namespace) -> tuple[str, bytes]:
    """The index argument and the raw JSON value, from argv, stdin or a file."""
    if args.value_stdin:
        if args.value is not None:
            raise UserError("--value-stdin reads the value from stdin; give only FILE and INDEX")
        return args.index, sys.stdin.buffer.read()
    if args.value is None:
        from secrets_iac.sops.tree_edit import split_index_and_value

        index, value = split_index_and_value(args.index)  # sops's one-string form: '["a"] VALUE'
        return index, value.encode("utf-8", "surrogateescape")
    if args.value_file:
        try:
            return args.index, Path(args.value).read_bytes()
        except OSError as err:
            raise UserError(f"cannot read the value file {args.value}: {err.strerror}") from None
    return args.index, args.value.encode("utf-8", "surrogateescape")


def run_set(args: argparse.Namespace) -> int:
    from secrets_iac.sops.errors import SopsError
    from secrets_iac.sops.rewrite import open_for_rewrite
    from secrets_iac.sops.tree_edit import index_text, parse_index, parse_value, set_value

    index_arg, raw_value = _value_text(args)
    index = parse_index(index_arg)
    value = parse_value(raw_value)
    opened = open_for_rewrite(args.file, input_type=args.input_type)
    first, *others = opened.branches
    try:
        root, changed = set_value(first, index, value)
    except SopsError as err:
        raise type(err)(f"{args.file}: {err}") from None
    if not changed and args.idempotent:
        print(f"{args.file}: {index_text(index)} has this value already; nothing written", file=sys.stderr)
        return 0
    opened.write(opened.reseal([root, *others]))
    print(f"{args.file}: set {index_text(index)}", file=sys.stderr)
    return 0


def run_unset(args: argparse.Namespace) -> int:
    from secrets_iac.sops.errors import KeyNotFoundError, SopsError
    from secrets_iac.sops.rewrite import open_for_rewrite
    from secrets_iac.sops.tree_edit import index_text, parse_index, unset_value

    index = parse_index(args.index)
    opened = open_for_rewrite(args.file, input_type=args.input_type)
    first, *others = opened.branches
    try:
        root = unset_value(first, index)
    except KeyNotFoundError as err:
        if not args.idempotent:
            raise KeyNotFoundError(f"{args.file}: {err}") from None
        print(f"{args.file}: {index_text(index)} is absent; nothing was written", file=sys.stderr)
        return 0
    except SopsError as err:
        raise type(err)(f"{args.file}: {err}") from None
    opened.write(opened.reseal([root, *others]))
    print(f"{args.file}: unset {index_text(index)}", file=sys.stderr)
    return 0
