"""Offline plan: run the real Pulumi program under Pulumi's mock engine and write what it would declare.

No credentials and no Pulumi CLI: CI and tests use it to see every Kubernetes object, IAM document and
resource input of a stage. Secret inputs are masked; the mocks return realistic ARNs so documents that
embed them read like the real thing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
import shutil
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from secrets_iac.config import NAMESPACE, StageConfig, read_stack_config, stack_file, validate_stack_config
from secrets_iac.errors import UserError

MASK = "[secret]"
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


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


def mask_secrets(value: Any) -> Any:
    """Replace every Pulumi secret (the engine's wrapped form) with a mask, at any depth.

    Also turns integral floats back into ints: the engine carries numbers as doubles, and the provider
    sends `7.0` as JSON `7`, which is what Kubernetes sees.
    """
    if isinstance(value, dict):
        if value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
            return MASK
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _suffix(name: str) -> str:
    """The 6-character suffix AWS appends to secret ARNs, stable per name."""
    return hashlib.sha256(name.encode()).hexdigest()[:6]


def mock_outputs(
    type_: str, name: str, inputs: dict[str, Any], region: str, account: str
) -> tuple[str, dict[str, Any]]:
    """Realistic id and outputs per resource type, so ARNs flow into dependent documents."""
    state = dict(inputs)
    physical = str(inputs.get("name") or name)
    if type_ == "aws:secretsmanager/secret:Secret":
        arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-{_suffix(physical)}"
        return arn, {**state, "arn": arn, "id": arn}
    if type_ == "aws:iam/role:Role":
        return physical, {
            **state,
            "arn": f"arn:aws:iam::{account}:role/{physical}",
            "uniqueId": f"AROA{_suffix(physical).upper()}",
        }
    if type_ == "aws:kms/key:Key":
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{region}/{name}"))
        return key_id, {**state, "keyId": key_id, "arn": f"arn:aws:kms:{region}:{account}:key/{key_id}"}
    if type_ == "aws:kms/alias:Alias":
        return physical, {**state, "arn": f"arn:aws:kms:{region}:{account}:{physical}"}
    if type_ == "kubernetes:helm.sh/v3:Release":
        return physical, {**state, "status": {"namespace": inputs.get("namespace"), "status": "deployed"}}
    return f"{name}-id", state


class PlanRecorder(pulumi.runtime.Mocks):
    """Mocks that record every registration (components included) in order, with its parent."""

    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self.parents: dict[tuple[str, str], str] = {}
        self.dependencies: dict[tuple[str, str], list[str]] = {}
        self.resources: list[PlannedResource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        id_, state = mock_outputs(args.typ, args.name, args.inputs, self.region, self.account)
        parent = self.parents.get((args.typ, args.name))
        labels = (_urn_label(u) for u in self.dependencies.get((args.typ, args.name), []))
        depends_on = sorted({label for label in labels if label})
        self.resources.append(
            PlannedResource(
                args.typ,
                args.name,
                _parent_label(parent),
                mask_secrets(args.inputs),
                mask_secrets(state),
                depends_on,
            )
        )
        return id_, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise UserError(
            f"the program called {args.token} at plan time; plans must not depend on provider reads"
        )

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def install(self, *, project: str, stack: str, preview: bool = True) -> None:
        """Make this recorder the process's Pulumi engine (the runtime is global state)."""
        _ensure_open_event_loop()
        recorder = self

        class Monitor(pulumi_mocks.MockMonitor):
            def RegisterResource(self, request: Any) -> Any:
                recorder.parents[(request.type, request.name)] = request.parent
                recorder.dependencies[(request.type, request.name)] = list(request.dependencies)
                return super().RegisterResource(request)  # type: ignore[no-untyped-call]

        pulumi.runtime.set_mocks(self, project=project, stack=stack, preview=preview, monitor=Monitor(self))


def _urn_label(urn: str) -> str | None:
    """`urn:pulumi:dev::secrets-iac::a$b::name` -> `b::name`; None for the stack itself."""
    _, _, type_path, name = urn.rsplit("::", 3) if urn.count("::") >= 3 else ("", "", urn, "")
    type_ = type_path.split("$")[-1]
    if type_ == "pulumi:pulumi:Stack":
        return None
    return f"{type_}::{name}"


def _parent_label(urn: str | None) -> str | None:
    return _urn_label(urn) if urn else None


def _engine_config(
    stack_config: Mapping[str, Any], config: StageConfig, *, source: str
) -> tuple[dict[str, str], list[str]]:
    """Config as the engine passes it: strings, objects as JSON, Pulumi secrets as masked placeholders."""
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in stack_config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = MASK
            secret_keys.append(key)
        elif isinstance(value, str):
            values[key] = value
        else:
            values[key] = json.dumps(value)
    for a, app in enumerate(config.apps):
        for s, secret in enumerate(app.secrets):
            full = f"{NAMESPACE}:{secret.initial_value_config_key}"
            if secret.initial_value_config_key and full not in values:
                raise UserError(
                    f"{source}: {NAMESPACE}:apps[{a}].secrets[{s}].initialValueConfigKey: "
                    f"names {full}, which is not set (pulumi config set --secret {full} ...)"
                )
    return values, secret_keys


def _ensure_open_event_loop() -> None:
    """The CLI closes the engine's loops when it ends; an in-process caller planning again needs a new one."""
    try:
        closed = asyncio.get_event_loop().is_closed()
    except RuntimeError:
        closed = True
    if closed:
        asyncio.set_event_loop(asyncio.new_event_loop())


def _run_main(project_dir: Path) -> None:
    runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")


def run_program(project_dir: Path, stack: str) -> list[PlannedResource]:
    """Run `<project_dir>/__main__.py` for `stack` under mocks; returns every registration in order."""
    path = stack_file(project_dir, stack)
    source = f"stacks/{path.name}"
    stack_config = read_stack_config(path)
    config = validate_stack_config(stack_config, source=source)
    recorder = PlanRecorder(config.region, config.account_id)
    values, secret_keys = _engine_config(stack_config, config, source=source)
    recorder.install(project=NAMESPACE, stack=stack)
    set_all_config(values, secret_keys)
    sys_path = list(sys.path)
    sys.path.insert(0, str(project_dir))
    try:
        _sync_await(run_pulumi_func(lambda: _run_main(project_dir)))
    except pulumi.RunError as err:
        raise UserError(str(err)) from None
    finally:
        sys.path[:] = sys_path
    return recorder.resources


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


def write_plan(resources: list[PlannedResource], out_dir: Path) -> dict[str, int]:
    """Write manifests/, iam/ and plan.json into `out_dir` atomically (a complete plan or the old one)."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
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
                _write_json(
                    staging / "iam" / f"{role}.{resource.inputs['name']}.json", resource.inputs["policy"]
                )
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
        (staging / "plan.json").write_text(
            json.dumps(plan, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _write_json(path: Path, document: Any) -> None:
    parsed = json.loads(document) if isinstance(document, str) else document
    path.write_text(json.dumps(parsed, indent=2) + "\n", encoding="utf-8")


def plan_stack(project_dir: Path, stack: str, out_dir: Path) -> dict[str, int]:
    return write_plan(run_program(project_dir, stack), out_dir)
