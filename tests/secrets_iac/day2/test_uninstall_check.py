"""`secrets-iac uninstall-check` on moto: refuses a backup older than the last sync or missing a secret or a
newer value; passes a fresh one and prints the destroy steps with what is retained."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from secrets_iac.cli import main
from secrets_iac.day2.backup_file import Backup
from secrets_iac.day2.uninstall import check_backup, destroy_steps
from secrets_iac.sync.responses import SecretMeta
from tests.conftest import MotoServer
from tests.secrets_iac.sync.conftest import CANARY, SyncProject, default_values, pulumi_up


def check(project: SyncProject, moto: MotoServer, backup: Path) -> int:
    return main(["uninstall-check", "--stack", project.stack, "--project-dir", str(project.root),
                 "--endpoint-url", moto.endpoint_url, "--backup", str(backup)])  # fmt: skip


def backup(project: SyncProject, moto: MotoServer, out: Path) -> None:
    assert main(["backup", "--stack", project.stack, "--project-dir", str(project.root), "--endpoint-url",
                 moto.endpoint_url, "--age", project.identity.recipient, "--out", str(out)]) == 0  # fmt: skip


@pytest.mark.usefixtures("cli_env")
def test_refuses_stale_or_incomplete_backups_then_prints_the_steps(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulumi_up(moto, project)
    assert not project.sync(moto).has_errors
    out = tmp_path / "test.backup.enc.yaml"
    backup(project, moto, out)
    capsys.readouterr()
    assert check(project, moto, out) == 0
    printed = capsys.readouterr().out
    assert "covers all 4 secrets" in printed and "pulumi destroy --stack test" in printed
    assert "retained (retainOnDelete:" in printed and CANARY not in printed

    time.sleep(1.1)  # moto's LastChangedDate has whole seconds
    values = default_values()
    values["payments"]["stripe-api-key"] = "sk_test_rotated"
    project.write_secrets(values)
    assert not project.sync(moto).has_errors
    assert check(project, moto, out) == 1
    printed = capsys.readouterr().out
    assert "not after the last sync" in printed and "payments/stripe-api-key" in printed

    backup(project, moto, out)
    moto.client("secretsmanager").create_secret(
        Name="secrets-iac/test/web/pushed",
        SecretString="x",
        Tags=[{"Key": "managed-by", "Value": "external-secrets"}],
    )
    capsys.readouterr()
    assert check(project, moto, out) == 1
    assert "not in the backup: secrets-iac/test/web/pushed" in capsys.readouterr().out
    backup(project, moto, out)
    assert check(project, moto, out) == 0


def _meta(name: str, version: str | None, changed: str, *, synced: bool = True) -> SecretMeta:
    stages = ("AWSCURRENT", "SECRETS-IAC-SYNCED") if synced else ("AWSCURRENT",)
    return SecretMeta(
        name, f"arn:{name}", None, False, {version: stages} if version else {}, last_changed=changed
    )


def test_verdict_as_data() -> None:
    taken = "2026-01-02T00:00:00.500000+00:00"
    backup = Backup("s", "p/s", "eu-west-1", "1", taken, ())
    metas = {"p/s/a/x": _meta("p/s/a/x", "v1", "2026-01-02T00:00:01+00:00")}
    verdict = check_backup(backup, metas)
    assert verdict.last_sync == "2026-01-02T00:00:01+00:00"
    assert len(verdict.problems) == 2  # older than the sync, and p/s/a/x not in it
    unsynced = {"p/s/a/x": _meta("p/s/a/x", "v1", "2026-01-03T00:00:00+00:00", synced=False)}
    assert check_backup(backup, unsynced).last_sync is None


def test_destroy_steps_follow_protection(project: SyncProject) -> None:
    steps = "\n".join(destroy_steps(project.plan(), "test", "b.enc.yaml"))
    assert "protected (" in steps and "4 secrets" in steps and "pulumi destroy --stack test" in steps
