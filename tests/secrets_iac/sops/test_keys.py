"""Where identities come from, like sops: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default file, combined."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secrets_iac.sops.keys import (
    IdentityError,
    default_keys_file,
    load_identities,
    parse_identities,
    unwrap_key,
    wrap_key,
)
from tests.secrets_iac.sops.conftest import KeyPair


def test_sources_are_combined(tmp_path: Path, keys: list[KeyPair]) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "sops" / "age").mkdir(parents=True)
    (xdg / "sops" / "age" / "keys.txt").write_text(keys[2].secret + "\n")
    env = {
        "SOPS_AGE_KEY": keys[0].secret,
        "SOPS_AGE_KEY_FILE": str(keys[1].key_file),
        "XDG_CONFIG_HOME": str(xdg),
    }
    assert [i.recipient for i in load_identities(env)] == [k.recipient for k in keys]


def test_default_file_under_home_config(tmp_path: Path, keys: list[KeyPair]) -> None:
    path = default_keys_file({"HOME": str(tmp_path)})
    assert path == tmp_path / ".config" / "sops" / "age" / "keys.txt"
    path.parent.mkdir(parents=True)
    path.write_text(f"# two keys\n\n{keys[0].secret}\n{keys[1].secret}\n")
    assert len(load_identities({"HOME": str(tmp_path)})) == 2
    assert load_identities({"HOME": str(tmp_path / "nobody")}) == []


def test_bad_lines_are_refused_without_echoing_them(keys: list[KeyPair]) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identities(f"{keys[0].secret}\nnot-a-key-SECRETISH\n", "keys.txt")
    assert "keys.txt:2" in str(caught.value) and "SECRETISH" not in str(caught.value)
    with pytest.raises(IdentityError, match="not supported"):
        parse_identities("AGE-PLUGIN-YUBIKEY-1XYZ\n", "k")


def test_identity_repr_hides_the_secret(keys: list[KeyPair]) -> None:
    identity = keys[0].identity
    assert keys[0].secret not in repr(identity) and keys[0].recipient in repr(identity)


def test_wrap_is_armored_and_unwraps_with_the_right_key_only(keys: list[KeyPair]) -> None:
    key = os.urandom(32)
    enc = wrap_key(key, keys[0].recipient)
    assert enc.startswith("-----BEGIN AGE ENCRYPTED FILE-----\n") and enc.endswith(
        "-----END AGE ENCRYPTED FILE-----\n"
    )
    assert unwrap_key(enc, [keys[1].identity, keys[0].identity]) == key
    assert unwrap_key(enc, [keys[1].identity]) is None
    assert unwrap_key(enc.replace("\n", "\r\n"), [keys[0].identity]) == key
