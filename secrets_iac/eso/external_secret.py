"""``ExternalSecret`` (``external-secrets.io/v1``): Secrets Manager values into a Kubernetes Secret.

ESO's ``externalsecret_types.go`` with the checks of ``externalsecret_validator.go`` and its AWS provider:
unique keys, the target's creation/deletion policy pair, TLS templates over keys that are fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from secrets_iac.eso.common import (
    ESO_API_VERSION,
    KIND_EXTERNAL_SECRET,
    ObjectMeta,
    Problems,
    StoreRef,
    check_annotations,
    check_duration,
    check_enum,
    check_labels,
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
from secrets_iac.rules.eso import target_policy_problem
from secrets_iac.rules.k8s import is_secret_key

TEMPLATE_ENGINE_VERSION: Final = "v2"
TLS_SECRET_TYPE: Final = "kubernetes.io/tls"

CreationPolicy: TypeAlias = Literal["Owner", "Orphan", "Merge", "None", "CreateOrMerge"]
DeletionPolicy: TypeAlias = Literal["Retain", "Delete", "Merge"]
RefreshPolicy: TypeAlias = Literal["CreatedOnce", "Periodic", "OnChange"]


@dataclass(frozen=True)
class RemoteRef:
    """Where a value lives in Secrets Manager (``data[].remoteRef`` / ``dataFrom[].extract``)."""

    key: str
    """Secret name or ARN."""
    property: str | None = None
    """gjson path into a JSON secret, e.g. ``"password"`` or ``"db.host"``."""
    version: str | None = None
    """Version stage (``AWSPREVIOUS``, custom stage) or ``uuid/<version-id>``; unset = AWSCURRENT.
    There is no ``versionStage`` field in ESO: the stage goes here."""


@dataclass(frozen=True)
class ExternalSecretData:
    """One ``spec.data[]`` entry: a single value into one key of the target Secret."""

    secret_key: str
    """Key in the target Secret (``^[-._a-zA-Z0-9]+$``, unique within the ExternalSecret)."""
    remote_ref: RemoteRef
    """The Secrets Manager value."""


@dataclass(frozen=True)
class DataFromExtract:
    """``dataFrom[].extract``: every top-level field of a JSON secret becomes a key."""

    remote_ref: RemoteRef
    """The JSON secret (``property`` picks a sub-object first)."""


@dataclass(frozen=True)
class DataFromFind:
    """``dataFrom[].find``: many secrets at once; keys are the secret names. Needs ListSecrets/BatchGet."""

    path: str | None = None
    """``find.path``: name prefix filter."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """``find.tags``: secrets carrying all these tags."""

    def __post_init__(self) -> None:
        freeze_maps(self, "tags")


DataFrom: TypeAlias = DataFromExtract | DataFromFind


@dataclass(frozen=True)
class SecretTemplate:
    """``spec.target.template`` (engine v2) as rendered: what a :class:`TlsTemplate` expands to."""

    type: str | None = None
    """Secret ``type``."""
    data: Mapping[str, str] = field(default_factory=dict)
    """Rendered keys: Go templates over the fetched keys, e.g. ``{"tls.crt": "{{ .cert }}"}``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """``metadata.labels`` of the Secret (replaces the ExternalSecret's copied labels)."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """``metadata.annotations`` of the Secret."""

    def __post_init__(self) -> None:
        freeze_maps(self, "data", "labels", "annotations")


@dataclass(frozen=True)
class TlsTemplate:
    """A ``kubernetes.io/tls`` Secret with ``tls.crt``/``tls.key`` rendered from two fetched keys."""

    cert_key: str = "cert"
    """Fetched key holding the PEM certificate (chain); becomes ``tls.crt``."""
    private_key_key: str = "key"
    """Fetched key holding the PEM private key; becomes ``tls.key``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """``metadata.labels`` of the Secret."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """``metadata.annotations`` of the Secret."""

    def __post_init__(self) -> None:
        freeze_maps(self, "labels", "annotations")

    def to_template(self) -> SecretTemplate:
        """The ``spec.target.template`` this stands for."""
        return SecretTemplate(
            type=TLS_SECRET_TYPE,
            data={"tls.crt": template_ref(self.cert_key), "tls.key": template_ref(self.private_key_key)},
            labels=self.labels,
            annotations=self.annotations,
        )


def template_ref(fetched_key: str) -> str:
    """A v2 template expression for one fetched key: ``{{ .cert }}``, or ``{{ index . "tls-crt" }}``."""
    if fetched_key.isascii() and fetched_key.isidentifier():  # a Go identifier: [A-Za-z_][A-Za-z0-9_]*
        return "{{ ." + fetched_key + " }}"
    quoted = fetched_key.replace("\\", "\\\\").replace('"', '\\"')
    return '{{ index . "' + quoted + '" }}'


@dataclass(frozen=True)
class TargetArgs:
    """``spec.target``: the Kubernetes Secret ESO writes."""

    name: str | None = None
    """Secret name; defaults to the ExternalSecret's name."""
    creation_policy: CreationPolicy = "Owner"
    """``Owner`` | ``Orphan`` | ``Merge`` | ``None`` | ``CreateOrMerge``."""
    deletion_policy: DeletionPolicy = "Retain"
    """``Retain`` | ``Delete`` (needs ``Owner``) | ``Merge`` (not with ``None``): on empty provider data."""
    immutable: bool = False
    """Set ``Secret.immutable``; the data is then never rewritten."""
    template: TlsTemplate | None = None
    """Make the Secret a ``kubernetes.io/tls`` one."""


@dataclass(frozen=True)
class ExternalSecretArgs:
    """An ``ExternalSecret`` (v1) syncing Secrets Manager values into a Kubernetes Secret."""

    metadata: ObjectMeta
    """Name and (required) namespace."""
    secret_store_ref: StoreRef
    """The store to read from."""
    data: tuple[ExternalSecretData, ...] = ()
    """Individual values; applied after ``data_from``."""
    data_from: tuple[DataFrom, ...] = ()
    """Bulk sources, merged in order. ``data`` or ``data_from`` must be non-empty."""
    refresh_interval: str = "1h"
    """``spec.refreshInterval``: Go duration; ``"0s"`` syncs once."""
    refresh_policy: RefreshPolicy | None = None
    """``CreatedOnce`` | ``Periodic`` (ESO default) | ``OnChange``."""
    target: TargetArgs = field(default_factory=TargetArgs)
    """The Secret to write."""


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def _check_remote_ref(p: Problems, path: str, ref: RemoteRef) -> None:
    check_secret_id(p, f"{path}.key", ref.key)
    if ref.property is not None:
        check_non_empty(p, f"{path}.property", ref.property)
    if ref.version is not None:
        if not isinstance(ref.version, str) or not ref.version.strip():
            p.add(f"{path}.version", ref.version, "must be a version stage (e.g. AWSPREVIOUS) or uuid/<id>")
        elif ref.version == "uuid/":
            p.add(f"{path}.version", ref.version, "uuid/ needs a version id after the slash")


def _check_data(p: Problems, args: ExternalSecretArgs) -> None:
    if not args.data and not args.data_from:
        p.add("spec.data/spec.dataFrom", [], "either data or dataFrom must be non-empty")
    seen: dict[str, int] = {}
    for i, item in enumerate(args.data):
        path = f"spec.data[{i}]"
        if not isinstance(item.secret_key, str) or not is_secret_key(item.secret_key):
            p.add(f"{path}.secretKey", item.secret_key, "must match ^[-._a-zA-Z0-9]+$ (<= 253)")
        elif item.secret_key in seen:
            p.add(
                f"{path}.secretKey",
                item.secret_key,
                f"duplicates spec.data[{seen[item.secret_key]}].secretKey; keys must be unique",
            )
        else:
            seen[item.secret_key] = i
        _check_remote_ref(p, f"{path}.remoteRef", item.remote_ref)
    for i, source in enumerate(args.data_from):
        path = f"spec.dataFrom[{i}]"
        if isinstance(source, DataFromExtract):
            _check_remote_ref(p, f"{path}.extract", source.remote_ref)
        elif isinstance(source, DataFromFind):
            fpath = f"{path}.find"
            if source.path is None and not source.tags:
                p.add(fpath, {}, "needs a path or tags (else it lists every secret)")
            if source.path is not None:
                check_secret_id(p, f"{fpath}.path", source.path)
            for key, value in source.tags.items():
                check_non_empty(p, f"{fpath}.tags[{key!r}] (key)", key)
                if not isinstance(value, str):
                    p.add(f"{fpath}.tags[{key!r}]", value, "must be a string")
        else:
            p.add(path, source, "must have exactly one of extract (DataFromExtract) or find (DataFromFind)")


def _check_target(p: Problems, args: ExternalSecretArgs) -> None:
    target, path = args.target, "spec.target"
    if target.name is not None:
        check_name(p, f"{path}.name", target.name)
    check_enum(p, f"{path}.creationPolicy", target.creation_policy, CreationPolicy)
    check_enum(p, f"{path}.deletionPolicy", target.deletion_policy, DeletionPolicy)
    problem = target_policy_problem(target.creation_policy, target.deletion_policy)
    if problem:
        p.add(f"{path}.deletionPolicy", target.deletion_policy, problem)
    template = target.template
    if isinstance(template, TlsTemplate):
        fetched = {d.secret_key for d in args.data}
        for attr, key in (("cert_key", template.cert_key), ("private_key_key", template.private_key_key)):
            if not isinstance(key, str) or not is_secret_key(key):
                p.add(f"{path}.template ({attr})", key, "must be a fetched key name (^[-._a-zA-Z0-9]+$)")
            elif not args.data_from and key not in fetched:
                p.add(
                    f"{path}.template ({attr})",
                    key,
                    "is not a spec.data[].secretKey of this ExternalSecret (templates fail on missing keys)",
                )
        check_labels(p, f"{path}.template.metadata.labels", template.labels)
        check_annotations(p, f"{path}.template.metadata.annotations", template.annotations)
    elif template is not None:
        p.add(f"{path}.template", template, "must be a TlsTemplate")


# --------------------------------------------------------------------------------------------------
# Rendering and builder
# --------------------------------------------------------------------------------------------------


def _render_remote_ref(ref: RemoteRef) -> dict[str, Any]:
    return prune({"key": ref.key, "property": ref.property, "version": ref.version})


def _render_data_from(source: DataFrom) -> dict[str, Any]:
    if isinstance(source, DataFromExtract):
        return {"extract": _render_remote_ref(source.remote_ref)}
    return {"find": prune({"path": source.path, "tags": dict(source.tags)})}


def _render_template(template: SecretTemplate) -> dict[str, Any]:
    return prune(
        {
            "type": template.type,
            "engineVersion": TEMPLATE_ENGINE_VERSION,
            "metadata": prune({"labels": dict(template.labels), "annotations": dict(template.annotations)}),
            "data": dict(template.data),
        }
    )


def external_secret(args: ExternalSecretArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1`` ``ExternalSecret`` manifest. Raises :class:`EsoSpecError`."""
    p = Problems()
    check_metadata(p, args.metadata, namespaced=True)
    check_store_ref(p, "spec.secretStoreRef", args.secret_store_ref)
    check_duration(p, "spec.refreshInterval", args.refresh_interval)
    if args.refresh_policy is not None:
        check_enum(p, "spec.refreshPolicy", args.refresh_policy, RefreshPolicy)
    _check_data(p, args)
    _check_target(p, args)
    p.raise_if_any(f"{KIND_EXTERNAL_SECRET} {args.metadata.namespace}/{args.metadata.name}")
    target = args.target
    spec = prune(
        {
            "refreshInterval": args.refresh_interval,
            "refreshPolicy": args.refresh_policy,
            "secretStoreRef": {"name": args.secret_store_ref.name, "kind": args.secret_store_ref.kind},
            "target": prune(
                {
                    "name": target.name,
                    "creationPolicy": target.creation_policy,
                    "deletionPolicy": target.deletion_policy,
                    "immutable": True if target.immutable else None,
                    "template": _render_template(target.template.to_template()) if target.template else None,
                }
            ),
            "dataFrom": [_render_data_from(s) for s in args.data_from],
            "data": [
                {"secretKey": d.secret_key, "remoteRef": _render_remote_ref(d.remote_ref)} for d in args.data
            ],
        }
    )
    return manifest(
        ESO_API_VERSION, KIND_EXTERNAL_SECRET, render_metadata(args.metadata, namespaced=True), spec
    )
