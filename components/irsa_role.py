"""IrsaRole: an IAM role a Kubernetes ServiceAccount assumes (IRSA or EKS Pod Identity), with its policies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from secrets_iac.planner import ServiceAccountRef
from secrets_iac.rules.keys import MANAGED_BY, MANAGED_BY_LABEL, ROLE_ARN_ANNOTATION


@dataclass
class IrsaRoleArgs:
    role_name: str
    """IAM role name (global per account: the planner puts project and stage in it)."""
    service_account: ServiceAccountRef
    """The ServiceAccount that assumes the role: for a store, the one it references, not the controller's."""
    trust_policy: Mapping[str, Any]
    """The trust document (`secrets_iac.iam.trust`): IRSA for exactly `service_account`, or Pod Identity."""
    policies: Mapping[str, pulumi.Input[str]]
    """Inline policy name -> policy JSON (built by `secrets_iac.iam.policies`)."""
    tags: dict[str, str]
    identity: Literal["irsa", "pod-identity", "role-chain"] = "irsa"
    """`role-chain`: assumed by another role (its trust names it); no ServiceAccount of its own."""
    cluster_name: str | None = None
    """Pod Identity: the EKS cluster of the association."""
    create_service_account: bool = True
    """False when something else (the ESO Helm chart) owns the ServiceAccount."""
    service_account_labels: dict[str, str] = field(default_factory=dict)
    k8s_depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Kubernetes resources the ServiceAccount waits for (its Namespace when this stack creates it)."""
    role_depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Resources the role waits for: the roles its trust names as principal (IAM refuses unknown ones)."""


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
            assume_role_policy=json.dumps(args.trust_policy),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.role_depends_on),
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
                    labels={MANAGED_BY_LABEL: MANAGED_BY, **args.service_account_labels},
                    annotations=annotations,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.k8s_depends_on),
            )
        self.role_arn = role.arn
        self.role_name = role.name
        self.service_account_name = sa.name
        self.service_account_namespace = sa.namespace
        self.register_outputs({"roleArn": self.role_arn, "roleName": self.role_name})
