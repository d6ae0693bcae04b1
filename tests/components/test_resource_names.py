"""Resource names in the rendered plan: one URN per resource, and aliases that carry existing stacks over."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.fixtures.stages import app_values, stage_values, write_project
from tests.plan_render import RenderedPlan, render


def _urns(plan: RenderedPlan) -> list[str]:
    """Each resource's URN as the engine builds it: the type chain of its parents, then its name."""
    by_label = {f"{r['type']}::{r['name']}": r for r in plan.resources}

    def chain(resource: dict[str, object]) -> str:
        parent = resource["parent"]
        own = str(resource["type"])
        return own if parent is None else f"{chain(by_label[str(parent)])}${own}"

    return [f"{chain(r)}::{r['name']}" for r in plan.resources]


def test_the_reported_collision_plans_two_resources_with_distinct_urns(tmp_path: Path) -> None:
    """App `a` + secret `b-c` and app `a-b` + secret `c` used to register two `a-b-c` resources, which the
    real engine refuses at `pulumi up`; the same for `x/y` and `x-y` in one app."""
    values = stage_values(
        apps=[
            app_values("a", secrets=[{"name": "b-c"}, {"name": "x/y"}, {"name": "x-y"}]),
            app_values("a-b", secrets=[{"name": "c"}]),
        ]
    )
    plan = render("qa", tmp_path / "out", write_project(tmp_path / "project", "qa", values))
    urns = _urns(plan)
    assert [u for u, n in Counter(urns).items() if n > 1] == []
    secrets = sorted(r["inputs"]["name"] for r in plan.of_type("aws:secretsmanager/secret:Secret"))
    assert secrets == [
        "secrets-iac/qa/a-b/c",
        "secrets-iac/qa/a/b-c",
        "secrets-iac/qa/a/x-y",
        "secrets-iac/qa/a/x/y",
    ]
    entries = sorted(r["name"] for r in plan.of_type("secrets-iac:aws:SecretEntry"))
    assert entries == ["a-b-c", "a-b/c", "a-x-y", "a/x/y"]


def test_renamed_resources_carry_their_earlier_names_as_aliases(tmp_path: Path) -> None:
    values = stage_values(apps=[app_values("orders-api", namespace="orders-qa", push=True)])
    plan = render("qa", tmp_path / "out", write_project(tmp_path / "project", "qa", values))
    aliases = {r["name"]: r["options"]["aliases"] for r in plan.resources if r["options"]["aliases"]}
    assert aliases["orders-api/db"] == ["orders-api-db"]
    assert aliases["orders-api/db-secret"] == ["orders-api-db-secret"]
    assert aliases["externalsecret-orders-qa/orders-api-secrets"] == [
        "externalsecret-orders-qa-orders-api-secrets"
    ]
    assert aliases["externalsecret-orders-qa/orders-api-secrets-cr"] == [
        "externalsecret-orders-qa-orders-api-secrets-cr"
    ]
    # Every alias is the resource's own earlier name, never another resource's current one.
    names = {r["name"] for r in plan.resources}
    assert all(alias not in names for found in aliases.values() for alias in found)
