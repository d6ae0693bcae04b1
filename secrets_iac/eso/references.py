"""What a built ESO object refers to: its own identity, the stores it uses and the identity a store uses.

Read from the complete manifests the builders return, so deploy ordering (an object waits for exactly what it
names) follows the objects themselves rather than a second description of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secrets_iac.eso.common import KIND_CLUSTER_SECRET_STORE, KIND_SECRET_STORE


@dataclass(frozen=True, order=True)
class ObjectId:
    """A Kubernetes object's identity: kind, namespace (None when cluster-scoped) and name."""

    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def object_id(manifest: Mapping[str, Any]) -> ObjectId:
    metadata = manifest["metadata"]
    return ObjectId(manifest["kind"], metadata.get("namespace"), metadata["name"])


def _store_id(ref: Mapping[str, Any], namespace: str | None) -> ObjectId:
    kind = ref.get("kind") or KIND_SECRET_STORE  # ESO's default kind of a store reference
    return ObjectId(kind, namespace if kind == KIND_SECRET_STORE else None, ref["name"])


def store_refs(manifest: Mapping[str, Any]) -> tuple[ObjectId, ...]:
    """The stores an ExternalSecret (`secretStoreRef`) or PushSecret (`secretStoreRefs`) uses; a
    SecretStore reference resolves in the object's own namespace."""
    spec = manifest.get("spec") or {}
    namespace = manifest["metadata"].get("namespace")
    refs = [spec["secretStoreRef"]] if "secretStoreRef" in spec else list(spec.get("secretStoreRefs") or [])
    return tuple(_store_id(ref, namespace) for ref in refs if "name" in ref)


@dataclass(frozen=True)
class StoreIdentity:
    """How a store authenticates: a ServiceAccount it references (IRSA), the ESO controller's own identity,
    or static keys (neither)."""

    service_account: tuple[str, str] | None
    """(namespace, name) of `auth.jwt.serviceAccountRef`; a SecretStore's ref is in its own namespace."""
    controller: bool
    """No auth block: the controller's identity (its IRSA role or Pod Identity association)."""


def store_identity(manifest: Mapping[str, Any]) -> StoreIdentity:
    if manifest["kind"] not in (KIND_SECRET_STORE, KIND_CLUSTER_SECRET_STORE):
        raise ValueError(f"{object_id(manifest)} is not a store")
    aws = manifest["spec"]["provider"]["aws"]
    auth = aws.get("auth")
    if not auth:
        return StoreIdentity(None, controller=True)
    ref = (auth.get("jwt") or {}).get("serviceAccountRef")
    if ref is None:
        return StoreIdentity(None, controller=False)
    namespace = ref.get("namespace") or manifest["metadata"].get("namespace")
    return StoreIdentity((namespace, ref["name"]), controller=False)
