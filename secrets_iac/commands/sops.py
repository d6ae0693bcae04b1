"""`secrets-iac sops`: decrypt, encrypt, updatekeys, rotate, edit, set, unset SOPS (age) files in-process."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from secrets_iac.commands import sops_values
from secrets_iac.errors import UserError

FILE_TYPES = ("yaml", "json", "dotenv", "ini", "binary")


def _common(parser: argparse.ArgumentParser, *, output: bool = True) -> None:
    parser.add_argument("file", type=Path, help="the file to read")
    parser.add_argument(
        "-i", "--in-place", action="store_true", help="write the result back to FILE (atomically)"
    )
    if output:
        parser.add_argument(
            "--output",
            type=Path,
            help="write the result to this file instead of stdout (- is stdout; a pipe is written in place)",
        )
    parser.add_argument("--input-type", choices=FILE_TYPES, help="store of FILE (default: by extension)")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sops", help="decrypt/encrypt/updatekeys/rotate/edit/set/unset SOPS files (age)", description=__doc__
    )
    sub = parser.add_subparsers(dest="sops_command", required=True, metavar="SUBCOMMAND")

    decrypt = sub.add_parser("decrypt", help="print the plaintext (or write it with --output/--in-place)")
    _common(decrypt)
    decrypt.add_argument("--output-type", choices=FILE_TYPES, help="store of the output (default: input's)")
    decrypt.add_argument("--ignore-mac", action="store_true", help="do not check the MAC (recovery only)")
    decrypt.set_defaults(handler=run_decrypt)

    encrypt = sub.add_parser("encrypt", help="encrypt by the first matching .sops.yaml creation rule")
    _common(encrypt)
    encrypt.add_argument("--output-type", choices=FILE_TYPES, help="store of the output (default: input's)")
    encrypt.add_argument("--config", type=Path, help=".sops.yaml to use (default: search from the cwd up)")
    encrypt.add_argument("--age", help="comma-separated age recipients; replaces the rule's keys")
    encrypt.add_argument(
        "--filename-override",
        type=Path,
        metavar="PATH",
        help="pick the .sops.yaml rule and the file type for PATH instead of FILE (FILE may be - for stdin)",
    )
    encrypt.set_defaults(handler=run_encrypt)

    updatekeys = sub.add_parser("updatekeys", help="re-wrap the data key for the rule's current recipients")
    _common(updatekeys)
    updatekeys.add_argument("--config", type=Path, help=".sops.yaml to use (default: search from the cwd up)")
    updatekeys.set_defaults(handler=run_updatekeys)

    rotate = sub.add_parser("rotate", help="new data key; every value re-encrypted")
    _common(rotate)
    rotate.add_argument(
        "--drop-foreign-keys", action="store_true", help="drop pgp/kms/… entries that cannot be re-wrapped"
    )
    rotate.set_defaults(handler=run_rotate)

    recipients = sub.add_parser(
        "rotate-recipients",
        help="re-key every file .sops.yaml covers to its creation rule, proving values are unchanged",
    )
    recipients.add_argument("--config", type=Path, help=".sops.yaml to use (default: search from the cwd up)")
    recipients.add_argument(
        "--rotate-data-key",
        action="store_true",
        help="also a new data key for every file (all values re-encrypted)",
    )
    recipients.add_argument("--dry-run", action="store_true", help="prove and report, write nothing")
    recipients.set_defaults(handler=run_rotate_recipients)

    sops_values.register(sub)


def _target(args: argparse.Namespace) -> Path | None:
    """Where the result goes (None: stdout), checked before any work (`outputs.check_file_output`)."""
    from secrets_iac.outputs import check_file_output

    if args.in_place and getattr(args, "output", None):
        raise UserError("--in-place and --output cannot be used together")
    target: Path | None = args.file if args.in_place else getattr(args, "output", None)
    check_file_output(target)
    return target


def _emit(target: Path | None, data: bytes) -> int:
    """Send the result to stdout or the target (`-`, a pipe in place, a regular file atomically)."""
    from secrets_iac.outputs import STDOUT, write_output

    write_output(STDOUT if target is None else target, data)
    return 0


def run_decrypt(args: argparse.Namespace) -> int:
    from secrets_iac.sops import decrypt_file

    target = _target(args)
    data = decrypt_file(
        args.file, input_type=args.input_type, output_type=args.output_type, ignore_mac=args.ignore_mac
    )
    return _emit(target, data)


def run_encrypt(args: argparse.Namespace) -> int:
    from secrets_iac.sops import encrypt_file

    target = _target(args)
    recipients = [r.strip() for r in args.age.split(",") if r.strip()] if args.age else None
    plaintext = None
    if str(args.file) == "-":
        if args.filename_override is None or args.in_place:
            raise UserError("reading from stdin (-) needs --filename-override and cannot be --in-place")
        plaintext = sys.stdin.buffer.read()
    data = encrypt_file(
        args.file,
        config_path=args.config,
        recipients=recipients,
        input_type=args.input_type,
        output_type=args.output_type,
        data=plaintext,
        filename_override=args.filename_override,
    )
    return _emit(target, data)


def run_updatekeys(args: argparse.Namespace) -> int:
    from secrets_iac.sops import updatekeys_file

    target = _target(args)
    data, changed = updatekeys_file(args.file, config_path=args.config, input_type=args.input_type)
    if not changed:
        print(f"{args.file}: already up to date with the creation rules", file=sys.stderr)
        if args.in_place:
            return 0
    return _emit(target, data)


def run_rotate(args: argparse.Namespace) -> int:
    from secrets_iac.sops import rotate_file

    target = _target(args)
    data = rotate_file(args.file, input_type=args.input_type, drop_foreign_keys=args.drop_foreign_keys)
    return _emit(target, data)


def run_rotate_recipients(args: argparse.Namespace) -> int:
    from secrets_iac.sops import load_identities
    from secrets_iac.sops.config import find_config
    from secrets_iac.sops.recipients import rotate_recipients

    config = args.config or find_config()
    results = rotate_recipients(
        config, load_identities(), rotate_data_key=args.rotate_data_key, dry_run=args.dry_run
    )
    for result in results:
        print(result.summary())
    changed = sum(r.changed for r in results)
    verb = "would change" if args.dry_run else "changed"
    print(f"{len(results)} files covered by {config}, {changed} {verb}", file=sys.stderr)
    return 0
