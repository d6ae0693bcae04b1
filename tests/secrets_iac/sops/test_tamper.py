"""A wrong key, a missing identity, or any change to the file fails with one clear error and no plaintext."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secrets_iac.sops import decrypt_file, encrypt_file
from secrets_iac.sops.errors import (
    EXIT_DATA_KEY,
    EXIT_DECRYPTING_TREE,
    EXIT_MAC_MISMATCH,
    EXIT_MAC_NOT_FOUND,
    DataKeyError,
    DecryptionError,
    MacMismatchError,
    MacNotFoundError,
    SopsError,
)
from tests.secrets_iac.sops.conftest import KeyPair

SECRETS = ("hunter2-password", "tok-abcdef", "second-user")
PLAIN = (
    "# note\n"
    "db:\n"
    f"    password: {SECRETS[0]}\n"
    f"    token: {SECRETS[1]}\n"
    "    port: 5432\n"
    "users:\n"
    "    - first-user\n"
    f"    - {SECRETS[2]}\n"
    "public_unencrypted: visible\n"
)
ENC = re.compile(r"ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:(\w+)\]")


@pytest.fixture
def encrypted(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair) -> Path:
    plain = tmp_path / "plain.yaml"
    plain.write_text(PLAIN)
    path = tmp_path / "secrets.yaml"
    path.write_bytes(encrypt_file(plain, recipients=[keys[0].recipient]))
    return path


def _refused(path: Path, error: type[SopsError], code: int, **kwargs: object) -> SopsError:
    with pytest.raises(error) as caught:
        decrypt_file(path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == code
    message = str(caught.value)
    assert str(path) in message
    for secret in SECRETS:
        assert secret not in message
    return caught.value


def test_untouched_file_decrypts(encrypted: Path) -> None:
    assert decrypt_file(encrypted).decode() == PLAIN


def test_wrong_key_is_refused(encrypted: Path, keys: list[KeyPair]) -> None:
    _refused(encrypted, DataKeyError, EXIT_DATA_KEY, identities=[keys[1].identity])


def test_missing_identity_is_refused(encrypted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    error = _refused(encrypted, DataKeyError, EXIT_DATA_KEY)
    assert "SOPS_AGE_KEY_FILE" in str(error)


def test_changed_value_is_refused(encrypted: Path) -> None:
    text = encrypted.read_text()
    match = next(m for m in ENC.finditer(text) if m.group(4) == "str")
    data = bytearray(base64.b64decode(match.group(1)))
    data[0] ^= 0x01
    encrypted.write_text(text.replace(match.group(1), base64.b64encode(bytes(data)).decode(), 1))
    error = _refused(encrypted, DecryptionError, EXIT_DECRYPTING_TREE)
    assert "db:password" in str(error)


def test_swapped_values_are_refused(encrypted: Path) -> None:
    lines = encrypted.read_text().splitlines()
    pw = next(i for i, line in enumerate(lines) if line.startswith("    password:"))
    tok = next(i for i, line in enumerate(lines) if line.startswith("    token:"))
    a, b = lines[pw].split(": ", 1)[1], lines[tok].split(": ", 1)[1]
    lines[pw], lines[tok] = f"    password: {b}", f"    token: {a}"
    encrypted.write_text("\n".join(lines) + "\n")
    _refused(encrypted, DecryptionError, EXIT_DECRYPTING_TREE)


def test_removed_value_is_refused(encrypted: Path) -> None:
    text = encrypted.read_text()
    encrypted.write_text("".join(line for line in text.splitlines(True) if not line.startswith("    token:")))
    _refused(encrypted, MacMismatchError, EXIT_MAC_MISMATCH)


def test_reordered_list_items_are_refused(encrypted: Path) -> None:
    lines = encrypted.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("    - ENC"))
    lines[first], lines[first + 1] = lines[first + 1], lines[first]
    encrypted.write_text("\n".join(lines) + "\n")
    _refused(encrypted, MacMismatchError, EXIT_MAC_MISMATCH)


def test_changed_unencrypted_value_is_refused(encrypted: Path) -> None:
    encrypted.write_text(
        encrypted.read_text().replace("public_unencrypted: visible", "public_unencrypted: x")
    )
    _refused(encrypted, MacMismatchError, EXIT_MAC_MISMATCH)


def test_changed_lastmodified_is_refused(encrypted: Path) -> None:
    text = encrypted.read_text()
    changed = re.sub(r'lastmodified: "(\d{4})', lambda m: f'lastmodified: "{int(m.group(1)) - 1}', text)
    assert changed != text
    encrypted.write_text(changed)
    _refused(encrypted, MacMismatchError, EXIT_MAC_MISMATCH)


def test_fractional_lastmodified_is_normalised_like_go(encrypted: Path) -> None:
    text = encrypted.read_text()
    encrypted.write_text(re.sub(r'(lastmodified: "[^"Z]*)Z"', r'\1.5Z"', text))
    assert decrypt_file(encrypted).decode() == PLAIN


def test_missing_mac_is_refused(encrypted: Path) -> None:
    encrypted.write_text(
        "".join(line for line in encrypted.read_text().splitlines(True) if "mac:" not in line)
    )
    _refused(encrypted, MacNotFoundError, EXIT_MAC_NOT_FOUND)


def _tamper_targets(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of every base64 field of every non-comment ENC value and of every age body."""
    spans: list[tuple[int, int]] = []
    for match in ENC.finditer(text):
        if match.group(4) != "comment":
            spans.extend(match.span(g) for g in (1, 2, 3))
    for match in re.finditer(r"-----BEGIN AGE ENCRYPTED FILE-----\n(.*?)-----END", text, re.S):
        spans.append(match.span(1))
    return spans


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_single_byte_change_is_refused(encrypted: Path, data: st.DataObject) -> None:
    original = encrypted.read_text()
    spans = _tamper_targets(original)
    start, end = data.draw(st.sampled_from(spans))
    field = original[start:end]
    lines = field.split("\n")
    raw = bytearray(base64.b64decode("".join(line.strip() for line in lines)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    encoded = base64.b64encode(bytes(raw)).decode()
    if "\n" in field:  # an armored age body: 64-column lines with the original indentation
        pad = lines[-1]
        chunks = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
        encoded = "".join(f"{pad}{chunk}\n" for chunk in chunks) + pad
    try:
        encrypted.write_text(original[:start] + encoded + original[end:])
        with pytest.raises(SopsError) as caught:
            decrypt_file(encrypted)
        assert caught.value.exit_code in (EXIT_DATA_KEY, EXIT_DECRYPTING_TREE, EXIT_MAC_MISMATCH)
        for secret in SECRETS:
            assert secret not in str(caught.value)
    finally:
        encrypted.write_text(original)
