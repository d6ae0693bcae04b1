"""EsoInstall: the External Secrets Operator from its Helm chart, pinned, CRDs included."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from secrets_iac.planner import Protection
from secrets_iac.rules.keys import ROLE_ARN_ANNOTATION

CHART_REPO = "https://charts.external-secrets.io"


@dataclass
class EsoInstallArgs:
    chart_version: str
    """Pinned chart version; CRD API versions (v1, v1alpha1) depend on it."""
    namespace: str
    controller_service_account: str
    controller_role_arn: pulumi.Input[str] | None = None
    """IRSA role of the controller when stores use the controller's identity (no auth block)."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    protection: Protection | None = None
    """Uninstalling deletes the CRDs, and with them every ESO object and the Secrets they own."""


def eso_helm_values(
    controller_service_account: str, controller_role_arn: Any | None, extra: dict[str, Any]
) -> dict[str, Any]:
    """Chart values: CRDs installed, the controller SA named (and annotated for IRSA when asked)."""
    service_account: dict[str, Any] = {"create": True, "name": controller_service_account}
    if controller_role_arn is not None:
        service_account["annotations"] = {ROLE_ARN_ANNOTATION: controller_role_arn}
    return {
        "installCRDs": True,
        "serviceAccount": service_account,
        "webhook": {"create": True},
        "certController": {"create": True},
        **extra,
    }


class EsoInstall(pulumi.ComponentResource):
    """Everything that uses ESO's CRDs must depend on `release`, or the first `pulumi up` fails."""

    release: k8s.helm.v3.Release
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: EsoInstallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets-iac:k8s:EsoInstall", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="external-secrets",
            chart="external-secrets",
            version=args.chart_version,
            namespace=args.namespace,
            create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            values=eso_helm_values(
                args.controller_service_account, args.controller_role_arn, args.extra_values
            ),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protection.protect if args.protection else None,
                retain_on_delete=args.protection.retain_on_delete if args.protection else None,
            ),
        )
        self.namespace = self.release.status.namespace.apply(lambda ns: ns or args.namespace)
        self.register_outputs({"namespace": self.namespace, "chartVersion": args.chart_version})
