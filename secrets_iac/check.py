"""`secrets-iac check`: the repository's own stages, whatever they are, checked by the tool itself.

For every `stacks/Pulumi.<stage>.yaml`: the config is valid (the same `plan_stage` as `pulumi up`), the
program renders (a callback the CLI gives: the real program under Pulumi's mock engine; the library itself
never imports Pulumi), the stage's SOPS file decrypts when an identity for it is present (skipped with the
reason otherwise), and every declared secret has a value of the declared shape (the sync's own loader).
Teams fork the repository and edit `stacks/`: this is what keeps their CI honest about their stages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from secrets_iac.config import read_stack_config, stack_file
from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan, plan_stage
from secrets_iac.sops import AgeIdentity
from secrets_iac.sops.errors import DataKeyError
from secrets_iac.sync.desired import load_desired
from secrets_iac.sync.stage import default_secrets_file

Render = Callable[[Path, str], int]
"""(project dir, stage) -> number of resources the program declares; raises UserError on failure."""


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class Step:
    name: str
    outcome: Outcome
    detail: str = ""


@dataclass
class StageCheck:
    stage: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.outcome is not Outcome.FAILED for step in self.steps)


def stages(project_dir: Path) -> list[str]:
    """Every stage that has a stack file, by name."""
    found = sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for p in (project_dir / "stacks").glob("Pulumi.*.yaml")
    )
    if not found:
        raise UserError(f"{project_dir / 'stacks'}: no Pulumi.<stage>.yaml stack files")
    return found


def _values_step(
    project_dir: Path, stage: str, plan: StagePlan, identities: Sequence[AgeIdentity] | None
) -> list[Step]:
    path = default_secrets_file(project_dir, stage)
    source = str(path.relative_to(project_dir))
    if not plan.secrets:
        return [Step("values", Outcome.SKIPPED, "the stage declares no secrets")]
    if not path.is_file():
        return [
            Step("values", Outcome.SKIPPED, f"{source} does not exist (every secret would be missing-value)")
        ]
    try:
        desired = load_desired(path, plan, stack=stage, identities=identities, source=source)
    except DataKeyError:
        return [Step("decrypt", Outcome.SKIPPED, f"no age identity here unwraps {source}'s data key")]
    except UserError as err:
        return [Step("decrypt", Outcome.FAILED, str(err))]
    missing = [spec.name for spec in desired.secrets if desired.value_for(spec) is None]
    steps = [Step("decrypt", Outcome.OK, f"{source}: {len(desired.values)} values")]
    if missing:
        steps.append(Step("values", Outcome.FAILED, f"no value in {source} for {', '.join(missing)}"))
    else:
        steps.append(
            Step("values", Outcome.OK, f"every declared secret ({len(desired.secrets)}) has a value")
        )
    return steps


def check_stage(
    project_dir: Path,
    stage: str,
    render: Render | None,
    identities: Sequence[AgeIdentity] | None = None,
    *,
    require_decrypt: bool = False,
) -> StageCheck:
    """One stage; with `require_decrypt`, a SOPS file no identity here can open fails instead of skipping."""
    result = StageCheck(stage)
    path = stack_file(project_dir, stage)
    try:
        _, plan = plan_stage(read_stack_config(path), stage, source=f"stacks/{path.name}")
    except UserError as err:
        result.steps.append(Step("config", Outcome.FAILED, str(err)))
        return result
    result.steps.append(Step("config", Outcome.OK, f"{len(plan.secrets)} secrets, {len(plan.roles)} roles"))
    if render is None:
        result.steps.append(Step("program", Outcome.SKIPPED, "not rendered"))
    else:
        try:
            count = render(project_dir, stage)
        except UserError as err:
            result.steps.append(Step("program", Outcome.FAILED, str(err)))
        else:
            result.steps.append(Step("program", Outcome.OK, f"{count} resources under the mock engine"))
    for step in _values_step(project_dir, stage, plan, identities):
        if require_decrypt and step.name == "decrypt" and step.outcome is Outcome.SKIPPED:
            step.outcome = Outcome.FAILED
        result.steps.append(step)
    return result


def check_project(
    project_dir: Path,
    render: Render | None,
    identities: Sequence[AgeIdentity] | None = None,
    *,
    require_decrypt: bool = False,
) -> list[StageCheck]:
    return [
        check_stage(project_dir, stage, render, identities, require_decrypt=require_decrypt)
        for stage in stages(project_dir)
    ]


def report(checks: Sequence[StageCheck]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{check.stage}: {'ok' if check.ok else 'FAILED'}")
        lines += [f"  {step.name:<8} {step.outcome.value:<8} {step.detail}" for step in check.steps]
    return "\n".join(lines) + "\n"
