"""Test helper: render a stage with the offline plan and read what it wrote (manifests/, iam/, plan.json).

Plans run in-process through `components.offline_plan.plan_stack`. The Pulumi mock runtime is
process-global, so `render` is called for several stages in one process; tests/components/test_offline_plan.py
proves that a stage rendered after others is identical to its first rendering. Renderings are cached per
pytest base temp folder and stage, so modules sharing them pay for each stage once per session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.offline_plan import plan_stack
from tests.fixtures.example import STAGES, example_project

__all__ = ["STAGES", "RenderedPlan", "copy_project", "edit_stack", "render", "rendered"]


@dataclass(frozen=True)
class RenderedPlan:
    """One stage's plan output folder, parsed on demand."""

    stage: str
    out: Path

    @cached_property
    def manifests(self) -> dict[str, dict[str, Any]]:
        """File name -> parsed Kubernetes object."""
        return {p.name: _load_yaml(p) for p in sorted((self.out / "manifests").iterdir())}

    @cached_property
    def iam(self) -> dict[str, dict[str, Any]]:
        """File name -> parsed IAM document."""
        return {
            p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((self.out / "iam").iterdir())
        }

    @cached_property
    def resources(self) -> list[dict[str, Any]]:
        data = json.loads((self.out / "plan.json").read_text(encoding="utf-8"))
        resources: list[dict[str, Any]] = data["resources"]
        return resources

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests.values() if m.get("kind") == kind]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def trust(self, role: str) -> dict[str, Any]:
        return self.iam[f"{role}.trust.json"]

    def policy(self, role: str, name: str) -> dict[str, Any]:
        return self.iam[f"{role}.{name}.json"]


def _load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), f"{path.name}: not a YAML mapping"
    return loaded


def render(stage: str, out: Path, project_dir: Path | None = None) -> RenderedPlan:
    """Run the real program for `stage` (default: an example stage) under the mock engine and write the
    plan into `out`."""
    if project_dir is None:
        project_dir = example_project(out.parent / f".project-{out.name}")
    plan_stack(project_dir, stage, out)
    return RenderedPlan(stage, out)


_CACHE: dict[tuple[Path, str], RenderedPlan] = {}


def rendered(tmp_path_factory: pytest.TempPathFactory, stage: str) -> RenderedPlan:
    """The session's rendering of `stage` (rendered on first use). Treat it as read-only."""
    key = (tmp_path_factory.getbasetemp(), stage)
    if key not in _CACHE:
        _CACHE[key] = render(stage, tmp_path_factory.getbasetemp() / "plans" / stage)
    return _CACHE[key]


def copy_project(dest: Path) -> Path:
    """A Pulumi project with the example stages in `dest`, for tests that change a stack file."""
    return example_project(dest)


def edit_stack(project_dir: Path, stage: str, edit: Any) -> Path:
    """Load `stacks/Pulumi.<stage>.yaml`, call `edit(config_mapping)`, write it back; returns the path."""
    path = project_dir / "stacks" / f"Pulumi.{stage}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document["config"])
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
