"""`sync_policy`: the identity that runs `secrets-iac sync` for one stage, as data and through parliament.

What it allows and denies on a moto server with IAM enforcement is proved in
tests/aws/test_sync_least_privilege.py.
"""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from secrets_iac.iam.policies import SecretScope, secrets_arn_pattern, sync_lock_arn, sync_policy

REGION = "eu-west-1"
ACCOUNT = "123456789012"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BLUE = SecretScope(region=REGION, account_id=ACCOUNT, prefix="secrets-iac/blue")
BLUE_CMK = SecretScope(region=REGION, account_id=ACCOUNT, prefix="secrets-iac/blue", kms_key_arn=KMS_KEY)


def by_sid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


def test_statements_of_the_default_policy() -> None:
    doc = sync_policy(BLUE)
    assert doc["Version"] == "2012-10-17"
    assert by_sid(doc) == {
        "SecretsManagerListForBatchedReads": {
            "Sid": "SecretsManagerListForBatchedReads",
            "Effect": "Allow",
            "Action": ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
            "Resource": "*",
        },
        "SecretsManagerSyncEnvSecrets": {
            "Sid": "SecretsManagerSyncEnvSecrets",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:secrets-iac/blue/*",
        },
        "SecretsManagerSyncLock": {
            "Sid": "SecretsManagerSyncLock",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:TagResource",
            ],
            "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:secrets-iac/blue.sync-lock-??????",
        },
    }


def test_nothing_but_the_lock_can_be_created_or_deleted_by_default() -> None:
    doc = sync_policy(BLUE)
    for statement in doc["Statement"]:
        if {"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret"} & set(statement["Action"]):
            assert statement["Resource"] == sync_lock_arn(BLUE)
    assert "*" not in sync_lock_arn(BLUE)  # exactly AWS's six-character suffix


def test_create_missing_adds_tagged_creation_under_the_prefix() -> None:
    statement = by_sid(sync_policy(BLUE, create_missing=True))["SecretsManagerCreateEnvSecrets"]
    assert statement["Action"] == ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
    assert statement["Resource"] == secrets_arn_pattern(BLUE)
    assert statement["Condition"] == {"StringEquals": {"aws:RequestTag/managed-by": "secrets-iac"}}


def test_customer_managed_key_is_used_only_via_secrets_manager() -> None:
    statement = by_sid(sync_policy(BLUE_CMK))["KmsUseEnvKeyViaSecretsManager"]
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Resource"] == KMS_KEY
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }
    assert "KmsUseEnvKeyViaSecretsManager" not in by_sid(sync_policy(BLUE))


def test_partition_follows_the_region() -> None:
    scope = SecretScope(region="cn-north-1", account_id=ACCOUNT, prefix="p/q")
    assert (
        sync_lock_arn(scope) == f"arn:aws-cn:secretsmanager:cn-north-1:{ACCOUNT}:secret:p/q.sync-lock-??????"
    )


@pytest.mark.parametrize("community", [False, True])
@pytest.mark.parametrize(
    "doc",
    [sync_policy(BLUE), sync_policy(BLUE_CMK), sync_policy(BLUE_CMK, create_missing=True)],
    ids=["default", "cmk", "cmk-create-missing"],
)
def test_parliament_has_no_findings(doc: dict[str, Any], community: bool) -> None:
    policy = parliament.analyze_policy_string(json.dumps(doc), include_community_auditors=community)
    assert [(f.issue, f.detail) for f in policy.findings] == []
