"""Idempotent reconcile of desired values into Secrets Manager.

Reads are batched (`secrets_iac.sync.inventory`); what the batches cannot answer is read per secret
with DescribeSecret, then GetSecretValue of the current version. For each declared secret:

- its value in the SOPS file has the wrong shape (`secrets_iac.sync.shapes`): `error`, no AWS call;
- no value in the SOPS file: `missing-value`, no AWS call;
- the secret does not exist: `absent` (an error: Pulumi owns the secret's metadata, run `pulumi up`),
  or with `create_missing` CreateSecret with exactly the name, description, tags and KMS key Pulumi
  would give it (so `pulumi import` can adopt it), then the value: `created`;
- scheduled for deletion: `absent` (the name cannot be written or reused until restored);
- exists without a current version: PutSecretValue: `created` (also with rotation: the sync writes a
  rotated secret's first value, then leaves it to the rotation Lambda);
- rotation configured (declared in the stack, or enabled on the secret in AWS) and a value exists:
  `skipped-rotation`, the rotation Lambda owns it;
- current value equal (JSON compared parsed): `unchanged`, nothing written. If the current version
  lacks the sync's staging label it is moved there (UpdateSecretVersionStage, no new version), so a
  value someone set to exactly what git says is adopted rather than reported as drift later;
- current value differs and its version carries `SECRETS-IAC-SYNCED`: PutSecretValue: `updated`;
- current value differs and its version does not carry the label: it was changed out of band:
  `drifted`, left alone unless `overwrite_drift` (then `updated`).

Every write is PutSecretValue with `VersionStages=[AWSCURRENT, SECRETS-IAC-SYNCED]`, which moves both
labels to the new version (and AWSPREVIOUS to the old one). Drift is therefore "the current version
does not carry our label", which needs no hash of the value anywhere. Each write carries a
ClientRequestToken derived from the name, the replaced version and the value (`secrets_iac.sync.tokens`):
retried, rerun or raced by a second sync of the same content, one change makes one version.

A write is decided only on a read whose answer was checked (`secrets_iac.sync.responses`): an
answer cut short is a failed read, never "no value yet". An AWS failure becomes that secret's `error`
(the message names the operation, the secret and AWS's error code, with any desired plaintext
scrubbed) and the other secrets proceed; after a connection-level failure (endpoint unreachable once
every retry is spent, no credentials) the secrets not yet started are reported as not attempted.
`dry_run` makes no write call at all and reports what would happen.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from secrets_iac.planner import SecretSpec
from secrets_iac.secret_value import MASK
from secrets_iac.sync.calls import (
    DEFAULT_WRITES_PER_SECOND,
    Caller,
    CallFailed,
    RateLimiter,
    RetryPolicy,
)
from secrets_iac.sync.desired import DesiredSecrets, DesiredValue
from secrets_iac.sync.inventory import Inventory, read_inventory
from secrets_iac.sync.report import SecretResult, Status
from secrets_iac.sync.responses import (
    CURRENT_STAGE,
    CurrentValue,
    SecretMeta,
    current_value,
    described,
    named,
    secret_value,
    written,
)
from secrets_iac.sync.tokens import version_token

SYNCED_STAGE = "SECRETS-IAC-SYNCED"
"""Staging label on the version the sync wrote last; a current version without it was changed out of band."""

SecretsManagerClient = Any


@dataclass(frozen=True)
class ReconcileOptions:
    dry_run: bool = False
    """Read only: report what would be written."""
    create_missing: bool = False
    """Create secrets that do not exist (local/demo stacks); by default they are `absent` errors."""
    overwrite_drift: bool = False
    """Replace values changed out of band instead of reporting them `drifted`."""
    kms_key_id: str | None = None
    """KmsKeyId for created secrets (the stage's CMK); None keeps aws/secretsmanager."""
    max_workers: int = 8
    """Secrets reconciled (and batches read) concurrently; one boto3 client is shared (thread-safe)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Rounds of a call after botocore's own retries gave up."""
    writes: RateLimiter | None = None
    """Shared by every stage writing to one account and region; None: a limiter of its own at 40/s."""
    on_result: Callable[[SecretResult], None] | None = None
    """Called once per secret as soon as its outcome is known (progress bars)."""


def scrub(text: str, desired: DesiredValue | None) -> str:
    """`text` with the desired plaintext (and, for a JSON secret, each string property) masked."""
    if desired is None:
        return text
    plain = desired.value.reveal()
    needles = {plain, json.dumps(plain)[1:-1]}
    if desired.is_json:
        stack: list[Any] = [json.loads(plain)]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and len(item) >= 4:
                needles.update({item, json.dumps(item)[1:-1]})
    for needle in sorted((n for n in needles if n), key=len, reverse=True):
        text = text.replace(needle, MASK)
    return text


class _SecretSync:
    """The decision (and the write) for one secret; AWS failures arrive as scrubbed `CallFailed`."""

    def __init__(
        self,
        caller: Caller,
        spec: SecretSpec,
        desired: DesiredValue,
        token_key: bytes,
        options: ReconcileOptions,
    ) -> None:
        self.caller = caller
        self.spec = spec
        self.name = spec.name
        self.desired = desired
        self.token_key = token_key
        self.options = options
        self.would_write = False
        """Set by a dry run where a real run would write."""

    def _dry(self) -> bool:
        """True (and `would_write` noted) when this is a dry run: the caller reports instead of writing."""
        if self.options.dry_run:
            self.would_write = True
        return self.options.dry_run

    def _scrub(self, text: str) -> str:
        return scrub(text, self.desired)

    def _call(self, operation: str, check: Callable[[dict[str, Any]], Any], **kwargs: Any) -> Any:
        write = operation not in ("DescribeSecret", "GetSecretValue")
        return self.caller.call(operation, self.name, check=check, write=write, scrub=self._scrub, **kwargs)

    def _result(
        self, status: Status, version_id: str | None = None, previous: str | None = None, detail: str = ""
    ) -> SecretResult:
        return SecretResult(self.name, self.spec.app, status, version_id, previous, detail)

    def _rotation(self, meta: SecretMeta | None) -> bool:
        return self.spec.rotation is not None or (meta is not None and meta.rotation_enabled)

    # -- reads -----------------------------------------------------------------------------------------

    def _describe(self) -> SecretMeta | None:
        try:
            meta: SecretMeta = self.caller.call(
                "DescribeSecret",
                self.name,
                check=lambda r: described(r, self.name),
                scrub=self._scrub,
                final_codes=frozenset({"ResourceNotFoundException"}),
                SecretId=self.name,
            )
        except ClientError:
            return None  # ResourceNotFoundException: the secret does not exist
        return meta

    def _get(self, version_id: str) -> CurrentValue:
        value: CurrentValue = self._call(
            "GetSecretValue",
            lambda r: secret_value(r, self.name, version_id),
            SecretId=self.name,
            VersionId=version_id,
        )
        return value

    # -- decisions -------------------------------------------------------------------------------------

    def run(self, inventory: Inventory) -> SecretResult:
        listed = inventory.listed.get(self.name)
        current = inventory.values.get(self.name)
        if listed is not None and current is not None:
            if self._rotation(listed):
                return self._skipped_rotation(current.version_id)
            return self._compare(current)
        if (
            listed is not None
            and listed.deleted is None
            and listed.current_version
            and self._rotation(listed)
        ):
            return self._skipped_rotation(listed.current_version)  # no write, no value needed
        return self._run_unbatched()

    def _run_unbatched(self) -> SecretResult:
        meta = self._describe()
        if meta is None:
            return self._create()
        if meta.deleted is not None:
            return self._result(
                Status.ABSENT,
                detail=f"scheduled for deletion ({meta.deleted}): restore it or run pulumi up",
            )
        current = meta.current_version
        if current is None:
            value = self._confirm_no_value()
            if value is not None:  # the DescribeSecret answer lacked its versions: trust the value read
                return (
                    self._skipped_rotation(value.version_id) if self._rotation(meta) else self._compare(value)
                )
            if self._dry():
                return self._result(Status.CREATED, detail="first value")
            return self._result(Status.CREATED, self._put(None), detail="first value")
        if self._rotation(meta):
            return self._skipped_rotation(current)
        return self._compare(self._get(current))

    def _confirm_no_value(self) -> CurrentValue | None:
        """A first value is written only if AWS also answers "no AWSCURRENT" to GetSecretValue.

        DescribeSecret leaves `VersionIdsToStages` out for a secret without versions, so an answer that
        lost the field (a proxy, a cut) would look the same; an error code cannot be lost that way.
        """
        try:
            value: CurrentValue = self.caller.call(
                "GetSecretValue",
                self.name,
                check=lambda r: current_value(r, self.name),
                scrub=self._scrub,
                final_codes=frozenset({"ResourceNotFoundException"}),
                SecretId=self.name,
                VersionStage=CURRENT_STAGE,
            )
        except ClientError:
            return None
        return value

    def _skipped_rotation(self, version_id: str) -> SecretResult:
        return self._result(
            Status.SKIPPED_ROTATION,
            version_id,
            detail="rotation configured: the rotation Lambda owns the value",
        )

    def _compare(self, current: CurrentValue) -> SecretResult:
        version = current.version_id
        labelled = SYNCED_STAGE in current.stages
        if self.desired.matches(current.string.reveal() if current.string is not None else None):
            if labelled:
                return self._result(Status.UNCHANGED, version)
            return self._adopt(version)
        if labelled or self.options.overwrite_drift:
            detail = "" if labelled else "replaced a value changed out of band (--overwrite-drift)"
            if self._dry():
                return self._result(Status.UPDATED, version, version, detail)
            return self._result(Status.UPDATED, self._put(version), version, detail)
        return self._result(
            Status.DRIFTED,
            version,
            detail="current version was not written by the sync (changed out of band); "
            "left alone: --overwrite-drift replaces it",
        )

    # -- writes ----------------------------------------------------------------------------------------

    def _put(self, replaces: str | None) -> str:
        token = version_token(self.token_key, self.name, replaces, self.desired.value)

        version: str = self._call(
            "PutSecretValue",
            lambda r: written(r, self.name, token),
            SecretId=self.name,
            SecretString=self.desired.value.reveal(),
            VersionStages=[CURRENT_STAGE, SYNCED_STAGE],
            ClientRequestToken=token,
        )
        return version

    def _create(self) -> SecretResult:
        if not self.options.create_missing:
            return self._result(
                Status.ABSENT,
                detail="does not exist: run pulumi up first (or --create-missing for a local stack)",
            )
        kms = self.options.kms_key_id
        detail = f"the secret (KMS key {kms or 'aws/secretsmanager'}) and its first value"
        if self._dry():
            return self._result(Status.CREATED, detail=f"would create {detail}")
        kwargs: dict[str, Any] = {
            "Name": self.name,
            "Tags": [{"Key": k, "Value": v} for k, v in self.spec.tags.items()],
        }
        if self.spec.description is not None:
            kwargs["Description"] = self.spec.description
        if kms is not None:
            kwargs["KmsKeyId"] = kms
        # No value here: CreateSecret cannot set our staging label, so the value goes in with PutSecretValue.
        try:
            self.caller.call(
                "CreateSecret",
                self.name,
                check=lambda r: named(r, self.name, "CreateSecret"),
                write=True,
                scrub=self._scrub,
                final_codes=frozenset({"ResourceExistsException"}),
                **kwargs,
            )
        except ClientError:
            # Created meanwhile (or by our own earlier round whose answer was lost): decide afresh.
            return self._run_unbatched()
        return self._result(Status.CREATED, self._put(None), detail=f"created {detail}")

    def _adopt(self, current: str) -> SecretResult:
        """Equal value, not written by the sync: move the label to it so a later change is not drift."""
        if self._dry():
            return self._result(
                Status.UNCHANGED, current, detail=f"would label the current version {SYNCED_STAGE}"
            )
        meta = self._describe()
        holder = None
        if meta is not None:
            holder = next((v for v, s in meta.versions.items() if SYNCED_STAGE in s and v != current), None)
        kwargs: dict[str, Any] = {
            "SecretId": self.name,
            "VersionStage": SYNCED_STAGE,
            "MoveToVersionId": current,
        }
        if holder is not None:
            kwargs["RemoveFromVersionId"] = holder
        self._call(
            "UpdateSecretVersionStage", lambda r: named(r, self.name, "UpdateSecretVersionStage"), **kwargs
        )
        return self._result(Status.UNCHANGED, current, detail=f"labelled the current version {SYNCED_STAGE}")


def _needs_value(desired: DesiredSecrets) -> Callable[[SecretMeta], bool]:
    rotation = {spec.name for spec in desired.secrets if spec.rotation is not None}

    def needs(meta: SecretMeta) -> bool:
        return (
            meta.deleted is None
            and meta.current_version is not None
            and not meta.rotation_enabled
            and meta.name not in rotation
        )

    return needs


@dataclass(frozen=True)
class Reconciled:
    results: tuple[SecretResult, ...]
    """One per declared secret, in the stack's declaration order."""
    notes: tuple[str, ...]
    """Why reads fell back to one call per secret, if they did."""
    pending_writes: int = 0
    """In a dry run: how many secrets a real run would write (or label)."""
    account: str | None = None
    """The account the listing ran in (from the ARNs it returned); None when it returned nothing."""


def reconcile(
    client: SecretsManagerClient, desired: DesiredSecrets, options: ReconcileOptions | None = None
) -> tuple[SecretResult, ...]:
    """Reconcile every declared secret; results come back in the stack's declaration order."""
    return reconcile_with_notes(client, desired, options).results


def reconcile_with_notes(
    client: SecretsManagerClient, desired: DesiredSecrets, options: ReconcileOptions | None = None
) -> Reconciled:
    """`reconcile`, plus the notes of the batched reads."""
    opts = options or ReconcileOptions()
    caller = Caller(client, retry=opts.retry, writes=opts.writes or RateLimiter(DEFAULT_WRITES_PER_SECOND))
    aborted = threading.Event()
    abort_reason: list[str] = []
    specs: Sequence[SecretSpec] = desired.secrets
    to_read = [s.name for s in specs if desired.value_for(s) is not None]
    pending: list[str] = []
    pending_lock = threading.Lock()

    def one(spec: SecretSpec, inventory: Inventory) -> SecretResult:
        refused = desired.refused.get(spec.name)
        if refused is not None:
            return SecretResult(spec.name, spec.app, Status.ERROR, detail=f"refused, nothing sent: {refused}")
        value = desired.value_for(spec)
        if value is None:
            return SecretResult(
                spec.name, spec.app, Status.MISSING_VALUE, detail=f"no value in {desired.source}"
            )
        if aborted.is_set():
            return SecretResult(
                spec.name,
                spec.app,
                Status.ERROR,
                detail=f"not attempted after an earlier failure: {abort_reason[0]}",
            )
        secret = _SecretSync(caller, spec, value, desired.token_key, opts)
        try:
            return secret.run(inventory)
        except CallFailed as err:
            if err.connection and not aborted.is_set():
                abort_reason.append(str(err))
                aborted.set()
            return SecretResult(spec.name, spec.app, Status.ERROR, detail=str(err))
        finally:
            if secret.would_write:
                with pending_lock:
                    pending.append(spec.name)

    def reported(spec: SecretSpec, inventory: Inventory) -> SecretResult:
        result = one(spec, inventory)
        if opts.on_result is not None:
            opts.on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, opts.max_workers), thread_name_prefix="secrets-sync") as pool:
        inventory = Inventory()
        if to_read and desired.prefix:
            try:
                inventory = read_inventory(
                    caller, desired.prefix, to_read, needs_value=_needs_value(desired), pool=pool
                )
            except CallFailed as err:
                abort_reason.append(str(err))
                aborted.set()
        results = tuple(pool.map(lambda spec: reported(spec, inventory), specs))
    return Reconciled(results, tuple(inventory.notes), len(pending), inventory.account)
