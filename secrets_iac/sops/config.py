"""`.sops.yaml` creation rules: where the config is, and which rule applies to a file (spec §8)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secrets_iac.rules.limits import MAX_SETTINGS_FILE_BYTES
from secrets_iac.sops.errors import ConfigError, NoEncryptionKeyError
from secrets_iac.sops.rules import RULE_KEYS, EncryptionRule
from secrets_iac.yaml_bounds import load_settings

CONFIG_NAME = ".sops.yaml"
MAX_PARENT_LEVELS = 100
_KEY_FIELDS = ("age", "pgp", "kms", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms")


@dataclass(frozen=True, slots=True)
class CreationRule:
    """What one creation rule says: recipients per key group and how to encrypt."""

    key_groups: tuple[tuple[str, ...], ...]
    rule: EncryptionRule = field(default_factory=EncryptionRule)
    shamir_threshold: int = 0
    mac_only_encrypted: bool = False
    path_regex: str | None = None
    rule_set: bool = False
    json_indent: int | None = None
    yaml_indent: int | None = None


def find_config(start: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """`$SOPS_CONFIG`, else `.sops.yaml` in the working directory or one of its parents (not the file's)."""
    environ = os.environ if env is None else env
    if environ.get("SOPS_CONFIG"):
        path = Path(environ["SOPS_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"config file {path} (from SOPS_CONFIG) not found")
        return path
    directory = (start or Path.cwd()).resolve()
    for _ in range(MAX_PARENT_LEVELS):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if directory.parent == directory:
            break
        directory = directory.parent
    raise ConfigError(f"config file not found: no {CONFIG_NAME} in {start or Path.cwd()} or its parents")


def _key_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = [str(v) for v in value]
    else:
        raise ConfigError(f"{where}: keys must be a comma-separated string or a list")
    return [item.strip() for item in items if item.strip()]


def _group_recipients(group: Mapping[str, Any], where: str) -> tuple[str, ...]:
    unsupported = [k for k in group if k in _KEY_FIELDS and k != "age" and group[k]]
    if unsupported or group.get("hc_vault") or group.get("merge"):
        names = ", ".join(unsupported or ["hc_vault/merge"])
        raise ConfigError(f"{where}: key types {names} are not supported (age only)")
    recipients: list[str] = []
    for recipient in _key_list(group.get("age"), where):
        if recipient not in recipients:
            recipients.append(recipient)
    return tuple(recipients)


def _parse_rule(raw: Mapping[str, Any], index: int, source: str) -> CreationRule:
    where = f"{source}: creation_rules[{index}]"
    try:
        rule = EncryptionRule.from_mapping(dict(raw), default=False)
    except (ValueError, re.error) as err:
        raise ConfigError(f"{where}: {err}") from None
    if raw.get("key_groups"):
        groups_raw = raw["key_groups"]
        if not isinstance(groups_raw, list) or not all(isinstance(g, Mapping) for g in groups_raw):
            raise ConfigError(f"{where}: key_groups must be a list of mappings")
        groups = tuple(_group_recipients(g, f"{where}.key_groups[{i}]") for i, g in enumerate(groups_raw))
    else:
        groups = (_group_recipients(raw, where),)
    threshold = raw.get("shamir_threshold") or 0
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise ConfigError(f"{where}: shamir_threshold must be a non-negative integer")
    path_regex = raw.get("path_regex")
    if path_regex is not None:
        try:
            re.compile(str(path_regex))
        except re.error as err:
            raise ConfigError(f"{where}: invalid path_regex: {err}") from None
    return CreationRule(
        key_groups=groups,
        rule=rule,
        shamir_threshold=threshold,
        mac_only_encrypted=bool(raw.get("mac_only_encrypted", False)),
        path_regex=None if path_regex is None else str(path_regex),
        rule_set=rule.kind is not None,
    )


def load_config(path: Path) -> tuple[list[CreationRule], dict[str, Any]]:
    """The creation rules and the `stores` settings of a `.sops.yaml`."""
    raw = load_settings(path, MAX_SETTINGS_FILE_BYTES, ConfigError)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: must be a mapping")
    rules_raw = raw.get("creation_rules") or []
    if not isinstance(rules_raw, list) or not all(isinstance(r, Mapping) for r in rules_raw):
        raise ConfigError(f"{path}: creation_rules must be a list of mappings")
    stores = raw.get("stores") or {}
    if not isinstance(stores, Mapping) or not all(isinstance(v, Mapping | None) for v in stores.values()):
        raise ConfigError(f"{path}: stores must be a mapping of store settings (stores.yaml.indent, …)")
    return [_parse_rule(r, i, str(path)) for i, r in enumerate(rules_raw)], dict(stores)


def relative_for_matching(file_path: Path, config_path: Path) -> str:
    """The file path as rules see it: relative to the config's directory, or absolute outside it."""
    absolute = str(file_path.resolve() if file_path.exists() else Path(os.path.abspath(file_path)))
    prefix = str(config_path.resolve().parent) + os.sep
    return absolute[len(prefix) :] if absolute.startswith(prefix) else absolute


def rule_for_file(file_path: Path, config_path: Path) -> CreationRule:
    """The first rule whose `path_regex` matches (unanchored search); a rule without one matches all."""
    rules, stores = load_config(config_path)
    target = relative_for_matching(file_path, config_path)
    for rule in rules:
        if rule.path_regex is None or re.search(rule.path_regex, target):
            if not any(rule.key_groups):
                raise NoEncryptionKeyError(f"{config_path}: the rule for {target} names no age recipient")
            json_indent = (stores.get("json") or {}).get("indent")
            yaml_indent = (stores.get("yaml") or {}).get("indent")
            return CreationRule(
                key_groups=rule.key_groups,
                rule=rule.rule,
                shamir_threshold=rule.shamir_threshold,
                mac_only_encrypted=rule.mac_only_encrypted,
                path_regex=rule.path_regex,
                rule_set=rule.rule_set,
                json_indent=json_indent if isinstance(json_indent, int) else None,
                yaml_indent=yaml_indent if isinstance(yaml_indent, int) else None,
            )
    raise ConfigError(f"{config_path}: no matching creation rules found for {target}")


__all__ = ["RULE_KEYS", "CreationRule", "find_config", "load_config", "rule_for_file"]
