"""Files we write, read back by an independent path: Debian's `age` CLI unwraps the data key and
plain AES-GCM (no code from secrets_iac.sops) decrypts every value and the MAC."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secrets_iac.sops import encrypt_file
from tests.secrets_iac.sops.conftest import KeyPair

pytestmark = pytest.mark.interop

ENC = re.compile(r"^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$")
PLAIN = {
    "app": {"db": {"user": "admin", "password": "pässword"}, "port": 5432, "tags": ["a", "b"]},
    "empty": "",
    "flag": True,
    "note_unencrypted": "kept",
}


def _age_unwrap(age_cli: str, enc: str, key_file: Path) -> bytes:
    result = subprocess.run(
        [age_cli, "-d", "-i", str(key_file)], input=enc.encode(), capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _open(key: bytes, value: str, aad: str) -> tuple[bytes, str]:
    match = ENC.match(value)
    assert match, value
    data, iv, tag = (base64.b64decode(match.group(i)) for i in (1, 2, 3))
    assert len(iv) == 32 and len(tag) == 16
    return AESGCM(key).decrypt(iv, data + tag, aad.encode()), match.group(4)


def _walk(node: Any, path: list[str], out: list[tuple[str, Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _walk(value, [*path, key], out)
    elif isinstance(node, list):
        for item in node:
            _walk(item, path, out)
    else:
        out.append((":".join(path) + ":", node))


def _go_text(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"True" if value else b"False"
    return str(value).encode()


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_age_cli_and_aesgcm_read_what_we_write(
    suffix: str, tmp_path: Path, keys: list[KeyPair], age_cli: str, age_env: KeyPair
) -> None:
    plain = tmp_path / f"plain{suffix}"
    plain.write_text(yaml.safe_dump(PLAIN, sort_keys=False) if suffix == ".yaml" else json.dumps(PLAIN))
    encrypted = encrypt_file(plain, recipients=[keys[0].recipient, keys[1].recipient])
    doc = yaml.safe_load(encrypted) if suffix == ".yaml" else json.loads(encrypted)
    meta = doc.pop("sops")
    assert [e["recipient"] for e in meta["age"]] == [keys[0].recipient, keys[1].recipient]
    data_key = _age_unwrap(age_cli, meta["age"][1]["enc"], keys[1].key_file)
    assert len(data_key) == 32 and data_key == _age_unwrap(age_cli, meta["age"][0]["enc"], keys[0].key_file)

    leaves: list[tuple[str, Any]] = []
    _walk(doc, [], leaves)
    expected: list[tuple[str, Any]] = []
    _walk(PLAIN, [], expected)
    mac = hashlib.sha512()
    for (aad, stored), (expected_aad, value) in zip(leaves, expected, strict=True):
        assert aad == expected_aad
        if aad.startswith("note_unencrypted") or value == "":
            assert stored == value
            mac.update(_go_text(value))
            continue
        plaintext, kind = _open(data_key, stored, aad)
        if suffix == ".json" and isinstance(value, int) and not isinstance(value, bool):
            assert (plaintext, kind) == (
                str(value).encode(),
                "float",
            )  # sops 3.11 reads JSON numbers as float
        else:
            assert plaintext == _go_text(value)
            assert kind == {str: "str", int: "int", bool: "bool"}[type(value)]
        mac.update(plaintext)
    stored_mac, kind = _open(data_key, meta["mac"], meta["lastmodified"])
    assert kind == "str"
    assert stored_mac.decode() == mac.hexdigest().upper()
    assert meta["unencrypted_suffix"] == "_unencrypted"
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["lastmodified"])
