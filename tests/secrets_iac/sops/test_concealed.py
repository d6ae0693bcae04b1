"""Decrypted data never shows: no pickle, and repr/str/format/asdict/vars/copies hold only masks."""

from __future__ import annotations

import base64
import copy
import dataclasses
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from secrets_iac.secret_value import Concealed, SecretValue
from secrets_iac.sops import decrypt_document, encrypt_file, load_secrets
from secrets_iac.sops.cipher import ValueCipher
from secrets_iac.sops.rewrite import open_for_rewrite
from secrets_iac.sops.tree import to_plain
from tests.secrets_iac.sops.conftest import KeyPair

CANARY = "canary-7f3a9c"


@dataclasses.dataclass
class Holder:
    """A caller's dataclass holding decrypted data."""

    value: SecretValue
    tree: Concealed[dict[str, str]]


def _forms(secret: str | bytes) -> list[str]:
    """The ways a secret could leak into text: itself, its bytes repr, hex and base64."""
    raw = secret.encode() if isinstance(secret, str) else secret
    forms = [repr(raw)[2:-1], raw.hex(), base64.b64encode(raw).decode()]
    if isinstance(secret, str):
        forms.append(secret)
    return forms


def _texts(obj: Any) -> list[str]:
    """Every text a careless caller could make of `obj` (a refusal with TypeError is fine too)."""
    texts = [repr(obj), str(obj), f"{obj}", f"{obj!r:>10}", "%s %r" % (obj, obj)]  # noqa: UP031
    views: list[Any] = []
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        views.append(lambda: dataclasses.asdict(obj))
        views.append(lambda: dataclasses.astuple(obj))
    views += [lambda: vars(obj), lambda: copy.copy(obj), lambda: copy.deepcopy(obj)]
    for view in views:
        try:
            made = view()
            texts += [repr(made), str(made)]
            if dataclasses.is_dataclass(made) and not isinstance(made, type):
                texts.append(str(dataclasses.asdict(made)))
        except TypeError:
            continue
    return texts


def assert_never_shows(obj: Any, secrets: Sequence[str | bytes]) -> None:
    """`obj` refuses pickling in every protocol and no text made of it holds any form of a secret."""
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(obj, protocol)
    texts = "\n".join(_texts(obj))
    for secret in secrets:
        for form in _forms(secret):
            assert form not in texts, f"{type(obj).__name__} shows a secret"


@pytest.fixture
def encrypted(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair) -> Path:
    plain = tmp_path / "plain.yaml"
    plain.write_text(f"app:\n    password: {CANARY}\n    nested:\n        - {CANARY}-2\n")
    path = tmp_path / "s.enc.yaml"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    return path


def test_decrypted_document(encrypted: Path) -> None:
    doc = decrypt_document(encrypted)
    key = doc.data_key
    assert len(key) == 32 and to_plain(doc.branches[0])["app"]["password"] == CANARY
    assert_never_shows(doc, [CANARY, key])
    assert "Concealed(***)" in str(dataclasses.asdict(doc)) and "SecretValue(***)" in str(vars(doc))
    twin = copy.deepcopy(doc)
    assert twin.data_key == key and twin.branches == doc.branches and twin.branches is not doc.branches
    assert copy.copy(doc) is doc


def test_opened_file_and_its_cipher(encrypted: Path) -> None:
    opened = open_for_rewrite(encrypted)
    key = decrypt_document(encrypted).data_key
    assert_never_shows(opened, [CANARY, key])
    cipher = ValueCipher(key, keep_ivs=True)
    cipher.decrypt(cipher.encrypt(CANARY, "a:"), "a:")
    assert_never_shows(cipher, [CANARY, key])


def test_concealed_and_secret_value() -> None:
    tree = {"password": CANARY}
    concealed = Concealed(tree)
    assert_never_shows(concealed, [CANARY])
    assert concealed.reveal() is tree and copy.copy(concealed) is concealed
    assert copy.deepcopy(concealed).reveal() == tree and copy.deepcopy(concealed).reveal() is not tree
    with pytest.raises(AttributeError):
        concealed._value = {}
    holder = Holder(SecretValue(CANARY), concealed)
    assert CANARY not in str(dataclasses.asdict(holder)) and CANARY not in repr(holder)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(holder)


def test_load_secrets_mapping(encrypted: Path) -> None:
    secrets = load_secrets(encrypted)
    assert secrets["app/password"].reveal() == CANARY
    assert_never_shows(secrets, [CANARY])
    for value in secrets.values():
        assert_never_shows(value, [CANARY])
