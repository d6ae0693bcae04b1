"""The apps' ESO objects: ExternalSecrets, push-only stores and PushSecrets (read stores: `stores`)."""

from __future__ import annotations

from typing import Any

from secrets_iac import eso
from secrets_iac.config import AppConfig, StageConfig
from secrets_iac.naming import app_prefix, secret_name
from secrets_iac.rules.keys import APP_TAG, ENVIRONMENT_TAG, standard_labels


def _meta(name: str, namespace: str | None, environment: str, app: str | None = None) -> eso.ObjectMeta:
    return eso.ObjectMeta(name=name, namespace=namespace, labels=standard_labels(environment, app))


def _provider(config: StageConfig, auth: eso.AwsAuth) -> eso.AwsSecretsManagerProvider:
    return eso.AwsSecretsManagerProvider(
        region=config.region, auth=auth, recovery_window_in_days=config.recovery_window_in_days
    )


def pusher_service_account(app: AppConfig) -> str:
    return f"{app.name}-secrets-pusher"


def external_secrets(app: AppConfig, env: str, prefix: str, store: eso.StoreRef) -> list[dict[str, Any]]:
    """The app's ExternalSecrets through its read store `store`: its secrets, find and generated
    credentials into `<app>-secrets`, and the TLS Secret."""
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
    data.extend(
        eso.ExternalSecretData(g.key, eso.RemoteRef(key=secret_name(prefix, app.name, g.name)))
        for g in app.generated
    )
    if app.find is not None:
        # `find.path` is a name-prefix filter: it ends in `/` so `<app>-other/...` never matches.
        path = f"{app_prefix(prefix, app.name)}/{app.find.path.strip('/')}".rstrip("/") + "/"
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
                    refresh_policy=app.refresh_policy,
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
                    refresh_policy=app.refresh_policy,
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


def push_store_name(config: StageConfig) -> str:
    return f"{config.store.name}-push"


def push_objects(
    config: StageConfig,
    app: AppConfig,
    env: str,
    prefix: str,
    kms_key_id: str | None,
    auth: eso.AwsAuth,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    """A push-only SecretStore in the app's namespace and one PushSecret per `push` target (`tags` on
    what they create; ESO adds managed-by itself)."""
    store_name = push_store_name(config)
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
                                tags=tags,
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


def push_tags(environment: str, app: AppConfig) -> dict[str, str]:
    """Tags ESO puts on what it pushes; it adds `managed-by: external-secrets` itself."""
    return {ENVIRONMENT_TAG: environment, APP_TAG: app.name}
