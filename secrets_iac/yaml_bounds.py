"""Reading untrusted YAML within bounds: size, encoding, nesting and aliasing, checked before use.

A YAML composer (libyaml's, ruamel's) gives a node graph in which an alias is a second reference to
the anchored node: composing is linear in the input, expanding is not. `check_node_graph` measures
the graph once (each shared node once) and refuses, before anything is constructed, decrypted or
walked, a document whose aliases would expand it too far ("excessive aliasing", as the real sops
says), one that is recursive, or one nested deeper than `MAX_NESTING`. Stack files
(`config.reading`), `.sops.yaml` (`sops.config`) and SOPS YAML files (`sops.stores.yaml_read`) use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import yaml

from secrets_iac.errors import UserError
from secrets_iac.rules.limits import MAX_NESTING, clip, excerpt, excessive_aliasing

Node = Any
"""A composed node, PyYAML's or ruamel's (same shape: `.id`, `.value`, `.start_mark`)."""


def read_bounded(path: Path, limit: int, error: type[UserError] = UserError) -> bytes:
    """The file's bytes, refused past `limit` (read at most `limit + 1` bytes, so /dev/zero ends too)."""
    chunks: list[bytes] = []
    size = 0
    try:
        with path.open("rb") as handle:
            while size <= limit and (chunk := handle.read(min(1 << 16, limit + 1 - size))):
                chunks.append(chunk)
                size += len(chunk)
    except OSError as err:
        raise error(f"cannot read {path}: {err.strerror or err}") from None
    data = b"".join(chunks)
    check_size(data, str(path), limit, error)
    return data


def check_size(data: bytes, source: str, limit: int, error: type[UserError] = UserError) -> None:
    if len(data) > limit:
        raise error(f"{source}: larger than {limit // (1 << 20)} MiB; refused")


def decode_text(data: bytes, source: str, error: type[UserError] = UserError) -> str:
    """UTF-8 text without a byte-order mark; anything else is refused naming the file and the offset."""
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as err:
        raise error(f"{source}: not UTF-8 text (byte {err.start})") from None


def yaml_error_line(err: Exception, source: str) -> str:
    """A PyYAML/ruamel parse error as one line: `<file>: line L, column C: not valid YAML: <problem>`."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    context, problem = getattr(err, "context", None), getattr(err, "problem", None)
    if context and problem:
        problem = f"{context}, {problem}"
    problem = problem or context
    if problem is None:
        lines = str(err).strip().splitlines()
        problem = lines[0] if lines else type(err).__name__
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{source}: {where}not valid YAML: {clip(str(problem), 120)}"


def _children(node: Node) -> list[Node]:
    if node.id == "mapping":
        return [part for pair in node.value for part in pair]
    if node.id == "sequence":
        return list(node.value)
    return []


def _line(node: Node) -> str:
    mark = getattr(node, "start_mark", None)
    return f"line {mark.line + 1}: " if mark is not None else ""


def check_node_graph(roots: Iterable[Node | None], source: str, error: type[UserError] = UserError) -> None:
    """Refuse recursive aliases, nesting deeper than `MAX_NESTING` and excessive aliasing.

    One post-order walk over the distinct maps and lists: the expanded size and depth of a shared one
    are computed once, so a billion-node alias bomb is measured in microseconds. Scalars are counted,
    not visited (an aliased scalar adds one node; counting it as literal too errs by that one node).
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    literal = expanded = 0
    for root in roots:
        if root is None:
            continue
        if root.id == "scalar":
            literal, expanded = literal + 1, expanded + 1
            continue
        on_path: set[int] = set()
        pending: dict[int, tuple[list[Node], int]] = {}
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            key = id(node)
            if children_done:
                containers, scalars = pending.pop(key)
                sizes[key] = 1 + scalars + sum(sizes[id(k)] for k in containers)
                depth = 1 + max((depths[id(k)] for k in containers), default=0)
                if depth > MAX_NESTING:
                    raise error(f"{source}: {_line(node)}maps and lists nested deeper than {MAX_NESTING}")
                depths[key] = depth
                on_path.discard(key)
                continue
            if key in sizes:
                continue
            if key in on_path:
                raise error(f"{source}: {_line(node)}recursive YAML alias")
            on_path.add(key)
            containers = [kid for kid in _children(node) if kid.id != "scalar"]
            scalars = (2 * len(node.value) if node.id == "mapping" else len(node.value)) - len(containers)
            pending[key] = (containers, scalars)
            literal += 1 + scalars
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(containers))
        expanded += sizes[id(root)]
    if excessive_aliasing(literal, expanded):
        raise error(
            f"{source}: excessive aliasing: YAML aliases would expand {literal} nodes to {expanded}; refused"
        )


def distinct_nodes(roots: Sequence[Node | None]) -> Iterable[Node]:
    """Every node once (aliases not followed again), for checks on a graph `check_node_graph` passed."""
    seen: set[int] = set()
    stack = [r for r in roots if r is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(_children(node))


# --- settings files: stack files and .sops.yaml -----------------------------------------------------------

_YAML = "tag:yaml.org,2002:"
_TIMESTAMP = _YAML + "timestamp"
_PLAIN_TYPES = {_YAML + "int": {"int"}, _YAML + "float": {"int", "float"}, _YAML + "bool": {"bool"}}
_PLAIN_TYPES[_YAML + "null"] = {"null"}
_ALLOWED_TAGS = {_YAML + t for t in ("str", "map", "seq", "merge")} | set(_PLAIN_TYPES)

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SettingsLoader(_BaseLoader):  # type: ignore[misc]
    """The safe loader without YAML 1.1 timestamps: a date stays the text it is, as Pulumi reads config."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _check_settings_node(loader: Any, node: Node, source: str, error: type[UserError]) -> None:
    tag = str(node.tag)
    if tag not in _ALLOWED_TAGS:
        raise error(f"{source}: {_line(node)}the tag {clip(tag)} is not allowed here (plain values only)")
    if tag in _PLAIN_TYPES:
        plain = ""
        if node.id == "scalar":
            plain = str(loader.resolve(yaml.ScalarNode, node.value, (True, False))).removeprefix(_YAML)
        if plain not in _PLAIN_TYPES[tag]:
            raise error(f"{source}: {_line(node)}{excerpt(node.value)} is not a {tag.removeprefix(_YAML)}")
    if node.id == "mapping":
        keys: set[str] = set()
        for key_node, _ in node.value:
            if key_node.id == "scalar" and key_node.tag != _YAML + "merge":
                if key_node.value in keys:
                    raise error(f"{source}: {_line(key_node)}duplicate key {excerpt(key_node.value)}")
                keys.add(key_node.value)


def load_settings(path: Path, limit: int, error: type[UserError] = UserError) -> Any:
    """One YAML document of settings, bounded: size, UTF-8, nesting, aliasing, plain tags only (no
    `!!binary`, `!!set`, timestamps or custom tags), no duplicate keys; any problem is one line
    naming the file."""
    source = str(path)
    text = decode_text(read_bounded(path, limit, error), source, error)
    loader = _SettingsLoader(text)
    try:
        node = loader.get_single_node()
        check_node_graph([node], source, error)
        for each in distinct_nodes([node]):
            _check_settings_node(loader, each, source, error)
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as err:
        raise error(yaml_error_line(err, source)) from None
    except RecursionError:
        raise error(f"{source}: maps and lists nested deeper than {MAX_NESTING}") from None
    except (ValueError, TypeError, OverflowError) as err:
        raise error(f"{source}: a value cannot be read: {clip(str(err))}") from None
    finally:
        loader.dispose()
