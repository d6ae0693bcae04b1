"""`sync_stages`: several stages in one run, concurrently, each with its own credentials.

Every stage's input is validated first (stack file, plan, SOPS file, value shapes): one bad stage
refuses the whole run before anything talks to AWS, with one line per problem. Then the stages run
concurrently; a stage that cannot be synced (its credentials, a caller account other than its
`accountId`, its lock held by another run) is reported as not synced and the others go on. Stages
writing to one account and region share one write-rate limiter (the quota is per account and region).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from secrets_iac.errors import UserError
from secrets_iac.sync.aws import AwsClients
from secrets_iac.sync.calls import RateLimiter
from secrets_iac.sync.report import RunReport, SyncReport
from secrets_iac.sync.stage import PreparedStage, SyncOptions, prepare_stage, run_stage

MAX_CONCURRENT_STAGES = 8


def stack_names(project_dir: Path) -> list[str]:
    """Every stage of the project: `stacks/Pulumi.<stage>.yaml`, sorted."""
    folder = project_dir / "stacks"
    names = sorted(
        p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml") if p.is_file()
    )
    if not names:
        raise UserError(f"{folder}: no stack files (stacks/Pulumi.<stage>.yaml)")
    return names


def sync_stages(
    project_dir: Path,
    stacks: Sequence[str],
    options: SyncOptions | None = None,
    *,
    clients_for: Callable[[PreparedStage], AwsClients] | None = None,
) -> RunReport:
    """Reconcile every stage in `stacks`; raises `UserError` (naming every bad input) before any AWS call."""
    opts = options or SyncOptions()
    prepared: list[PreparedStage] = []
    problems: list[str] = []
    for stack in dict.fromkeys(stacks):
        try:
            prepared.append(prepare_stage(project_dir, stack, opts))
        except UserError as err:
            problems.append(str(err))
    if problems:
        raise UserError("\n".join(problems))
    if opts.progress is not None:
        opts.progress.start(sum(len(stage.plan.secrets) for stage in prepared))
    limiters = {
        key: RateLimiter(opts.writes_per_second)
        for key in {(stage.config.account_id, stage.config.region) for stage in prepared}
    }

    def one(stage: PreparedStage) -> SyncReport:
        try:
            return run_stage(
                stage,
                opts,
                clients=clients_for(stage) if clients_for is not None else None,
                writes=limiters[(stage.config.account_id, stage.config.region)],
            )
        except UserError as err:
            return SyncReport(
                stage.stack, stage.desired.source, stage.config.region, opts.dry_run, (), error=str(err)
            )

    workers = max(1, min(len(prepared), MAX_CONCURRENT_STAGES))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secrets-sync-stage") as pool:
        reports = tuple(pool.map(one, prepared))
    return RunReport(reports, opts.dry_run)
