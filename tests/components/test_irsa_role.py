"""IrsaRole under the mock engine: trust names the referenced ServiceAccount; SA annotated; Pod Identity."""

from __future__ import annotations

import json

from components.irsa_role import IrsaRole, IrsaRoleArgs
from components.offline_plan import PlanRecorder
from secrets_iac.iam.trust import irsa_trust_policy, pod_identity_trust_policy
from secrets_iac.planner import ServiceAccountRef
from tests.components.conftest import ACCOUNT, declare

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})


def _args(**overrides: object) -> IrsaRoleArgs:
    values: dict[str, object] = {
        "role_name": "secrets-iac-dev-payments-reader",
        "service_account": ServiceAccountRef("payments", "payments-secrets"),
        "policies": {"read-secrets": POLICY},
        "tags": {"managed-by": "secrets-iac", "environment": "dev"},
        "trust_policy": irsa_trust_policy(
            oidc_provider_arn=PROVIDER,
            issuer_url=f"https://{ISSUER}",
            namespace="payments",
            service_account="payments-secrets",
        ),
    }
    values.update(overrides)
    return IrsaRoleArgs(**values)  # type: ignore[arg-type]


def test_irsa_role_trust_policy_and_service_account(recorder: PlanRecorder) -> None:
    declare(lambda: IrsaRole("payments-reader", _args()))
    [role] = recorder.of_type("aws:iam/role:Role")
    assert role.parent == "secrets-iac:aws:IrsaRole::payments-reader"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{ISSUER}:sub": "system:serviceaccount:payments:payments-secrets",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }
    [policy] = recorder.of_type("aws:iam/rolePolicy:RolePolicy")
    assert policy.parent == "aws:iam/role:Role::payments-reader-role"
    assert (policy.inputs["name"], policy.inputs["role"], policy.inputs["policy"]) == (
        "read-secrets",
        "secrets-iac-dev-payments-reader",
        POLICY,
    )
    [sa] = recorder.of_type("kubernetes:core/v1:ServiceAccount")
    assert sa.inputs["metadata"]["name"] == "payments-secrets"
    assert sa.inputs["metadata"]["namespace"] == "payments"
    assert sa.inputs["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-dev-payments-reader"
    }
    assert recorder.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") == []


def test_pod_identity_variant(recorder: PlanRecorder) -> None:
    declare(
        lambda: IrsaRole(
            "eso-controller",
            _args(
                identity="pod-identity",
                trust_policy=pod_identity_trust_policy(
                    region="eu-west-1",
                    account_id=ACCOUNT,
                    cluster_name="dev-eks",
                    namespace="external-secrets",
                    service_account="external-secrets",
                ),
                cluster_name="dev-eks",
                service_account=ServiceAccountRef("external-secrets", "external-secrets"),
                create_service_account=False,
            ),
        )
    )
    [role] = recorder.of_type("aws:iam/role:Role")
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    [association] = recorder.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs["clusterName"] == "dev-eks"
    assert association.inputs["namespace"] == "external-secrets"
    assert association.inputs["serviceAccount"] == "external-secrets"
    assert association.inputs["disableSessionTags"] is False  # the trust's conditions need the tags
    assert association.inputs["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-dev-payments-reader"
    assert recorder.of_type("kubernetes:core/v1:ServiceAccount") == []
