"""Offline plan: run the real Pulumi program under Pulumi's mock engine and write what it would declare.

The Pulumi half of `secrets-iac plan`; `secrets_iac.plan_output` writes the files.

No credentials and no Pulumi CLI: CI and tests use it to see every Kubernetes object, IAM document and
resource input of a stage. Secret inputs are masked; the mocks return realistic ARNs so documents that
embed them read like the real thing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from secrets_iac.config import NAMESPACE, StageConfig, read_stack_config, stack_file, validate_stack_config
from secrets_iac.diagram import stage_graph, to_dot, to_mermaid
from secrets_iac.errors import UserError
from secrets_iac.plan_output import PlannedResource, write_plan
from secrets_iac.planner import plan_stage
from secrets_iac.rules.aws import partition_for

MASK = "[secret]"
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


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
    partition = partition_for(region)
    if type_ == "aws:secretsmanager/secret:Secret":
        arn = f"arn:{partition}:secretsmanager:{region}:{account}:secret:{physical}-{_suffix(physical)}"
        return arn, {**state, "arn": arn, "id": arn}
    if type_ == "aws:iam/role:Role":
        return physical, {
            **state,
            "arn": f"arn:{partition}:iam::{account}:role/{physical}",
            "uniqueId": f"AROA{_suffix(physical).upper()}",
        }
    if type_ == "aws:kms/key:Key":
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{region}/{name}"))
        arn = f"arn:{partition}:kms:{region}:{account}:key/{key_id}"
        return key_id, {**state, "keyId": key_id, "arn": arn}
    if type_ == "aws:kms/alias:Alias":
        return physical, {**state, "arn": f"arn:{partition}:kms:{region}:{account}:{physical}"}
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


def plan_stack(project_dir: Path, stack: str, out_dir: Path, *, graph: bool = False) -> dict[str, int]:
    """Run the program for `stack` and write its plan; with `graph`, also `graph.mmd` and `graph.dot`."""
    resources = run_program(project_dir, stack)
    extra: dict[str, str] = {}
    if graph:
        path = stack_file(project_dir, stack)
        _, plan = plan_stage(read_stack_config(path), stack, source=f"stacks/{path.name}")
        drawing = stage_graph(plan)
        extra = {"graph.mmd": to_mermaid(drawing), "graph.dot": to_dot(drawing, plan.environment)}
    return write_plan(resources, out_dir, extra)
