"""YAML store: a YAML composer gives the nodes, scalars are typed the yaml.v3 way, comments are kept.

Reading: libyaml (through PyYAML's C composer, the parser yaml.v3 was ported from; about five times
faster) or, where it is not built, ruamel.yaml's round-trip composer gives the node tree in file
order with styles and positions — nothing is constructed, so no YAML 1.1 typing leaks in. Plain
scalars are typed with
`resolve_plain_scalar` (yaml.v3 rules, not YAML 1.1); comments are found in the source text and
attached to the map or list that holds them by column, as yaml.v3 does — the placement decides
a comment's AAD, so it must agree with files the real sops wrote.

Writing: our own emitter in sops's style (indent 4, sequences indented under their key, comments
as full lines, multi-line strings as `|` blocks), so the output is stable and readable by sops.
"""

from __future__ import annotations

import base64
import bisect
import re
from dataclasses import dataclass, field
from typing import Any

import ruamel.yaml
import yaml as pyyaml
from ruamel.yaml.error import YAMLError

from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.scalars import (
    Comment,
    Scalar,
    Timestamp,
    YamlTypingError,
    resolve_plain_scalar,
    yaml_float_text,
)
from secrets_iac.sops.tree import Branches, MapItem, TreeMap, Value

INDENT = 4


# --- reading ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Container:
    """A map or list being built, with what comment placement needs to know about it."""

    column: int
    depth: int
    parent: _Container | None
    doc: int
    values: list[Any] = field(default_factory=list)  # MapItem for maps, Value for lists
    lines: list[int] = field(default_factory=list)  # source line of each item
    comments: list[tuple[int, int, Comment]] = field(default_factory=list)  # (line, before-index, c)
    is_map: bool = True
    flow: bool = False
    result: TreeMap | list[Value] | None = None

    def chain(self) -> list[_Container]:
        found: list[_Container] = []
        node: _Container | None = self
        while node is not None:
            found.append(node)
            node = node.parent
        return found


# Composer nodes (PyYAML's or ruamel's: same shape): `.id` is "scalar", "sequence" or "mapping".
Node = Any


def _is_plain(node: Node) -> bool:
    """Plain (unquoted, non-block) style: None in ruamel and pure PyYAML, "" in PyYAML's C composer."""
    return node.style in (None, "")


def compose_documents(text: str, *, fast: bool = True) -> list[Node]:
    """Compose every document without constructing values; libyaml when available, else ruamel."""
    if fast and pyyaml.__with_libyaml__:
        return list(pyyaml.compose_all(text, Loader=pyyaml.CSafeLoader))
    return list(ruamel.yaml.YAML(typ="rt").compose_all(text))


@dataclass(frozen=True, slots=True)
class _Anchor:
    line: int
    column: int
    container: _Container


class _Builder:
    """Turns composed documents into branches, then places the comments."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.anchors: list[_Anchor] = []
        self.roots: list[_Container] = []
        self.spans: list[tuple[int, int]] = []
        self._active: set[int] = set()
        self._seen: set[int] = set()
        self._pending: list[_Container] = []

    def document(self, node: Node | None, doc: int) -> None:
        root = _Container(column=0, depth=0, parent=None, doc=doc)
        self.roots.append(root)
        if node is None or (node.id == "scalar" and node.value == "" and _is_plain(node)):
            return
        if node.id != "mapping":
            raise FormatError(f"{self.source}: a YAML document must be a mapping at the top level")
        root.column = node.start_mark.column if not node.value else node.value[0][0].start_mark.column
        self._fill_map(node, root, record=True)

    def _fill_map(self, node: Node, box: _Container, *, record: bool) -> None:
        seen_keys: set[str] = set()
        for key_node, value_node in node.value:
            if record:
                self._span(key_node)
            key = self._key(key_node)
            if key in seen_keys:
                line_no = key_node.start_mark.line + 1
                raise FormatError(f"{self.source}: duplicate key {key!r} on line {line_no}")
            seen_keys.add(key)
            line = key_node.start_mark.line
            if record:
                self.anchors.append(_Anchor(line, key_node.start_mark.column, box))
            box.values.append((key, self._value(value_node, box, record=record)))
            box.lines.append(line)

    def _fill_list(self, node: Node, box: _Container, *, record: bool) -> None:
        for item in node.value:
            line = item.start_mark.line
            if record:
                self.anchors.append(_Anchor(line, item.start_mark.column, box))
            box.values.append(self._value(item, box, record=record))
            box.lines.append(line)

    def _key(self, node: Node) -> str:
        if node.id != "scalar":
            line_no = node.start_mark.line + 1
            raise FormatError(f"{self.source}: line {line_no}: complex mapping keys are not supported")
        value = self._scalar(node)
        if not isinstance(value, str):
            raise FormatError(f"{self.source}: line {node.start_mark.line + 1}: non-string key")
        return value

    def _span(self, node: Node) -> None:
        self.spans.append((node.start_mark.index, node.end_mark.index))

    def _scalar(self, node: Node) -> Scalar:
        if not _is_plain(node):
            return str(node.value)
        tag = str(node.tag)
        if tag == "tag:yaml.org,2002:binary":
            return base64.b64decode("".join(str(node.value).split()))
        try:
            return resolve_plain_scalar(str(node.value))
        except YamlTypingError as err:
            raise FormatError(f"{self.source}: line {node.start_mark.line + 1}: {err}") from None

    def _value(self, node: Node, parent: _Container, *, record: bool) -> Value:
        alias = id(node) in self._seen
        self._seen.add(id(node))
        if id(node) in self._active:
            raise FormatError(f"{self.source}: recursive YAML alias")
        record = record and not alias
        if node.id == "scalar":
            if record:
                self._span(node)
            return self._scalar(node)
        self._active.add(id(node))
        try:
            column = node.start_mark.column
            if node.id == "mapping" and node.value:
                column = node.value[0][0].start_mark.column
            box = _Container(column=column, depth=parent.depth + 1, parent=parent, doc=parent.doc)
            box.is_map = node.id == "mapping"
            box.flow = bool(getattr(node, "flow_style", False))
            if node.id == "mapping":
                self._fill_map(node, box, record=record)
                box.result = TreeMap()
            elif node.id == "sequence":
                self._fill_list(node, box, record=record)
                box.result = []
            else:
                raise FormatError(f"{self.source}: unsupported YAML node")
            if record:
                self._pending.append(box)
            else:
                self._finish(box)
            return box.result
        finally:
            self._active.discard(id(node))

    # --- comments ---

    def place_comments(self, text: str) -> None:
        self.spans.sort()
        starts = [s for s, _ in self.spans]
        line_starts = [0]
        for match in re.finditer("\n", text):
            line_starts.append(match.end())
        doc_markers = [
            bisect.bisect_right(line_starts, m.start()) - 1
            for m in re.finditer(r"(?m)^---(?=[ \t]|$)", text)
        ]
        anchor_lines = [a.line for a in self.anchors]
        for match in re.finditer(r"(?:^|(?<=[ \t]))#[^\n]*", text, flags=re.MULTILINE):
            position = match.start()
            index = bisect.bisect_right(starts, position) - 1
            if index >= 0 and self.spans[index][0] <= position < self.spans[index][1]:
                continue
            line = bisect.bisect_right(line_starts, position) - 1
            column = position - line_starts[line]
            if text[line_starts[line]:position].lstrip().startswith("%"):
                continue
            comment = Comment(match.group(0)[1:].rstrip("\r"))
            full_line = text[line_starts[line]:position].strip() in ("", "---", "...")
            self._attach(comment, line, column, full_line, anchor_lines, doc_markers)

    def _attach(
        self,
        comment: Comment,
        line: int,
        column: int,
        full_line: bool,
        anchor_lines: list[int],
        markers: list[int],
    ) -> None:
        if not full_line:
            lo = bisect.bisect_left(anchor_lines, line)
            hi = bisect.bisect_right(anchor_lines, line)
            block = [a for a in self.anchors[lo:hi] if not a.container.flow]
            if block:
                box = block[-1].container
                before = _index_of_line(box, line)
                box.comments.append((line, before, comment))
                return
        after = bisect.bisect_right(anchor_lines, line)
        prev = self.anchors[after - 1] if after > 0 else None
        nxt = self.anchors[after] if after < len(self.anchors) else None
        if prev is not None and nxt is not None and prev.container.doc != nxt.container.doc:
            if any(prev.line < marker <= line for marker in markers):
                prev = None
            else:
                nxt = None
        candidates: list[_Container] = []
        for anchor in (nxt, prev):
            if anchor is not None:
                candidates.extend(c for c in anchor.container.chain() if c not in candidates)
        candidates = [c for c in candidates if not c.flow]
        fitting = [c for c in candidates if c.column <= column]
        if fitting:
            box = max(fitting, key=lambda c: c.depth)
        elif candidates:
            box = min(candidates, key=lambda c: c.depth)
        else:
            empty = [r for r in self.roots if not r.values]
            box = (empty or self.roots)[0]
        box.comments.append((line, _index_after_line(box, line), comment))

    def finish_all(self) -> Branches:
        for box in reversed(self._pending):
            self._finish(box)
        branches: Branches = []
        for root in self.roots:
            root.result = TreeMap()
            self._finish(root)
            assert isinstance(root.result, TreeMap)
            branches.append(root.result)
        return branches

    def _finish(self, box: _Container) -> None:
        merged: list[Any] = []
        comments = sorted(box.comments, key=lambda c: (c[1], c[0]))
        position = 0
        for index, value in enumerate(box.values):
            while position < len(comments) and comments[position][1] <= index:
                merged.append(comments[position][2])
                position += 1
            merged.append(value)
        merged.extend(c[2] for c in comments[position:])
        if isinstance(box.result, TreeMap):
            box.result.items[:] = merged
        elif box.result is not None:
            box.result[:] = merged


def _index_of_line(box: _Container, line: int) -> int:
    """Index of the last item starting on `line` (an inline comment goes before it)."""
    index = bisect.bisect_right(box.lines, line) - 1
    return max(index, 0)


def _index_after_line(box: _Container, line: int) -> int:
    return bisect.bisect_right(box.lines, line)


def load_yaml(data: bytes, source: str, *, fast: bool = True) -> Branches:
    """Parse YAML (every document) into branches, with comments placed as yaml.v3 places them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{source}: not UTF-8 text") from None
    text = text.lstrip("\ufeff")
    builder = _Builder(source)
    try:
        nodes = compose_documents(text, fast=fast)
    except (YAMLError, pyyaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise FormatError(f"{source}: invalid YAML: {first}") from None
    for number, node in enumerate(nodes):
        builder.document(node, number)
    if not nodes:
        builder.document(None, 0)
    builder.place_comments(text)
    return builder.finish_all()


# --- writing ---------------------------------------------------------------------------------------

_OLD_BOOLS = {
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
}
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_BLANKZ = " \t\n\r\x85\u2028\u2029"
_BREAKS = "\n\r\x85\u2028\u2029"


def _printable(char: str) -> bool:
    """libyaml's IS_PRINTABLE (tab is not printable: yaml.v3 double-quotes strings with tabs)."""
    code = ord(char)
    return (
        code == 0x0A or 0x20 <= code <= 0x7E or code == 0x85 or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF) or 0x10000 <= code <= 0x10FFFF
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
    "\\": "\\\\", '"': '\\"', "\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n",
    "\v": "\\v", "\f": "\\f", "\r": "\\r", "\x1b": "\\e", "\x85": "\\N", "\xa0": "\\_",
    "\u2028": "\\L", "\u2029": "\\P",
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


def _emit_map(tree: TreeMap, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in tree.items:
        if isinstance(item, Comment):
            out.append(f"{pad}#{item.text}")
            continue
        key, value = item
        _emit_value_after(f"{pad}{_key_text(key)}:", value, indent + INDENT, out)


def _emit_list(items: list[Value], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for value in items:
        if isinstance(value, Comment):
            out.append(f"{pad}#{value.text}")
            continue
        if isinstance(value, TreeMap | list) and (value.items if isinstance(value, TreeMap) else value):
            nested: list[str] = []
            if isinstance(value, TreeMap):
                _emit_map(value, indent + 2, nested)
            else:
                _emit_list(value, indent + 2, nested)
            first = nested[0]
            out.append(f"{pad}- {first[indent + 2:]}")
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


def to_plain(value: Value) -> Any:
    """A tree value as plain Python data (comments dropped): for metadata and the library API."""
    if isinstance(value, TreeMap):
        return {k: to_plain(v) for k, v in value.pairs()}
    if isinstance(value, list):
        return [to_plain(v) for v in value if not isinstance(v, Comment)]
    if isinstance(value, Timestamp):
        return value.text
    return value


def from_plain(value: Any) -> Value:
    """Plain Python data (dict/list/scalars) as a tree value."""
    if isinstance(value, dict):
        items: list[MapItem] = [(str(k), from_plain(v)) for k, v in value.items()]
        return TreeMap(items)
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if value is None or isinstance(value, str | bytes | bool | int | float | Timestamp | Comment):
        return value
    raise TypeError(f"cannot store {type(value).__name__}")
