"""render_stage: identities, policies and ESO objects decided from config, for each store/auth choice."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from secrets_iac.config import StageConfig, parse_stage_config, read_stack_values
from secrets_iac.errors import UserError
from secrets_iac.planner import PolicySpec, policy_document, render_stage, render_stage_checked
from tests.fixtures.example import EXAMPLE


def _values(stage: str) -> dict[str, Any]:
    return read_stack_values(EXAMPLE / "stacks" / f"Pulumi.{stage}.yaml")


def _config(values: dict[str, Any]) -> StageConfig:
    return parse_stage_config(values, source="test")


def _by_kind(manifests: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def test_dev_cluster_store_uses_a_dedicated_reader_sa_in_the_eso_namespace() -> None:
    plan = render_stage(_config(_values("alpha")), "alpha")
    [store] = _by_kind(plan.stores, "ClusterSecretStore")
    assert store["spec"]["provider"]["aws"]["auth"] == {
        "jwt": {"serviceAccountRef": {"name": "external-secrets-reader", "namespace": "external-secrets"}}
    }
    assert store["spec"]["conditions"] == [{"namespaces": ["payments-dev", "web-dev"]}]
    reader = next(r for r in plan.roles if r.key == "store-reader")
    assert (reader.service_account.namespace, reader.service_account.name) == (
        "external-secrets",
        "external-secrets-reader",
    )
    assert reader.policies == (PolicySpec("read-secrets", "read", "secrets-iac/alpha", False),)
    assert all(es["spec"]["secretStoreRef"]["kind"] == "ClusterSecretStore" for es in plan.external_secrets)


def test_prod_per_app_stores_scope_each_role_to_its_app() -> None:
    plan = render_stage(_config(_values("gamma")), "gamma")
    readers = {r.key: r for r in plan.roles if r.key.endswith("-reader")}
    assert set(readers) == {"payments-reader", "web-reader"}
    assert readers["payments-reader"].policies[0].prefix == "secrets-iac/gamma/payments"
    assert readers["payments-reader"].service_account.namespace == "payments"
    stores = _by_kind(plan.stores, "SecretStore")
    read_store = next(
        s
        for s in stores
        if s["metadata"]["name"] == "aws-secrets-manager" and s["metadata"]["namespace"] == "web"
    )
    # A SecretStore's serviceAccountRef stays in its own namespace.
    assert read_store["spec"]["provider"]["aws"]["auth"] == {
        "jwt": {"serviceAccountRef": {"name": "web-secrets"}}
    }


def test_external_secret_keys_tls_and_extract() -> None:
    values = _values("gamma")
    values["apps"][0]["secrets"].append({"name": "feature-flags"})  # no keys: every JSON property
    plan = render_stage(_config(values), "gamma")
    payments = next(es for es in plan.external_secrets if es["metadata"]["name"] == "payments-secrets")
    assert payments["spec"]["data"][0] == {
        "secretKey": "DB_USERNAME",
        "remoteRef": {"key": "secrets-iac/gamma/payments/db", "property": "username"},
    }
    assert payments["spec"]["dataFrom"] == [{"extract": {"key": "secrets-iac/gamma/payments/feature-flags"}}]
    assert payments["spec"]["refreshInterval"] == "1h"
    tls = next(es for es in plan.external_secrets if es["metadata"]["name"] == "web-tls")
    assert tls["spec"]["target"]["template"]["type"] == "kubernetes.io/tls"
    assert [d["remoteRef"]["property"] for d in tls["spec"]["data"]] == ["tls.crt", "tls.key"]


def test_push_uses_its_own_store_identity_and_wrapped_metadata() -> None:
    plan = render_stage(_config(_values("gamma")), "gamma")
    pusher = next(r for r in plan.roles if r.key == "payments-pusher")
    # Exactly the PushSecret's remote key, never the app's git-managed secrets (the whole prefix).
    assert pusher.policies == (
        PolicySpec(
            "push-secrets",
            "push",
            "secrets-iac/gamma/payments",
            names=("secrets-iac/gamma/payments/webhook-signing-key",),
        ),
    )
    [push] = plan.push_secrets
    assert push["spec"]["secretStoreRefs"] == [{"name": "aws-secrets-manager-push", "kind": "SecretStore"}]
    [entry] = push["spec"]["data"]
    assert entry["match"]["remoteRef"]["remoteKey"] == "secrets-iac/gamma/payments/webhook-signing-key"
    metadata = entry["metadata"]
    assert (metadata["apiVersion"], metadata["kind"]) == (
        "kubernetes.external-secrets.io/v1alpha1",
        "PushSecretMetadata",
    )
    assert metadata["spec"]["kmsKeyId"] == _values("gamma")["kms"]["keyArn"]
    assert "managed-by" not in metadata["spec"]["tags"]
    push_store = next(s for s in plan.stores if s["metadata"]["name"] == "aws-secrets-manager-push")
    assert (
        push_store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
        == "payments-secrets-pusher"
    )


def test_staging_push_uses_the_created_key_alias() -> None:
    plan = render_stage(_config(_values("beta")), "beta")
    assert plan.kms.alias == "alias/secrets-iac-beta-secrets"
    assert plan.push_secrets[0]["spec"]["data"][0]["metadata"]["spec"]["kmsKeyId"] == plan.kms.alias


@pytest.mark.parametrize("auth", ["controller", "podIdentity"])
def test_controller_identity_gets_one_env_scoped_role(auth: str) -> None:
    values = _values("alpha")
    values["store"] = {"kind": "ClusterSecretStore", "auth": auth}
    plan = render_stage(_config(values), "alpha")
    [role] = plan.roles
    assert plan.controller_role_key == role.key == "eso-controller"
    assert role.create_service_account is False
    assert role.identity == ("pod-identity" if auth == "podIdentity" else "irsa")
    assert [p.access for p in role.policies] == ["read", "push"]
    assert {p.prefix for p in role.policies} == {"secrets-iac/alpha"}
    assert all("auth" not in s["spec"]["provider"]["aws"] for s in plan.stores)


def test_static_keys_store_references_the_secret_in_the_eso_namespace() -> None:
    values = _values("alpha")
    values["store"] = {
        "kind": "ClusterSecretStore",
        "auth": "static",
        "staticKeys": {"secretName": "aws-keys"},
    }
    plan = render_stage(_config(values), "alpha")
    assert plan.roles == ()
    [store] = _by_kind(plan.stores, "ClusterSecretStore")
    assert store["spec"]["provider"]["aws"]["auth"]["secretRef"]["accessKeyIDSecretRef"] == {
        "name": "aws-keys",
        "key": "access-key-id",
        "namespace": "external-secrets",
    }


def test_find_grants_list_only_to_the_role_that_needs_it() -> None:
    values = copy.deepcopy(_values("gamma"))
    values["apps"][1]["find"] = {"path": "certs"}
    config = _config(values)
    plan = render_stage(config, "gamma")
    web = next(r for r in plan.roles if r.key == "web-reader")
    payments = next(r for r in plan.roles if r.key == "payments-reader")
    assert web.policies[0].find and not payments.policies[0].find
    web_es = next(es for es in plan.external_secrets if es["metadata"]["name"] == "web-secrets")
    # The name-prefix filter ends in "/", so web-other/... never matches.
    assert web_es["spec"]["dataFrom"] == [{"find": {"path": "secrets-iac/gamma/web/certs/"}}]
    sids = [s["Sid"] for s in policy_document(web.policies[0], plan, None)["Statement"]]
    assert "SecretsManagerFindSecrets" in sids


def test_policy_document_carries_the_stage_key() -> None:
    plan = render_stage(_config(_values("gamma")), "gamma")
    document = policy_document(
        PolicySpec("read-secrets", "read", "secrets-iac/gamma/web"), plan, plan.kms.key_arn
    )
    kms = [s for s in document["Statement"] if s["Sid"].startswith("Kms")]
    assert kms and kms[0]["Resource"] == plan.kms.key_arn


def test_webhook_rule_failures_name_the_stack_file() -> None:
    values = _values("alpha")
    values["apps"][1]["tls"]["targetName"] = "Web_TLS"  # only ESO's rules (DNS-1123 target name) refuse it
    with pytest.raises(UserError) as caught:
        render_stage_checked(_config(values), "alpha", source="stacks/Pulumi.alpha.yaml")
    assert str(caught.value).startswith("stacks/Pulumi.alpha.yaml: ExternalSecret web-dev/web-tls is invalid")
    assert "spec.target.name='Web_TLS'" in str(caught.value)


def test_role_names_carry_the_project() -> None:
    from tests.fixtures.stages import stage_values

    plan = render_stage(_config(stage_values(project="acme")), "qa")
    assert sorted(r.role_name for r in plan.roles) == [
        "acme-qa-billing-reader",
        "acme-qa-orders-pusher",
        "acme-qa-orders-reader",
    ]
    assert plan.kms.alias == "alias/acme-qa-secrets"
    assert plan.prefix == "acme/qa"
    other = render_stage(_config(stage_values()), "qa")
    assert not {r.role_name for r in plan.roles} & {r.role_name for r in other.roles}


def test_a_role_name_past_iam_limit_is_refused_naming_the_stack_file() -> None:
    from tests.fixtures.stages import stage_values

    config = _config(
        stage_values(project="a-very-long-project-name-for-the-platform-team", environment="integration")
    )
    with pytest.raises(UserError, match=r"^stacks/Pulumi.x.yaml: IAM role name .* longer than 64"):
        render_stage_checked(config, "x", source="stacks/Pulumi.x.yaml")


def test_pod_identity_role_trust_is_pinned_to_the_stage_cluster_and_controller() -> None:
    """Only the ESO controller's ServiceAccount on the stage's cluster, in the stage's account, may assume
    the Pod Identity role (moto does not evaluate trust conditions: the document is checked as data)."""
    from tests.fixtures.stages import ACCOUNT, stage_values

    values = stage_values(store={"kind": "ClusterSecretStore", "auth": "podIdentity"}, eso={"install": True})
    plan = render_stage(_config(values), "qa")
    [role] = plan.roles
    [statement] = role.trust_policy["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": ACCOUNT,
            "aws:RequestTag/eks-cluster-arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/fixture-eks",
            "aws:RequestTag/kubernetes-namespace": "external-secrets",
            "aws:RequestTag/kubernetes-service-account": "external-secrets",
        }
    }


def test_an_eks_cluster_name_that_is_not_one_is_refused() -> None:
    from tests.fixtures.stages import stage_values

    values = stage_values()
    values["cluster"]["name"] = "dev eks"
    with pytest.raises(UserError, match=r"secrets-iac:cluster\.name: 'dev eks' is not an EKS cluster name"):
        parse_stage_config(values, source="stacks/Pulumi.qa.yaml")
