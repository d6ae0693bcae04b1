"""The stage config model: real stacks load, stages differ, and bad values fail with file and key path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from secrets_iac.config import (
    KmsMode,
    StoreKind,
    load_stage_config,
    parse_stage_config,
    read_stack_values,
)
from secrets_iac.errors import UserError
from tests.fixtures.example import EXAMPLE, STAGES


def _dev_values() -> dict[str, Any]:
    return read_stack_values(EXAMPLE / "stacks" / "Pulumi.alpha.yaml")


def _error(values: dict[str, Any]) -> str:
    with pytest.raises(UserError) as caught:
        parse_stage_config(values, source="stacks/Pulumi.alpha.yaml")
    return str(caught.value)


@pytest.mark.parametrize("stage", STAGES)
def test_every_stack_file_loads(stage: str) -> None:
    config = load_stage_config(EXAMPLE, stage)
    assert config.prefix(stage) == f"secrets-iac/{stage}"
    assert config.apps


def test_stages_differ_like_real_stages() -> None:
    dev, staging, prod = (load_stage_config(EXAMPLE, s) for s in STAGES)
    assert (dev.recovery_window_in_days, staging.recovery_window_in_days, prod.recovery_window_in_days) == (
        7,
        14,
        30,
    )
    assert [dev.kms.mode, staging.kms.mode, prod.kms.mode] == [
        KmsMode.AWS_MANAGED,
        KmsMode.CREATE,
        KmsMode.EXISTING,
    ]
    assert dev.store.kind is StoreKind.CLUSTER_SECRET_STORE
    assert prod.store.kind is StoreKind.SECRET_STORE
    assert {a.refresh_interval for a in dev.apps} == {"5m"}
    assert {a.refresh_interval for a in prod.apps} == {"1h"}
    assert {a.namespace for a in dev.apps} == {"payments-dev", "web-dev"}
    assert {a.namespace for a in prod.apps} == {"payments", "web"}
    assert prod.eso.install is False and dev.eso.install is True
    assert len({dev.account_id, staging.account_id, prod.account_id}) == 3


def test_bad_duration_names_file_and_key_path() -> None:
    values = _dev_values()
    values["apps"][1]["refreshInterval"] = "1 hour"
    assert _error(values) == (
        "stacks/Pulumi.alpha.yaml: secrets-iac:apps[1].refreshInterval: "
        '"1 hour" is not a duration like 1h or 30m'
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda v: v.update(recoveryWindowInDays=3),
            "secrets-iac:recoveryWindowInDays: 3 is outside the 7-30 days",
        ),
        (lambda v: v.update(accountId=111122223333), "secrets-iac:accountId: 111122223333 is not a 12-digit"),
        (lambda v: v.update(region="europe-1"), "secrets-iac:region: 'europe-1' is not an AWS region"),
        (lambda v: v.update(unknownSetting=1), "secrets-iac:unknownSetting: is not a known setting"),
        (lambda v: v.pop("cluster"), "secrets-iac:cluster: is required"),
        (lambda v: v["apps"][0].update(namespce="x"), "secrets-iac:apps[0].namespce: is not a known setting"),
        (
            lambda v: v["apps"][0].update(name="Payments"),
            "secrets-iac:apps[0].name: 'Payments' is not a valid name",
        ),
        (
            lambda v: v["apps"][0].update(deletionPolicy="Delete", creationPolicy="Merge"),
            "secrets-iac:apps[0]: deletionPolicy Delete needs creationPolicy Owner",
        ),
        (
            lambda v: v["apps"][0].update(deletionPolicy="Merge", creationPolicy="None"),
            "secrets-iac:apps[0]: deletionPolicy Merge cannot be used with creationPolicy None",
        ),
        (
            lambda v: v["apps"][0]["secrets"][0]["keys"].append({"secretKey": "DB_USERNAME"}),
            "secrets-iac:apps[0]: secretKey values must be unique within an app: DB_USERNAME",
        ),
        (
            lambda v: v["apps"][0]["secrets"][0]["keys"][0].update(secretKey="a/b"),
            "secrets-iac:apps[0].secrets[0].keys[0].secretKey: 'a/b' is not a valid Secret key",
        ),
        (
            lambda v: v["apps"][1]["tls"].update(secret="cert"),
            "tls.secret 'cert' is not one of the app's secrets",
        ),
        (
            lambda v: v.update(kms={"mode": "existing"}),
            "secrets-iac:kms: keyArn is required when mode is existing",
        ),
        (
            lambda v: v.update(kms={"mode": "existing", "keyArn": "alias/foo"}),
            "secrets-iac:kms: keyArn 'alias/foo' is not a KMS key ARN",
        ),
        (
            lambda v: v["cluster"].update(oidcIssuerUrl="https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER"),
            "secrets-iac:cluster: oidcProviderArn names",
        ),
        (
            lambda v: v["cluster"].update(oidcIssuerUrl="http://oidc.eks.eu-west-1.amazonaws.com/id/X"),
            "secrets-iac:cluster: oidcIssuerUrl 'http://oidc.eks.eu-west-1.amazonaws.com/id/X' "
            "must be an https:// URL",
        ),
        (
            lambda v: v.update(accountId="999999999999"),
            "cluster.oidcProviderArn is in account 111122223333 but accountId is 999999999999",
        ),
        (
            lambda v: v.update(tags={"managed-by": "me"}),
            "secrets-iac:tags: tags ['managed-by'] are set by secrets-iac",
        ),
        (lambda v: v["apps"].append(copy.deepcopy(v["apps"][0])), "app names must be unique: payments"),
        (
            lambda v: v["apps"][0]["secrets"][0].update(
                rotation={"lambdaArn": "arn:aws:lambda:eu-west-1:1:function:f"}
            ),
            "rotation.lambdaArn: 'arn:aws:lambda:eu-west-1:1:function:f' is not a Lambda function ARN",
        ),
        (
            lambda v: v.update(store={"kind": "SecretStore", "auth": "irsa"}),
            "apps[0].serviceAccount is required with a SecretStore using irsa auth",
        ),
        (
            lambda v: v.update(store={"auth": "static"}),
            "secrets-iac:store: staticKeys is required when auth is static",
        ),
        (lambda v: v["apps"][0].update(secrets=[], push=[]), "an app needs secrets, find, generated or push"),
        (
            lambda v: v["apps"][0]["push"][0].update(remoteName="db"),
            "secrets-iac:apps[0]: push remoteName must not be one of the app's secrets: db",
        ),
    ],
)
def test_invalid_values_are_refused_with_key_path(mutate: Any, expected: str) -> None:
    values = _dev_values()
    mutate(values)
    message = _error(values)
    assert message.startswith("stacks/Pulumi.alpha.yaml: ")
    assert expected in message


def test_every_problem_is_reported_once_per_line() -> None:
    values = _dev_values()
    values["recoveryWindowInDays"] = 90
    values["apps"][0]["refreshInterval"] = "soon"
    lines = _error(values).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("stacks/Pulumi.alpha.yaml: secrets-iac:") for line in lines)


def test_stack_file_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    with pytest.raises(UserError, match=r"Pulumi\.qa\.yaml: no such stack file"):
        load_stage_config(tmp_path, "qa")
    (tmp_path / "stacks" / "Pulumi.qa.yaml").write_text("config: [unclosed\n")
    with pytest.raises(
        UserError,
        match=r"Pulumi\.qa\.yaml: line 2, column 1: not valid YAML: while parsing a flow sequence, did not",
    ):
        load_stage_config(tmp_path, "qa")


def test_provider_region_must_match(tmp_path: Path) -> None:
    document = yaml.safe_load((EXAMPLE / "stacks" / "Pulumi.alpha.yaml").read_text())
    document["config"]["aws:region"] = "us-east-1"
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.alpha.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(UserError, match="aws:region 'us-east-1' differs from secrets-iac:region 'eu-west-1'"):
        load_stage_config(tmp_path, "alpha")


def test_secure_values_are_not_read_as_plain_config(tmp_path: Path) -> None:
    document = yaml.safe_load((EXAMPLE / "stacks" / "Pulumi.alpha.yaml").read_text())
    document["config"]["secrets-iac:dbSeed"] = {"secure": "v1:abc"}
    path = tmp_path / "Pulumi.alpha.yaml"
    path.write_text(yaml.safe_dump(document))
    assert "dbSeed" not in read_stack_values(path)
