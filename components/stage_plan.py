"""From a validated stage config to every document the stage needs: pure, so it runs before any resource.

`render_stage` decides names, identities, policies and ESO manifests; `SecretsStage` only wires them into
resources. Building the ESO manifests here means ESO's webhook rules fail at config load, not at deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from components import eso_specs as eso
from components.irsa_role import ServiceAccountRef
from components.naming import app_prefix, iam_name, secret_name, standard_tags
from components.policies import SecretScope, push_policy, read_policy
from components.secret_entry import RotationArgs
from secrets_iac.config import AppConfig, KmsMode, StageConfig, StoreAuth, StoreKind
from secrets_iac.errors import UserError


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


@dataclass(frozen=True)
class SecretSpec:
    key: str
    name: str
    app: str
    description: str | None
    tags: dict[str, str]
    rotation: RotationArgs | None
    initial_value_config_key: str | None


@dataclass(frozen=True)
class StagePlan:
    environment: str
    prefix: str
    kms_alias: str | None
    secrets: tuple[SecretSpec, ...]
    roles: tuple[RoleSpec, ...]
    namespaces: tuple[str, ...]
    """Namespaces this stack creates."""
    stores: tuple[dict[str, Any], ...]
    external_secrets: tuple[dict[str, Any], ...]
    push_secrets: tuple[dict[str, Any], ...]
    controller_role_key: str | None
    """The role whose ARN annotates the ESO controller's ServiceAccount (controller identity)."""


def policy_document(spec: PolicySpec, config: StageConfig, kms_key_arn: str | None) -> dict[str, Any]:
    """The IAM document for `spec`; a key the stage creates has its ARN only at deploy time."""
    scope = SecretScope(
        region=config.region, account_id=config.account_id, prefix=spec.prefix, kms_key_arn=kms_key_arn
    )
    if spec.access == "read":
        return read_policy(scope, find=spec.find)
    return push_policy(scope)


def _meta(name: str, namespace: str | None, environment: str, app: str | None = None) -> eso.ObjectMeta:
    labels = {"secrets-iac/environment": environment}
    if app is not None:
        labels["secrets-iac/app"] = app
    return eso.ObjectMeta(name=name, namespace=namespace, labels=labels)


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
    config: StageConfig, app: AppConfig, env: str, prefix: str, kms_alias: str | None
) -> list[dict[str, Any]]:
    """A push-only SecretStore in the app's namespace and one PushSecret per target."""
    store_name = f"{config.store.name}-push"
    if config.store.auth is StoreAuth.IRSA:
        auth: eso.AwsAuth = eso.IrsaAuth(_pusher_service_account(app))
    elif config.store.auth is StoreAuth.STATIC:
        auth = _static_auth(config, None)
    else:
        auth = eso.ControllerIdentityAuth()
    kms_key_id = kms_alias if config.kms.mode is KmsMode.CREATE else config.kms.key_arn
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
                                tags={"environment": env, "app": app.name},
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


def _roles(config: StageConfig, env: str, prefix: str) -> tuple[list[RoleSpec], str | None]:
    auth = config.store.auth
    any_find = any(app.find is not None for app in config.apps)
    roles: list[RoleSpec] = []
    controller_key = None
    if auth in (StoreAuth.CONTROLLER, StoreAuth.POD_IDENTITY):
        policies = [PolicySpec("read-secrets", "read", prefix, any_find)]
        if any(app.push for app in config.apps):
            policies.append(PolicySpec("push-secrets", "push", prefix))
        controller_key = "eso-controller"
        roles.append(
            RoleSpec(
                key=controller_key,
                role_name=iam_name(env, "eso-controller"),
                service_account=ServiceAccountRef(
                    config.eso.namespace, config.eso.controller_service_account
                ),
                identity="pod-identity" if auth is StoreAuth.POD_IDENTITY else "irsa",
                create_service_account=False,  # the Helm chart owns the controller's ServiceAccount
                policies=tuple(policies),
            )
        )
    elif auth is StoreAuth.IRSA:
        if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
            roles.append(
                RoleSpec(
                    key="store-reader",
                    role_name=iam_name(env, "store-reader"),
                    service_account=ServiceAccountRef(config.eso.namespace, config.store.service_account),
                    identity="irsa",
                    create_service_account=True,
                    policies=(PolicySpec("read-secrets", "read", prefix, any_find),),
                )
            )
        for app in config.apps:
            if config.store.kind is StoreKind.SECRET_STORE and (app.secrets or app.find):
                assert app.service_account is not None
                roles.append(
                    RoleSpec(
                        key=f"{app.name}-reader",
                        role_name=iam_name(env, f"{app.name}-reader"),
                        service_account=ServiceAccountRef(app.namespace, app.service_account),
                        identity="irsa",
                        create_service_account=True,
                        policies=(
                            PolicySpec(
                                "read-secrets", "read", app_prefix(prefix, app.name), app.find is not None
                            ),
                        ),
                    )
                )
            if app.push:
                roles.append(
                    RoleSpec(
                        key=f"{app.name}-pusher",
                        role_name=iam_name(env, f"{app.name}-pusher"),
                        service_account=ServiceAccountRef(app.namespace, _pusher_service_account(app)),
                        identity="irsa",
                        create_service_account=True,
                        policies=(PolicySpec("push-secrets", "push", app_prefix(prefix, app.name)),),
                    )
                )
    return roles, controller_key


def render_stage(config: StageConfig, stack: str) -> StagePlan:
    """Everything the stage declares, decided from config alone; raises EsoSpecError on webhook-only rules."""
    env = config.stage_name(stack)
    prefix = config.prefix(stack)
    kms_alias = f"alias/{config.project}-{env}-secrets" if config.kms.mode is KmsMode.CREATE else None
    secrets = tuple(
        SecretSpec(
            key=f"{app.name}-{s.name.replace('/', '-')}",
            name=secret_name(prefix, app.name, s.name),
            app=app.name,
            description=s.description,
            tags=standard_tags(env, config.tags, app.name),
            rotation=RotationArgs(s.rotation.lambda_arn, s.rotation.schedule) if s.rotation else None,
            initial_value_config_key=s.initial_value_config_key,
        )
        for app in config.apps
        for s in app.secrets
    )
    stores: list[dict[str, Any]] = []
    if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
        namespaces = tuple(sorted({app.namespace for app in config.apps if app.secrets or app.find}))
        stores.append(
            eso.cluster_secret_store(
                eso.ClusterSecretStoreArgs(
                    metadata=_meta(config.store.name, None, env),
                    provider=_provider(config, _reader_auth(config, None)),
                    conditions=(eso.NamespaceCondition(namespaces=namespaces),),
                    refresh_interval=config.store.refresh_interval or None,
                )
            )
        )
    else:
        stores.extend(
            eso.secret_store(
                eso.SecretStoreArgs(
                    metadata=_meta(config.store.name, app.namespace, env, app.name),
                    provider=_provider(config, _reader_auth(config, app)),
                    refresh_interval=config.store.refresh_interval or None,
                )
            )
            for app in config.apps
            if app.secrets or app.find
        )
    external_secrets: list[dict[str, Any]] = []
    push_secrets: list[dict[str, Any]] = []
    for app in config.apps:
        external_secrets.extend(_external_secrets(config, app, env, prefix))
        if app.push:
            push_store, *pushes = _push(config, app, env, prefix, kms_alias)
            stores.append(push_store)
            push_secrets.extend(pushes)
    roles, controller_key = _roles(config, env, prefix)
    return StagePlan(
        environment=env,
        prefix=prefix,
        kms_alias=kms_alias,
        secrets=secrets,
        roles=tuple(roles),
        namespaces=tuple(sorted({app.namespace for app in config.apps if app.create_namespace})),
        stores=tuple(stores),
        external_secrets=tuple(external_secrets),
        push_secrets=tuple(push_secrets),
        controller_role_key=controller_key,
    )


def render_stage_checked(config: StageConfig, stack: str, *, source: str) -> StagePlan:
    """`render_stage` with ESO's webhook-only rule violations reported against the stack file."""
    try:
        return render_stage(config, stack)
    except ValueError as err:
        raise UserError(f"{source}: {err}") from None
