"""Every file the real sops wrote (../shared/vectors/sops) decrypts to the expected plaintext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from secrets_iac.sops import decrypt_file, load_secrets, read_keys_file
from tests.conftest import shared_path

UPSTREAM = ["example.yaml", "example.json", "example.txt", "example.ini"]
GENERATED = [
    "basic.yaml",
    "basic.json",
    "basic.env",
    "blob.bin",
    "plain.txt",
    "k8s-secret.yaml",
    "suffix.yaml",
]


def _identities() -> list:  # type: ignore[type-arg]
    return read_keys_file(shared_path("vectors", "sops", "keys.txt"))


@pytest.mark.parametrize("name", UPSTREAM)
def test_upstream_vector_decrypts_exactly(name: str) -> None:
    encrypted = shared_path("vectors", "sops", name)
    expected = shared_path("vectors", "sops", "plain", name).read_bytes()
    assert decrypt_file(encrypted, identities=_identities()) == expected


@pytest.mark.parametrize("name", GENERATED)
def test_generated_vector_decrypts_exactly(name: str) -> None:
    encrypted = shared_path("vectors", "sops", "generated", "enc", name)
    expected = shared_path("vectors", "sops", "generated", "dec", name).read_bytes()
    assert decrypt_file(encrypted, identities=_identities()) == expected


@pytest.mark.parametrize("name", ["basic.yaml", "k8s-secret.yaml", "suffix.yaml"])
def test_generated_yaml_vector_matches_semantically(name: str) -> None:
    encrypted = shared_path("vectors", "sops", "generated", "enc", name)
    expected = yaml.safe_load(shared_path("vectors", "sops", "generated", "dec", name).read_bytes())
    assert yaml.safe_load(decrypt_file(encrypted, identities=_identities())) == expected


def test_each_upstream_identity_alone_decrypts() -> None:
    identities = _identities()
    for identity in identities:
        out = decrypt_file(shared_path("vectors", "sops", "example.json"), identities=[identity])
        assert json.loads(out)["firstName"] == "John"


def test_vector_as_secret_mapping() -> None:
    secrets = load_secrets(shared_path("vectors", "sops", "example.yaml"), identities=_identities())
    assert secrets["app2/db/password"].reveal() == "c4r1b0u"
    assert secrets["an_array/1"].reveal() == "secretuser2"
    assert secrets["somebooleans/0"].reveal() == "true"
    assert "c4r1b0u" not in repr(dict(secrets))


def test_vector_keys_file_has_two_identities() -> None:
    path: Path = shared_path("vectors", "sops", "keys.txt")
    assert len(read_keys_file(path)) == 2
