"""SecretsStage: the top-level component declaring one stage (dev, staging, prod) from its stack config."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.eso_install import EsoInstall, EsoInstallArgs
from components.eso_resources import eso_component
from components.irsa_role import IrsaRole, IrsaRoleArgs
from components.secret_entry import SecretEntry, SecretEntryArgs
from secrets_iac.config import KmsMode
from secrets_iac.planner import PolicySpec, RoleSpec, StagePlan, policy_document
from secrets_iac.rules.keys import MANAGED_BY, MANAGED_BY_LABEL


@dataclass
class SecretsStageArgs:
    plan: StagePlan
    """Every decision of the stage, from `secrets_iac.planner` (pure, run first so bad config fails
    before any resource)."""
    initial_values: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Opt-in seed values by config key, read with `Config.require_secret` (secret Outputs)."""


def _manifest_key(manifest: dict[str, Any]) -> str:
    meta = manifest["metadata"]
    parts = [manifest["kind"].lower(), meta.get("namespace"), meta["name"]]
    return "-".join(p for p in parts if p)


class SecretsStage(pulumi.ComponentResource):
    """KMS key, secrets, IAM roles with their ServiceAccounts, ESO (optionally) and ESO objects of a stage."""

    prefix: str
    kms_key_arn: pulumi.Output[str | None]
    secret_arns: dict[str, pulumi.Output[str]]
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: SecretsStageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets-iac:stage:SecretsStage", name, None, opts)
        plan = args.plan
        self.prefix = plan.prefix

        kms_key_id = self._kms(name, plan)

        namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={MANAGED_BY_LABEL: MANAGED_BY}),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for ns in plan.namespaces
        }

        self.secret_arns = {}
        generated_entries: list[pulumi.Resource] = []
        for spec in (*plan.secrets, *plan.generated_secrets):
            initial = (
                args.initial_values.get(spec.initial_value_config_key)
                if spec.initial_value_config_key
                else None
            )
            entry = SecretEntry(
                spec.key,
                SecretEntryArgs(
                    name=spec.name,
                    tags=spec.tags,
                    recovery_window_in_days=plan.recovery_window_in_days,
                    kms_key_id=kms_key_id,
                    description=spec.description,
                    rotation=spec.rotation,
                    initial_value=initial,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            self.secret_arns[spec.name] = entry.arn
            if spec in plan.generated_secrets:
                generated_entries.append(entry)

        # The controller's role first: its ARN goes into the chart's values. Every other ServiceAccount
        # waits for its Namespace, and those in ESO's namespace for the release that creates it.
        roles: dict[str, IrsaRole] = {}
        for role in plan.roles:
            if role.key == plan.controller_role_key:
                roles[role.key] = self._irsa_role(role, plan, kms_key_id, [])
        release = (
            self._install_eso(name, plan, roles.get(plan.controller_role_key or ""))
            if plan.eso_install is not None
            else None
        )
        for role in plan.roles:
            if role.key in roles:
                continue
            waits_for: list[pulumi.Resource] = []
            if role.service_account.namespace in namespaces:
                waits_for.append(namespaces[role.service_account.namespace])
            eso_namespace = plan.eso_install.namespace if plan.eso_install else None
            if release is not None and role.service_account.namespace == eso_namespace:
                waits_for.append(release)
            roles[role.key] = self._irsa_role(
                role, plan, kms_key_id, waits_for, [roles[k] for k in role.waits_for_roles]
            )
        self.role_arns = {r.role_name: roles[r.key].role_arn for r in plan.roles}

        crd_dependencies: list[pulumi.Resource] = list(namespaces.values())
        if release is not None:
            crd_dependencies.append(release)
        # Stores before the objects that use them; PushSecrets (finalizers on stores) are deleted first.
        service_accounts: list[pulumi.Resource] = list(roles.values())
        store_components: list[pulumi.Resource] = [
            eso_component(
                _manifest_key(m),
                m,
                pulumi.ResourceOptions(parent=self, depends_on=crd_dependencies + service_accounts),
            )
            for m in plan.stores
        ]
        # The admission policy first, so the stage's own objects are checked by it; generators and the
        # generated secrets (created empty, tagged for ESO) before the PushSecrets that fill them.
        admission: list[pulumi.Resource] = [
            eso_component(_manifest_key(m), m, pulumi.ResourceOptions(parent=self)) for m in plan.admission
        ]
        generators: list[pulumi.Resource] = [
            eso_component(
                _manifest_key(m), m, pulumi.ResourceOptions(parent=self, depends_on=crd_dependencies)
            )
            for m in plan.generators
        ]
        for manifest in plan.external_secrets:
            eso_component(
                _manifest_key(manifest),
                manifest,
                pulumi.ResourceOptions(
                    parent=self, depends_on=crd_dependencies + store_components + admission
                ),
            )
        for manifest in plan.push_secrets:
            eso_component(
                _manifest_key(manifest),
                manifest,
                pulumi.ResourceOptions(
                    parent=self,
                    depends_on=crd_dependencies
                    + store_components
                    + admission
                    + generators
                    + generated_entries,
                ),
            )

        self.kms_key_arn = pulumi.Output.from_input(kms_key_id)
        self.register_outputs(
            {
                "prefix": self.prefix,
                "kmsKeyArn": self.kms_key_arn,
                "secretArns": self.secret_arns,
                "roleArns": self.role_arns,
            }
        )

    def _irsa_role(
        self,
        role: RoleSpec,
        plan: StagePlan,
        kms_key_id: pulumi.Input[str] | None,
        waits_for: list[pulumi.Resource],
        trusted_roles: list[IrsaRole] | None = None,
    ) -> IrsaRole:
        return IrsaRole(
            role.key,
            IrsaRoleArgs(
                role_name=role.role_name,
                service_account=role.service_account,
                trust_policy=role.trust_policy,
                policies={p.name: self._policy_json(p, plan, kms_key_id) for p in role.policies},
                tags=plan.tags,
                identity=role.identity,
                cluster_name=plan.cluster.name,
                create_service_account=role.create_service_account,
                k8s_depends_on=waits_for,
                role_depends_on=list(trusted_roles or []),
            ),
            pulumi.ResourceOptions(parent=self),
        )

    def _install_eso(self, name: str, plan: StagePlan, controller: IrsaRole | None) -> pulumi.Resource:
        """The chart; the controller's SA is annotated with its IRSA role when stores use that identity."""
        install = plan.eso_install
        assert install is not None
        eso = EsoInstall(
            f"{name}-eso",
            EsoInstallArgs(
                chart_version=install.chart_version,
                namespace=install.namespace,
                controller_service_account=install.controller_service_account,
                controller_role_arn=controller.role_arn
                if controller is not None and install.annotate_controller
                else None,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        return eso.release

    def _kms(self, name: str, plan: StagePlan) -> pulumi.Input[str] | None:
        """The stage's customer-managed key: created here, referenced, or None for aws/secretsmanager."""
        if plan.kms.mode is not KmsMode.CREATE:
            return plan.kms.key_arn
        key = aws.kms.Key(
            f"{name}-kms",
            description=plan.kms.description,
            deletion_window_in_days=plan.kms.deletion_window_in_days,
            enable_key_rotation=True,
            tags=plan.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(
            f"{name}-kms-alias",
            name=plan.kms.alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        return key.arn

    @staticmethod
    def _policy_json(
        spec: PolicySpec, plan: StagePlan, kms_key_id: pulumi.Input[str] | None
    ) -> pulumi.Input[str]:
        if kms_key_id is None or isinstance(kms_key_id, str):
            return json.dumps(policy_document(spec, plan, kms_key_id))
        return pulumi.Output.from_input(kms_key_id).apply(  # type: ignore[arg-type]
            lambda arn: json.dumps(policy_document(spec, plan, arn))
        )
