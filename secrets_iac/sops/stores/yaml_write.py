"""YAML store, writing: our own emitter in sops's style, so the output is stable and readable by sops.

Indent 4, sequences indented under their key, comments as full lines. Strings are written in the
style yaml.v3 chooses (`yaml_style`: plain, quoted or a `|` block), so they read back as the same
string under yaml.v3 typing (`resolve_plain_scalar`).
"""

from __future__ import annotations

import base64

from secrets_iac.sops.scalars import Comment, Scalar, Timestamp, yaml_float_text
from secrets_iac.sops.stores.yaml_style import (
    Style,
    double_quoted,
    literal_block,
    single_quoted,
    string_style,
)
from secrets_iac.sops.tree import Branches, TreeMap, Value

INDENT = 4


def _scalar_text(value: Scalar) -> str:
    """A scalar other than a string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return yaml_float_text(value)
    if isinstance(value, Timestamp):
        return value.text
    if isinstance(value, bytes):
        return "!!binary " + base64.b64encode(value).decode()
    if isinstance(value, Comment):
        return double_quoted(value.text)
    raise TypeError(f"not a YAML scalar: {type(value).__name__}")


def _string_text(value: str, style: Style, indent: int) -> str:
    """A string in a one-line style (plain or quoted); LS/PS continue at `indent` in single quotes."""
    if style is Style.PLAIN:
        return value
    if style is Style.SINGLE:
        return single_quoted(value, indent)
    return double_quoted(value)


def _key_text(key: str) -> str:
    return _string_text(key, string_style(key, key=True), 0)


def _emit_value_after(prefix: str, value: Value, indent: int, out: list[str], hint: int = INDENT) -> None:
    """Emit `prefix` (e.g. `key:` or `-`) followed by the value; nested blocks go on following lines."""
    if isinstance(value, TreeMap):
        if not value.items:
            out.append(f"{prefix} {{}}")
            return
        out.append(prefix)
        _emit_map(value, indent, out)
    elif isinstance(value, list):
        if not value:
            out.append(f"{prefix} []")
            return
        out.append(prefix)
        _emit_list(value, indent, out)
    elif isinstance(value, str):
        style = string_style(value)
        if style is Style.LITERAL:
            header, lines = literal_block(value, indent, hint)
            out.append(f"{prefix} {header}")
            out.extend(lines)
        else:
            out.append(f"{prefix} {_string_text(value, style, indent)}")
    else:
        out.append(f"{prefix} {_scalar_text(value)}")


def _emit_map(tree: TreeMap, indent: int, out: list[str], child_indent: int | None = None) -> None:
    """Keys at `indent`; their nested values at `child_indent` (yaml.v3: the dash column + 4 for a
    mapping that is a list item, so `- k:` puts `k`'s children 2 columns right of `k`)."""
    pad = " " * indent
    inner = indent + INDENT if child_indent is None else child_indent
    for item in tree.items:
        if isinstance(item, Comment):
            out.append(f"{pad}#{item.text}")
            continue
        key, value = item
        _emit_value_after(f"{pad}{_key_text(key)}:", value, inner, out, hint=inner - indent)


def _emit_list(items: list[Value], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for value in items:
        if isinstance(value, Comment):
            out.append(f"{pad}#{value.text}")
            continue
        if isinstance(value, TreeMap | list) and (value.items if isinstance(value, TreeMap) else value):
            nested: list[str] = []
            if isinstance(value, TreeMap):
                _emit_map(value, indent + 2, nested, child_indent=indent + INDENT)
            else:
                _emit_list(value, indent + 2, nested)
            first = nested[0]
            out.append(f"{pad}- {first[indent + 2 :]}")
            out.extend(nested[1:])
        else:
            _emit_value_after(f"{pad}-", value, indent + 2, out, hint=2)


def dump_yaml(branches: Branches) -> bytes:
    """Write branches as YAML documents separated by `---`."""
    documents = []
    for branch in branches:
        out: list[str] = []
        if branch.items:
            _emit_map(branch, 0, out)
        if not any(not isinstance(i, Comment) for i in branch.items):
            out.append("{}")
        documents.append("\n".join(out) + "\n")
    return "---\n".join(documents).encode("utf-8")
