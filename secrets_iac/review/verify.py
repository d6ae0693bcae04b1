"""`secrets-iac verify`: resolve every ExternalSecret of a stage as ESO would, with its store's role.

A store's `Ready` status proves nothing about access (ESO's AWS `Validate()` only retrieves credentials),
so this reads each `remoteRef` with the credentials of the role the store uses and says, per target Secret
key, whether it resolves and why not: secret missing, property missing, AccessDenied (the policy is too
narrow), KMS denied. Where the role cannot be assumed (real AWS from CI without a ServiceAccount token, or
a role not created yet), access is decided by `iam:SimulateCustomPolicy` over the planned documents, and
existence by the caller's own read where it may. Values are read into memory, compared, never shown.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secrets_iac.errors import UserError
from secrets_iac.planner import RoleSpec, StagePlan, identity_role, policy_document, role_arn, store_role
from secrets_iac.review.resolve import (
    PropertyMissing,
    PropertyUnsupported,
    extract_keys,
    find_key,
    json_property,
    template_reference,
)
from secrets_iac.rules.keys import (
    ESO_SESSION_NAMESPACE_TAG,
    ESO_SESSION_STORE_KIND_TAG,
    ESO_SESSION_STORE_NAME_TAG,
)


class KeyStatus(StrEnum):
    RESOLVES = "resolves"
    SECRET_MISSING = "secret-missing"
    PROPERTY_MISSING = "property-missing"
    ACCESS_DENIED = "access-denied"
    KMS_DENIED = "kms-denied"
    UNSUPPORTED = "unsupported"
    UNVERIFIED = "unverified"
    ERROR = "error"


@dataclass
class KeyResult:
    key: str
    status: KeyStatus
    reason: str = ""


@dataclass
class TargetReport:
    namespace: str
    external_secret: str
    target: str
    store: str
    role: str | None
    method: str
    """`assumed` (read with the role's credentials) or `simulated` (SimulateCustomPolicy + caller reads)."""
    keys: list[KeyResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(k.status is KeyStatus.RESOLVES for k in self.keys)


@dataclass
class VerifyReport:
    stage: str
    targets: list[TargetReport]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "ok": self.ok,
            "targets": [{**asdict(t), "ok": t.ok} for t in self.targets],
        }

    def table(self) -> str:
        lines = []
        for target in self.targets:
            where = f"{target.namespace}/{target.target}"
            lines.append(f"{'OK  ' if target.ok else 'FAIL'} {where} (store {target.store}, {target.method})")
            for key in target.keys:
                reason = f": {key.reason}" if key.reason else ""
                lines.append(f"     {key.status.value:<16} {key.key}{reason}")
        failed = sum(not t.ok for t in self.targets)
        lines.append(
            f"{self.stage}: {len(self.targets)} target Secrets, {failed} with keys that do not resolve"
        )
        return "\n".join(lines) + "\n"


class Reader:
    """Reads one secret the way ESO does, turning AWS errors into key statuses (never values)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def value(self, key: str, version: str | None) -> str:
        kwargs: dict[str, str] = {"SecretId": key}
        if version and version.startswith("uuid/"):
            kwargs["VersionId"] = version.removeprefix("uuid/")
        elif version:
            kwargs["VersionStage"] = version
        response = self.client.get_secret_value(**kwargs)
        if "SecretString" in response:
            return str(response["SecretString"])
        return bytes(response.get("SecretBinary", b"")).decode("utf-8", errors="replace")


def classify(err: Exception) -> tuple[KeyStatus, str]:
    """An AWS error as a key status, with AWS's code (messages may echo names, never values)."""
    if not isinstance(err, ClientError):
        return KeyStatus.ERROR, f"{type(err).__name__}"
    code = str(err.response.get("Error", {}).get("Code", ""))
    message = str(err.response.get("Error", {}).get("Message", ""))
    if code == "ResourceNotFoundException":
        return KeyStatus.SECRET_MISSING, "the secret (or the asked version) does not exist"
    if code.startswith("KMS") or code in ("DecryptionFailure",) or "kms" in message.lower():
        return KeyStatus.KMS_DENIED, f"{code}: the role may not decrypt with the secret's KMS key"
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ("AccessDenied", "AccessDeniedException") or status == 403:
        return KeyStatus.ACCESS_DENIED, "AccessDenied: the role's policy does not allow reading it"
    return KeyStatus.ERROR, code or "error"


Decide = Callable[[str, str | None, str | None], KeyResult]
"""(remote key, property, version) -> the result for one Secret key (its `key` field filled by the caller)."""


def _resolve_external_secret(
    manifest: dict[str, Any], read: Reader, list_names: Callable[..., list[str]]
) -> list[KeyResult]:
    spec = manifest["spec"]
    results: list[KeyResult] = []
    fetched: set[str] = set()
    for source in spec.get("dataFrom", []):
        if "extract" in source:
            ref = source["extract"]
            label = f"dataFrom.extract {ref['key']}"
            try:
                keys = extract_keys(read.value(ref["key"], ref.get("version")), ref.get("property"))
            except PropertyMissing as err:
                results.append(KeyResult(label, KeyStatus.PROPERTY_MISSING, str(err)))
            except (BotoCoreError, ClientError) as err:
                results.append(KeyResult(label, *classify(err)))
            else:
                fetched.update(keys)
                results.append(KeyResult(label, KeyStatus.RESOLVES, f"keys {', '.join(keys)}"))
        elif "find" in source:
            find = source["find"]
            label = f"dataFrom.find {find.get('path', '')}".rstrip()
            try:
                names = list_names(find.get("path"), find.get("tags", {}))
                keys = []
                for name in names:
                    read.value(name, None)
                    keys.append(find_key(name))
            except (BotoCoreError, ClientError) as err:
                results.append(KeyResult(label, *classify(err)))
            else:
                fetched.update(keys)
                detail = f"keys {', '.join(sorted(keys))}" if keys else "no secret matches"
                results.append(
                    KeyResult(label, KeyStatus.RESOLVES if keys else KeyStatus.SECRET_MISSING, detail)
                )
    for item in spec.get("data", []):
        ref = item["remoteRef"]
        try:
            value = read.value(ref["key"], ref.get("version"))
            if ref.get("property"):
                json_property(value, ref["property"])
        except PropertyMissing as err:
            results.append(KeyResult(item["secretKey"], KeyStatus.PROPERTY_MISSING, f"{ref['key']}: {err}"))
        except PropertyUnsupported as err:
            results.append(KeyResult(item["secretKey"], KeyStatus.UNSUPPORTED, f"{ref['key']}: {err}"))
        except (BotoCoreError, ClientError) as err:
            status, reason = classify(err)
            results.append(KeyResult(item["secretKey"], status, f"{ref['key']}: {reason}"))
        else:
            fetched.add(item["secretKey"])
            results.append(KeyResult(item["secretKey"], KeyStatus.RESOLVES))
    template = spec.get("target", {}).get("template")
    if template:
        for key, expression in sorted(template.get("data", {}).items()):
            reference = template_reference(expression)
            if reference is None:
                results.append(KeyResult(key, KeyStatus.UNSUPPORTED, "template form not supported by verify"))
            elif reference not in fetched:
                results.append(
                    KeyResult(key, KeyStatus.PROPERTY_MISSING, f"template reads {reference!r}, not fetched")
                )
    return results


@dataclass(frozen=True)
class Credentials:
    """How verify reaches AWS: a client factory (`service, **creds`) and the optional token command."""

    client: Callable[..., Any]
    token_command: str | None = None
    """IRSA: prints a ServiceAccount token for `{namespace}`/`{service_account}`, e.g.
    `kubectl create token {service_account} -n {namespace} --audience sts.amazonaws.com`."""


def _assume(
    creds: Credentials,
    plan: StagePlan,
    role: RoleSpec,
    *,
    base: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
) -> tuple[dict[str, str] | None, str]:
    """Credentials of `role`: IRSA with a ServiceAccount token, else AssumeRole (from `base`, with
    session `tags`, as ESO assumes a `sessionTags` store's reader)."""
    sts = creds.client("sts", **(base or {}))
    arn = role_arn(plan, role)
    try:
        if role.identity == "irsa" and base is None:
            if not creds.token_command:
                return None, "no ServiceAccount token (--web-identity-token-command)"
            command = creds.token_command.format(
                namespace=role.service_account.namespace, service_account=role.service_account.name
            )
            token = subprocess.run(
                command, shell=True, capture_output=True, text=True, check=True, timeout=60
            ).stdout
            answer = sts.assume_role_with_web_identity(
                RoleArn=arn, RoleSessionName="secrets-iac-verify", WebIdentityToken=token.strip()
            )
        else:
            extra: dict[str, Any] = {}
            if tags:
                extra["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            answer = sts.assume_role(RoleArn=arn, RoleSessionName="secrets-iac-verify", **extra)
    except subprocess.SubprocessError as err:
        return None, f"the token command failed ({type(err).__name__})"
    except (BotoCoreError, ClientError) as err:
        return None, f"cannot assume {arn} ({classify(err)[1]})"
    c = answer["Credentials"]
    return {
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"],
    }, "assumed"


def _store_credentials(
    creds: Credentials, plan: StagePlan, store: dict[str, Any], role: RoleSpec, namespace: str
) -> tuple[dict[str, str] | None, str]:
    """What ESO would read with: the role's own credentials, or for a `sessionTags` store the reader
    assumed from the store's IRSA identity with the ExternalSecret's namespace as a session tag."""
    aws = store["spec"]["provider"]["aws"]
    if not aws.get("role"):
        return _assume(creds, plan, role)
    identity = identity_role(plan, store)
    if identity is None:
        return None, "the store's identity role is not planned"
    base, how = _assume(creds, plan, identity)
    if base is None:
        return None, how
    tags = {
        ESO_SESSION_NAMESPACE_TAG: namespace,
        ESO_SESSION_STORE_KIND_TAG: store["kind"],
        ESO_SESSION_STORE_NAME_TAG: store["metadata"]["name"],
    }
    return _assume(creds, plan, role, base=base, tags=tags)


def _simulated_reader(creds: Credentials, plan: StagePlan, role: RoleSpec) -> Reader:
    """A reader that decides access with SimulateCustomPolicy over the planned documents, then checks the
    value with the caller's own credentials (where it may read it)."""
    iam = creds.client("iam")
    caller = Reader(creds.client("secretsmanager"))
    documents = [json.dumps(policy_document(spec, plan, plan.kms.key_arn)) for spec in role.policies]

    class Simulated(Reader):
        def value(self, key: str, version: str | None) -> str:
            resource = (
                f"arn:{plan.partition}:secretsmanager:{plan.region}:{plan.account_id}:secret:{key}-AbCdEf"
            )
            try:
                answer = iam.simulate_custom_policy(
                    PolicyInputList=documents,
                    ActionNames=["secretsmanager:GetSecretValue"],
                    ResourceArns=[resource],
                )
            except (BotoCoreError, ClientError) as err:
                raise UserError(f"SimulateCustomPolicy for {role.role_name}: {classify(err)[1]}") from None
            decisions = {r["EvalDecision"] for r in answer["EvaluationResults"]}
            if decisions != {"allowed"}:
                raise ClientError(
                    {
                        "Error": {
                            "Code": "AccessDenied",
                            "Message": f"simulated: {', '.join(sorted(decisions))}",
                        }
                    },
                    "GetSecretValue",
                )
            return caller.value(key, version)

    return Simulated(caller.client)


def verify_stage(plan: StagePlan, creds: Credentials) -> VerifyReport:
    """Every ExternalSecret of `plan`, resolved with its store's role (assumed, or simulated).

    Credentials of every role are obtained first, then the secrets are read: one STS call per role.
    """
    stores = {(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]): m for m in plan.stores}
    work: list[tuple[dict[str, Any], TargetReport, RoleSpec | None]] = []
    stores_by_ref: dict[int, dict[str, Any] | None] = {}
    for manifest in plan.external_secrets:
        meta, spec = manifest["metadata"], manifest["spec"]
        ref = spec["secretStoreRef"]
        namespace = meta["namespace"] if ref["kind"] == "SecretStore" else None
        store = stores.get((ref["kind"], namespace, ref["name"]))
        role = store_role(plan, store) if store is not None else None
        stores_by_ref[id(manifest)] = store
        target = spec.get("target", {}).get("name", meta["name"])
        report = TargetReport(
            meta["namespace"],
            meta["name"],
            target,
            f"{ref['kind']} {ref['name']}",
            role.role_name if role else None,
            "none",
        )
        work.append((manifest, report, role))
    readers: dict[tuple[str, str], tuple[Reader, str, Callable[..., list[str]]]] = {}
    for manifest, _, role in work:
        store = stores_by_ref[id(manifest)]
        key = _reader_key(store, role, manifest["metadata"]["namespace"])
        if role is None or store is None or key in readers:
            continue
        assumed, how = _store_credentials(creds, plan, store, role, manifest["metadata"]["namespace"])
        if assumed is not None:
            client = creds.client("secretsmanager", **assumed)
            readers[key] = (Reader(client), "assumed", _lister(client))
        else:
            caller = creds.client("secretsmanager")
            readers[key] = (_simulated_reader(creds, plan, role), f"simulated: {how}", _lister(caller))
    for manifest, report, role in work:
        if role is None:
            report.keys.append(
                KeyResult("*", KeyStatus.UNVERIFIED, "the store uses static keys or is not planned")
            )
            continue
        store = stores_by_ref[id(manifest)]
        reader, report.method, lister = readers[_reader_key(store, role, manifest["metadata"]["namespace"])]
        try:
            report.keys = _resolve_external_secret(manifest, reader, lister)
        except UserError as err:
            report.keys = [KeyResult("*", KeyStatus.ERROR, str(err))]
    return VerifyReport(plan.environment, [report for _, report, _ in work])


def _reader_key(store: dict[str, Any] | None, role: RoleSpec | None, namespace: str) -> tuple[str, str]:
    """One reader per role; per (role, namespace) where the session is tagged with the namespace."""
    chained = store is not None and bool(store["spec"]["provider"]["aws"].get("role"))
    return (role.key if role else "", namespace if chained else "")


def _lister(client: Any) -> Callable[..., list[str]]:
    def names(path: str | None, tags: dict[str, str]) -> list[str]:
        filters = [{"Key": "name", "Values": [path]}] if path else []
        for key, value in tags.items():
            filters += [{"Key": "tag-key", "Values": [key]}, {"Key": "tag-value", "Values": [value]}]
        found: list[str] = []
        for page in client.get_paginator("list_secrets").paginate(Filters=filters):
            found.extend(s["Name"] for s in page["SecretList"] if not path or s["Name"].startswith(path))
        return found

    return names
