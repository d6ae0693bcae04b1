"""Reading references out of built ESO objects: identity, stores used, a store's identity."""

from __future__ import annotations

import pytest

from secrets_iac import eso
from secrets_iac.eso.references import ObjectId, StoreIdentity, object_id, store_identity, store_refs


def _store(auth: eso.AwsAuth, namespace: str | None = "shop") -> dict[str, object]:
    provider = eso.AwsSecretsManagerProvider(region="eu-west-1", auth=auth, recovery_window_in_days=7)
    if namespace is None:
        return eso.cluster_secret_store(
            eso.ClusterSecretStoreArgs(metadata=eso.ObjectMeta(name="aws"), provider=provider)
        )
    return eso.secret_store(eso.SecretStoreArgs(eso.ObjectMeta(name="aws", namespace=namespace), provider))


def test_identity_of_namespaced_and_cluster_objects() -> None:
    assert object_id(_store(eso.ControllerIdentityAuth())) == ObjectId("SecretStore", "shop", "aws")
    assert object_id(_store(eso.ControllerIdentityAuth(), None)) == ObjectId(
        "ClusterSecretStore", None, "aws"
    )
    assert str(ObjectId("SecretStore", "shop", "aws")) == "SecretStore shop/aws"
    assert str(ObjectId("ClusterSecretStore", None, "aws")) == "ClusterSecretStore aws"


@pytest.mark.parametrize(
    ("auth", "namespace", "identity"),
    [
        (eso.IrsaAuth("reader"), "shop", StoreIdentity(("shop", "reader"), controller=False)),
        (
            eso.IrsaAuth("reader", "external-secrets"),
            None,
            StoreIdentity(("external-secrets", "reader"), False),
        ),
        (eso.ControllerIdentityAuth(), "shop", StoreIdentity(None, controller=True)),
        (
            eso.StaticKeysAuth(
                access_key_id=eso.SecretKeySelector("keys", "id", None),
                secret_access_key=eso.SecretKeySelector("keys", "secret", None),
            ),
            "shop",
            StoreIdentity(None, controller=False),
        ),
    ],
)
def test_store_identity(auth: eso.AwsAuth, namespace: str | None, identity: StoreIdentity) -> None:
    assert store_identity(_store(auth, namespace)) == identity


def test_store_refs_resolve_secret_stores_in_the_objects_namespace() -> None:
    external = eso.external_secret(
        eso.ExternalSecretArgs(
            metadata=eso.ObjectMeta(name="app-secrets", namespace="shop"),
            secret_store_ref=eso.StoreRef("aws", "SecretStore"),
            data_from=(eso.DataFromExtract(eso.RemoteRef(key="p/app/db")),),
        )
    )
    assert store_refs(external) == (ObjectId("SecretStore", "shop", "aws"),)
    push = eso.push_secret(
        eso.PushSecretArgs(
            metadata=eso.ObjectMeta(name="app-push", namespace="shop"),
            secret_name="token",
            secret_store_refs=(
                eso.StoreRef("aws-push", "SecretStore"),
                eso.StoreRef("all", "ClusterSecretStore"),
            ),
            data=(eso.PushSecretData(remote_key="p/app/token"),),
        )
    )
    assert store_refs(push) == (
        ObjectId("SecretStore", "shop", "aws-push"),
        ObjectId("ClusterSecretStore", None, "all"),
    )


def test_store_identity_refuses_what_is_not_a_store() -> None:
    with pytest.raises(ValueError, match="is not a store"):
        store_identity({"kind": "ExternalSecret", "metadata": {"name": "x", "namespace": "y"}, "spec": {}})
