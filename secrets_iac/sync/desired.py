"""Desired values: the stage's SOPS file mapped onto the secrets the stage declares.

The decrypted file's top-level keys are app names, their keys are secret names (the last part of
`<prefix>/<app>/<name>`, written as one key even when it holds `/`), and each value is either a
scalar (the secret's string) or a mapping (a JSON secret whose properties ESO picks with
`remoteRef.property`):

    payments:
      db: {username: app, password: ...}
      stripe-api-key: sk_test_...
    web:
      tls: {tls.crt: ..., tls.key: ...}

A value for a secret the stack does not declare is an error naming the file and key path (typo
protection), raised before anything talks to AWS. A declared secret without a value (or with null)
is reported `missing-value` by the reconcile. A value of the wrong shape for how the stage declares
the secret (`secrets_iac.sync.shapes`: a missing property, a plain string where ESO needs JSON, an
empty value) is refused for that secret alone: it is reported as an error and never sent to AWS.
Values are held as `SecretValue`; errors never show them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from secrets_iac.errors import UserError
from secrets_iac.naming import app_prefix
from secrets_iac.planner import SecretSpec, StagePlan
from secrets_iac.secret_value import HoldsPlaintext, SecretValue
from secrets_iac.sops import AgeIdentity, decrypt_document
from secrets_iac.sops.scalars import Comment, Timestamp, go_format_float_f, to_bytes
from secrets_iac.sops.tree import Branches, TreeMap, Value, path_text
from secrets_iac.sync.shapes import SecretShape, shape_problems
from secrets_iac.sync.tokens import token_key


@dataclass(frozen=True)
class DesiredValue(HoldsPlaintext):
    """The value git holds for one declared secret; `repr` never shows it."""

    spec: SecretSpec
    key_path: str
    """Where the value sits in the SOPS file, `app:secret` (for messages)."""
    value: SecretValue = field(repr=False)
    """The exact SecretString the sync writes: the scalar's text, or the mapping as a JSON object."""
    is_json: bool

    def matches(self, current: str | None) -> bool:
        """Whether the secret's current SecretString already is this value.

        JSON secrets compare as parsed JSON (key order and whitespace never cause an update; `true`
        and `1` stay different); scalars compare exactly, in constant time.
        """
        if current is None:
            return False
        if not self.is_json:
            return SecretValue(current) == self.value
        try:
            parsed = json.loads(current)
        except ValueError:
            return False
        return json_equal(json.loads(self.value.reveal()), parsed)


@dataclass(frozen=True)
class DesiredSecrets(HoldsPlaintext):
    """Every declared secret of a stage with its value from the SOPS file, if the file has one."""

    source: str
    """The SOPS file as named in messages."""
    secrets: tuple[SecretSpec, ...]
    """Declared secrets, in the stack's order."""
    values: Mapping[str, DesiredValue]
    """By full secret name; a declared name absent here has no value in the file (or was refused)."""
    refused: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """By full secret name: why the file's value cannot be written (file and key path, never the value)."""
    token_key: bytes = field(default_factory=lambda: token_key(None), repr=False)
    """Key of the PutSecretValue ClientRequestTokens (`secrets_iac.sync.tokens`)."""
    prefix: str = ""
    """The stage's secret name prefix (batched reads list `<prefix>/`); empty: no batched reads."""

    def value_for(self, spec: SecretSpec) -> DesiredValue | None:
        return self.values.get(spec.name)


def json_equal(left: Any, right: Any) -> bool:
    """Equality of parsed JSON: numbers by value, but a bool is never equal to a number."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and bool(left == right)


class _ShapeError(Exception):
    """A value the sync cannot write; carries the key path only."""

    def __init__(self, path: tuple[str, ...], problem: str) -> None:
        super().__init__(f"{path_text(path)}: {problem}")


def _scalar_text(value: Value) -> str:
    """A scalar secret's string, the way `load_secrets` renders leaves (`true`, `5432`, `1.5`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_format_float_f(value)
    if isinstance(value, Timestamp):
        return value.text
    assert not isinstance(value, TreeMap | list)
    return to_bytes(value).decode("utf-8", "surrogateescape")


def _to_json(value: Value, path: tuple[str, ...]) -> Any:
    """A mapping's subtree as JSON data (nested mappings and lists kept, comments dropped)."""
    if isinstance(value, TreeMap):
        out: dict[str, Any] = {}
        for key, item in value.pairs():
            if key in out:
                raise _ShapeError((*path, key), "appears twice")
            out[key] = _to_json(item, (*path, key))
        return out
    if isinstance(value, list):
        return [
            _to_json(item, (*path, str(i)))
            for i, item in enumerate(v for v in value if not isinstance(v, Comment))
        ]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _ShapeError(path, "NaN and infinities cannot be written as JSON")
        return value
    if isinstance(value, Timestamp):
        return value.text
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    raise _ShapeError(path, f"unsupported value type {type(value).__name__}")


def _desired_value(
    spec: SecretSpec, value: Value, path: tuple[str, ...], shape: SecretShape | None, stack_source: str
) -> DesiredValue:
    if isinstance(value, list):
        raise _ShapeError(path, "a secret's value must be a string or a mapping (a JSON secret), not a list")
    data: Any
    if isinstance(value, TreeMap):
        data = _to_json(value, path)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    else:
        text = data = _scalar_text(value)
    problems = shape_problems(
        shape, data, size=len(text.encode("utf-8", "surrogateescape")), stack_source=stack_source
    )
    if problems:
        raise _ShapeError(path, "; ".join(problems))
    return DesiredValue(spec, path_text(path), SecretValue(text), is_json=isinstance(value, TreeMap))


def desired_from_tree(
    branches: Branches,
    plan: StagePlan,
    *,
    source: str,
    stack: str,
    shapes: Mapping[str, SecretShape] | None = None,
    stack_source: str | None = None,
    data_key: bytes | None = None,
) -> DesiredSecrets:
    """Map a decrypted document onto `plan.secrets`.

    Every undeclared key is reported in one `UserError` (nothing is synced); a declared secret whose
    value has the wrong shape for `shapes` is refused on its own (`DesiredSecrets.refused`).
    """
    stack_file_name = stack_source or f"stacks/Pulumi.{stack}.yaml"
    if len(branches) > 1:
        raise UserError(f"{source}: has {len(branches)} YAML documents; a stage's secrets file has one")
    declared: dict[str, dict[str, SecretSpec]] = {}
    for spec in plan.secrets:
        short = spec.name.removeprefix(app_prefix(plan.prefix, spec.app) + "/")
        declared.setdefault(spec.app, {})[short] = spec
    problems: list[str] = []
    values: dict[str, DesiredValue] = {}
    refused: dict[str, str] = {}
    root = branches[0] if branches else TreeMap()
    for app, secrets in root.pairs():
        if app not in declared:
            known = ", ".join(sorted(declared)) or "none"
            problems.append(
                f"{path_text((app,))}: no secrets declared for app {app!r} in stack {stack} "
                f"(apps with secrets: {known})"
            )
            continue
        if secrets is None:
            continue
        if not isinstance(secrets, TreeMap):
            problems.append(f"{path_text((app,))}: must be a mapping of secret names to values")
            continue
        for name, value in secrets.pairs():
            declared_spec = declared[app].get(name)
            if declared_spec is None:
                problems.append(
                    f"{path_text((app, name))}: not a secret declared by stack {stack} "
                    f"({app} declares: {', '.join(sorted(declared[app]))})"
                )
                continue
            if value is None:
                continue  # null: no value yet, reported as missing-value
            shape = (shapes or {}).get(declared_spec.name)
            try:
                values[declared_spec.name] = _desired_value(
                    declared_spec, value, (app, name), shape, stack_file_name
                )
            except _ShapeError as err:
                refused[declared_spec.name] = f"{source}: {err}"
    if problems:
        raise UserError("\n".join(f"{source}: {p}" for p in problems))
    return DesiredSecrets(
        source,
        plan.secrets,
        MappingProxyType(values),
        MappingProxyType(refused),
        token_key(data_key),
        plan.prefix,
    )


def load_desired(
    path: Path | str,
    plan: StagePlan,
    *,
    stack: str,
    identities: Sequence[AgeIdentity] | None = None,
    source: str | None = None,
    shapes: Mapping[str, SecretShape] | None = None,
    stack_source: str | None = None,
) -> DesiredSecrets:
    """Decrypt the stage's SOPS file in memory (MAC checked) and map it onto the declared secrets."""
    file_path = Path(path)
    name = source or str(file_path)
    if not file_path.is_file():
        raise UserError(f"{name}: no such secrets file")
    document = decrypt_document(file_path, identities=identities)
    return desired_from_tree(
        document.branches,
        plan,
        source=name,
        stack=stack,
        shapes=shapes,
        stack_source=stack_source,
        data_key=document.data_key,
    )
