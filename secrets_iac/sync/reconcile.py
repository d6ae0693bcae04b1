"""Idempotent reconcile of desired values into Secrets Manager, one secret at a time.

For each declared secret (DescribeSecret, then GetSecretValue of the current version):

- no value in the SOPS file: `missing-value`, no AWS call;
- the secret does not exist: `absent` (an error: Pulumi owns the secret's metadata, run `pulumi up`),
  or with `create_missing` CreateSecret with exactly the name, description, tags and KMS key Pulumi
  would give it (so `pulumi import` can adopt it), then the value: `created`;
- scheduled for deletion: `absent` (the name cannot be written or reused until restored);
- exists without a current version: PutSecretValue: `created`;
- rotation configured and a value exists: `skipped-rotation` (the rotation Lambda owns it);
- current value equal (JSON compared parsed): `unchanged`, nothing written. If the current version
  lacks the sync's staging label it is moved there (UpdateSecretVersionStage, no new version), so a
  value someone set to exactly what git says is adopted rather than reported as drift later;
- current value differs and its version carries `SECRETS-IAC-SYNCED`: PutSecretValue: `updated`;
- current value differs and its version does not carry the label: it was changed out of band:
  `drifted`, left alone unless `overwrite_drift` (then `updated`).

Every write is PutSecretValue with `VersionStages=[AWSCURRENT, SECRETS-IAC-SYNCED]`, which moves both
labels to the new version (and AWSPREVIOUS to the old one). Drift is therefore "the current version
does not carry our label", which needs no hash of the value anywhere. No ClientRequestToken is
passed: boto3 generates one per call and reuses it across its retries (idempotent for a retried
request), while a token derived from the value would be a version id that leaks a verifiable hash of
it; the compare-before-write is what makes reruns write nothing.

An AWS failure becomes that secret's `error` (the message names the operation and the secret, with
any desired plaintext scrubbed) and the other secrets proceed; after a failure that is not an AWS
service error (no credentials, endpoint unreachable) the secrets not yet started are reported as
not attempted. `dry_run` makes no write call at all and reports what would happen.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secrets_iac.planner import SecretSpec
from secrets_iac.secret_value import MASK
from secrets_iac.sync.aws import SecretsManagerClient, error_text
from secrets_iac.sync.desired import DesiredSecrets, DesiredValue
from secrets_iac.sync.report import SecretResult, Status

SYNCED_STAGE = "SECRETS-IAC-SYNCED"
"""Staging label on the version the sync wrote last; a current version without it was changed out of band."""
CURRENT_STAGE = "AWSCURRENT"


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
    """Secrets reconciled concurrently (one boto3 client is shared; it is thread-safe)."""


class _CallFailed(Exception):
    """An AWS call failed; the message is already scrubbed and names operation and secret."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


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


class _SecretReconciler:
    """The calls for one secret; every AWS error is turned into a scrubbed `_CallFailed`."""

    def __init__(
        self, client: SecretsManagerClient, spec: SecretSpec, desired: DesiredValue, options: ReconcileOptions
    ) -> None:
        self.client = client
        self.spec = spec
        self.desired = desired
        self.options = options

    def _failed(self, operation: str, err: Exception) -> _CallFailed:
        """Operation and secret name as they are; AWS's own words scrubbed of the desired value."""
        message = f"{operation} {self.spec.name}: {scrub(error_text(err), self.desired)}"
        return _CallFailed(message, fatal=not isinstance(err, ClientError))

    def _call(self, operation: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except (ClientError, BotoCoreError) as err:
            raise self._failed(operation, err) from None

    def _result(
        self, status: Status, version_id: str | None = None, previous: str | None = None, detail: str = ""
    ) -> SecretResult:
        return SecretResult(self.spec.name, self.spec.app, status, version_id, previous, detail)

    def _put(self) -> str:
        response = self._call(
            "PutSecretValue",
            self.client.put_secret_value,
            SecretId=self.spec.name,
            SecretString=self.desired.value.reveal(),
            VersionStages=[CURRENT_STAGE, SYNCED_STAGE],
        )
        return str(response["VersionId"])

    def _describe(self) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = self.client.describe_secret(SecretId=self.spec.name)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise self._failed("DescribeSecret", err) from None
        except BotoCoreError as err:
            raise self._failed("DescribeSecret", err) from None
        return response

    def _create(self) -> SecretResult:
        if not self.options.create_missing:
            return self._result(
                Status.ABSENT,
                detail="does not exist: run pulumi up first (or --create-missing for a local stack)",
            )
        kms = self.options.kms_key_id
        detail = f"the secret (KMS key {kms or 'aws/secretsmanager'}) and its first value"
        if self.options.dry_run:
            return self._result(Status.CREATED, detail=f"would create {detail}")
        kwargs: dict[str, Any] = {
            "Name": self.spec.name,
            "Tags": [{"Key": k, "Value": v} for k, v in self.spec.tags.items()],
        }
        if self.spec.description is not None:
            kwargs["Description"] = self.spec.description
        if kms is not None:
            kwargs["KmsKeyId"] = kms
        # No value here: CreateSecret cannot set our staging label, so the value goes in with PutSecretValue.
        self._call("CreateSecret", self.client.create_secret, **kwargs)
        return self._result(Status.CREATED, self._put(), detail=f"created {detail}")

    def run(self) -> SecretResult:
        described = self._describe()
        if described is None:
            return self._create()
        if described.get("DeletedDate") is not None:
            return self._result(
                Status.ABSENT,
                detail=f"scheduled for deletion ({described['DeletedDate']}): restore it or run pulumi up",
            )
        stages: dict[str, list[str]] = described.get("VersionIdsToStages") or {}
        current = next((v for v, s in stages.items() if CURRENT_STAGE in s), None)
        if current is None:
            if self.options.dry_run:
                return self._result(Status.CREATED, detail="first value")
            return self._result(Status.CREATED, self._put(), detail="first value")
        if self.spec.rotation is not None:
            return self._result(
                Status.SKIPPED_ROTATION,
                current,
                detail="rotation configured: the rotation Lambda owns the value",
            )
        got = self._call(
            "GetSecretValue", self.client.get_secret_value, SecretId=self.spec.name, VersionId=current
        )
        labelled = SYNCED_STAGE in stages[current]
        if self.desired.matches(got.get("SecretString")):
            if labelled:
                return self._result(Status.UNCHANGED, current)
            return self._adopt(current, stages)
        if labelled or self.options.overwrite_drift:
            detail = "" if labelled else "replaced a value changed out of band (--overwrite-drift)"
            if self.options.dry_run:
                return self._result(Status.UPDATED, current, current, detail)
            return self._result(Status.UPDATED, self._put(), current, detail)
        return self._result(
            Status.DRIFTED,
            current,
            detail="current version was not written by the sync (changed out of band); "
            "left alone: --overwrite-drift replaces it",
        )

    def _adopt(self, current: str, stages: dict[str, list[str]]) -> SecretResult:
        """Equal value, not written by the sync: move the label to it so a later change is not drift."""
        if self.options.dry_run:
            return self._result(
                Status.UNCHANGED, current, detail=f"would label the current version {SYNCED_STAGE}"
            )
        holder = next((v for v, s in stages.items() if SYNCED_STAGE in s and v != current), None)
        kwargs: dict[str, Any] = {
            "SecretId": self.spec.name,
            "VersionStage": SYNCED_STAGE,
            "MoveToVersionId": current,
        }
        if holder is not None:
            kwargs["RemoveFromVersionId"] = holder
        self._call("UpdateSecretVersionStage", self.client.update_secret_version_stage, **kwargs)
        return self._result(Status.UNCHANGED, current, detail=f"labelled the current version {SYNCED_STAGE}")


def reconcile(
    client: SecretsManagerClient, desired: DesiredSecrets, options: ReconcileOptions | None = None
) -> tuple[SecretResult, ...]:
    """Reconcile every declared secret; results come back in the stack's declaration order."""
    opts = options or ReconcileOptions()
    aborted = threading.Event()
    abort_reason: list[str] = []

    def one(spec: SecretSpec) -> SecretResult:
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
        try:
            return _SecretReconciler(client, spec, value, opts).run()
        except _CallFailed as err:
            if err.fatal and not aborted.is_set():
                abort_reason.append(str(err))
                aborted.set()
            return SecretResult(spec.name, spec.app, Status.ERROR, detail=str(err))

    specs: Sequence[SecretSpec] = desired.secrets
    if opts.max_workers <= 1 or len(specs) <= 1:
        return tuple(one(spec) for spec in specs)
    with ThreadPoolExecutor(max_workers=opts.max_workers, thread_name_prefix="secrets-sync") as pool:
        return tuple(pool.map(one, specs))
