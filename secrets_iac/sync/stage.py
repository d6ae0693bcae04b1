"""`sync_stage`: one stage's SOPS file into its Secrets Manager secrets, start to finish.

Order matters for safety: config, declared secrets, the decrypted file (with the undeclared-key check)
and each value's shape are all validated before any AWS client exists (`prepare_stage`). Then
(`run_stage`) a first pass reads and decides without writing; the account is checked (from the ARNs the
listing returned, or GetCallerIdentity when it returned none); only if something is to be written, the
stage's lock is taken and a second pass reads again and writes. A run with nothing to do takes no lock
and costs the batched reads alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import boto3

from secrets_iac.config import StageConfig, read_stack_config, stack_file
from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan, plan_stage
from secrets_iac.sops import AgeIdentity
from secrets_iac.sync.aws import (
    AwsClients,
    ClientHook,
    check_account,
    kms_key_for_create,
    make_clients,
    stage_session,
)
from secrets_iac.sync.calls import DEFAULT_WRITES_PER_SECOND, Caller, RateLimiter, RetryPolicy
from secrets_iac.sync.desired import DesiredSecrets, load_desired
from secrets_iac.sync.lock import StageLock
from secrets_iac.sync.reconcile import ReconcileOptions, reconcile_with_notes
from secrets_iac.sync.report import SecretResult, SyncReport
from secrets_iac.sync.shapes import declared_shapes


def default_secrets_file(project_dir: Path, stack: str) -> Path:
    """`<project>/stacks/secrets/<stack>.enc.yaml`."""
    return project_dir / "stacks" / "secrets" / f"{stack}.enc.yaml"


class Progress(Protocol):
    """Told the number of secrets of the run, then each outcome as soon as it is known."""

    def start(self, total: int) -> None: ...

    def advance(self, stack: str, result: SecretResult) -> None: ...


@dataclass(frozen=True)
class SyncOptions:
    secrets_file: Path | None = None
    """The stage's SOPS file; default `stacks/secrets/<stack>.enc.yaml` under the project."""
    dry_run: bool = False
    create_missing: bool = False
    overwrite_drift: bool = False
    endpoint_url: str | None = None
    """None: boto3's own resolution (AWS_ENDPOINT_URL, then AWS)."""
    identities: Sequence[AgeIdentity] | None = None
    """age identities for the SOPS file; None: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the default keys file."""
    check_account: bool = True
    """Refuse to run when the credentials' account is not the stage's accountId."""
    max_workers: int = 8
    lock: bool = True
    """Take the stage's sync lock before writing (`secrets_iac.sync.lock`); dry runs never lock."""
    lock_timeout: float = 0.0
    """Seconds to wait for another run's lock before refusing the stage."""
    writes_per_second: float = DEFAULT_WRITES_PER_SECOND
    """Client-side write rate per account and region (Secrets Manager allows 50); 0: unlimited."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    session: boto3.Session | None = None
    """Base session for stages without a profile (default: boto3's ambient chain)."""
    on_client: ClientHook | None = None
    progress: Progress | None = None


@dataclass(frozen=True)
class PreparedStage:
    """A stage whose input is fully validated; nothing has talked to AWS yet."""

    stack: str
    stack_source: str
    config: StageConfig
    plan: StagePlan
    desired: DesiredSecrets


def prepare_stage(project_dir: Path, stack: str, options: SyncOptions | None = None) -> PreparedStage:
    """Stack config, plan, decrypted values and their shapes; raises `UserError` naming file and key."""
    opts = options or SyncOptions()
    stack_path = stack_file(project_dir, stack)
    stack_source = f"stacks/{stack_path.name}"
    config, plan = plan_stage(read_stack_config(stack_path), stack, source=stack_source)
    path = opts.secrets_file or default_secrets_file(project_dir, stack)
    source = str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)
    desired = load_desired(
        path,
        plan,
        stack=stack,
        identities=opts.identities,
        source=source,
        shapes=declared_shapes(config, plan.prefix),
        stack_source=stack_source,
    )
    return PreparedStage(stack, stack_source, config, plan, desired)


def run_stage(
    stage: PreparedStage,
    options: SyncOptions | None = None,
    *,
    clients: AwsClients | None = None,
    writes: RateLimiter | None = None,
) -> SyncReport:
    """Credentials, account guard, lock, reconcile; raises `UserError` when the stage cannot be synced."""
    opts = options or SyncOptions()
    config, plan = stage.config, stage.plan
    if clients is None:
        session = stage_session(
            config, stage.stack, stage.stack_source, endpoint_url=opts.endpoint_url, base=opts.session
        )
        clients = make_clients(config.region, opts.endpoint_url, session=session, on_client=opts.on_client)
    limiter = writes or RateLimiter(opts.writes_per_second)
    progress = opts.progress
    passes = ReconcileOptions(
        dry_run=True,
        create_missing=opts.create_missing,
        overwrite_drift=opts.overwrite_drift,
        kms_key_id=plan.kms.key_id,  # named in "would create" details; the key's ARN is looked up below
        max_workers=opts.max_workers,
        retry=opts.retry,
        writes=limiter,
        on_result=(lambda result: progress.advance(stage.stack, result)) if progress is not None else None,
    )
    # First pass: read and decide, never write (a dry run ends here, and so does a run with nothing to do).
    outcome = reconcile_with_notes(clients.secretsmanager, stage.desired, passes)
    if opts.check_account:
        _check_account(clients, config, stage, outcome.account, opts)
    if opts.create_missing and (opts.dry_run or outcome.pending_writes):
        passes = replace(passes, kms_key_id=kms_key_for_create(clients.kms, plan))
    lock = None
    if not opts.dry_run and outcome.pending_writes:
        # Second pass, under the stage's lock: read again (another run may have written meanwhile), write.
        if opts.lock:
            lock = StageLock(
                Caller(clients.secretsmanager, retry=opts.retry, writes=limiter),
                plan.prefix,
                tags=plan.tags,
                description=f"Lock of secrets-iac sync runs for stage {plan.environment} (a lease)",
                timeout=opts.lock_timeout,
            )
            lock.acquire()
        if progress is not None:
            progress.start(len(plan.secrets))
        try:
            outcome = reconcile_with_notes(
                clients.secretsmanager, stage.desired, replace(passes, dry_run=False)
            )
        finally:
            if lock is not None:
                lock.release()
    notes = (*outcome.notes, *(lock.notes if lock is not None else ()))
    return SyncReport(
        stage.stack, stage.desired.source, config.region, opts.dry_run, outcome.results, notes=notes
    )


def _check_account(
    clients: AwsClients, config: StageConfig, stage: PreparedStage, listed: str | None, opts: SyncOptions
) -> None:
    """The account the listing ran in (from its ARNs), or the caller identity when it listed nothing."""
    if listed is None:
        check_account(clients.sts, config, stage.stack_source, opts.retry)
    elif listed != config.account_id:
        raise UserError(
            f"the AWS credentials are for account {listed} but {stage.stack_source} declares accountId "
            f"{config.account_id}: refusing to sync into the wrong account"
        )


def sync_stage(
    project_dir: Path, stack: str, options: SyncOptions | None = None, *, clients: AwsClients | None = None
) -> SyncReport:
    """Reconcile the stage's secrets; raises `UserError` for input problems before any write."""
    opts = options or SyncOptions()
    stage = prepare_stage(project_dir, stack, opts)
    if opts.progress is not None:
        opts.progress.start(len(stage.plan.secrets))
    return run_stage(stage, opts, clients=clients)
