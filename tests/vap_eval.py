"""Evaluate a ValidatingAdmissionPolicy the way the API server does, with a real CEL runtime (test helper).

`cel-expr-python` is the official CEL C++ implementation with Python bindings (the same language as
cel-go in the API server). Evaluation follows the Kubernetes docs for admissionregistration.k8s.io/v1:
`matchConstraints.resourceRules` select the request; `variables` are evaluated in order, each seeing the
earlier ones as `variables.<name>`; every `validations[]` expression must be true, else the request is
denied with its `messageExpression`; an evaluation error counts as a denial (`failurePolicy: Fail`).
Kubernetes' `strings` library (`join`) is loaded like the API server's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext.ext_strings import ExtStrings

_VARIABLES = ("object", "oldObject", "request", "namespaceObject", "variables")
_PLURALS = {"ExternalSecret": "externalsecrets", "PushSecret": "pushsecrets"}


@cache
def _env() -> Any:
    return cel.NewEnv(variables={name: cel.Type.DYN for name in _VARIABLES}, extensions=[ExtStrings()])


@cache
def _compiled(expression: str) -> Any:
    return _env().compile(expression)


def _eval(expression: str, data: Mapping[str, Any]) -> Any:
    return _compiled(expression).eval(data=dict(data)).plain_value()


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    messages: tuple[str, ...]


def _matches(policy: Mapping[str, Any], obj: Mapping[str, Any], operation: str) -> bool:
    group = str(obj["apiVersion"]).split("/")[0]
    for rule in policy["spec"]["matchConstraints"]["resourceRules"]:
        if (
            group in rule["apiGroups"]
            and operation in rule["operations"]
            and _PLURALS.get(str(obj["kind"])) in rule["resources"]
        ):
            return True
    return False


def admit(
    policy: Mapping[str, Any],
    obj: Mapping[str, Any],
    *,
    namespace_labels: Mapping[str, str] | None = None,
    operation: str = "CREATE",
) -> Verdict:
    """The verdict of `policy` on creating (or updating) `obj` in its `metadata.namespace`."""
    if not _matches(policy, obj, operation):
        return Verdict(True, ())
    namespace = obj["metadata"]["namespace"]
    data: dict[str, Any] = {
        "object": obj,
        "oldObject": None,
        "request": {"namespace": namespace, "name": obj["metadata"]["name"], "operation": operation},
        "namespaceObject": {
            "metadata": {
                "name": namespace,
                "labels": {"kubernetes.io/metadata.name": namespace, **(namespace_labels or {})},
            }
        },
    }
    computed: dict[str, Any] = {}
    messages: list[str] = []
    try:
        for variable in policy["spec"].get("variables", []):
            computed[variable["name"]] = _eval(variable["expression"], {**data, "variables": computed})
        for validation in policy["spec"]["validations"]:
            context = {**data, "variables": computed}
            if _eval(validation["expression"], context) is not True:
                messages.append(str(_eval(validation["messageExpression"], context)))
    except Exception as err:  # failurePolicy Fail: any evaluation error denies
        messages.append(f"evaluation error: {err}")
    return Verdict(not messages, tuple(messages))
