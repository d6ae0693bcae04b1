"""`secrets-iac diff BASE HEAD`: what a change declares, in words, from two offline plan outputs.

Resources are compared by (type, name) and inputs; roles by the grants of their policy documents and the
principals their trust admits; stores by the namespaces they serve. Nothing here reads AWS: the optional
Access Analyzer confirmation lives in `secrets_iac.review.access_analyzer`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secrets_iac.errors import UserError
from secrets_iac.review.grants import Grant, admitted_principals, describe, grants

_IAM_TRUST_SUFFIX = ".trust.json"


@dataclass(frozen=True)
class PlanOutput:
    """One `secrets-iac plan --out DIR` folder, parsed."""

    resources: dict[str, dict[str, Any]]
    """`type::name` -> inputs."""
    policies: dict[str, dict[str, dict[str, Any]]]
    """role -> policy name -> document."""
    trusts: dict[str, dict[str, Any]]
    """role -> trust document."""
    stores: dict[str, set[str]]
    """`Kind name` (`Kind ns/name` for a SecretStore) -> the namespaces it serves (regexes, selectors)."""


def _serves(manifest: dict[str, Any]) -> set[str]:
    if manifest["kind"] == "SecretStore":
        return {manifest["metadata"]["namespace"]}
    served: set[str] = set()
    for condition in manifest.get("spec", {}).get("conditions", []) or [{"namespaces": ["*"]}]:
        served.update(condition.get("namespaces", []))
        served.update(f"regex {r}" for r in condition.get("namespaceRegexes", []))
        if "namespaceSelector" in condition:
            served.add(f"selector {json.dumps(condition['namespaceSelector'], sort_keys=True)}")
    return served


def _store_key(manifest: dict[str, Any]) -> str:
    meta = manifest["metadata"]
    where = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
    return f"{manifest['kind']} {where}"


def load_plan_output(folder: Path) -> PlanOutput:
    """Read a plan folder; one clear error when it is not one."""
    plan_file = folder / "plan.json"
    if not plan_file.is_file():
        raise UserError(f"{folder}: not a plan output (no plan.json; run secrets-iac plan --out {folder})")
    try:
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        resources = {f"{r['type']}::{r['name']}": r.get("inputs", {}) for r in plan["resources"]}
        policies: dict[str, dict[str, dict[str, Any]]] = {}
        trusts: dict[str, dict[str, Any]] = {}
        for path in sorted((folder / "iam").glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            if path.name.endswith(_IAM_TRUST_SUFFIX):
                trusts[path.name.removesuffix(_IAM_TRUST_SUFFIX)] = document
            else:
                role, _, name = path.name.removesuffix(".json").rpartition(".")
                policies.setdefault(role, {})[name] = document
        stores: dict[str, set[str]] = {}
        for path in sorted((folder / "manifests").glob("*.yaml")):
            manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(manifest, dict) and manifest.get("kind") in ("SecretStore", "ClusterSecretStore"):
                stores[_store_key(manifest)] = _serves(manifest)
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as err:
        raise UserError(f"{folder}: not a readable plan output ({type(err).__name__}: {err})") from None
    return PlanOutput(resources, policies, trusts, stores)


@dataclass
class RoleChange:
    role: str
    status: str
    """`added`, `removed` or `changed`."""
    can_now: list[str] = field(default_factory=list)
    can_no_longer: list[str] = field(default_factory=list)
    trust_now_admits: list[str] = field(default_factory=list)
    trust_no_longer_admits: list[str] = field(default_factory=list)
    policies_changed: list[str] = field(default_factory=list)
    """Names of the inline policies whose documents differ (for the Access Analyzer check)."""


@dataclass
class StoreChange:
    store: str
    status: str
    now_serves: list[str] = field(default_factory=list)
    no_longer_serves: list[str] = field(default_factory=list)


@dataclass
class PlanDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    """`type::name` -> the top-level inputs that differ."""
    roles: list[RoleChange] = field(default_factory=list)
    stores: list[StoreChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.roles or self.stores)

    @property
    def widens_access(self) -> bool:
        """A grant or an admitted principal was added, or a store serves a new namespace."""
        return any(r.can_now or r.trust_now_admits for r in self.roles) or any(
            s.now_serves for s in self.stores
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "widensAccess": self.widens_access}


def _role_grants(plan: PlanOutput, role: str) -> frozenset[Grant]:
    return frozenset().union(*(grants(d) for d in plan.policies.get(role, {}).values()))


def _role_change(base: PlanOutput, head: PlanOutput, role: str) -> RoleChange | None:
    in_base = role in base.trusts or role in base.policies
    in_head = role in head.trusts or role in head.policies
    before, after = _role_grants(base, role), _role_grants(head, role)
    admitted_before = admitted_principals(base.trusts.get(role, {}))
    admitted_after = admitted_principals(head.trusts.get(role, {}))
    change = RoleChange(
        role,
        "added" if not in_base else "removed" if not in_head else "changed",
        can_now=describe(after - before),
        can_no_longer=describe(before - after),
        trust_now_admits=sorted(admitted_after - admitted_before),
        trust_no_longer_admits=sorted(admitted_before - admitted_after),
        policies_changed=sorted(
            name
            for name in set(base.policies.get(role, {})) | set(head.policies.get(role, {}))
            if base.policies.get(role, {}).get(name) != head.policies.get(role, {}).get(name)
        ),
    )
    if change.status == "changed" and not (
        change.can_now or change.can_no_longer or change.trust_now_admits or change.trust_no_longer_admits
    ):
        return None  # reformatted or reordered, same access
    return change


def diff_plans(base: PlanOutput, head: PlanOutput) -> PlanDiff:
    """Everything `head` declares differently from `base`."""
    diff = PlanDiff(
        added=sorted(set(head.resources) - set(base.resources)),
        removed=sorted(set(base.resources) - set(head.resources)),
    )
    for key in sorted(set(base.resources) & set(head.resources)):
        old, new = base.resources[key], head.resources[key]
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if keys:
            diff.changed[key] = keys
    roles = set(base.trusts) | set(base.policies) | set(head.trusts) | set(head.policies)
    for role in sorted(roles):
        change = _role_change(base, head, role)
        if change is not None:
            diff.roles.append(change)
    for store in sorted(set(base.stores) | set(head.stores)):
        before, after = base.stores.get(store, set()), head.stores.get(store, set())
        status = "added" if store not in base.stores else "removed" if store not in head.stores else "changed"
        if status == "changed" and before == after:
            continue
        diff.stores.append(StoreChange(store, status, sorted(after - before), sorted(before - after)))
    return diff


def render_markdown(diff: PlanDiff, *, title: str = "secrets-iac plan diff") -> str:
    """A pull-request comment: access changes first, in words, then the resource list."""
    lines = [f"### {title}", ""]
    if diff.empty:
        return "\n".join([*lines, "No changes.", ""])
    if diff.widens_access:
        lines += ["**This change widens access.**", ""]
    if diff.roles or diff.stores:
        lines += ["#### Access", ""]
    for role in diff.roles:
        if role.status == "added":
            lines.append(f"- new role `{role.role}`")
        elif role.status == "removed":
            lines.append(f"- role `{role.role}` is removed")
        lines += [f"- role `{role.role}` can now {text}" for text in role.can_now]
        lines += [f"- role `{role.role}` can no longer {text}" for text in role.can_no_longer]
        lines += [f"- trust of `{role.role}` now admits `{who}`" for who in role.trust_now_admits]
        lines += [f"- trust of `{role.role}` no longer admits `{who}`" for who in role.trust_no_longer_admits]
    for store in diff.stores:
        if store.status != "changed":
            lines.append(f"- store `{store.store}` is {store.status}")
        lines += [f"- store `{store.store}` now serves namespace `{ns}`" for ns in store.now_serves]
        lines += [
            f"- store `{store.store}` no longer serves namespace `{ns}`" for ns in store.no_longer_serves
        ]
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    lines += ["", f"#### Resources ({counts})", ""]
    lines += [f"- added `{key}`" for key in diff.added]
    lines += [f"- removed `{key}`" for key in diff.removed]
    lines += [f"- changed `{key}`: {', '.join(keys)}" for key, keys in diff.changed.items()]
    return "\n".join(lines) + "\n"
