"""The policy pack's rules: plain validators over resource inputs, each a `ResourceValidationPolicy` or
`StackValidationPolicy` (pulumi-policy), unit-tested with a passing and a failing resource.

They hold for any program, not only this one: an IAM policy written by hand next to the stage is checked
as strictly as the planner's documents. Prod stages are named by the pack's config (`prodStages`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

#: AWS does not support resource-level permissions for these two; everything else names its resources.
UNSCOPABLE_ACTIONS = frozenset({"secretsmanager:ListSecrets", "secretsmanager:BatchGetSecretValue"})
DEFAULT_PROD_STAGES = ("prod", "production")
AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager"
_POLICY_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
_ESO_STORE_KINDS = ("SecretStore", "ClusterSecretStore")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def _identity_documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    key = _POLICY_INPUTS.get(resource_type)
    if key is not None:
        document = _document(props.get(key))
        if document is not None:
            yield document
    if resource_type == "aws:iam/role:Role":
        for inline in _as_list(props.get("inlinePolicies")):
            document = _document(inline.get("policy")) if isinstance(inline, Mapping) else None
            if document is not None:
                yield document


def _allow_statements(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for statement in _as_list(document.get("Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            yield statement


def check_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """No `*` and no `<service>:*` action: every grant names what it allows."""
    for document in _identity_documents(args.resource_type, args.props):
        for statement in _allow_statements(document):
            for action in _as_list(statement.get("Action")):
                if action == "*" or str(action).endswith(":*"):
                    report(
                        f"statement {statement.get('Sid', '?')!r} allows the wildcard action {action!r}", None
                    )
            if "NotAction" in statement:
                report(
                    f"statement {statement.get('Sid', '?')!r} uses NotAction (allows everything else)", None
                )


def check_star_resource_only_for_unscopable(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """`Resource: "*"` only for ListSecrets / BatchGetSecretValue, which AWS cannot scope."""
    for document in _identity_documents(args.resource_type, args.props):
        for statement in _allow_statements(document):
            if "*" not in _as_list(statement.get("Resource")):
                continue
            wide = sorted(set(map(str, _as_list(statement.get("Action")))) - UNSCOPABLE_ACTIONS)
            if wide:
                report(
                    f"statement {statement.get('Sid', '?')!r} grants {', '.join(wide)} on Resource '*'; "
                    "only ListSecrets and BatchGetSecretValue may",
                    None,
                )


def check_irsa_trust_pins_sub_and_aud(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A role trusting an OIDC provider pins `<issuer>:sub` and `<issuer>:aud` with StringEquals."""
    if args.resource_type != "aws:iam/role:Role":
        return
    trust = _document(args.props.get("assumeRolePolicy"))
    if trust is None:
        return
    for statement in _allow_statements(trust):
        principal = statement.get("Principal")
        if not isinstance(principal, Mapping) or "Federated" not in principal:
            continue
        if "oidc-provider/" not in str(principal["Federated"]):
            continue
        condition = statement.get("Condition") or {}
        equals = condition.get("StringEquals") or {}
        for suffix in (":sub", ":aud"):
            pinned = [
                k for k, v in equals.items() if k.endswith(suffix) and isinstance(v, str) and "*" not in v
            ]
            if not pinned:
                report(f"OIDC trust does not pin {suffix[1:]} with StringEquals to one value", None)
        if "StringLike" in condition:
            report("OIDC trust uses StringLike; wildcards widen who can assume the role", None)


def check_prod_secrets_recoverable_and_cmk(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A prod stage's secrets keep a recovery window of at least 7 days and use a customer-managed key."""
    if args.resource_type != "aws:secretsmanager/secret:Secret":
        return
    prod = tuple(args.get_config().get("prodStages", DEFAULT_PROD_STAGES))
    stage = (args.props.get("tags") or {}).get("environment")
    if stage not in prod:
        return
    window = args.props.get("recoveryWindowInDays")
    if window is not None and window < 7:
        report(f"prod secret {args.props.get('name')!r} has a recovery window of {window} days (< 7)", None)
    key = args.props.get("kmsKeyId")
    if not key or key == AWS_MANAGED_SECRETS_KEY:
        report(
            f"prod secret {args.props.get('name')!r} uses the AWS-managed key; set a customer-managed key",
            None,
        )


def _kind(resource_type: str) -> str | None:
    """`kubernetes:external-secrets.io/v1:ExternalSecret` -> `ExternalSecret`."""
    group_version, _, kind = resource_type.removeprefix("kubernetes:").rpartition(":")
    return kind if group_version.startswith("external-secrets.io/") else None


def check_cluster_store_restricts_namespaces(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A ClusterSecretStore lists the namespaces that may use it (`spec.conditions`)."""
    if _kind(args.resource_type) != "ClusterSecretStore":
        return
    conditions = _as_list((args.props.get("spec") or {}).get("conditions"))
    if not conditions:
        report("ClusterSecretStore has no spec.conditions: every namespace of the cluster may use it", None)
    for index, condition in enumerate(conditions):
        if not isinstance(condition, Mapping) or not any(
            condition.get(k) for k in ("namespaces", "namespaceRegexes", "namespaceSelector")
        ):
            report(f"ClusterSecretStore spec.conditions[{index}] restricts nothing", None)


def check_external_secrets_use_declared_stores(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every ExternalSecret and PushSecret references a store declared in the same stack."""
    stores: set[tuple[str, Any, Any]] = set()
    users = []
    for resource in args.resources:
        kind = _kind(resource.resource_type)
        metadata = resource.props.get("metadata") or {}
        if kind in _ESO_STORE_KINDS:
            namespace = metadata.get("namespace") if kind == "SecretStore" else None
            stores.add((kind, namespace, metadata.get("name")))
        elif kind in ("ExternalSecret", "PushSecret"):
            users.append((kind, resource, metadata))
    for kind, resource, metadata in users:
        spec = resource.props.get("spec") or {}
        refs = (
            [spec.get("secretStoreRef")]
            if kind == "ExternalSecret"
            else _as_list(spec.get("secretStoreRefs"))
        )
        for ref in refs:
            if not isinstance(ref, Mapping):
                continue
            ref_kind = ref.get("kind", "SecretStore")
            namespace = metadata.get("namespace") if ref_kind == "SecretStore" else None
            if (ref_kind, namespace, ref.get("name")) not in stores:
                where = f"{metadata.get('namespace')}/{metadata.get('name')}"
                report(
                    f"{kind} {where} references {ref_kind} {ref.get('name')!r}, not declared in this stack",
                    resource.urn,
                )


POLICIES = (
    ResourceValidationPolicy(
        name="no-wildcard-actions",
        description="IAM policies name their actions: no '*' or '<service>:*'.",
        validate=check_no_wildcard_actions,
    ),
    ResourceValidationPolicy(
        name="star-resource-only-for-list-and-batch-get",
        description="Resource '*' only for secretsmanager:ListSecrets and BatchGetSecretValue.",
        validate=check_star_resource_only_for_unscopable,
    ),
    ResourceValidationPolicy(
        name="irsa-trust-pins-sub-and-aud",
        description="OIDC (IRSA) trust pins <issuer>:sub and <issuer>:aud with StringEquals.",
        validate=check_irsa_trust_pins_sub_and_aud,
    ),
    ResourceValidationPolicy(
        name="prod-secrets-recoverable-with-cmk",
        description="Prod secrets keep a recovery window of at least 7 days and use a customer-managed key.",
        validate=check_prod_secrets_recoverable_and_cmk,
        config_schema=PolicyConfigSchema(
            properties={
                "prodStages": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": list(DEFAULT_PROD_STAGES),
                }
            }
        ),
    ),
    ResourceValidationPolicy(
        name="cluster-secret-store-restricts-namespaces",
        description="A ClusterSecretStore lists the namespaces that may use it.",
        validate=check_cluster_store_restricts_namespaces,
    ),
    StackValidationPolicy(
        name="external-secrets-use-declared-stores",
        description="Every ExternalSecret and PushSecret references a store declared in the same stack.",
        validate=check_external_secrets_use_declared_stores,
    ),
)
