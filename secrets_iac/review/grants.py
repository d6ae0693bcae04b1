"""IAM documents as sets of grants, so two versions of a role compare by what they allow, not by text.

A grant is one (effect, action, resource pattern, conditions) tuple; a statement with three actions on two
resources is six grants. Trust documents reduce to the principals they admit, in words a reviewer knows:
`ns:sa` for an IRSA ServiceAccount, the service or role ARN otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: What ESO needs to read a secret: the reviewer sees "read" instead of four actions.
READ_ACTIONS = frozenset(
    {
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecretVersionIds",
    }
)


@dataclass(frozen=True, order=True)
class Grant:
    effect: str
    action: str
    resource: str
    conditions: str
    """Canonical JSON of the statement's Condition block ("" when there is none)."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def grants(document: Mapping[str, Any]) -> frozenset[Grant]:
    """Every (effect, action, resource, conditions) an identity policy states."""
    found: set[Grant] = set()
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping):
            continue
        condition = statement.get("Condition")
        conditions = json.dumps(condition, sort_keys=True, separators=(",", ":")) if condition else ""
        effect = str(statement.get("Effect", "Allow"))
        for action in _as_list(statement.get("Action")):
            for resource in _as_list(statement.get("Resource")) or ["*"]:
                found.add(Grant(effect, str(action), str(resource), conditions))
    return frozenset(found)


def admitted_principals(trust: Mapping[str, Any]) -> frozenset[str]:
    """Who may assume the role: `ns:sa` for IRSA (the pinned `sub`), else the principal as written."""
    found: set[str] = set()
    for statement in _as_list(trust.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect", "Allow") != "Allow":
            continue
        subjects = [
            value
            for operator in ("StringEquals", "StringLike")
            for key, value in (statement.get("Condition", {}).get(operator, {}) or {}).items()
            if key.endswith(":sub")
        ]
        if subjects:
            for subject in subjects:
                for one in _as_list(subject):
                    found.add(str(one).removeprefix("system:serviceaccount:"))
            continue
        principal = statement.get("Principal", {})
        if isinstance(principal, Mapping):
            for kind, value in principal.items():
                for one in _as_list(value):
                    found.add(f"{kind.lower()} {one}")
        else:
            found.add(str(principal))
    return frozenset(found)


def secret_pattern(resource: str) -> str:
    """`arn:aws:secretsmanager:eu-west-1:1:secret:acme/dev/web/*` -> `acme/dev/web/*`; others unchanged."""
    marker = ":secret:"
    if resource.startswith("arn:") and ":secretsmanager:" in resource and marker in resource:
        return resource.split(marker, 1)[1]
    return resource


def describe(selected: Iterable[Grant]) -> list[str]:
    """Grants in words, one line per (resource, conditions): `read `p/*``, or the action list."""
    by_target: dict[tuple[str, str, str], set[str]] = {}
    for grant in selected:
        by_target.setdefault((grant.effect, grant.resource, grant.conditions), set()).add(grant.action)
    lines = []
    for (effect, resource, conditions), actions in sorted(by_target.items()):
        verbs: list[str] = []
        rest = set(actions)
        if rest >= READ_ACTIONS:
            verbs.append("read")
            rest -= READ_ACTIONS
        verbs.extend(sorted(rest))
        text = f"{', '.join(verbs)} `{secret_pattern(resource)}`"
        if effect != "Allow":
            text = f"({effect}) {text}"
        if conditions:
            text += f" when {conditions}"
        lines.append(text)
    return lines
