"""Reading stack files: `stacks/Pulumi.<stack>.yaml`, parsed once, errors naming the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secrets_iac.errors import UserError
from secrets_iac.rules.limits import MAX_SETTINGS_FILE_BYTES
from secrets_iac.yaml_bounds import load_settings

NAMESPACE = "secrets-iac"
"""Pulumi config namespace (the project name in Pulumi.yaml)."""


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def read_stack_config(path: Path) -> dict[str, Any]:
    """The whole `config:` mapping of a stack file (every namespace), parsed once, errors naming the file.

    Bounded (`yaml_bounds.load_settings`): size, UTF-8, nesting, aliasing and plain tags are checked
    before anything is constructed."""
    if not path.is_file():
        raise UserError(f"{path}: no such stack file")
    document = load_settings(path, MAX_SETTINGS_FILE_BYTES) or {}
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise UserError(f"{path}: has no config: mapping")
    return {str(key): value for key, value in config.items()}


def namespace_values(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The `secrets-iac:*` values, keys without the namespace; Pulumi secrets (`secure:`) left out."""
    values: dict[str, Any] = {}
    for key, value in stack_config.items():
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE:
            if isinstance(value, dict) and "secure" in value:
                continue  # a Pulumi secret (opt-in initial values); read through pulumi.Config at run time
            values[name] = value
    return values


def read_stack_values(path: Path) -> dict[str, Any]:
    """The `secrets-iac:*` values of a stack file, keys without the namespace."""
    return namespace_values(read_stack_config(path))
