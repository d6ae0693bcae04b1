"""sops's `Flatten`/`Unflatten` (stores/flatten.go), shared by the dotenv and INI stores.

Neither format can nest, so the `sops` metadata is written as flat keys: nested maps as
`a__map_b`, lists as `a__list_0` (spec §2.4, §2.5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAP_SEP = "__map_"
LIST_SEP = "__list_"


def flatten(plain: Mapping[str, Any]) -> dict[str, Any]:
    """sops `Flatten`: nested maps as `a__map_b`, lists as `a__list_0`."""
    out: dict[str, Any] = {}

    def visit(value: Any, prefix: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                visit(item, f"{prefix}{MAP_SEP}{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, f"{prefix}{LIST_SEP}{index}")
        else:
            out[prefix] = value

    for key, value in plain.items():
        visit(value, key)
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """sops `Unflatten`: the inverse of `flatten`."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        parts = re.split(r"__(map|list)_", key)
        steps: list[tuple[str, str]] = [("map", parts[0])]
        steps += [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
        node: Any = root
        for position, (kind, name) in enumerate(steps):
            last = position == len(steps) - 1
            next_kind = None if last else steps[position + 1][0]
            container_key: Any = name if kind == "map" else int(name)
            if last:
                node[container_key] = value
                break
            if container_key not in node:
                node[container_key] = {}
            node = node[container_key]
            node.setdefault("__kind__", next_kind)

    def finish(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        kind = node.pop("__kind__", "map")
        if kind == "list":
            return [finish(node[i]) for i in sorted(node)]
        return {k: finish(v) for k, v in node.items()}

    return {k: finish(v) for k, v in root.items()}
