"""Putting a backup back, through the sync's reconcile (`secrets_iac.sync.reconcile`).

Per secret of the backup:
- gone from AWS: CreateSecret with the backup's description, tags and KMS key, then the value;
- scheduled for deletion: RestoreSecret, then the value where it differs;
- present: the sync's rules, unchanged: equal is `unchanged`; a current version the sync wrote
  (`SECRETS-IAC-SYNCED`) is `updated`; one changed out of band is `drifted` and left alone unless
  `overwrite_drift`; rotation enabled in AWS is `skipped-rotation`.

A dry run (the default) makes no write call and reports what `--apply` would do. Writes happen under the
stage's sync lock. SecretBinary values (the sync writes strings only) follow the same rules here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import boto3
from botocore.exceptions import ClientError

from secrets_iac.day2.backup import survey_stage
from secrets_iac.day2.backup_file import BackedUpSecret, Backup, load_backup
from secrets_iac.day2.stage import Stage, load_stage, stage_clients
from secrets_iac.errors import UserError
from secrets_iac.planner import SecretSpec
from secrets_iac.sops import AgeIdentity
from secrets_iac.sync.aws import AwsClients, check_account
from secrets_iac.sync.calls import Caller, CallFailed, RetryPolicy
from secrets_iac.sync.desired import DesiredSecrets, DesiredValue
from secrets_iac.sync.lock import StageLock
from secrets_iac.sync.reconcile import SYNCED_STAGE, ReconcileOptions, reconcile
from secrets_iac.sync.report import SecretResult, Status, SyncReport
from secrets_iac.sync.responses import CURRENT_STAGE, CurrentValue, SecretMeta, current_value, named
from secrets_iac.sync.tokens import token_key, version_token


@dataclass(frozen=True)
class RestoreOptions:
    apply: bool = False
    """Write; by default only report what would change."""
    overwrite_drift: bool = False
    identities: Sequence[AgeIdentity] | None = None
    """age identities for the backup file; None: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the default keys file."""
    endpoint_url: str | None = None
    session: boto3.Session | None = None
    max_workers: int = 8
    lock: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def _app_of(name: str, prefix: str) -> str:
    return name.removeprefix(prefix + "/").split("/", 1)[0]


def _spec(secret: BackedUpSecret, prefix: str) -> SecretSpec:
    return SecretSpec(
        key=secret.name,
        name=secret.name,
        app=_app_of(secret.name, prefix),
        description=secret.description,
        tags=dict(secret.tags),
        rotation=None,
        initial_value_config_key=None,
    )


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def desired_from_backup(backup: Backup, source: str) -> DesiredSecrets:
    """The backup's string values as the sync's desired values (JSON objects compared parsed)."""
    strings = [s for s in backup.secrets if s.string is not None]
    specs = tuple(_spec(s, backup.prefix) for s in strings)
    values = {
        spec.name: DesiredValue(spec, spec.name, s.string, _is_json_object(s.string.reveal()))
        for spec, s in zip(specs, strings, strict=True)
        if s.string is not None
    }
    return DesiredSecrets(
        source, specs, MappingProxyType(values), token_key=token_key(None), prefix=backup.prefix
    )


def check_backup_matches(backup: Backup, stage: Stage, source: str) -> None:
    plan = stage.plan
    if (backup.prefix, backup.account_id, backup.region) != (plan.prefix, plan.account_id, plan.region):
        raise UserError(
            f"{source}: is a backup of {backup.prefix} in account {backup.account_id} ({backup.region}), "
            f"but {stage.source} is {plan.prefix} in account {plan.account_id} ({plan.region})"
        )
    outside = [s.name for s in backup.secrets if not s.name.startswith(plan.prefix + "/")]
    if outside:
        raise UserError(f"{source}: names secrets outside {plan.prefix}/: {', '.join(outside)}")


class _Restorer:
    def __init__(self, caller: Caller, backup: Backup, options: RestoreOptions) -> None:
        self.caller = caller
        self.backup = backup
        self.options = options
        self.token_key = token_key(None)
        """Tokens stable for this run: a retried binary write finds its version already there."""

    def bring_back(self, secret: BackedUpSecret, meta: SecretMeta | None) -> str | SecretResult:
        """Create a gone secret or restore a deleted one; a note for the result, or the error result."""
        try:
            if meta is None:
                kwargs: dict[str, Any] = {
                    "Name": secret.name,
                    "Tags": [{"Key": k, "Value": v} for k, v in secret.tags.items()],
                }
                if secret.description is not None:
                    kwargs["Description"] = secret.description
                if secret.kms_key_id is not None:
                    kwargs["KmsKeyId"] = secret.kms_key_id
                self.caller.call(
                    "CreateSecret",
                    secret.name,
                    check=lambda r: named(r, secret.name, "CreateSecret"),
                    write=True,
                    **kwargs,
                )
                return "re-created from the backup (description, tags, KMS key)"
            self.caller.call(
                "RestoreSecret",
                secret.name,
                check=lambda r: named(r, secret.name, "RestoreSecret"),
                write=True,
                SecretId=secret.name,
            )
            return f"restored from scheduled deletion ({meta.deleted})"
        except CallFailed as err:
            return SecretResult(
                secret.name, _app_of(secret.name, self.backup.prefix), Status.ERROR, detail=str(err)
            )

    def binary(self, secret: BackedUpSecret, dry_run: bool) -> SecretResult:
        """A SecretBinary value under the sync's rules (equal, labelled, drifted)."""
        assert secret.binary is not None
        app = _app_of(secret.name, self.backup.prefix)
        try:
            value: CurrentValue | None = self.caller.call(
                "GetSecretValue",
                secret.name,
                check=lambda r: current_value(r, secret.name),
                final_codes=frozenset({"ResourceNotFoundException"}),
                SecretId=secret.name,
                VersionStage=CURRENT_STAGE,
            )
        except ClientError:
            value = None  # no current version yet
        except CallFailed as err:
            return SecretResult(secret.name, app, Status.ERROR, detail=str(err))
        if value is not None and value.binary == secret.binary.reveal_bytes():
            return SecretResult(secret.name, app, Status.UNCHANGED, value.version_id)
        labelled = value is None or SYNCED_STAGE in value.stages
        if not labelled and not self.options.overwrite_drift:
            return SecretResult(
                secret.name,
                app,
                Status.DRIFTED,
                value.version_id if value else None,
                detail="current version was not written by the sync; left alone: --overwrite-drift "
                "replaces it",
            )
        status = Status.CREATED if value is None else Status.UPDATED
        if dry_run:
            return SecretResult(secret.name, app, status, value.version_id if value else None)
        # The same write carries the same token (a retry makes no second version), as in the sync.
        token = version_token(self.token_key, secret.name, value.version_id if value else None, secret.binary)
        try:
            self.caller.call(
                "PutSecretValue",
                secret.name,
                check=lambda r: named(r, secret.name, "PutSecretValue"),
                write=True,
                SecretId=secret.name,
                SecretBinary=secret.binary.reveal_bytes(),
                VersionStages=[CURRENT_STAGE, SYNCED_STAGE],
                ClientRequestToken=token,
            )
        except CallFailed as err:
            return SecretResult(secret.name, app, Status.ERROR, detail=str(err))
        return SecretResult(secret.name, app, status, token, value.version_id if value else None)


def restore_backup(
    stage: Stage, backup: Backup, source: str, clients: AwsClients, options: RestoreOptions
) -> SyncReport:
    """Put `backup` back into the stage's account (dry run unless `options.apply`)."""
    check_backup_matches(backup, stage, source)
    caller = Caller(clients.secretsmanager, retry=options.retry)
    names = [s.name for s in backup.secrets]
    with ThreadPoolExecutor(max_workers=max(1, options.max_workers)) as pool:
        try:
            found = survey_stage(caller, stage.plan, pool=pool, names=names, values=False)
        except CallFailed as err:
            raise UserError(f"restore of stack {stage.stack}: {err}") from None
    if found.account is None:
        check_account(clients.sts, stage.config, stage.source, options.retry)
    elif found.account != stage.plan.account_id:
        raise UserError(
            f"the AWS credentials are for account {found.account} but {stage.source} declares accountId "
            f"{stage.plan.account_id}: refusing to restore into the wrong account"
        )
    restorer = _Restorer(caller, backup, options)
    brought_back: dict[str, str] = {}
    results: dict[str, SecretResult] = {}
    lock = None
    if options.apply and options.lock:
        lock = StageLock(
            Caller(clients.secretsmanager, retry=options.retry),
            stage.plan.prefix,
            tags=stage.plan.tags,
            description=f"Lock of secrets-iac sync runs for stage {stage.plan.environment} (a lease)",
        )
        lock.acquire()
    try:
        for secret in backup.secrets:
            meta = found.metas.get(secret.name)
            if meta is not None and meta.deleted is None:
                continue
            if not options.apply:
                brought_back[secret.name] = (
                    "would re-create it from the backup (description, tags, KMS key)"
                    if meta is None
                    else f"would restore it from scheduled deletion ({meta.deleted})"
                )
                continue
            outcome = restorer.bring_back(secret, meta)
            if isinstance(outcome, SecretResult):
                results[secret.name] = outcome
            else:
                brought_back[secret.name] = outcome
        results.update(_values(stage, backup, source, clients, options, restorer, brought_back, results))
    finally:
        if lock is not None:
            lock.release()
    ordered = tuple(results[s.name] for s in backup.secrets)
    notes = (*found.notes, *(lock.notes if lock is not None else ()))
    return SyncReport(stage.stack, source, stage.plan.region, not options.apply, ordered, notes=notes)


def _values(
    stage: Stage,
    backup: Backup,
    source: str,
    clients: AwsClients,
    options: RestoreOptions,
    restorer: _Restorer,
    brought_back: dict[str, str],
    done: dict[str, SecretResult],
) -> dict[str, SecretResult]:
    """The values, for every secret that exists now (or would, after a dry run's create or restore)."""
    dry = not options.apply
    out: dict[str, SecretResult] = {}
    pending = [s for s in backup.secrets if s.name not in done]
    # A dry run cannot read what it has not re-created: those are reported from the backup alone.
    unread = {n for n in brought_back if dry}
    desired = desired_from_backup(
        replace(backup, secrets=tuple(s for s in pending if s.name not in unread)), source
    )
    reconciled = reconcile(
        clients.secretsmanager,
        desired,
        ReconcileOptions(
            dry_run=dry,
            overwrite_drift=options.overwrite_drift,
            max_workers=options.max_workers,
            retry=options.retry,
        ),
    )
    by_name = {r.name: r for r in reconciled}
    for secret in pending:
        app = _app_of(secret.name, backup.prefix)
        note = brought_back.get(secret.name, "")
        if secret.name in unread:
            status = Status.CREATED if secret.has_value else Status.UNCHANGED
            result = SecretResult(secret.name, app, status)
        elif secret.name in by_name:
            result = by_name[secret.name]
        elif secret.binary is not None:
            result = restorer.binary(secret, dry)
        else:
            result = SecretResult(secret.name, app, Status.UNCHANGED, detail="no value in the backup")
        detail = "; ".join(d for d in (note, result.detail) if d)
        out[secret.name] = replace(result, detail=detail)
    return out


def restore_stage(
    project_dir: Path,
    stack: str,
    backup_path: Path,
    options: RestoreOptions,
    *,
    clients: AwsClients | None = None,
) -> SyncReport:
    """Load and check everything, then restore (`restore_backup`)."""
    stage = load_stage(project_dir, stack)
    backup = load_backup(backup_path, options.identities)
    source = str(backup_path)
    check_backup_matches(backup, stage, source)  # before any client exists
    if clients is None:
        clients = stage_clients(stage, endpoint_url=options.endpoint_url, session=options.session)
    return restore_backup(stage, backup, source, clients, options)
