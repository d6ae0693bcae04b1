"""sops's tree index (`["app"]["db"][0]`) and the `set`/`unset` edits it addresses (sops.go Set/Unset).

The index syntax, the JSON value and where a new key goes follow sops 3.11: a missing key is
appended to its mapping, a list position past the end appends, and a scalar in the way is replaced
by the structure the rest of the index describes. Where sops would panic or silently do nothing (a
position on a mapping, a key on a list, a negative position, an empty index), this refuses with
one line. List positions count values, not comments. Messages show the index, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeAlias

from secrets_iac.sops.errors import IndexFormatError, KeyNotFoundError, SopsError
from secrets_iac.sops.scalars import Comment
from secrets_iac.sops.stores.json_store import parse_json_value
from secrets_iac.sops.tree import MapItem, TreeMap, Value

IndexPart: TypeAlias = str | int
TreeIndex: TypeAlias = tuple[IndexPart, ...]
INDEX_HINT = 'an index is ["key"] or [position] parts, like \'["app"]["db"][0]\''
_POSITION = re.compile(r"[0-9]+")


def parse_index(text: str) -> TreeIndex:
    """sops `parseTreePath`: quoted parts are keys, bare parts are list positions (0 or more)."""
    parts: list[IndexPart] = []
    for number, component in enumerate((c for c in text.split("[") if c), start=1):
        if not component.endswith("]"):
            raise IndexFormatError(f"invalid index: part {number} does not end with ]; {INDEX_HINT}")
        inner = component[:-1]
        if inner[:1] in ('"', "'"):
            if len(inner) < 2 or inner[-1] != inner[0]:
                raise IndexFormatError(f"invalid index: part {number} has no closing quote; {INDEX_HINT}")
            parts.append(inner[1:-1])
        elif _POSITION.fullmatch(inner):
            parts.append(int(inner))
        else:
            raise IndexFormatError(
                f"invalid index: part {number} is neither a quoted key nor a position (0 or more); "
                f"{INDEX_HINT}"
            )
    if not parts:
        raise IndexFormatError(f"empty index; {INDEX_HINT}")
    return tuple(parts)


def split_index_and_value(text: str) -> tuple[str, str]:
    """sops's one-string form `'["a"]["b"] VALUE'` (its `--set`): split after the first `] `."""
    index, separator, value = text.partition("] ")
    if not separator:
        raise IndexFormatError(f"no value after the index; {INDEX_HINT}, then a JSON value")
    return index + "]", value


def index_text(index: Sequence[IndexPart]) -> str:
    """An index as sops writes it, for messages: `["app"]["db"][0]`."""
    return "".join(f"[{part}]" if isinstance(part, int) else f'["{part}"]' for part in index)


def _go_text(value: str) -> str:
    """Lone surrogates (`"\\ud800"` in JSON) become U+FFFD, as Go's JSON decoder makes them."""
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _from_json(value: Any) -> Value:
    if isinstance(value, TreeMap):
        return TreeMap([(_go_text(key), _from_json(item)) for key, item in value.pairs()])
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    if isinstance(value, str):
        return _go_text(value)
    if value is None or isinstance(value, bool | float):
        return value
    raise IndexFormatError(f"unsupported JSON value type {type(value).__name__}")


def parse_value(data: str | bytes) -> Value:
    """A `set` value: JSON, decoded as sops decodes it (numbers are floats; objects keep their order)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        parsed = parse_json_value(text)
    except UnicodeDecodeError:
        raise IndexFormatError("the value is not UTF-8 text") from None
    except ValueError as err:
        raise IndexFormatError(
            f"the value is not valid JSON ({err}); a string needs JSON quotes, like '\"text\"'"
        ) from None
    return _from_json(parsed)


def identical(left: Value, right: Value) -> bool:
    """Strict equality of two tree values: types must match (`1`, `1.0` and `true` differ), comments count."""
    if type(left) is not type(right):
        return False
    if isinstance(left, TreeMap) and isinstance(right, TreeMap):
        return len(left.items) == len(right.items) and all(
            _same_item(a, b) for a, b in zip(left.items, right.items, strict=True)
        )
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(identical(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (left != left and right != right)  # NaN is NaN here
    return bool(left == right)


def identical_branches(left: Sequence[TreeMap], right: Sequence[TreeMap]) -> bool:
    """Whether two documents hold exactly the same keys, values, types and comments."""
    return len(left) == len(right) and all(identical(a, b) for a, b in zip(left, right, strict=True))


def _same_item(left: MapItem, right: MapItem) -> bool:
    if isinstance(left, Comment) or isinstance(right, Comment):
        return left == right
    return left[0] == right[0] and identical(left[1], right[1])


def _build(index: Sequence[IndexPart], leaf: Value) -> Value:
    """sops `valueFromPathAndLeaf`: the structure an index describes below a missing or scalar node."""
    if not index:
        return leaf
    inner = _build(index[1:], leaf)
    if isinstance(index[0], int):
        return [inner]
    return TreeMap([(index[0], inner)])


def _positions(items: list[Value]) -> list[int]:
    """Where each value (not comment) of a list sits."""
    return [i for i, item in enumerate(items) if not isinstance(item, Comment)]


def _set(node: Value, index: TreeIndex, value: Value, done: TreeIndex) -> tuple[Value, bool]:
    part, rest = index[0], index[1:]
    here = (*done, part)
    if isinstance(node, TreeMap):
        if not isinstance(part, str):
            raise SopsError(f"{index_text(done) or 'the document'} is a mapping; [{part}] needs a list")
        items = list(node.items)
        for i, item in enumerate(items):
            if not isinstance(item, Comment) and item[0] == part:
                if rest:
                    new, changed = _set(item[1], rest, value, here)
                else:
                    new, changed = value, not identical(item[1], value)
                items[i] = (part, new)
                return TreeMap(items), changed
        return TreeMap([*items, (part, _build(rest, value))]), True
    if isinstance(node, list):
        if not isinstance(part, int):
            raise SopsError(f'{index_text(done)} is a list; ["{part}"] needs a mapping (use a position)')
        values = list(node)
        positions = _positions(values)
        if part >= len(positions):
            return [*values, _build(rest, value)], True
        at = positions[part]
        if rest:
            values[at], changed = _set(values[at], rest, value, here)
        else:
            values[at], changed = value, not identical(values[at], value)
        return values, changed
    new = _build(index, value)
    return new, not identical(node, new)


def set_value(root: TreeMap, index: TreeIndex, value: Value) -> tuple[TreeMap, bool]:
    """sops `TreeBranch.Set`: a new tree with `value` at `index`, and whether anything changed."""
    if index[0] == "sops":
        raise SopsError('["sops"] is the metadata of the file; it cannot be set')
    new, changed = _set(root, index, value, ())
    assert isinstance(new, TreeMap)
    return new, changed


def _unset(node: Value, index: TreeIndex, done: TreeIndex) -> Value:
    part, rest = index[0], index[1:]
    here = (*done, part)
    if isinstance(node, TreeMap) and isinstance(part, str):
        items = list(node.items)
        for i, item in enumerate(items):
            if not isinstance(item, Comment) and item[0] == part:
                if rest:
                    items[i] = (part, _unset(item[1], rest, here))
                else:
                    del items[i]
                return TreeMap(items)
        raise KeyNotFoundError(f"{index_text(here)}: no such key")
    if isinstance(node, list) and isinstance(part, int):
        values = list(node)
        positions = _positions(values)
        if part >= len(positions):
            raise KeyNotFoundError(f"{index_text(here)}: the list has {len(positions)} items")
        if rest:
            values[positions[part]] = _unset(values[positions[part]], rest, here)
        else:
            del values[positions[part]]
        return values
    kind = "mapping" if isinstance(node, TreeMap) else "list" if isinstance(node, list) else "value"
    raise SopsError(f"{index_text(here)}: {index_text(done) or 'the document'} is a {kind}")


def unset_value(root: TreeMap, index: TreeIndex) -> TreeMap:
    """sops `TreeBranch.Unset`: a new tree without the key or list item at `index`."""
    if index[0] == "sops":
        raise SopsError('["sops"] is the metadata of the file; it cannot be unset')
    new = _unset(root, index, ())
    assert isinstance(new, TreeMap)
    return new


__all__ = [
    "identical",
    "identical_branches",
    "index_text",
    "parse_index",
    "parse_value",
    "set_value",
    "split_index_and_value",
    "unset_value",
]
