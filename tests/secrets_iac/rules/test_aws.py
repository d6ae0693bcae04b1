"""AWS facts the ESO builders rely on: regions, role ARNs, Secrets Manager ids."""

from __future__ import annotations

import pytest

from secrets_iac.rules.aws import IAM_ROLE_ARN, SECRET_ID_MAX, is_region, is_secret_id


@pytest.mark.parametrize(
    "value",
    [
        "prod/db",
        "prod/shared/",
        "team_a+b=c.d@e-f",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
        "x" * SECRET_ID_MAX,
    ],
)
def test_secret_id_accepts_names_prefixes_and_arns(value: str) -> None:
    assert is_secret_id(value)


@pytest.mark.parametrize("value", ["", "has space", "prod/*", "prod/db?", "x" * (SECRET_ID_MAX + 1), None, 7])
def test_secret_id_refuses(value: object) -> None:
    assert not is_secret_id(value)


def test_region_and_role_arn() -> None:
    assert is_region("eu-west-1") and is_region("us-gov-west-1")
    assert not is_region("Europe") and not is_region("nowhere")
    assert IAM_ROLE_ARN.match("arn:aws:iam::123456789012:role/eso-reader")
    assert not IAM_ROLE_ARN.match("eso-reader")
