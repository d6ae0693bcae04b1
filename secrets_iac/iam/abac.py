"""ABAC for a shared ClusterSecretStore: one reader role, per-namespace least privilege by session tags.

ESO (>= v2.5) with ``sessionTagsPolicy: Simple`` assumes the store's ``role`` with the STS session tags
``esoNamespace`` (the ExternalSecret's namespace), ``esoStoreName`` and ``esoStoreKind``. Three documents:

* :func:`assume_reader_policy`: the store's IRSA identity may assume the reader role, tagging the session.
* :func:`session_tag_trust_policy`: the reader trusts exactly that identity, only with ESO's three tags,
  only for this store and only for the namespaces it serves.
* :func:`namespace_tag_read_policy`: the reader reads a secret only if its ``namespace`` tag equals the
  session's ``esoNamespace`` (``${aws:PrincipalTag/esoNamespace}``), and only under the served prefixes.

The ``namespace`` tag is set by Pulumi (``SecretEntry``) and by the app's own PushSecrets (whose role may
only set its own namespace); no read role is granted ``TagResource``, so no namespace can re-point a secret.
Pure builders, like :mod:`secrets_iac.iam.policies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from secrets_iac.iam.policies import POLICY_VERSION, SecretScope, read_policy
from secrets_iac.rules.aws import IAM_ROLE_ARN
from secrets_iac.rules.k8s import is_dns1123_label
from secrets_iac.rules.keys import (
    ESO_SESSION_NAMESPACE_TAG,
    ESO_SESSION_STORE_KIND_TAG,
    ESO_SESSION_STORE_NAME_TAG,
    NAMESPACE_TAG,
)

__all__ = [
    "ESO_SESSION_TAG_KEYS",
    "assume_reader_policy",
    "namespace_tag_read_policy",
    "session_tag_trust_policy",
]

#: The tags ESO's `Simple` policy sends, and the only ones the reader's trust accepts.
ESO_SESSION_TAG_KEYS = (ESO_SESSION_NAMESPACE_TAG, ESO_SESSION_STORE_KIND_TAG, ESO_SESSION_STORE_NAME_TAG)
_ASSUME_ACTIONS = ["sts:AssumeRole", "sts:TagSession"]


def _role_arn(arn: str, field: str) -> str:
    if not IAM_ROLE_ARN.match(arn):
        raise ValueError(f"{field}: {arn!r} is not an IAM role ARN")
    return arn


def assume_reader_policy(reader_role_arn: str) -> dict[str, Any]:
    """Identity policy of the store's IRSA identity: assume the reader with session tags, nothing else."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AssumeStoreReaderWithSessionTags",
                "Effect": "Allow",
                "Action": _ASSUME_ACTIONS,
                "Resource": _role_arn(reader_role_arn, "reader_role_arn"),
            }
        ],
    }


def session_tag_trust_policy(
    *, identity_role_arn: str, store_name: str, namespaces: Sequence[str]
) -> dict[str, Any]:
    """Trust of the reader role: ``sts:AssumeRole`` + ``sts:TagSession`` from `identity_role_arn` only.

    Conditions (all must hold; values of one key are ORed): ``esoNamespace`` is one of `namespaces`,
    ``esoStoreName`` is this store, ``esoStoreKind`` is ClusterSecretStore, and no other tag key is sent
    (``ForAllValues:StringEquals aws:TagKeys``). A session without tags fails the first three.
    """
    if not namespaces:
        raise ValueError("namespaces: a sessionTags store serves at least one namespace")
    for namespace in namespaces:
        if not is_dns1123_label(namespace):
            raise ValueError(f"namespaces: {namespace!r} is not a DNS-1123 label")
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "EsoStoreIdentityWithSessionTags",
                "Effect": "Allow",
                "Principal": {"AWS": _role_arn(identity_role_arn, "identity_role_arn")},
                "Action": _ASSUME_ACTIONS,
                "Condition": {
                    "StringEquals": {
                        f"aws:RequestTag/{ESO_SESSION_NAMESPACE_TAG}": sorted(set(namespaces)),
                        f"aws:RequestTag/{ESO_SESSION_STORE_KIND_TAG}": "ClusterSecretStore",
                        f"aws:RequestTag/{ESO_SESSION_STORE_NAME_TAG}": store_name,
                    },
                    "ForAllValues:StringEquals": {"aws:TagKeys": list(ESO_SESSION_TAG_KEYS)},
                },
            }
        ],
    }


def namespace_tag_read_policy(
    scope: SecretScope, *, prefixes: Sequence[str] | None = None, find: bool = False
) -> dict[str, Any]:
    """:func:`~secrets_iac.iam.policies.read_policy` whose read statement also requires the secret's
    ``namespace`` tag to equal the session's ``esoNamespace`` tag. A secret without the tag, or a session
    without it, is never read (IAM's StringEquals is false when either side is missing)."""
    document = read_policy(scope, find=find, prefixes=prefixes)
    for statement in document["Statement"]:
        if statement["Sid"] == "SecretsManagerReadEnvSecrets":
            statement["Sid"] = "SecretsManagerReadOwnNamespaceSecrets"
            statement["Condition"] = {
                "StringEquals": {
                    f"secretsmanager:ResourceTag/{NAMESPACE_TAG}": (
                        f"${{aws:PrincipalTag/{ESO_SESSION_NAMESPACE_TAG}}}"
                    )
                }
            }
    return document
