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
from secrets_iac.eso.references import ObjectId, object_id, store_identity, store_refs
from secrets_iac.planner import PolicySpec, Protection, RoleSpec, StagePlan, policy_document, role_arn
from secrets_iac.rules.keys import MANAGED_BY, MANAGED_BY_LABEL


@dataclass
class SecretsStageArgs:
    plan: StagePlan
    """Every decision of the stage, from `secrets_iac.planner` (pure, run first so bad config fails
    before any resource)."""
    initial_values: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Opt-in seed values by config key, read with `Config.require_secret` (secret Outputs)."""


class SecretsStage(pulumi.ComponentResource):
    """KMS key, secrets, IAM roles with their ServiceAccounts, ESO (optionally) and ESO objects of a stage.

    Every resource goes through the stage's own providers (children of this component): the AWS one refuses
    credentials of another account, the Kubernetes one talks to the stage's cluster only. Each ESO object
    waits for exactly what it names (its namespace, its store, the store's identity, the ESO release), so the
    dependency graph grows linearly with the apps.
    """

    prefix: str
    kms_key_arn: pulumi.Output[str | None]
    secret_arns: dict[str, pulumi.Output[str]]
    role_arns: dict[str, pulumi.Output[str]]
    aws_provider: aws.Provider
    kubernetes_provider: k8s.Provider

    def __init__(self, name: str, args: SecretsStageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets-iac:stage:SecretsStage", name, None, opts)
        plan = args.plan
        self.prefix = plan.prefix
        target = plan.deploy_target
        self.aws_provider = aws.Provider(
            f"{name}-aws",
            region=target.region,
            allowed_account_ids=list(target.allowed_account_ids),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.kubernetes_provider = k8s.Provider(
            f"{name}-kubernetes",
            context=target.kube_context,
            kubeconfig=target.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self),
        )

        kms_key_id = self._kms(name, plan)

        namespaces: dict[str, pulumi.Resource] = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={MANAGED_BY_LABEL: MANAGED_BY}),
                opts=self._on(self.kubernetes_provider, plan.protection.namespaces),
            )
            for ns in plan.namespaces
        }

        self.secret_arns = {}
        generated_entries: dict[str, pulumi.Resource] = {}
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
                    protection=plan.protection.secrets,
                    previous_name=spec.previous_key,
                ),
                self._components(),
            )
            self.secret_arns[spec.name] = entry.arn
            if spec in plan.generated_secrets:
                generated_entries[spec.name] = entry

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

        self._eso_objects(plan, namespaces, roles, release, generated_entries)

        self.kms_key_arn = pulumi.Output.from_input(kms_key_id)
        self.register_outputs(
            {
                "prefix": self.prefix,
                "kmsKeyArn": self.kms_key_arn,
                "secretArns": self.secret_arns,
                "roleArns": self.role_arns,
            }
        )

    def _components(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        """Options of a child component: its resources use the stage's providers."""
        return pulumi.ResourceOptions(
            parent=self, providers=[self.aws_provider, self.kubernetes_provider], depends_on=depends_on
        )

    def _on(self, provider: pulumi.ProviderResource, kept: Protection) -> pulumi.ResourceOptions:
        """Options of a resource declared here, on `provider`, protected as the plan decides."""
        return pulumi.ResourceOptions(
            parent=self, provider=provider, protect=kept.protect, retain_on_delete=kept.retain_on_delete
        )

    def _eso_objects(
        self,
        plan: StagePlan,
        namespaces: Mapping[str, pulumi.Resource],
        roles: Mapping[str, IrsaRole],
        release: pulumi.Resource | None,
        generated_entries: Mapping[str, pulumi.Resource],
    ) -> None:
        """The admission policy, generators and stores, then ExternalSecrets and PushSecrets. Each waits for
        the CRDs (the release), its namespace and what it names: a store its identity (and the reader a
        session-tag store assumes), an ExternalSecret or PushSecret its stores (so PushSecrets, whose
        finalizers need the store, are deleted first) and the admission policy that checks it, a
        generated PushSecret its generator and the empty secret it fills. Nothing else: the graph grows
        like the apps."""
        crds: list[pulumi.Resource] = [release] if release is not None else []
        by_service_account = {
            (r.service_account.namespace, r.service_account.name): roles[r.key]
            for r in plan.roles
            if r.identity != "role-chain"
        }
        by_arn = {role_arn(plan, r): roles[r.key] for r in plan.roles}
        controller = roles.get(plan.controller_role_key) if plan.controller_role_key else None

        def in_namespace(oid: ObjectId) -> list[pulumi.Resource]:
            created = namespaces.get(oid.namespace) if oid.namespace else None
            return [created] if created is not None else []

        admission = [self._eso_object(plan, m, []) for m in plan.admission]
        generators = {
            object_id(m): self._eso_object(plan, m, [*crds, *in_namespace(object_id(m))])
            for m in plan.generators
        }
        stores: dict[ObjectId, pulumi.Resource] = {}
        for manifest in plan.stores:
            oid = object_id(manifest)
            identity = store_identity(manifest)
            needs = [*crds, *in_namespace(oid)]
            if identity.service_account in by_service_account:
                needs.extend(by_service_account[identity.service_account].ready)
            elif identity.controller and controller is not None:
                needs.extend(controller.ready)
            reader = manifest["spec"]["provider"]["aws"].get("role")
            if reader in by_arn:
                needs.extend(by_arn[reader].ready)
            stores[oid] = self._eso_object(plan, manifest, needs)
        for manifest in plan.external_secrets:
            oid = object_id(manifest)
            used = [stores[ref] for ref in store_refs(manifest) if ref in stores]
            self._eso_object(plan, manifest, [*crds, *in_namespace(oid), *used, *admission])
        for manifest in plan.push_secrets:
            oid = object_id(manifest)
            used = [stores[ref] for ref in store_refs(manifest) if ref in stores]
            generator = manifest["spec"]["selector"].get("generatorRef")
            fills: list[pulumi.Resource] = []
            if generator is not None:
                fills.append(generators[ObjectId(generator["kind"], oid.namespace, generator["name"])])
                fills.extend(
                    generated_entries[d["match"]["remoteRef"]["remoteKey"]]
                    for d in manifest["spec"]["data"]
                    if d["match"]["remoteRef"]["remoteKey"] in generated_entries
                )
            self._eso_object(plan, manifest, [*crds, *in_namespace(oid), *used, *admission, *fills])

    def _eso_object(
        self, plan: StagePlan, manifest: dict[str, Any], needs: list[pulumi.Resource]
    ) -> pulumi.Resource:
        resource = plan.eso_names[object_id(manifest)]
        return eso_component(
            resource.name, manifest, self._components(depends_on=needs), previous_name=resource.previous
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
            self._components(),
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
                protection=plan.protection.eso_release,
            ),
            self._components(),
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
            opts=self._on(self.aws_provider, plan.protection.kms_key),
        )
        aws.kms.Alias(
            f"{name}-kms-alias",
            name=plan.kms.alias,
            target_key_id=key.key_id,
            # ESO's push metadata names the key by this alias: kept like the key.
            opts=pulumi.ResourceOptions(
                parent=key,
                provider=self.aws_provider,
                protect=plan.protection.kms_key.protect,
                retain_on_delete=plan.protection.kms_key.retain_on_delete,
            ),
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
