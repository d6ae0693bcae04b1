"""The stage's admission policy, evaluated with a real CEL runtime (tests/vap_eval.py) on allowed and denied
ExternalSecrets and PushSecrets; its objects validated against Kubernetes' own schemas
(kubernetes-validate)."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from secrets_iac.planner import StagePlan, render_stage
from tests.fixtures.stores import PREFIX, STAGE, layered_config, layered_values
from tests.vap_eval import Verdict, admit


@pytest.fixture(scope="module")
def plan() -> StagePlan:
    return render_stage(layered_config(), STAGE)


@pytest.fixture(scope="module")
def policy(plan: StagePlan) -> dict[str, Any]:
    return plan.admission[0]


def es(
    namespace: str, *, store: tuple[str, str] | None = ("ClusterSecretStore", "shared"), **spec: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"target": {"name": "out"}, **spec}
    if store is not None:
        body["secretStoreRef"] = {"kind": store[0], "name": store[1]}
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": body,
    }


def data(*keys: str) -> list[dict[str, Any]]:
    return [{"secretKey": f"k{i}", "remoteRef": {"key": key}} for i, key in enumerate(keys)]


def ps(namespace: str, refs: list[dict[str, Any]], *keys: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1alpha1",
        "kind": "PushSecret",
        "metadata": {"name": "probe", "namespace": namespace},
        "spec": {
            "secretStoreRefs": refs,
            "selector": {"secret": {"name": "src"}},
            "data": [{"match": {"secretKey": "k", "remoteRef": {"remoteKey": key}}} for key in keys],
            **spec,
        },
    }


PUSH_STORE = {"kind": "SecretStore", "name": "aws-secrets-manager-push"}


def test_the_policy_and_binding_validate_against_kubernetes_schemas(plan: StagePlan) -> None:
    policy, binding = plan.admission
    assert (policy["kind"], binding["kind"]) == (
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    )
    assert binding["spec"] == {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"]}
    for manifest in plan.admission:
        for version in ("1.30", "1.37"):
            kubernetes_validate.validate(manifest, version, strict=True)
    broken = copy.deepcopy(binding)
    broken["spec"]["validationAction"] = broken["spec"].pop("validationActions")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30", strict=True)


def test_admission_can_be_turned_off() -> None:
    assert render_stage(layered_config(admission={"enabled": False}), STAGE).admission == ()


def test_every_object_of_the_stage_is_admitted(plan: StagePlan, policy: dict[str, Any]) -> None:
    objects = [*plan.external_secrets, *plan.push_secrets]
    assert len(objects) == 8
    for obj in objects:
        assert admit(policy, obj) == Verdict(True, ()), obj["metadata"]


@pytest.mark.parametrize(
    ("obj", "labels"),
    [
        (es("billing", data=data(f"{PREFIX}/billing/api-key")), None),
        (es("billing", dataFrom=[{"extract": {"key": f"{PREFIX}/billing/api-key"}}]), None),
        (es("alpha", store=("ClusterSecretStore", "tenants"), data=data(f"{PREFIX}/alpha/token")), None),
        (
            es("orders", store=("SecretStore", "aws-secrets-manager"), data=data(f"{PREFIX}/orders/token")),
            None,
        ),
        (
            es(
                "reports",
                store=("SecretStore", "aws-secrets-manager"),
                dataFrom=[{"find": {"path": f"{PREFIX}/reports/"}}],
            ),
            None,
        ),
        # the extra conditions of `shared`: its apps' prefixes, nothing else
        (es("shared-preview-7", data=data(f"{PREFIX}/shipping/carrier")), None),
        (es("labelled", data=data(f"{PREFIX}/billing/api-key")), {"team": "shared"}),
        # a generator entry names no remote key
        (
            es(
                "billing",
                data=[
                    {
                        "secretKey": "p",
                        "remoteRef": {"key": "password"},
                        "sourceRef": {"generatorRef": {"kind": "Password", "name": "g"}},
                    }
                ],
            ),
            None,
        ),
        (ps("orders", [PUSH_STORE], f"{PREFIX}/orders/token"), None),
        # outside the stage: a team's own store in its own namespace is none of this policy's business
        (es("elsewhere", store=("SecretStore", "their-vault"), data=data("anything")), None),
    ],
)
def test_granted_objects_are_admitted(
    policy: dict[str, Any], obj: dict[str, Any], labels: dict[str, str] | None
) -> None:
    assert admit(policy, obj, namespace_labels=labels) == Verdict(True, ())


@pytest.mark.parametrize(
    ("obj", "labels", "message"),
    [
        (
            es("billing", store=("ClusterSecretStore", "tenants"), data=data(f"{PREFIX}/billing/api-key")),
            None,
            "ExternalSecret billing/probe references a store not granted to namespace billing: "
            "ClusterSecretStore/tenants",
        ),
        (
            es(
                "billing",
                data=[
                    {
                        "secretKey": "a",
                        "remoteRef": {"key": f"{PREFIX}/billing/api-key"},
                        "sourceRef": {"storeRef": {"kind": "ClusterSecretStore", "name": "tenants"}},
                    }
                ],
            ),
            None,
            "not granted to namespace billing: ClusterSecretStore/tenants",
        ),
        (
            es(
                "billing",
                dataFrom=[
                    {
                        "extract": {"key": f"{PREFIX}/alpha/token"},
                        "sourceRef": {"storeRef": {"kind": "ClusterSecretStore", "name": "tenants"}},
                    }
                ],
            ),
            None,
            "not granted to namespace billing: ClusterSecretStore/tenants",
        ),
        (
            es(
                "billing",
                store=("SecretStore", "aws-secrets-manager"),
                data=data(f"{PREFIX}/billing/api-key"),
            ),
            None,
            "not granted to namespace billing: SecretStore/aws-secrets-manager",
        ),
        (
            es("billing", data=data(f"{PREFIX}/billing/api-key", f"{PREFIX}/shipping/carrier")),
            None,
            f"ExternalSecret billing/probe names remote keys outside {PREFIX}/billing/: "
            f"{PREFIX}/shipping/carrier",
        ),
        (
            es("billing", data=data(f"{PREFIX}/billing-other/x")),
            None,
            f"outside {PREFIX}/billing/: {PREFIX}/billing-other/x",
        ),
        (es("billing", data=data(f"{PREFIX}/billing")), None, "names remote keys outside"),
        (
            es(
                "billing",
                data=data(f"arn:aws:secretsmanager:eu-west-1:444455556666:secret:{PREFIX}/billing/api-key"),
            ),
            None,
            "names remote keys outside",
        ),
        (
            es("billing", dataFrom=[{"extract": {"key": f"{PREFIX}/orders/db"}}]),
            None,
            "names remote keys outside",
        ),
        (es("billing", dataFrom=[{"find": {"path": f"{PREFIX}/billing/"}}]), None, "uses dataFrom.find"),
        (
            es(
                "reports",
                store=("SecretStore", "aws-secrets-manager"),
                dataFrom=[{"find": {"path": f"{PREFIX}/"}}],
            ),
            None,
            "uses dataFrom.find",
        ),
        (
            es(
                "reports",
                store=("SecretStore", "aws-secrets-manager"),
                dataFrom=[{"find": {"tags": {"a": "b"}}}],
            ),
            None,
            "uses dataFrom.find",
        ),
        (
            es("shared-preview-7", data=data(f"{PREFIX}/orders/db")),
            None,
            f"names remote keys outside {PREFIX}/billing/, {PREFIX}/shipping/: {PREFIX}/orders/db",
        ),
        (
            es("intruder", data=data(f"{PREFIX}/billing/api-key")),
            None,
            "not granted to namespace intruder: ClusterSecretStore/shared",
        ),
        (es("labelled", data=data(f"{PREFIX}/billing/api-key")), {"team": "other"}, "not granted"),
        (
            ps("orders", [{"kind": "ClusterSecretStore", "name": "shared"}], f"{PREFIX}/orders/token"),
            None,
            "PushSecret orders/probe references a store not granted to namespace orders: "
            "ClusterSecretStore/shared",
        ),
        (
            ps("orders", [PUSH_STORE], f"{PREFIX}/orders/db", f"{PREFIX}/billing/api-key"),
            None,
            f"outside {PREFIX}/orders/: {PREFIX}/billing/api-key",
        ),
        (
            ps("orders", [{"labelSelector": {"matchLabels": {"a": "b"}}}], f"{PREFIX}/orders/token"),
            None,
            "SecretStore/<labelSelector>",
        ),
        (
            ps(
                "orders",
                [PUSH_STORE],
                f"{PREFIX}/orders/token",
                dataTo=[{"storeRef": {"name": "aws-secrets-manager-push"}}],
            ),
            None,
            "uses dataTo",
        ),
        (ps("billing", [PUSH_STORE], f"{PREFIX}/billing/x"), None, "SecretStore/aws-secrets-manager-push"),
    ],
)
def test_ungranted_objects_are_refused(
    policy: dict[str, Any], obj: dict[str, Any], labels: dict[str, str] | None, message: str
) -> None:
    verdict = admit(policy, obj, namespace_labels=labels)
    assert not verdict.admitted
    assert any(message in m for m in verdict.messages), verdict.messages


def test_updates_are_checked_and_deletions_let_through(policy: dict[str, Any]) -> None:
    bad = es("billing", store=("ClusterSecretStore", "tenants"), data=data(f"{PREFIX}/alpha/token"))
    assert not admit(policy, bad, operation="UPDATE").admitted
    bad["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert admit(policy, bad, operation="UPDATE").admitted  # its finalizer can always be removed


def test_two_apps_in_one_namespace_get_both_prefixes() -> None:
    values = layered_values()
    values["apps"].append(
        {"name": "ledger", "namespace": "billing", "store": "shared", "secrets": [{"name": "k"}]}
    )
    policy = render_stage(layered_config(**values), STAGE).admission[0]
    assert admit(policy, es("billing", data=data(f"{PREFIX}/ledger/k", f"{PREFIX}/billing/api-key"))).admitted
    assert not admit(policy, es("billing", data=data(f"{PREFIX}/shipping/carrier"))).admitted
