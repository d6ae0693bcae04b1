"""The backup file on its own: every value encrypted (also under a rule's encrypted_regex), key groups
kept, one clear message naming the field for a bad document, values masked in repr."""

from __future__ import annotations

import re
from pathlib import Path

import pyrage
import pytest
import yaml

from secrets_iac.day2.backup_file import BACKUP_KEY, BackedUpSecret, Backup, encrypt_backup, load_backup
from secrets_iac.errors import UserError
from secrets_iac.secret_value import SecretValue
from secrets_iac.sops import AgeIdentity, decrypt_file, encrypt_file

SECRET = "CANARY-backup-file-91c2"


def identity() -> AgeIdentity:
    return AgeIdentity.from_str(str(pyrage.x25519.Identity.generate()), "test")


def sample() -> Backup:
    entry = BackedUpSecret(
        "p/s/app/x", "d", {"managed-by": "secrets-iac"}, None, "v1", SecretValue(SECRET), None
    )
    binary = BackedUpSecret("p/s/app/bin", None, {}, "alias/k", "v2", None, SecretValue(b"\x00\xff"))
    return Backup("s", "p/s", "eu-west-1", "123456789012", "2026-01-01T00:00:00+00:00", (entry, binary))


def test_round_trip_with_two_key_groups(tmp_path: Path) -> None:
    first, second = identity(), identity()
    out = tmp_path / "b.enc.yaml"
    out.write_bytes(encrypt_backup(sample(), out, [[first.recipient], [second.recipient]], 2))
    assert SECRET not in out.read_text()
    with pytest.raises(UserError):
        load_backup(out, [first])  # one share of two is not enough
    loaded = load_backup(out, [first, second])
    assert loaded.secrets[0].string == SecretValue(SECRET)
    assert loaded.secrets[1].binary is not None and loaded.secrets[1].binary.reveal_bytes() == b"\x00\xff"
    assert loaded.secrets[1].kms_key_id == "alias/k" and loaded.taken_at == sample().taken_at
    assert SECRET not in repr(loaded) + str(loaded)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda b: b.pop("takenAt"), "secrets-iac-backup.takenAt"),
        (lambda b: b["secrets"][0].update(value=5), "secrets-iac-backup.secrets[0].value"),
        (lambda b: b["secrets"][1].update(binary="!!"), "secrets-iac-backup.secrets[1].binary"),
        (lambda b: b.update(format=2), "secrets-iac-backup.format"),
        (lambda b: b["secrets"].append(dict(b["secrets"][0])), "a secret appears twice"),
    ],
)
def test_a_bad_document_names_the_field(tmp_path: Path, edit: object, field: str) -> None:
    who = identity()
    good = tmp_path / "good.enc.yaml"
    good.write_bytes(encrypt_backup(sample(), good, [[who.recipient]]))
    document = yaml.safe_load(decrypt_file(good, identities=[who]))
    edit(document[BACKUP_KEY])  # type: ignore[operator]
    bad = tmp_path / "bad.enc.yaml"
    bad.write_bytes(encrypt_file(bad, recipients=[who.recipient], data=yaml.safe_dump(document).encode()))
    with pytest.raises(UserError, match=rf"{re.escape(str(bad))}: .*{re.escape(field)}") as err:
        load_backup(bad, [who])
    assert SECRET not in str(err.value)


def test_wrong_key_and_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "b.enc.yaml"
    out.write_bytes(encrypt_backup(sample(), out, [[identity().recipient]]))
    with pytest.raises(UserError, match=r"b\.enc\.yaml"):
        load_backup(out, [identity()])
    with pytest.raises(UserError, match="no such backup file"):
        load_backup(tmp_path / "absent.enc.yaml", [identity()])
