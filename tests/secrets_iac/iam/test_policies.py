"""Unit tests of the least-privilege policy builders: exact statements, validation, and parliament."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from secrets_iac.iam.policies import SecretScope, push_policy, read_policy, secrets_arn_pattern

REGION = "eu-west-1"
ACCOUNT = "123456789012"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEV = SecretScope(region=REGION, account_id=ACCOUNT, prefix="secrets-iac/dev")
DEV_CMK = SecretScope(region=REGION, account_id=ACCOUNT, prefix="secrets-iac/dev", kms_key_arn=KMS_KEY)
PATTERN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:secrets-iac/dev/*"
VIA_SM = {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
ESO_TAG_ON_RESOURCE = {"StringEquals": {"secretsmanager:ResourceTag/managed-by": "external-secrets"}}
ESO_TAG_IN_REQUEST = {"StringEquals": {"aws:RequestTag/managed-by": "external-secrets"}}


def by_sid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


def allowed(doc: dict[str, Any]) -> set[str]:
    return {a for s in doc["Statement"] for a in s["Action"]}


# -- secrets_arn_pattern / SecretScope ---------------------------------------------------------------------


def test_arn_pattern_has_the_slash_boundary() -> None:
    assert secrets_arn_pattern(DEV) == PATTERN


@pytest.mark.parametrize(
    ("region", "partition"),
    [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-10", "aws")],
)
def test_arn_pattern_partition_follows_the_region(region: str, partition: str) -> None:
    scope = SecretScope(region=region, account_id=ACCOUNT, prefix="p/q")
    assert scope.partition == partition
    assert secrets_arn_pattern(scope) == f"arn:{partition}:secretsmanager:{region}:{ACCOUNT}:secret:p/q/*"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"account_id": "12345678901"}, "account_id"),
        ({"account_id": "1234567890123"}, "account_id"),
        ({"account_id": "12345678901a"}, "account_id"),
        ({"region": "EU-WEST-1"}, "region"),
        ({"region": ""}, "region"),
        ({"region": "us-gov-central-x"}, "region"),
        ({"prefix": ""}, "prefix"),
        ({"prefix": "/secrets-iac/dev"}, "prefix"),
        ({"prefix": "secrets-iac/dev/"}, "prefix"),
        ({"prefix": "secrets-iac//dev"}, "prefix"),
        ({"prefix": "secrets-iac/*"}, "prefix"),
        ({"prefix": "secrets-iac/de?"}, "prefix"),
        ({"prefix": "secrets iac/dev"}, "prefix"),
        ({"kms_key_arn": "alias/aws/secretsmanager"}, "kms_key_arn"),
        ({"kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/dev"}, "kms_key_arn"),
        ({"kms_key_arn": KMS_KEY.replace(REGION, "us-east-1")}, "kms_key_arn"),
        ({"kms_key_arn": KMS_KEY.replace("arn:aws:", "arn:aws-cn:")}, "kms_key_arn"),
        ({"kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"}, "kms_key_arn"),
    ],
)
def test_scope_rejects_bad_values_naming_field_and_value(kwargs: dict[str, str], field: str) -> None:
    args = {"region": REGION, "account_id": ACCOUNT, "prefix": "secrets-iac/dev", **kwargs}
    with pytest.raises(ValueError) as excinfo:
        SecretScope(**args)
    message = str(excinfo.value)
    assert message.startswith(f"{field}:"), message
    assert repr(args[field]) in message, message


def test_scope_accepts_multi_region_key_and_other_account_key() -> None:
    SecretScope(
        region=REGION,
        account_id=ACCOUNT,
        prefix="a",
        kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/mrk-{'0' * 32}",
    )
    SecretScope(
        region=REGION, account_id=ACCOUNT, prefix="a", kms_key_arn=KMS_KEY.replace(ACCOUNT, "210987654321")
    )


# -- read_policy -------------------------------------------------------------------------------------------


def test_read_policy_exact() -> None:
    assert read_policy(DEV) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SecretsManagerReadEnvSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetResourcePolicy",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:ListSecretVersionIds",
                ],
                "Resource": PATTERN,
            }
        ],
    }


def test_read_policy_with_cmk_adds_only_decrypt_via_secretsmanager() -> None:
    statements = by_sid(read_policy(DEV_CMK))
    assert set(statements) == {"SecretsManagerReadEnvSecrets", "KmsDecryptEnvSecretsViaSecretsManager"}
    assert statements["KmsDecryptEnvSecretsViaSecretsManager"] == {
        "Sid": "KmsDecryptEnvSecretsViaSecretsManager",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": KMS_KEY,
        "Condition": VIA_SM,
    }


def test_read_policy_find_adds_a_separate_star_statement() -> None:
    statements = by_sid(read_policy(DEV, find=True))
    assert statements["SecretsManagerFindSecrets"] == {
        "Sid": "SecretsManagerFindSecrets",
        "Effect": "Allow",
        "Action": ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
        "Resource": "*",
    }
    assert statements["SecretsManagerReadEnvSecrets"] == read_policy(DEV)["Statement"][0]


def test_read_policy_never_grants_writes_and_star_only_for_find() -> None:
    for doc in (read_policy(DEV), read_policy(DEV_CMK), read_policy(DEV_CMK, find=True)):
        for action in allowed(doc):
            assert action.split(":")[1].startswith(("Get", "Describe", "List", "BatchGet", "Decrypt")), action
        star = [s["Sid"] for s in doc["Statement"] if s["Resource"] == "*"]
        assert star in ([], ["SecretsManagerFindSecrets"])


# -- push_policy -------------------------------------------------------------------------------------------


def test_push_policy_exact() -> None:
    assert push_policy(DEV) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SecretsManagerInspectEnvSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetResourcePolicy",
                    "secretsmanager:GetSecretValue",
                ],
                "Resource": PATTERN,
            },
            {
                "Sid": "SecretsManagerUpdateEnvSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DeleteResourcePolicy",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UntagResource",
                ],
                "Resource": PATTERN,
            },
            {
                "Sid": "SecretsManagerCreateEsoManagedSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:CreateSecret"],
                "Resource": PATTERN,
                "Condition": ESO_TAG_IN_REQUEST,
            },
            {
                "Sid": "SecretsManagerTagEsoManagedSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:TagResource"],
                "Resource": PATTERN,
                "Condition": ESO_TAG_IN_REQUEST,
            },
            {
                "Sid": "SecretsManagerDeleteEsoManagedSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:DeleteSecret"],
                "Resource": PATTERN,
                "Condition": ESO_TAG_ON_RESOURCE,
            },
        ],
    }


def test_push_policy_covers_every_call_eso_makes_for_a_pushsecret() -> None:
    """ESO v2.9 PushSecret (eso-notes §2): these calls must all be allowed on the prefix."""
    needed = {
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:DeleteResourcePolicy",  # on every reconcile without metadata.resourcePolicy
        "secretsmanager:DeleteSecret",
    }
    doc = push_policy(DEV)
    assert needed == allowed(doc)
    assert all(s["Resource"] == PATTERN for s in doc["Statement"])


def test_push_policy_delete_secret_only_in_its_tag_conditioned_statement() -> None:
    doc = push_policy(DEV_CMK, manage_resource_policy=True)
    holders = [s for s in doc["Statement"] if "secretsmanager:DeleteSecret" in s["Action"]]
    assert [s["Sid"] for s in holders] == ["SecretsManagerDeleteEsoManagedSecrets"]
    assert holders[0]["Action"] == ["secretsmanager:DeleteSecret"]
    assert holders[0]["Condition"] == ESO_TAG_ON_RESOURCE


def test_push_policy_resource_policy_put_is_opt_in() -> None:
    assert "secretsmanager:PutResourcePolicy" not in allowed(push_policy(DEV))
    update = by_sid(push_policy(DEV, manage_resource_policy=True))["SecretsManagerUpdateEnvSecrets"]
    assert "secretsmanager:PutResourcePolicy" in update["Action"]
    assert update["Action"] == sorted(update["Action"])


def test_push_policy_with_cmk() -> None:
    statements = by_sid(push_policy(DEV_CMK))
    assert statements["KmsUseEnvKeyViaSecretsManager"] == {
        "Sid": "KmsUseEnvKeyViaSecretsManager",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KMS_KEY,
        "Condition": VIA_SM,
    }
    assert "KmsUseEnvKeyViaSecretsManager" not in by_sid(push_policy(DEV))


def test_environments_do_not_overlap() -> None:
    staging = SecretScope(region=REGION, account_id=ACCOUNT, prefix="secrets-iac/staging")
    dev_other = SecretScope(region=REGION, account_id=ACCOUNT, prefix="secrets-iac/dev-other")
    resources = {secrets_arn_pattern(s) for s in (DEV, staging, dev_other)}
    assert len(resources) == 3
    # no pattern is a string prefix of another pattern's literal part
    literals = [r.rstrip("*") for r in resources]
    assert not any(a != b and b.startswith(a) for a in literals for b in literals)


# -- properties shared by every document -------------------------------------------------------------------

ALL_DOCS = {
    "read": read_policy(DEV),
    "read-find": read_policy(DEV, find=True),
    "read-cmk": read_policy(DEV_CMK),
    "read-find-cmk": read_policy(DEV_CMK, find=True),
    "push": push_policy(DEV),
    "push-cmk": push_policy(DEV_CMK),
    "push-resource-policy": push_policy(DEV, manage_resource_policy=True),
    "push-resource-policy-cmk": push_policy(DEV_CMK, manage_resource_policy=True),
}


@pytest.mark.parametrize("name", sorted(ALL_DOCS))
def test_document_conventions(name: str) -> None:
    doc = ALL_DOCS[name]
    assert doc["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in doc["Statement"]]
    assert len(sids) == len(set(sids)) and all(sid.isalnum() for sid in sids)  # IAM: Sid is [A-Za-z0-9]
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == sorted(set(statement["Action"]))
        assert "NotAction" not in statement and "NotResource" not in statement
        assert all("*" not in action for action in statement["Action"])
    assert json.loads(json.dumps(doc)) == doc  # plain JSON data


@pytest.mark.parametrize("name", sorted(ALL_DOCS))
def test_parliament_has_no_findings(name: str) -> None:
    policy = parliament.analyze_policy_string(json.dumps(ALL_DOCS[name]))
    findings = [(f.issue, f.detail, f.location) for f in policy.findings]
    assert findings == [], f"parliament findings for {name}: {findings}"


def test_parliament_checks_condition_keys_and_resources() -> None:
    """The parliament gate has teeth: a wrong condition key and a resource-scoped ListSecrets are caught."""
    bad = push_policy(DEV)
    bad["Statement"][4]["Condition"] = {"StringEquals": {"secretsmanager:ResourceTags/managed-by": "x"}}
    bad["Statement"].append(
        {"Sid": "Bad", "Effect": "Allow", "Action": ["secretsmanager:ListSecrets"], "Resource": PATTERN}
    )
    issues = {f.issue for f in parliament.analyze_policy_string(json.dumps(bad)).findings}
    assert {"UNKNOWN_CONDITION_FOR_ACTION", "RESOURCE_MISMATCH"} <= issues


def test_parliament_community_auditors_flag_only_resource_policy_management_on_push() -> None:
    """Community auditors add PERMISSIONS_MANAGEMENT_ACTIONS for Delete/PutResourcePolicy.
    DeleteResourcePolicy is mandatory for ESO v2.9 PushSecret (eso-notes §2): accepted and pinned here."""
    for name, doc in ALL_DOCS.items():
        issues = {
            f.issue
            for f in parliament.analyze_policy_string(
                json.dumps(doc), include_community_auditors=True
            ).findings
        }
        assert issues == ({"PERMISSIONS_MANAGEMENT_ACTIONS"} if name.startswith("push") else set()), name
