"""Rewrites keep the data key and unchanged ciphertexts, and never give one IV two plaintexts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secrets_iac.sops import decrypt_document, decrypt_file, encrypt_file
from secrets_iac.sops.cipher import EncValue, IvKey, ValueCipher
from secrets_iac.sops.errors import SopsError, WriteError
from secrets_iac.sops.rewrite import open_for_rewrite
from secrets_iac.sops.stores import load_encrypted
from secrets_iac.sops.tree import TreeMap, Value, aad_for, leaves
from secrets_iac.sops.tree_edit import set_value
from tests.secrets_iac.sops.conftest import KeyPair

PLAIN = "a: hunter2\nlist:\n    - x\n    - x\n    - y\nn: 1\nf: 1.5\nt: true\nkeep_unencrypted: 5\n"


@pytest.fixture
def encrypted(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair) -> Path:
    plain = tmp_path / "plain.yaml"
    plain.write_text(PLAIN)
    path = tmp_path / "s.enc.yaml"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    return path


def _ciphertexts(data: bytes) -> list[tuple[tuple[str, ...], str]]:
    branches, _ = load_encrypted(data, "yaml", "t")
    return [(path, leaf) for path, leaf in leaves(branches) if isinstance(leaf, str)]


def _iv_uses(data: bytes, key: bytes) -> dict[bytes, set[IvKey]]:
    """Every IV in a file and the (AAD, type, plaintext) it encrypts."""
    cipher = ValueCipher(key, keep_ivs=True)
    branches, _ = load_encrypted(data, "yaml", "t")
    for path, leaf in leaves(branches):
        if isinstance(leaf, str) and leaf.startswith("ENC["):
            cipher.decrypt(leaf, aad_for(path))
    uses: dict[bytes, set[IvKey]] = {}
    for use, ivs in cipher.remembered_ivs().items():
        for iv in ivs:
            uses.setdefault(iv, set()).add(use)
    return uses


def test_resealing_the_same_values_reproduces_every_ciphertext(encrypted: Path) -> None:
    opened = open_for_rewrite(encrypted)
    again = opened.reseal(opened.branches)
    assert _ciphertexts(again) == _ciphertexts(encrypted.read_bytes())  # duplicates in a list too


def test_a_changed_value_gets_a_fresh_iv_and_the_rest_stay(encrypted: Path) -> None:
    before = encrypted.read_bytes()
    opened = open_for_rewrite(encrypted)
    root, _ = set_value(opened.branches[0], ("n",), 1.0)  # same text "1", another type
    after = opened.reseal([root])
    old, new = dict(_ciphertexts(before)), dict(_ciphertexts(after))
    assert EncValue.parse(new[("n",)]).iv != EncValue.parse(old[("n",)]).iv
    assert EncValue.parse(new[("n",)]).type == "float"
    assert [p for p in old if old[p] != new.get(p)] == [("n",)]
    key = decrypt_document(encrypted).data_key
    merged = _iv_uses(before, key)
    for iv, uses in _iv_uses(after, key).items():
        merged.setdefault(iv, set()).update(uses)
    assert all(len(uses) == 1 for uses in merged.values())


def test_an_iv_is_only_reused_for_the_exact_plaintext_bytes() -> None:
    key = os.urandom(32)
    writer = ValueCipher(key)
    # A value whose stored text is not what re-encoding gives ("1.50" read as the float 1.5).
    odd = writer.encrypt("1.50", "a:").replace("type:str", "type:float")
    reader = ValueCipher(key, keep_ivs=True)
    assert reader.decrypt(odd, "a:") == 1.5
    again = ValueCipher(key, reuse_ivs=reader.remembered_ivs()).encrypt(1.5, "a:")
    assert EncValue.parse(again).iv != EncValue.parse(odd).iv
    same = writer.encrypt("s", "a:")
    reader.decrypt(same, "a:")
    reuse = ValueCipher(key, reuse_ivs=reader.remembered_ivs())
    assert reuse.encrypt("s", "b:") != same  # another key path: a fresh IV
    assert reuse.encrypt("s", "a:") == same
    assert EncValue.parse(reuse.encrypt("s", "a:")).iv != EncValue.parse(same).iv  # each IV once


_leaf = st.one_of(st.text(max_size=6), st.integers(-3, 3), st.booleans(), st.sampled_from([0.5, 1.0, 2.0]))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.lists(st.tuples(st.sampled_from(["a", "n", "f", "t", "new"]), _leaf), min_size=1, max_size=5)
)
def test_no_iv_ever_encrypts_two_plaintexts(encrypted: Path, changes: list[tuple[str, Value]]) -> None:
    """Across a file's history (every version git would keep), one IV always seals one plaintext."""
    key = decrypt_document(encrypted).data_key
    history = _iv_uses(encrypted.read_bytes(), key)
    for name, value in changes:
        opened = open_for_rewrite(encrypted)
        root, _ = set_value(opened.branches[0], (name,), value)
        opened.write(opened.reseal([root]))
        for iv, uses in _iv_uses(encrypted.read_bytes(), key).items():
            history.setdefault(iv, set()).update(uses)
    assert all(len(uses) == 1 for uses in history.values())


def test_write_follows_a_symlink_and_keeps_the_mode(encrypted: Path, tmp_path: Path) -> None:
    encrypted.chmod(0o640)
    link = tmp_path / "link.enc.yaml"
    link.symlink_to(encrypted.name)
    opened = open_for_rewrite(link)
    root, _ = set_value(opened.branches[0], ("a",), "new")
    opened.write(opened.reseal([root]))
    assert link.is_symlink() and (encrypted.stat().st_mode & 0o777) == 0o640
    assert b"a: new" in decrypt_file(encrypted)


def test_write_refuses_a_file_changed_since_it_was_opened(encrypted: Path) -> None:
    opened = open_for_rewrite(encrypted)
    data = opened.reseal([set_value(opened.branches[0], ("a",), "mine")[0]])
    encrypted.write_bytes(encrypted.read_bytes() + b"\n")
    theirs = encrypted.read_bytes()
    with pytest.raises(WriteError, match="changed on disk"):
        opened.write(data)
    assert encrypted.read_bytes() == theirs


def test_a_change_the_format_cannot_hold_is_refused(
    tmp_path: Path, keys: list[KeyPair], age_env: KeyPair
) -> None:
    plain = tmp_path / "plain.env"
    plain.write_text("A=1\n")
    path = tmp_path / "s.env"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    opened = open_for_rewrite(path)
    for key, value in (("B", TreeMap([("x", "y")])), ("C=D", "v")):
        root, _ = set_value(opened.branches[0], (key,), value)
        with pytest.raises(SopsError):
            opened.reseal([root])
