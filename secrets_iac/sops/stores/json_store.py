"""JSON store: a top-level object; numbers read as float like sops 3.11; Go-style output (tab indent)."""

from __future__ import annotations

import json
from typing import Any

from secrets_iac.rules.limits import MAX_NESTING, clip
from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.scalars import Comment, Timestamp, go_json_float
from secrets_iac.sops.tree import Branches, MapItem, TreeMap, Value


def _pairs_hook(pairs: list[tuple[str, Any]]) -> TreeMap:
    seen: dict[str, int] = {}
    items: list[MapItem] = []
    for key, value in pairs:
        if key in seen:
            items[seen[key]] = (key, value)
        else:
            seen[key] = len(items)
            items.append((key, value))
    return TreeMap(items)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_value(text: str) -> Any:
    """Any JSON value as sops's Go decoder reads it: numbers as floats, objects as ordered `TreeMap`s.

    Raises ValueError for invalid JSON (the message names a position, never the text).
    """
    return json.loads(text, object_pairs_hook=_pairs_hook, parse_int=float, parse_constant=_reject_constant)


def load_json(data: bytes, source: str) -> Branches:
    """Parse a JSON object; every number becomes a float, as sops ≤ 3.13.1 decodes them."""
    try:
        tree = parse_json_value(data.decode("utf-8").lstrip("\ufeff"))
    except (UnicodeDecodeError, ValueError) as err:
        raise FormatError(f"{source}: invalid JSON: {clip(str(err), 120)}") from None
    except RecursionError:
        raise FormatError(f"{source}: objects and arrays nested deeper than {MAX_NESTING}") from None
    if not isinstance(tree, TreeMap):
        raise FormatError(f"{source}: a JSON sops file must be an object at the top level")
    if _depth(tree) > MAX_NESTING:
        raise FormatError(f"{source}: objects and arrays nested deeper than {MAX_NESTING}")
    return [tree]


def _depth(tree: Value) -> int:
    """How deep objects and arrays nest (iterative: a deep file must not exhaust the stack here)."""
    deepest = 0
    stack: list[tuple[Value, int]] = [(tree, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, TreeMap):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for _, child in value.pairs())
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in value)
    return deepest


def go_json_string(value: str) -> str:
    """A JSON string escaped the way Go's encoding/json escapes it (`<>&` and U+2028/9 too)."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _encode(value: Value, indent: str, depth: int) -> str:
    if isinstance(value, TreeMap):
        pairs = list(value.pairs())
        if not pairs:
            return "{}"
        inner = indent * (depth + 1)
        body = ",\n".join(f"{inner}{go_json_string(k)}: {_encode(v, indent, depth + 1)}" for k, v in pairs)
        return "{\n" + body + "\n" + indent * depth + "}"
    if isinstance(value, list):
        items = [v for v in value if not isinstance(v, Comment)]
        if not items:
            return "[]"
        inner = indent * (depth + 1)
        body = ",\n".join(f"{inner}{_encode(v, indent, depth + 1)}" for v in items)
        return "[\n" + body + "\n" + indent * depth + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, Timestamp):
        return go_json_string(value.text)
    if isinstance(value, bytes):
        return go_json_string(value.decode("utf-8", "replace"))
    if isinstance(value, Comment):
        return go_json_string(value.text)
    return go_json_string(value)


def dump_json(branches: Branches, indent: str = "\t") -> bytes:
    """The single branch as indented JSON with a trailing newline, like sops."""
    return (_encode(branches[0], indent, 0) + "\n").encode("utf-8")
