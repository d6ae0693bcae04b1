"""Session-tag ABAC documents: exact statements, parliament, and the tag logic evaluated with the documents as
data (moto ignores conditions, so `tests/iam_eval.py` judges `${aws:PrincipalTag/esoNamespace}`,
`aws:RequestTag/*` and `aws:TagKeys` here)."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from secrets_iac.iam.abac import assume_reader_policy, namespace_tag_read_policy, session_tag_trust_policy
from secrets_iac.iam.policies import SecretScope
from secrets_iac.planner import policy_document, render_stage
from tests.fixtures.stores import ACCOUNT, PREFIX, STAGE, layered_config
from tests.iam_eval import Request, allows, wildcard

REGION = "eu-west-1"
SCOPE = SecretScope(REGION, ACCOUNT, PREFIX)
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
IDENTITY = f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-{STAGE}-tenants-store-identity"
READER = f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-{STAGE}-tenants-store-reader"
TAGS = {"esoNamespace": "alpha", "esoStoreName": "tenants", "esoStoreKind": "ClusterSecretStore"}


def read_doc() -> dict[str, Any]:
    return namespace_tag_read_policy(SCOPE, prefixes=[f"{PREFIX}/alpha", f"{PREFIX}/beta"])


def trust_doc() -> dict[str, Any]:
    return session_tag_trust_policy(
        identity_role_arn=IDENTITY, store_name="tenants", namespaces=["beta", "alpha"]
    )


def test_read_statement_is_exact() -> None:
    assert read_doc()["Statement"] == [
        {
            "Sid": "SecretsManagerReadOwnNamespaceSecrets",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:GetSecretValue",
                "secretsmanager:ListSecretVersionIds",
            ],
            "Resource": [f"{ARN}{PREFIX}/alpha/*", f"{ARN}{PREFIX}/beta/*"],
            "Condition": {
                "StringEquals": {"secretsmanager:ResourceTag/namespace": "${aws:PrincipalTag/esoNamespace}"}
            },
        }
    ]


def test_trust_and_assume_statements_are_exact() -> None:
    assert trust_doc()["Statement"] == [
        {
            "Sid": "EsoStoreIdentityWithSessionTags",
            "Effect": "Allow",
            "Principal": {"AWS": IDENTITY},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {
                    "aws:RequestTag/esoNamespace": ["alpha", "beta"],
                    "aws:RequestTag/esoStoreKind": "ClusterSecretStore",
                    "aws:RequestTag/esoStoreName": "tenants",
                },
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["esoNamespace", "esoStoreKind", "esoStoreName"]
                },
            },
        }
    ]
    assert assume_reader_policy(READER)["Statement"] == [
        {
            "Sid": "AssumeStoreReaderWithSessionTags",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": READER,
        }
    ]


@pytest.mark.parametrize(
    "document",
    [read_doc(), namespace_tag_read_policy(SCOPE, find=True), assume_reader_policy(READER)],
    ids=["read", "read-find", "assume"],
)
def test_parliament_has_no_findings(document: dict[str, Any]) -> None:
    findings = [(f.issue, f.detail) for f in parliament.analyze_policy_string(json.dumps(document)).findings]
    assert findings == []


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        assume_reader_policy("tenants-reader")
    with pytest.raises(ValueError, match="at least one namespace"):
        session_tag_trust_policy(identity_role_arn=IDENTITY, store_name="tenants", namespaces=[])
    with pytest.raises(ValueError, match="DNS-1123"):
        session_tag_trust_policy(identity_role_arn=IDENTITY, store_name="tenants", namespaces=["Alpha"])


# -- the tag logic, evaluated ----------------------------------------------------------------------


def _read(
    session: str | None, tag: str | None, secret: str, action: str = "secretsmanager:GetSecretValue"
) -> bool:
    context: dict[str, str] = {}
    if session is not None:
        context["aws:PrincipalTag/esoNamespace"] = session
    if tag is not None:
        context["secretsmanager:ResourceTag/namespace"] = tag
    return allows(read_doc(), Request(action, f"{ARN}{PREFIX}/{secret}-AbCdEf", context=context))


@pytest.mark.parametrize("session", ["alpha", "beta", "gamma", None])
@pytest.mark.parametrize("tag", ["alpha", "beta", "gamma", None])
@pytest.mark.parametrize("secret", ["alpha/token", "beta/token", "billing/api-key"])
def test_a_session_reads_only_secrets_tagged_with_its_namespace(
    session: str | None, tag: str | None, secret: str
) -> None:
    in_prefix = secret.split("/")[0] in ("alpha", "beta")
    expected = session is not None and session == tag and in_prefix
    assert _read(session, tag, secret) is expected
    assert _read(session, tag, secret, "secretsmanager:DescribeSecret") is expected


def test_the_reader_cannot_write_or_tag() -> None:
    for action in (
        "secretsmanager:PutSecretValue",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
    ):
        request = Request(
            action,
            f"{ARN}{PREFIX}/alpha/token-AbCdEf",
            context={
                "aws:PrincipalTag/esoNamespace": "alpha",
                "secretsmanager:ResourceTag/namespace": "alpha",
            },
        )
        assert not allows(read_doc(), request)


def _assume(principal: str, tags: dict[str, str] | None, action: str = "sts:AssumeRole") -> bool:
    context: dict[str, str | list[str]] = {}
    if tags:
        context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        context["aws:TagKeys"] = sorted(tags)
    return allows(trust_doc(), Request(action, principal=principal, context=context))


def test_the_identity_assumes_the_reader_with_eso_tags() -> None:
    assert _assume(IDENTITY, TAGS)
    assert _assume(IDENTITY, TAGS, "sts:TagSession")
    assert _assume(IDENTITY, {**TAGS, "esoNamespace": "beta"})


@pytest.mark.parametrize(
    ("principal", "tags"),
    [
        (IDENTITY, None),  # no session tags: sessionTagsPolicy None
        (IDENTITY, {**TAGS, "esoNamespace": "billing"}),  # a namespace the store does not serve
        (IDENTITY, {**TAGS, "esoStoreName": "shared"}),  # another store's session
        (IDENTITY, {**TAGS, "esoStoreKind": "SecretStore"}),
        (IDENTITY, {**TAGS, "team": "x"}),  # an extra tag key
        (f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-{STAGE}-shared-store-reader", TAGS),  # another role
    ],
)
def test_nobody_else_and_no_other_session_assumes_the_reader(
    principal: str, tags: dict[str, str] | None
) -> None:
    assert not _assume(principal, tags)


# -- in the rendered stage ----------------------------------------------------------------------


def test_no_role_of_the_stage_may_tag_a_read_secret() -> None:
    """The namespace tag is Pulumi's and the sync's: no role may TagResource a git-managed secret; the
    pusher may tag only its own push names, and behind a session-tag store only with its own namespace."""
    plan = render_stage(layered_config(), STAGE)
    read_secrets = [f"{ARN}{s.name}-AbCdEf" for s in plan.secrets]
    for role in plan.roles:
        for spec in role.policies:
            document = policy_document(spec, plan, None)
            for statement in document["Statement"]:
                if "secretsmanager:TagResource" not in statement["Action"]:
                    continue
                assert role.key == "orders-pusher"
                resources = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                assert not [s for s in read_secrets for r in resources if wildcard(r, s)]


def test_a_pusher_behind_a_session_tag_store_tags_only_its_own_namespace() -> None:
    values = layered_config().model_dump(by_alias=True, exclude_none=True)
    values["apps"][4]["push"] = [{"secretName": "alpha-out", "remoteName": "out"}]
    plan = render_stage(layered_config(**values), STAGE)
    pusher = next(r for r in plan.roles if r.key == "alpha-pusher")
    document = policy_document(pusher.policies[0], plan, None)
    target = f"{ARN}{PREFIX}/alpha/out-AbCdEf"

    def tag(namespace: str) -> bool:
        context = {"aws:RequestTag/managed-by": "external-secrets", "aws:RequestTag/namespace": namespace}
        return allows(document, Request("secretsmanager:TagResource", target, context=context))

    assert tag("alpha") and not tag("beta")
    push = next(p for p in plan.push_secrets if p["metadata"]["namespace"] == "alpha")
    assert push["spec"]["data"][0]["metadata"]["spec"]["tags"]["namespace"] == "alpha"
