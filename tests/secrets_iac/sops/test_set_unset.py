"""`secrets-iac sops set|unset`: sops's syntax, values kept out of argv, nothing written on refusal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secrets_iac.cli import main
from secrets_iac.sops import decrypt_document, decrypt_file, encrypt_file
from tests.secrets_iac.sops.conftest import KeyPair

PLAIN = "app:\n    password: hunter2\n    port: 5432\n"


@pytest.fixture
def secrets_file(
    tmp_path: Path, keys: list[KeyPair], age_env: KeyPair, monkeypatch: pytest.MonkeyPatch
) -> Path:
    plain = tmp_path / "plain.yaml"
    plain.write_text(PLAIN)
    path = tmp_path / "s.enc.yaml"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    monkeypatch.chdir(tmp_path)
    return path


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_set_from_argv_keeps_the_data_key(secrets_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = decrypt_document(secrets_file).data_key
    assert main(["sops", "set", "s.enc.yaml", '["app"]["password"]', '"n3w"']) == 0
    assert decrypt_file(secrets_file) == b"app:\n    password: n3w\n    port: 5432\n"
    assert decrypt_document(secrets_file).data_key == key
    err = capsys.readouterr().err
    assert 'set ["app"]["password"]' in err and "n3w" not in err


def test_set_from_stdin_and_from_a_file(
    secrets_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, b'{"user": "app", "password": "from-stdin"}\n')
    assert main(["sops", "set", "s.enc.yaml", '["db"]', "--value-stdin"]) == 0
    value_file = tmp_path / "value.json"
    value_file.write_text('"from-file"')
    assert main(["sops", "set", "s.enc.yaml", '["app"]["password"]', str(value_file), "--value-file"]) == 0
    assert decrypt_file(secrets_file) == (
        b"app:\n    password: from-file\n    port: 5432\ndb:\n    user: app\n    password: from-stdin\n"
    )
    out = capsys.readouterr()
    assert "from-stdin" not in out.out + out.err and "from-file" not in out.out + out.err


def test_set_accepts_sops_one_string_form(secrets_file: Path) -> None:
    assert main(["sops", "set", "s.enc.yaml", '["app"]["port"] 6543']) == 0
    assert b"port: 6543" in decrypt_file(secrets_file)


def test_value_stdin_never_appears_in_the_process_list(secrets_file: Path, age_env: KeyPair) -> None:
    """While the command waits for its value, its command line (/proc/PID/cmdline) has no secret."""
    if not Path("/proc/self/cmdline").exists():
        pytest.skip("no /proc on this system")
    command = [
        sys.executable,
        "-m",
        "secrets_iac",
        "sops",
        "set",
        "s.enc.yaml",
        '["app"]["token"]',
        "--value-stdin",
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        time.sleep(0.5)
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"token" in cmdline
        _, err = process.communicate(b'"sk_live_unseen"', timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert b"sk_live_unseen" not in cmdline and b"sk_live_unseen" not in err
    assert b"token: sk_live_unseen" in decrypt_file(secrets_file)


def test_set_idempotent_writes_nothing_when_the_value_is_there(secrets_file: Path) -> None:
    before, inode = secrets_file.read_bytes(), secrets_file.stat().st_ino
    assert main(["sops", "set", "--idempotent", "s.enc.yaml", '["app"]["password"]', '"hunter2"']) == 0
    assert secrets_file.read_bytes() == before and secrets_file.stat().st_ino == inode
    assert main(["sops", "set", "s.enc.yaml", '["app"]["password"]', '"hunter2"']) == 0  # sops rewrites
    assert secrets_file.stat().st_ino != inode and decrypt_file(secrets_file) == PLAIN.encode()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (['["app"]["password"]', "hunter3"], 7, "not valid JSON"),
        (["app.password", '"x"'], 7, "invalid index"),
        (['["app"]["password"]'], 7, "no value after the index"),
        (['["app"][0]', '"x"'], 1, "is a mapping"),
        (['["sops"]', '"x"'], 1, "metadata"),
        (['["app"]["password"]', '"x"', "--value-stdin"], 1, "give only FILE and INDEX"),
    ],
)
def test_set_refusals_write_nothing_and_show_no_value(
    secrets_file: Path, args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = secrets_file.read_bytes()
    assert main(["sops", "set", "s.enc.yaml", *args]) == code
    err = capsys.readouterr().err
    assert message in err and "hunter3" not in err and "hunter2" not in err
    assert secrets_file.read_bytes() == before


def test_set_nested_value_in_dotenv_is_refused(
    tmp_path: Path, keys: list[KeyPair], age_env: KeyPair, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "p.env"
    plain.write_text("A=1\n")
    path = tmp_path / "s.env"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    before = path.read_bytes()
    assert main(["sops", "set", str(path), '["B"]', '{"x": 1}']) != 0
    assert "nested" in capsys.readouterr().err and path.read_bytes() == before


def test_unset(secrets_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sops", "unset", "s.enc.yaml", '["app"]["port"]']) == 0
    assert decrypt_file(secrets_file) == b"app:\n    password: hunter2\n"
    before = secrets_file.read_bytes()
    assert main(["sops", "unset", "s.enc.yaml", '["app"]["port"]']) == 1
    assert 's.enc.yaml: ["app"]["port"]: no such key' in capsys.readouterr().err
    assert main(["sops", "unset", "--idempotent", "s.enc.yaml", '["app"]["port"]']) == 0
    assert main(["sops", "unset", "s.enc.yaml", '["app"]["password"]["x"]']) == 1
    assert secrets_file.read_bytes() == before
