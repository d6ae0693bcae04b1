"""Protection by default: what a team would lose is `protect`ed and `retainOnDelete`, per stage; plan.json
records every resource's options (what the engine receives in RegisterResource)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secrets_iac.config import parse_stage_config
from secrets_iac.errors import UserError
from secrets_iac.planner import Protection, render_stage
from tests.fixtures.stages import app_values, stage_values, write_project
from tests.plan_render import RenderedPlan, render

OPTION_KEYS = {"protect", "retainOnDelete", "ignoreChanges", "provider", "deleteBeforeReplace", "aliases"}
STATEFUL = (
    "aws:secretsmanager/secret:Secret",
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "kubernetes:core/v1:Namespace",
    "kubernetes:helm.sh/v3:Release",
)


def _values(**overrides: Any) -> dict[str, Any]:
    """A stage with every stateful kind: a created key, created namespaces, ESO installed, a seeded and a
    rotated secret."""
    rotated = {
        "name": "db",
        "rotation": {"lambdaArn": "arn:aws:lambda:eu-west-1:444455556666:function:rotate"},
        "initialValueConfigKey": "dbSeed",
    }
    return stage_values(
        eso={"install": True}, apps=[app_values("orders", push=True, secrets=[rotated])], **overrides
    )


def _render(tmp_path: Path, values: dict[str, Any]) -> RenderedPlan:
    project = write_project(
        tmp_path / "project", "qa", values, extra_config={"secrets-iac:dbSeed": {"secure": "v1:c2VlZA=="}}
    )
    return render("qa", tmp_path / "out", project)


def _options(plan: RenderedPlan, type_: str) -> list[dict[str, Any]]:
    found = [r["options"] for r in plan.of_type(type_)]
    assert found, f"the fixture declares no {type_}"
    return found


def test_every_resource_records_its_options(tmp_path: Path) -> None:
    plan = _render(tmp_path, _values())
    for resource in plan.resources:
        assert set(resource["options"]) == OPTION_KEYS, resource["name"]
    [version] = _options(plan, "aws:secretsmanager/secretVersion:SecretVersion")
    assert version["ignoreChanges"] == ["secretString"]  # the sync owns later values
    assert all(not r["options"]["deleteBeforeReplace"] for r in plan.resources)


def test_stateful_resources_are_protected_and_retained_by_default(tmp_path: Path) -> None:
    """The defect: removing an app deleted its namespace (and every workload in it) and its secrets; a
    removed release took ESO's CRDs and every ExternalSecret with it. Now `pulumi up` refuses."""
    plan = _render(tmp_path, _values())
    for type_ in STATEFUL:
        for options in _options(plan, type_):
            assert (options["protect"], options["retainOnDelete"]) == (True, True), type_
    [version] = _options(plan, "aws:secretsmanager/secretVersion:SecretVersion")
    assert (version["protect"], version["retainOnDelete"]) == (True, True)
    # Derived resources are recreated freely: roles, policies, ServiceAccounts, ESO objects, rotation.
    [rotation] = _options(plan, "aws:secretsmanager/secretRotation:SecretRotation")
    assert rotation["protect"] is False  # turning rotation off must not need an unprotect
    for type_ in ("aws:iam/role:Role", "kubernetes:core/v1:ServiceAccount"):
        assert all(not o["protect"] and not o["retainOnDelete"] for o in _options(plan, type_))
    crs = [r["options"] for r in plan.resources if r["type"].startswith("kubernetes:external-secrets.io/")]
    assert crs and all(not o["protect"] for o in crs)


def test_a_stage_may_turn_protection_off(tmp_path: Path) -> None:
    plan = _render(tmp_path, _values(protection={"protect": False, "retainOnDelete": False}))
    for type_ in STATEFUL:
        for options in _options(plan, type_):
            assert (options["protect"], options["retainOnDelete"]) == (False, False), type_


def test_protect_and_retain_are_separate_switches() -> None:
    values = stage_values(protection={"protect": False})
    plan = render_stage(parse_stage_config(values, source="t"), "qa")
    kept = Protection(protect=False, retain_on_delete=True)
    assert (plan.protection.secrets, plan.protection.namespaces) == (kept, kept)
    assert (plan.protection.kms_key, plan.protection.eso_release) == (kept, kept)


@pytest.mark.parametrize(
    ("protection", "message"),
    [
        ({"protect": "no"}, "secrets-iac:protection.protect: Input should be a valid boolean"),
        ({"retainOnDelet": False}, "secrets-iac:protection.retainOnDelet: is not a known setting"),
    ],
)
def test_bad_protection_config_names_the_key(protection: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_stage_config(stage_values(protection=protection), source="stacks/Pulumi.qa.yaml")
    assert str(caught.value).startswith(f"stacks/Pulumi.qa.yaml: {message}")
