"""A small IAM evaluator for the documents secrets-iac renders, used where moto cannot judge (test helper).

moto 5.2.5 ignores identity-policy and trust conditions (see tests/aws/test_least_privilege.py), so the
session-tag (ABAC) logic is evaluated here with the documents as data: Allow statements only (the
documents have no Deny), ``Action``/``Resource`` with IAM wildcards (``*``, ``?``), ``Principal.AWS``,
and the condition operators the documents use: ``StringEquals`` (values ORed, keys ANDed, policy
variables like ``${aws:PrincipalTag/esoNamespace}`` substituted from the request; a missing key or
variable is false) and ``ForAllValues:StringEquals`` (every request value in the list; true when the key
is absent, as in IAM). Any other operator raises, so a document using one cannot pass by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Request:
    action: str
    resource: str = "*"
    principal: str | None = None
    """The caller's ARN (trust policies)."""
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    """Condition keys: `aws:PrincipalTag/x`, `aws:RequestTag/x`, `aws:TagKeys`,
    `secretsmanager:ResourceTag/x`."""


def wildcard(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _substitute(value: str, request: Request) -> str | None:
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        found = request.context.get(match.group(1))
        if not isinstance(found, str):
            missing = True
            return ""
        return found

    result = _VARIABLE.sub(replace, value)
    return None if missing else result


def _condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    actual = request.context.get(key)
    wanted = [_substitute(v, request) for v in _listed(expected)]
    if operator == "StringEquals":
        return isinstance(actual, str) and actual in [w for w in wanted if w is not None]
    if operator == "ForAllValues:StringEquals":
        return actual is None or all(a in wanted for a in _listed(actual))
    raise AssertionError(f"iam_eval does not know condition operator {operator!r}")


def statement_allows(statement: Mapping[str, Any], request: Request) -> bool:
    assert statement["Effect"] == "Allow"
    if not any(wildcard(a, request.action) for a in _listed(statement["Action"])):
        return False
    if "Resource" in statement and not any(
        wildcard(r, request.resource) for r in _listed(statement["Resource"])
    ):
        return False
    if "Principal" in statement:
        principals = _listed(statement["Principal"].get("AWS", []))
        if request.principal is None or request.principal not in principals:
            return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, request):
                return False
    return True


def allows(document: Mapping[str, Any], request: Request) -> bool:
    """True when some statement allows `request` (no Deny statements are supported or used)."""
    return any(statement_allows(s, request) for s in document["Statement"])
