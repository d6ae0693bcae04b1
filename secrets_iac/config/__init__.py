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
from secrets_iac.config.generated import GeneratedConfig
from secrets_iac.config.model import (
    AdmissionConfig,
    ClusterConfig,
    EsoInstallConfig,
    KmsConfig,
    KmsMode,
    KubernetesConfig,
    ProtectionConfig,
    StageConfig,
    StoreConfig,
    SyncConfig,
)
from secrets_iac.config.providers import check_provider_keys
from secrets_iac.config.reading import (
    NAMESPACE,
    namespace_values,
    read_stack_config,
    read_stack_values,
    stack_file,
)
from secrets_iac.config.stores import (
    NamespaceSelectorConfig,
    RetrySettingsConfig,
    StaticKeysRef,
    StoreAccess,
    StoreAuth,
    StoreConditionConfig,
    StoreDefinition,
    StoreKind,
)
from secrets_iac.errors import UserError

__all__ = [
    "NAMESPACE",
    "AdmissionConfig",
    "AppConfig",
    "ClusterConfig",
    "EsoInstallConfig",
    "FindConfig",
    "GeneratedConfig",
    "KeyMapping",
    "KmsConfig",
    "KmsMode",
    "KubernetesConfig",
    "NamespaceSelectorConfig",
    "ProtectionConfig",
    "PushConfig",
    "RetrySettingsConfig",
    "RotationConfig",
    "SecretConfig",
    "StageConfig",
    "StaticKeysRef",
    "StoreAccess",
    "StoreAuth",
    "StoreConditionConfig",
    "StoreConfig",
    "StoreDefinition",
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
    """Validate a stack's config (every namespace); provider keys must agree with the stage (`aws:region`,
    `aws:allowedAccountIds`) and no other `aws:*` / `kubernetes:*` key is accepted (the stage's providers are
    explicit and would ignore it)."""
    config = parse_stage_config(namespace_values(stack_config), source=source)
    check_provider_keys(stack_config, config, source=source)
    return config


def load_stage_config(project_dir: Path, stack: str) -> StageConfig:
    """Load and validate `stacks/Pulumi.<stack>.yaml`; errors name that file relative to the project."""
    path = stack_file(project_dir, stack)
    return validate_stack_config(read_stack_config(path), source=f"stacks/{path.name}")
