"""A stage for the day-2 commands: its validated config and plan, and AWS clients with its own credentials."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import boto3

from secrets_iac.config import StageConfig, read_stack_config, stack_file
from secrets_iac.planner import StagePlan, plan_stage
from secrets_iac.sync.aws import AwsClients, make_clients, stage_session


@dataclass(frozen=True)
class Stage:
    stack: str
    source: str
    """The stack file as messages name it (`stacks/Pulumi.<stack>.yaml`)."""
    config: StageConfig
    plan: StagePlan


def load_stage(project_dir: Path, stack: str) -> Stage:
    """The one validation path (`plan_stage`); raises `UserError` naming the file and key."""
    path = stack_file(project_dir, stack)
    source = f"stacks/{path.name}"
    config, plan = plan_stage(read_stack_config(path), stack, source=source)
    return Stage(stack, source, config, plan)


def stage_clients(
    stage: Stage, *, endpoint_url: str | None = None, session: boto3.Session | None = None
) -> AwsClients:
    """Clients in the stage's region with the stage's credentials (`secrets-iac:sync`), as the sync uses."""
    resolved = stage_session(stage.config, stage.stack, stage.source, endpoint_url=endpoint_url, base=session)
    return make_clients(stage.config.region, endpoint_url, session=resolved)
