"""The offline plan's files: `manifests/` (one Kubernetes object per file), `iam/` and `plan.json`.

Pure: it takes the resources a run registered (see `components.offline_plan`) and writes them,
byte-reproducibly, replacing only a previous plan output, atomically (`secrets_iac.outputs`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secrets_iac.errors import UserError
from secrets_iac.outputs import replace_output_dir


@dataclass
class PlannedResource:
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    """Inputs as the engine would send them; secret values already masked."""
    outputs: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    """`type::name` of every resource this one waits for (explicit and through inputs)."""


def _k8s_manifest(resource: PlannedResource) -> dict[str, Any] | None:
    """The Kubernetes object a resource would apply, or None for non-Kubernetes resources."""
    inputs = resource.inputs
    if resource.type == "kubernetes:apiextensions.k8s.io:CustomResource" or (
        resource.type.startswith("kubernetes:") and "apiVersion" in inputs and "kind" in inputs
    ):
        order = ("apiVersion", "kind", "metadata")
        body = {k: _sorted(inputs[k]) for k in order if k in inputs}
        body.update({k: _sorted(inputs[k]) for k in sorted(inputs) if k not in order and k != "__defaults"})
        return body
    return None


def _sorted(value: Any) -> Any:
    """Keys in a fixed order: the engine's property order differs between runs, plans must not."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _file_stem(*parts: str | None) -> str:
    return "-".join(p for p in parts if p).replace("/", "_").lower()


def write_plan(
    resources: list[PlannedResource], out_dir: Path, extra_files: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Write manifests/, iam/ and plan.json (and `extra_files`, name -> text, e.g. the diagram) as
    `out_dir`, replacing only a previous plan output, atomically (`outputs.replace_output_dir`: readers
    see the complete old or new plan, never a mix)."""
    with replace_output_dir(out_dir, owner="secrets-iac plan") as staging:
        return _write_files(resources, staging, extra_files or {})


def _write_files(
    resources: list[PlannedResource], staging: Path, extra_files: Mapping[str, str]
) -> dict[str, int]:
    (staging / "manifests").mkdir()
    (staging / "iam").mkdir()
    counts = {"resources": 0, "manifests": 0, "iam": 0}
    resources = sorted(resources, key=lambda r: (r.type, r.name))  # registration order is async
    for resource in resources:
        counts["resources"] += 1
        manifest = _k8s_manifest(resource)
        if manifest is not None:
            meta = manifest.get("metadata") or {}
            stem = _file_stem(manifest["kind"], meta.get("namespace"), meta.get("name"))
            path = staging / "manifests" / f"{stem}.yaml"
            if path.exists():
                raise UserError(f"two Kubernetes objects would be written as {path.name}")
            path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
            counts["manifests"] += 1
        if resource.type == "aws:iam/role:Role":
            role = str(resource.inputs["name"])
            _write_json(staging / "iam" / f"{role}.trust.json", resource.inputs["assumeRolePolicy"])
            counts["iam"] += 1
        elif resource.type == "aws:iam/rolePolicy:RolePolicy":
            role = str(resource.inputs["role"])
            _write_json(staging / "iam" / f"{role}.{resource.inputs['name']}.json", resource.inputs["policy"])
            counts["iam"] += 1
    plan = {
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "dependsOn": r.depends_on,
                "inputs": r.inputs,
            }
            for r in resources
        ]
    }
    for name, text in extra_files.items():
        (staging / name).write_text(text, encoding="utf-8")
    (staging / "plan.json").write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return counts


def _write_json(path: Path, document: Any) -> None:
    parsed = json.loads(document) if isinstance(document, str) else document
    path.write_text(json.dumps(parsed, indent=2) + "\n", encoding="utf-8")
