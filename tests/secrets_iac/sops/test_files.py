"""updatekeys keeps the data key (and foreign key entries); rotate changes it; writes are atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from secrets_iac.outputs import OutputError
from secrets_iac.sops import (
    decrypt_document,
    decrypt_file,
    encrypt_file,
    rotate_file,
    updatekeys_file,
    write_atomic,
)
from secrets_iac.sops.errors import DataKeyError, SopsError
from tests.secrets_iac.sops.conftest import KeyPair

PLAIN = "a: secret-a\nb:\n    c: 3\n"
KMS = [
    {"arn": "arn:aws:kms:eu-west-1:111122223333:key/x", "enc": "opaque", "created_at": "2024-01-01T00:00:00Z"}
]


@pytest.fixture
def encrypted(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair) -> Path:
    plain = tmp_path / "s.yaml"
    plain.write_text(PLAIN)
    path = tmp_path / "s.enc.yaml"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    return path


def _config(tmp_path: Path, recipients: list[str]) -> Path:
    config = tmp_path / ".sops.yaml"
    config.write_text(f"creation_rules:\n  - age: {','.join(recipients)}\n")
    return config


def _with_kms(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    doc["sops"]["kms"] = KMS
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_updatekeys_rewraps_the_same_data_key(encrypted: Path, tmp_path: Path, keys: list[KeyPair]) -> None:
    before = decrypt_document(encrypted)
    values = [line for line in encrypted.read_text().splitlines() if line.startswith(("a:", "    c:"))]
    config = _config(tmp_path, [keys[1].recipient, keys[2].recipient])
    data, changed = updatekeys_file(encrypted, config_path=config)
    assert changed
    encrypted.write_bytes(data)
    assert [line for line in data.decode().splitlines() if line.startswith(("a:", "    c:"))] == values
    with pytest.raises(DataKeyError):
        decrypt_file(encrypted, identities=[keys[0].identity])
    after = decrypt_document(encrypted, identities=[keys[2].identity])
    assert after.data_key == before.data_key and after.metadata.mac == before.metadata.mac
    assert updatekeys_file(encrypted, config_path=config, identities=[keys[1].identity])[1] is False


def test_updatekeys_keeps_foreign_key_entries(encrypted: Path, tmp_path: Path, keys: list[KeyPair]) -> None:
    _with_kms(encrypted)
    data, changed = updatekeys_file(
        encrypted, config_path=_config(tmp_path, [keys[0].recipient, keys[1].recipient])
    )
    assert changed
    assert yaml.safe_load(data)["sops"]["kms"] == KMS


def test_updatekeys_to_shamir_groups(encrypted: Path, tmp_path: Path, keys: list[KeyPair]) -> None:
    config = tmp_path / ".sops.yaml"
    groups = "".join(f"      - age: [{k.recipient}]\n" for k in keys)
    config.write_text(f"creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n{groups}")
    data, changed = updatekeys_file(encrypted, config_path=config)
    encrypted.write_bytes(data)
    assert changed and yaml.safe_load(data)["sops"]["shamir_threshold"] == 2
    assert decrypt_file(encrypted, identities=[keys[1].identity, keys[2].identity]).decode() == PLAIN
    with pytest.raises(DataKeyError, match="only 1 of the 2"):
        decrypt_file(encrypted, identities=[keys[1].identity])


def test_rotate_changes_the_data_key_and_every_value(encrypted: Path) -> None:
    before = decrypt_document(encrypted)
    old_text = encrypted.read_text()
    encrypted.write_bytes(rotate_file(encrypted))
    after = decrypt_document(encrypted)
    assert after.data_key != before.data_key
    assert decrypt_file(encrypted).decode() == PLAIN
    old_values = {line for line in old_text.splitlines() if "ENC[" in line}
    assert not old_values & set(encrypted.read_text().splitlines())


def test_rotate_refuses_foreign_keys_unless_dropped(encrypted: Path) -> None:
    _with_kms(encrypted)
    with pytest.raises(SopsError, match="kms"):
        rotate_file(encrypted)
    rotated = rotate_file(encrypted, drop_foreign_keys=True)
    assert "kms" not in yaml.safe_load(rotated)["sops"]


def test_write_atomic_leaves_the_original_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("original\n")
    os.chmod(target, 0o600)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OutputError, match=r"cannot write .*f\.yaml: No space left on device"):
        write_atomic(target, b"new\n")
    monkeypatch.undo()
    assert target.read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.yaml"]
    write_atomic(target, b"new\n")
    assert target.read_text() == "new\n" and target.stat().st_mode & 0o777 == 0o600
