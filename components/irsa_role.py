"""IrsaRole: an IAM role a Kubernetes ServiceAccount assumes (IRSA or EKS Pod Identity), with its policies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.trust import irsa_trust_policy, pod_identity_trust_policy

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str


@dataclass
class IrsaRoleArgs:
    role_name: str
    """IAM role name (global per account: include the stage)."""
    service_account: ServiceAccountRef
    """The ServiceAccount that assumes the role: for a store, the one it references, not the controller's."""
    policies: Mapping[str, pulumi.Input[str]]
    """Inline policy name -> policy JSON (built by components.policies)."""
    tags: dict[str, str]
    identity: Literal["irsa", "pod-identity"] = "irsa"
    oidc_provider_arn: str | None = None
    """IRSA: the cluster's IAM OIDC provider."""
    oidc_issuer_url: str | None = None
    """IRSA: the cluster's issuer URL (its host/path keys the sub and aud conditions)."""
    cluster_name: str | None = None
    """Pod Identity: the EKS cluster of the association."""
    create_service_account: bool = True
    """False when something else (the ESO Helm chart) owns the ServiceAccount."""
    service_account_labels: dict[str, str] = field(default_factory=dict)
    k8s_depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Kubernetes resources the ServiceAccount waits for (its Namespace when this stack creates it)."""


def trust_policy_for(args: IrsaRoleArgs) -> dict[str, object]:
    """The role's trust document: OIDC web identity for IRSA, the pods.eks service for Pod Identity."""
    if args.identity == "pod-identity":
        return pod_identity_trust_policy()
    if not args.oidc_provider_arn or not args.oidc_issuer_url:
        raise ValueError(f"{args.role_name}: IRSA needs oidc_provider_arn and oidc_issuer_url")
    return irsa_trust_policy(
        oidc_provider_arn=args.oidc_provider_arn,
        issuer_url=args.oidc_issuer_url,
        namespace=args.service_account.namespace,
        service_account=args.service_account.name,
    )


class IrsaRole(pulumi.ComponentResource):
    """Role, inline least-privilege policies, and the ServiceAccount bound to it."""

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    service_account_name: str
    service_account_namespace: str

    def __init__(self, name: str, args: IrsaRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets-iac:aws:IrsaRole", name, None, opts)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            assume_role_policy=json.dumps(trust_policy_for(args)),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy_name, document in args.policies.items():
            aws.iam.RolePolicy(
                f"{name}-{policy_name}",
                role=role.name,
                name=policy_name,
                policy=document,
                opts=pulumi.ResourceOptions(parent=role),
            )
        sa = args.service_account
        if args.identity == "pod-identity":
            if not args.cluster_name:
                raise ValueError(f"{args.role_name}: Pod Identity needs cluster_name")
            aws.eks.PodIdentityAssociation(
                f"{name}-association",
                cluster_name=args.cluster_name,
                namespace=sa.namespace,
                service_account=sa.name,
                role_arn=role.arn,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=role),
            )
        if args.create_service_account:
            annotations = {ROLE_ARN_ANNOTATION: role.arn} if args.identity == "irsa" else {}
            k8s.core.v1.ServiceAccount(
                f"{name}-sa",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=sa.name,
                    namespace=sa.namespace,
                    labels={"app.kubernetes.io/managed-by": "secrets-iac", **args.service_account_labels},
                    annotations=annotations,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.k8s_depends_on),
            )
        self.role_arn = role.arn
        self.role_name = role.name
        self.service_account_name = sa.name
        self.service_account_namespace = sa.namespace
        self.register_outputs({"roleArn": self.role_arn, "roleName": self.role_name})
