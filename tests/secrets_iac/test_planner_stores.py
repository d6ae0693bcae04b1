"""The store topology of a stage: each role reads exactly what its apps own, each ClusterSecretStore admits
exactly its apps' namespaces (plus its extra conditions), pushers write exactly their names, and every new
ESO object validates strictly against ESO's CRD schemas."""

from __future__ import annotations

import re
from typing import Any

import pytest

from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan, policy_document, render_stage, render_stage_checked
from tests.eso_schema import validate_manifest
from tests.fixtures.stores import ACCOUNT, PREFIX, STAGE, layered_config, layered_values

ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:"


@pytest.fixture(scope="module")
def plan() -> StagePlan:
    return render_stage(layered_config(), STAGE)


def _document(plan: StagePlan, role: str, policy: str = "read-secrets") -> dict[str, Any]:
    spec = next(p for r in plan.roles if r.key == role for p in r.policies if p.name == policy)
    return policy_document(spec, plan, None)


def _resources(statement: dict[str, Any]) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else resource


def test_one_role_per_irsa_store_and_one_pusher() -> None:
    plan = render_stage(layered_config(), STAGE)
    assert [(r.key, r.identity, r.create_service_account) for r in plan.roles] == [
        ("orders-reader", "irsa", True),
        ("reports-reader", "irsa", True),
        ("shared-store-reader", "irsa", True),
        ("tenants-store-identity", "irsa", True),
        ("tenants-store-reader", "role-chain", False),
        ("orders-pusher", "irsa", True),
    ]
    assert plan.controller_role_key is None


@pytest.mark.parametrize(
    ("role", "prefixes"),
    [
        ("orders-reader", ["orders"]),
        ("reports-reader", ["reports"]),
        ("shared-store-reader", ["billing", "shipping"]),
        ("tenants-store-reader", ["alpha", "beta"]),
    ],
)
def test_each_reader_reads_exactly_its_apps_prefixes(plan: StagePlan, role: str, prefixes: list[str]) -> None:
    read = _document(plan, role)["Statement"][0]
    assert sorted(_resources(read)) == [f"{ARN}{PREFIX}/{app}/*" for app in prefixes]


def test_the_stage_prefix_only_when_a_store_serves_every_app() -> None:
    values = layered_values()
    values["stores"] = [{"name": "everyone", "kind": "ClusterSecretStore"}]
    for app in values["apps"]:
        app["store"] = "everyone"
    plan = render_stage(layered_config(**values), STAGE)
    read = _document(plan, "everyone-store-reader")["Statement"][0]
    assert read["Resource"] == f"{ARN}{PREFIX}/*"


def test_find_is_granted_only_to_the_role_of_the_app_that_uses_it(plan: StagePlan) -> None:
    sids = {
        r.key: [s["Sid"] for s in _document(plan, r.key)["Statement"]]
        for r in plan.roles
        if "reader" in r.key
    }
    assert sids.pop("reports-reader") == ["SecretsManagerReadEnvSecrets", "SecretsManagerFindSecrets"]
    assert all("SecretsManagerFindSecrets" not in s for s in sids.values()), sids
    es = next(e for e in plan.external_secrets if e["metadata"]["namespace"] == "reports")
    assert es["spec"]["dataFrom"][-1] == {"find": {"path": f"{PREFIX}/reports/exports/"}}


def test_the_pusher_writes_exactly_its_push_targets_and_generated_names(plan: StagePlan) -> None:
    document = _document(plan, "orders-pusher", "push-secrets")
    wanted = [f"{ARN}{PREFIX}/orders/admin-password-??????", f"{ARN}{PREFIX}/orders/token-??????"]
    for statement in document["Statement"]:
        assert _resources(statement) == wanted, statement["Sid"]
    assert all("db" not in r for s in document["Statement"] for r in _resources(s))


def _eso_admits(conditions: list[dict[str, Any]], namespace: str, labels: dict[str, str]) -> bool:
    """ESO v2.9's `shouldProcessSecret`: any condition, any part; names, unanchored Go regexes, selector."""
    for condition in conditions:
        if namespace in condition.get("namespaces", []):
            return True
        if any(re.search(rx, namespace) for rx in condition.get("namespaceRegexes", [])):
            return True
        selector = condition.get("namespaceSelector")
        if selector and all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
            return True
    return False


@pytest.mark.parametrize(
    ("store", "namespace", "labels", "admitted"),
    [
        ("shared", "billing", {}, True),
        ("shared", "shipping", {}, True),
        ("shared", "shared-preview-12", {}, True),
        ("shared", "labelled", {"team": "shared"}, True),
        ("shared", "orders", {}, False),
        ("shared", "alpha", {}, False),
        ("shared", "xshared-preview-12", {}, False),
        ("shared", "shared-preview-12-evil", {}, False),
        ("shared", "labelled", {"team": "other"}, False),
        ("tenants", "alpha", {}, True),
        ("tenants", "beta", {}, True),
        ("tenants", "billing", {}, False),
        ("tenants", "alphabet", {}, False),
    ],
)
def test_cluster_store_conditions_admit_exactly_the_served_namespaces(
    plan: StagePlan, store: str, namespace: str, labels: dict[str, str], admitted: bool
) -> None:
    manifest = next(
        s for s in plan.stores if s["kind"] == "ClusterSecretStore" and s["metadata"]["name"] == store
    )
    assert _eso_admits(manifest["spec"]["conditions"], namespace, labels) is admitted


def test_apps_reference_their_store(plan: StagePlan) -> None:
    refs = {e["metadata"]["namespace"]: e["spec"]["secretStoreRef"] for e in plan.external_secrets}
    assert refs == {
        "orders": {"name": "aws-secrets-manager", "kind": "SecretStore"},
        "billing": {"name": "shared", "kind": "ClusterSecretStore"},
        "shipping": {"name": "shared", "kind": "ClusterSecretStore"},
        "reports": {"name": "aws-secrets-manager", "kind": "SecretStore"},
        "alpha": {"name": "tenants", "kind": "ClusterSecretStore"},
        "beta": {"name": "tenants", "kind": "ClusterSecretStore"},
    }
    orders = next(e for e in plan.external_secrets if e["metadata"]["namespace"] == "orders")
    assert orders["spec"]["refreshPolicy"] == "OnChange"
    assert all("refreshPolicy" not in e["spec"] for e in plan.external_secrets if e is not orders)


def test_session_tag_store_assumes_its_reader_with_simple_tags(plan: StagePlan) -> None:
    tenants = next(s for s in plan.stores if s["metadata"]["name"] == "tenants")
    aws = tenants["spec"]["provider"]["aws"]
    assert aws["role"] == f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-{STAGE}-tenants-store-reader"
    assert aws["sessionTagsPolicy"] == "Simple"
    assert aws["auth"] == {
        "jwt": {"serviceAccountRef": {"name": "tenants-reader", "namespace": "external-secrets"}}
    }
    reader = next(r for r in plan.roles if r.key == "tenants-store-reader")
    assert reader.waits_for_roles == ("tenants-store-identity",)
    principal = reader.trust_policy["Statement"][0]["Principal"]
    assert principal == {"AWS": f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-{STAGE}-tenants-store-identity"}


def test_the_namespace_tag_marks_exactly_the_secrets_behind_a_session_tag_store(plan: StagePlan) -> None:
    tagged = {s.name: s.tags.get("namespace") for s in plan.secrets}
    assert tagged == {
        f"{PREFIX}/orders/db": None,
        f"{PREFIX}/billing/api-key": None,
        f"{PREFIX}/shipping/carrier": None,
        f"{PREFIX}/reports/warehouse": None,
        f"{PREFIX}/alpha/token": "alpha",
        f"{PREFIX}/beta/token": "beta",
    }


def test_generated_credentials_are_pushed_once_and_read_back(plan: StagePlan) -> None:
    (secret,) = plan.generated_secrets
    assert secret.name == f"{PREFIX}/orders/admin-password"
    assert secret.tags["managed-by"] == "external-secrets"
    assert secret.name not in {s.name for s in plan.secrets}  # the sync never sees it
    (generator,) = plan.generators
    assert generator["kind"] == "Password" and generator["spec"]["length"] == 32
    push = next(p for p in plan.push_secrets if p["metadata"]["name"] == "orders-generate-admin-password")
    assert push["spec"]["updatePolicy"] == "IfNotExists"
    assert push["spec"]["selector"] == {
        "generatorRef": {
            "apiVersion": "generators.external-secrets.io/v1alpha1",
            "kind": "Password",
            "name": "orders-admin-password",
        }
    }
    (entry,) = push["spec"]["data"]
    assert entry["match"] == {"secretKey": "password", "remoteRef": {"remoteKey": secret.name}}
    # ESO owns the tags of what it pushes: it sends exactly Pulumi's tags, so neither removes the other's.
    assert entry["metadata"]["spec"]["tags"] == {k: v for k, v in secret.tags.items() if k != "managed-by"}
    assert entry["metadata"]["spec"]["description"] == secret.description
    orders = next(e for e in plan.external_secrets if e["metadata"]["name"] == "orders-secrets")
    assert {"secretKey": "ADMIN_PASSWORD", "remoteRef": {"key": secret.name}} in orders["spec"]["data"]


def test_every_eso_object_validates_strictly(plan: StagePlan) -> None:
    objects = [*plan.stores, *plan.external_secrets, *plan.push_secrets, *plan.generators]
    assert {o["kind"] for o in objects} == {
        "SecretStore",
        "ClusterSecretStore",
        "ExternalSecret",
        "PushSecret",
        "Password",
    }
    for manifest in objects:
        validate_manifest(manifest)


def test_controller_stores_share_the_controller_role_reading_their_union() -> None:
    values = layered_values(eso={"install": True})
    values["stores"][0]["auth"] = "controller"
    plan = render_stage(layered_config(**values), STAGE)
    controller = next(r for r in plan.roles if r.key == plan.controller_role_key)
    assert controller.role_name == f"secrets-iac-{STAGE}-eso-controller"
    read = policy_document(controller.policies[0], plan, None)["Statement"][0]
    assert sorted(_resources(read)) == [f"{ARN}{PREFIX}/billing/*", f"{ARN}{PREFIX}/shipping/*"]
    assert "shared-store-reader" not in {r.key for r in plan.roles}
    assert plan.eso_install is not None and plan.eso_install.annotate_controller


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda v: v["apps"].append(
                {"name": "shared-store", "namespace": "x", "serviceAccount": "x", "secrets": [{"name": "a"}]}
            ),
            "IAM role name 'secrets-iac-layers-shared-store-reader' is used twice",
        ),
        (
            lambda v: v["apps"].append(
                {"name": "more", "namespace": "orders", "serviceAccount": "more", "secrets": [{"name": "a"}]}
            ),
            "apps orders and more would both get a SecretStore named 'aws-secrets-manager' in namespace "
            "orders",
        ),
        (
            lambda v: (
                v["apps"].append(
                    {
                        "name": "twin",
                        "namespace": "twin",
                        "serviceAccount": "twin-pusher",
                        "secrets": [{"name": "a"}],
                        "push": [{"secretName": "s", "remoteName": "r"}],
                    }
                )
                or v["apps"][-1].update(serviceAccount="twin-secrets-pusher")
            ),
            "ServiceAccount twin/twin-secrets-pusher would be bound to two roles",
        ),
    ],
)
def test_clashes_between_stores_apps_and_roles_are_refused(edit: Any, expected: str) -> None:
    values = layered_values()
    edit(values)
    with pytest.raises(UserError) as excinfo:
        render_stage_checked(layered_config(**values), STAGE, source=f"stacks/Pulumi.{STAGE}.yaml")
    assert str(excinfo.value).startswith(f"stacks/Pulumi.{STAGE}.yaml: ")
    assert expected in str(excinfo.value)
