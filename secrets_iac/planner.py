"""The stage planner: from a validated stage config to every decision and document of the stage.

Pure, so it runs before any resource: names (secrets, roles, the KMS alias), the KMS key, tags, the
partition, the store topology, every IAM policy and trust document and every ESO manifest. The Pulumi
layer (`components/`) only declares resources from a `StagePlan`; the sync reads the same plan. Building
the ESO manifests here means ESO's webhook rules fail at config load, not at deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from secrets_iac import eso
from secrets_iac.config import AppConfig, KmsMode, StageConfig, StoreAuth, StoreKind, validate_stack_config
from secrets_iac.errors import UserError
from secrets_iac.iam.policies import SecretScope, push_policy, read_policy
from secrets_iac.iam.trust import irsa_trust_policy, pod_identity_trust_policy
from secrets_iac.naming import app_prefix, iam_role_name, kms_alias, secret_name
from secrets_iac.rules.aws import partition_for
from secrets_iac.rules.keys import APP_TAG, ENVIRONMENT_TAG, standard_labels, standard_tags


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str


@dataclass(frozen=True)
class RotationSpec:
    lambda_arn: str
    """ARN of the rotation Lambda the platform runs."""
    schedule: str
    """`rate(30 days)` or `cron(...)`."""


@dataclass(frozen=True)
class KmsPlan:
    """The stage's key, decided once: Pulumi, the push metadata and the sync all read it from here."""

    mode: KmsMode
    key_arn: str | None
    """The existing key (mode existing); a created key's ARN is known only at deploy time."""
    alias: str | None
    """`alias/<project>-<env>-secrets` (mode create)."""
    deletion_window_in_days: int
    description: str

    @property
    def key_id(self) -> str | None:
        """How ESO and the sync name the key when they create a secret; None keeps aws/secretsmanager."""
        return self.alias if self.mode is KmsMode.CREATE else self.key_arn


@dataclass(frozen=True)
class ClusterPlan:
    name: str
    oidc_provider_arn: str
    oidc_issuer_url: str


@dataclass(frozen=True)
class EsoInstallPlan:
    chart_version: str
    namespace: str
    controller_service_account: str
    annotate_controller: bool
    """The controller's SA carries the controller role's IRSA annotation (store auth `controller`)."""


@dataclass(frozen=True)
class PolicySpec:
    """One inline policy: which document builder, over which name prefix."""

    name: str
    access: Literal["read", "push"]
    prefix: str
    find: bool = False


@dataclass(frozen=True)
class RoleSpec:
    key: str
    """Logical name of the IrsaRole component."""
    role_name: str
    service_account: ServiceAccountRef
    identity: Literal["irsa", "pod-identity"]
    create_service_account: bool
    policies: tuple[PolicySpec, ...]
    trust_policy: dict[str, Any]


@dataclass(frozen=True)
class SecretSpec:
    key: str
    name: str
    app: str
    description: str | None
    tags: dict[str, str]
    rotation: RotationSpec | None
    initial_value_config_key: str | None


@dataclass(frozen=True)
class StagePlan:
    project: str
    environment: str
    prefix: str
    region: str
    account_id: str
    partition: str
    """`aws`, `aws-cn` or `aws-us-gov`, from the region."""
    recovery_window_in_days: int
    tags: dict[str, str]
    """Tags of the stage's own AWS resources (KMS key, roles)."""
    kms: KmsPlan
    cluster: ClusterPlan
    eso_install: EsoInstallPlan | None
    secrets: tuple[SecretSpec, ...]
    roles: tuple[RoleSpec, ...]
    namespaces: tuple[str, ...]
    """Namespaces this stack creates."""
    stores: tuple[dict[str, Any], ...]
    external_secrets: tuple[dict[str, Any], ...]
    push_secrets: tuple[dict[str, Any], ...]
    controller_role_key: str | None
    """The role whose ARN annotates the ESO controller's ServiceAccount (controller identity)."""


def policy_document(spec: PolicySpec, plan: StagePlan, kms_key_arn: str | None) -> dict[str, Any]:
    """The IAM document for `spec`; a key the stage creates has its ARN only at deploy time."""
    scope = SecretScope(
        region=plan.region, account_id=plan.account_id, prefix=spec.prefix, kms_key_arn=kms_key_arn
    )
    if spec.access == "read":
        return read_policy(scope, find=spec.find)
    return push_policy(scope)


def _meta(name: str, namespace: str | None, environment: str, app: str | None = None) -> eso.ObjectMeta:
    return eso.ObjectMeta(name=name, namespace=namespace, labels=standard_labels(environment, app))


def _provider(config: StageConfig, auth: eso.AwsAuth) -> eso.AwsSecretsManagerProvider:
    return eso.AwsSecretsManagerProvider(
        region=config.region, auth=auth, recovery_window_in_days=config.recovery_window_in_days
    )


def _static_auth(config: StageConfig, namespace: str | None) -> eso.StaticKeysAuth:
    keys = config.store.static_keys
    assert keys is not None  # the config model requires it for static auth
    return eso.StaticKeysAuth(
        access_key_id=eso.SecretKeySelector(keys.secret_name, keys.access_key_id_key, namespace),
        secret_access_key=eso.SecretKeySelector(keys.secret_name, keys.secret_access_key_key, namespace),
    )


def _reader_auth(config: StageConfig, app: AppConfig | None) -> eso.AwsAuth:
    """Auth of the read store: `app` is None for the stage's ClusterSecretStore."""
    auth = config.store.auth
    if auth is StoreAuth.STATIC:
        return _static_auth(config, config.eso.namespace if app is None else None)
    if auth is not StoreAuth.IRSA:
        return eso.ControllerIdentityAuth()
    if app is None:
        # Named namespace: without it ESO would look the SA up in every ExternalSecret's namespace.
        return eso.IrsaAuth(config.store.service_account, config.eso.namespace)
    assert app.service_account is not None  # required by the config model for per-app irsa stores
    return eso.IrsaAuth(app.service_account)


def _pusher_service_account(app: AppConfig) -> str:
    return f"{app.name}-secrets-pusher"


def _external_secrets(config: StageConfig, app: AppConfig, env: str, prefix: str) -> list[dict[str, Any]]:
    if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
        store = eso.StoreRef(config.store.name, "ClusterSecretStore")
    else:
        store = eso.StoreRef(config.store.name, "SecretStore")
    tls_secret = app.tls.secret if app.tls else None
    data: list[eso.ExternalSecretData] = []
    data_from: list[eso.DataFrom] = []
    for secret in app.secrets:
        if secret.name == tls_secret:
            continue
        key = secret_name(prefix, app.name, secret.name)
        if secret.keys:
            data.extend(
                eso.ExternalSecretData(
                    k.secret_key, eso.RemoteRef(key=key, property=k.property, version=k.version)
                )
                for k in secret.keys
            )
        else:
            data_from.append(eso.DataFromExtract(eso.RemoteRef(key=key)))
    if app.find is not None:
        path = "/".join(p for p in (app_prefix(prefix, app.name), app.find.path.strip("/")) if p)
        data_from.append(eso.DataFromFind(path=path, tags=app.find.tags))
    target = eso.TargetArgs(
        name=app.target_name or f"{app.name}-secrets",
        creation_policy=app.creation_policy,
        deletion_policy=app.deletion_policy,
    )
    manifests = []
    if data or data_from:
        manifests.append(
            eso.external_secret(
                eso.ExternalSecretArgs(
                    metadata=_meta(f"{app.name}-secrets", app.namespace, env, app.name),
                    secret_store_ref=store,
                    data=tuple(data),
                    data_from=tuple(data_from),
                    refresh_interval=app.refresh_interval,
                    target=target,
                )
            )
        )
    if app.tls is not None:
        key = secret_name(prefix, app.name, app.tls.secret)
        manifests.append(
            eso.external_secret(
                eso.ExternalSecretArgs(
                    metadata=_meta(f"{app.name}-tls", app.namespace, env, app.name),
                    secret_store_ref=store,
                    data=(
                        eso.ExternalSecretData(
                            "tls.crt", eso.RemoteRef(key=key, property=app.tls.cert_property)
                        ),
                        eso.ExternalSecretData(
                            "tls.key", eso.RemoteRef(key=key, property=app.tls.key_property)
                        ),
                    ),
                    refresh_interval=app.refresh_interval,
                    target=eso.TargetArgs(
                        name=app.tls.target_name or f"{app.name}-tls",
                        creation_policy=app.creation_policy,
                        deletion_policy=app.deletion_policy,
                        template=eso.TlsTemplate(cert_key="tls.crt", private_key_key="tls.key"),
                    ),
                )
            )
        )
    return manifests


def _push(
    config: StageConfig, app: AppConfig, env: str, prefix: str, kms_key_id: str | None
) -> list[dict[str, Any]]:
    """A push-only SecretStore in the app's namespace and one PushSecret per target."""
    store_name = f"{config.store.name}-push"
    if config.store.auth is StoreAuth.IRSA:
        auth: eso.AwsAuth = eso.IrsaAuth(_pusher_service_account(app))
    elif config.store.auth is StoreAuth.STATIC:
        auth = _static_auth(config, None)
    else:
        auth = eso.ControllerIdentityAuth()
    manifests = [
        eso.secret_store(
            eso.SecretStoreArgs(_meta(store_name, app.namespace, env, app.name), _provider(config, auth))
        )
    ]
    for target in app.push:
        manifests.append(
            eso.push_secret(
                eso.PushSecretArgs(
                    metadata=_meta(f"{app.name}-push-{target.secret_name}", app.namespace, env, app.name),
                    secret_name=target.secret_name,
                    secret_store_refs=(eso.StoreRef(store_name, "SecretStore"),),
                    data=(
                        eso.PushSecretData(
                            remote_key=secret_name(prefix, app.name, target.remote_name),
                            secret_key=target.secret_key,
                            metadata=eso.PushSecretMetadata(
                                secret_push_format="string",
                                kms_key_id=kms_key_id,
                                description=f"Pushed by ESO from {app.namespace}/{target.secret_name}",
                                tags=_push_tags(env, app.name),
                            ),
                        ),
                    ),
                    refresh_interval=app.refresh_interval,
                    update_policy=target.update_policy,
                    deletion_policy=target.deletion_policy,
                )
            )
        )
    return manifests


def _push_tags(environment: str, app: str) -> dict[str, str]:
    """Tags ESO puts on what it pushes; it adds `managed-by: external-secrets` itself."""
    return {ENVIRONMENT_TAG: environment, APP_TAG: app}


def _role(
    config: StageConfig,
    env: str,
    purpose: str,
    service_account: ServiceAccountRef,
    policies: tuple[PolicySpec, ...],
    *,
    identity: Literal["irsa", "pod-identity"] = "irsa",
    create_service_account: bool = True,
) -> RoleSpec:
    """A role named `<project>-<env>-<purpose>`, trusting exactly `service_account`."""
    if identity == "pod-identity":
        trust = pod_identity_trust_policy()
    else:
        trust = irsa_trust_policy(
            oidc_provider_arn=config.cluster.oidc_provider_arn,
            issuer_url=config.cluster.oidc_issuer_url,
            namespace=service_account.namespace,
            service_account=service_account.name,
        )
    return RoleSpec(
        key=purpose,
        role_name=iam_role_name(config.project, env, purpose),
        service_account=service_account,
        identity=identity,
        create_service_account=create_service_account,
        policies=policies,
        trust_policy=trust,
    )


def _roles(config: StageConfig, env: str, prefix: str) -> tuple[list[RoleSpec], str | None]:
    auth = config.store.auth
    any_find = any(app.find is not None for app in config.apps)
    roles: list[RoleSpec] = []
    controller_key = None
    if auth in (StoreAuth.CONTROLLER, StoreAuth.POD_IDENTITY):
        policies = [PolicySpec("read-secrets", "read", prefix, any_find)]
        if any(app.push for app in config.apps):
            policies.append(PolicySpec("push-secrets", "push", prefix))
        controller = _role(
            config,
            env,
            "eso-controller",
            ServiceAccountRef(config.eso.namespace, config.eso.controller_service_account),
            tuple(policies),
            identity="pod-identity" if auth is StoreAuth.POD_IDENTITY else "irsa",
            create_service_account=False,  # the Helm chart owns the controller's ServiceAccount
        )
        controller_key = controller.key
        roles.append(controller)
    elif auth is StoreAuth.IRSA:
        if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
            roles.append(
                _role(
                    config,
                    env,
                    "store-reader",
                    ServiceAccountRef(config.eso.namespace, config.store.service_account),
                    (PolicySpec("read-secrets", "read", prefix, any_find),),
                )
            )
        for app in config.apps:
            if config.store.kind is StoreKind.SECRET_STORE and (app.secrets or app.find):
                assert app.service_account is not None
                read = PolicySpec("read-secrets", "read", app_prefix(prefix, app.name), app.find is not None)
                roles.append(
                    _role(
                        config,
                        env,
                        f"{app.name}-reader",
                        ServiceAccountRef(app.namespace, app.service_account),
                        (read,),
                    )
                )
            if app.push:
                roles.append(
                    _role(
                        config,
                        env,
                        f"{app.name}-pusher",
                        ServiceAccountRef(app.namespace, _pusher_service_account(app)),
                        (PolicySpec("push-secrets", "push", app_prefix(prefix, app.name)),),
                    )
                )
    return roles, controller_key


def _kms(config: StageConfig, env: str, prefix: str) -> KmsPlan:
    return KmsPlan(
        mode=config.kms.mode,
        key_arn=config.kms.key_arn,
        alias=kms_alias(config.project, env) if config.kms.mode is KmsMode.CREATE else None,
        deletion_window_in_days=config.kms.deletion_window_in_days,
        description=f"Secrets Manager secrets of {prefix}",
    )


def _stores(config: StageConfig, env: str) -> list[dict[str, Any]]:
    """The read stores: one ClusterSecretStore for the stage, or a SecretStore per app namespace."""
    if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
        namespaces = tuple(sorted({app.namespace for app in config.apps if app.secrets or app.find}))
        return [
            eso.cluster_secret_store(
                eso.ClusterSecretStoreArgs(
                    metadata=_meta(config.store.name, None, env),
                    provider=_provider(config, _reader_auth(config, None)),
                    conditions=(eso.NamespaceCondition(namespaces=namespaces),),
                    refresh_interval=config.store.refresh_interval or None,
                )
            )
        ]
    return [
        eso.secret_store(
            eso.SecretStoreArgs(
                metadata=_meta(config.store.name, app.namespace, env, app.name),
                provider=_provider(config, _reader_auth(config, app)),
                refresh_interval=config.store.refresh_interval or None,
            )
        )
        for app in config.apps
        if app.secrets or app.find
    ]


def render_stage(config: StageConfig, stack: str) -> StagePlan:
    """Everything the stage declares, decided from config alone; raises ValueError (EsoSpecError, a name
    past IAM's limit) on what the cloud or ESO's webhook would refuse later."""
    env = config.stage_name(stack)
    prefix = config.prefix(stack)
    kms = _kms(config, env, prefix)
    secrets = tuple(
        SecretSpec(
            key=f"{app.name}-{s.name.replace('/', '-')}",
            name=secret_name(prefix, app.name, s.name),
            app=app.name,
            description=s.description,
            tags=standard_tags(env, config.tags, app.name),
            rotation=RotationSpec(s.rotation.lambda_arn, s.rotation.schedule) if s.rotation else None,
            initial_value_config_key=s.initial_value_config_key,
        )
        for app in config.apps
        for s in app.secrets
    )
    stores = _stores(config, env)
    external_secrets: list[dict[str, Any]] = []
    push_secrets: list[dict[str, Any]] = []
    for app in config.apps:
        external_secrets.extend(_external_secrets(config, app, env, prefix))
        if app.push:
            push_store, *pushes = _push(config, app, env, prefix, kms.key_id)
            stores.append(push_store)
            push_secrets.extend(pushes)
    roles, controller_key = _roles(config, env, prefix)
    eso_install = None
    if config.eso.install:
        eso_install = EsoInstallPlan(
            chart_version=config.eso.chart_version,
            namespace=config.eso.namespace,
            controller_service_account=config.eso.controller_service_account,
            annotate_controller=controller_key is not None and config.store.auth is StoreAuth.CONTROLLER,
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
        roles=tuple(roles),
        namespaces=tuple(sorted({app.namespace for app in config.apps if app.create_namespace})),
        stores=tuple(stores),
        external_secrets=tuple(external_secrets),
        push_secrets=tuple(push_secrets),
        controller_role_key=controller_key,
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
