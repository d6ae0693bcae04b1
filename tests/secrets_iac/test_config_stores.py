"""`stores[]`, `apps[].store`, `generated[]`, `refreshPolicy`: accepted layouts; one line per mistake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secrets_iac.config import StoreAccess, StoreKind
from secrets_iac.errors import UserError
from tests.fixtures.stores import STAGE, layered_config, layered_values

SOURCE = f"stacks/Pulumi.{STAGE}.yaml"


def test_the_layered_stage_loads() -> None:
    config = layered_config()
    assert [(s.name, s.kind, s.access) for s in config.stores] == [
        ("shared", StoreKind.CLUSTER_SECRET_STORE, StoreAccess.ROLE),
        ("tenants", StoreKind.CLUSTER_SECRET_STORE, StoreAccess.SESSION_TAGS),
    ]
    assert [a.store for a in config.apps] == [None, "shared", "shared", None, "tenants", "tenants"]
    assert config.apps[0].refresh_policy == "OnChange"
    assert config.apps[0].generated[0].key == "ADMIN_PASSWORD"
    assert config.admission.enabled


def _refused(edit: Callable[[dict[str, Any]], None]) -> str:
    values = layered_values()
    edit(values)
    with pytest.raises(UserError) as excinfo:
        layered_config(**values)
    message = str(excinfo.value)
    assert message.startswith(f"{SOURCE}: secrets-iac"), message
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda v: v["stores"][0]["conditions"][0].update(namespaceRegexes=["^ok$", "shared-preview"]),
            "secrets-iac:stores[0].conditions[0].namespaceRegexes[1]: 'shared-preview' must be anchored",
        ),
        (
            lambda v: v["stores"][0]["conditions"][0].update(namespaceRegexes=["^a$|b"]),
            "secrets-iac:stores[0].conditions[0].namespaceRegexes[0]: '^a$|b' must be anchored",
        ),
        (
            lambda v: v["stores"][0]["conditions"][0].update(namespaceRegexes=["^(?=x)$"]),
            "namespaceRegexes[0]: '^(?=x)$' uses lookaround",
        ),
        (
            lambda v: v["stores"][0]["conditions"][1].update(namespaceSelector={}),
            "secrets-iac:stores[0].conditions[1].namespaceSelector: an empty selector matches every",
        ),
        (
            lambda v: v["stores"][0]["conditions"][1].update(
                namespaceSelector={"matchExpressions": [{"key": "team", "operator": "In"}]}
            ),
            "stores[0].conditions[1].namespaceSelector.matchExpressions[0]: operator In needs at least one",
        ),
        (
            lambda v: v["stores"][0].update(kind="SecretStore"),
            "secrets-iac:stores[0]: conditions are only used by a ClusterSecretStore",
        ),
        (
            lambda v: v["stores"][1].update(kind="SecretStore"),
            "stores[1]: access sessionTags needs kind ClusterSecretStore",
        ),
        (
            lambda v: v["stores"][1].update(auth="controller"),
            "stores[1]: access sessionTags needs auth irsa",
        ),
        (
            lambda v: v["stores"][0].update(refreshInterval="ten minutes"),
            'secrets-iac:stores[0].refreshInterval: "ten minutes" is not seconds or a duration',
        ),
        (lambda v: v["stores"][0].update(bogus=1), "secrets-iac:stores[0].bogus: is not a known setting"),
        (
            lambda v: v["apps"][1].update(store="nope"),
            "apps[1].store 'nope' is not a stores[] name (shared, tenants)",
        ),
        (
            lambda v: v["stores"].append({"name": "idle", "kind": "ClusterSecretStore"}),
            "stores[2] 'idle' serves no app",
        ),
        (
            lambda v: v["stores"].append(dict(v["stores"][1])),
            "stores[2].name 'tenants' is also stores[1].name",
        ),
        (
            lambda v: (
                v["stores"].append({"name": "pair", "kind": "SecretStore"})
                or v["apps"][1].update(store="pair")
                or v["apps"][2].update(store="pair")
            ),
            "stores[2] 'pair' is a SecretStore but its apps are in namespaces billing, shipping",
        ),
        (
            lambda v: v.update(store={"kind": "ClusterSecretStore"}),
            "store.kind ClusterSecretStore is shorthand for one store serving every app",
        ),
        (
            lambda v: v["stores"][1].update(serviceAccount="shared-reader"),
            "stores[1] 'tenants' uses ServiceAccount 'shared-reader' like stores[0]",
        ),
        (
            lambda v: v["apps"][3].pop("serviceAccount"),
            "apps[3].serviceAccount is required with a SecretStore using irsa auth",
        ),
        (
            lambda v: v["apps"][0]["generated"][0].update(length=8, digits=6, symbols=6),
            "apps[0].generated[0]: digits + symbols (12) exceed length 8",
        ),
        (
            lambda v: v["apps"][0]["generated"][0].update(length=200),
            "apps[0].generated[0]: 100 letters without repeats but only 52 exist",
        ),
        (
            lambda v: v["apps"][0]["generated"][0].update(name="Admin_Password"),
            "apps[0].generated[0].name: 'Admin_Password' is not a valid generated name",
        ),
        (
            lambda v: v["apps"][0]["generated"][0].update(name="token"),
            "generated names must differ from each other, secrets and push: token",
        ),
        (
            lambda v: v["apps"][0]["generated"][0].update(secretKey="DB_PASSWORD"),
            "secretKey values must be unique within an app: DB_PASSWORD",
        ),
        (lambda v: v["apps"][0].update(refreshPolicy="Always"), "secrets-iac:apps[0].refreshPolicy:"),
        (lambda v: v.update(tags={"namespace": "x"}), "tags ['namespace'] are set by secrets-iac itself"),
    ],
)
def test_mistakes_are_refused_naming_the_file_and_key(
    edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    assert expected in _refused(edit)


def test_an_app_with_only_push_may_not_name_a_store() -> None:
    message = _refused(
        lambda v: v["apps"].append(
            {
                "name": "feed",
                "namespace": "feed",
                "store": "shared",
                "push": [{"secretName": "feed-token", "remoteName": "token"}],
            }
        )
    )
    assert "apps[6].store is set but the app reads nothing" in message


def test_the_shorthand_store_key_keeps_working() -> None:
    """`store:` alone is the old single switch: per-app SecretStores, or one ClusterSecretStore."""
    values = layered_values(store={"kind": "ClusterSecretStore", "serviceAccount": "eso-reader"}, stores=[])
    for app in values["apps"]:
        app.pop("store", None)
    config = layered_config(**values)
    assert config.store.kind is StoreKind.CLUSTER_SECRET_STORE and config.stores == ()
