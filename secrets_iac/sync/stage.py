"""`sync_stage`: one stage's SOPS file into its Secrets Manager secrets, start to finish.

Order matters for safety: config, declared secrets and the decrypted file (with the undeclared-key
check) are all validated before any AWS client exists; then the account is checked; only then the
reconcile may write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secrets_iac.config import read_stack_config, stack_file
from secrets_iac.planner import plan_stage
from secrets_iac.sops import AgeIdentity
from secrets_iac.sync.aws import AwsClients, check_account, kms_key_for_create, make_clients
from secrets_iac.sync.desired import load_desired
from secrets_iac.sync.reconcile import ReconcileOptions, reconcile
from secrets_iac.sync.report import SyncReport


def default_secrets_file(project_dir: Path, stack: str) -> Path:
    """`<project>/stacks/secrets/<stack>.enc.yaml`."""
    return project_dir / "stacks" / "secrets" / f"{stack}.enc.yaml"


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


def sync_stage(
    project_dir: Path, stack: str, options: SyncOptions | None = None, *, clients: AwsClients | None = None
) -> SyncReport:
    """Reconcile the stage's secrets; raises `UserError` for input problems before any write."""
    opts = options or SyncOptions()
    stack_path = stack_file(project_dir, stack)
    stack_source = f"stacks/{stack_path.name}"
    config, plan = plan_stage(read_stack_config(stack_path), stack, source=stack_source)
    path = opts.secrets_file or default_secrets_file(project_dir, stack)
    source = str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)
    desired = load_desired(path, plan, stack=stack, identities=opts.identities, source=source)
    aws = clients or make_clients(config.region, opts.endpoint_url)
    if opts.check_account:
        check_account(aws.sts, config, stack_source)
    kms_key_id = kms_key_for_create(aws.kms, plan) if opts.create_missing else None
    results = reconcile(
        aws.secretsmanager,
        desired,
        ReconcileOptions(
            dry_run=opts.dry_run,
            create_missing=opts.create_missing,
            overwrite_drift=opts.overwrite_drift,
            kms_key_id=kms_key_id,
            max_workers=opts.max_workers,
        ),
    )
    return SyncReport(stack, source, config.region, opts.dry_run, results)
