"""Backup and restore on moto: the round trip of the issue (two secrets deleted, one changed, restored),
the backup file readable by our decrypt and the real sops, and no plaintext in any output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from secrets_iac.cli import main
from secrets_iac.day2.backup import take_backup
from secrets_iac.day2.backup_file import BACKUP_KEY, encrypt_backup, load_backup
from secrets_iac.day2.restore import RestoreOptions, restore_stage
from secrets_iac.sops import decrypt_file
from secrets_iac.sync import Status
from tests.conftest import MotoServer
from tests.secrets_iac.sops.conftest import RealSops
from tests.secrets_iac.sync.conftest import CANARY, SyncProject, clients_for, pulumi_up

PUSHED = "secrets-iac/test/web/pushed-cert"
"""A certificate ESO pushed (binary, tagged managed-by: external-secrets): backed up by its tag."""
PUSHED_BYTES = b"\x00\x01" + CANARY.encode() + b"\xff"


def synced_stage(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    report = project.sync(moto)
    assert not report.has_errors
    moto.client("secretsmanager").create_secret(
        Name=PUSHED,
        SecretBinary=PUSHED_BYTES,
        Tags=[{"Key": "managed-by", "Value": "external-secrets"}],
    )


def current_values(moto: MotoServer, project: SyncProject) -> dict[str, Any]:
    sm = moto.client("secretsmanager")
    out: dict[str, Any] = {}
    for name in [s.name for s in project.plan().secrets] + [PUSHED]:
        answer = sm.get_secret_value(SecretId=name)
        out[name] = answer.get("SecretString", answer.get("SecretBinary"))
    return out


def backup_file(moto: MotoServer, project: SyncProject, out: Path) -> None:
    backup, _notes = take_backup(moto.client("secretsmanager"), project.plan(), project.stack, max_workers=4)
    out.write_bytes(encrypt_backup(backup, out, [[project.identity.recipient]]))


def test_round_trip_restores_deleted_and_reports_the_changed_one(
    moto: MotoServer, project: SyncProject, tmp_path: Path
) -> None:
    synced_stage(moto, project)
    before = current_values(moto, project)
    out = tmp_path / "test.backup.enc.yaml"
    backup_file(moto, project, out)
    backup = load_backup(out, [project.identity])
    assert {s.name for s in backup.secrets} == set(before)
    pushed = next(s for s in backup.secrets if s.name == PUSHED)
    assert pushed.binary is not None and pushed.binary.reveal_bytes() == PUSHED_BYTES
    db = next(s for s in backup.secrets if s.name.endswith("/payments/db"))
    assert db.description == "Payments database credentials" and db.tags["team"] == "platform"

    sm = moto.client("secretsmanager")
    scheduled, forced, changed = (project.name("payments", "db"), PUSHED, project.name("web", "tls"))
    sm.delete_secret(SecretId=scheduled, RecoveryWindowInDays=7)
    sm.delete_secret(SecretId=forced, ForceDeleteWithoutRecovery=True)
    sm.put_secret_value(SecretId=changed, SecretString='{"tls.crt": "x", "tls.key": "y"}')

    options = RestoreOptions(identities=[project.identity], max_workers=4)
    dry = restore_stage(project.root, project.stack, out, options, clients=clients_for(moto))
    by_name = {r.name: r for r in dry.results}
    assert "would restore it from scheduled deletion" in by_name[scheduled].detail
    assert "would re-create" in by_name[forced].detail
    assert by_name[changed].status is Status.DRIFTED
    assert sm.describe_secret(SecretId=scheduled).get("DeletedDate") is not None  # a dry run writes nothing

    applied = restore_stage(
        project.root, project.stack, out, RestoreOptions(**{**options.__dict__, "apply": True}),
        clients=clients_for(moto),
    )  # fmt: skip
    by_name = {r.name: r for r in applied.results}
    assert not applied.has_errors
    assert by_name[changed].status is Status.DRIFTED  # changed outside: reported, left alone
    assert "restored from scheduled deletion" in by_name[scheduled].detail
    assert by_name[forced].status is Status.CREATED and "re-created" in by_name[forced].detail
    assert sm.describe_secret(SecretId=forced)["Tags"] == [{"Key": "managed-by", "Value": "external-secrets"}]
    after = current_values(moto, project)
    assert {n: v for n, v in after.items() if n != changed} == {
        n: v for n, v in before.items() if n != changed
    }
    assert "CANARY" not in after[changed]

    overwritten = restore_stage(
        project.root, project.stack, out,
        RestoreOptions(**{**options.__dict__, "apply": True, "overwrite_drift": True}),
        clients=clients_for(moto),
    )  # fmt: skip
    assert {r.name: r.status for r in overwritten.results}[changed] is Status.UPDATED
    assert current_values(moto, project) == before
    again = restore_stage(project.root, project.stack, out, options, clients=clients_for(moto))
    assert {r.status for r in again.results} <= {Status.UNCHANGED, Status.SKIPPED_ROTATION}
    for report in (dry, applied, overwritten, again):
        assert CANARY not in report.table() + report.dumps()


def test_backup_of_another_stage_is_refused(moto: MotoServer, project: SyncProject, tmp_path: Path) -> None:
    synced_stage(moto, project)
    out = tmp_path / "b.enc.yaml"
    backup_file(moto, project, out)
    other = project.root / "stacks" / "Pulumi.other.yaml"
    other.write_text((project.root / "stacks" / "Pulumi.test.yaml").read_text())
    with pytest.raises(Exception, match=r"is a backup of secrets-iac/test .* but stacks/Pulumi.other.yaml"):
        restore_stage(project.root, "other", out, RestoreOptions(identities=[project.identity]),
                      clients=clients_for(moto))  # fmt: skip


@pytest.mark.usefixtures("cli_env")
def test_backup_cli_file_decrypts_with_ours_and_real_sops(
    moto: MotoServer,
    project: SyncProject,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    real_sops: RealSops,
) -> None:
    synced_stage(moto, project)
    (project.root / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - path_regex: ^stacks/secrets/test\\.enc\\.yaml$\n    encrypted_regex: ^nothing$\n"
        f"    age: {project.identity.recipient}\n"
    )
    out = tmp_path / "test.backup.enc.yaml"
    code = main(["backup", "--stack", "test", "--project-dir", str(project.root),
                 "--endpoint-url", moto.endpoint_url, "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == ""
    assert "backup of stack test: 5 secrets (5 with a value) taken " in captured.err
    raw = out.read_text()
    assert CANARY not in raw + captured.err and "ENC[AES256_GCM" in raw
    assert "lastmodified" in raw and "takenAt: ENC[" in raw  # encrypted despite the rule's encrypted_regex

    ours = yaml.safe_load(decrypt_file(out, identities=[project.identity]))
    key_file = tmp_path / "key.txt"
    key_file.write_text(project.age_secret_key + "\n")
    theirs = real_sops.run(["decrypt", str(out)], key_files=[key_file], cwd=tmp_path).stdout
    assert yaml.safe_load(theirs) == ours
    body = ours[BACKUP_KEY]
    assert body["stack"] == "test" and body["takenAt"]
    db = next(s for s in body["secrets"] if s["name"].endswith("/payments/db"))
    assert json.loads(db["value"])["password"] == f"{CANARY}-db"

    code = main(["restore", str(out), "--stack", "test", "--project-dir", str(project.root),
                 "--endpoint-url", moto.endpoint_url])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "unchanged" in captured.out and CANARY not in captured.out + captured.err
