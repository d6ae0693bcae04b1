"""The planner's resource names: aliases for renamed resources, and the refusal for objects declared twice."""

from __future__ import annotations

from typing import Any

import pytest

from secrets_iac.config import parse_stage_config
from secrets_iac.errors import UserError
from secrets_iac.eso.references import ObjectId
from secrets_iac.planner import StagePlan, render_stage, render_stage_checked
from secrets_iac.planner.resource_names import check_one_declaration_per_object
from secrets_iac.rules.keys import APP_LABEL
from tests.fixtures.stages import app_values, stage_values

SOURCE = "stacks/Pulumi.qa.yaml"


def _plan(**overrides: Any) -> StagePlan:
    return render_stage(parse_stage_config(stage_values(**overrides), source=SOURCE), "qa")


def _refusal(**overrides: Any) -> str:
    config = parse_stage_config(stage_values(**overrides), source=SOURCE)
    with pytest.raises(UserError) as caught:
        render_stage_checked(config, "qa", source=SOURCE)
    return str(caught.value)


def test_the_reported_pair_gets_two_entries_and_no_alias_to_the_shared_old_name() -> None:
    """`a` + `b-c` and `a-b` + `c`: two names now; the old `a-b-c` named both, so neither is aliased to it
    (no stack can hold it: the engine refused the duplicate URN)."""
    plan = _plan(
        apps=[
            app_values("a", secrets=[{"name": "b-c"}]),
            app_values("a-b", secrets=[{"name": "c"}]),
        ]
    )
    assert [(s.key, s.previous_key) for s in plan.secrets] == [("a-b-c", None), ("a-b/c", None)]


def test_a_renamed_secret_is_aliased_from_its_earlier_name() -> None:
    plan = _plan(apps=[app_values("orders-api", secrets=[{"name": "db"}, {"name": "certs/main"}])])
    assert [(s.key, s.previous_key) for s in plan.secrets] == [
        ("orders-api/db", "orders-api-db"),
        ("orders-api/certs/main", "orders-api-certs-main"),
    ]


def test_an_earlier_name_that_is_now_another_resources_name_is_not_an_alias() -> None:
    """App `a` secrets `x/y` and `x-y` were both `a-x-y`; `x-y` keeps that name, `x/y` gets no alias."""
    plan = _plan(apps=[app_values("a", secrets=[{"name": "x/y"}, {"name": "x-y"}])])
    assert [(s.key, s.previous_key) for s in plan.secrets] == [("a/x/y", None), ("a-x-y", None)]


def test_unchanged_names_have_no_alias() -> None:
    plan = _plan()
    assert {s.key: s.previous_key for s in plan.secrets} == {"orders-db": None, "billing-api-key": None}
    assert all(n.previous is None for n in plan.eso_names.values())


def test_eso_objects_in_a_hyphenated_namespace_are_renamed_with_an_alias() -> None:
    plan = _plan(apps=[app_values("orders", namespace="orders-qa", push=True)])
    names = {str(oid): (n.name, n.previous) for oid, n in plan.eso_names.items()}
    assert names["ExternalSecret orders-qa/orders-secrets"] == (
        "externalsecret-orders-qa/orders-secrets",
        "externalsecret-orders-qa-orders-secrets",
    )
    assert names["PushSecret orders-qa/orders-push-orders-token"][1] == (
        "pushsecret-orders-qa-orders-push-orders-token"
    )
    assert set(plan.eso_names) >= {ObjectId("SecretStore", "orders-qa", "aws-secrets-manager")}


def _push_secret(app: str, namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1alpha1",
        "kind": "PushSecret",
        "metadata": {"name": name, "namespace": namespace, "labels": {APP_LABEL: app}},
        "spec": {},
    }


def test_one_object_declared_by_two_apps_is_refused_naming_both() -> None:
    """`a` pushing `b-push-c` and `a-push-b` pushing `c` in one namespace are one PushSecret object."""
    config = parse_stage_config(
        stage_values(apps=[app_values("a", namespace="shop"), app_values("a-push-b", namespace="shop")]),
        source=SOURCE,
    )
    objects = [
        _push_secret("a", "shop", "a-push-b-push-c"),
        _push_secret("a-push-b", "shop", "a-push-b-push-c"),
    ]
    with pytest.raises(ValueError) as caught:
        check_one_declaration_per_object(config, objects)
    assert str(caught.value) == (
        "secrets-iac:apps[0] and secrets-iac:apps[1] both declare PushSecret shop/a-push-b-push-c: "
        "Kubernetes holds one object per kind, namespace and name; rename one or move it to another namespace"
    )
    check_one_declaration_per_object(config, objects[:1])  # one declaration is fine


def test_apps_sharing_a_namespace_are_refused_where_their_objects_collide() -> None:
    """End to end (with today's store topology): two apps in one namespace, each pushing, declare the same
    push store; `plan` and `pulumi up` refuse it in one line naming both apps (before: two resources of one
    name, refused by the engine only at `pulumi up`)."""
    message = _refusal(
        store={"kind": "ClusterSecretStore"},
        apps=[app_values("a", namespace="shop", push=True), app_values("b", namespace="shop", push=True)],
    )
    assert message.startswith(f"{SOURCE}: secrets-iac:apps[0] and secrets-iac:apps[1] both declare ")
    assert " shop/" in message and "\n" not in message


def test_two_apps_with_per_app_stores_in_one_namespace_are_refused_with_the_way_out() -> None:
    """The store layout refuses it first (config/stores.py), naming both apps and the way out."""
    message = _refusal(apps=[app_values("a", namespace="shop"), app_values("b", namespace="shop")])
    assert message.startswith(
        f"{SOURCE}: apps a and b would both get a SecretStore named 'aws-secrets-manager' in namespace shop"
    )
    assert message.endswith(
        "declare one store for that namespace in stores[] and name it from both apps' store"
    )
    assert "\n" not in message
