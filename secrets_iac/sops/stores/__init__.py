"""The stores, one module per format (like sops's stores/), and the dispatch between them.

Pick a store by file extension or `--input-type`, and move between bytes and branches + metadata:
`yaml_read`/`yaml_write`, `json_store`, `dotenv`, `ini` and `binary` do the formats; `flatten` is
the metadata flattening dotenv and INI share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secrets_iac.rules.limits import MAX_SOPS_FILE_BYTES, excerpt
from secrets_iac.sops.errors import AlreadyEncryptedError, EmptyFileError, FormatError, MetadataError
from secrets_iac.sops.metadata import Metadata, metadata_from_plain
from secrets_iac.sops.stores.binary import dump_binary_plain, load_binary_plain
from secrets_iac.sops.stores.dotenv import dump_dotenv, load_dotenv_encrypted, load_dotenv_plain
from secrets_iac.sops.stores.ini import dump_ini, load_ini_encrypted, load_ini_plain
from secrets_iac.sops.stores.json_store import dump_json, load_json
from secrets_iac.sops.stores.yaml_read import load_yaml
from secrets_iac.sops.stores.yaml_write import dump_yaml
from secrets_iac.sops.tree import Branches, TreeMap, from_plain, to_plain
from secrets_iac.yaml_bounds import check_size

FORMATS = ("yaml", "json", "dotenv", "ini", "binary")
_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv", ".ini": "ini"}


def format_for(path: Path | str, override: str | None = None) -> str:
    """The store for a file: the explicit type, else by extension like sops (anything else is binary)."""
    if override:
        if override not in FORMATS:
            raise FormatError(f"unknown file type {excerpt(override)} (one of {', '.join(FORMATS)})")
        return override
    return _EXTENSIONS.get(Path(path).suffix.lower(), "binary")


def _json_indent(indent: int | None) -> str:
    if indent is None or indent < 0:
        return "\t"
    return " " * indent


def load_plain(data: bytes, fmt: str, source: str) -> Branches:
    """A plaintext file as branches; refuses a file that already holds sops metadata (exit 203)."""
    check_size(data, source, MAX_SOPS_FILE_BYTES, FormatError)
    if fmt == "binary":
        return load_binary_plain(data)
    if not data.strip():
        raise EmptyFileError(f"{source}: the file is empty; it must contain at least one document")
    if fmt == "dotenv":
        return load_dotenv_plain(data, source)
    branches = {"yaml": load_yaml, "json": load_json, "ini": load_ini_plain}[fmt](data, source)
    if any(branch.has("sops") for branch in branches):
        raise AlreadyEncryptedError(f"{source}: File already encrypted (it has a top-level sops key)")
    return branches


def load_encrypted(data: bytes, fmt: str, source: str) -> tuple[Branches, Metadata]:
    """An encrypted file as branches (without `sops`) and its parsed metadata."""
    check_size(data, source, MAX_SOPS_FILE_BYTES, FormatError)
    if not data.strip():
        raise EmptyFileError(f"{source}: the file is empty")
    raw: Any
    if fmt == "dotenv":
        branches, raw = load_dotenv_encrypted(data, source)
    elif fmt == "ini":
        branches, raw = load_ini_encrypted(data, source)
    else:
        branches = load_yaml(data, source) if fmt == "yaml" else load_json(data, source)
        raw = to_plain(branches[0].get("sops")) if branches and branches[0].has("sops") else None
        branches = [branch.without("sops") for branch in branches]
    if raw is None:
        raise MetadataError(f"{source}: sops metadata not found (the file is not encrypted with sops)")
    try:
        metadata = metadata_from_plain(raw)
    except MetadataError as err:
        raise MetadataError(f"{source}: {err}") from None
    return branches, metadata


def dump_plain(branches: Branches, fmt: str, source: str, *, json_indent: int | None = None) -> bytes:
    if fmt == "binary":
        return dump_binary_plain(branches, source)
    if fmt == "yaml":
        return dump_yaml(branches)
    if fmt == "json":
        return dump_json(branches, _json_indent(json_indent))
    if fmt == "dotenv":
        return dump_dotenv(branches)
    return dump_ini(branches)


def dump_encrypted(
    branches: Branches, metadata: Metadata, fmt: str, *, json_indent: int | None = None
) -> bytes:
    """The encrypted file: `sops` is the last top-level key of every YAML document."""
    plain = metadata.to_plain()
    if fmt == "dotenv":
        return dump_dotenv(branches, plain)
    if fmt == "ini":
        return dump_ini(branches, plain)
    block = from_plain(plain)
    with_meta = [TreeMap([*branch.items, ("sops", block)]) for branch in branches]
    if fmt == "yaml":
        return dump_yaml(with_meta)
    return dump_json(with_meta, _json_indent(json_indent))
