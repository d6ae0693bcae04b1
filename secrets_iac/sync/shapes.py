"""The shape each declared secret's value must have, from how ESO will read it (checked before any write).

What the stack declares decides what ESO does with the value, so a value of the wrong shape would be
written and then fail in the cluster (`SecretSyncedError`), or worse, sync an empty key:

- `keys[].property` (and a TLS secret's `certProperty`/`keyProperty`): ESO looks the property up in the
  JSON value, first as a literal top-level key (dots escaped), then as a gjson path
  (`secretsmanager.go` `mapSecretToGjson`). A missing property, or a plain string, is refused;
- a secret without `keys` (and not the app's TLS secret) is read with `dataFrom.extract`, which needs a
  JSON object: a plain string is refused;
- Secrets Manager takes SecretString values of 1 to 65,536 bytes: an empty or a larger value is refused.

Problems name the SOPS file, the key path and the stack key that declared the property, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secrets_iac.config import StageConfig
from secrets_iac.eso.properties import MISSING, UNKNOWN, find_property
from secrets_iac.naming import secret_name

MAX_SECRET_BYTES = 65_536
"""Secrets Manager's limit on SecretString."""
_CURRENT_VERSIONS = (None, "AWSCURRENT")


@dataclass(frozen=True)
class Property:
    path: str
    """The gjson path ESO looks up."""
    declared_at: str
    """Where the stack declares it, e.g. `secrets-iac:apps[0].secrets[1].keys[0].property`."""


@dataclass(frozen=True)
class SecretShape:
    properties: tuple[Property, ...] = ()
    object_reason: str | None = None
    """Why the value must be a JSON object (a mapping in the SOPS file), starting with the stack key."""


def declared_shapes(config: StageConfig, prefix: str) -> dict[str, SecretShape]:
    """Secret name -> the shape its value must have."""
    shapes: dict[str, SecretShape] = {}
    for a, app in enumerate(config.apps):
        tls = app.tls.secret if app.tls is not None else None
        for s, secret in enumerate(app.secrets):
            where = f"secrets-iac:apps[{a}].secrets[{s}]"
            name = secret_name(prefix, app.name, secret.name)
            if secret.name == tls:
                assert app.tls is not None
                shapes[name] = SecretShape(
                    properties=(
                        Property(app.tls.cert_property, f"secrets-iac:apps[{a}].tls.certProperty"),
                        Property(app.tls.key_property, f"secrets-iac:apps[{a}].tls.keyProperty"),
                    ),
                    object_reason=f"secrets-iac:apps[{a}].tls.secret names it as the app's TLS secret",
                )
            elif not secret.keys:
                shapes[name] = SecretShape(
                    object_reason=f"{where} has no keys, so ESO reads it with dataFrom.extract, which needs "
                    "a JSON object (declare keys to use a plain string)"
                )
            else:
                properties = tuple(
                    Property(key.property, f"{where}.keys[{k}].property")
                    for k, key in enumerate(secret.keys)
                    if key.property is not None and key.version in _CURRENT_VERSIONS
                )
                shapes[name] = SecretShape(
                    properties=properties,
                    object_reason=f"{properties[0].declared_at} picks a property of it"
                    if properties
                    else None,
                )
    return shapes


def has_property(document: Any, path: str) -> bool | None:
    """Whether ESO finds `path` in the JSON `document`; None for gjson syntax not checked here."""
    found = find_property(document, path)
    return None if found is UNKNOWN else found is not MISSING


def shape_problems(shape: SecretShape | None, data: Any, *, size: int, stack_source: str) -> list[str]:
    """Why `data` (the value as JSON data, or the scalar's text) cannot be this secret's value."""
    problems: list[str] = []
    if size == 0:
        problems.append("is empty: Secrets Manager needs at least one character (null means no value yet)")
    elif size > MAX_SECRET_BYTES:
        problems.append(f"is {size} bytes: Secrets Manager takes at most {MAX_SECRET_BYTES}")
    if shape is None:
        return problems
    is_object = isinstance(data, dict)
    if shape.object_reason is not None and not is_object:
        problems.append(f"must be a mapping (a JSON object): {stack_source} {shape.object_reason}")
        return problems
    for prop in shape.properties:
        if has_property(data, prop.path) is False:
            problems.append(f"has no property {prop.path!r} (declared by {stack_source} {prop.declared_at})")
    return problems
