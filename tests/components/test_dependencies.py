"""A linear plan: each ESO object waits for exactly what it names, so dependencies grow like the apps.

Before, every store depended on every namespace and role and every ExternalSecret/PushSecret on every
namespace and store (478,001 dependency entries in plan.json at 200 apps). Timing lives in
bench/bench_plan.py; here the graph itself is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.stages import many_apps_values, write_project
from tests.plan_render import RenderedPlan, render

RELEASE = "kubernetes:helm.sh/v3:Release::qa-eso-release"
CR = "kubernetes:external-secrets.io/"
VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
ADMISSION = {
    f"{VAP}::validatingadmissionpolicy-secrets-iac-qa-external-secrets-access-cr",
    f"{VAP}Binding::validatingadmissionpolicybinding-secrets-iac-qa-external-secrets-access-cr",
}
"""The stage's admission policy: every ExternalSecret and PushSecret is created after it, so it is checked."""


def _plan(tmp_path: Path, apps: int, **overrides: Any) -> RenderedPlan:
    project = write_project(tmp_path / f"project{apps}", "qa", many_apps_values(apps, **overrides))
    return render("qa", tmp_path / f"out{apps}", project)


def _by_name(plan: RenderedPlan) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan.resources}


def _role_parts(role: str) -> set[str]:
    """Everything an IrsaRole component expands to in a dependency list."""
    return {
        f"aws:iam/role:Role::{role}-role",
        f"kubernetes:core/v1:ServiceAccount::{role}-sa",
        f"aws:iam/rolePolicy:RolePolicy::{role}-read-secrets" if role.endswith("reader") else "",
        f"aws:iam/rolePolicy:RolePolicy::{role}-push-secrets" if role.endswith("pusher") else "",
    } - {""}


def test_each_eso_object_depends_on_exactly_what_it_names(tmp_path: Path) -> None:
    plan = _by_name(_plan(tmp_path, 3))
    namespace = "kubernetes:core/v1:Namespace::qa-ns-app000"
    store = f"{CR}v1:SecretStore::secretstore-app000-aws-secrets-manager-cr"
    push_store = f"{CR}v1:SecretStore::secretstore-app000-aws-secrets-manager-push-cr"
    assert set(plan["secretstore-app000-aws-secrets-manager-cr"]["dependsOn"]) == {
        RELEASE,
        namespace,
        *_role_parts("app000-reader"),
    }
    assert set(plan["secretstore-app000-aws-secrets-manager-push-cr"]["dependsOn"]) == {
        RELEASE,
        namespace,
        *_role_parts("app000-pusher"),
    }
    external = {RELEASE, namespace, store, *ADMISSION}
    assert set(plan["externalsecret-app000-app000-secrets-cr"]["dependsOn"]) == external
    assert set(plan["pushsecret-app000-app000-push-app000-token-cr"]["dependsOn"]) == {
        RELEASE,
        namespace,
        push_store,
        *ADMISSION,
    }
    # The component and its custom resource wait for the same things.
    assert set(plan["externalsecret-app000-app000-secrets"]["dependsOn"]) == external


def test_a_cluster_store_waits_for_its_identity_and_the_crds_only(tmp_path: Path) -> None:
    plan = _by_name(_plan(tmp_path, 2, store={"kind": "ClusterSecretStore"}))
    assert set(plan["clustersecretstore-aws-secrets-manager-cr"]["dependsOn"]) == {
        RELEASE,
        *_role_parts("store-reader"),
    }
    cluster_store = f"{CR}v1:ClusterSecretStore::clustersecretstore-aws-secrets-manager-cr"
    assert set(plan["externalsecret-app001-app001-secrets-cr"]["dependsOn"]) == {
        RELEASE,
        "kubernetes:core/v1:Namespace::qa-ns-app001",
        cluster_store,
        *ADMISSION,
    }


@pytest.mark.parametrize("auth", ["controller", "podIdentity"])
def test_controller_identity_stores_wait_for_the_whole_controller_identity(tmp_path: Path, auth: str) -> None:
    """The role, both policies and (Pod Identity) the association: all parented to the role, so a
    dependency on the IrsaRole component alone would not wait for them."""
    plan = _by_name(_plan(tmp_path, 2, store={"kind": "ClusterSecretStore", "auth": auth}))
    expected = {
        RELEASE,
        "aws:iam/role:Role::eso-controller-role",
        "aws:iam/rolePolicy:RolePolicy::eso-controller-read-secrets",
        "aws:iam/rolePolicy:RolePolicy::eso-controller-push-secrets",
    }
    if auth == "podIdentity":
        expected.add("aws:eks/podIdentityAssociation:PodIdentityAssociation::eso-controller-association")
    assert set(plan["clustersecretstore-aws-secrets-manager-cr"]["dependsOn"]) == expected


def _total_dependencies(plan: RenderedPlan) -> int:
    return sum(len(r["dependsOn"]) for r in plan.resources)


@pytest.mark.parametrize("store", ["SecretStore", "ClusterSecretStore"])
def test_dependencies_grow_linearly_with_apps(tmp_path: Path, store: str) -> None:
    """Equal steps in apps add equal numbers of dependency entries (affine: no term in apps squared), and
    no resource's list grows with the stage."""
    plans = [_plan(tmp_path, n, store={"kind": store}) for n in (4, 8, 12)]
    totals = [_total_dependencies(p) for p in plans]
    assert totals[2] - totals[1] == totals[1] - totals[0] > 0, totals
    longest = [max(len(r["dependsOn"]) for r in p.resources) for p in plans]
    assert longest[0] == longest[1] == longest[2] <= 8, longest
