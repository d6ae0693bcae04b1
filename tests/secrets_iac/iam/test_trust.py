"""Unit tests of the trust policy builders."""

from __future__ import annotations

import copy
import json
from typing import Any

import parliament
import pytest

from secrets_iac.iam.trust import (
    POD_IDENTITY_SESSION_TAGS,
    irsa_trust_policy,
    oidc_issuer_host_path,
    pod_identity_trust_policy,
)

HOST_PATH = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ISSUER = f"https://{HOST_PATH}"
PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{HOST_PATH}"


def irsa(**overrides: str) -> dict[str, object]:
    args = {
        "oidc_provider_arn": PROVIDER,
        "issuer_url": ISSUER,
        "namespace": "external-secrets",
        "service_account": "eso-dev",
        **overrides,
    }
    return irsa_trust_policy(**args)


# -- oidc_issuer_host_path ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ISSUER, f"{ISSUER}/"])
def test_issuer_host_path(url: str) -> None:
    assert oidc_issuer_host_path(url) == HOST_PATH


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        HOST_PATH,
        f"http://{HOST_PATH}",
        f"HTTPS://{HOST_PATH}".replace("HTTPS", "ftp"),
        "https://",
        "https:///id/ABC",
        f"https://user@{HOST_PATH}",
        "https://oidc.example.com:8443/id/ABC",
        f"{ISSUER}?x=1",
        f"{ISSUER}#frag",
        f" {ISSUER}",
        "https://oidc.example.com//id",
    ],
)
def test_issuer_rejects_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match=r"^issuer_url: ") as excinfo:
        oidc_issuer_host_path(url)
    assert repr(url) in str(excinfo.value)


# -- irsa_trust_policy -------------------------------------------------------------------------------------


def test_irsa_trust_policy_exact() -> None:
    assert irsa() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EksIrsaServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{HOST_PATH}:sub": "system:serviceaccount:external-secrets:eso-dev",
                        f"{HOST_PATH}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def test_irsa_custom_audience_and_dotted_sa_name() -> None:
    doc = irsa(audience="my-audience", service_account="eso.dev-reader")
    condition = doc["Statement"][0]["Condition"]["StringEquals"]  # type: ignore[index]
    assert condition == {
        f"{HOST_PATH}:sub": "system:serviceaccount:external-secrets:eso.dev-reader",
        f"{HOST_PATH}:aud": "my-audience",
    }


def test_irsa_other_partition() -> None:
    provider = f"arn:aws-cn:iam::123456789012:oidc-provider/{HOST_PATH}"
    assert irsa(oidc_provider_arn=provider)["Statement"][0]["Principal"] == {"Federated": provider}  # type: ignore[index]


def test_irsa_rejects_provider_of_another_issuer_naming_both() -> None:
    other = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"
    with pytest.raises(ValueError, match=r"^oidc_provider_arn: ") as excinfo:
        irsa(oidc_provider_arn=other)
    message = str(excinfo.value)
    assert other in message and HOST_PATH in message


@pytest.mark.parametrize(
    "arn",
    [
        "",
        HOST_PATH,
        f"arn:aws:iam::12345678901:oidc-provider/{HOST_PATH}",
        f"arn:aws:iam::123456789012:saml-provider/{HOST_PATH}",
        f"arn:aws:iam::123456789012:oidc-provider/{HOST_PATH}/",
        f"arn:aws:iam::123456789012:oidc-provider/{HOST_PATH}extra",
    ],
)
def test_irsa_rejects_bad_provider_arn(arn: str) -> None:
    with pytest.raises(ValueError, match=r"^oidc_provider_arn: "):
        irsa(oidc_provider_arn=arn)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("namespace", ""),
        ("namespace", "External-Secrets"),
        ("namespace", "external_secrets"),
        ("namespace", "-eso"),
        ("namespace", "eso-"),
        ("namespace", "eso.dev"),  # namespaces are labels, no dots
        ("namespace", "a" * 64),
        ("namespace", "*"),
        ("service_account", ""),
        ("service_account", "ESO"),
        ("service_account", "eso_dev"),
        ("service_account", "eso..dev"),
        ("service_account", "eso*"),
        ("service_account", "system:serviceaccount"),
        ("service_account", "a" * 254),
        ("audience", ""),
        ("audience", "sts.*"),
        ("audience", " sts.amazonaws.com"),
    ],
)
def test_irsa_rejects_bad_names(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: ") as excinfo:
        irsa(**{field: value})
    assert repr(value) in str(excinfo.value)


def test_irsa_accepts_max_length_names() -> None:
    irsa(namespace="a" * 63, service_account=".".join(["b" * 63] * 3) + "." + "c" * 61)


# -- pod identity --------------------------------------------------------------------------------------


ACCOUNT = "123456789012"


def pod(**overrides: str) -> dict[str, Any]:
    args = {
        "region": "eu-west-1",
        "account_id": ACCOUNT,
        "cluster_name": "dev-eks",
        "namespace": "external-secrets",
        "service_account": "external-secrets",
        **overrides,
    }
    return pod_identity_trust_policy(**args)


def test_pod_identity_trust_policy_exact() -> None:
    """Pinned to one association: the stage's account (confused deputy), and the cluster, namespace and
    ServiceAccount through the session tags EKS Pod Identity always sends (EKS User Guide, "List of session
    tags added by EKS Pod Identity"). moto does not evaluate trust conditions: the document is the proof."""
    assert pod() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": ACCOUNT,
                        "aws:RequestTag/eks-cluster-arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/dev-eks",
                        "aws:RequestTag/kubernetes-namespace": "external-secrets",
                        "aws:RequestTag/kubernetes-service-account": "external-secrets",
                    }
                },
            }
        ],
    }


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_pod_identity_cluster_arn_follows_the_partition(region: str, partition: str) -> None:
    condition = pod(region=region)["Statement"][0]["Condition"]["StringEquals"]
    assert (
        condition["aws:RequestTag/eks-cluster-arn"]
        == f"arn:{partition}:eks:{region}:{ACCOUNT}:cluster/dev-eks"
    )


def test_pod_identity_conditions_are_exact_matches_on_every_session_tag() -> None:
    """StringEquals only (no wildcard can widen it), one value per key, and every tag the trust relies on."""
    [statement] = pod()["Statement"]
    assert set(statement["Condition"]) == {"StringEquals"}
    condition = statement["Condition"]["StringEquals"]
    assert {f"aws:RequestTag/{tag}" for tag in POD_IDENTITY_SESSION_TAGS} | {"aws:SourceAccount"} == set(
        condition
    )
    assert all(isinstance(v, str) and "*" not in v and "?" not in v for v in condition.values())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_id", "12345"),
        ("cluster_name", "-bad"),
        ("cluster_name", "dev*"),
        ("namespace", "Bad_NS"),
        ("namespace", "*"),
        ("service_account", "sa*"),
    ],
)
def test_pod_identity_refuses_names_that_could_widen_the_trust(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: "):
        pod(**{field: value})


# -- parliament ----------------------------------------------------------------------------------------


def test_parliament_does_not_apply_to_trust_policies() -> None:
    """parliament 1.6.4 audits identity policies only: it requires a Resource element (which IAM forbids
    in trust policies) and knows only SAML/Cognito/web federation, so it stops at MALFORMED and never looks
    at the trust conditions. Pinned so that a parliament that learns trust policies makes this test fail
    and the trust documents get gated like the identity ones. (Syntax of the trust documents is checked by
    moto's CreateRole in tests/aws.)"""
    irsa_issues = {
        (f.issue, str(f.detail)) for f in parliament.analyze_policy_string(json.dumps(irsa())).findings
    }
    assert irsa_issues == {
        ("UNKNOWN_FEDERATION_SOURCE", PROVIDER),
        ("MALFORMED", "Statement contains neither Resource nor NotResource"),
    }
    pod_issues = {
        (f.issue, str(f.detail)) for f in parliament.analyze_policy_string(json.dumps(pod())).findings
    }
    assert pod_issues == {("MALFORMED", "Statement contains neither Resource nor NotResource")}


def _as_identity_statement(trust: dict[str, Any]) -> dict[str, Any]:
    """The trust statement as parliament can audit it: the Principal dropped and the role as Resource."""
    document = copy.deepcopy(trust)
    for statement in document["Statement"]:
        del statement["Principal"]
        statement["Resource"] = f"arn:aws:iam::{ACCOUNT}:role/secrets-iac-dev-eso-controller"
    return document


def test_parliament_finds_nothing_in_the_pod_identity_conditions() -> None:
    """Every condition key is one IAM knows for sts:AssumeRole and sts:TagSession, read as an identity policy
    (parliament's only form); a misspelt key is a finding, so the check has teeth."""
    clean = parliament.analyze_policy_string(json.dumps(_as_identity_statement(pod()))).findings
    assert [(f.issue, f.detail) for f in clean] == []
    broken = _as_identity_statement(pod())
    broken["Statement"][0]["Condition"]["StringEquals"]["aws:RequestTags/kubernetes-namespace"] = "x"
    issues = {f.issue for f in parliament.analyze_policy_string(json.dumps(broken)).findings}
    assert issues == {"UNKNOWN_CONDITION_FOR_ACTION"}
