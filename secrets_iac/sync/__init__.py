"""In-process sync: the stage's SOPS file (git) reconciled into AWS Secrets Manager.

Public API:
- `sync_stage(project_dir, stack, SyncOptions(...)) -> SyncReport`: the whole run for one stage.
- `sync_stages(project_dir, stacks, SyncOptions(...)) -> RunReport`: several stages, concurrently.
- `load_desired(path, plan, *, stack, identities=None) -> DesiredSecrets`: decrypt and map the SOPS
  file onto `render_stage(...)`'s declared secrets (undeclared keys are a `UserError`).
- `reconcile(client, desired, ReconcileOptions(...)) -> tuple[SecretResult, ...]`: the boto3 part.
- `SyncReport`/`RunReport` (`table()`, `dumps()`, `exit_code(detailed=...)`), `SecretResult`, `Status`.

Statuses: created, updated, unchanged, drifted, missing-value, skipped-rotation; absent and error are
errors (exit 1). See `secrets_iac.sync.reconcile` for the exact rules. Nothing here ever prints,
logs, reports or raises a secret value.
"""

from secrets_iac.sync.aws import AwsClients, make_clients
from secrets_iac.sync.calls import DEFAULT_WRITES_PER_SECOND, RetryPolicy
from secrets_iac.sync.desired import DesiredSecrets, DesiredValue, desired_from_tree, load_desired
from secrets_iac.sync.reconcile import SYNCED_STAGE, ReconcileOptions, reconcile
from secrets_iac.sync.report import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    RunReport,
    SecretResult,
    Status,
    SyncReport,
)
from secrets_iac.sync.run import stack_names, sync_stages
from secrets_iac.sync.stage import PreparedStage, SyncOptions, default_secrets_file, sync_stage

__all__ = [
    "DEFAULT_WRITES_PER_SECOND",
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_OK",
    "SYNCED_STAGE",
    "AwsClients",
    "DesiredSecrets",
    "DesiredValue",
    "PreparedStage",
    "ReconcileOptions",
    "RetryPolicy",
    "RunReport",
    "SecretResult",
    "Status",
    "SyncOptions",
    "SyncReport",
    "default_secrets_file",
    "desired_from_tree",
    "load_desired",
    "make_clients",
    "reconcile",
    "stack_names",
    "sync_stage",
    "sync_stages",
]
