"""INI store: sections are top-level keys; metadata in a `[sops]` section, flattened (spec §2.5)."""

from __future__ import annotations

import re
from typing import Any

from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.scalars import Comment, to_bytes
from secrets_iac.sops.stores.flatten import flatten, unflatten
from secrets_iac.sops.tree import Branches, MapItem, TreeMap

_SECTION = re.compile(r"\[([^\]]*)\]")


def _parse(data: bytes, source: str) -> list[tuple[str, list[MapItem]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{source}: not UTF-8 text") from None
    sections: list[tuple[str, list[MapItem]]] = [("DEFAULT", [])]
    pending: list[MapItem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in ";#":
            pending.append(Comment(line[1:].lstrip()))
            continue
        header = _SECTION.fullmatch(line)
        if header:
            sections.append((header.group(1).strip(), pending))
            pending = []
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep:
            raise FormatError(f"{source}:{number}: invalid INI line")
        items = sections[-1][1]
        items.extend(pending)
        pending = []
        items.append((key.strip(), value.strip().replace("\\n", "\n")))
    sections[-1][1].extend(pending)
    return [(name, items) for name, items in sections if name != "DEFAULT" or items]


def load_ini_plain(data: bytes, source: str) -> Branches:
    return [TreeMap([(name, TreeMap(items)) for name, items in _parse(data, source)])]


def load_ini_encrypted(data: bytes, source: str) -> tuple[Branches, Any]:
    sections = _parse(data, source)
    meta = next((items for name, items in sections if name == "sops"), None)
    tree = TreeMap([(name, TreeMap(items)) for name, items in sections if name != "sops"])
    if meta is None:
        return [tree], None
    flat = {k: v for k, v in (i for i in meta if not isinstance(i, Comment))}
    return [tree], unflatten(flat)


def _section_lines(name: str, items: list[MapItem]) -> list[str]:
    lines = [f"[{name}]"]
    width = max((len(i[0]) for i in items if not isinstance(i, Comment)), default=0)
    for item in items:
        if isinstance(item, Comment):
            lines.append(f"; {item.text}")
            continue
        key, value = item
        if isinstance(value, TreeMap | list):
            raise FormatError(f"INI cannot hold the nested value at {name}:{key}")
        text = "" if value is None else value if isinstance(value, str) else to_bytes(value).decode()
        lines.append(f"{key.ljust(width)} = {text.replace(chr(10), chr(92) + 'n')}")
    return lines


def dump_ini(branches: Branches, metadata: dict[str, Any] | None = None) -> bytes:
    blocks: list[list[str]] = []
    lead: list[str] = []
    for item in branches[0].items:
        if isinstance(item, Comment):
            lead.append(f"; {item.text}")
            continue
        name, section = item
        if not isinstance(section, TreeMap):
            raise FormatError(f"INI top-level key {name} must be a section")
        head = [f"; {c.text}" for c in section.items[: _leading_comments(section)] if isinstance(c, Comment)]
        rest = section.items[_leading_comments(section) :]
        blocks.append(lead + head + _section_lines(name, rest))
        lead = []
    if metadata is not None:
        flat = flatten(metadata)
        items: list[MapItem] = [
            (k, ("true" if v else "false") if isinstance(v, bool) else str(v)) for k, v in flat.items()
        ]
        blocks.append(_section_lines("sops", items))
    return ("\n\n".join("\n".join(b) for b in blocks) + "\n").encode("utf-8")


def _leading_comments(section: TreeMap) -> int:
    count = 0
    for item in section.items:
        if not isinstance(item, Comment):
            break
        count += 1
    return count
