"""Values checked against how the stage declares each secret, before anything is sent: refused per secret,
naming the SOPS file, the key path and the stack key, never the value."""

from __future__ import annotations

from typing import Any

import pytest

from secrets_iac.config import load_stage_config
from secrets_iac.sync import Status, load_desired
from secrets_iac.sync.shapes import MAX_SECRET_BYTES, declared_shapes, has_property
from tests.conftest import MotoServer
from tests.secrets_iac.sync.conftest import (
    CANARY,
    STACK,
    SyncProject,
    default_values,
    pulumi_up,
    stack_document,
)

SOURCE = "stacks/secrets/test.enc.yaml"


def refused(project: SyncProject, values: dict[str, Any]) -> dict[str, str]:
    project.write_secrets(values)
    config = load_stage_config(project.root, STACK)
    desired = load_desired(
        project.secrets_file,
        project.plan(),
        stack=STACK,
        identities=[project.identity],
        source=SOURCE,
        shapes=declared_shapes(config, "secrets-iac/test"),
        stack_source="stacks/Pulumi.test.yaml",
    )
    assert all(CANARY not in message for message in desired.refused.values())
    return {name.rsplit("/", 2)[-2] + ":" + name.rsplit("/", 1)[-1]: m for name, m in desired.refused.items()}


def with_db_keys(project: SyncProject, *properties: str, version: str | None = None) -> None:
    document = stack_document()
    keys: list[dict[str, Any]] = [{"secretKey": f"K{i}", "property": p} for i, p in enumerate(properties)]
    if version is not None:
        keys[-1]["version"] = version
    document["config"]["secrets-iac:apps"][0]["secrets"][0]["keys"] = keys
    project.write_stack(document)


def test_the_default_values_fit_their_declarations(project: SyncProject) -> None:
    assert refused(project, default_values()) == {}


def test_a_missing_property_is_refused_naming_file_key_and_declaration(project: SyncProject) -> None:
    with_db_keys(project, "username", "passwrd")
    assert refused(project, default_values()) == {
        "payments:db": f"{SOURCE}: payments:db: has no property 'passwrd' "
        "(declared by stacks/Pulumi.test.yaml secrets-iac:apps[0].secrets[0].keys[1].property)"
    }


def test_a_plain_string_where_a_property_is_declared_is_refused(project: SyncProject) -> None:
    with_db_keys(project, "password")
    values = default_values()
    values["payments"]["db"] = f"{CANARY}-plain"
    (message,) = refused(project, values).values()
    assert message == (
        f"{SOURCE}: payments:db: must be a mapping (a JSON object): stacks/Pulumi.test.yaml "
        "secrets-iac:apps[0].secrets[0].keys[0].property picks a property of it"
    )


def test_tls_needs_both_properties(project: SyncProject) -> None:
    values = default_values()
    del values["web"]["tls"]["tls.key"]
    assert refused(project, values) == {
        "web:tls": f"{SOURCE}: web:tls: has no property 'tls.key' (declared by stacks/Pulumi.test.yaml "
        "secrets-iac:apps[1].tls.keyProperty)"
    }
    values["web"]["tls"] = "just a string"
    assert (
        "secrets-iac:apps[1].tls.secret names it as the app's TLS secret"
        in refused(project, values)["web:tls"]
    )


def test_a_secret_without_keys_must_be_a_json_object(project: SyncProject) -> None:
    values = default_values()
    values["payments"]["db-rotated"] = f"{CANARY}-string"
    assert (
        "has no keys, so ESO reads it with dataFrom.extract"
        in refused(project, values)["payments:db-rotated"]
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is empty: Secrets Manager needs at least one character"),
        ("x" * (MAX_SECRET_BYTES + 1), "is 65537 bytes"),
    ],
)
def test_values_secrets_manager_cannot_take(project: SyncProject, value: str, problem: str) -> None:
    values = default_values()
    values["payments"]["stripe-api-key"] = value
    assert problem in refused(project, values)["payments:stripe-api-key"]


def test_properties_of_other_versions_are_not_checked(project: SyncProject) -> None:
    with_db_keys(project, "username", "old-password", version="AWSPREVIOUS")
    assert refused(project, default_values()) == {}


@pytest.mark.parametrize(
    ("document", "path", "found"),
    [
        ({"tls.crt": "x"}, "tls.crt", True),  # ESO first tries the whole property as one key
        ({"tls": {"crt": "x"}}, "tls.crt", True),
        ({"a": {"b.c": 1}}, "a.b\\.c", True),
        ({"a": [{"b": 1}, {"b": 2}]}, "a.1.b", True),
        ({"a": [{"b": 1}]}, "a.3.b", False),
        ({"a": {"b": 1}}, "a.c", False),
        ({"a": 1}, "a.b", False),
        ({"a": [1, 2]}, "a.#", None),  # gjson syntax: left to ESO
        ({"a": 1}, "a|@reverse", None),
    ],
)
def test_property_lookup_follows_eso(document: Any, path: str, found: bool | None) -> None:
    assert has_property(document, path) is found


def test_a_refused_secret_gets_no_call_and_the_others_sync(moto: MotoServer, project: SyncProject) -> None:
    with_db_keys(project, "password")
    pulumi_up(moto, project)
    values = default_values()
    values["payments"]["db"] = {"username": "payments", "pasword": f"{CANARY}-typo"}
    project.write_secrets(values)
    report = project.sync(moto)
    results = {r.name: r for r in report.results}
    db = results.pop(project.name("payments", "db"))
    assert db.status is Status.ERROR and db.detail.startswith(
        "refused, nothing sent: stacks/secrets/test.enc.yaml"
    )
    assert "has no property 'password'" in db.detail and CANARY not in db.detail
    assert {r.status for r in results.values()} == {Status.CREATED}
    assert report.exit_code() == 1
    versions = moto.client("secretsmanager").list_secret_version_ids(SecretId=project.name("payments", "db"))
    assert versions["Versions"] == []
