"""Admission control per stage: a native ValidatingAdmissionPolicy (CEL, no extra controller) and its binding.

ESO "does not provide a mechanic to limit access to certain keys per namespace"; a store's IAM role
bounds what the store reads, not which namespace reads what through it. The policy closes that gap: in
every namespace of the stage's apps (and in any namespace referencing one of its ClusterSecretStores) it
refuses an ExternalSecret or PushSecret that

* references a store not granted to the namespace (`spec.secretStoreRef`, per-entry
  `sourceRef.storeRef`, PushSecret `secretStoreRefs[]`; label-selected stores are refused),
* names a remote key outside the prefixes of the namespace's apps (`<prefix>/<app>/`; ARNs are refused),
* uses `dataFrom.find` where no app of the namespace declares `find`, or with a path outside its prefixes,
* uses PushSecret `dataTo` (remote keys computed at run time).

Grants come from the same store topology the roles are built from (`stores.resolve_stores`). The CEL
uses only standard CEL (`has`, macros, `startsWith`, `matches`) plus `join` from Kubernetes' string
library in messages. Objects being deleted are let through, so a finalizer can always be removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from secrets_iac.config import StageConfig, StoreConditionConfig, StoreKind
from secrets_iac.naming import app_prefix
from secrets_iac.planner.stores import ResolvedStore
from secrets_iac.rules.keys import MANAGED_BY, MANAGED_BY_LABEL, standard_labels

ADMISSION_API_VERSION: Final = "admissionregistration.k8s.io/v1"
KIND_POLICY: Final = "ValidatingAdmissionPolicy"
KIND_BINDING: Final = "ValidatingAdmissionPolicyBinding"


@dataclass
class NamespaceGrant:
    """What one namespace may use: stores as `Kind/name`, key prefixes ending in `/`, find."""

    stores: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    find: bool = False


@dataclass(frozen=True)
class ExtraGrant:
    """Namespaces a ClusterSecretStore admits by an extra condition: that store, its apps' prefixes."""

    condition: StoreConditionConfig
    store: str
    prefixes: tuple[str, ...]
    find: bool


def store_key(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def namespace_grants(
    config: StageConfig, prefix: str, stores: Iterable[ResolvedStore], push_store: str
) -> tuple[dict[str, NamespaceGrant], list[ExtraGrant]]:
    """Per app namespace its grants, and the grants of the extra ClusterSecretStore conditions."""
    grants: dict[str, NamespaceGrant] = {}
    for app in config.apps:
        grant = grants.setdefault(app.namespace, NamespaceGrant())
        grant.prefixes.add(app_prefix(prefix, app.name) + "/")
        grant.find = grant.find or app.find is not None
        if app.pushes:
            grant.stores.add(store_key(StoreKind.SECRET_STORE.value, push_store))
    extras: list[ExtraGrant] = []
    for store in stores:
        key = store_key(store.kind.value, store.name)
        for app in store.apps:
            grants[app.namespace].stores.add(key)
        prefixes = tuple(sorted(app_prefix(prefix, app.name) + "/" for app in store.apps))
        find = any(app.find is not None for app in store.apps)
        extras.extend(ExtraGrant(c, key, prefixes, find) for c in store.conditions)
    return grants, extras


# -- CEL text ------------------------------------------------------------------------------------------------


def _lit(value: Any) -> str:
    """A CEL literal: JSON's strings, lists and maps are valid CEL (sorted, so plans are reproducible)."""
    if isinstance(value, set | frozenset | tuple):
        value = sorted(value)
    return json.dumps(value, sort_keys=True)


_LABELS = "(has(namespaceObject.metadata.labels) ? namespaceObject.metadata.labels : {})"


def _condition_cel(condition: StoreConditionConfig) -> str:
    """True where ESO's condition admits the namespace: any regex OR the selector (its parts ANDed)."""
    parts = [f"request.namespace.matches({_lit(rx)})" for rx in condition.namespace_regexes]
    selector = condition.namespace_selector
    if selector is not None:
        terms = [
            f"({_lit(k)} in {_LABELS} && {_LABELS}[{_lit(k)}] == {_lit(v)})"
            for k, v in sorted(selector.match_labels.items())
        ]
        for req in selector.match_expressions:
            has_key = f"{_lit(req.key)} in {_LABELS}"
            value_in = f"{_LABELS}[{_lit(req.key)}] in {_lit(list(req.values))}"
            terms.append(
                {
                    "In": f"({has_key} && {value_in})",
                    "NotIn": f"(!({has_key}) || !({value_in}))",
                    "Exists": f"({has_key})",
                    "DoesNotExist": f"!({has_key})",
                }[req.operator]
            )
        parts.append("(" + " && ".join(terms) + ")")
    return "(" + " || ".join(parts) + ")"


def _ref(ref: str) -> str:
    """`Kind/name` of a store reference; kind defaults to SecretStore, a label selector has no name."""
    return (
        f'(has({ref}.kind) ? {ref}.kind : "SecretStore") + "/" + '
        f'(has({ref}.name) ? {ref}.name : "<labelSelector>")'
    )


_ES_REFS = (
    f"(has(object.spec.secretStoreRef) ? [{_ref('object.spec.secretStoreRef')}] : [])"
    " + (has(object.spec.data) ? object.spec.data.filter(d, has(d.sourceRef) && has(d.sourceRef.storeRef))"
    f".map(d, {_ref('d.sourceRef.storeRef')}) : [])"
    " + (has(object.spec.dataFrom) ? object.spec.dataFrom.filter(d, has(d.sourceRef) && "
    f"has(d.sourceRef.storeRef)).map(d, {_ref('d.sourceRef.storeRef')}) : [])"
)
_PS_REFS = f"(has(object.spec.secretStoreRefs) ? object.spec.secretStoreRefs.map(r, {_ref('r')}) : [])"
_ES_KEYS = (
    "(has(object.spec.data) ? object.spec.data"
    ".filter(d, !(has(d.sourceRef) && has(d.sourceRef.generatorRef))).map(d, d.remoteRef.key) : [])"
    " + (has(object.spec.dataFrom) ? object.spec.dataFrom"
    ".filter(d, has(d.extract)).map(d, d.extract.key) : [])"
)
_PS_KEYS = "(has(object.spec.data) ? object.spec.data.map(d, d.match.remoteRef.remoteKey) : [])"
_ES_FINDS = (
    "(has(object.spec.dataFrom) ? object.spec.dataFrom.filter(d, has(d.find))"
    '.map(d, has(d.find.path) ? d.find.path : "") : [])'
)
_IS_ES = 'object.kind == "ExternalSecret"'
_SUBJECT = 'object.kind + " " + request.namespace + "/" + request.name'


def _variables(
    grants: dict[str, NamespaceGrant], extras: list[ExtraGrant], cluster_stores: list[str]
) -> list[dict[str, str]]:
    store_map = {ns: sorted(g.stores) for ns, g in sorted(grants.items())}
    prefix_map = {ns: sorted(g.prefixes) for ns, g in sorted(grants.items())}
    find_namespaces = sorted(ns for ns, g in grants.items() if g.find)
    stores = "(request.namespace in variables.storeGrants ? variables.storeGrants[request.namespace] : [])"
    prefixes = (
        "(request.namespace in variables.prefixGrants ? variables.prefixGrants[request.namespace] : [])"
    )
    find = "request.namespace in variables.findGrants"
    variables = [
        {"name": "storeGrants", "expression": _lit(store_map)},
        {"name": "prefixGrants", "expression": _lit(prefix_map)},
        {"name": "findGrants", "expression": _lit(find_namespaces)},
    ]
    for index, extra in enumerate(extras):
        name = f"extraCondition{index}"
        variables.append({"name": name, "expression": _condition_cel(extra.condition)})
        stores += f" + (variables.{name} ? {_lit([extra.store])} : [])"
        prefixes += f" + (variables.{name} ? {_lit(list(extra.prefixes))} : [])"
        if extra.find:
            find += f" || variables.{name}"
    variables += [
        {"name": "stores", "expression": stores},
        {"name": "prefixes", "expression": prefixes},
        {"name": "find", "expression": find},
        {"name": "refs", "expression": f"{_IS_ES} ? {_ES_REFS} : {_PS_REFS}"},
        {"name": "keys", "expression": f"{_IS_ES} ? {_ES_KEYS} : {_PS_KEYS}"},
        {"name": "findPaths", "expression": f"{_IS_ES} ? {_ES_FINDS} : []"},
        {
            "name": "inScope",
            "expression": "!has(object.metadata.deletionTimestamp) && (size(variables.stores) > 0 || "
            f"variables.refs.exists(r, r in {_lit(cluster_stores)}))",
        },
    ]
    return variables


def _validations() -> list[dict[str, str]]:
    return [
        {
            "expression": "!variables.inScope || variables.refs.all(r, r in variables.stores)",
            "messageExpression": f'{_SUBJECT} + " references a store not granted to namespace "'
            ' + request.namespace + ": " + variables.refs.filter(r, !(r in variables.stores)).join(", ")',
            "reason": "Forbidden",
        },
        {
            "expression": "!variables.inScope || "
            "variables.keys.all(k, variables.prefixes.exists(p, k.startsWith(p)))",
            "messageExpression": f'{_SUBJECT} + " names remote keys outside "'
            ' + variables.prefixes.join(", ") + ": "'
            ' + variables.keys.filter(k, !variables.prefixes.exists(p, k.startsWith(p))).join(", ")',
            "reason": "Forbidden",
        },
        {
            "expression": "!variables.inScope || size(variables.findPaths) == 0 || (variables.find && "
            "variables.findPaths.all(f, variables.prefixes.exists(p, f.startsWith(p))))",
            "messageExpression": f'{_SUBJECT} + " uses dataFrom.find, which namespace " + request.namespace'
            ' + " is granted only with a path under " + variables.prefixes.join(", ")'
            ' + " and only where an app declares find"',
            "reason": "Forbidden",
        },
        {
            "expression": '!variables.inScope || object.kind != "PushSecret" || !has(object.spec.dataTo)'
            " || size(object.spec.dataTo) == 0",
            "messageExpression": f'{_SUBJECT} + " uses dataTo, whose remote keys are computed at run time; '
            'list data[] entries instead"',
            "reason": "Forbidden",
        },
    ]


def policy_name(project: str, env: str) -> str:
    return f"{project}-{env}-external-secrets-access"


def admission_objects(
    config: StageConfig, env: str, prefix: str, stores: Iterable[ResolvedStore], push_store: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stage's ValidatingAdmissionPolicy and its Deny binding."""
    stores = tuple(stores)
    grants, extras = namespace_grants(config, prefix, stores, push_store)
    cluster_stores = sorted(
        store_key(s.kind.value, s.name) for s in stores if s.kind is StoreKind.CLUSTER_SECRET_STORE
    )
    name = policy_name(config.project, env)
    labels = {**standard_labels(env), MANAGED_BY_LABEL: MANAGED_BY}
    policy = {
        "apiVersion": ADMISSION_API_VERSION,
        "kind": KIND_POLICY,
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": ["external-secrets.io"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["externalsecrets", "pushsecrets"],
                        "scope": "Namespaced",
                    }
                ]
            },
            "variables": _variables(grants, extras, cluster_stores),
            "validations": _validations(),
        },
    }
    binding = {
        "apiVersion": ADMISSION_API_VERSION,
        "kind": KIND_BINDING,
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return policy, binding
