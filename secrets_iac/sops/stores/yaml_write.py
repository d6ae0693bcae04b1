"""YAML store, writing: our own emitter in sops's style, so the output is stable and readable by sops.

Indent 4, sequences indented under their key, comments as full lines, multi-line strings as `|`
blocks. A string is written plain only when it reads back as the same string under yaml.v3 typing
(`resolve_plain_scalar`) and libyaml's scalar analysis allows it; otherwise it is single- or
double-quoted the way yaml.v3 chooses.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from secrets_iac.sops.scalars import (
    Comment,
    Scalar,
    Timestamp,
    YamlTypingError,
    resolve_plain_scalar,
    yaml_float_text,
)
from secrets_iac.sops.tree import Branches, TreeMap, Value

INDENT = 4

_OLD_BOOLS = {
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "on",
    "On",
    "ON",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "off",
    "Off",
    "OFF",
}
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_BLANKZ = " \t\n\r\x85\u2028\u2029"
_BREAKS = "\n\r\x85\u2028\u2029"


def _printable(char: str) -> bool:
    """libyaml's IS_PRINTABLE (tab is not printable: yaml.v3 double-quotes strings with tabs)."""
    code = ord(char)
    return (
        code == 0x0A
        or 0x20 <= code <= 0x7E
        or code == 0x85
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


@dataclass(frozen=True, slots=True)
class _Analysis:
    plain: bool
    single: bool
    block: bool


def _analyze(value: str) -> _Analysis:
    """A port of libyaml's `yaml_emitter_analyze_scalar` for block context (what yaml.v3 uses)."""
    if not value:
        return _Analysis(plain=True, single=True, block=False)
    block_indicators = value.startswith(("---", "..."))
    special = line_breaks = leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_by_ws = True
    last = len(value) - 1
    for i, char in enumerate(value):
        followed_by_ws = i + 1 > last or value[i + 1] in _BLANKZ
        if i == 0:
            if char in "#,[]{}&*!|>'\"%@`" or (char in "?:-" and followed_by_ws):
                block_indicators = True
        elif (char == ":" and followed_by_ws) or (char == "#" and preceded_by_ws):
            block_indicators = True
        if not _printable(char):
            special = True
        if char in _BREAKS:
            line_breaks = True
        if char == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == last
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif char in _BREAKS:
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == last
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = char in _BLANKZ
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or special:
        plain = single = False
        block = False
    if line_breaks or block_indicators:
        plain = False
    return _Analysis(plain, single, block)


def _plain_ok(value: str) -> bool:
    """yaml.v3's `canUsePlain` (the text reads back as the same string) and the emitter's analysis."""
    if not value or value in _OLD_BOOLS or _SEXAGESIMAL.fullmatch(value):
        return False
    try:
        if not isinstance(resolve_plain_scalar(value), str):
            return False
    except YamlTypingError:
        return False
    return _analyze(value).plain


def _can_use_plain(value: str) -> bool:
    if not value or value in _OLD_BOOLS or _SEXAGESIMAL.fullmatch(value):
        return False
    try:
        return isinstance(resolve_plain_scalar(value), str)
    except YamlTypingError:
        return False


_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def double_quoted(value: str) -> str:
    """A YAML double-quoted scalar, escaping what libyaml escapes."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not _printable(char) or char == "\ufeff":
            code = ord(char)
            if code <= 0xFF:
                out.append(f"\\x{code:02X}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04X}")
            else:
                out.append(f"\\U{code:08X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literal_ok(value: str) -> bool:
    return "\n" in value and _analyze(value).block


def _literal(value: str, indent: int, hint: int) -> tuple[str, list[str]]:
    """libyaml's block scalar hints: an indentation digit when the text starts with a space or
    a break, `-` without a final break, `+` with more than one. The digit is relative to the parent
    node (spec-correct; yaml.v3 writes 4 even inside lists, which YAML 1.2 parsers reject)."""
    header = "|"
    if value[0] in " \n":
        header += str(hint)
    if not value.endswith("\n"):
        header += "-"
    elif value == "\n" or value.endswith("\n\n"):
        header += "+"
    body = value[:-1] if value.endswith("\n") else value
    pad = " " * indent
    return header, [pad + line if line else "" for line in body.split("\n")]


def _string_text(value: str) -> str:
    if not _can_use_plain(value):
        return double_quoted(value)
    analysis = _analyze(value)
    if analysis.plain:
        return value
    if analysis.single and not any(char in _BREAKS for char in value):
        return single_quoted(value)
    return double_quoted(value)


def _scalar_text(value: Scalar) -> str:
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
    return _string_text(value)


def _key_text(key: str) -> str:
    return double_quoted(key) if "\n" in key else _string_text(key)


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
    elif isinstance(value, str) and _literal_ok(value):
        header, lines = _literal(value, indent, hint)
        out.append(f"{prefix} {header}")
        out.extend(lines)
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
