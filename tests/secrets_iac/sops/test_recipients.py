"""`sops rotate-recipients`: three stage files re-keyed to a new recipient; old identity refused, new one
decrypts, values equal (compared in memory), one summary line per file; the real sops reads the result."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secrets_iac.cli import main
from secrets_iac.sops import decrypt_file, encrypt_file
from secrets_iac.sops.errors import DataKeyError
from secrets_iac.sops.recipients import covered_files, rotate_recipients
from tests.secrets_iac.sops.conftest import KeyPair, RealSops

STAGES = ("alpha", "beta", "gamma")


def _project(root: Path, recipient_for: dict[str, str]) -> Path:
    rules = [
        {"path_regex": rf"^secrets/{stage}\.enc\.yaml$", "age": recipient_for[stage]} for stage in STAGES
    ]
    config = root / ".sops.yaml"
    config.write_text(yaml.safe_dump({"creation_rules": rules}), encoding="utf-8")
    (root / "secrets").mkdir()
    for stage in STAGES:
        path = root / "secrets" / f"{stage}.enc.yaml"
        path.write_text(yaml.safe_dump({"app": {"db": {"password": f"{stage}-pw"}, "token": f"{stage}-t"}}))
        path.write_bytes(encrypt_file(path, config_path=config))
    (root / "secrets" / "notes.yaml").write_text("not: encrypted\n")
    return config


def _retarget(config: Path, recipient: str) -> None:
    document = yaml.safe_load(config.read_text())
    for rule in document["creation_rules"]:
        rule["age"] = recipient
    config.write_text(yaml.safe_dump(document))


def test_three_stages_rekeyed_old_refused_new_decrypts_values_equal(
    tmp_path: Path, keys: list[KeyPair]
) -> None:
    old, new = keys[0], keys[1]
    config = _project(tmp_path, dict.fromkeys(STAGES, old.recipient))
    files = covered_files(config)
    assert [p.name for p in files] == [f"{s}.enc.yaml" for s in STAGES]
    before = {p.name: decrypt_file(p, identities=[old.identity]) for p in files}
    _retarget(config, new.recipient)
    results = rotate_recipients(config, [old.identity, new.identity])
    assert [r.path for r in results] == [f"secrets/{s}.enc.yaml" for s in STAGES]
    for result, path in zip(results, files, strict=True):
        assert result.changed and result.removed == (old.recipient,) and result.added == (new.recipient,)
        assert result.removed_locked_out is True
        assert decrypt_file(path, identities=[new.identity]) == before[path.name]
        with pytest.raises(DataKeyError):
            decrypt_file(path, identities=[old.identity])
        assert "removed recipient locked out" in result.summary()
        assert "pw" not in result.summary()
    again = rotate_recipients(config, [new.identity])
    assert [r.changed for r in again] == [False, False, False]


def test_rotate_data_key_reencrypts_every_value(tmp_path: Path, keys: list[KeyPair]) -> None:
    old = keys[0]
    config = _project(tmp_path, dict.fromkeys(STAGES, old.recipient))
    path = tmp_path / "secrets" / "alpha.enc.yaml"
    ciphertext_before = yaml.safe_load(path.read_text())["app"]["db"]["password"]
    [first, *_] = rotate_recipients(config, [old.identity], rotate_data_key=True)
    assert first.changed and first.data_key_rotated and not first.removed
    assert yaml.safe_load(path.read_text())["app"]["db"]["password"] != ciphertext_before
    assert (
        yaml.safe_load(decrypt_file(path, identities=[old.identity]))["app"]["db"]["password"] == "alpha-pw"
    )


def test_dry_run_writes_nothing_and_the_cli_prints_one_line_per_file(
    tmp_path: Path, keys: list[KeyPair], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = keys[0], keys[1]
    config = _project(tmp_path, dict.fromkeys(STAGES, old.recipient))
    _retarget(config, new.recipient)
    snapshot = {p: p.read_bytes() for p in covered_files(config)}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(old.key_file))
    assert main(["sops", "rotate-recipients", "--dry-run"]) == 128  # nothing can prove the new files
    assert "no identity of the new recipients" in capsys.readouterr().err
    both = tmp_path / "both.txt"
    both.write_text(old.key_file.read_text() + new.key_file.read_text())
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(both))
    assert main(["sops", "rotate-recipients", "--dry-run"]) == 0
    assert all(p.read_bytes() == data for p, data in snapshot.items())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("added age1" in line for line in lines)
    assert "not testable" not in lines[0]  # the old identity is at hand: its lock-out was proven


def test_real_sops_decrypts_the_rekeyed_files(
    tmp_path: Path, keys: list[KeyPair], real_sops: RealSops
) -> None:
    old, new = keys[0], keys[1]
    config = _project(tmp_path, dict.fromkeys(STAGES, old.recipient))
    _retarget(config, new.recipient)
    rotate_recipients(config, [old.identity, new.identity], rotate_data_key=True)
    for stage in STAGES:
        result = real_sops.run(
            ["decrypt", f"secrets/{stage}.enc.yaml"], key_files=[new.key_file], cwd=tmp_path
        )
        assert yaml.safe_load(result.stdout)["app"]["token"] == f"{stage}-t"
        refused = real_sops.run(
            ["decrypt", f"secrets/{stage}.enc.yaml"], key_files=[old.key_file], cwd=tmp_path, check=False
        )
        assert refused.returncode == 128
