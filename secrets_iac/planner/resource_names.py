"""Pulumi names of the resources a stage derives from user input, and one refusal for what still collides.

The names come from `secrets_iac.naming`, which cannot give two (app, secret) or (namespace, object) pairs
one name. What the config itself can still declare twice is a Kubernetes object (two apps in one namespace
with the same PushSecret or per-app store): that is refused here, naming both entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from secrets_iac.config import StageConfig, StoreKind, config_key_path
from secrets_iac.eso.references import ObjectId, object_id
from secrets_iac.naming import (
    eso_resource_name,
    legacy_eso_resource_name,
    legacy_scoped_resource_name,
    secret_resource_name,
)
from secrets_iac.planner.specs import ResourceName
from secrets_iac.rules.keys import APP_LABEL


def _named(name: str, legacy: str) -> ResourceName:
    return ResourceName(name, legacy if legacy != name else None)


def _safe_aliases(names: Sequence[ResourceName]) -> list[ResourceName]:
    """Keep an alias only when it can name nothing but this resource's earlier state: not some resource's
    current name, and not claimed by two resources (the engine refused such a stack, so none exists)."""
    current = {n.name for n in names}
    claims = Counter(n.previous for n in names if n.previous)
    return [
        n
        if n.previous is None or (n.previous not in current and claims[n.previous] == 1)
        else ResourceName(n.name)
        for n in names
    ]


def secret_names(config: StageConfig) -> list[ResourceName]:
    """The SecretEntry name of every declared secret, in declaration order."""
    names: list[ResourceName] = []
    claims: list[tuple[str, str]] = []
    for a, app in enumerate(config.apps):
        for s, secret in enumerate(app.secrets):
            named = _named(
                secret_resource_name(app.name, secret.name),
                legacy_scoped_resource_name(app.name, secret.name),
            )
            names.append(named)
            claims.append((named.name, config_key_path(("apps", a, "secrets", s))))
    _refuse_duplicates(claims, "become the Pulumi resource")  # the scheme rules it out; a change must not
    return _safe_aliases(names)


def eso_names(manifests: Iterable[Mapping[str, Any]]) -> dict[ObjectId, ResourceName]:
    """The component name of every ESO object, by the object's identity."""
    ids = [object_id(m) for m in manifests]
    names = _safe_aliases(
        [
            _named(
                eso_resource_name(i.kind, i.namespace, i.name),
                legacy_eso_resource_name(i.kind, i.namespace, i.name),
            )
            for i in ids
        ]
    )
    return dict(zip(ids, names, strict=True))


def check_one_declaration_per_object(config: StageConfig, manifests: Iterable[Mapping[str, Any]]) -> None:
    """Refuse two entries declaring one Kubernetes object; the origin of an object is the app whose label it
    carries, else the stage's `store`."""
    app_index = {app.name: index for index, app in enumerate(config.apps)}

    def origin(manifest: Mapping[str, Any]) -> str:
        app = (manifest["metadata"].get("labels") or {}).get(APP_LABEL)
        return config_key_path(("apps", app_index[app]) if app in app_index else ("store",))

    claims = [(object_id(m), origin(m)) for m in manifests]
    hint = (
        "; per-app SecretStores need one namespace per app (a ClusterSecretStore serves a shared one)"
        if config.store.kind is StoreKind.SECRET_STORE
        else ""
    )
    _refuse_duplicates(claims, "declare", hint=hint)


def _refuse_duplicates(claims: Iterable[tuple[Any, str]], verb: str, *, hint: str = "") -> None:
    first: dict[Any, str] = {}
    for identity, origin in claims:
        if identity in first:
            if isinstance(identity, ObjectId):
                extra = hint if identity.kind == "SecretStore" else ""
                raise ValueError(
                    f"{first[identity]} and {origin} both {verb} {identity}: Kubernetes holds one object per "
                    f"kind, namespace and name; rename one or move it to another namespace{extra}"
                )
            raise ValueError(f"{first[identity]} and {origin} both {verb} {identity!r}")
        first[identity] = origin
