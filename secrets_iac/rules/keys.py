"""Tag, label and annotation keys secrets-iac writes or reads, with their fixed values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MANAGED_BY_TAG: Final = "managed-by"
"""AWS tag on every resource the stage creates; ESO uses the same key for what it pushes."""
MANAGED_BY: Final = "secrets-iac"
"""`managed-by` value on what Pulumi creates, and the `app.kubernetes.io/managed-by` label value."""
ESO_MANAGED_BY: Final = "external-secrets"
"""`managed-by` value ESO (v2.9) puts on secrets it creates and requires before it writes or deletes."""
ENVIRONMENT_TAG: Final = "environment"
APP_TAG: Final = "app"
NAMESPACE_TAG: Final = "namespace"
"""The Kubernetes namespace whose ExternalSecrets may read a secret through a `sessionTags` store (ABAC).
Set by Pulumi (`SecretEntry`) and by the app's PushSecrets only; no role may set another value."""
RESERVED_TAGS: Final = frozenset({MANAGED_BY_TAG, ENVIRONMENT_TAG, APP_TAG, NAMESPACE_TAG})
"""Tags secrets-iac sets itself; stack config may not set them."""

MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
ENVIRONMENT_LABEL: Final = "secrets-iac/environment"
APP_LABEL: Final = "secrets-iac/app"
ESO_SESSION_NAMESPACE_TAG: Final = "esoNamespace"
"""STS session tag ESO (>= v2.5, `sessionTagsPolicy: Simple`) sets to the ExternalSecret's namespace."""
ESO_SESSION_STORE_NAME_TAG: Final = "esoStoreName"
ESO_SESSION_STORE_KIND_TAG: Final = "esoStoreKind"
ROLE_ARN_ANNOTATION: Final = "eks.amazonaws.com/role-arn"
"""IRSA: the ServiceAccount annotation the EKS pod identity webhook reads."""


def standard_tags(environment: str, extra: Mapping[str, str], app: str | None = None) -> dict[str, str]:
    """Required tags, applied in one place; `extra` cannot override them (the config refuses it)."""
    tags = {**extra, MANAGED_BY_TAG: MANAGED_BY, ENVIRONMENT_TAG: environment}
    if app is not None:
        tags[APP_TAG] = app
    return tags


def standard_labels(environment: str, app: str | None = None) -> dict[str, str]:
    """Labels on every Kubernetes object of a stage."""
    labels = {ENVIRONMENT_LABEL: environment}
    if app is not None:
        labels[APP_LABEL] = app
    return labels
