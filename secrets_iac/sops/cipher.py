"""The SOPS value codec: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` with AES-256-GCM.

sops uses a 32-byte IV (Go `NewGCMWithNonceSize(32)`); `cryptography`'s AESGCM takes it as is and
derives the same counter block. The AAD is the value's key path (see `tree.aad_for`).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secrets_iac.rules.limits import excerpt
from secrets_iac.sops.scalars import (
    Comment,
    Scalar,
    go_parse_bool,
    go_parse_float,
    go_parse_int,
    parse_rfc3339,
    to_bytes,
    type_name,
)

IV_SIZE = 32
TAG_SIZE = 16
DATA_KEY_SIZE = 32

ENC_PATTERN = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")


class ValueFormatError(ValueError):
    """The text is not an `ENC[AES256_GCM,…]` value."""


class ValueAuthError(ValueError):
    """GCM authentication failed: wrong key, changed ciphertext/IV/tag, or a different key path."""


@dataclass(frozen=True, slots=True)
class EncValue:
    """The four fields of an encrypted value, decoded."""

    data: bytes
    iv: bytes
    tag: bytes
    type: str

    @classmethod
    def parse(cls, text: str) -> EncValue:
        match = ENC_PATTERN.match(text)
        if match is None:
            raise ValueFormatError("does not match sops' data format")
        try:
            data, iv, tag = (base64.b64decode(match.group(i), validate=True) for i in (1, 2, 3))
        except (binascii.Error, ValueError):
            raise ValueFormatError("bad base64 in encrypted value") from None
        if len(tag) != TAG_SIZE or not iv:
            raise ValueFormatError("bad IV or tag length in encrypted value")
        return cls(data, iv, tag, match.group(4))

    def render(self) -> str:
        b64 = base64.b64encode
        return (
            f"ENC[AES256_GCM,data:{b64(self.data).decode()},iv:{b64(self.iv).decode()},"
            f"tag:{b64(self.tag).decode()},type:{self.type}]"
        )


def is_encrypted(value: object) -> bool:
    """Whether a leaf looks like an sops-encrypted value."""
    return isinstance(value, str) and ENC_PATTERN.match(value) is not None


def _from_plaintext(plaintext: bytes, kind: str) -> Scalar:
    """Convert decrypted bytes to the Python value of its sops `type:`."""
    if kind == "str":
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            return plaintext
    if kind == "bytes":
        return plaintext
    if kind == "comment":
        return Comment(plaintext.decode("utf-8", "surrogateescape"))
    text = plaintext.decode("utf-8")
    if kind == "int":
        return go_parse_int(text)
    if kind == "float":
        return go_parse_float(text)
    if kind == "bool":
        return go_parse_bool(text)
    if kind == "time":
        return parse_rfc3339(text)
    raise ValueFormatError(f"unknown value type {excerpt(kind)}")


class ValueCipher:
    """Encrypts and decrypts single values under one data key."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_SIZE:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(data_key)

    def encrypt(self, value: Scalar, aad: str, *, iv: bytes | None = None) -> str:
        """`ENC[…]` for a value, with a fresh random 32-byte IV unless one is given."""
        nonce = os.urandom(IV_SIZE) if iv is None else iv
        kind = type_name(value)
        sealed = self._aead.encrypt(nonce, to_bytes(value), aad.encode("utf-8"))
        return EncValue(sealed[:-TAG_SIZE], nonce, sealed[-TAG_SIZE:], kind).render()

    def decrypt(self, text: str, aad: str) -> Scalar:
        """The typed plaintext of an `ENC[…]` value; ValueFormatError / ValueAuthError on failure."""
        enc = EncValue.parse(text)
        try:
            plaintext = self._aead.decrypt(enc.iv, enc.data + enc.tag, aad.encode("utf-8"))
        except InvalidTag:
            raise ValueAuthError("cipher: message authentication failed") from None
        try:
            return _from_plaintext(plaintext, enc.type)
        except (ValueError, UnicodeDecodeError):
            raise ValueFormatError(f"decrypted value is not a valid {excerpt(enc.type)}") from None
