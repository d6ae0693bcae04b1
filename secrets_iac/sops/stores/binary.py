"""Binary store: the whole file is one `data` value (type:str, AAD `data:`), written as JSON."""

from __future__ import annotations

from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.scalars import to_bytes
from secrets_iac.sops.tree import Branches, TreeMap


def load_binary_plain(data: bytes) -> Branches:
    return [TreeMap([("data", data)])]


def dump_binary_plain(branches: Branches, source: str) -> bytes:
    value = branches[0].get("data")
    if value is None:
        return b""
    if isinstance(value, TreeMap | list):
        raise FormatError(f"{source}: the data key of a binary file must be a single value")
    return to_bytes(value)
