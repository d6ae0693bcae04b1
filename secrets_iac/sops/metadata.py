"""The `sops` metadata block: key groups, MAC, lastmodified, rule, version (spec §5).

Parsed from and rendered to plain Python data (dict/list/str/int/bool); each store turns that into
its own syntax. Key types this tool cannot use (pgp, kms, …) are kept verbatim so a rewrite with
the same data key does not drop them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secrets_iac.rules.limits import excerpt
from secrets_iac.sops.errors import MetadataError
from secrets_iac.sops.rules import RULE_KEYS, EncryptionRule
from secrets_iac.sops.scalars import normalize_lastmodified

SOPS_VERSION = "3.11.0"
# Key-list names sops knows, in the order sops 3.11 writes them.
OTHER_KEY_TYPES = ("kms", "gcp_kms", "hckms", "azure_kv", "hc_vault")
ALL_KEY_TYPES = (*OTHER_KEY_TYPES, "age", "pgp")
_SEMVER = re.compile(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


@dataclass(frozen=True, slots=True)
class AgeKeyEntry:
    """One age recipient and the armored age file wrapping the data key (or its share) for it."""

    recipient: str
    enc: str


@dataclass(slots=True)
class KeyGroup:
    """One key group: age entries plus entries of other key types kept as they were read."""

    age: list[AgeKeyEntry] = field(default_factory=list)
    others: dict[str, list[Any]] = field(default_factory=dict)

    def has_foreign_keys(self) -> bool:
        return any(self.others.get(kind) for kind in self.others)

    def to_plain(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kind in OTHER_KEY_TYPES:
            if self.others.get(kind):
                out[kind] = self.others[kind]
        if self.age:
            out["age"] = [{"recipient": e.recipient, "enc": e.enc} for e in self.age]
        if self.others.get("pgp"):
            out["pgp"] = self.others["pgp"]
        for kind, entries in self.others.items():
            if kind not in out and entries:
                out[kind] = entries
        return out


def now_lastmodified() -> str:
    """`time.Now().UTC()` as sops writes it: seconds precision, `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Metadata:
    """Everything under the `sops` key."""

    key_groups: list[KeyGroup]
    lastmodified: str = ""
    mac: str = ""
    rule: EncryptionRule = field(default_factory=EncryptionRule)
    shamir_threshold: int = 0
    mac_only_encrypted: bool = False
    version: str = SOPS_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mac_aad(self) -> str:
        """The MAC's AAD: lastmodified as Go's RFC3339 round trip gives it."""
        try:
            return normalize_lastmodified(self.lastmodified)
        except ValueError:
            raise MetadataError(f"lastmodified {excerpt(self.lastmodified)} is not an RFC3339 time") from None

    @property
    def threshold(self) -> int:
        """Shares needed: shamir_threshold, or every group when it is 0."""
        return self.shamir_threshold or len(self.key_groups)

    def to_plain(self) -> dict[str, Any]:
        """The `sops` block in sops 3.11's field order."""
        out: dict[str, Any] = {}
        if len(self.key_groups) > 1:
            if self.shamir_threshold:
                out["shamir_threshold"] = self.shamir_threshold
            out["key_groups"] = [group.to_plain() for group in self.key_groups]
        group = self.key_groups[0].to_plain() if len(self.key_groups) == 1 else {}
        for kind in (*OTHER_KEY_TYPES, "age"):
            if kind in group:
                out[kind] = group[kind]
        out["lastmodified"] = self.lastmodified
        out["mac"] = self.mac
        if "pgp" in group:
            out["pgp"] = group["pgp"]
        for kind, entries in group.items():
            if kind not in out:
                out[kind] = entries
        out.update(self.rule.as_metadata())
        if self.mac_only_encrypted:
            out["mac_only_encrypted"] = True
        for key, value in self.extra.items():
            out.setdefault(key, value)
        out["version"] = self.version
        return out


def _as_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MetadataError(f"sops metadata: {what} must be a list")
    return value


def _group_from_plain(raw: Mapping[str, Any], where: str) -> KeyGroup:
    group = KeyGroup()
    for entry in _as_list(raw.get("age"), f"{where}.age"):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("recipient"), str):
            raise MetadataError(f"sops metadata: {where}.age entries need recipient and enc")
        enc = entry.get("enc")
        group.age.append(AgeKeyEntry(entry["recipient"], enc if isinstance(enc, str) else ""))
    for kind, value in raw.items():
        if kind != "age" and isinstance(value, list) and value:
            group.others[kind] = value
    return group


def _weak_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "t", "yes")
    return bool(value)


def _weak_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise MetadataError(f"sops metadata: {what} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise MetadataError(f"sops metadata: {what} must be an integer")


_KNOWN = {
    "key_groups",
    "shamir_threshold",
    "lastmodified",
    "mac",
    "mac_only_encrypted",
    "version",
    *ALL_KEY_TYPES,
    *RULE_KEYS,
}


def metadata_from_plain(raw: Any) -> Metadata:
    """Parse the `sops` block as sops's ToInternal does, with its checks."""
    if not isinstance(raw, Mapping):
        raise MetadataError("sops metadata is not a mapping")
    top = _group_from_plain({k: v for k, v in raw.items() if k in ALL_KEY_TYPES}, "sops")
    if top.age or top.has_foreign_keys():
        groups = [top]
    else:
        groups = [
            _group_from_plain(g, f"sops.key_groups[{i}]")
            for i, g in enumerate(_as_list(raw.get("key_groups"), "key_groups"))
            if isinstance(g, Mapping)
        ]
        groups = [g for g in groups if g.age or g.has_foreign_keys()]
    if not groups:
        raise MetadataError("No keys found in file")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise MetadataError("sops metadata: Version string empty")
    if not (_SEMVER.fullmatch(version) or version.startswith("1.")):
        raise MetadataError(f"sops metadata: version {excerpt(version)} is not semver")
    lastmodified = raw.get("lastmodified")
    if not isinstance(lastmodified, str):
        lastmodified = "" if lastmodified is None else str(lastmodified)
    try:
        rule = EncryptionRule.from_mapping(dict(raw))
    except ValueError as err:
        raise MetadataError(f"sops metadata: {err}") from None
    mac = raw.get("mac")
    meta = Metadata(
        key_groups=groups,
        lastmodified=lastmodified,
        mac=mac if isinstance(mac, str) else "",
        rule=rule,
        shamir_threshold=_weak_int(raw.get("shamir_threshold") or 0, "shamir_threshold"),
        mac_only_encrypted=_weak_bool(raw.get("mac_only_encrypted", False)),
        version=version,
        extra={k: v for k, v in raw.items() if k not in _KNOWN},
    )
    meta.mac_aad  # noqa: B018 - validates lastmodified early
    return meta
