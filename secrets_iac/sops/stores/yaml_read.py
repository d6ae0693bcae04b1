"""YAML store, reading: a YAML composer gives the nodes, scalars are typed the yaml.v3 way, comments are kept.

libyaml (through PyYAML's C composer, the parser yaml.v3 was ported from; about five times faster)
or, where it is not built, ruamel.yaml's round-trip composer gives the node tree in file order with
styles and positions — nothing is constructed, so no YAML 1.1 typing leaks in. Plain scalars are
typed with `resolve_plain_scalar` (yaml.v3 rules, not YAML 1.1); comments are found in the source
text and attached to the map or list that holds them by column, as yaml.v3 does — the placement
decides a comment's AAD, so it must agree with files the real sops wrote.

Writing is in `yaml_write`.
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

from secrets_iac.rules.limits import MAX_NESTING, excerpt
from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.scalars import (
    Comment,
    Scalar,
    YamlTypingError,
    resolve_plain_scalar,
)
from secrets_iac.sops.tree import Branches, TreeMap, Value
from secrets_iac.yaml_bounds import check_node_graph, decode_text, yaml_error_line


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


def _uses_libyaml(fast: bool) -> bool:
    return fast and bool(pyyaml.__with_libyaml__)


def compose_documents(text: str, *, fast: bool = True) -> list[Node]:
    """Compose every document without constructing values; libyaml when available, else ruamel."""
    if _uses_libyaml(fast):
        return list(pyyaml.compose_all(text, Loader=pyyaml.CSafeLoader))
    return list(ruamel.yaml.YAML(typ="rt").compose_all(text))


# Where lines break, as each composer counts them in its marks: libyaml (as yaml.v3, YAML 1.1) also
# at NEL, LS and PS, ruamel (YAML 1.2) only at LF and CR. Comments are placed by line and column
# against those marks, so their lines are counted the same way (and a comment ends at a break).
_BREAKS_1_1 = "\r\n\x85\u2028\u2029"
_BREAKS_1_2 = "\r\n"


def _line_starts(text: str, breaks: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer(rf"\r\n|[{breaks}]", text))]


def _comments(text: str, breaks: str) -> re.Pattern[str]:
    return re.compile(rf"(?:\A|(?<=[ \t{breaks}]))#[^{breaks}]*")


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
                raise FormatError(f"{self.source}: duplicate key {excerpt(key)} on line {line_no}")
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
            try:
                return base64.b64decode("".join(str(node.value).split()), validate=True)
            except ValueError:
                line_no = node.start_mark.line + 1
                raise FormatError(f"{self.source}: line {line_no}: !!binary value is not base64") from None
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

    def place_comments(self, text: str, breaks: str) -> None:
        self.spans.sort()
        starts = [s for s, _ in self.spans]
        line_starts = _line_starts(text, breaks)
        doc_markers = [
            bisect.bisect_right(line_starts, m.start()) - 1 for m in re.finditer(r"(?m)^---(?=[ \t]|$)", text)
        ]
        anchor_lines = [a.line for a in self.anchors]
        for match in _comments(text, breaks).finditer(text):
            position = match.start()
            index = bisect.bisect_right(starts, position) - 1
            if index >= 0 and self.spans[index][0] <= position < self.spans[index][1]:
                continue
            line = bisect.bisect_right(line_starts, position) - 1
            column = position - line_starts[line]
            if text[line_starts[line] : position].lstrip().startswith("%"):
                continue
            comment = Comment(match.group(0)[1:])
            full_line = text[line_starts[line] : position].strip() in ("", "---", "...")
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
    text = decode_text(data, source, FormatError)
    builder = _Builder(source)
    try:
        nodes = compose_documents(text, fast=fast)
    except (YAMLError, pyyaml.YAMLError) as err:
        raise FormatError(yaml_error_line(err, source)) from None
    except RecursionError:  # ruamel's composer recurses (libyaml stops at 1000 levels itself)
        raise FormatError(f"{source}: maps and lists nested deeper than {MAX_NESTING}") from None
    check_node_graph(nodes, source, FormatError)  # before any alias is expanded
    for number, node in enumerate(nodes):
        builder.document(node, number)
    if not nodes:
        builder.document(None, 0)
    builder.place_comments(text, _BREAKS_1_1 if _uses_libyaml(fast) else _BREAKS_1_2)
    return builder.finish_all()
