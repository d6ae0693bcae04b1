"""Tests for components/eso_specs.py: real fields, strict CRD-schema validity, and the webhook-only rules."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from components import eso_specs as es
from components.eso_specs import (
    AwsSecretsManagerProvider,
    ClusterSecretStoreArgs,
    ControllerIdentityAuth,
    DataFromExtract,
    DataFromFind,
    EsoSpecError,
    ExternalSecretArgs,
    ExternalSecretData,
    IrsaAuth,
    LabelSelector,
    LabelSelectorRequirement,
    NamespaceCondition,
    ObjectMeta,
    PushSecretArgs,
    PushSecretData,
    PushSecretMetadata,
    RemoteRef,
    RetrySettings,
    SecretKeySelector,
    SecretStoreArgs,
    SecretTemplate,
    StaticKeysAuth,
    StoreRef,
    TargetArgs,
    TlsTemplate,
)
from tests.conftest import shared_path
from tests.eso_schema import make_strict, schema_errors, validate_manifest

ROLE = "arn:aws:iam::123456789012:role/eso-reader"
NS = "apps"

# --------------------------------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------------------------------


def _provider(**kw: Any) -> AwsSecretsManagerProvider:
    base: dict[str, Any] = {"region": "eu-west-1"}
    base.update(kw)
    return AwsSecretsManagerProvider(**base)


def _ss(auth: es.AwsAuth | None = None, **kw: Any) -> SecretStoreArgs:
    provider = kw.pop("provider", None) or _provider(auth=auth or IrsaAuth("eso-reader"))
    return SecretStoreArgs(metadata=ObjectMeta("aws-sm", NS), provider=provider, **kw)


def _css(auth: es.AwsAuth | None = None, **kw: Any) -> ClusterSecretStoreArgs:
    provider = kw.pop("provider", None) or _provider(auth=auth or IrsaAuth("eso-reader", "external-secrets"))
    return ClusterSecretStoreArgs(metadata=ObjectMeta("aws-sm"), provider=provider, **kw)


def _es(**kw: Any) -> ExternalSecretArgs:
    base: dict[str, Any] = {
        "metadata": ObjectMeta("db", NS),
        "secret_store_ref": StoreRef("aws-sm"),
        "data": (ExternalSecretData("password", RemoteRef("prod/db", property="password")),),
    }
    base.update(kw)
    return ExternalSecretArgs(**base)


def _ps(**kw: Any) -> PushSecretArgs:
    base: dict[str, Any] = {
        "metadata": ObjectMeta("push-db", NS),
        "secret_name": "db-generated",
        "secret_store_refs": (StoreRef("aws-sm"),),
        "data": (PushSecretData("prod/db-generated", secret_key="password"),),
    }
    base.update(kw)
    return PushSecretArgs(**base)


def _problems(exc: pytest.ExceptionInfo[EsoSpecError]) -> str:
    return "\n".join(exc.value.errors)


# --------------------------------------------------------------------------------------------------
# Go durations
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("0s", timedelta(0)),
        ("1h", timedelta(hours=1)),
        ("1h0m0s", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        (".5s", timedelta(milliseconds=500)),
        ("1.s", timedelta(seconds=1)),
        ("250ms", timedelta(milliseconds=250)),
        ("10us", timedelta(microseconds=10)),
        ("10\u00b5s", timedelta(microseconds=10)),
        ("-1m", timedelta(minutes=-1)),
        ("+2m", timedelta(minutes=2)),
    ],
)
def test_parse_duration_accepts_go_syntax(text: str, expected: timedelta) -> None:
    assert es.is_go_duration(text)
    assert es.parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "1", "60", "h", "1d", "1 h", "1h 30m", ".s", "1hh", "one hour", "1H", "9999999999h", "--1s"]
)
def test_is_go_duration_rejects_what_go_rejects(text: str) -> None:
    assert not es.is_go_duration(text)
    with pytest.raises(ValueError, match="Go duration"):
        es.parse_duration(text)


def test_is_go_duration_rejects_non_strings() -> None:
    assert not es.is_go_duration(60)
    assert not es.is_go_duration(None)


def test_duration_nanoseconds_precision() -> None:
    assert es.duration_nanoseconds("1h2m3s4ms5us6ns") == 3723_004_005_006
    assert es.duration_nanoseconds("2562047h47m16.854775807s") == (1 << 63) - 1


# --------------------------------------------------------------------------------------------------
# SecretStore
# --------------------------------------------------------------------------------------------------


def test_secret_store_irsa_fields() -> None:
    m = es.secret_store(
        _ss(
            provider=_provider(
                auth=IrsaAuth("eso-reader", NS, audiences=("sts.amazonaws.com",)),
                role=ROLE,
                prefix="team-a/",
                recovery_window_in_days=7,
            ),
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
                "auth": {
                    "jwt": {
                        "serviceAccountRef": {
                            "name": "eso-reader",
                            "namespace": NS,
                            "audiences": ["sts.amazonaws.com"],
                        }
                    }
                },
                "role": ROLE,
                "prefix": "team-a/",
                "secretsManager": {"recoveryWindowInDays": 7},
            }
        },
        "refreshInterval": 300,
        "retrySettings": {"maxRetries": 5, "retryInterval": "10s"},
    }
    validate_manifest(m)


def test_secret_store_sa_namespace_may_be_omitted() -> None:
    m = es.secret_store(_ss(IrsaAuth("eso-reader")))
    assert m["spec"]["provider"]["aws"]["auth"] == {"jwt": {"serviceAccountRef": {"name": "eso-reader"}}}


def test_secret_store_rejects_foreign_sa_namespace() -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.secret_store(_ss(IrsaAuth("eso-reader", "kube-system")))
    assert "spec.provider.aws.auth.jwt.serviceAccountRef.namespace='kube-system'" in str(exc.value)
    assert "'apps'" in str(exc.value)


def test_secret_store_static_keys() -> None:
    auth = StaticKeysAuth(
        access_key_id=SecretKeySelector("aws-creds", "access-key-id"),
        secret_access_key=SecretKeySelector("aws-creds", "secret-access-key", NS),
        session_token=SecretKeySelector("aws-creds", "session-token"),
    )
    m = es.secret_store(_ss(auth))
    assert m["spec"]["provider"]["aws"]["auth"] == {
        "secretRef": {
            "accessKeyIDSecretRef": {"name": "aws-creds", "key": "access-key-id"},
            "secretAccessKeySecretRef": {"name": "aws-creds", "key": "secret-access-key", "namespace": NS},
            "sessionTokenSecretRef": {"name": "aws-creds", "key": "session-token"},
        }
    }
    validate_manifest(m)
    bad = StaticKeysAuth(SecretKeySelector("c", "id", "other"), SecretKeySelector("c", "k"))
    with pytest.raises(EsoSpecError, match=r"accessKeyIDSecretRef\.namespace='other'"):
        es.secret_store(_ss(bad))


def test_secret_store_controller_identity_has_no_auth_block() -> None:
    m = es.secret_store(_ss(ControllerIdentityAuth()))
    assert "auth" not in m["spec"]["provider"]["aws"]
    validate_manifest(m)


@pytest.mark.parametrize("days", [3, 6, 31, 365])
def test_recovery_window_out_of_range(days: int) -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.secret_store(_ss(provider=_provider(recovery_window_in_days=days)))
    assert f"spec.provider.aws.secretsManager.recoveryWindowInDays={days}" in str(exc.value)
    assert "between 7 and 30" in str(exc.value)


def test_recovery_window_with_force_delete() -> None:
    with pytest.raises(EsoSpecError, match="forceDeleteWithoutRecovery"):
        es.secret_store(
            _ss(provider=_provider(recovery_window_in_days=10, force_delete_without_recovery=True))
        )
    m = es.secret_store(_ss(provider=_provider(force_delete_without_recovery=True)))
    assert m["spec"]["provider"]["aws"]["secretsManager"] == {"forceDeleteWithoutRecovery": True}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (lambda: _ss(provider=_provider(region="Europe")), "spec.provider.aws.region='Europe'"),
        (lambda: _ss(provider=_provider(role="eso-reader")), "spec.provider.aws.role='eso-reader'"),
        (lambda: _ss(provider=_provider(external_id="x")), "spec.provider.aws.externalID='x'"),
        (lambda: _ss(refresh_interval="5 minutes"), "spec.refreshInterval='5 minutes'"),
        (lambda: _ss(refresh_interval=-1), "spec.refreshInterval=-1"),
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
    ],
)
def test_secret_store_rejections_name_the_field(args: Any, needle: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.secret_store(args())
    assert needle in str(exc.value)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.secret_store(
            _ss(provider=_provider(region="nowhere", recovery_window_in_days=3), refresh_interval="soon")
        )
    assert len(exc.value.errors) == 3
    assert str(exc.value).startswith("SecretStore apps/aws-sm is invalid:\n  - ")
    assert isinstance(exc.value, ValueError)


# --------------------------------------------------------------------------------------------------
# ClusterSecretStore
# --------------------------------------------------------------------------------------------------


def test_cluster_secret_store_fields() -> None:
    m = es.cluster_secret_store(
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
            controller="primary",
        )
    )
    assert m["kind"] == "ClusterSecretStore"
    assert "namespace" not in m["metadata"]
    assert m["spec"]["controller"] == "primary"
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


def test_cluster_secret_store_requires_sa_namespace_unless_referent() -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.cluster_secret_store(_css(IrsaAuth("eso-reader")))
    assert "spec.provider.aws.auth.jwt.serviceAccountRef.namespace=None" in str(exc.value)
    assert "referent_auth" in str(exc.value)
    m = es.cluster_secret_store(_css(IrsaAuth("eso-reader"), referent_auth=True))
    assert m["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"] == {"name": "eso-reader"}
    validate_manifest(m)
    with pytest.raises(EsoSpecError, match="must be unset with referent_auth=True"):
        es.cluster_secret_store(_css(IrsaAuth("eso-reader", "x"), referent_auth=True))


def test_cluster_secret_store_static_keys_need_namespace() -> None:
    auth = StaticKeysAuth(SecretKeySelector("c", "id"), SecretKeySelector("c", "key", "external-secrets"))
    with pytest.raises(EsoSpecError, match=r"accessKeyIDSecretRef\.namespace=None"):
        es.cluster_secret_store(_css(auth))


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        ("team-a", "must be anchored"),
        ("^team-a", "must be anchored"),
        ("team-a$", "must be anchored"),
        ("^team-a\\$", "must be anchored"),
        ("^a|b$", "must be anchored"),
        ("^(a|b)$|c", "must be anchored"),
        ("^team-[a$", "does not compile"),
        ("^(?!kube-).*$", "lookaround"),
        ("", "non-empty"),
    ],
)
def test_namespace_regexes_must_compile_and_be_anchored(regex: str, why: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.cluster_secret_store(_css(conditions=(NamespaceCondition(namespace_regexes=(regex,)),)))
    assert f"spec.conditions[0].namespaceRegexes[0]={regex!r}" in str(exc.value)
    assert why in str(exc.value)


@pytest.mark.parametrize("regex", ["^team-a$", "^(a|b)$", "^a$|^b$", "^[|$]x$", "^team-[a-z]+$"])
def test_anchored_regexes_accepted(regex: str) -> None:
    es.cluster_secret_store(_css(conditions=(NamespaceCondition(namespace_regexes=(regex,)),)))


def test_cluster_conditions_rejections() -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.cluster_secret_store(
            _css(
                conditions=(
                    NamespaceCondition(),
                    NamespaceCondition(namespaces=("Team_A",)),
                    NamespaceCondition(
                        namespace_selector=LabelSelector(
                            match_expressions=(LabelSelectorRequirement("tier", "Exists", ("x",)),)
                        )
                    ),
                )
            )
        )
    text = str(exc.value)
    assert "spec.conditions[0]={}" in text
    assert "spec.conditions[1].namespaces[0]='Team_A'" in text
    assert "spec.conditions[2].namespaceSelector.matchExpressions[0].values=['x']" in text


def test_cluster_secret_store_must_not_have_namespace() -> None:
    with pytest.raises(EsoSpecError, match=r"metadata\.namespace='apps'"):
        es.cluster_secret_store(ClusterSecretStoreArgs(ObjectMeta("aws-sm", NS), _provider()))


# --------------------------------------------------------------------------------------------------
# ExternalSecret
# --------------------------------------------------------------------------------------------------


def test_external_secret_fields() -> None:
    m = es.external_secret(
        _es(
            metadata=ObjectMeta("db", NS, labels={"app": "api"}, annotations={"force-sync": "1"}),
            secret_store_ref=StoreRef("aws-sm", "ClusterSecretStore"),
            refresh_interval="15m",
            refresh_policy="Periodic",
            data=(
                ExternalSecretData("password", RemoteRef("prod/db", property="password")),
                ExternalSecretData("old-password", RemoteRef("prod/db", "password", version="AWSPREVIOUS")),
                ExternalSecretData("pinned", RemoteRef("prod/db", version="uuid/6f1f0e4a-1111-2222")),
            ),
            data_from=(
                DataFromExtract(RemoteRef("prod/app-config")),
                DataFromFind(path="prod/shared/", tags={"team": "a"}),
            ),
            target=TargetArgs(name="db-credentials", creation_policy="Owner", deletion_policy="Delete"),
        )
    )
    assert m["apiVersion"] == "external-secrets.io/v1"
    assert m["kind"] == "ExternalSecret"
    assert m["metadata"] == {
        "name": "db",
        "namespace": NS,
        "labels": {"app": "api", "app.kubernetes.io/managed-by": "secrets-iac"},
        "annotations": {"force-sync": "1"},
    }
    assert m["spec"] == {
        "refreshInterval": "15m",
        "refreshPolicy": "Periodic",
        "secretStoreRef": {"name": "aws-sm", "kind": "ClusterSecretStore"},
        "target": {"name": "db-credentials", "creationPolicy": "Owner", "deletionPolicy": "Delete"},
        "dataFrom": [
            {"extract": {"key": "prod/app-config"}},
            {"find": {"path": "prod/shared/", "tags": {"team": "a"}}},
        ],
        "data": [
            {"secretKey": "password", "remoteRef": {"key": "prod/db", "property": "password"}},
            {
                "secretKey": "old-password",
                "remoteRef": {"key": "prod/db", "property": "password", "version": "AWSPREVIOUS"},
            },
            {"secretKey": "pinned", "remoteRef": {"key": "prod/db", "version": "uuid/6f1f0e4a-1111-2222"}},
        ],
    }
    assert "versionStage" not in json.dumps(m)
    validate_manifest(m)


def test_tls_template() -> None:
    m = es.external_secret(
        _es(
            data=(
                ExternalSecretData("cert", RemoteRef("prod/tls", property="cert")),
                ExternalSecretData("key", RemoteRef("prod/tls", property="key")),
            ),
            target=TargetArgs(template=TlsTemplate(labels={"app": "ingress"})),
        )
    )
    assert m["spec"]["target"]["template"] == {
        "type": "kubernetes.io/tls",
        "engineVersion": "v2",
        "metadata": {"labels": {"app": "ingress"}},
        "data": {"tls.crt": "{{ .cert }}", "tls.key": "{{ .key }}"},
    }
    validate_manifest(m)


def test_tls_template_keys_that_are_not_go_identifiers_use_index() -> None:
    m = es.external_secret(
        _es(
            data=(
                ExternalSecretData("tls-crt", RemoteRef("prod/tls", property="crt")),
                ExternalSecretData("tls.key", RemoteRef("prod/tls", property="key")),
            ),
            target=TargetArgs(template=TlsTemplate(cert_key="tls-crt", private_key_key="tls.key")),
        )
    )
    assert m["spec"]["target"]["template"]["data"] == {
        "tls.crt": '{{ index . "tls-crt" }}',
        "tls.key": '{{ index . "tls.key" }}',
    }


def test_tls_template_must_reference_fetched_keys() -> None:
    with pytest.raises(EsoSpecError, match=r"spec.target.template \(private_key_key\)='key'"):
        es.external_secret(_es(target=TargetArgs(template=TlsTemplate(cert_key="password"))))


def test_general_template() -> None:
    tpl = SecretTemplate(
        type="Opaque",
        data={"url": "postgres://app:{{ .password }}@db:5432/app"},
        annotations={"reloader.stakater.com/match": "true"},
        merge_policy="Merge",
    )
    m = es.external_secret(_es(target=TargetArgs(template=tpl, immutable=True, creation_policy="Orphan")))
    assert m["spec"]["target"] == {
        "creationPolicy": "Orphan",
        "deletionPolicy": "Retain",
        "immutable": True,
        "template": {
            "type": "Opaque",
            "engineVersion": "v2",
            "mergePolicy": "Merge",
            "metadata": {"annotations": {"reloader.stakater.com/match": "true"}},
            "data": {"url": "postgres://app:{{ .password }}@db:5432/app"},
        },
    }
    validate_manifest(m)


@pytest.mark.parametrize("creation", ["Merge", "None", "CreateOrMerge", "Orphan"])
def test_delete_requires_owner(creation: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.external_secret(_es(target=TargetArgs(creation_policy=creation, deletion_policy="Delete")))  # type: ignore[arg-type]
    assert "spec.target.deletionPolicy='Delete'" in str(exc.value)
    assert f"creationPolicy='Owner', got {creation!r}" in str(exc.value)


def test_merge_deletion_not_with_none_creation() -> None:
    with pytest.raises(EsoSpecError, match=r"spec.target.deletionPolicy='Merge'.*no Secret to merge"):
        es.external_secret(_es(target=TargetArgs(creation_policy="None", deletion_policy="Merge")))
    creations: tuple[es.CreationPolicy, ...] = ("Owner", "Orphan", "Merge", "CreateOrMerge")
    for creation in creations:
        es.external_secret(_es(target=TargetArgs(creation_policy=creation, deletion_policy="Merge")))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (lambda: _es(data=()), "spec.data/spec.dataFrom=[]: either data or dataFrom must be non-empty"),
        (
            lambda: _es(
                data=(ExternalSecretData("a", RemoteRef("k")), ExternalSecretData("a", RemoteRef("j")))
            ),
            "spec.data[1].secretKey='a': duplicates spec.data[0].secretKey",
        ),
        (lambda: _es(data=(ExternalSecretData("a/b", RemoteRef("k")),)), "spec.data[0].secretKey='a/b'"),
        (lambda: _es(refresh_interval="60"), "spec.refreshInterval='60'"),
        (lambda: _es(refresh_interval="1d"), "spec.refreshInterval='1d'"),
        (lambda: _es(refresh_interval="-5m"), "spec.refreshInterval='-5m': must not be negative"),
        (lambda: _es(refresh_policy="Always"), "spec.refreshPolicy='Always'"),
        (
            lambda: _es(secret_store_ref=StoreRef("aws-sm", "Vault")),  # type: ignore[arg-type]
            "spec.secretStoreRef.kind='Vault'",
        ),
        (
            lambda: _es(target=TargetArgs(creation_policy="Adopt")),  # type: ignore[arg-type]
            "spec.target.creationPolicy='Adopt'",
        ),
        (lambda: _es(target=TargetArgs(name="Bad_Name")), "spec.target.name='Bad_Name'"),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("k", version="")),)),
            "spec.data[0].remoteRef.version=''",
        ),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("k", version="uuid/")),)),
            "spec.data[0].remoteRef.version='uuid/'",
        ),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("has space")),)),
            "spec.data[0].remoteRef.key='has space'",
        ),
        (lambda: _es(data_from=(DataFromFind(),)), "spec.dataFrom[0].find={}"),
        (
            lambda: _es(data_from=(DataFromFind(name_regexp="prod/(db"),)),
            "spec.dataFrom[0].find.name.regexp='prod/(db'",
        ),
        (
            lambda: _es(data_from=(RemoteRef("k"),)),
            "must have exactly one of extract (DataFromExtract) or find (DataFromFind)",
        ),
        (
            lambda: _es(target=TargetArgs(template=SecretTemplate(type="bootstrap.kubernetes.io/token"))),
            "spec.target.template.type='bootstrap.kubernetes.io/token'",
        ),
        (
            lambda: _es(
                target=TargetArgs(
                    template=SecretTemplate(
                        type="kubernetes.io/service-account-token",
                        annotations={"kubernetes.io/service-account.name": "default"},
                    )
                )
            ),
            "spec.target.template.metadata.annotations['kubernetes.io/service-account.name']='default'",
        ),
        (lambda: _es(metadata=ObjectMeta("db")), "metadata.namespace=None"),
    ],
)
def test_external_secret_rejections_name_the_field(args: Any, needle: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.external_secret(args())
    assert needle in str(exc.value)


def test_external_secret_data_from_only_is_fine() -> None:
    m = es.external_secret(_es(data=(), data_from=(DataFromFind(name_regexp="^prod/app-"),)))
    assert m["spec"]["dataFrom"] == [{"find": {"name": {"regexp": "^prod/app-"}}}]
    assert "data" not in m["spec"]
    validate_manifest(m)


# --------------------------------------------------------------------------------------------------
# PushSecret
# --------------------------------------------------------------------------------------------------


def test_push_secret_fields_and_wrapped_metadata() -> None:
    meta = PushSecretMetadata(
        secret_push_format="string",
        kms_key_id="alias/secrets-iac",
        description="pushed by ESO",
        tags={"team": "a"},
    )
    m = es.push_secret(
        _ps(
            secret_store_refs=(StoreRef("aws-sm"), StoreRef("aws-sm-dr", "ClusterSecretStore")),
            data=(
                PushSecretData("prod/db-generated", secret_key="password", metadata=meta),
                PushSecretData("prod/db-json", secret_key="user", property="user"),
                PushSecretData("prod/db-whole"),
            ),
            refresh_interval="10m",
            update_policy="IfNotExists",
            deletion_policy="Delete",
        )
    )
    assert m["apiVersion"] == "external-secrets.io/v1alpha1"
    assert m["kind"] == "PushSecret"
    assert m["metadata"]["namespace"] == NS
    assert m["spec"] == {
        "refreshInterval": "10m",
        "updatePolicy": "IfNotExists",
        "deletionPolicy": "Delete",
        "secretStoreRefs": [
            {"name": "aws-sm", "kind": "SecretStore"},
            {"name": "aws-sm-dr", "kind": "ClusterSecretStore"},
        ],
        "selector": {"secret": {"name": "db-generated"}},
        "data": [
            {
                "match": {"secretKey": "password", "remoteRef": {"remoteKey": "prod/db-generated"}},
                "metadata": {
                    "apiVersion": "kubernetes.external-secrets.io/v1alpha1",
                    "kind": "PushSecretMetadata",
                    "spec": {
                        "secretPushFormat": "string",
                        "kmsKeyId": "alias/secrets-iac",
                        "description": "pushed by ESO",
                        "tags": {"team": "a"},
                    },
                },
            },
            {"match": {"secretKey": "user", "remoteRef": {"remoteKey": "prod/db-json", "property": "user"}}},
            {"match": {"remoteRef": {"remoteKey": "prod/db-whole"}}},
        ],
    }
    validate_manifest(m)


def test_push_secret_defaults() -> None:
    spec = es.push_secret(_ps())["spec"]
    assert spec["updatePolicy"] == "Replace"
    assert spec["deletionPolicy"] == "None"
    assert spec["refreshInterval"] == "1h"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            lambda: _ps(
                data=(PushSecretData("k", "v", metadata=PushSecretMetadata(tags={"managed-by": "me"})),)
            ),
            "spec.data[0].metadata.spec.tags['managed-by']='me'",
        ),
        (
            lambda: _ps(data=(PushSecretData("k", "v", metadata=PushSecretMetadata(tags={"aws:x": "1"})),)),
            "spec.data[0].metadata.spec.tags['aws:x']='aws:x'",
        ),
        (
            lambda: _ps(
                data=(PushSecretData("k", "v", metadata=PushSecretMetadata(secret_push_format="json")),)  # type: ignore[arg-type]
            ),
            "spec.data[0].metadata.spec.secretPushFormat='json'",
        ),
        (lambda: _ps(update_policy="Force"), "spec.updatePolicy='Force'"),
        (lambda: _ps(deletion_policy="Retain"), "spec.deletionPolicy='Retain'"),
        (lambda: _ps(refresh_interval="hourly"), "spec.refreshInterval='hourly'"),
        (lambda: _ps(secret_store_refs=()), "spec.secretStoreRefs=[]"),
        (lambda: _ps(data=()), "spec.data=[]"),
        (lambda: _ps(secret_name="Db"), "spec.selector.secret.name='Db'"),
        (
            lambda: _ps(data=(PushSecretData("k", "a"), PushSecretData("k", "b"))),
            "spec.data[1].match.remoteRef={'remoteKey': 'k', 'property': None}: same target as spec.data[0]",
        ),
    ],
)
def test_push_secret_rejections_name_the_field(args: Any, needle: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        es.push_secret(args())
    assert needle in str(exc.value)


# --------------------------------------------------------------------------------------------------
# Every manifest the builders produce for a broad matrix validates against the strict schema
# --------------------------------------------------------------------------------------------------

_AUTHS: list[es.AwsAuth] = [
    IrsaAuth("eso-reader", audiences=("sts.amazonaws.com", "extra")),
    StaticKeysAuth(SecretKeySelector("c", "id"), SecretKeySelector("c", "secret")),
    ControllerIdentityAuth(),
]
_PROVIDER_OPTIONS: list[dict[str, Any]] = [
    {},
    {"role": ROLE, "additional_roles": ("arn:aws:iam::210987654321:role/hop",), "external_id": "ext-1"},
    {"prefix": "team-a/", "recovery_window_in_days": 30},
    {"force_delete_without_recovery": True, "region": "us-gov-west-1"},
]
_STORE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"refresh_interval": 0},
    {"refresh_interval": "1h30m", "retry_settings": RetrySettings(max_retries=0)},
    {"retry_settings": RetrySettings(retry_interval="1s"), "controller": "dev"},
]


def _matrix_manifests() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for a, auth in enumerate(_AUTHS):
        for p, popts in enumerate(_PROVIDER_OPTIONS):
            for s, sopts in enumerate(_STORE_OPTIONS):
                provider = _provider(auth=auth, **popts)
                out.append((f"ss-{a}{p}{s}", es.secret_store(_ss(provider=provider, **sopts))))
                cauth = auth
                if isinstance(auth, IrsaAuth):
                    cauth = IrsaAuth("eso-reader", "external-secrets", auth.audiences)
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
                        es.cluster_secret_store(_css(provider=cprovider, conditions=conds, **sopts)),
                    )
                )
    targets = [
        TargetArgs(),
        TargetArgs(name="t", creation_policy="Orphan", deletion_policy="Merge"),
        TargetArgs(creation_policy="Merge", deletion_policy="Retain"),
        TargetArgs(creation_policy="CreateOrMerge", deletion_policy="Merge", immutable=True),
        TargetArgs(creation_policy="None"),
        TargetArgs(template=TlsTemplate(cert_key="password", private_key_key="token")),
        TargetArgs(
            template=SecretTemplate(type="kubernetes.io/dockerconfigjson", data={".dockerconfigjson": "x"})
        ),
    ]
    refs = [
        RemoteRef("prod/db"),
        RemoteRef("prod/db", "password", "AWSPREVIOUS", "Base64", "Unicode"),
        RemoteRef(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", metadata_policy="Fetch"
        ),
    ]
    for t, target in enumerate(targets):
        for r, ref in enumerate(refs):
            for policy in (None, "CreatedOnce", "OnChange"):
                args = _es(
                    data=(
                        ExternalSecretData("password", ref),
                        ExternalSecretData("token", RemoteRef("prod/tok")),
                    ),
                    data_from=(
                        DataFromExtract(ref),
                        DataFromFind(name_regexp="^x", decoding_strategy="Auto"),
                    ),
                    target=target,
                    refresh_policy=policy,
                    refresh_interval="0s" if policy else "1h",
                )
                out.append((f"es-{t}{r}{policy}", es.external_secret(args)))
    for fmt in (None, "string", "binary"):
        for upd in ("Replace", "IfNotExists"):
            for dele in ("None", "Delete"):
                meta = None if fmt is None else PushSecretMetadata(fmt, tags={"a": "b"})
                ps = _ps(data=(PushSecretData("k", "v", "p", meta),), update_policy=upd, deletion_policy=dele)
                out.append((f"ps-{fmt}{upd}{dele}", es.push_secret(ps)))
    return out


_MATRIX = _matrix_manifests()


@pytest.mark.parametrize(("label", "manifest"), _MATRIX, ids=[label for label, _ in _MATRIX])
def test_matrix_manifest_validates_strictly(label: str, manifest: dict[str, Any]) -> None:
    validate_manifest(manifest)
    assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "secrets-iac"


def test_matrix_is_broad() -> None:
    kinds = {m["kind"] for _, m in _MATRIX}
    assert kinds == {"SecretStore", "ClusterSecretStore", "ExternalSecret", "PushSecret"}
    assert len(_MATRIX) >= 150


# --------------------------------------------------------------------------------------------------
# The strict checker really checks: broken manifests are rejected, at the right path
# --------------------------------------------------------------------------------------------------


def _good_store() -> dict[str, Any]:
    return es.secret_store(_ss(provider=_provider(auth=IrsaAuth("eso-reader"), role=ROLE)))


def _good_es() -> dict[str, Any]:
    return es.external_secret(_es())


def _good_ps() -> dict[str, Any]:
    return es.push_secret(_ps())


def _typo_jwt(m: dict[str, Any]) -> None:
    jwt = m["spec"]["provider"]["aws"]["auth"]["jwt"]
    jwt["serviceAccount"] = jwt.pop("serviceAccountRef")


def _two_providers(m: dict[str, Any]) -> None:
    m["spec"]["provider"]["vault"] = {"server": "https://vault", "path": "secret", "auth": {}}


def _bad_service(m: dict[str, Any]) -> None:
    m["spec"]["provider"]["aws"]["service"] = "SecretManager"


def _no_region(m: dict[str, Any]) -> None:
    del m["spec"]["provider"]["aws"]["region"]


def _version_stage(m: dict[str, Any]) -> None:
    m["spec"]["data"][0]["remoteRef"]["versionStage"] = "AWSPREVIOUS"


def _bad_creation(m: dict[str, Any]) -> None:
    m["spec"]["target"] = {"creationPolicy": "Adopt"}


def _bad_store_kind(m: dict[str, Any]) -> None:
    m["spec"]["secretStoreRef"]["kind"] = "VaultStore"


def _int_refresh(m: dict[str, Any]) -> None:
    m["spec"]["refreshInterval"] = 3600


def _bad_secret_key(m: dict[str, Any]) -> None:
    m["spec"]["data"][0]["secretKey"] = "a/b"


def _no_remote_key(m: dict[str, Any]) -> None:
    del m["spec"]["data"][0]["remoteRef"]["key"]


def _unknown_spec_field(m: dict[str, Any]) -> None:
    m["spec"]["secretStoreRefs"] = [{"name": "x"}]


def _bad_push_delete(m: dict[str, Any]) -> None:
    m["spec"]["deletionPolicy"] = "Retain"


def _no_selector(m: dict[str, Any]) -> None:
    del m["spec"]["selector"]


def _push_match_typo(m: dict[str, Any]) -> None:
    m["spec"]["data"][0]["match"]["remoteRef"]["remoteKeys"] = "x"


def _unknown_top_level(m: dict[str, Any]) -> None:
    m["metdata"] = {}


@pytest.mark.parametrize(
    ("make", "mutate", "path"),
    [
        (_good_store, _typo_jwt, "spec.provider.aws.auth.jwt"),
        (_good_store, _two_providers, "spec.provider"),
        (_good_store, _bad_service, "spec.provider.aws.service"),
        (_good_store, _no_region, "spec.provider.aws"),
        (_good_es, _version_stage, "spec.data[0].remoteRef"),
        (_good_es, _bad_creation, "spec.target.creationPolicy"),
        (_good_es, _bad_store_kind, "spec.secretStoreRef.kind"),
        (_good_es, _int_refresh, "spec.refreshInterval"),
        (_good_es, _bad_secret_key, "spec.data[0].secretKey"),
        (_good_es, _no_remote_key, "spec.data[0].remoteRef"),
        (_good_es, _unknown_spec_field, "spec"),
        (_good_es, _unknown_top_level, "<root>"),
        (_good_ps, _bad_push_delete, "spec.deletionPolicy"),
        (_good_ps, _no_selector, "spec"),
        (_good_ps, _push_match_typo, "spec.data[0].match.remoteRef"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_strict_schema_rejects_broken_manifest(make: Any, mutate: Any, path: str) -> None:
    manifest = make()
    validate_manifest(manifest)
    broken = copy.deepcopy(manifest)
    mutate(broken)
    errors = schema_errors(broken)
    assert errors, f"{mutate.__name__} was not rejected"
    assert any(e.startswith(f"{path}: ") for e in errors), errors
    with pytest.raises(AssertionError, match="fails the strict ESO schema"):
        validate_manifest(broken)


def test_unknown_fields_pass_the_raw_schema_but_not_the_strict_one() -> None:
    """Why strict mode exists: the published schema alone accepts typos."""
    raw = json.loads(shared_path("schemas", "eso", "externalsecret.v1.json").read_text(encoding="utf-8"))
    broken = _good_es()
    _version_stage(broken)
    assert not list(jsonschema.Draft7Validator(raw).iter_errors(broken))
    assert schema_errors(broken) == [
        "spec.data[0].remoteRef: Additional properties are not allowed ('versionStage' was unexpected)"
    ]


def test_make_strict_rules() -> None:
    schema = {
        "type": "object",
        "properties": {
            "closed": {"type": "object", "properties": {"a": {"type": "string"}}},
            "open": {"type": "object", "properties": {"a": {}}, "x-kubernetes-preserve-unknown-fields": True},
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
            "noprops": {"type": "object"},
        },
    }
    strict = make_strict(schema)
    assert "additionalProperties" not in schema  # deep copy: the input is untouched
    assert strict["additionalProperties"] is False
    assert strict["properties"]["closed"]["additionalProperties"] is False
    assert "additionalProperties" not in strict["properties"]["open"]
    assert strict["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert "additionalProperties" not in strict["properties"]["noprops"]


def test_schema_lookup_by_api_version_and_kind() -> None:
    m = _good_es()
    m["kind"] = "ExternalSecrets"
    assert schema_errors(m)[0].startswith("<root>: no ESO schema for apiVersion='external-secrets.io/v1'")
    m = _good_es()
    m["apiVersion"] = "external-secrets.io/v1beta1"
    assert "not served" in schema_errors(m)[0]
    m = _good_ps()
    m["apiVersion"] = "external-secrets.io/v1"
    assert "no ESO schema" in schema_errors(m)[0]
    with pytest.raises(AssertionError, match="no ESO schema"):
        validate_manifest({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})


def test_validate_manifest_lists_every_error_path() -> None:
    m = _good_es()
    _version_stage(m)
    _bad_store_kind(m)
    _int_refresh(m)
    with pytest.raises(AssertionError) as exc:
        validate_manifest(m)
    text = str(exc.value)
    assert "(3 errors)" in text
    for path in ("spec.data[0].remoteRef:", "spec.secretStoreRef.kind:", "spec.refreshInterval:"):
        assert path in text
