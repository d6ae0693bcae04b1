"""ExternalSecret: real fields, strict CRD-schema validity, the webhook-only rules, and the strict checker."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from secrets_iac import eso
from secrets_iac.eso import (
    DataFromExtract,
    DataFromFind,
    EsoSpecError,
    ExternalSecretArgs,
    ExternalSecretData,
    ObjectMeta,
    RemoteRef,
    SecretTemplate,
    StoreRef,
    TargetArgs,
    TlsTemplate,
    template_ref,
)
from tests.conftest import shared_path
from tests.eso_schema import assert_rejects_broken_copy, make_strict, schema_errors, validate_manifest

NS = "apps"


def _es(**kw: Any) -> ExternalSecretArgs:
    base: dict[str, Any] = {
        "metadata": ObjectMeta("db", NS),
        "secret_store_ref": StoreRef("aws-sm"),
        "data": (ExternalSecretData("password", RemoteRef("prod/db", property="password")),),
    }
    base.update(kw)
    return ExternalSecretArgs(**base)


def _tls_data() -> tuple[ExternalSecretData, ...]:
    return (
        ExternalSecretData("cert", RemoteRef("prod/tls", property="cert")),
        ExternalSecretData("key", RemoteRef("prod/tls", property="key")),
    )


def test_external_secret_fields() -> None:
    m = eso.external_secret(
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
    m = eso.external_secret(
        _es(data=_tls_data(), target=TargetArgs(template=TlsTemplate(labels={"app": "ingress"})))
    )
    assert m["spec"]["target"]["template"] == {
        "type": "kubernetes.io/tls",
        "engineVersion": "v2",
        "metadata": {"labels": {"app": "ingress"}},
        "data": {"tls.crt": "{{ .cert }}", "tls.key": "{{ .key }}"},
    }
    validate_manifest(m)


def test_tls_template_keys_that_are_not_go_identifiers_use_index() -> None:
    m = eso.external_secret(
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


@pytest.mark.parametrize(
    ("key", "expr"),
    [
        ("cert", "{{ .cert }}"),
        ("_x1", "{{ ._x1 }}"),
        ("1st", '{{ index . "1st" }}'),
        ("a-b", '{{ index . "a-b" }}'),
        ('q"uote\\', '{{ index . "q\\"uote\\\\" }}'),
        ("ключ", '{{ index . "ключ" }}'),
    ],
)
def test_template_ref(key: str, expr: str) -> None:
    assert template_ref(key) == expr


def test_tls_template_renders_through_secret_template() -> None:
    tpl = TlsTemplate(cert_key="c", private_key_key="k", annotations={"a": "b"}).to_template()
    assert tpl == SecretTemplate(
        type="kubernetes.io/tls",
        data={"tls.crt": "{{ .c }}", "tls.key": "{{ .k }}"},
        annotations={"a": "b"},
    )


def test_tls_template_must_reference_fetched_keys() -> None:
    with pytest.raises(EsoSpecError, match=r"spec.target.template \(private_key_key\)='key'"):
        eso.external_secret(_es(target=TargetArgs(template=TlsTemplate(cert_key="password"))))
    # with dataFrom the fetched keys are only known at sync time
    eso.external_secret(
        _es(data_from=(DataFromExtract(RemoteRef("prod/tls")),), target=TargetArgs(template=TlsTemplate()))
    )


def test_tls_template_metadata_is_checked() -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.external_secret(
            _es(
                data=_tls_data(),
                target=TargetArgs(template=TlsTemplate(labels={"app": "-x"}, annotations={"": "y"})),
            )
        )
    text = str(exc.value)
    assert "spec.target.template.metadata.labels['app']='-x'" in text
    assert "spec.target.template.metadata.annotations['']=''" in text


def test_immutable_target_with_template() -> None:
    tpl = TlsTemplate(annotations={"reloader.stakater.com/match": "true"})
    m = eso.external_secret(
        _es(data=_tls_data(), target=TargetArgs(template=tpl, immutable=True, creation_policy="Orphan"))
    )
    assert m["spec"]["target"] == {
        "creationPolicy": "Orphan",
        "deletionPolicy": "Retain",
        "immutable": True,
        "template": {
            "type": "kubernetes.io/tls",
            "engineVersion": "v2",
            "metadata": {"annotations": {"reloader.stakater.com/match": "true"}},
            "data": {"tls.crt": "{{ .cert }}", "tls.key": "{{ .key }}"},
        },
    }
    validate_manifest(m)


@pytest.mark.parametrize("creation", ["Merge", "None", "CreateOrMerge", "Orphan"])
def test_delete_requires_owner(creation: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.external_secret(_es(target=TargetArgs(creation_policy=creation, deletion_policy="Delete")))  # type: ignore[arg-type]
    assert (
        f"spec.target.deletionPolicy='Delete': deletionPolicy Delete needs creationPolicy Owner "
        f"(creationPolicy is {creation})"
    ) in str(exc.value)


def test_merge_deletion_not_with_none_creation() -> None:
    with pytest.raises(EsoSpecError, match=r"spec.target.deletionPolicy='Merge': .*creationPolicy None"):
        eso.external_secret(_es(target=TargetArgs(creation_policy="None", deletion_policy="Merge")))
    creations: tuple[eso.CreationPolicy, ...] = ("Owner", "Orphan", "Merge", "CreateOrMerge")
    for creation in creations:
        eso.external_secret(_es(target=TargetArgs(creation_policy=creation, deletion_policy="Merge")))


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
        (
            lambda: _es(data=(ExternalSecretData("a" * 254, RemoteRef("k")),)),
            f"spec.data[0].secretKey={'a' * 254!r}",
        ),
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
            lambda: _es(target=TargetArgs(template=SecretTemplate(type="Opaque"))),  # type: ignore[arg-type]
            "must be a TlsTemplate",
        ),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("k", version="")),)),
            "spec.data[0].remoteRef.version=''",
        ),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("k", version="uuid/")),)),
            "spec.data[0].remoteRef.version='uuid/'",
        ),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("k", property=" ")),)),
            "spec.data[0].remoteRef.property=' '",
        ),
        (
            lambda: _es(data=(ExternalSecretData("a", RemoteRef("has space")),)),
            "spec.data[0].remoteRef.key='has space'",
        ),
        (lambda: _es(data_from=(DataFromFind(),)), "spec.dataFrom[0].find={}"),
        (
            lambda: _es(data_from=(DataFromFind(path="prod/*"),)),
            "spec.dataFrom[0].find.path='prod/*'",
        ),
        (
            lambda: _es(data_from=(DataFromExtract(RemoteRef("")),)),
            "spec.dataFrom[0].extract.key=''",
        ),
        (
            lambda: _es(data_from=(RemoteRef("k"),)),
            "must have exactly one of extract (DataFromExtract) or find (DataFromFind)",
        ),
        (lambda: _es(metadata=ObjectMeta("db")), "metadata.namespace=None"),
    ],
)
def test_external_secret_rejections_name_the_field(args: Any, needle: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.external_secret(args())
    assert needle in str(exc.value)


def test_external_secret_data_from_only_is_fine() -> None:
    m = eso.external_secret(_es(data=(), data_from=(DataFromFind(tags={"app": "api"}),)))
    assert m["spec"]["dataFrom"] == [{"find": {"tags": {"app": "api"}}}]
    assert "data" not in m["spec"]
    validate_manifest(m)


def test_remote_key_may_be_an_arn() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
    m = eso.external_secret(_es(data=(ExternalSecretData("db", RemoteRef(arn)),)))
    assert m["spec"]["data"] == [{"secretKey": "db", "remoteRef": {"key": arn}}]


# --------------------------------------------------------------------------------------------------
# Every ExternalSecret the builder produces for a broad matrix validates against the strict schema
# --------------------------------------------------------------------------------------------------


def _matrix_manifests() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    targets = [
        TargetArgs(),
        TargetArgs(name="t", creation_policy="Orphan", deletion_policy="Merge"),
        TargetArgs(creation_policy="Merge", deletion_policy="Retain"),
        TargetArgs(creation_policy="CreateOrMerge", deletion_policy="Merge", immutable=True),
        TargetArgs(creation_policy="None"),
        TargetArgs(template=TlsTemplate(cert_key="password", private_key_key="token")),
        TargetArgs(template=TlsTemplate(cert_key="token", labels={"a": "b"}, annotations={"c": "d"})),
    ]
    refs = [
        RemoteRef("prod/db"),
        RemoteRef("prod/db", "password", "AWSPREVIOUS"),
        RemoteRef("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", version="uuid/1"),
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
                        DataFromFind(path="prod/x", tags={"app": "x"}),
                    ),
                    target=target,
                    refresh_policy=policy,
                    refresh_interval="0s" if policy else "1h",
                )
                out.append((f"es-{t}{r}{policy}", eso.external_secret(args)))
    return out


_MATRIX = _matrix_manifests()


@pytest.mark.parametrize(("label", "manifest"), _MATRIX, ids=[label for label, _ in _MATRIX])
def test_matrix_manifest_validates_strictly(label: str, manifest: dict[str, Any]) -> None:
    validate_manifest(manifest)
    assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "secrets-iac"


def test_matrix_is_broad() -> None:
    assert {m["kind"] for _, m in _MATRIX} == {"ExternalSecret"}
    assert len(_MATRIX) >= 63


# --------------------------------------------------------------------------------------------------
# The strict checker really checks: broken manifests are rejected, at the right path
# --------------------------------------------------------------------------------------------------


def _good_es() -> dict[str, Any]:
    return eso.external_secret(_es())


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


def _unknown_top_level(m: dict[str, Any]) -> None:
    m["metdata"] = {}


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (_version_stage, "spec.data[0].remoteRef"),
        (_bad_creation, "spec.target.creationPolicy"),
        (_bad_store_kind, "spec.secretStoreRef.kind"),
        (_int_refresh, "spec.refreshInterval"),
        (_bad_secret_key, "spec.data[0].secretKey"),
        (_no_remote_key, "spec.data[0].remoteRef"),
        (_unknown_spec_field, "spec"),
        (_unknown_top_level, "<root>"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_strict_schema_rejects_broken_manifest(mutate: Any, path: str) -> None:
    assert_rejects_broken_copy(_good_es(), mutate, path)


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
