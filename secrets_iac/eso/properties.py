"""How ESO's AWS provider (v2.9) finds `remoteRef.property` in a JSON value: one home for the sync's value
checks and for `verify`.

ESO first looks the whole property up as one literal key (so `tls.crt` works), then as a gjson path:
`.` separates, `\\.` is a literal dot, a number indexes a list. gjson's query syntax (`#`, `*`, `?`, `|`,
`@`, `!`) is not modelled: such a path is reported as unknown, never as missing.
"""

from __future__ import annotations

import re
from typing import Any, Final

_GJSON_QUERY: Final = re.compile(r"[*?#@|!]")
"""gjson wildcards, queries, modifiers and pipes."""


class Unknown:
    """A path in gjson syntax this module does not evaluate."""


UNKNOWN: Final = Unknown()
MISSING: Final = object()


def split_path(path: str) -> list[str]:
    """gjson's `.` separator, with `\\.` as a literal dot."""
    parts, current, escaped = [], "", False
    for char in path:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def find_property(document: Any, path: str) -> Any:
    """The node ESO reads for `path`, `MISSING` when there is none, `UNKNOWN` for gjson query syntax."""
    if isinstance(document, dict) and path in document:
        return document[path]  # ESO's first try: the whole property as one literal key
    if _GJSON_QUERY.search(path):
        return UNKNOWN
    node = document
    for part in split_path(path):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node
