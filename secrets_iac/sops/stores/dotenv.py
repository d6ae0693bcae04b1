"""dotenv store: `KEY=VALUE` lines and `#` comments; metadata as flattened `sops_…` lines (spec §2.4)."""

from __future__ import annotations

from typing import Any

from secrets_iac.sops.errors import AlreadyEncryptedError, FormatError
from secrets_iac.sops.scalars import Comment, Scalar, to_bytes
from secrets_iac.sops.stores.flatten import flatten, unflatten
from secrets_iac.sops.tree import Branches, MapItem, TreeMap

PREFIX = "sops_"


def _parse(data: bytes, source: str) -> list[MapItem]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{source}: not UTF-8 text") from None
    items: list[MapItem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line == "":
            continue
        if line.startswith("#"):
            items.append(Comment(line[1:]))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise FormatError(f"{source}:{number}: invalid dotenv line (no '=')")
        items.append((key, value.replace("\\n", "\n")))
    return items


def load_dotenv_plain(data: bytes, source: str) -> Branches:
    """A plaintext dotenv file; a key starting with `sops_` means it is already encrypted."""
    items = _parse(data, source)
    if any(not isinstance(i, Comment) and i[0].startswith(PREFIX) for i in items):
        raise AlreadyEncryptedError(f"{source}: File already encrypted (it has sops_ keys)")
    return [TreeMap(items)]


def load_dotenv_encrypted(data: bytes, source: str) -> tuple[Branches, Any]:
    """An encrypted dotenv file: the data items and the unflattened `sops` metadata."""
    items = _parse(data, source)
    flat = {
        i[0][len(PREFIX) :]: i[1] for i in items if not isinstance(i, Comment) and i[0].startswith(PREFIX)
    }
    data_items = [i for i in items if isinstance(i, Comment) or not i[0].startswith(PREFIX)]
    return [TreeMap(data_items)], (unflatten(flat) if flat else None)


def _text(value: Scalar) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return to_bytes(value).decode("utf-8", "replace")


def dump_dotenv(branches: Branches, metadata: dict[str, Any] | None = None) -> bytes:
    lines: list[str] = []
    for item in branches[0].items:
        if isinstance(item, Comment):
            lines.append(f"#{item.text}")
        else:
            key, value = item
            if isinstance(value, TreeMap | list):
                raise FormatError(f"dotenv cannot hold the nested value at {key}")
            lines.append(f"{key}={_text(value).replace(chr(10), chr(92) + 'n')}")
    if metadata is not None:
        flat = flatten(metadata)
        for key in sorted(flat):
            value = flat[key]
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            lines.append(f"{PREFIX}{key}={text.replace(chr(10), chr(92) + 'n')}")
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
