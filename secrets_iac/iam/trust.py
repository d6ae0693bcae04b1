"""IAM trust (assume-role) policy documents for the roles ESO uses on EKS.

Pure builders: plain data in, a plain ``dict`` out. No Pulumi, no AWS calls. Documents use
``Version: 2012-10-17`` and stable ``Sid``s, like :mod:`secrets_iac.iam.policies`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from secrets_iac.rules.aws import ACCOUNT_ID, EKS_CLUSTER_NAME, OIDC_PROVIDER_ARN, eks_cluster_arn
from secrets_iac.rules.k8s import is_dns1123_label, is_dns1123_subdomain

__all__ = [
    "DEFAULT_IRSA_AUDIENCE",
    "POD_IDENTITY_SESSION_TAGS",
    "irsa_trust_policy",
    "oidc_issuer_host_path",
    "pod_identity_trust_policy",
]

POLICY_VERSION = "2012-10-17"
#: Audience of the projected token when the SA has no ``eks.amazonaws.com/audience`` annotation.
DEFAULT_IRSA_AUDIENCE = "sts.amazonaws.com"


def oidc_issuer_host_path(issuer_url: str) -> str:
    """The issuer as IAM names it: ``https://oidc.eks.eu-west-1.amazonaws.com/id/ABC`` ->
    ``oidc.eks.eu-west-1.amazonaws.com/id/ABC``.

    IAM OIDC providers and the ``<issuer>:sub`` / ``<issuer>:aud`` condition keys use the issuer URL without
    the ``https://`` scheme and without a trailing ``/``. Only ``https`` issuers are valid for IAM.
    """
    if not issuer_url or not issuer_url.strip():
        raise ValueError(f"issuer_url: {issuer_url!r} must not be empty")
    if issuer_url != issuer_url.strip() or any(c.isspace() for c in issuer_url):
        raise ValueError(f"issuer_url: {issuer_url!r} must not contain whitespace")
    parts = urlsplit(issuer_url)
    if parts.scheme != "https":
        raise ValueError(f"issuer_url: {issuer_url!r} must be an https:// URL")
    if not parts.hostname or parts.username or parts.password or parts.port is not None:
        raise ValueError(
            f"issuer_url: {issuer_url!r} must be https://<host>[/<path>] (no user, password or port)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"issuer_url: {issuer_url!r} must not have a query or fragment")
    host_path = f"{parts.netloc}{parts.path}".rstrip("/")
    if "//" in host_path:
        raise ValueError(f"issuer_url: {issuer_url!r} has an empty path segment")
    return host_path


def _validate_dns1123_label(field: str, value: str) -> None:
    if not is_dns1123_label(value):
        raise ValueError(
            f"{field}: {value!r} is not a DNS-1123 label (lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )


def _validate_dns1123_subdomain(field: str, value: str) -> None:
    if not is_dns1123_subdomain(value):
        raise ValueError(
            f"{field}: {value!r} is not a DNS-1123 subdomain (dot-separated lowercase labels of letters, "
            "digits and '-', at most 253 characters)"
        )


def irsa_trust_policy(
    *,
    oidc_provider_arn: str,
    issuer_url: str,
    namespace: str,
    service_account: str,
    audience: str = DEFAULT_IRSA_AUDIENCE,
) -> dict[str, Any]:
    """Trust policy letting exactly one Kubernetes ServiceAccount assume the role through IRSA.

    * ``Principal.Federated`` = the cluster's IAM OIDC provider ARN,
      ``Action`` = ``sts:AssumeRoleWithWebIdentity``.
    * ``StringEquals`` on ``<issuer>:sub = system:serviceaccount:<namespace>:<service_account>`` (the SA ESO's
      ``auth.jwt.serviceAccountRef`` names, not the controller's own SA) and ``<issuer>:aud = <audience>``.
      ``StringEquals`` (not ``StringLike``) so no wildcard in the names can widen the trust.

    The provider ARN must end with ``oidc-provider/<issuer host/path>``: a provider of another cluster would
    make the role unusable (the ``sub``/``aud`` keys would name an issuer the provider never sees).
    ``namespace`` must be a DNS-1123 label and ``service_account`` a DNS-1123 subdomain (Kubernetes rules).
    """
    host_path = oidc_issuer_host_path(issuer_url)
    match = OIDC_PROVIDER_ARN.match(oidc_provider_arn)
    if match is None:
        raise ValueError(
            f"oidc_provider_arn: {oidc_provider_arn!r} is not an IAM OIDC provider ARN "
            "(arn:<partition>:iam::<12-digit account>:oidc-provider/<issuer host/path>)"
        )
    if match.group("issuer") != host_path:
        raise ValueError(
            f"oidc_provider_arn: {oidc_provider_arn!r} is for issuer {match.group('issuer')!r}, "
            f"but issuer_url {issuer_url!r} is {host_path!r}; they must name the same cluster issuer"
        )
    _validate_dns1123_label("namespace", namespace)
    _validate_dns1123_subdomain("service_account", service_account)
    if not audience or audience != audience.strip() or any(c in audience for c in "*?"):
        raise ValueError(f"audience: {audience!r} must be a non-empty literal (no spaces or wildcards)")
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "EksIrsaServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host_path}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{host_path}:aud": audience,
                    }
                },
            }
        ],
    }


POD_IDENTITY_SESSION_TAGS = ("eks-cluster-arn", "kubernetes-namespace", "kubernetes-service-account")
"""Session tags EKS Pod Identity adds to its AssumeRole (EKS User Guide, "List of session tags added by EKS
Pod Identity"); the trust pins each with `aws:RequestTag/<key>`."""


def pod_identity_trust_policy(
    *, region: str, account_id: str, cluster_name: str, namespace: str, service_account: str
) -> dict[str, Any]:
    """Trust policy for EKS Pod Identity, pinned to one association: the ``pods.eks.amazonaws.com`` service
    principal with ``sts:AssumeRole`` and ``sts:TagSession``, and ``StringEquals`` on

    * ``aws:SourceAccount`` = the stage's account (confused-deputy guard: a cluster of another account
      cannot use the role), and
    * the session tags the Pod Identity agent always sends: ``aws:RequestTag/eks-cluster-arn`` (cluster,
      region and account), ``aws:RequestTag/kubernetes-namespace`` and
      ``aws:RequestTag/kubernetes-service-account``.

    Without the conditions any Pod Identity association in the account could assume the role. The
    association must keep session tags on (``disableSessionTags`` false, the default), or the tags are absent
    and the trust denies.
    """
    if not ACCOUNT_ID.match(account_id):
        raise ValueError(f"account_id: {account_id!r} is not a 12-digit AWS account id")
    if not EKS_CLUSTER_NAME.match(cluster_name):
        raise ValueError(f"cluster_name: {cluster_name!r} is not an EKS cluster name")
    _validate_dns1123_label("namespace", namespace)
    _validate_dns1123_subdomain("service_account", service_account)
    cluster_arn, tag_namespace, tag_service_account = POD_IDENTITY_SESSION_TAGS
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": account_id,
                        f"aws:RequestTag/{cluster_arn}": eks_cluster_arn(region, account_id, cluster_name),
                        f"aws:RequestTag/{tag_namespace}": namespace,
                        f"aws:RequestTag/{tag_service_account}": service_account,
                    }
                },
            }
        ],
    }
