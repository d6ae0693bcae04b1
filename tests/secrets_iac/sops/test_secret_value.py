"""SecretValue never shows its plaintext; the sync gets flat key paths from load_secrets."""

from __future__ import annotations

import copy
import logging
import pickle
from pathlib import Path

import pytest

from secrets_iac.secret_value import SecretValue
from secrets_iac.sops import encrypt_file, load_secrets
from tests.secrets_iac.sops.conftest import KeyPair


def test_never_shows_the_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = SecretValue("hunter2")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % secret, repr([secret])):  # noqa: UP031
        assert "hunter2" not in text
    logging.getLogger("t").warning("value %s", secret)
    assert "hunter2" not in caplog.text
    assert secret.reveal() == "hunter2" and secret.reveal_bytes() == b"hunter2"


def test_equality_immutability_and_no_pickle() -> None:
    assert SecretValue("a") == SecretValue(b"a") and SecretValue("a") != SecretValue("b")
    with pytest.raises(TypeError):
        pickle.dumps(SecretValue("x"))
    with pytest.raises(TypeError):
        hash(SecretValue("x"))
    with pytest.raises(AttributeError):
        SecretValue("x")._value = b"y"
    assert copy.deepcopy(SecretValue("x")) == SecretValue("x")


def test_load_secrets_flattens_key_paths(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair) -> None:
    plain = tmp_path / "s.yaml"
    plain.write_text(
        "# c\npayments:\n    db: {username: app, password: pw1}\n    port: 5432\n"
        "    on: true\n    hosts: [a, b]\n    none: null\nweb_unencrypted:\n    url: https://x\n"
    )
    encrypted = tmp_path / "s.enc.yaml"
    encrypted.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    secrets = load_secrets(encrypted)
    assert sorted(secrets) == [
        "payments/db/password",
        "payments/db/username",
        "payments/hosts/0",
        "payments/hosts/1",
        "payments/on",
        "payments/port",
        "web_unencrypted/url",
    ]
    assert secrets["payments/db/password"].reveal() == "pw1"
    assert secrets["payments/port"].reveal() == "5432" and secrets["payments/on"].reveal() == "true"
    assert "pw1" not in repr(secrets)
    with pytest.raises(TypeError):
        secrets["x"] = SecretValue("y")  # type: ignore[index]
