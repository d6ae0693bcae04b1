"""``PushSecret`` (``external-secrets.io/v1alpha1``): a Kubernetes Secret's values into Secrets Manager.

ESO's ``pushsecret_types.go`` with the checks its AWS provider applies on push: one target per remote key,
the wrapped ``PushSecretMetadata`` (format, KMS key, description, tags) and the ``managed-by`` tag that
ESO reserves for itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from secrets_iac.eso.common import (
    KIND_PUSH_SECRET,
    PUSH_SECRET_API_VERSION,
    PUSH_SECRET_METADATA_API_VERSION,
    PUSH_SECRET_METADATA_KIND,
    ObjectMeta,
    Problems,
    StoreRef,
    check_duration,
    check_enum,
    check_metadata,
    check_name,
    check_non_empty,
    check_secret_id,
    check_store_ref,
    freeze_maps,
    manifest,
    prune,
    render_metadata,
)
from secrets_iac.eso.generators import GeneratorRef, check_generator_ref
from secrets_iac.rules.k8s import is_secret_key
from secrets_iac.rules.keys import MANAGED_BY_TAG

PushUpdatePolicy: TypeAlias = Literal["Replace", "IfNotExists"]
PushDeletionPolicy: TypeAlias = Literal["None", "Delete"]
SecretPushFormat: TypeAlias = Literal["string", "binary"]


@dataclass(frozen=True)
class PushSecretMetadata:
    """AWS Secrets Manager push options, rendered in ESO's wrapped ``PushSecretMetadata`` form."""

    secret_push_format: SecretPushFormat | None = None
    """``string`` (SecretString) or ``binary`` (SecretBinary, ESO's default when unset)."""
    kms_key_id: str | None = None
    """KMS key id/ARN/alias for a new secret (default ``alias/aws/secretsmanager``)."""
    description: str | None = None
    """Secret description."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """AWS tags; ESO then owns all tags (removes others). ``managed-by`` is reserved by ESO."""

    def __post_init__(self) -> None:
        freeze_maps(self, "tags")


@dataclass(frozen=True)
class PushSecretData:
    """One ``spec.data[]`` entry: which Secret key goes to which Secrets Manager secret."""

    remote_key: str
    """``match.remoteRef.remoteKey``: target secret name."""
    secret_key: str | None = None
    """``match.secretKey``; unset pushes the whole Secret as one JSON object."""
    metadata: PushSecretMetadata | None = None
    """Provider metadata (format, KMS key, description, tags)."""


@dataclass(frozen=True)
class PushSecretArgs:
    """A ``PushSecret`` (v1alpha1) writing a Kubernetes Secret's values to Secrets Manager."""

    metadata: ObjectMeta
    """Name and (required) namespace."""
    secret_name: str | None
    """``selector.secret.name``: the source Secret in the same namespace (or None with `generator`)."""
    secret_store_refs: tuple[StoreRef, ...]
    """Stores to push to (at least one)."""
    data: tuple[PushSecretData, ...]
    """What to push (at least one entry)."""
    generator: GeneratorRef | None = None
    """``selector.generatorRef``: push a generator's output instead of a Secret (exactly one of the two)."""
    refresh_interval: str = "1h"
    """``spec.refreshInterval``: Go duration."""
    update_policy: PushUpdatePolicy = "Replace"
    """``Replace`` overwrites; ``IfNotExists`` skips secrets that already have a value."""
    deletion_policy: PushDeletionPolicy = "None"
    """``None`` keeps AWS secrets; ``Delete`` deletes them (only ones tagged managed-by=external-secrets)."""


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def _check_aws_tags(p: Problems, path: str, tags: Mapping[str, str]) -> None:
    for key, value in tags.items():
        tpath = f"{path}[{key!r}]"
        if key == MANAGED_BY_TAG:
            p.add(tpath, value, "ESO sets 'managed-by: external-secrets' itself and errors on a user tag")
            continue
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            p.add(tpath, key, "AWS tag keys are 1-128 characters and must not start with 'aws:'")
        if not isinstance(value, str) or len(value) > 256:
            p.add(tpath, value, "AWS tag values are strings of at most 256 characters")


def _check_push_metadata(p: Problems, path: str, meta: PushSecretMetadata) -> None:
    if meta.secret_push_format is not None:
        check_enum(p, f"{path}.secretPushFormat", meta.secret_push_format, SecretPushFormat)
    if meta.kms_key_id is not None:
        check_non_empty(p, f"{path}.kmsKeyId", meta.kms_key_id)
    if meta.description is not None and (
        not isinstance(meta.description, str) or len(meta.description) > 2048
    ):
        p.add(f"{path}.description", meta.description, "must be a string of at most 2048 characters")
    _check_aws_tags(p, f"{path}.tags", meta.tags)


def _check_push_secret(p: Problems, args: PushSecretArgs) -> None:
    check_metadata(p, args.metadata, namespaced=True)
    if (args.secret_name is None) == (args.generator is None):
        p.add("spec.selector", args.secret_name, "needs exactly one of a Secret name or a generatorRef")
    if args.secret_name is not None:
        check_name(p, "spec.selector.secret.name", args.secret_name)
    if args.generator is not None:
        check_generator_ref(p, "spec.selector.generatorRef", args.generator)
    check_duration(p, "spec.refreshInterval", args.refresh_interval)
    check_enum(p, "spec.updatePolicy", args.update_policy, PushUpdatePolicy)
    check_enum(p, "spec.deletionPolicy", args.deletion_policy, PushDeletionPolicy)
    if not args.secret_store_refs:
        p.add("spec.secretStoreRefs", [], "needs at least one store")
    for i, ref in enumerate(args.secret_store_refs):
        check_store_ref(p, f"spec.secretStoreRefs[{i}]", ref)
    if not args.data:
        p.add("spec.data", [], "needs at least one entry")
    targets: dict[str, int] = {}
    for i, item in enumerate(args.data):
        path = f"spec.data[{i}]"
        check_secret_id(p, f"{path}.match.remoteRef.remoteKey", item.remote_key)
        if item.secret_key is not None and (
            not isinstance(item.secret_key, str) or not is_secret_key(item.secret_key)
        ):
            p.add(f"{path}.match.secretKey", item.secret_key, "must match ^[-._a-zA-Z0-9]+$")
        if item.remote_key in targets:
            p.add(
                f"{path}.match.remoteRef.remoteKey",
                item.remote_key,
                f"same target as spec.data[{targets[item.remote_key]}]; one would overwrite the other",
            )
        else:
            targets[item.remote_key] = i
        if item.metadata is not None:
            _check_push_metadata(p, f"{path}.metadata.spec", item.metadata)


# --------------------------------------------------------------------------------------------------
# Rendering and builder
# --------------------------------------------------------------------------------------------------


def _render_push_metadata(meta: PushSecretMetadata) -> dict[str, Any]:
    return {
        "apiVersion": PUSH_SECRET_METADATA_API_VERSION,
        "kind": PUSH_SECRET_METADATA_KIND,
        "spec": prune(
            {
                "secretPushFormat": meta.secret_push_format,
                "kmsKeyId": meta.kms_key_id,
                "description": meta.description,
                "tags": dict(meta.tags),
            }
        ),
    }


def push_secret(args: PushSecretArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1alpha1`` ``PushSecret`` manifest. Raises :class:`EsoSpecError`."""
    p = Problems()
    _check_push_secret(p, args)
    p.raise_if_any(f"{KIND_PUSH_SECRET} {args.metadata.namespace}/{args.metadata.name}")
    data: list[dict[str, Any]] = []
    for item in args.data:
        entry: dict[str, Any] = {
            "match": prune({"secretKey": item.secret_key, "remoteRef": {"remoteKey": item.remote_key}})
        }
        if item.metadata is not None:
            entry["metadata"] = _render_push_metadata(item.metadata)
        data.append(entry)
    spec = {
        "refreshInterval": args.refresh_interval,
        "updatePolicy": args.update_policy,
        "deletionPolicy": args.deletion_policy,
        "secretStoreRefs": [{"name": r.name, "kind": r.kind} for r in args.secret_store_refs],
        "selector": (
            {"generatorRef": args.generator.render()}
            if args.generator is not None
            else {"secret": {"name": args.secret_name}}
        ),
        "data": data,
    }
    return manifest(
        PUSH_SECRET_API_VERSION, KIND_PUSH_SECRET, render_metadata(args.metadata, namespaced=True), spec
    )
