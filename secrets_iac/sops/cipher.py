"""The SOPS value codec: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` with AES-256-GCM.

sops uses a 32-byte IV (Go `NewGCMWithNonceSize(32)`); `cryptography`'s AESGCM takes it as is and
derives the same counter block. The AAD is the value's key path (see `tree.aad_for`).

A cipher made with `keep_ivs=True` remembers the IV of every value it decrypts, as sops's aes
cipher stashes them; a cipher given those IVs (`reuse_ivs`) re-encrypts an unchanged value to the
same ciphertext (edit, set, unset). An IV is reused only for the very same key path, type and
plaintext bytes it was first used with, so GCM never sees one IV with two different plaintexts.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

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


# What an IV may be reused for: (AAD, sops type, plaintext bytes).
IvKey = tuple[str, str, bytes]
# The IVs a cipher decrypted with, in file order, per IvKey.
IvMemory = Mapping[IvKey, Sequence[bytes]]


class ValueCipher:
    """Encrypts and decrypts single values under one data key; never shown, never pickled.

    `keep_ivs` records the IV of every value decrypted (`remembered_ivs`); `reuse_ivs` hands each
    recorded IV out once, to a value with the same AAD, type and plaintext bytes.
    """

    __slots__ = ("_aead", "_reuse", "_seen")

    def __init__(self, data_key: bytes, *, keep_ivs: bool = False, reuse_ivs: IvMemory | None = None) -> None:
        if len(data_key) != DATA_KEY_SIZE:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(data_key)
        self._seen: dict[IvKey, list[bytes]] | None = {} if keep_ivs else None
        self._reuse = {key: list(ivs) for key, ivs in (reuse_ivs or {}).items()}

    def __repr__(self) -> str:
        return "ValueCipher(***)"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a ValueCipher cannot be pickled (it holds the data key)")

    def remembered_ivs(self) -> dict[IvKey, tuple[bytes, ...]]:
        """The IVs decrypted with so far (empty unless made with `keep_ivs`)."""
        return {key: tuple(ivs) for key, ivs in (self._seen or {}).items()}

    def encrypt(self, value: Scalar, aad: str, *, iv: bytes | None = None) -> str:
        """`ENC[…]` for a value: the given IV, a remembered one (`reuse_ivs`), else a fresh random one."""
        kind = type_name(value)
        plaintext = to_bytes(value)
        queue = self._reuse.get((aad, kind, plaintext))
        nonce = iv or (queue.pop(0) if queue else None) or os.urandom(IV_SIZE)
        sealed = self._aead.encrypt(nonce, plaintext, aad.encode("utf-8"))
        return EncValue(sealed[:-TAG_SIZE], nonce, sealed[-TAG_SIZE:], kind).render()

    def decrypt(self, text: str, aad: str) -> Scalar:
        """The typed plaintext of an `ENC[…]` value; ValueFormatError / ValueAuthError on failure."""
        enc = EncValue.parse(text)
        try:
            plaintext = self._aead.decrypt(enc.iv, enc.data + enc.tag, aad.encode("utf-8"))
        except InvalidTag:
            raise ValueAuthError("cipher: message authentication failed") from None
        if self._seen is not None:
            self._seen.setdefault((aad, enc.type, plaintext), []).append(enc.iv)
        try:
            return _from_plaintext(plaintext, enc.type)
        except (ValueError, UnicodeDecodeError):
            raise ValueFormatError(f"decrypted value is not a valid {excerpt(enc.type)}") from None
