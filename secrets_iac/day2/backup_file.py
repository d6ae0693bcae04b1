"""The backup file: every secret of a stage (metadata and current value) in one SOPS/age YAML file.

    secrets-iac-backup:
      format: 1
      stack: prod
      prefix: secrets-iac/prod
      region: eu-west-1
      accountId: "123456789012"
      takenAt: "2026-11-26T13:40:00+00:00"
      secrets:
        - name: secrets-iac/prod/web/tls
          description: ...
          tags: {managed-by: secrets-iac, environment: prod, app: web}
          kmsKeyId: arn:aws:kms:...          # absent: aws/secretsmanager
          versionId: 0c1d...                  # the version the value was read from
          value: '{"tls.crt": ...}'          # SecretString; `binary`: base64 SecretBinary; neither: none
      scheduledForDeletion: [names whose value could not be read]

Every value in the file is encrypted (also names and tags: a backup is read with a key, never in clear),
whatever `encrypted_regex` the stage's creation rule has. `takenAt` records when the values were read;
SOPS adds its own `lastmodified`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secrets_iac.errors import UserError
from secrets_iac.outputs import is_stdout
from secrets_iac.secret_value import HoldsPlaintext, SecretValue
from secrets_iac.sops import AgeIdentity, SopsError, decrypt_file, encrypt_file
from secrets_iac.sops import config as sops_config

BACKUP_KEY = "secrets-iac-backup"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class BackedUpSecret(HoldsPlaintext):
    """One secret as it was in AWS; `repr` never shows the value."""

    name: str
    description: str | None
    tags: Mapping[str, str]
    kms_key_id: str | None
    version_id: str | None
    string: SecretValue | None = field(default=None, repr=False)
    binary: SecretValue | None = field(default=None, repr=False)
    """SecretBinary's bytes (`reveal_bytes()`)."""

    @property
    def has_value(self) -> bool:
        return self.string is not None or self.binary is not None


@dataclass(frozen=True)
class Backup(HoldsPlaintext):
    stack: str
    prefix: str
    region: str
    account_id: str
    taken_at: str
    """ISO 8601, UTC: when the values were read."""
    secrets: tuple[BackedUpSecret, ...]
    scheduled_for_deletion: tuple[str, ...] = ()
    """Secrets of the stage that were scheduled for deletion when the backup was taken (no value kept)."""

    def names(self) -> set[str]:
        return {s.name for s in self.secrets}


def _entry(secret: BackedUpSecret) -> dict[str, Any]:
    out: dict[str, Any] = {"name": secret.name}
    if secret.description is not None:
        out["description"] = secret.description
    out["tags"] = dict(secret.tags)
    if secret.kms_key_id is not None:
        out["kmsKeyId"] = secret.kms_key_id
    if secret.version_id is not None:
        out["versionId"] = secret.version_id
    if secret.string is not None:
        out["value"] = secret.string.reveal()
    elif secret.binary is not None:
        out["binary"] = base64.b64encode(secret.binary.reveal_bytes()).decode("ascii")
    return out


def plaintext_document(backup: Backup) -> bytes:
    """The YAML the backup file encrypts (kept in memory only)."""
    document = {
        BACKUP_KEY: {
            "format": FORMAT_VERSION,
            "stack": backup.stack,
            "prefix": backup.prefix,
            "region": backup.region,
            "accountId": backup.account_id,
            "takenAt": backup.taken_at,
            "secrets": [_entry(s) for s in backup.secrets],
            "scheduledForDeletion": list(backup.scheduled_for_deletion),
        }
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1 << 30).encode("utf-8")


def stage_key_groups(project_dir: Path, stack: str) -> tuple[tuple[tuple[str, ...], ...], int]:
    """The recipients of the stage's own SOPS file (`stacks/secrets/<stack>.enc.yaml` in `.sops.yaml`)."""
    try:
        config_path = sops_config.find_config(project_dir)
        rule = sops_config.rule_for_file(
            project_dir / "stacks" / "secrets" / f"{stack}.enc.yaml", config_path
        )
    except SopsError as err:
        raise UserError(f"no recipients for the backup of stack {stack}: {err} (or pass --age)") from None
    return rule.key_groups, rule.shamir_threshold


def encrypt_backup(
    backup: Backup, out: Path | str, key_groups: Sequence[Sequence[str]], shamir_threshold: int = 0
) -> bytes:
    """The encrypted file (YAML, or JSON when `out` ends in .json); every value encrypted."""
    output_type = "json" if not is_stdout(out) and str(out).endswith(".json") else "yaml"
    try:
        return encrypt_file(
            "backup.yaml",
            data=plaintext_document(backup),
            input_type="yaml",
            output_type=output_type,
            recipient_groups=key_groups,
            shamir_threshold=shamir_threshold,
        )
    except SopsError as err:
        raise UserError(f"{out}: {err}") from None


# -- reading a backup -------------------------------------------------------------------------------------


class _Bad(Exception):
    """A field of the backup that is missing or of the wrong type (names the field, never a value)."""


def _text(raw: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional):
        raise _Bad(f"{where}.{key}: must be a non-empty string")
    return value


def _secret(raw: Any, where: str) -> BackedUpSecret:
    if not isinstance(raw, Mapping):
        raise _Bad(f"{where}: must be a mapping")
    name = _text(raw, "name", where)
    tags = raw.get("tags") or {}
    if not isinstance(tags, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise _Bad(f"{where}.tags: must map strings to strings")
    string = raw.get("value")
    if string is not None and not isinstance(string, str):
        raise _Bad(f"{where}.value: must be a string")
    binary: SecretValue | None = None
    if raw.get("binary") is not None:
        try:
            binary = SecretValue(base64.b64decode(str(raw["binary"]), validate=True))
        except (binascii.Error, ValueError):
            raise _Bad(f"{where}.binary: is not base64") from None
    assert name is not None
    return BackedUpSecret(
        name=name,
        description=_text(raw, "description", where, optional=True),
        tags=dict(tags),
        kms_key_id=_text(raw, "kmsKeyId", where, optional=True),
        version_id=_text(raw, "versionId", where, optional=True),
        string=SecretValue(string) if string is not None else None,
        binary=binary,
    )


def parse_backup(data: Any) -> Backup:
    """A decrypted backup document; `_Bad` names the first field that is wrong."""
    if not isinstance(data, Mapping) or not isinstance(data.get(BACKUP_KEY), Mapping):
        raise _Bad(f"{BACKUP_KEY}: missing: not a secrets-iac backup")
    body = data[BACKUP_KEY]
    if body.get("format") != FORMAT_VERSION:
        raise _Bad(f"{BACKUP_KEY}.format: {body.get('format')!r} is not {FORMAT_VERSION}")
    where = BACKUP_KEY
    raw_secrets = body.get("secrets") or []
    if not isinstance(raw_secrets, list):
        raise _Bad(f"{where}.secrets: must be a list")
    secrets = tuple(_secret(s, f"{where}.secrets[{i}]") for i, s in enumerate(raw_secrets))
    names = [s.name for s in secrets]
    if len(set(names)) != len(names):
        raise _Bad(f"{where}.secrets: a secret appears twice")
    deleted = body.get("scheduledForDeletion") or []
    if not isinstance(deleted, list) or not all(isinstance(n, str) for n in deleted):
        raise _Bad(f"{where}.scheduledForDeletion: must be a list of names")
    fields = {k: _text(body, k, where) for k in ("stack", "prefix", "region", "accountId", "takenAt")}
    return Backup(
        stack=str(fields["stack"]),
        prefix=str(fields["prefix"]),
        region=str(fields["region"]),
        account_id=str(fields["accountId"]),
        taken_at=str(fields["takenAt"]),
        secrets=secrets,
        scheduled_for_deletion=tuple(deleted),
    )


def load_backup(path: Path, identities: Sequence[AgeIdentity] | None = None) -> Backup:
    """Decrypt (MAC checked) and parse a backup file; one `UserError` naming the file and field."""
    if not path.is_file():
        raise UserError(f"{path}: no such backup file")
    try:
        plain = decrypt_file(path, identities=identities, output_type="json")
    except SopsError as err:
        raise UserError(f"{path}: {err}") from None
    try:
        return parse_backup(json.loads(plain))
    except ValueError:
        raise UserError(f"{path}: does not decrypt to a document") from None
    except _Bad as err:
        raise UserError(f"{path}: {err}") from None
    finally:
        del plain
