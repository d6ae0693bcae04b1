"""Who reads and pushes: the stage's IAM roles, their trust and their least-privilege policies.

One role per IRSA store, reading exactly what the apps it serves own (the stage prefix only when it
serves every app); a `sessionTags` store gets an IRSA identity and one reader assumed with ESO's session
tags. One pusher per app, writing exactly the names its PushSecrets push. Stores using the controller's
identity share the controller role, which reads the union of their apps' prefixes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from secrets_iac.config import AppConfig, StageConfig, StoreAuth
from secrets_iac.eso.references import store_identity
from secrets_iac.iam.abac import assume_reader_policy, namespace_tag_read_policy, session_tag_trust_policy
from secrets_iac.iam.policies import SecretScope, push_policy, read_policy
from secrets_iac.iam.trust import irsa_trust_policy, pod_identity_trust_policy
from secrets_iac.naming import app_prefix, iam_role_arn, iam_role_name, secret_name
from secrets_iac.planner.manifests import pusher_service_account
from secrets_iac.planner.specs import PolicySpec, RoleSpec, ServiceAccountRef, StagePlan
from secrets_iac.planner.stores import ResolvedStore, reader_role_arn, store_for_app
from secrets_iac.rules.aws import partition_for
from secrets_iac.rules.keys import NAMESPACE_TAG

Identity = Literal["irsa", "pod-identity", "role-chain"]


def policy_document(spec: PolicySpec, plan: StagePlan, kms_key_arn: str | None) -> dict[str, Any]:
    """The IAM document for `spec`; a key the stage creates has its ARN only at deploy time."""
    scope = SecretScope(
        region=plan.region, account_id=plan.account_id, prefix=spec.prefix, kms_key_arn=kms_key_arn
    )
    if spec.access == "read":
        return read_policy(scope, find=spec.find, prefixes=spec.prefixes or None)
    if spec.access == "read-by-namespace-tag":
        return namespace_tag_read_policy(scope, find=spec.find, prefixes=spec.prefixes or None)
    if spec.access == "assume-reader":
        assert spec.role_arn is not None
        return assume_reader_policy(spec.role_arn)
    if not spec.names:  # never widen to the prefix by accident
        raise ValueError(f"push policy {spec.name!r} names no secrets")
    return push_policy(scope, names=spec.names, request_tags=spec.request_tags)


def _role(
    config: StageConfig,
    env: str,
    purpose: str,
    service_account: ServiceAccountRef,
    policies: tuple[PolicySpec, ...],
    *,
    identity: Identity = "irsa",
    create_service_account: bool = True,
    trust: dict[str, Any] | None = None,
    waits_for_roles: tuple[str, ...] = (),
) -> RoleSpec:
    """A role named `<project>-<env>-<purpose>`, trusting exactly `service_account` (or `trust`)."""
    if trust is None:
        if identity == "pod-identity":
            trust = pod_identity_trust_policy(
                region=config.region,
                account_id=config.account_id,
                cluster_name=config.cluster.name,
                namespace=service_account.namespace,
                service_account=service_account.name,
            )
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
        waits_for_roles=waits_for_roles,
    )


def _push_names(prefix: str, apps: list[AppConfig]) -> tuple[str, ...]:
    """Exactly what the apps' PushSecrets write: their push targets and generated credentials."""
    return tuple(
        sorted(
            {secret_name(prefix, a.name, p.remote_name) for a in apps for p in a.push}
            | {secret_name(prefix, a.name, g.name) for a in apps for g in a.generated}
        )
    )


def _read_spec(config: StageConfig, prefix: str, store: ResolvedStore) -> PolicySpec:
    find = any(app.find is not None for app in store.apps)
    access: Literal["read", "read-by-namespace-tag"] = (
        "read-by-namespace-tag" if store.by_session_tags else "read"
    )
    if len(store.apps) == 1 and not store.by_session_tags:
        # A per-app role: its scope is the app's prefix (unchanged documents for per-app stores).
        return PolicySpec("read-secrets", access, app_prefix(prefix, store.apps[0].name), find)
    return PolicySpec("read-secrets", access, prefix, find, prefixes=store.prefixes(config, prefix))


def _store_roles(config: StageConfig, env: str, prefix: str, store: ResolvedStore) -> list[RoleSpec]:
    assert store.service_account is not None and store.reader_purpose is not None
    read = _read_spec(config, prefix, store)
    if not store.by_session_tags:
        return [_role(config, env, store.reader_purpose, store.service_account, (read,))]
    assert store.identity_purpose is not None
    reader_arn = reader_role_arn(config, env, store)
    identity = _role(
        config,
        env,
        store.identity_purpose,
        store.service_account,
        (PolicySpec("assume-reader", "assume-reader", prefix, role_arn=reader_arn),),
    )
    reader = _role(
        config,
        env,
        store.reader_purpose,
        store.service_account,
        (read,),
        identity="role-chain",
        create_service_account=False,
        trust=session_tag_trust_policy(
            identity_role_arn=iam_role_arn(
                partition_for(config.region), config.account_id, identity.role_name
            ),
            store_name=store.name,
            namespaces=store.namespaces,
        ),
        waits_for_roles=(identity.key,),
    )
    return [identity, reader]


def push_auth(config: StageConfig, store: ResolvedStore | None) -> StoreAuth:
    """A push store uses the auth of the app's read store, or the stage's default."""
    return store.auth if store is not None else config.store.auth


def roles(
    config: StageConfig, env: str, prefix: str, stores: tuple[ResolvedStore, ...]
) -> tuple[list[RoleSpec], str | None]:
    stage_roles: list[RoleSpec] = []
    controller_stores = [s for s in stores if s.auth in (StoreAuth.CONTROLLER, StoreAuth.POD_IDENTITY)]
    controller_pushers: list[AppConfig] = []
    for store in stores:
        if store.auth is StoreAuth.IRSA:
            stage_roles.extend(_store_roles(config, env, prefix, store))
    for app in config.apps:
        if not app.pushes:
            continue
        app_store = store_for_app(stores, app)
        auth = push_auth(config, app_store)
        if auth is StoreAuth.IRSA:
            request_tags = (
                {NAMESPACE_TAG: app.namespace} if app_store is not None and app_store.by_session_tags else {}
            )
            policy = PolicySpec(
                "push-secrets",
                "push",
                app_prefix(prefix, app.name),
                names=_push_names(prefix, [app]),
                request_tags=request_tags,
            )
            stage_roles.append(
                _role(
                    config,
                    env,
                    f"{app.name}-pusher",
                    ServiceAccountRef(app.namespace, pusher_service_account(app)),
                    (policy,),
                )
            )
        elif auth in (StoreAuth.CONTROLLER, StoreAuth.POD_IDENTITY):
            controller_pushers.append(app)
    controller_key = None
    if controller_stores or controller_pushers:
        kinds = {s.auth for s in controller_stores} | {
            push_auth(config, store_for_app(stores, a)) for a in controller_pushers
        }
        if len(kinds) > 1:
            raise ValueError(
                "stores use both controller and podIdentity auth: the ESO controller has one identity"
            )
        apps = sorted({a.name: a for s in controller_stores for a in s.apps}.values(), key=lambda a: a.name)
        policies = []
        if apps:
            every = {a.name for a in apps} == {a.name for a in config.apps}
            policies.append(
                PolicySpec(
                    "read-secrets",
                    "read",
                    prefix,
                    any(a.find is not None for a in apps),
                    prefixes=() if every else tuple(app_prefix(prefix, a.name) for a in apps),
                )
            )
        if controller_pushers:
            policies.append(
                PolicySpec("push-secrets", "push", prefix, names=_push_names(prefix, controller_pushers))
            )
        controller = _role(
            config,
            env,
            "eso-controller",
            ServiceAccountRef(config.eso.namespace, config.eso.controller_service_account),
            tuple(policies),
            identity="pod-identity" if StoreAuth.POD_IDENTITY in kinds else "irsa",
            create_service_account=False,  # the Helm chart owns the controller's ServiceAccount
        )
        controller_key = controller.key
        stage_roles.insert(0, controller)
    _refuse_clashes(stage_roles)
    return stage_roles, controller_key


def _refuse_clashes(stage_roles: list[RoleSpec]) -> None:
    """Two roles of one name, or two roles annotating one ServiceAccount, cannot both be deployed."""
    names: dict[str, str] = {}
    accounts: dict[tuple[str, str], str] = {}
    for role in stage_roles:
        if role.role_name in names:
            raise ValueError(
                f"IAM role name {role.role_name!r} is used twice ({names[role.role_name]} and {role.key}): "
                "rename a store or an app"
            )
        names[role.role_name] = role.key
        if role.create_service_account:
            sa = (role.service_account.namespace, role.service_account.name)
            if sa in accounts:
                raise ValueError(
                    f"ServiceAccount {sa[0]}/{sa[1]} would be bound to two roles ({accounts[sa]} and "
                    f"{role.key}): give each store or app its own serviceAccount"
                )
            accounts[sa] = role.key


def store_role(plan: StagePlan, store: Mapping[str, Any]) -> RoleSpec | None:
    """The role whose credentials read a store's secrets: the reader a `sessionTags` store assumes
    (`provider.aws.role`), else the role trusting its IRSA ServiceAccount, or the ESO controller's role
    for a store without an auth block; None for static keys."""
    reader = store["spec"]["provider"]["aws"].get("role")
    if reader:
        return next((r for r in plan.roles if role_arn(plan, r) == reader), None)
    return identity_role(plan, store)


def identity_role(plan: StagePlan, store: Mapping[str, Any]) -> RoleSpec | None:
    """The role of the identity a store authenticates as (`eso.references.store_identity`): the role
    bound to its ServiceAccount, or the controller's; None for static keys."""
    identity = store_identity(store)
    if identity.controller:
        return next((r for r in plan.roles if r.key == plan.controller_role_key), None)
    return next(
        (
            r
            for r in plan.roles
            if r.identity != "role-chain"
            and (r.service_account.namespace, r.service_account.name) == identity.service_account
        ),
        None,
    )


def role_arn(plan: StagePlan, role: RoleSpec) -> str:
    return iam_role_arn(plan.partition, plan.account_id, role.role_name)
