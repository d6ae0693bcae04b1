"""Rewriting an encrypted file under its own data key: what `edit`, `set` and `unset` share.

As sops does (cmd/sops/edit.go, set.go): the data key and key groups stay; every unchanged value
keeps its exact ciphertext (its IV is remembered from decryption and reused only for the same key
path, type and plaintext); changed and added values get fresh IVs; lastmodified and the MAC are new.
Before anything is written the new content is decrypted again and its MAC and key paths checked,
and the file is replaced (atomically, following a symlink) only if it still holds the bytes that
were opened, so a concurrent change is never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from secrets_iac.outputs import write_atomic
from secrets_iac.secret_value import Concealed
from secrets_iac.sops.cipher import IvKey, ValueCipher
from secrets_iac.sops.errors import FormatError, SopsError, WriteError
from secrets_iac.sops.files import DecryptedDocument, open_document, verify_encrypted
from secrets_iac.sops.keys import AgeIdentity
from secrets_iac.sops.metadata import SOPS_VERSION, now_lastmodified
from secrets_iac.sops.scalars import Comment
from secrets_iac.sops.stores import dump_encrypted, dump_plain, format_for
from secrets_iac.sops.tree import Branches, encrypt_branches, leaves

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def _older_than_this_sops(version: str) -> bool:
    """Whether a file's `version` is older than the sops version this tool writes (edit updates it)."""
    found, ours = _VERSION.match(version), _VERSION.match(SOPS_VERSION)
    if found is None or ours is None:
        return False
    return tuple(map(int, found.groups())) < tuple(map(int, ours.groups()))


def _key_paths(branches: Branches) -> list[tuple[str, ...]]:
    return [path for path, leaf in leaves(branches) if not isinstance(leaf, Comment)]


class OpenedFile:
    """A decrypted file ready to be rewritten with the same data key; never shown, never pickled."""

    __slots__ = ("_document", "_ivs", "_raw", "fmt", "path", "target")

    def __init__(self, path: Path, raw: bytes, document: DecryptedDocument, cipher: ValueCipher) -> None:
        self.path = path
        self.target = path.resolve()
        self.fmt = document.fmt
        self._raw = raw
        self._document = document
        self._ivs: Concealed[dict[IvKey, tuple[bytes, ...]]] = Concealed(cipher.remembered_ivs())

    def __repr__(self) -> str:
        return f"OpenedFile({str(self.path)!r})"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(f"{self.path}: an opened file cannot be pickled (it would write the plaintext)")

    @property
    def branches(self) -> Branches:
        """The plaintext tree as decrypted (treat as read-only: edits build new trees)."""
        return self._document.branches

    def plaintext(self) -> bytes:
        """The file as `decrypt` prints it (what the editor shows)."""
        return dump_plain(self.branches, self.fmt, str(self.path))

    def reseal(self, branches: Branches, *, update_version: bool = False) -> bytes:
        """The encrypted file for new plaintext branches: same data key, unchanged ciphertexts kept."""
        meta = self._document.metadata
        key = self._document.data_key
        cipher = ValueCipher(key, reuse_ivs=self._ivs.reveal())
        encrypted, mac_hex = encrypt_branches(
            branches, cipher, meta.rule, mac_only_encrypted=meta.mac_only_encrypted
        )
        version = SOPS_VERSION if update_version and _older_than_this_sops(meta.version) else meta.version
        metadata = replace(meta, lastmodified=now_lastmodified(), mac="", version=version)
        metadata.mac = cipher.encrypt(mac_hex, metadata.mac_aad)
        stored_fmt = "json" if self.fmt == "binary" else self.fmt
        data = dump_encrypted(encrypted, metadata, stored_fmt)
        written = verify_encrypted(data, self.fmt, key, str(self.path))
        if _key_paths(written) != _key_paths(branches):
            raise SopsError(
                f"{self.path}: the {self.fmt} format cannot hold this change exactly (a key it cannot "
                "write, or nesting it does not support); nothing was written"
            )
        return data

    def write(self, data: bytes) -> None:
        """Replace the file with `data`, only if it still holds the bytes that were opened."""
        try:
            current = self.target.read_bytes()
        except OSError as err:
            raise WriteError(f"{self.path}: cannot read it again before writing: {err.strerror}") from None
        if current != self._raw:
            raise WriteError(
                f"{self.path}: the file changed on disk while it was open (another edit, a git "
                "checkout?); nothing was written"
            )
        try:
            write_atomic(self.target, data)
        except OSError as err:
            raise WriteError(f"{self.path}: cannot write: {err.strerror}") from None


def open_for_rewrite(
    path: Path | str,
    *,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
) -> OpenedFile:
    """Decrypt a file (MAC checked) and remember its IVs, ready for `reseal` and `write`."""
    file_path = Path(path)
    try:
        raw = file_path.read_bytes()
    except OSError as err:
        raise FormatError(f"cannot read {file_path}: {err.strerror}") from None
    fmt = format_for(file_path, input_type)
    document, cipher = open_document(
        file_path, identities=identities, input_type=fmt, data=raw, keep_ivs=True
    )
    return OpenedFile(file_path, raw, document, cipher)
