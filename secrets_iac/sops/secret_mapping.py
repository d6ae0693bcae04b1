"""`load_secrets`: a decrypted sops file as a flat mapping of `SecretValue`s, for the sync.

Key paths are the mapping keys joined by `/` (`payments/db/password`); list items add their
index (`hosts/0`); comments and nulls are left out. In a multi-document YAML file, documents
after the first are prefixed with their index (`1/…`). Non-string leaves become their text
(`true`, `5432`, `1.5`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from secrets_iac.secret_value import SecretValue
from secrets_iac.sops.errors import SopsError
from secrets_iac.sops.files import decrypt_document
from secrets_iac.sops.keys import AgeIdentity
from secrets_iac.sops.scalars import Comment, Scalar, Timestamp, go_format_float_f, to_bytes
from secrets_iac.sops.tree import TreeMap, Value

SEPARATOR = "/"


def _leaf_bytes(value: Scalar) -> bytes:
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, float):
        return go_format_float_f(value).encode()
    if isinstance(value, Timestamp):
        return value.text.encode()
    return to_bytes(value)


def flatten_secrets(value: Value, prefix: str, out: dict[str, SecretValue], source: str) -> None:
    """Add every non-null leaf under `prefix` to `out`."""
    if isinstance(value, TreeMap):
        for key, item in value.pairs():
            flatten_secrets(item, f"{prefix}{SEPARATOR}{key}" if prefix else key, out, source)
    elif isinstance(value, list):
        index = 0
        for item in value:
            if isinstance(item, Comment):
                continue
            flatten_secrets(item, f"{prefix}{SEPARATOR}{index}", out, source)
            index += 1
    elif value is not None and not isinstance(value, Comment):
        if prefix in out:
            raise SopsError(f"{source}: two secrets share the key path {prefix}")
        out[prefix] = SecretValue(_leaf_bytes(value))


class SecretMapping(Mapping[str, SecretValue]):
    """A read-only `{key/path: SecretValue}` mapping that refuses pickling like its values."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, SecretValue]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> SecretValue:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SecretMapping({self._values!r})"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("decrypted secrets cannot be pickled (it would write the plaintext)")


def load_secrets(
    path: Path | str, *, identities: Sequence[AgeIdentity] | None = None
) -> Mapping[str, SecretValue]:
    """Decrypt a sops file (MAC checked) into a read-only `{key/path: SecretValue}` mapping."""
    doc = decrypt_document(path, identities=identities)
    out: dict[str, SecretValue] = {}
    for index, branch in enumerate(doc.branches):
        flatten_secrets(branch, "" if index == 0 else str(index), out, doc.source)
    return SecretMapping(out)
