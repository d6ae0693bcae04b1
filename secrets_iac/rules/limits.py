"""Bounds on what the tool reads, and how much of a bad value an error message may quote.

Stack files and SOPS files come from a repository anyone with a pull request can change, so every
reader refuses, before any expansion or decryption, what would cost more than the file is worth:
too many bytes, too deep, or too much YAML aliasing (a few hundred bytes of anchors can expand to
billions of nodes; the real sops refuses that as "excessive aliasing").
"""

from __future__ import annotations

import re
from typing import Final

MAX_SETTINGS_FILE_BYTES: Final = 1 << 20
"""A settings file (`stacks/Pulumi.<stage>.yaml`, `.sops.yaml`) above 1 MiB is refused."""
MAX_SOPS_FILE_BYTES: Final = 16 << 20
"""A SOPS file (encrypted or the plaintext to encrypt) above 16 MiB is refused; a Secrets Manager
value is at most 64 KiB, so that is room for hundreds of secrets."""
MAX_NESTING: Final = 100
"""Maps and lists nested deeper than this are refused (real files nest fewer than 10 levels)."""
MAX_ALIAS_EXPANSION_FLOOR: Final = 10_000
"""YAML aliases may add at most this many nodes, or as many as the document itself has when that
is more: anchors that share a block of settings pass, an alias bomb does not."""

ERROR_VALUE_CHARS: Final = 60
"""An error quotes at most this many characters of a bad value."""
_LONG_RUN = re.compile(r"\S{200,}")


def excerpt(value: object, limit: int = ERROR_VALUE_CHARS) -> str:
    """`repr(value)` for an error message, cut to `limit` characters of a long string with its length."""
    if isinstance(value, str | bytes) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}… ({len(text)} characters)"


def clip(text: str, limit: int = ERROR_VALUE_CHARS) -> str:
    """`text` unquoted, cut to `limit` characters with its length when longer."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def shorten_runs(message: str, limit: int = ERROR_VALUE_CHARS) -> str:
    """Any run of 200+ non-blank characters cut to `limit` and its length: the last guard before a
    message is printed, so no error repeats megabytes of input whatever built it."""
    return _LONG_RUN.sub(lambda m: f"{m.group(0)[:limit]}… ({len(m.group(0))} characters)", message)


def excessive_aliasing(literal_nodes: int, expanded_nodes: int) -> bool:
    """Whether aliases add more nodes than allowed (see `MAX_ALIAS_EXPANSION_FLOOR`)."""
    return expanded_nodes - literal_nodes > max(MAX_ALIAS_EXPANSION_FLOOR, literal_nodes)
