"""PushSecret: real fields, the wrapped provider metadata, strict CRD-schema validity, the push-only rules."""

from __future__ import annotations

from typing import Any

import pytest

from secrets_iac import eso
from secrets_iac.eso import (
    EsoSpecError,
    ObjectMeta,
    PushSecretArgs,
    PushSecretData,
    PushSecretMetadata,
    StoreRef,
)
from tests.eso_schema import assert_rejects_broken_copy, schema_errors, validate_manifest

NS = "apps"


def _ps(**kw: Any) -> PushSecretArgs:
    base: dict[str, Any] = {
        "metadata": ObjectMeta("push-db", NS),
        "secret_name": "db-generated",
        "secret_store_refs": (StoreRef("aws-sm"),),
        "data": (PushSecretData("prod/db-generated", secret_key="password"),),
    }
    base.update(kw)
    return PushSecretArgs(**base)


def test_push_secret_fields_and_wrapped_metadata() -> None:
    meta = PushSecretMetadata(
        secret_push_format="string",
        kms_key_id="alias/secrets-iac",
        description="pushed by ESO",
        tags={"team": "a"},
    )
    m = eso.push_secret(
        _ps(
            secret_store_refs=(StoreRef("aws-sm"), StoreRef("aws-sm-dr", "ClusterSecretStore")),
            data=(
                PushSecretData("prod/db-generated", secret_key="password", metadata=meta),
                PushSecretData("prod/db-json", secret_key="user"),
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
            {"match": {"secretKey": "user", "remoteRef": {"remoteKey": "prod/db-json"}}},
            {"match": {"remoteRef": {"remoteKey": "prod/db-whole"}}},
        ],
    }
    validate_manifest(m)


def test_push_secret_defaults() -> None:
    spec = eso.push_secret(_ps())["spec"]
    assert spec["updatePolicy"] == "Replace"
    assert spec["deletionPolicy"] == "None"
    assert spec["refreshInterval"] == "1h"


def _meta(**kw: Any) -> tuple[PushSecretData, ...]:
    return (PushSecretData("k", "v", metadata=PushSecretMetadata(**kw)),)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            lambda: _ps(data=_meta(tags={"managed-by": "me"})),
            "spec.data[0].metadata.spec.tags['managed-by']='me'",
        ),
        (lambda: _ps(data=_meta(tags={"aws:x": "1"})), "spec.data[0].metadata.spec.tags['aws:x']='aws:x'"),
        (lambda: _ps(data=_meta(tags={"k": "v" * 257})), "AWS tag values are strings of at most 256"),
        (
            lambda: _ps(data=_meta(secret_push_format="json")),
            "spec.data[0].metadata.spec.secretPushFormat='json'",
        ),
        (lambda: _ps(data=_meta(kms_key_id="")), "spec.data[0].metadata.spec.kmsKeyId=''"),
        (lambda: _ps(data=_meta(description="d" * 2049)), "must be a string of at most 2048 characters"),
        (lambda: _ps(update_policy="Force"), "spec.updatePolicy='Force'"),
        (lambda: _ps(deletion_policy="Retain"), "spec.deletionPolicy='Retain'"),
        (lambda: _ps(refresh_interval="hourly"), "spec.refreshInterval='hourly'"),
        (lambda: _ps(secret_store_refs=()), "spec.secretStoreRefs=[]"),
        (lambda: _ps(data=()), "spec.data=[]"),
        (lambda: _ps(secret_name="Db"), "spec.selector.secret.name='Db'"),
        (
            lambda: _ps(data=(PushSecretData("k", "a/b"),)),
            "spec.data[0].match.secretKey='a/b'",
        ),
        (
            lambda: _ps(data=(PushSecretData("has space", "v"),)),
            "spec.data[0].match.remoteRef.remoteKey='has space'",
        ),
        (
            lambda: _ps(data=(PushSecretData("k", "a"), PushSecretData("k", "b"))),
            "spec.data[1].match.remoteRef.remoteKey='k': same target as spec.data[0]",
        ),
    ],
)
def test_push_secret_rejections_name_the_field(args: Any, needle: str) -> None:
    with pytest.raises(EsoSpecError) as exc:
        eso.push_secret(args())
    assert needle in str(exc.value)


# --------------------------------------------------------------------------------------------------
# Every PushSecret the builder produces for a broad matrix validates against the strict schema
# --------------------------------------------------------------------------------------------------


def _matrix_manifests() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for fmt in (None, "string", "binary"):
        for upd in ("Replace", "IfNotExists"):
            for dele in ("None", "Delete"):
                meta = None if fmt is None else PushSecretMetadata(fmt, tags={"a": "b"})
                ps = _ps(data=(PushSecretData("k", "v", meta),), update_policy=upd, deletion_policy=dele)
                out.append((f"ps-{fmt}{upd}{dele}", eso.push_secret(ps)))
    return out


_MATRIX = _matrix_manifests()


@pytest.mark.parametrize(("label", "manifest"), _MATRIX, ids=[label for label, _ in _MATRIX])
def test_matrix_manifest_validates_strictly(label: str, manifest: dict[str, Any]) -> None:
    validate_manifest(manifest)
    assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "secrets-iac"


def test_matrix_is_broad() -> None:
    assert {m["kind"] for _, m in _MATRIX} == {"PushSecret"}
    assert len(_MATRIX) == 12


# --------------------------------------------------------------------------------------------------
# The strict checker really checks: broken PushSecrets are rejected, at the right path
# --------------------------------------------------------------------------------------------------


def _good_ps() -> dict[str, Any]:
    return eso.push_secret(_ps())


def _bad_push_delete(m: dict[str, Any]) -> None:
    m["spec"]["deletionPolicy"] = "Retain"


def _no_selector(m: dict[str, Any]) -> None:
    del m["spec"]["selector"]


def _push_match_typo(m: dict[str, Any]) -> None:
    m["spec"]["data"][0]["match"]["remoteRef"]["remoteKeys"] = "x"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (_bad_push_delete, "spec.deletionPolicy"),
        (_no_selector, "spec"),
        (_push_match_typo, "spec.data[0].match.remoteRef"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_strict_schema_rejects_broken_push_secret(mutate: Any, path: str) -> None:
    assert_rejects_broken_copy(_good_ps(), mutate, path)


def test_schema_lookup_by_api_version_and_kind() -> None:
    m = _good_ps()
    m["apiVersion"] = "external-secrets.io/v1"
    assert "no ESO schema" in schema_errors(m)[0]
