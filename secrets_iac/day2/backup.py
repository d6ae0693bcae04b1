"""Reading every secret of a stage for a backup, through the sync's batched reads (`sync.inventory`).

Which secrets: the stage's names (the planner's secrets, generated credentials, PushSecret targets) and
everything under `<prefix>/` tagged `managed-by: secrets-iac` or `managed-by: external-secrets` (what ESO
pushed, TLS certificates included). A secret the listing does not show (eventually consistent) is looked
up by name; a value the batch did not answer is read on its own. Any failed read fails the backup as a
whole: a backup that silently lacks a secret is worse than none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from secrets_iac.day2.backup_file import BackedUpSecret, Backup
from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan
from secrets_iac.rules.keys import ESO_MANAGED_BY, MANAGED_BY, MANAGED_BY_TAG
from secrets_iac.secret_value import SecretValue
from secrets_iac.sync.calls import Caller, CallFailed, RetryPolicy
from secrets_iac.sync.inventory import read_inventory
from secrets_iac.sync.responses import CurrentValue, SecretMeta, described, secret_value


def push_targets(plan: StagePlan) -> list[str]:
    """The remote keys the stage's PushSecrets write (`spec.data[].match.remoteRef.remoteKey`)."""
    names: list[str] = []
    for manifest in plan.push_secrets:
        for item in manifest.get("spec", {}).get("data", []) or []:
            key = item.get("match", {}).get("remoteRef", {}).get("remoteKey")
            if isinstance(key, str) and key not in names:
                names.append(key)
    return names


def stage_secret_names(plan: StagePlan) -> list[str]:
    """Every secret name the stage declares or pushes, in declaration order, once each."""
    names: list[str] = []
    for name in [s.name for s in (*plan.secrets, *plan.generated_secrets)] + push_targets(plan):
        if name not in names:
            names.append(name)
    return names


def is_managed(meta: SecretMeta) -> bool:
    """Tagged by Pulumi (this tool) or by ESO: part of the stage even when no longer declared."""
    return meta.tags.get(MANAGED_BY_TAG) in (MANAGED_BY, ESO_MANAGED_BY)


@dataclass
class StageSecrets:
    """What exists of a stage in AWS (metadata only): by name, from the listing or DescribeSecret."""

    metas: dict[str, SecretMeta] = field(default_factory=dict)
    values: dict[str, CurrentValue] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    account: str | None = None


def describe(caller: Caller, name: str) -> SecretMeta | None:
    """DescribeSecret (strongly consistent); None when the secret does not exist."""
    try:
        meta: SecretMeta = caller.call(
            "DescribeSecret",
            name,
            check=lambda r: described(r, name),
            final_codes=frozenset({"ResourceNotFoundException"}),
            SecretId=name,
        )
    except ClientError:
        return None
    return meta


def survey_stage(
    caller: Caller,
    plan: StagePlan,
    *,
    pool: ThreadPoolExecutor,
    names: Sequence[str] | None = None,
    values: bool = True,
) -> StageSecrets:
    """List the stage (declared `names` + managed-by tags), batch-read current values if `values`;
    declared names the listing missed are described one by one. Raises `CallFailed`."""
    declared = list(names) if names is not None else stage_secret_names(plan)

    def needs(m: SecretMeta) -> bool:
        return values and m.deleted is None and m.current_version is not None

    inventory = read_inventory(caller, plan.prefix, declared, needs_value=needs, pool=pool, also=is_managed)
    found = StageSecrets(
        dict(inventory.listed), dict(inventory.values), list(inventory.notes), inventory.account
    )
    missing = [n for n in declared if n not in found.metas]
    for name, meta in zip(missing, pool.map(lambda n: describe(caller, n), missing), strict=True):
        if meta is not None:
            found.metas[name] = meta
    return found


def _read_value(caller: Caller, meta: SecretMeta) -> CurrentValue:
    version = meta.current_version
    assert version is not None
    value: CurrentValue = caller.call(
        "GetSecretValue",
        meta.name,
        check=lambda r: secret_value(r, meta.name, version),
        SecretId=meta.name,
        VersionId=version,
    )
    return value


def _backed_up(meta: SecretMeta, value: CurrentValue | None) -> BackedUpSecret:
    return BackedUpSecret(
        name=meta.name,
        description=meta.description,
        tags=dict(meta.tags),
        kms_key_id=meta.kms_key_id,
        version_id=value.version_id if value is not None else None,
        string=value.string if value is not None else None,
        binary=SecretValue(value.binary) if value is not None and value.binary is not None else None,
    )


def take_backup(
    client: Any,
    plan: StagePlan,
    stack: str,
    *,
    retry: RetryPolicy | None = None,
    max_workers: int = 8,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[Backup, list[str]]:
    """Every secret of the stage with its current value; raises `UserError` if any read failed."""
    caller = Caller(client, retry=retry)
    taken_at = clock().astimezone(UTC).isoformat(timespec="microseconds")
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="secrets-backup") as pool:
        try:
            found = survey_stage(caller, plan, pool=pool)
        except CallFailed as err:
            raise UserError(f"backup of stack {stack} not written: {err}") from None
        if found.account is not None and found.account != plan.account_id:
            raise UserError(
                f"the AWS credentials are for account {found.account} but stack {stack} declares accountId "
                f"{plan.account_id}: refusing to back up another account's secrets"
            )
        live = [m for m in found.metas.values() if m.deleted is None]
        to_read = [m for m in live if m.current_version is not None and m.name not in found.values]

        def read(meta: SecretMeta) -> CurrentValue | str:
            try:
                return _read_value(caller, meta)
            except CallFailed as err:
                return str(err)

        for meta, answer in zip(to_read, pool.map(read, to_read), strict=True):
            if isinstance(answer, str):
                problems.append(answer)
            else:
                found.values[meta.name] = answer
    if problems:
        raise UserError(f"backup of stack {stack} not written: " + "; ".join(problems))
    order = {name: i for i, name in enumerate(stage_secret_names(plan))}
    ordered = sorted(live, key=lambda m: (order.get(m.name, len(order)), m.name))
    secrets = tuple(_backed_up(m, found.values.get(m.name) if m.current_version else None) for m in ordered)
    deleted = tuple(sorted(m.name for m in found.metas.values() if m.deleted is not None))
    backup = Backup(stack, plan.prefix, plan.region, plan.account_id, taken_at, secrets, deleted)
    return backup, found.notes
