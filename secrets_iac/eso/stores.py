"""``SecretStore`` and ``ClusterSecretStore`` (``external-secrets.io/v1``) over AWS Secrets Manager.

ESO's ``secretstore_types.go``/``secretstore_aws_types.go`` with the checks its webhook and AWS provider
apply: SA and Secret namespaces that differ between the two kinds, anchored namespace regexes, the
recovery window, intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from secrets_iac.eso.common import (
    ESO_API_VERSION,
    KIND_CLUSTER_SECRET_STORE,
    KIND_SECRET_STORE,
    LabelSelector,
    ObjectMeta,
    Problems,
    check_duration,
    check_enum,
    check_label_selector,
    check_metadata,
    check_name,
    check_namespace,
    manifest,
    prune,
    render_label_selector,
    render_metadata,
)
from secrets_iac.rules.aws import IAM_ROLE_ARN, is_region
from secrets_iac.rules.eso import anchoring_problem, go_regexp_problem, recovery_window_problem
from secrets_iac.rules.k8s import is_secret_key

AWS_SERVICE_SECRETS_MANAGER: Final = "SecretsManager"
SessionTagsPolicy: TypeAlias = Literal["None", "Simple"]


@dataclass(frozen=True)
class IrsaAuth:
    """``auth.jwt.serviceAccountRef``: ESO mints a token for this ServiceAccount (IRSA).

    The ServiceAccount needs the ``eks.amazonaws.com/role-arn`` annotation; the role's trust policy
    must name ``system:serviceaccount:<namespace>:<name>`` of *this* SA, not the controller's.
    """

    service_account_name: str
    """``serviceAccountRef.name``: the annotated ServiceAccount."""
    service_account_namespace: str | None = None
    """``serviceAccountRef.namespace``. SecretStore: omit or use the store's namespace.
    ClusterSecretStore: required."""


@dataclass(frozen=True)
class SecretKeySelector:
    """A key in a Kubernetes Secret (``{name, key, namespace?}``)."""

    name: str
    """Secret name."""
    key: str
    """Key inside the Secret's data."""
    namespace: str | None = None
    """Secret namespace; same rules as ``IrsaAuth.service_account_namespace``."""


@dataclass(frozen=True)
class StaticKeysAuth:
    """``auth.secretRef``: long-lived IAM user keys from a Kubernetes Secret. Discouraged; prefer IRSA."""

    access_key_id: SecretKeySelector
    """``accessKeyIDSecretRef``."""
    secret_access_key: SecretKeySelector
    """``secretAccessKeySecretRef``."""


@dataclass(frozen=True)
class ControllerIdentityAuth:
    """No ``auth`` block: the AWS SDK default chain of the ESO controller pod (IRSA or EKS Pod Identity)."""


AwsAuth: TypeAlias = IrsaAuth | StaticKeysAuth | ControllerIdentityAuth


@dataclass(frozen=True)
class RetrySettings:
    """``spec.retrySettings``: how the AWS provider retries failed calls."""

    max_retries: int | None = None
    """``maxRetries`` (int32, >= 0). ESO's AWS default is 3 attempts."""
    retry_interval: str | None = None
    """``retryInterval``: Go duration between attempts, e.g. ``"10s"``."""


@dataclass(frozen=True)
class AwsSecretsManagerProvider:
    """``spec.provider.aws`` with ``service: SecretsManager``."""

    region: str
    """AWS region, e.g. ``eu-west-1`` (required)."""
    auth: AwsAuth = field(default_factory=ControllerIdentityAuth)
    """How ESO gets base credentials: ``IrsaAuth``, ``StaticKeysAuth`` or ``ControllerIdentityAuth``."""
    role: str | None = None
    """IAM role ARN ESO assumes *after* getting base credentials. Do not set it to the IRSA role itself."""
    recovery_window_in_days: int | None = None
    """``secretsManager.recoveryWindowInDays`` (7-30) used when a PushSecret deletes a secret."""
    session_tags_policy: SessionTagsPolicy | None = None
    """``Simple`` (ESO >= v2.5): assume ``role`` with the session tags ``esoNamespace`` (the
    ExternalSecret's namespace), ``esoStoreName``, ``esoStoreKind``; needs ``role``."""


@dataclass(frozen=True)
class SecretStoreArgs:
    """A namespaced ``SecretStore``: usable only by ExternalSecrets/PushSecrets in its namespace."""

    metadata: ObjectMeta
    """Name and (required) namespace of the store."""
    provider: AwsSecretsManagerProvider
    """The AWS Secrets Manager provider."""
    refresh_interval: int | str | None = None
    """``spec.refreshInterval``: seconds (int >= 0) or a Go duration; unset or 0 = controller default."""
    retry_settings: RetrySettings | None = None
    """``spec.retrySettings``."""


@dataclass(frozen=True)
class NamespaceCondition:
    """One ``spec.conditions[]`` entry of a ClusterSecretStore; a namespace matching any part is allowed."""

    namespaces: tuple[str, ...] = ()
    """Exact namespace names."""
    namespace_regexes: tuple[str, ...] = ()
    """Go regexps; ESO matches them unanchored, so each must be anchored ``^...$`` (checked)."""
    namespace_selector: LabelSelector | None = None
    """Label selector on Namespace objects."""


@dataclass(frozen=True)
class ClusterSecretStoreArgs:
    """A cluster-scoped ``ClusterSecretStore``."""

    metadata: ObjectMeta
    """Name of the store (no namespace)."""
    provider: AwsSecretsManagerProvider
    """The AWS Secrets Manager provider."""
    conditions: tuple[NamespaceCondition, ...] = ()
    """Namespaces allowed to use the store; empty = every namespace."""
    refresh_interval: int | str | None = None
    """``spec.refreshInterval``: seconds (int >= 0) or a Go duration; unset or 0 = controller default."""
    retry_settings: RetrySettings | None = None
    """``spec.retrySettings``."""


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def _check_ref_namespace(p: Problems, path: str, value: str | None, *, store_namespace: str | None) -> None:
    """The SA/Secret namespace rules that differ between the two store kinds."""
    if store_namespace is not None:  # SecretStore
        if value is not None and value != store_namespace:
            p.add(
                path,
                value,
                f"on a SecretStore must equal the store namespace {store_namespace!r} or be unset",
            )
    elif value is None:
        p.add(
            path,
            value,
            "is required on a ClusterSecretStore; without it ESO looks the object up in every "
            "ExternalSecret's namespace (referent auth)",
        )
    else:
        check_namespace(p, path, value)


def _check_auth(p: Problems, auth: AwsAuth, *, store_namespace: str | None) -> None:
    path = "spec.provider.aws.auth"
    if isinstance(auth, IrsaAuth):
        sa = f"{path}.jwt.serviceAccountRef"
        check_name(p, f"{sa}.name", auth.service_account_name)
        _check_ref_namespace(
            p, f"{sa}.namespace", auth.service_account_namespace, store_namespace=store_namespace
        )
    elif isinstance(auth, StaticKeysAuth):
        refs = (
            ("accessKeyIDSecretRef", auth.access_key_id),
            ("secretAccessKeySecretRef", auth.secret_access_key),
        )
        for name, ref in refs:
            rpath = f"{path}.secretRef.{name}"
            check_name(p, f"{rpath}.name", ref.name)
            if not isinstance(ref.key, str) or not is_secret_key(ref.key):
                p.add(f"{rpath}.key", ref.key, "must match ^[-._a-zA-Z0-9]+$")
            _check_ref_namespace(p, f"{rpath}.namespace", ref.namespace, store_namespace=store_namespace)
    elif not isinstance(auth, ControllerIdentityAuth):
        p.add(path, auth, "must be IrsaAuth, StaticKeysAuth or ControllerIdentityAuth")


def _check_provider(p: Problems, provider: AwsSecretsManagerProvider, *, store_namespace: str | None) -> None:
    path = "spec.provider.aws"
    if not is_region(provider.region):
        p.add(f"{path}.region", provider.region, "must be an AWS region such as 'eu-west-1'")
    if provider.role is not None and (
        not isinstance(provider.role, str) or not IAM_ROLE_ARN.match(provider.role)
    ):
        p.add(f"{path}.role", provider.role, "must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)")
    if provider.session_tags_policy is not None:
        check_enum(p, f"{path}.sessionTagsPolicy", provider.session_tags_policy, SessionTagsPolicy)
        if provider.session_tags_policy != "None" and provider.role is None:
            p.add(
                f"{path}.sessionTagsPolicy",
                provider.session_tags_policy,
                "session tags are sent on the AssumeRole of spec.provider.aws.role: set role",
            )
    if provider.recovery_window_in_days is not None:
        problem = recovery_window_problem(provider.recovery_window_in_days)
        if problem:
            p.add(f"{path}.secretsManager.recoveryWindowInDays", provider.recovery_window_in_days, problem)
    _check_auth(p, provider.auth, store_namespace=store_namespace)


def _check_store_common(p: Problems, refresh_interval: int | str | None, retry: RetrySettings | None) -> None:
    if refresh_interval is not None:
        if isinstance(refresh_interval, bool):
            p.add("spec.refreshInterval", refresh_interval, "must be seconds (int) or a Go duration string")
        elif isinstance(refresh_interval, int):
            if refresh_interval < 0:
                p.add("spec.refreshInterval", refresh_interval, "must be >= 0 seconds")
        else:
            check_duration(p, "spec.refreshInterval", refresh_interval)
    if retry is not None:
        if retry.max_retries is not None and (
            isinstance(retry.max_retries, bool)
            or not isinstance(retry.max_retries, int)
            or not 0 <= retry.max_retries < 2**31
        ):
            p.add("spec.retrySettings.maxRetries", retry.max_retries, "must be an int32 >= 0")
        if retry.retry_interval is not None:
            check_duration(p, "spec.retrySettings.retryInterval", retry.retry_interval)


def _check_condition(p: Problems, path: str, cond: NamespaceCondition) -> None:
    if not cond.namespaces and not cond.namespace_regexes and cond.namespace_selector is None:
        p.add(path, {}, "an empty condition matches no namespace; give namespaces, regexes or a selector")
    for j, ns in enumerate(cond.namespaces):
        check_namespace(p, f"{path}.namespaces[{j}]", ns)
    for j, rx in enumerate(cond.namespace_regexes):
        problem = go_regexp_problem(rx) or anchoring_problem(rx)
        if problem:
            p.add(f"{path}.namespaceRegexes[{j}]", rx, problem)
    if cond.namespace_selector is not None:
        check_label_selector(p, f"{path}.namespaceSelector", cond.namespace_selector)


# --------------------------------------------------------------------------------------------------
# Rendering and builders
# --------------------------------------------------------------------------------------------------


def _render_auth(auth: AwsAuth) -> dict[str, Any] | None:
    if isinstance(auth, IrsaAuth):
        return {
            "jwt": {
                "serviceAccountRef": prune(
                    {"name": auth.service_account_name, "namespace": auth.service_account_namespace}
                )
            }
        }
    if isinstance(auth, StaticKeysAuth):
        return {
            "secretRef": {
                "accessKeyIDSecretRef": _render_key_selector(auth.access_key_id),
                "secretAccessKeySecretRef": _render_key_selector(auth.secret_access_key),
            }
        }
    return None


def _render_key_selector(ref: SecretKeySelector) -> dict[str, Any]:
    return prune({"name": ref.name, "key": ref.key, "namespace": ref.namespace})


def _store_spec(
    provider: AwsSecretsManagerProvider, refresh_interval: int | str | None, retry: RetrySettings | None
) -> dict[str, Any]:
    aws = prune(
        {
            "service": AWS_SERVICE_SECRETS_MANAGER,
            "region": provider.region,
            "auth": _render_auth(provider.auth),
            "role": provider.role,
            "sessionTagsPolicy": provider.session_tags_policy,
            "secretsManager": prune({"recoveryWindowInDays": provider.recovery_window_in_days}),
        }
    )
    return prune(
        {
            "provider": {"aws": aws},
            "refreshInterval": refresh_interval,
            "retrySettings": (
                prune({"maxRetries": retry.max_retries, "retryInterval": retry.retry_interval})
                if retry
                else None
            ),
        }
    )


def secret_store(args: SecretStoreArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1`` ``SecretStore`` manifest. Raises :class:`EsoSpecError`."""
    p = Problems()
    check_metadata(p, args.metadata, namespaced=True)
    _check_provider(p, args.provider, store_namespace=args.metadata.namespace or "")
    _check_store_common(p, args.refresh_interval, args.retry_settings)
    p.raise_if_any(f"{KIND_SECRET_STORE} {args.metadata.namespace}/{args.metadata.name}")
    return manifest(
        ESO_API_VERSION,
        KIND_SECRET_STORE,
        render_metadata(args.metadata, namespaced=True),
        _store_spec(args.provider, args.refresh_interval, args.retry_settings),
    )


def cluster_secret_store(args: ClusterSecretStoreArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1`` ``ClusterSecretStore`` manifest. Raises :class:`EsoSpecError`."""
    p = Problems()
    check_metadata(p, args.metadata, namespaced=False)
    _check_provider(p, args.provider, store_namespace=None)
    _check_store_common(p, args.refresh_interval, args.retry_settings)
    for i, cond in enumerate(args.conditions):
        _check_condition(p, f"spec.conditions[{i}]", cond)
    p.raise_if_any(f"{KIND_CLUSTER_SECRET_STORE} {args.metadata.name}")
    spec = _store_spec(args.provider, args.refresh_interval, args.retry_settings)
    if args.conditions:
        spec["conditions"] = [
            prune(
                {
                    "namespaces": list(c.namespaces),
                    "namespaceRegexes": list(c.namespace_regexes),
                    "namespaceSelector": (
                        render_label_selector(c.namespace_selector) if c.namespace_selector else None
                    ),
                }
            )
            for c in args.conditions
        ]
    return manifest(
        ESO_API_VERSION, KIND_CLUSTER_SECRET_STORE, render_metadata(args.metadata, namespaced=False), spec
    )
