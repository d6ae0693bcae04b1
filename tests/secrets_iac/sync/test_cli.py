"""`secrets-iac sync`: exit codes (incl. --detailed-exitcode), the report file, and that no plaintext
ever reaches stdout, stderr, logs, the report or an error, on success and failure paths alike."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
import yaml

from secrets_iac.cli import main
from tests.conftest import MotoServer
from tests.secrets_iac.sync.conftest import CANARY, SyncProject, default_values, pulumi_up, snapshot


def sync(project: SyncProject, moto: MotoServer, *args: str) -> int:
    return main(["sync", "--stack", project.stack, "--project-dir", str(project.root),
                 "--endpoint-url", moto.endpoint_url, *args])  # fmt: skip


@pytest.mark.usefixtures("cli_env")
def test_exit_codes_and_report(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "report.json"
    assert sync(project, moto, "--create-missing", "--detailed-exitcode", "--report", str(report_path)) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["STATUS", "SECRET", "VERSION", "DETAIL"]
    assert re.search(r"^created +secrets-iac/test/payments/db ", out, re.MULTILINE)
    report = json.loads(report_path.read_text())
    assert report["version"] == 1 and report["dry_run"] is False
    assert report["counts"]["created"] == 4 and report["changes"] and not report["errors"]
    (stage,) = report["stages"]
    assert stage["stack"] == "test" and stage["error"] is None and stage["counts"]["created"] == 4
    assert {s["name"] for s in stage["secrets"]} == {spec.name for spec in project.plan().secrets}
    assert all(s["version_id"] for s in stage["secrets"])

    assert sync(project, moto, "--detailed-exitcode") == 0
    assert sync(project, moto) == 0
    assert "unchanged" in capsys.readouterr().out

    values = default_values()
    values["web"]["tls"]["tls.key"] = "new key"
    project.write_secrets(values)
    before = snapshot(moto)
    assert sync(project, moto, "--dry-run", "--detailed-exitcode") == 2
    assert re.search(r"^would update +secrets-iac/test/web/tls ", capsys.readouterr().out, re.MULTILINE)
    assert snapshot(moto) == before
    assert sync(project, moto, "--dry-run") == 0
    assert sync(project, moto, "--detailed-exitcode") == 2
    assert sync(project, moto, "--detailed-exitcode") == 0


@pytest.mark.usefixtures("cli_env")
def test_drift_warns_and_counts_as_a_change(
    moto: MotoServer, project: SyncProject, capsys: pytest.CaptureFixture[str]
) -> None:
    pulumi_up(moto, project)
    assert sync(project, moto) == 0
    moto.client("secretsmanager").put_secret_value(SecretId=project.name("web", "tls"), SecretString="{}")
    capsys.readouterr()
    assert sync(project, moto, "--detailed-exitcode") == 2
    captured = capsys.readouterr()
    assert "drifted" in captured.out and "1 secret(s) changed out of band" in captured.err
    assert sync(project, moto) == 0
    assert sync(project, moto, "--overwrite-drift", "--detailed-exitcode") == 2
    assert sync(project, moto, "--detailed-exitcode") == 0


@pytest.mark.usefixtures("cli_env")
def test_absent_secret_exits_1(
    moto: MotoServer, project: SyncProject, capsys: pytest.CaptureFixture[str]
) -> None:
    pulumi_up(moto, project, skip=(project.name("payments", "db"),))
    assert sync(project, moto, "--detailed-exitcode") == 1
    assert "absent" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
def test_input_errors_exit_1_with_a_message(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--stack", "nope", "--project-dir", str(project.root)]) == 1
    assert "stacks/Pulumi.nope.yaml: no such stack file" in capsys.readouterr().err
    assert sync(project, moto, "--secrets-file", str(tmp_path / "absent.enc.yaml")) == 1
    assert "no such secrets file" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_endpoint_from_aws_endpoint_url(
    moto: MotoServer, project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint_url)
    assert (
        main(["sync", "--stack", project.stack, "--project-dir", str(project.root), "--create-missing"]) == 0
    )
    assert len(snapshot(moto)) == 4


@pytest.mark.usefixtures("cli_env")
def test_plaintext_never_leaks_on_any_path(
    moto: MotoServer,
    project: SyncProject,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    seen: list[str] = []
    report = tmp_path / "report.json"

    def run(*args: str) -> int:
        code = sync(project, moto, "--report", str(report), *args)
        captured = capsys.readouterr()
        seen.extend([captured.out, captured.err, report.read_text() if report.exists() else ""])
        return code

    assert run("--create-missing") == 0  # create
    values = default_values()
    values["payments"]["stripe-api-key"] = f"sk_live_{CANARY}"
    project.write_secrets(values)
    assert run("--dry-run") == 0  # would update
    sm = moto.client("secretsmanager")
    sm.put_secret_value(SecretId=project.name("payments", "db"), SecretString=f"{CANARY}-by-hand")
    assert run() == 0  # update + drift
    assert run("--overwrite-drift") == 0

    # Typo protection: the error names the key path, not the value.
    values["payments"]["stripe-api-kye"] = f"{CANARY}-typo"
    project.write_secrets(values)
    assert run() == 1
    assert "payments:stripe-api-kye" in seen[-2]
    del values["payments"]["stripe-api-kye"]

    # A tampered file: MAC / decryption errors.
    project.write_secrets(values)
    document = yaml.safe_load(project.secrets_file.read_text())
    document["payments"]["stripe-api-key"] = document["payments"]["db"]["password"]
    project.secrets_file.write_text(yaml.safe_dump(document))
    assert run() != 0

    # An AWS error mid-way: every PutSecretValue denied by IAM (moto checks Secrets Manager against "*").
    values["web"]["tls"]["tls.key"] = f"{CANARY}-new-key"
    values["payments"]["stripe-api-key"] = f"sk_test_{CANARY}-next"
    project.write_secrets(values)
    iam = moto.client("iam")
    iam.create_user(UserName="syncer")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:PutSecretValue", "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName="syncer", PolicyName="sync", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="syncer")["AccessKey"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        mp.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        moto.enforce_iam()
        assert run() == 1
        moto.disable_iam()
    assert "PutSecretValue secrets-iac/test/web/tls: " in seen[-3]
    assert "not authorized" in seen[-3]

    everything = "\n".join([*seen, caplog.text])
    assert CANARY not in everything
    assert "sk_live" not in everything and "by-hand" not in everything


@pytest.mark.usefixtures("cli_env")
def test_report_dash_is_stdout_with_the_summary_on_stderr(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sync(project, moto, "--create-missing", "--report", "-") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout is the JSON report alone, ready for jq
    assert report["counts"]["created"] == 4
    assert captured.err.splitlines()[0].startswith("test: 4 secrets (4 created")  # the table's summary line
    assert not (project.root / "-").exists() and not (Path.cwd() / "-").exists()


@pytest.mark.usefixtures("cli_env")
def test_a_report_in_a_missing_folder_fails_before_any_aws_write(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(moto)
    missing = tmp_path / "missing" / "report.json"
    assert sync(project, moto, "--create-missing", "--report", str(missing)) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"secrets-iac: error: cannot write {missing}: the folder {missing.parent} does not exist"
    ]
    assert snapshot(moto) == before  # nothing was created or written
