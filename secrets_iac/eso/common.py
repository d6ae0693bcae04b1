"""What every ESO kind shares: API versions and kinds, the error type, metadata, store references, label
selectors, and the checks and render helpers the kind modules build on.

Checks add ``"<field path>=<bad value>: <why>"`` lines to a :class:`Problems`; a builder raises one
:class:`EsoSpecError` listing all of them. The rules themselves live in :mod:`secrets_iac.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias, get_args

from secrets_iac.rules.aws import is_secret_id
from secrets_iac.rules.durations import is_go_duration
from secrets_iac.rules.k8s import is_dns1123_label, is_dns1123_subdomain, is_label_value, is_qualified_name
from secrets_iac.rules.keys import MANAGED_BY, MANAGED_BY_LABEL

ESO_GROUP: Final = "external-secrets.io"
ESO_API_VERSION: Final = f"{ESO_GROUP}/v1"
"""SecretStore, ClusterSecretStore, ExternalSecret (v1beta1 is no longer served)."""
PUSH_SECRET_API_VERSION: Final = f"{ESO_GROUP}/v1alpha1"
"""PushSecret: v1alpha1 is its only served version."""
PUSH_SECRET_METADATA_API_VERSION: Final = "kubernetes.external-secrets.io/v1alpha1"
PUSH_SECRET_METADATA_KIND: Final = "PushSecretMetadata"

KIND_SECRET_STORE: Final = "SecretStore"
KIND_CLUSTER_SECRET_STORE: Final = "ClusterSecretStore"
KIND_EXTERNAL_SECRET: Final = "ExternalSecret"
KIND_PUSH_SECRET: Final = "PushSecret"

StoreKind: TypeAlias = Literal["SecretStore", "ClusterSecretStore"]
SelectorOperator: TypeAlias = Literal["In", "NotIn", "Exists", "DoesNotExist"]


class EsoSpecError(ValueError):
    """An ESO manifest that the API server, the ESO webhook or the AWS provider would reject.

    ``errors`` holds one line per problem, each ``"<field path>=<bad value>: <why>"``.
    """

    def __init__(self, subject: str, errors: Iterable[str]) -> None:
        self.subject = subject
        self.errors: tuple[str, ...] = tuple(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{subject} is invalid:\n{lines}")


class Problems:
    """Collects every problem so one error reports all of them (like ESO's webhook does)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, value: object, why: str) -> None:
        self.items.append(f"{path}={value!r}: {why}")

    def raise_if_any(self, subject: str) -> None:
        if self.items:
            raise EsoSpecError(subject, self.items)


def freeze_maps(obj: object, *names: str) -> None:
    """Replace the named mapping fields of a frozen dataclass by read-only copies."""
    for name in names:
        object.__setattr__(obj, name, MappingProxyType(dict(getattr(obj, name) or {})))


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectMeta:
    """Kubernetes metadata for the custom resource itself."""

    name: str
    """``metadata.name``: DNS-1123 subdomain, at most 253 characters."""
    namespace: str | None = None
    """``metadata.namespace``: required for namespaced kinds, must be unset for cluster-scoped ones."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels; ``app.kubernetes.io/managed-by: secrets-iac`` is always added."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations. On an ExternalSecret, changing any annotation forces a re-sync."""

    def __post_init__(self) -> None:
        freeze_maps(self, "labels", "annotations")


@dataclass(frozen=True)
class StoreRef:
    """A reference to a SecretStore or ClusterSecretStore (``secretStoreRef`` / ``secretStoreRefs[]``)."""

    name: str
    """Name of the store."""
    kind: StoreKind = "SecretStore"
    """``SecretStore`` (same namespace) or ``ClusterSecretStore``."""


@dataclass(frozen=True)
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry of a Kubernetes label selector."""

    key: str
    """Label key."""
    operator: SelectorOperator
    """``In``, ``NotIn`` (need ``values``), ``Exists``, ``DoesNotExist`` (must have no ``values``)."""
    values: tuple[str, ...] = ()
    """Label values for ``In`` / ``NotIn``."""


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes label selector (``matchLabels`` AND ``matchExpressions``)."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels that must all be present with these values."""
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()
    """Set-based requirements, all of which must hold."""

    def __post_init__(self) -> None:
        freeze_maps(self, "match_labels")


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def check_enum(p: Problems, path: str, value: object, alias: Any) -> None:
    allowed = get_args(alias)
    if value not in allowed:
        p.add(path, value, f"must be one of {', '.join(allowed)}")


def check_name(p: Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not is_dns1123_subdomain(value):
        p.add(path, value, "must be a DNS-1123 subdomain (lower-case alphanumerics, '-', '.'; <= 253)")


def check_namespace(p: Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not is_dns1123_label(value):
        p.add(path, value, "must be a DNS-1123 label (lower-case alphanumerics and '-'; <= 63)")


def check_label_key(p: Problems, path: str, key: object) -> None:
    if not isinstance(key, str) or not is_qualified_name(key):
        p.add(
            path,
            key,
            "must be a qualified name ([prefix/]name: prefix a DNS-1123 subdomain, "
            "name <= 63 alphanumerics, '-', '_', '.')",
        )


def check_labels(p: Problems, path: str, labels: Mapping[str, str]) -> None:
    for key, value in labels.items():
        check_label_key(p, f"{path}[{key!r}]", key)
        if not isinstance(value, str) or not is_label_value(value):
            p.add(f"{path}[{key!r}]", value, "label value must be <= 63 alphanumerics, '-', '_', '.'")


def check_annotations(p: Problems, path: str, annotations: Mapping[str, str]) -> None:
    for key, value in annotations.items():
        check_label_key(p, f"{path}[{key!r}]", key)
        if not isinstance(value, str):
            p.add(f"{path}[{key!r}]", value, "annotation value must be a string")


def check_duration(p: Problems, path: str, value: object) -> None:
    if not is_go_duration(value):
        p.add(path, value, "must be a Go duration string such as '1h', '15m', '1h30m' or '0s'")
    elif str(value).startswith("-"):
        p.add(path, value, "must not be negative")


def check_non_empty(p: Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        p.add(path, value, "must be a non-empty string")


def check_secret_id(p: Problems, path: str, value: object) -> None:
    if not is_secret_id(value):
        p.add(path, value, "must be a Secrets Manager name or ARN (letters, digits, /_+=.@:-)")


def check_metadata(p: Problems, meta: ObjectMeta, *, namespaced: bool) -> None:
    check_name(p, "metadata.name", meta.name)
    if namespaced:
        check_namespace(p, "metadata.namespace", meta.namespace)
    elif meta.namespace is not None:
        p.add("metadata.namespace", meta.namespace, "must be unset: this kind is cluster-scoped")
    check_labels(p, "metadata.labels", meta.labels)
    if meta.labels.get(MANAGED_BY_LABEL, MANAGED_BY) != MANAGED_BY:
        p.add(
            f"metadata.labels[{MANAGED_BY_LABEL!r}]",
            meta.labels[MANAGED_BY_LABEL],
            f"is set by secrets-iac to {MANAGED_BY!r}",
        )
    check_annotations(p, "metadata.annotations", meta.annotations)


def check_store_ref(p: Problems, path: str, ref: StoreRef) -> None:
    check_name(p, f"{path}.name", ref.name)
    check_enum(p, f"{path}.kind", ref.kind, StoreKind)


def check_label_selector(p: Problems, path: str, selector: LabelSelector) -> None:
    check_labels(p, f"{path}.matchLabels", selector.match_labels)
    for i, req in enumerate(selector.match_expressions):
        rpath = f"{path}.matchExpressions[{i}]"
        check_label_key(p, f"{rpath}.key", req.key)
        check_enum(p, f"{rpath}.operator", req.operator, SelectorOperator)
        if req.operator in ("In", "NotIn") and not req.values:
            p.add(f"{rpath}.values", list(req.values), f"operator {req.operator} needs at least one value")
        if req.operator in ("Exists", "DoesNotExist") and req.values:
            p.add(f"{rpath}.values", list(req.values), f"operator {req.operator} takes no values")
    if not selector.match_labels and not selector.match_expressions:
        p.add(path, {}, "an empty selector matches every namespace; omit it or give labels/expressions")


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def prune(values: dict[str, Any]) -> dict[str, Any]:
    """Drop unset (None) and empty optional values."""
    return {k: v for k, v in values.items() if v is not None and v != {} and v != []}


def render_metadata(meta: ObjectMeta, *, namespaced: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": meta.name}
    if namespaced:
        out["namespace"] = meta.namespace
    out["labels"] = {**meta.labels, MANAGED_BY_LABEL: MANAGED_BY}
    if meta.annotations:
        out["annotations"] = dict(meta.annotations)
    return out


def manifest(api_version: str, kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}


def render_label_selector(selector: LabelSelector) -> dict[str, Any]:
    return prune(
        {
            "matchLabels": dict(selector.match_labels),
            "matchExpressions": [
                prune({"key": r.key, "operator": r.operator, "values": list(r.values)})
                for r in selector.match_expressions
            ],
        }
    )
