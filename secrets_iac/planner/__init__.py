"""The stage planner: from a validated stage config to every decision and document of the stage.

Pure, so it runs before any resource: names (secrets, roles, the KMS alias), the KMS key, tags, the
partition, the store topology, every IAM policy and trust document and every ESO manifest. The Pulumi
layer (`components/`) only declares resources from a `StagePlan`; the sync reads the same plan. Building
the ESO manifests here means ESO's webhook rules fail at config load, not at deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secrets_iac import eso
from secrets_iac.config import AppConfig, KmsMode, StageConfig, StoreAuth, validate_stack_config
from secrets_iac.errors import UserError
from secrets_iac.naming import kms_alias, secret_name
from secrets_iac.planner.admission import admission_objects
from secrets_iac.planner.generators import generated_objects
from secrets_iac.planner.guards import deploy_target, protection_plan
from secrets_iac.planner.identities import (
    identity_role,
    policy_document,
    push_auth,
    role_arn,
    roles,
    store_role,
)
from secrets_iac.planner.manifests import (
    external_secrets,
    push_objects,
    push_store_name,
    push_tags,
    pusher_service_account,
)
from secrets_iac.planner.resource_names import check_one_declaration_per_object, eso_names, secret_names
from secrets_iac.planner.specs import (
    ClusterPlan,
    DeployTarget,
    EsoInstallPlan,
    KmsPlan,
    PolicySpec,
    Protection,
    ProtectionPlan,
    ResourceName,
    RoleSpec,
    RotationSpec,
    SecretSpec,
    ServiceAccountRef,
    StagePlan,
)
from secrets_iac.planner.stores import (
    ResolvedStore,
    read_store_manifest,
    resolve_stores,
    static_auth,
    store_for_app,
)
from secrets_iac.rules.aws import partition_for
from secrets_iac.rules.keys import NAMESPACE_TAG, standard_tags

__all__ = [
    "ClusterPlan",
    "DeployTarget",
    "EsoInstallPlan",
    "KmsPlan",
    "PolicySpec",
    "Protection",
    "ProtectionPlan",
    "ResourceName",
    "RoleSpec",
    "RotationSpec",
    "SecretSpec",
    "ServiceAccountRef",
    "StagePlan",
    "identity_role",
    "plan_stage",
    "policy_document",
    "render_stage",
    "render_stage_checked",
    "role_arn",
    "store_role",
]


def _kms(config: StageConfig, env: str, prefix: str) -> KmsPlan:
    return KmsPlan(
        mode=config.kms.mode,
        key_arn=config.kms.key_arn,
        alias=kms_alias(config.project, env) if config.kms.mode is KmsMode.CREATE else None,
        deletion_window_in_days=config.kms.deletion_window_in_days,
        description=f"Secrets Manager secrets of {prefix}",
    )


def _namespace_tag(app: AppConfig, store: ResolvedStore | None) -> dict[str, str]:
    """Behind a sessionTags store, the tag its reader matches against the session's esoNamespace."""
    return {NAMESPACE_TAG: app.namespace} if store is not None and store.by_session_tags else {}


def _push_auth(config: StageConfig, app: AppConfig, store: ResolvedStore | None) -> eso.AwsAuth:
    auth = push_auth(config, store)
    if auth is StoreAuth.IRSA:
        return eso.IrsaAuth(pusher_service_account(app))
    if auth is StoreAuth.STATIC:
        keys = store.static_keys if store is not None else config.store.static_keys
        assert keys is not None  # the config model requires it for static auth
        return static_auth(keys, None)
    return eso.ControllerIdentityAuth()


def render_stage(config: StageConfig, stack: str) -> StagePlan:
    """Everything the stage declares, decided from config alone; raises ValueError (EsoSpecError, a name
    past IAM's limit) on what the cloud or ESO's webhook would refuse later."""
    env = config.stage_name(stack)
    prefix = config.prefix(stack)
    kms = _kms(config, env, prefix)
    read_stores = resolve_stores(config)
    store_of = {app.name: store_for_app(read_stores, app) for app in config.apps}
    entries = [(app, s) for app in config.apps for s in app.secrets]
    secrets = tuple(
        SecretSpec(
            key=resource.name,
            name=secret_name(prefix, app.name, s.name),
            app=app.name,
            description=s.description,
            tags={**standard_tags(env, config.tags, app.name), **_namespace_tag(app, store_of[app.name])},
            rotation=RotationSpec(s.rotation.lambda_arn, s.rotation.schedule) if s.rotation else None,
            initial_value_config_key=s.initial_value_config_key,
            previous_key=resource.previous,
        )
        for (app, s), resource in zip(entries, secret_names(config), strict=True)
    )
    stores = [read_store_manifest(config, env, store) for store in read_stores]
    externals: list[dict[str, Any]] = []
    push_secrets: list[dict[str, Any]] = []
    generated_secrets: list[SecretSpec] = []
    generators: list[dict[str, Any]] = []
    for app in config.apps:
        store = store_of[app.name]
        if store is not None:
            externals.extend(external_secrets(app, env, prefix, store.ref))
        if app.pushes:
            abac_tag = _namespace_tag(app, store)
            push_store, *pushes = push_objects(
                config,
                app,
                env,
                prefix,
                kms.key_id,
                _push_auth(config, app, store),
                {**push_tags(env, app), **abac_tag},
            )
            stores.append(push_store)
            push_secrets.extend(pushes)
            generated = generated_objects(
                config,
                app,
                env,
                prefix,
                kms_key_id=kms.key_id,
                push_store=eso.StoreRef(push_store_name(config)),
                extra_tags=abac_tag,
            )
            generated_secrets.extend(generated.secrets)
            generators.extend(generated.generators)
            push_secrets.extend(generated.push_secrets)
    stage_roles, controller_key = roles(config, env, prefix, read_stores)
    admission = (
        admission_objects(config, env, prefix, read_stores, push_store_name(config))
        if config.admission.enabled
        else ()
    )
    eso_objects = (*stores, *externals, *push_secrets, *generators, *admission)
    check_one_declaration_per_object(config, eso_objects)
    eso_install = None
    if config.eso.install:
        eso_install = EsoInstallPlan(
            chart_version=config.eso.chart_version,
            namespace=config.eso.namespace,
            controller_service_account=config.eso.controller_service_account,
            annotate_controller=controller_key is not None
            and next(r for r in stage_roles if r.key == controller_key).identity == "irsa",
        )
    return StagePlan(
        project=config.project,
        environment=env,
        prefix=prefix,
        region=config.region,
        account_id=config.account_id,
        partition=partition_for(config.region),
        recovery_window_in_days=config.recovery_window_in_days,
        tags=standard_tags(env, config.tags),
        kms=kms,
        cluster=ClusterPlan(
            config.cluster.name, config.cluster.oidc_provider_arn, config.cluster.oidc_issuer_url
        ),
        eso_install=eso_install,
        secrets=secrets,
        roles=tuple(stage_roles),
        namespaces=tuple(sorted({app.namespace for app in config.apps if app.create_namespace})),
        stores=tuple(stores),
        external_secrets=tuple(externals),
        push_secrets=tuple(push_secrets),
        controller_role_key=controller_key,
        generated_secrets=tuple(generated_secrets),
        generators=tuple(generators),
        admission=tuple(admission),
        deploy_target=deploy_target(config),
        protection=protection_plan(config),
        eso_names=eso_names(eso_objects),
    )


def render_stage_checked(config: StageConfig, stack: str, *, source: str) -> StagePlan:
    """`render_stage` with what the cloud or ESO's webhook would refuse reported against the stack file."""
    try:
        return render_stage(config, stack)
    except ValueError as err:
        raise UserError(f"{source}: {err}") from None


def plan_stage(stack_config: Mapping[str, Any], stack: str, *, source: str) -> tuple[StageConfig, StagePlan]:
    """The one validation entry point of `pulumi up`, `plan` and `sync`: the stack's config (every
    namespace, `aws:region` included) validated, then the stage rendered; errors name `source`."""
    config = validate_stack_config(stack_config, source=source)
    return config, render_stage_checked(config, stack, source=source)
