"""The stage's stack config, validated up front so a bad value fails before any resource is declared.

`validate_stack_config` is the one entry point `pulumi up` (the program), `plan` and `sync` share: the
`secrets-iac:*` model plus the check that the provider's `aws:region` is the stage's region.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from secrets_iac.config.apps import (
    AppConfig,
    FindConfig,
    KeyMapping,
    PushConfig,
    RotationConfig,
    SecretConfig,
    TlsConfig,
)
from secrets_iac.config.errors import config_key_path, validation_lines
from secrets_iac.config.model import (
    ClusterConfig,
    EsoInstallConfig,
    KmsConfig,
    KmsMode,
    StageConfig,
    StaticKeysRef,
    StoreAuth,
    StoreConfig,
    StoreKind,
    SyncConfig,
)
from secrets_iac.config.reading import (
    NAMESPACE,
    namespace_values,
    read_stack_config,
    read_stack_values,
    stack_file,
)
from secrets_iac.errors import UserError

__all__ = [
    "NAMESPACE",
    "AppConfig",
    "ClusterConfig",
    "EsoInstallConfig",
    "FindConfig",
    "KeyMapping",
    "KmsConfig",
    "KmsMode",
    "PushConfig",
    "RotationConfig",
    "SecretConfig",
    "StageConfig",
    "StaticKeysRef",
    "StoreAuth",
    "StoreConfig",
    "StoreKind",
    "SyncConfig",
    "TlsConfig",
    "config_key_path",
    "load_stage_config",
    "namespace_values",
    "parse_stage_config",
    "read_stack_config",
    "read_stack_values",
    "stack_file",
    "validate_stack_config",
]


def parse_stage_config(values: Mapping[str, Any], *, source: str) -> StageConfig:
    """Validate raw config values (keys without the namespace); the error names `source` and the key path."""
    try:
        return StageConfig.model_validate(dict(values))
    except ValidationError as err:
        raise UserError("\n".join(validation_lines(err, source=source))) from None


def validate_stack_config(stack_config: Mapping[str, Any], *, source: str) -> StageConfig:
    """Validate a stack's config (every namespace); the provider's `aws:region`, when set, must be the
    stage's region, or the program would render one region's policies against another's provider."""
    config = parse_stage_config(namespace_values(stack_config), source=source)
    region = stack_config.get("aws:region")
    if region is not None and region != config.region:
        raise UserError(f"{source}: aws:region {region!r} differs from secrets-iac:region {config.region!r}")
    return config


def load_stage_config(project_dir: Path, stack: str) -> StageConfig:
    """Load and validate `stacks/Pulumi.<stack>.yaml`; errors name that file relative to the project."""
    path = stack_file(project_dir, stack)
    return validate_stack_config(read_stack_config(path), source=f"stacks/{path.name}")
