"""KMS key for created secrets, the account guard, and endpoint resolution (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import pytest

from secrets_iac.errors import UserError
from secrets_iac.sync import make_clients
from tests.conftest import MOTO_ROOT_CREDENTIALS, MotoServer
from tests.secrets_iac.sync.conftest import SyncProject, snapshot, stack_document


def test_existing_cmk_is_passed_on_create(moto: MotoServer, project: SyncProject) -> None:
    key_arn = moto.client("kms").create_key(Description="stage key")["KeyMetadata"]["Arn"]
    project.write_stack(stack_document({"mode": "existing", "keyArn": key_arn}))
    project.sync(moto, create_missing=True)
    state = snapshot(moto)
    assert {s["kms"] for s in state.values()} == {key_arn}


def test_created_cmk_is_found_through_the_stage_alias(moto: MotoServer, project: SyncProject) -> None:
    kms = moto.client("kms")
    key_arn = kms.create_key(Description="stage key")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/secrets-iac-test-secrets", TargetKeyId=key_arn)
    project.write_stack(stack_document({"mode": "create"}))
    project.sync(moto, create_missing=True)
    assert {s["kms"] for s in snapshot(moto).values()} == {key_arn}


def test_created_cmk_alias_missing_fails_before_any_write(moto: MotoServer, project: SyncProject) -> None:
    project.write_stack(stack_document({"mode": "create"}))
    with pytest.raises(
        UserError, match=r"DescribeKey alias/secrets-iac-test-secrets: NotFoundException.*pulumi up"
    ):
        project.sync(moto, create_missing=True)
    assert snapshot(moto) == {}


def test_kms_is_not_looked_up_without_create_missing(moto: MotoServer, project: SyncProject) -> None:
    project.write_stack(stack_document({"mode": "create"}))
    report = project.sync(moto)
    assert {r.status.value for r in report.results} == {"absent"}


def test_wrong_account_is_refused_before_any_write(moto: MotoServer, project: SyncProject) -> None:
    project.write_stack(stack_document(account_id="111122223333"))
    with pytest.raises(UserError) as info:
        project.sync(moto, create_missing=True)
    assert "account 123456789012" in str(info.value) and "accountId 111122223333" in str(info.value)
    assert "stacks/Pulumi.test.yaml" in str(info.value)
    assert snapshot(moto) == {}
    assert project.sync(moto, check_account=False, dry_run=True).results


def test_endpoint_comes_from_aws_endpoint_url(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOTO_ROOT_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOTO_ROOT_CREDENTIALS["aws_secret_access_key"])
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    clients = make_clients("eu-west-1")
    clients.secretsmanager.create_secret(Name="via-env")
    assert [s["Name"] for s in moto.client("secretsmanager").list_secrets()["SecretList"]] == ["via-env"]
    explicit = make_clients("eu-west-1", endpoint_url=moto.endpoint_url)
    assert explicit.sts.get_caller_identity()["Account"] == moto.account_id
