"""The CLI's last guards: an OSError nobody turned into a message, or a closed stdout, is one line, not a
traceback."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from argparse import Namespace

import pytest

import secrets_iac.commands.sops as sops_command
from secrets_iac.cli import main
from tests.conftest import REPO_ROOT


def test_an_os_error_on_a_path_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(args: Namespace) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/mnt/ro/plain.yaml")

    monkeypatch.setattr(sops_command, "run_decrypt", read_only)
    assert main(["sops", "decrypt", "any.yaml"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "secrets-iac: error: /mnt/ro/plain.yaml: Read-only file system"
    ]


def test_a_closed_stdout_ends_quietly() -> None:
    """`secrets-iac sops decrypt … | head -c1`: no BrokenPipeError traceback."""
    script = (
        "import sys; from secrets_iac.cli import main; import secrets_iac.commands.sops as s; "
        "s.run_decrypt = lambda args: [sys.stdout.buffer.write(b'x' * 65536) for _ in range(64)] and 0; "
        "sys.exit(main(['sops', 'decrypt', 'any.yaml']))"
    )
    result = subprocess.run(
        f'{sys.executable} -c "{script}" | head -c1', shell=True, capture_output=True, cwd=REPO_ROOT
    )
    assert result.stdout == b"x"
    assert b"Traceback" not in result.stderr and b"BrokenPipe" not in result.stderr
