"""The stage's ESO objects: read stores, ExternalSecrets, push-only stores and PushSecrets."""

from __future__ import annotations

from typing import Any

from secrets_iac import eso
from secrets_iac.config import AppConfig, StageConfig, StoreAuth, StoreKind
from secrets_iac.naming import app_prefix, secret_name
from secrets_iac.rules.keys import APP_TAG, ENVIRONMENT_TAG, standard_labels


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


def pusher_service_account(app: AppConfig) -> str:
    return f"{app.name}-secrets-pusher"


def external_secrets(config: StageConfig, app: AppConfig, env: str, prefix: str) -> list[dict[str, Any]]:
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


def push_objects(
    config: StageConfig, app: AppConfig, env: str, prefix: str, kms_key_id: str | None
) -> list[dict[str, Any]]:
    """A push-only SecretStore in the app's namespace and one PushSecret per target."""
    store_name = f"{config.store.name}-push"
    if config.store.auth is StoreAuth.IRSA:
        auth: eso.AwsAuth = eso.IrsaAuth(pusher_service_account(app))
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


def read_stores(config: StageConfig, env: str) -> list[dict[str, Any]]:
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
