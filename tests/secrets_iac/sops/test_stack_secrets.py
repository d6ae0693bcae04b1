"""The example stages' SOPS files decrypt with their test key, follow their rules, and differ per stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_iac.sops import load_secrets, read_keys_file
from secrets_iac.sops.config import rule_for_file
from secrets_iac.sops.stores import load_encrypted
from tests.fixtures.example import EXAMPLE, EXAMPLE_KEY, STAGES

EXPECTED_KEYS = {
    "payments/db/username",
    "payments/db/password",
    "payments/stripe-api-key",
    "web/tls/tls.crt",
    "web/tls/tls.key",
}


def _stage(stage: str) -> Path:
    return EXAMPLE / "stacks" / "secrets" / f"{stage}.enc.yaml"


@pytest.mark.parametrize("stage", STAGES)
def test_stage_file_decrypts_with_its_key(stage: str) -> None:
    identities = read_keys_file(EXAMPLE_KEY)
    secrets = load_secrets(_stage(stage), identities=identities)
    assert set(secrets) == EXPECTED_KEYS
    assert secrets["payments/db/username"].reveal().startswith("payments_")
    assert secrets["web/tls/tls.crt"].reveal().startswith("-----BEGIN CERTIFICATE-----\n")


@pytest.mark.parametrize("stage", STAGES)
def test_stage_file_is_encrypted_to_its_rule(stage: str) -> None:
    path = _stage(stage)
    rule = rule_for_file(path, EXAMPLE / ".sops.yaml")
    _, metadata = load_encrypted(path.read_bytes(), "yaml", str(path))
    assert [tuple(e.recipient for e in g.age) for g in metadata.key_groups] == list(rule.key_groups)
    assert "password:" in path.read_text() and "not-a-real-password" not in path.read_text()


def test_stage_values_differ() -> None:
    identities = read_keys_file(EXAMPLE_KEY)
    passwords = {
        load_secrets(_stage(s), identities=identities)["payments/db/password"].reveal() for s in STAGES
    }
    assert len(passwords) == 3
