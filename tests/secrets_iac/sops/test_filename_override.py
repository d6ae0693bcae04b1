"""`sops encrypt --filename-override`: the rule and type of the tracked path for plaintext kept elsewhere."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from secrets_iac.cli import main
from secrets_iac.sops import decrypt_file
from tests.secrets_iac.sops.conftest import KeyPair

PLAIN = "db:\n    password: hunter2\n"


@pytest.fixture
def project(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "stacks" / "secrets").mkdir(parents=True)
    (root / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - path_regex: stacks/secrets/gamma\\.enc\\.yaml$\n    age: {keys[1].recipient}\n"
        f"  - path_regex: stacks/secrets/.*\\.enc\\.yaml$\n    age: {keys[0].recipient}\n"
    )
    monkeypatch.chdir(root)
    return root


def test_a_temp_file_outside_the_repository_matches_no_rule_without_the_override(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    temp = tmp_path / "value.tmp"
    temp.write_text(PLAIN)
    assert main(["sops", "encrypt", str(temp)]) == 61
    assert "no matching creation rules" in capsys.readouterr().err


def test_the_override_picks_the_tracked_paths_rule_and_type(
    project: Path, tmp_path: Path, keys: list[KeyPair]
) -> None:
    temp = tmp_path / "value.tmp"  # no .yaml: the type comes from the override too
    temp.write_text(PLAIN)
    target = project / "stacks" / "secrets" / "prod.enc.yaml"
    args = ["sops", "encrypt", str(temp), "--filename-override", "stacks/secrets/gamma.enc.yaml"]
    assert main([*args, "--output", str(target)]) == 0
    text = target.read_text()
    assert keys[1].recipient in text and keys[0].recipient not in text and "hunter2" not in text
    assert "password: ENC[AES256_GCM" in text
    assert decrypt_file(target, identities=[keys[1].identity]) == PLAIN.encode()


def test_stdin_needs_the_override(
    project: Path,
    keys: list[KeyPair],
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PLAIN.encode())))
    assert main(["sops", "encrypt", "-"]) == 1
    assert b"--filename-override" in capsysbinary.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PLAIN.encode())))
    assert main(["sops", "encrypt", "-", "--filename-override", "stacks/secrets/alpha.enc.yaml"]) == 0
    encrypted = capsysbinary.readouterr().out
    assert keys[0].recipient.encode() in encrypted and b"hunter2" not in encrypted
    (project / "out.enc.yaml").write_bytes(encrypted)
    assert decrypt_file(project / "out.enc.yaml") == PLAIN.encode()
