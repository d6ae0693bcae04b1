"""The stage's store topology: which store serves which apps, under which identity, and its manifest.

`resolve_stores` turns the shorthand `store:`, `stores[]` and `apps[].store` into one list of
`ResolvedStore`s: the shorthand ClusterSecretStore serving every app, a per-app SecretStore for each app
naming no store, and each `stores[]` entry with the apps naming it. Roles (`identities`), ExternalSecrets
(`manifests`) and the admission policy (`admission`) all read this one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secrets_iac import eso
from secrets_iac.config import (
    AppConfig,
    RetrySettingsConfig,
    StageConfig,
    StaticKeysRef,
    StoreAccess,
    StoreAuth,
    StoreConditionConfig,
    StoreKind,
)
from secrets_iac.naming import app_prefix, iam_role_arn, iam_role_name
from secrets_iac.planner.specs import ServiceAccountRef
from secrets_iac.rules.aws import partition_for
from secrets_iac.rules.keys import standard_labels

SHORTHAND_CLUSTER_READER = "store-reader"
"""Role purpose of the shorthand ClusterSecretStore's reader (`<project>-<env>-store-reader`)."""


@dataclass(frozen=True)
class ResolvedStore:
    """One read store of the stage and everything decided about it."""

    name: str
    kind: StoreKind
    auth: StoreAuth
    access: StoreAccess
    apps: tuple[AppConfig, ...]
    """The apps it serves (each reads through it)."""
    namespace: str | None
    """A SecretStore's namespace; None for a ClusterSecretStore."""
    service_account: ServiceAccountRef | None
    """The ServiceAccount of its IRSA identity (auth irsa)."""
    reader_purpose: str | None
    """Purpose of the role that reads (auth irsa): `<project>-<env>-<purpose>`."""
    identity_purpose: str | None
    """sessionTags: purpose of the IRSA role that assumes the reader with session tags."""
    conditions: tuple[StoreConditionConfig, ...]
    refresh_interval: int | str
    retry_settings: RetrySettingsConfig | None
    static_keys: StaticKeysRef | None

    @property
    def ref(self) -> eso.StoreRef:
        return eso.StoreRef(self.name, self.kind.value)

    @property
    def namespaces(self) -> tuple[str, ...]:
        return tuple(sorted({app.namespace for app in self.apps}))

    @property
    def by_session_tags(self) -> bool:
        return self.access is StoreAccess.SESSION_TAGS

    def serves_every_app(self, config: StageConfig) -> bool:
        """Its role may read the whole stage prefix only then (push-only apps included)."""
        return {a.name for a in self.apps} == {a.name for a in config.apps}

    def prefixes(self, config: StageConfig, prefix: str) -> tuple[str, ...]:
        """The served apps' prefixes; empty when the store serves every app (the stage prefix)."""
        if self.serves_every_app(config):
            return ()
        return tuple(sorted(app_prefix(prefix, app.name) for app in self.apps))


def _per_app(config: StageConfig, app: AppConfig) -> ResolvedStore:
    auth = config.store.auth
    return ResolvedStore(
        name=config.store.name,
        kind=StoreKind.SECRET_STORE,
        auth=auth,
        access=StoreAccess.ROLE,
        apps=(app,),
        namespace=app.namespace,
        service_account=(
            ServiceAccountRef(app.namespace, app.service_account)
            if auth is StoreAuth.IRSA and app.service_account
            else None
        ),
        reader_purpose=f"{app.name}-reader" if auth is StoreAuth.IRSA else None,
        identity_purpose=None,
        conditions=(),
        refresh_interval=config.store.refresh_interval,
        retry_settings=None,
        static_keys=config.store.static_keys,
    )


def resolve_stores(config: StageConfig) -> tuple[ResolvedStore, ...]:
    """Every read store of the stage, each with the apps it serves (only apps that read)."""
    readers = [app for app in config.apps if app.reads]
    if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
        auth = config.store.auth
        return (
            ResolvedStore(
                name=config.store.name,
                kind=StoreKind.CLUSTER_SECRET_STORE,
                auth=auth,
                access=StoreAccess.ROLE,
                apps=tuple(readers),
                namespace=None,
                service_account=(
                    ServiceAccountRef(config.eso.namespace, config.store.service_account)
                    if auth is StoreAuth.IRSA
                    else None
                ),
                reader_purpose=SHORTHAND_CLUSTER_READER if auth is StoreAuth.IRSA else None,
                identity_purpose=None,
                conditions=(),
                refresh_interval=config.store.refresh_interval,
                retry_settings=None,
                static_keys=config.store.static_keys,
            ),
        )
    stores = [_per_app(config, app) for app in readers if app.store is None]
    for definition in config.stores:
        apps = tuple(app for app in readers if app.store == definition.name)
        cluster = definition.kind is StoreKind.CLUSTER_SECRET_STORE
        namespace = None if cluster else apps[0].namespace
        irsa = definition.auth is StoreAuth.IRSA
        abac = definition.access is StoreAccess.SESSION_TAGS
        stores.append(
            ResolvedStore(
                name=definition.name,
                kind=definition.kind,
                auth=definition.auth,
                access=definition.access,
                apps=apps,
                namespace=namespace,
                service_account=(
                    ServiceAccountRef(
                        config.eso.namespace if cluster else apps[0].namespace,
                        definition.irsa_service_account,
                    )
                    if irsa
                    else None
                ),
                reader_purpose=f"{definition.name}-store-reader" if irsa else None,
                identity_purpose=f"{definition.name}-store-identity" if abac else None,
                conditions=definition.conditions,
                refresh_interval=definition.refresh_interval,
                retry_settings=definition.retry_settings,
                static_keys=definition.static_keys,
            )
        )
    _refuse_clashes(stores)
    return tuple(stores)


def _refuse_clashes(stores: list[ResolvedStore]) -> None:
    seen: dict[tuple[str, str | None, str], ResolvedStore] = {}
    for store in stores:
        key = (store.kind.value, store.namespace, store.name)
        if key in seen:
            other = seen[key]
            raise ValueError(
                f"apps {other.apps[0].name} and {store.apps[0].name} would both get a {store.kind.value} "
                f"named {store.name!r} in namespace {store.namespace}: declare one store for that namespace "
                "in stores[] and name it from both apps' store"
            )
        seen[key] = store


def store_for_app(stores: tuple[ResolvedStore, ...], app: AppConfig) -> ResolvedStore | None:
    """The read store serving `app` (None when it reads nothing)."""
    for store in stores:
        if any(served.name == app.name for served in store.apps):
            return store
    return None


def reader_role_arn(config: StageConfig, env: str, store: ResolvedStore) -> str:
    assert store.reader_purpose is not None
    return iam_role_arn(
        partition_for(config.region),
        config.account_id,
        iam_role_name(config.project, env, store.reader_purpose),
    )


def static_auth(keys: StaticKeysRef, namespace: str | None) -> eso.StaticKeysAuth:
    return eso.StaticKeysAuth(
        access_key_id=eso.SecretKeySelector(keys.secret_name, keys.access_key_id_key, namespace),
        secret_access_key=eso.SecretKeySelector(keys.secret_name, keys.secret_access_key_key, namespace),
    )


def store_auth(config: StageConfig, store: ResolvedStore) -> eso.AwsAuth:
    cluster = store.kind is StoreKind.CLUSTER_SECRET_STORE
    if store.auth is StoreAuth.STATIC:
        assert store.static_keys is not None  # the config model requires it for static auth
        return static_auth(store.static_keys, config.eso.namespace if cluster else None)
    if store.auth is not StoreAuth.IRSA:
        return eso.ControllerIdentityAuth()
    assert store.service_account is not None  # required by the config model for irsa stores
    # Named namespace on a ClusterSecretStore: without it ESO would look the SA up in every
    # ExternalSecret's namespace (referent auth).
    return eso.IrsaAuth(store.service_account.name, store.service_account.namespace if cluster else None)


def _condition(extra: StoreConditionConfig) -> eso.NamespaceCondition:
    selector = extra.namespace_selector
    return eso.NamespaceCondition(
        namespace_regexes=extra.namespace_regexes,
        namespace_selector=(
            eso.LabelSelector(
                match_labels=selector.match_labels,
                match_expressions=tuple(
                    eso.LabelSelectorRequirement(r.key, r.operator, r.values)
                    for r in selector.match_expressions
                ),
            )
            if selector is not None
            else None
        ),
    )


def read_store_manifest(config: StageConfig, env: str, store: ResolvedStore) -> dict[str, Any]:
    """The SecretStore or ClusterSecretStore; a ClusterSecretStore admits exactly its apps' namespaces
    (plus the extra conditions given)."""
    provider = eso.AwsSecretsManagerProvider(
        region=config.region,
        auth=store_auth(config, store),
        recovery_window_in_days=config.recovery_window_in_days,
        role=reader_role_arn(config, env, store) if store.by_session_tags else None,
        session_tags_policy="Simple" if store.by_session_tags else None,
    )
    retry = (
        eso.RetrySettings(store.retry_settings.max_retries, store.retry_settings.retry_interval)
        if store.retry_settings
        else None
    )
    refresh = store.refresh_interval or None
    if store.kind is StoreKind.CLUSTER_SECRET_STORE:
        return eso.cluster_secret_store(
            eso.ClusterSecretStoreArgs(
                metadata=eso.ObjectMeta(name=store.name, labels=standard_labels(env)),
                provider=provider,
                conditions=(
                    eso.NamespaceCondition(namespaces=store.namespaces),
                    *(_condition(c) for c in store.conditions),
                ),
                refresh_interval=refresh,
                retry_settings=retry,
            )
        )
    app = store.apps[0].name if len(store.apps) == 1 else None
    return eso.secret_store(
        eso.SecretStoreArgs(
            metadata=eso.ObjectMeta(
                name=store.name, namespace=store.namespace, labels=standard_labels(env, app)
            ),
            provider=provider,
            refresh_interval=refresh,
            retry_settings=retry,
        )
    )
