"""Who reads and pushes: the stage's IAM roles, their trust and their least-privilege policies."""

from __future__ import annotations

from typing import Any, Literal

from secrets_iac.config import StageConfig, StoreAuth, StoreKind
from secrets_iac.iam.policies import SecretScope, push_policy, read_policy
from secrets_iac.iam.trust import irsa_trust_policy, pod_identity_trust_policy
from secrets_iac.naming import app_prefix, iam_role_name
from secrets_iac.planner.manifests import pusher_service_account
from secrets_iac.planner.specs import PolicySpec, RoleSpec, ServiceAccountRef, StagePlan


def policy_document(spec: PolicySpec, plan: StagePlan, kms_key_arn: str | None) -> dict[str, Any]:
    """The IAM document for `spec`; a key the stage creates has its ARN only at deploy time."""
    scope = SecretScope(
        region=plan.region, account_id=plan.account_id, prefix=spec.prefix, kms_key_arn=kms_key_arn
    )
    if spec.access == "read":
        return read_policy(scope, find=spec.find)
    return push_policy(scope)


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
    )


def roles(config: StageConfig, env: str, prefix: str) -> tuple[list[RoleSpec], str | None]:
    auth = config.store.auth
    any_find = any(app.find is not None for app in config.apps)
    stage_roles: list[RoleSpec] = []
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
        stage_roles.append(controller)
    elif auth is StoreAuth.IRSA:
        if config.store.kind is StoreKind.CLUSTER_SECRET_STORE:
            stage_roles.append(
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
                stage_roles.append(
                    _role(
                        config,
                        env,
                        f"{app.name}-reader",
                        ServiceAccountRef(app.namespace, app.service_account),
                        (read,),
                    )
                )
            if app.push:
                stage_roles.append(
                    _role(
                        config,
                        env,
                        f"{app.name}-pusher",
                        ServiceAccountRef(app.namespace, pusher_service_account(app)),
                        (PolicySpec("push-secrets", "push", app_prefix(prefix, app.name)),),
                    )
                )
    return stage_roles, controller_key
