"""`secrets-iac sops …` through `secrets_iac.cli.main`: exit codes, stdout, and safe in-place writes."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from secrets_iac.cli import main
from tests.secrets_iac.sops.conftest import KeyPair

PLAIN = "app:\n    password: hunter2\n    port: 5432\n"


@pytest.fixture
def project(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - path_regex: ^prod/\n    age: {keys[1].recipient}\n"
        f"  - age: {keys[0].recipient}\n"
    )
    (tmp_path / "secrets.yaml").write_text(PLAIN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_encrypt_then_decrypt_to_stdout(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["sops", "encrypt", "--in-place", "secrets.yaml"]) == 0
    assert "hunter2" not in (project / "secrets.yaml").read_text()
    capsysbinary.readouterr()
    assert main(["sops", "decrypt", "secrets.yaml"]) == 0
    assert capsysbinary.readouterr().out.decode() == PLAIN


def test_encrypt_to_stdout_and_decrypt_to_output_file(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["sops", "encrypt", "secrets.yaml"]) == 0
    encrypted = capsysbinary.readouterr().out
    assert b"ENC[AES256_GCM" in encrypted and b"hunter2" not in encrypted
    (project / "enc.yaml").write_bytes(encrypted)
    assert main(["sops", "decrypt", "enc.yaml", "--output", "out.yaml"]) == 0
    assert (project / "out.yaml").read_text() == PLAIN
    assert main(["sops", "decrypt", "enc.yaml", "--output-type", "json"]) == 0
    assert b'"password": "hunter2"' in capsysbinary.readouterr().out


def test_encrypt_picks_the_first_matching_rule(project: Path, keys: list[KeyPair]) -> None:
    (project / "prod").mkdir()
    (project / "prod" / "app.yaml").write_text(PLAIN)
    assert main(["sops", "encrypt", "-i", "prod/app.yaml"]) == 0
    text = (project / "prod" / "app.yaml").read_text()
    assert keys[1].recipient in text and keys[0].recipient not in text


def test_encrypting_twice_is_refused_with_203(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 0
    before = (project / "secrets.yaml").read_bytes()
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 203
    assert "already encrypted" in capsys.readouterr().err
    assert (project / "secrets.yaml").read_bytes() == before


def test_failed_in_place_decrypt_leaves_the_file_byte_identical(
    project: Path, keys: list[KeyPair], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 0
    path = project / "secrets.yaml"
    os.chmod(path, 0o640)
    before = path.read_bytes()
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys[2].key_file))
    assert main(["sops", "decrypt", "-i", "secrets.yaml"]) == 128
    err = capsys.readouterr().err
    assert "secrets.yaml" in err and "hunter2" not in err
    assert path.read_bytes() == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".secrets.yaml")] == []
    tampered = before.replace(b"port: ENC[AES256_GCM,data:", b"port: ENC[AES256_GCM,data:AA", 1)
    path.write_bytes(tampered)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys[0].key_file))
    assert main(["sops", "decrypt", "--in-place", "secrets.yaml"]) == 25
    assert path.read_bytes() == tampered


def test_in_place_write_keeps_the_file_mode(project: Path) -> None:
    path = project / "secrets.yaml"
    os.chmod(path, 0o600)
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert main(["sops", "decrypt", "-i", "secrets.yaml"]) == 0
    assert path.read_text() == PLAIN and path.stat().st_mode & 0o777 == 0o600


def test_updatekeys_and_rotate(
    project: Path, keys: list[KeyPair], capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = project / "secrets.yaml"
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 0
    assert main(["sops", "updatekeys", "-i", "secrets.yaml"]) == 0  # nothing to change
    (project / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {keys[0].recipient},{keys[2].recipient}\n"
    )
    before_values = [line for line in path.read_text().splitlines() if "password" in line]
    assert main(["sops", "updatekeys", "-i", "secrets.yaml"]) == 0
    text = path.read_text()
    assert keys[2].recipient in text
    assert [line for line in text.splitlines() if "password" in line] == before_values
    assert main(["sops", "rotate", "-i", "secrets.yaml"]) == 0
    rotated = path.read_text()
    assert [line for line in rotated.splitlines() if "password" in line] != before_values
    capsysbinary.readouterr()
    assert main(["sops", "decrypt", "secrets.yaml"]) == 0
    assert capsysbinary.readouterr().out.decode() == PLAIN


def test_missing_config_is_exit_61(
    tmp_path: Path, age_env: KeyPair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "noconfig"
    folder.mkdir()
    (folder / "s.yaml").write_text(PLAIN)
    monkeypatch.chdir(folder)
    assert main(["sops", "encrypt", "s.yaml"]) == 61
    assert "config file not found" in capsys.readouterr().err


def test_explicit_config_flag(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair) -> None:
    config = tmp_path / "elsewhere.yaml"
    config.write_text(f"creation_rules:\n  - age: {keys[0].recipient}\n")
    plain = tmp_path / "s.env"
    plain.write_text("A=1\n")
    assert main(["sops", "encrypt", "--config", str(config), "-i", str(plain)]) == 0
    assert plain.read_text().startswith("A=ENC[AES256_GCM")


def test_unreadable_input_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sops", "decrypt", "missing.yaml"]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_decrypting_a_plain_file_fails_clearly(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sops", "decrypt", "secrets.yaml"]) != 0
    err = capsys.readouterr().err
    assert "sops metadata not found" in err and "hunter2" not in err


def test_empty_file_is_refused_with_92(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty.yaml").write_text("")
    assert main(["sops", "encrypt", "empty.yaml"]) == 92
    assert "empty" in capsys.readouterr().err


def test_output_dash_is_stdout(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["sops", "encrypt", "--output", "-", "secrets.yaml"]) == 0
    encrypted = capsysbinary.readouterr().out
    assert b"ENC[AES256_GCM" in encrypted
    (project / "enc.yaml").write_bytes(encrypted)
    assert main(["sops", "decrypt", "--output", "-", "enc.yaml"]) == 0
    assert capsysbinary.readouterr().out.decode() == PLAIN
    assert not (project / "-").exists()


def test_decrypt_into_a_named_pipe_writes_through_it(project: Path) -> None:
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 0
    fifo = project / "plain.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert main(["sops", "decrypt", "--output", str(fifo), "secrets.yaml"]) == 0
    reader.join(timeout=10)
    assert received == [PLAIN.encode()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # the pipe stays; no plaintext file took its place


def test_an_output_in_a_missing_folder_fails_before_decrypting(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["sops", "encrypt", "-i", "secrets.yaml"]) == 0
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(project / "no-such-key-file"))  # decrypting would fail too
    assert main(["sops", "decrypt", "--output", "missing/plain.yaml", "secrets.yaml"]) == 1
    err = capsys.readouterr().err
    missing = project / "missing"
    assert err.splitlines() == [
        f"secrets-iac: error: cannot write missing/plain.yaml: the folder {missing} does not exist"
    ]
