"""The policy pack's validators, each with a passing and a failing resource, and over real plans."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)

from components.offline_plan import plan_stack
from policy import rules
from tests.fixtures.stages import stage_values, write_project

OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
ARN = "arn:aws:secretsmanager:eu-west-1:444455556666:secret:acme/qa/app/*"
READ = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]


def _args(
    type_: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    return ResourceValidationArgs(type_, props, f"urn:pulumi:qa::p::{type_}::r", "r", OPTS, None, config)


def _violations(check: Callable[[Any, Any], None], args: Any) -> list[str]:
    found: list[str] = []
    check(args, lambda message, urn=None: found.append(message))
    return found


def _role_policy(*statements: dict[str, Any]) -> ResourceValidationArgs:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return _args("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(document)})


def test_no_wildcard_actions() -> None:
    good = _role_policy({"Sid": "Read", "Effect": "Allow", "Action": READ, "Resource": ARN})
    assert _violations(rules.check_no_wildcard_actions, good) == []
    for action in ("*", "secretsmanager:*", "kms:*"):
        bad = _role_policy({"Sid": "Wide", "Effect": "Allow", "Action": [action], "Resource": ARN})
        assert _violations(rules.check_no_wildcard_actions, bad) == [
            f"statement 'Wide' allows the wildcard action {action!r}"
        ]
    inline = _args(
        "aws:iam/role:Role",
        {"inlinePolicies": [{"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]})}]},
    )
    assert len(_violations(rules.check_no_wildcard_actions, inline)) == 1


def test_star_resource_only_for_list_and_batch_get() -> None:
    find = {"Effect": "Allow", "Action": sorted(rules.UNSCOPABLE_ACTIONS), "Resource": "*"}
    assert _violations(rules.check_star_resource_only_for_unscopable, _role_policy(find)) == []
    bad = _role_policy({"Sid": "All", "Effect": "Allow", "Action": READ, "Resource": "*"})
    [message] = _violations(rules.check_star_resource_only_for_unscopable, bad)
    assert "secretsmanager:DescribeSecret, secretsmanager:GetSecretValue on Resource '*'" in message


def _trust(condition: dict[str, Any]) -> ResourceValidationArgs:
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }
    return _args("aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Statement": [statement]})})


def test_irsa_trust_pins_sub_and_aud() -> None:
    pinned = {"StringEquals": {"x:sub": "system:serviceaccount:ns:sa", "x:aud": "sts.amazonaws.com"}}
    assert _violations(rules.check_irsa_trust_pins_sub_and_aud, _trust(pinned)) == []
    no_aud = {"StringEquals": {"x:sub": "system:serviceaccount:ns:sa"}}
    assert _violations(rules.check_irsa_trust_pins_sub_and_aud, _trust(no_aud)) == [
        "OIDC trust does not pin aud with StringEquals to one value"
    ]
    like = {
        "StringLike": {"x:sub": "system:serviceaccount:ns:*"},
        "StringEquals": {"x:aud": "sts.amazonaws.com"},
    }
    assert _violations(rules.check_irsa_trust_pins_sub_and_aud, _trust(like)) == [
        "OIDC trust does not pin sub with StringEquals to one value",
        "OIDC trust uses StringLike; wildcards widen who can assume the role",
    ]
    pod = _args(
        "aws:iam/role:Role",
        {"assumeRolePolicy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "x"}}]})},
    )
    assert _violations(rules.check_irsa_trust_pins_sub_and_aud, pod) == []


def _secret(stage: str, **props: Any) -> dict[str, Any]:
    return {"name": f"acme/{stage}/app/db", "tags": {"environment": stage}, **props}


def test_prod_secrets_recoverable_with_cmk() -> None:
    check = rules.check_prod_secrets_recoverable_and_cmk
    cmk = "arn:aws:kms:eu-west-1:1:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    good = _args("aws:secretsmanager/secret:Secret", _secret("prod", recoveryWindowInDays=30, kmsKeyId=cmk))
    assert _violations(check, good) == []
    bad = _args("aws:secretsmanager/secret:Secret", _secret("prod", recoveryWindowInDays=0))
    assert _violations(check, bad) == [
        "prod secret 'acme/prod/app/db' has a recovery window of 0 days (< 7)",
        "prod secret 'acme/prod/app/db' uses the AWS-managed key; set a customer-managed key",
    ]
    dev = _args("aws:secretsmanager/secret:Secret", _secret("dev", recoveryWindowInDays=0))
    assert _violations(check, dev) == []
    live = _args("aws:secretsmanager/secret:Secret", _secret("live"), {"prodStages": ["live"]})
    assert len(_violations(check, live)) == 1


def test_cluster_secret_store_restricts_namespaces() -> None:
    type_ = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
    good = _args(type_, {"spec": {"conditions": [{"namespaces": ["a"]}]}})
    assert _violations(rules.check_cluster_store_restricts_namespaces, good) == []
    assert len(_violations(rules.check_cluster_store_restricts_namespaces, _args(type_, {"spec": {}}))) == 1
    empty = _args(type_, {"spec": {"conditions": [{}]}})
    assert _violations(rules.check_cluster_store_restricts_namespaces, empty) == [
        "ClusterSecretStore spec.conditions[0] restricts nothing"
    ]


def _resource(kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> PolicyResource:
    version = "v1alpha1" if kind == "PushSecret" else "v1"
    type_ = f"kubernetes:external-secrets.io/{version}:{kind}"
    props = {"metadata": metadata, "spec": spec}
    return PolicyResource(
        type_, props, f"urn:{kind}:{metadata['name']}", metadata["name"], OPTS, None, None, [], {}
    )


def test_external_secrets_use_declared_stores() -> None:
    store = _resource("SecretStore", {"name": "sm", "namespace": "a"}, {})
    cluster = _resource("ClusterSecretStore", {"name": "shared"}, {})
    ok = _resource(
        "ExternalSecret",
        {"name": "x", "namespace": "a"},
        {"secretStoreRef": {"name": "sm", "kind": "SecretStore"}},
    )
    ok2 = _resource(
        "ExternalSecret",
        {"name": "y", "namespace": "b"},
        {"secretStoreRef": {"name": "shared", "kind": "ClusterSecretStore"}},
    )
    other_ns = _resource(
        "ExternalSecret",
        {"name": "z", "namespace": "b"},
        {"secretStoreRef": {"name": "sm", "kind": "SecretStore"}},
    )
    push = _resource(
        "PushSecret",
        {"name": "p", "namespace": "a"},
        {"secretStoreRefs": [{"name": "gone", "kind": "SecretStore"}]},
    )
    args = StackValidationArgs([store, cluster, ok, ok2, other_ns, push], None)
    assert _violations(rules.check_external_secrets_use_declared_stores, args) == [
        "ExternalSecret b/z references SecretStore 'sm', not declared in this stack",
        "PushSecret a/p references SecretStore 'gone', not declared in this stack",
    ]


def test_the_pack_passes_the_planners_output(tmp_path: Path) -> None:
    """Every resource a real plan declares passes every rule (fixture stage with push and find)."""
    values = stage_values()
    values["apps"][1]["find"] = {"path": "certs"}
    project = write_project(tmp_path / "project", "qa", values)
    plan_stack(project, "qa", tmp_path / "out")
    resources = json.loads((tmp_path / "out" / "plan.json").read_text())["resources"]
    found: list[str] = []
    for resource in resources:
        args = _args(resource["type"], resource["inputs"])
        for policy in rules.POLICIES:
            if isinstance(policy, ResourceValidationPolicy):
                found += _violations(policy.validate, args)  # type: ignore[arg-type]
    stack = StackValidationArgs(
        [
            PolicyResource(r["type"], r["inputs"], r["name"], r["name"], OPTS, None, None, [], {})
            for r in resources
        ],
        None,
    )
    found += _violations(rules.check_external_secrets_use_declared_stores, stack)
    assert found == []
    assert len(resources) > 20
