"""Desired values: SOPS tree -> declared secrets; JSON secrets compared semantically; typo protection."""

from __future__ import annotations

import json
from typing import Any

import pyrage
import pytest

from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan
from secrets_iac.sops import AgeIdentity, SopsError
from secrets_iac.sync import DesiredSecrets, load_desired
from secrets_iac.sync.desired import json_equal
from tests.secrets_iac.sync.conftest import CANARY, STACK, SyncProject, default_values, stack_document


def load(project: SyncProject, values: dict[str, Any] | None = None) -> DesiredSecrets:
    if values is not None:
        project.write_secrets(values)
    return load_desired(
        project.secrets_file,
        project.plan(),
        stack=STACK,
        identities=[project.identity],
        source="secrets.enc.yaml",
    )


def by_path(desired: DesiredSecrets) -> dict[str, Any]:
    return {v.key_path: v for v in desired.values.values()}


def test_scalars_and_mappings_map_onto_declared_secrets(project: SyncProject) -> None:
    desired = load(project)
    values = by_path(desired)
    assert set(values) == {"payments:db", "payments:stripe-api-key", "payments:db-rotated", "web:tls"}
    stripe = values["payments:stripe-api-key"]
    assert not stripe.is_json and stripe.value.reveal() == f"sk_test_{CANARY}"
    assert stripe.spec.name == "secrets-iac/test/payments/stripe-api-key"
    db = values["payments:db"]
    assert db.is_json
    assert json.loads(db.value.reveal()) == {"username": "payments", "password": f"{CANARY}-db", "port": 5432}
    assert [s.name for s in desired.secrets] == [s.name for s in project.plan().secrets]


def test_values_never_show_in_repr(project: SyncProject) -> None:
    desired = load(project)
    assert CANARY not in repr(desired) and CANARY not in str(desired.values)


def test_scalar_types_become_their_text(project: SyncProject) -> None:
    values = default_values()
    values["payments"]["stripe-api-key"] = 5432
    values["web"]["tls"] = True
    got = by_path(load(project, values))
    assert got["payments:stripe-api-key"].value.reveal() == "5432"
    assert got["web:tls"].value.reveal() == "true"


def test_json_compares_semantically(project: SyncProject) -> None:
    db = by_path(load(project))["payments:db"]
    same = {"port": 5432, "password": f"{CANARY}-db", "username": "payments"}
    assert db.matches(json.dumps(same, indent=2))
    assert db.matches(json.dumps(same, separators=(",", ":")))
    assert not db.matches(json.dumps({**same, "port": "5432"}))
    assert not db.matches(json.dumps({**same, "extra": 1}))
    assert not db.matches("not json")
    assert not db.matches(None)


def test_scalar_compares_exactly(project: SyncProject) -> None:
    stripe = by_path(load(project))["payments:stripe-api-key"]
    assert stripe.matches(f"sk_test_{CANARY}")
    assert not stripe.matches(f"sk_test_{CANARY} ")
    assert not stripe.matches(json.dumps(f"sk_test_{CANARY}"))


def test_json_equal_keeps_bools_and_numbers_apart() -> None:
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not json_equal({"a": True}, {"a": 1})
    assert not json_equal([0], [False])
    assert not json_equal({"a": None}, {})


def test_missing_and_null_values_are_simply_absent(project: SyncProject) -> None:
    values = default_values()
    del values["web"]
    values["payments"]["db"] = None
    desired = load(project, values)
    assert set(by_path(desired)) == {"payments:stripe-api-key", "payments:db-rotated"}
    assert desired.value_for(project.plan().secrets[0]) is None


def test_undeclared_keys_are_all_reported_with_file_and_path(project: SyncProject) -> None:
    values = default_values()
    values["payments"]["stripe-api-kye"] = f"{CANARY}-typo"
    values["payments"]["dbx"] = {"password": CANARY}
    values["shop"] = {"db": CANARY}
    with pytest.raises(UserError) as info:
        load(project, values)
    lines = str(info.value).splitlines()
    assert lines == [
        "secrets.enc.yaml: payments:stripe-api-kye: not a secret declared by stack test "
        "(payments declares: db, db-rotated, stripe-api-key)",
        "secrets.enc.yaml: payments:dbx: not a secret declared by stack test "
        "(payments declares: db, db-rotated, stripe-api-key)",
        "secrets.enc.yaml: shop: no secrets declared for app 'shop' in stack test "
        "(apps with secrets: payments, web)",
    ]


def test_a_file_of_the_wrong_structure_is_an_error(project: SyncProject) -> None:
    values = default_values()
    values["web"] = CANARY
    with pytest.raises(UserError) as info:
        load(project, values)
    message = str(info.value)
    assert "web: must be a mapping of secret names to values" in message
    assert CANARY not in message


def test_a_value_the_sync_cannot_write_is_refused_for_that_secret_alone(project: SyncProject) -> None:
    values = default_values()
    values["payments"]["stripe-api-key"] = [CANARY]
    desired = load(project, values)
    name = "secrets-iac/test/payments/stripe-api-key"
    assert name not in desired.values and len(desired.values) == 3
    assert desired.refused[name].startswith(
        "secrets.enc.yaml: payments:stripe-api-key: a secret's value must be a string or a mapping"
    )
    assert CANARY not in desired.refused[name]


def test_secret_names_with_slashes_are_one_key(project: SyncProject) -> None:
    document = stack_document()
    document["config"]["secrets-iac:apps"][1]["secrets"].append({"name": "oauth/google"})
    project.write_stack(document)
    values = default_values()
    values["web"]["oauth/google"] = {"client-id": "id", "client-secret": CANARY}
    desired = load(project, values)
    assert by_path(desired)["web:oauth/google"].spec.name == "secrets-iac/test/web/oauth/google"


def test_wrong_key_and_tampered_file_fail_without_values(project: SyncProject) -> None:
    other = AgeIdentity.from_str(str(pyrage.x25519.Identity.generate()), "other")
    plan: StagePlan = project.plan()
    with pytest.raises(SopsError) as info:
        load_desired(project.secrets_file, plan, stack=STACK, identities=[other])
    assert CANARY not in str(info.value)
    text = project.secrets_file.read_text()
    start = text.index("ENC[", text.index("stripe-api-key"))
    tampered = text[:start] + text[start:].replace("ENC[AES256_GCM,data:", "ENC[AES256_GCM,data:AAAA", 1)
    project.secrets_file.write_text(tampered)
    with pytest.raises(SopsError) as info:
        load_desired(project.secrets_file, plan, stack=STACK, identities=[project.identity])
    assert CANARY not in str(info.value)


def test_missing_file_is_a_user_error(project: SyncProject) -> None:
    project.secrets_file.unlink()
    with pytest.raises(UserError, match=r"secrets\.enc\.yaml: no such secrets file"):
        load(project)
