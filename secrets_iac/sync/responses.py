"""What an answer from Secrets Manager must contain before the sync acts on it.

botocore parses a response body that was cut short (a proxy, a dropped connection after the headers)
as an empty answer: no `SecretList`, no `VersionId`, no `VersionIdsToStages`. Read naively, an empty
DescribeSecret means "no current version", and the sync would write over a drifted or rotated value.
So every answer is checked for what AWS always sends (the name asked for, the version id, its stages)
and anything else raises `UntrustedResponse`: a failed read, which never leads to a write.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secrets_iac.secret_value import SecretValue

CURRENT_STAGE = "AWSCURRENT"


class UntrustedResponse(Exception):
    """An answer without what AWS always sends; the message says what was missing (never a value)."""


@dataclass(frozen=True)
class CurrentValue:
    """The current version of a secret as read from AWS."""

    version_id: str
    stages: tuple[str, ...]
    string: SecretValue | None = field(repr=False)
    """SecretString; None when the version holds SecretBinary only."""
    binary: bytes | None = field(default=None, repr=False)
    """SecretBinary (backups keep it; the sync writes strings only)."""


@dataclass(frozen=True)
class SecretMeta:
    """A secret's metadata from ListSecrets (eventually consistent: a hint that decides what to read) or
    DescribeSecret (strongly consistent: what a decision to write rests on)."""

    name: str
    arn: str
    deleted: str | None
    """DeletedDate when the secret is scheduled for deletion."""
    rotation_enabled: bool
    versions: Mapping[str, tuple[str, ...]]
    """Version id -> staging labels."""
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    kms_key_id: str | None = None
    """KmsKeyId as AWS reports it; None: aws/secretsmanager."""
    last_changed: str | None = None
    """LastChangedDate (ISO 8601): the newest change of value or metadata."""

    @property
    def current_version(self) -> str | None:
        return next((v for v, stages in self.versions.items() if CURRENT_STAGE in stages), None)


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise UntrustedResponse(what)


def _versions(raw: Any, what: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    _require(isinstance(raw, dict), f"{what} is not a mapping")
    out: dict[str, tuple[str, ...]] = {}
    for version, stages in raw.items():
        _require(isinstance(version, str) and bool(version), f"{what} has an empty version id")
        _require(
            isinstance(stages, list) and all(isinstance(s, str) for s in stages),
            f"{what} of version {version} is not a list of labels",
        )
        out[version] = tuple(stages)
    return out


def _deleted(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _details(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Description, tags, KMS key of a ListSecrets entry or a DescribeSecret answer (what backups keep)."""
    tags = entry.get("Tags") or []
    _require(isinstance(tags, list), "Tags is not a list")
    description, kms = entry.get("Description"), entry.get("KmsKeyId")
    return {
        "description": description if isinstance(description, str) else None,
        "tags": {str(t["Key"]): str(t.get("Value", "")) for t in tags if isinstance(t, dict) and "Key" in t},
        "kms_key_id": kms if isinstance(kms, str) and kms else None,
        "last_changed": _iso(entry.get("LastChangedDate")),
    }


def _iso(raw: Any) -> str | None:
    if isinstance(raw, datetime):
        return (raw if raw.tzinfo else raw.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return None


def listed_page(response: Mapping[str, Any]) -> tuple[list[SecretMeta], str | None]:
    """One ListSecrets page: its entries and the NextToken (None on the last page)."""
    entries = response.get("SecretList")
    if not isinstance(entries, list):
        raise UntrustedResponse("ListSecrets answer has no SecretList")
    listed = []
    for entry in entries:
        _require(isinstance(entry, dict), "ListSecrets entry is not an object")
        name = entry.get("Name")
        _require(isinstance(name, str) and bool(name) and bool(entry.get("ARN")), "entry without Name/ARN")
        listed.append(
            SecretMeta(
                name=str(name),
                arn=str(entry["ARN"]),
                deleted=_deleted(entry.get("DeletedDate")),
                rotation_enabled=entry.get("RotationEnabled") is True,
                versions=_versions(entry.get("SecretVersionsToStages"), f"{name}: SecretVersionsToStages"),
                **_details(entry),
            )
        )
    token = response.get("NextToken")
    _require(token is None or isinstance(token, str), "NextToken is not a string")
    return listed, token or None


def _current_value(entry: Mapping[str, Any], name: str, version_id: str | None = None) -> CurrentValue:
    """A GetSecretValue-shaped answer for `name` (and `version_id`, when one was asked for)."""
    _require(entry.get("Name") == name, f"answer is not for {name}")
    version = entry.get("VersionId")
    if not isinstance(version, str) or not version:
        raise UntrustedResponse(f"answer for {name} has no VersionId")
    _require(version_id is None or version == version_id, f"answer for {name} is for another version")
    stages = entry.get("VersionStages")
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        raise UntrustedResponse(f"answer for {name} has no VersionStages")
    _require(version_id is not None or CURRENT_STAGE in stages, f"answer for {name} is not AWSCURRENT")
    string = entry.get("SecretString")
    _require(
        isinstance(string, str) or "SecretBinary" in entry, f"answer for {name} has neither string nor binary"
    )
    binary = entry.get("SecretBinary")
    return CurrentValue(
        version,
        tuple(stages),
        SecretValue(string) if isinstance(string, str) else None,
        binary if isinstance(binary, bytes) else None,
    )


@dataclass(frozen=True)
class BatchAnswer:
    values: dict[str, CurrentValue]
    """Trusted current values by name."""
    errors: dict[str, str]
    """Secret id -> AWS error code, for the entries AWS reported as errors."""


def batch_values(response: Mapping[str, Any], asked: Collection[str]) -> BatchAnswer:
    """BatchGetSecretValue: trusted entries only. An entry that fails the checks is left out (the caller
    reads that secret on its own); an answer without `SecretValues` is untrusted as a whole."""
    entries = response.get("SecretValues")
    if not isinstance(entries, list):
        raise UntrustedResponse("BatchGetSecretValue answer has no SecretValues")
    errors_raw = response.get("Errors") or []
    _require(isinstance(errors_raw, list), "BatchGetSecretValue Errors is not a list")
    wanted = set(asked)
    values: dict[str, CurrentValue] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("Name") not in wanted:
            continue
        try:
            values[str(entry["Name"])] = _current_value(entry, str(entry["Name"]))
        except UntrustedResponse:
            continue
    errors = {
        str(e["SecretId"]): str(e.get("ErrorCode") or "Error")
        for e in errors_raw
        if isinstance(e, dict) and isinstance(e.get("SecretId"), str)
    }
    return BatchAnswer(values, errors)


def secret_value(response: Mapping[str, Any], name: str, version_id: str) -> CurrentValue:
    """GetSecretValue(SecretId=name, VersionId=version_id)."""
    return _current_value(response, name, version_id)


def current_value(response: Mapping[str, Any], name: str) -> CurrentValue:
    """GetSecretValue(SecretId=name, VersionStage=AWSCURRENT)."""
    return _current_value(response, name)


def described(response: Mapping[str, Any], name: str) -> SecretMeta:
    """DescribeSecret(SecretId=name): AWS always sends the ARN and the name."""
    _require(
        response.get("Name") == name and bool(response.get("ARN")), f"DescribeSecret answer is not for {name}"
    )
    return SecretMeta(
        name=name,
        arn=str(response["ARN"]),
        deleted=_deleted(response.get("DeletedDate")),
        rotation_enabled=response.get("RotationEnabled") is True,
        versions=_versions(response.get("VersionIdsToStages"), f"{name}: VersionIdsToStages"),
        **_details(response),
    )


def written(response: Mapping[str, Any], name: str, token: str) -> str:
    """PutSecretValue with ClientRequestToken=token: the new version's id is the token."""
    _require(response.get("Name") == name, f"PutSecretValue answer is not for {name}")
    _require(response.get("VersionId") == token, f"PutSecretValue answer for {name} has another VersionId")
    return token


def named(response: Mapping[str, Any], name: str, operation: str) -> None:
    """Any answer that must at least name the secret (CreateSecret, UpdateSecretVersionStage, ...)."""
    _require(response.get("Name") == name, f"{operation} answer is not for {name}")
