"""SecretStore and ClusterSecretStore: real fields, strict CRD-schema validity, and the webhook-only rules."""

from __future__ import annotations

from typing import Any

import pytest

from secrets_iac import eso
from secrets_iac.eso import (
    AwsSecretsManagerProvider,
    ClusterSecretStoreArgs,
    ControllerIdentityAuth,
    EsoSpecError,
    IrsaAuth,
    LabelSelector,
    LabelSelectorRequirement,
    NamespaceCondition,
    ObjectMeta,
    RetrySettings,
    SecretKeySelector,
    SecretStoreArgs,
    StaticKeysAuth,
)
from tests.eso_schema import assert_rejects_broken_copy, validate_manifest

ROLE = "arn:aws:iam::123456789012:role/eso-reader"
NS = "apps"


def _provider(**kw: Any) -> AwsSecretsManagerProvider:
    base: dict[str, Any] = {"region": "eu-west-1"}
    base.update(kw)
    return AwsSecretsManagerProvider(**base)


def _ss(auth: eso.AwsAuth | None = None, **kw: Any) -> SecretStoreArgs:
    provider = kw.pop("provider", None) or _provider(auth=auth or IrsaAuth("eso-reader"))
    return SecretStoreArgs(metadata=ObjectMeta("aws-sm", NS), provider=provider, **kw)


def _css(auth: eso.AwsAuth | None = None, **kw: Any) -> ClusterSecretStoreArgs:
    provider = kw.pop("provider", None) or _provider(auth=auth or IrsaAuth("eso-reader", "external-secrets"))
    return ClusterSecretStoreArgs(metadata=ObjectMeta("aws-sm"), provider=provider, **kw)


# --------------------------------------------------------------------------------------------------
# SecretStore
# --------------------------------------------------------------------------------------------------


def test_secret_store_irsa_fields() -> None:
    m = eso.secret_store(
        _ss(
            provider=_provider(auth=IrsaAuth("eso-reader", NS), role=ROLE, recovery_window_in_days=7),
            refresh_interval=300,
            retry_settings=RetrySettings(max_retries=5, retry_interval="10s"),
        )
    )
    assert m["apiVersion"] == "external-secrets.io/v1"
    assert m["kind"] == "SecretStore"
    assert m["metadata"] == {
        "name": "aws-sm",
        "namespace": NS,
        "labels": {"app.kubernetes.io/managed-by": "secrets-iac"},
    }
    assert m["spec"] == {
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-west-1",
                "auth": {"jwt": {"serviceAccountRef": {"name": "eso-reader", "namespace": NS}}},
                "role": ROLE,
                "secretsManager": {"recoveryWindowInDays": 7},
            }
        },
        "refreshInterval": 300,
        "retrySettings": {"maxRetries": 5, "retryInterval": "10s"},
    }
    validate_manifest(m)


def test_secret_store_sa_namespace_may_be_omitted() -> None:
    m = eso.secret_store(_ss(IrsaAuth("eso-reader")))
    assert m["spec"]["provider"]["aws"]["auth"] == {"jwt": {"serviceAccountRef": {"name": "eso-reader"}}}


def test_secret_store_rejects_foreign_sa_namespace() -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.secret_store(_ss(IrsaAuth("eso-reader", "kube-system")))
    assert "spec.provider.aws.auth.jwt.serviceAccountRef.namespace='kube-system'" in str(exc.value)
    assert "'apps'" in str(exc.value)


def test_secret_store_static_keys() -> None:
    auth = StaticKeysAuth(
        access_key_id=SecretKeySelector("aws-creds", "access-key-id"),
        secret_access_key=SecretKeySelector("aws-creds", "secret-access-key", NS),
    )
    m = eso.secret_store(_ss(auth))
    assert m["spec"]["provider"]["aws"]["auth"] == {
        "secretRef": {
            "accessKeyIDSecretRef": {"name": "aws-creds", "key": "access-key-id"},
            "secretAccessKeySecretRef": {"name": "aws-creds", "key": "secret-access-key", "namespace": NS},
        }
    }
    validate_manifest(m)
    bad = StaticKeysAuth(SecretKeySelector("c", "id", "other"), SecretKeySelector("c", "k"))
    with pytest.raises(EsoSpecError, match=r"accessKeyIDSecretRef\.namespace='other'"):
        eso.secret_store(_ss(bad))
    bad_key = StaticKeysAuth(SecretKeySelector("c", "a/b"), SecretKeySelector("c", "k"))
    with pytest.raises(EsoSpecError, match=r"accessKeyIDSecretRef\.key='a/b'"):
        eso.secret_store(_ss(bad_key))


def test_secret_store_controller_identity_has_no_auth_block() -> None:
    m = eso.secret_store(_ss(ControllerIdentityAuth()))
    assert "auth" not in m["spec"]["provider"]["aws"]
    validate_manifest(m)


@pytest.mark.parametrize("days", [3, 6, 31, 365])
def test_recovery_window_out_of_range(days: int) -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.secret_store(_ss(provider=_provider(recovery_window_in_days=days)))
    assert f"spec.provider.aws.secretsManager.recoveryWindowInDays={days}" in str(exc.value)
    assert "outside the 7-30 days" in str(exc.value)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (lambda: _ss(provider=_provider(region="Europe")), "spec.provider.aws.region='Europe'"),
        (lambda: _ss(provider=_provider(role="eso-reader")), "spec.provider.aws.role='eso-reader'"),
        (lambda: _ss(refresh_interval="5 minutes"), "spec.refreshInterval='5 minutes'"),
        (lambda: _ss(refresh_interval=-1), "spec.refreshInterval=-1"),
        (lambda: _ss(refresh_interval=True), "spec.refreshInterval=True"),
        (lambda: _ss(retry_settings=RetrySettings(retry_interval="10")), "retryInterval='10'"),
        (lambda: _ss(retry_settings=RetrySettings(max_retries=-2)), "maxRetries=-2"),
        (lambda: _ss(IrsaAuth("ESO_Reader")), "serviceAccountRef.name='ESO_Reader'"),
        (
            lambda: SecretStoreArgs(ObjectMeta("aws-sm"), _provider()),
            "metadata.namespace=None",
        ),
        (
            lambda: SecretStoreArgs(
                ObjectMeta("aws-sm", NS, labels={"app.kubernetes.io/managed-by": "me"}), _provider()
            ),
            "metadata.labels['app.kubernetes.io/managed-by']='me'",
        ),
        (
            lambda: SecretStoreArgs(ObjectMeta("aws-sm", NS, labels={"a/b/c": "x"}), _provider()),
            "metadata.labels['a/b/c']='a/b/c'",
        ),
        (
            lambda: SecretStoreArgs(ObjectMeta("aws-sm", NS, labels={"tier": "-prod"}), _provider()),
            "metadata.labels['tier']='-prod'",
        ),
    ],
)
def test_secret_store_rejections_name_the_field(args: Any, needle: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.secret_store(args())
    assert needle in str(exc.value)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.secret_store(
            _ss(provider=_provider(region="nowhere", recovery_window_in_days=3), refresh_interval="soon")
        )
    assert len(exc.value.errors) == 3
    assert str(exc.value).startswith("SecretStore apps/aws-sm is invalid:\n  - ")
    assert isinstance(exc.value, ValueError)


# --------------------------------------------------------------------------------------------------
# ClusterSecretStore
# --------------------------------------------------------------------------------------------------


def test_cluster_secret_store_fields() -> None:
    m = eso.cluster_secret_store(
        _css(
            conditions=(
                NamespaceCondition(namespaces=("team-a", "team-b")),
                NamespaceCondition(namespace_regexes=("^team-.*$", "^a$|^b$")),
                NamespaceCondition(
                    namespace_selector=LabelSelector(
                        match_labels={"secrets-iac/eso": "enabled"},
                        match_expressions=(LabelSelectorRequirement("tier", "In", ("prod",)),),
                    )
                ),
            ),
        )
    )
    assert m["kind"] == "ClusterSecretStore"
    assert "namespace" not in m["metadata"]
    assert m["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"] == {
        "name": "eso-reader",
        "namespace": "external-secrets",
    }
    assert m["spec"]["conditions"] == [
        {"namespaces": ["team-a", "team-b"]},
        {"namespaceRegexes": ["^team-.*$", "^a$|^b$"]},
        {
            "namespaceSelector": {
                "matchLabels": {"secrets-iac/eso": "enabled"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["prod"]}],
            }
        },
    ]
    validate_manifest(m)


def test_cluster_secret_store_requires_sa_namespace() -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.cluster_secret_store(_css(IrsaAuth("eso-reader")))
    assert "spec.provider.aws.auth.jwt.serviceAccountRef.namespace=None" in str(exc.value)
    assert "referent auth" in str(exc.value)
    with pytest.raises(EsoSpecError, match=r"serviceAccountRef\.namespace='Bad_NS'"):
        eso.cluster_secret_store(_css(IrsaAuth("eso-reader", "Bad_NS")))


def test_cluster_secret_store_static_keys_need_namespace() -> None:
    auth = StaticKeysAuth(SecretKeySelector("c", "id"), SecretKeySelector("c", "key", "external-secrets"))
    with pytest.raises(EsoSpecError, match=r"accessKeyIDSecretRef\.namespace=None"):
        eso.cluster_secret_store(_css(auth))


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        ("team-a", "must be anchored"),
        ("^team-[a$", "does not compile"),
        ("^(?!kube-).*$", "lookaround"),
        ("", "non-empty"),
    ],
)
def test_namespace_regexes_must_compile_and_be_anchored(regex: str, why: str) -> None:
    """The cases themselves are in tests/secrets_iac/rules/test_eso.py; here: the field path."""
    with pytest.raises(EsoSpecError) as exc:
        eso.cluster_secret_store(_css(conditions=(NamespaceCondition(namespace_regexes=(regex,)),)))
    assert f"spec.conditions[0].namespaceRegexes[0]={regex!r}" in str(exc.value)
    assert why in str(exc.value)


@pytest.mark.parametrize("regex", ["^team-a$", "^(a|b)$", "^a$|^b$", "^[|$]x$", "^team-[a-z]+$"])
def test_anchored_regexes_accepted(regex: str) -> None:
    eso.cluster_secret_store(_css(conditions=(NamespaceCondition(namespace_regexes=(regex,)),)))


def test_cluster_conditions_rejections() -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.cluster_secret_store(
            _css(
                conditions=(
                    NamespaceCondition(),
                    NamespaceCondition(namespaces=("Team_A",)),
                    NamespaceCondition(
                        namespace_selector=LabelSelector(
                            match_expressions=(LabelSelectorRequirement("tier", "Exists", ("x",)),)
                        )
                    ),
                    NamespaceCondition(namespace_selector=LabelSelector()),
                    NamespaceCondition(
                        namespace_selector=LabelSelector(
                            match_expressions=(LabelSelectorRequirement("tier", "NotIn"),)
                        )
                    ),
                )
            )
        )
    text = str(exc.value)
    assert "spec.conditions[0]={}" in text
    assert "spec.conditions[1].namespaces[0]='Team_A'" in text
    assert "spec.conditions[2].namespaceSelector.matchExpressions[0].values=['x']" in text
    assert "spec.conditions[3].namespaceSelector={}: an empty selector matches every namespace" in text
    assert "spec.conditions[4].namespaceSelector.matchExpressions[0].values=[]" in text


def test_cluster_secret_store_must_not_have_namespace() -> None:
    with pytest.raises(EsoSpecError, match=r"metadata\.namespace='apps'"):
        eso.cluster_secret_store(ClusterSecretStoreArgs(ObjectMeta("aws-sm", NS), _provider()))


# --------------------------------------------------------------------------------------------------
# Every store the builders produce for a broad matrix validates against the strict schema
# --------------------------------------------------------------------------------------------------

_AUTHS: list[eso.AwsAuth] = [
    IrsaAuth("eso-reader"),
    StaticKeysAuth(SecretKeySelector("c", "id"), SecretKeySelector("c", "secret")),
    ControllerIdentityAuth(),
]
_PROVIDER_OPTIONS: list[dict[str, Any]] = [
    {},
    {"role": ROLE},
    {"recovery_window_in_days": 30},
    {"recovery_window_in_days": 7, "region": "us-gov-west-1"},
]
_STORE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"refresh_interval": 0},
    {"refresh_interval": "1h30m", "retry_settings": RetrySettings(max_retries=0)},
    {"retry_settings": RetrySettings(retry_interval="1s")},
]


def _matrix_manifests() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for a, auth in enumerate(_AUTHS):
        for p, popts in enumerate(_PROVIDER_OPTIONS):
            for s, sopts in enumerate(_STORE_OPTIONS):
                provider = _provider(auth=auth, **popts)
                out.append((f"ss-{a}{p}{s}", eso.secret_store(_ss(provider=provider, **sopts))))
                cauth = auth
                if isinstance(auth, IrsaAuth):
                    cauth = IrsaAuth("eso-reader", "external-secrets")
                elif isinstance(auth, StaticKeysAuth):
                    cauth = StaticKeysAuth(
                        SecretKeySelector("c", "id", "external-secrets"),
                        SecretKeySelector("c", "secret", "external-secrets"),
                    )
                conds = () if s % 2 else (NamespaceCondition(("a",), ("^b-.*$",)),)
                cprovider = _provider(auth=cauth, **popts)
                out.append(
                    (
                        f"css-{a}{p}{s}",
                        eso.cluster_secret_store(_css(provider=cprovider, conditions=conds, **sopts)),
                    )
                )
    return out


_MATRIX = _matrix_manifests()


@pytest.mark.parametrize(("label", "manifest"), _MATRIX, ids=[label for label, _ in _MATRIX])
def test_matrix_manifest_validates_strictly(label: str, manifest: dict[str, Any]) -> None:
    validate_manifest(manifest)
    assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "secrets-iac"


def test_matrix_is_broad() -> None:
    assert {m["kind"] for _, m in _MATRIX} == {"SecretStore", "ClusterSecretStore"}
    assert len(_MATRIX) >= 96


# --------------------------------------------------------------------------------------------------
# The strict checker really checks: broken stores are rejected, at the right path
# --------------------------------------------------------------------------------------------------


def _good_store() -> dict[str, Any]:
    return eso.secret_store(_ss(provider=_provider(auth=IrsaAuth("eso-reader"), role=ROLE)))


def _typo_jwt(m: dict[str, Any]) -> None:
    jwt = m["spec"]["provider"]["aws"]["auth"]["jwt"]
    jwt["serviceAccount"] = jwt.pop("serviceAccountRef")


def _two_providers(m: dict[str, Any]) -> None:
    m["spec"]["provider"]["vault"] = {"server": "https://vault", "path": "secret", "auth": {}}


def _bad_service(m: dict[str, Any]) -> None:
    m["spec"]["provider"]["aws"]["service"] = "SecretManager"


def _no_region(m: dict[str, Any]) -> None:
    del m["spec"]["provider"]["aws"]["region"]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (_typo_jwt, "spec.provider.aws.auth.jwt"),
        (_two_providers, "spec.provider"),
        (_bad_service, "spec.provider.aws.service"),
        (_no_region, "spec.provider.aws"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_strict_schema_rejects_broken_store(mutate: Any, path: str) -> None:
    assert_rejects_broken_copy(_good_store(), mutate, path)
