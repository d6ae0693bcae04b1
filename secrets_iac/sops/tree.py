"""The format-independent document tree and the walk that encrypts, decrypts and MACs it.

A file is a list of branches (one per YAML document, one for every other store). A branch is an
ordered `TreeMap` whose items are `(key, value)` pairs or `Comment`s, like sops's TreeBranch, so
walk order — and therefore the MAC — is the same as the real sops's. `to_plain`/`from_plain`
convert a tree to and from plain Python data (for the metadata block and the library API).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from secrets_iac.sops.cipher import ValueAuthError, ValueCipher, ValueFormatError, is_encrypted
from secrets_iac.sops.errors import DecryptionError, MacMismatchError, SopsError
from secrets_iac.sops.rules import EncryptionRule
from secrets_iac.sops.scalars import Comment, Scalar, Timestamp, to_bytes

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TreeMap:
    """An ordered mapping that may hold comments between its items."""

    items: list[MapItem] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [item[0] for item in self.items if not isinstance(item, Comment)]

    def get(self, key: str) -> Value:
        for item in self.items:
            if not isinstance(item, Comment) and item[0] == key:
                return item[1]
        return None

    def has(self, key: str) -> bool:
        return key in self.keys()

    def without(self, key: str) -> TreeMap:
        return TreeMap([i for i in self.items if isinstance(i, Comment) or i[0] != key])

    def pairs(self) -> Iterator[tuple[str, Value]]:
        for item in self.items:
            if not isinstance(item, Comment):
                yield item


Value: TypeAlias = "TreeMap | list[Value] | Scalar"
MapItem: TypeAlias = "tuple[str, Value] | Comment"
Branches: TypeAlias = list[TreeMap]


# A leaf callback: (leaf, key path, pending comments per open level) -> (new leaf, plaintext leaf).
LeafFn = Callable[[Scalar, tuple[str, ...], list[list[str]]], tuple[Scalar, Scalar]]


def to_plain(value: Value) -> Any:
    """A tree value as plain Python data (comments dropped): for metadata and the library API."""
    if isinstance(value, TreeMap):
        return {k: to_plain(v) for k, v in value.pairs()}
    if isinstance(value, list):
        return [to_plain(v) for v in value if not isinstance(v, Comment)]
    if isinstance(value, Timestamp):
        return value.text
    return value


def from_plain(value: Any) -> Value:
    """Plain Python data (dict/list/scalars) as a tree value."""
    if isinstance(value, dict):
        items: list[MapItem] = [(str(k), from_plain(v)) for k, v in value.items()]
        return TreeMap(items)
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if value is None or isinstance(value, str | bytes | bool | int | float | Timestamp | Comment):
        return value
    raise TypeError(f"cannot store {type(value).__name__}")


def aad_for(path: Sequence[str]) -> str:
    """The AAD sops uses for a value: its mapping keys joined by `:` with a trailing `:`."""
    return ":".join(path) + ":"


def path_text(path: Sequence[str]) -> str:
    """A key path for error messages (`app2:db:password`), never a value."""
    return ":".join(path) or "(top level)"


def _walk_value(value: Value, path: tuple[str, ...], stack: list[list[str]], fn: LeafFn) -> Value:
    if isinstance(value, TreeMap):
        return _walk_map(value, path, stack, fn)
    if isinstance(value, list):
        return _walk_list(value, path, stack, fn)
    if value is None:
        return None
    return fn(value, path, stack)[0]


def _walk_comment(comment: Comment, path: tuple[str, ...], stack: list[list[str]], fn: LeafFn) -> Scalar:
    level = stack[-1]
    level.append(comment.text)
    new, plain = fn(comment, path, stack)
    level[-1] = plain.text if isinstance(plain, Comment) else comment.text
    return new


def _walk_map(tree: TreeMap, path: tuple[str, ...], stack: list[list[str]], fn: LeafFn) -> TreeMap:
    level: list[str] = []
    inner = [*stack, level]
    out: list[MapItem] = []
    for item in tree.items:
        if isinstance(item, Comment):
            new = _walk_comment(item, path, inner, fn)
            out.append(new if isinstance(new, Comment) else Comment(str(new)))
        else:
            key, value = item
            out.append((key, _walk_value(value, (*path, key), inner, fn)))
            level.clear()
    return TreeMap(out)


def _walk_list(items: list[Value], path: tuple[str, ...], stack: list[list[str]], fn: LeafFn) -> list[Value]:
    level: list[str] = []
    inner = [*stack, level]
    out: list[Value] = []
    for value in items:
        if isinstance(value, Comment):
            out.append(_walk_comment(value, path, inner, fn))
        else:
            out.append(_walk_value(value, path, inner, fn))
            if not isinstance(value, str) or not _is_enc_comment(value):
                level.clear()
    return out


def _is_enc_comment(value: str) -> bool:
    return is_encrypted(value) and value.rstrip().endswith(",type:comment]")


def walk(branches: Branches, fn: LeafFn) -> Branches:
    """Apply `fn` to every non-null leaf in sops walk order; returns new branches."""
    return [_walk_map(branch, (), [], fn) for branch in branches]


def leaves(branches: Branches) -> Iterator[tuple[tuple[str, ...], Scalar]]:
    """Every non-null leaf with its key path, in walk order."""
    found: list[tuple[tuple[str, ...], Scalar]] = []

    def collect(leaf: Scalar, path: tuple[str, ...], _stack: list[list[str]]) -> tuple[Scalar, Scalar]:
        found.append((path, leaf))
        return leaf, leaf

    walk(branches, collect)
    return iter(found)


class MacHasher:
    """SHA-512 over plaintext leaves in order (spec §4); upper-case hex like sops."""

    def __init__(self, *, mac_only_encrypted: bool) -> None:
        self._hash = hashlib.sha512()
        if mac_only_encrypted:
            self._hash.update(hashlib.sha256(b"sops").digest())

    def add(self, value: Scalar) -> None:
        if value is None or isinstance(value, Comment):
            return
        self._hash.update(to_bytes(value))

    def hexdigest(self) -> str:
        return self._hash.hexdigest().upper()


def _is_empty(value: Scalar) -> bool:
    return value in ("", b"") or (isinstance(value, Comment) and value.text == "")


def encrypt_branches(
    branches: Branches, cipher: ValueCipher, rule: EncryptionRule, *, mac_only_encrypted: bool
) -> tuple[Branches, str]:
    """Encrypt the leaves the rule selects and compute the MAC over the plaintext (spec §11)."""
    mac = MacHasher(mac_only_encrypted=mac_only_encrypted)

    def encrypt_leaf(leaf: Scalar, path: tuple[str, ...], stack: list[list[str]]) -> tuple[Scalar, Scalar]:
        is_comment = isinstance(leaf, Comment)
        encrypt = rule.should_encrypt(path, stack, is_comment=is_comment)
        if not is_comment and (encrypt or not mac_only_encrypted):
            mac.add(leaf)
        if not encrypt or _is_empty(leaf):
            return leaf, leaf
        if isinstance(leaf, str) and is_encrypted(leaf):
            raise SopsError(f"value at {path_text(path)} is already encrypted")
        enc = cipher.encrypt(leaf, aad_for(path))
        return (Comment(enc) if is_comment else enc), leaf

    encrypted = walk(branches, encrypt_leaf)
    return encrypted, mac.hexdigest()


def decrypt_branches(
    branches: Branches, cipher: ValueCipher, rule: EncryptionRule, *, mac_only_encrypted: bool, source: str
) -> tuple[Branches, str]:
    """Decrypt every encrypted leaf and recompute the MAC over the plaintext, in walk order."""
    mac = MacHasher(mac_only_encrypted=mac_only_encrypted)

    def decrypt_leaf(leaf: Scalar, path: tuple[str, ...], stack: list[list[str]]) -> tuple[Scalar, Scalar]:
        if isinstance(leaf, Comment):
            if not is_encrypted(leaf.text) or not rule.should_encrypt(path, stack, is_comment=True):
                return leaf, leaf
            try:
                plain = cipher.decrypt(leaf.text, aad_for(path))
            except (ValueAuthError, ValueFormatError):
                log.warning("%s: a comment under %s does not decrypt; kept as is", source, path_text(path))
                return leaf, leaf
            result = plain if isinstance(plain, Comment) else Comment(str(plain))
            return result, result
        encrypted = rule.should_encrypt(path, stack, is_comment=False)
        if not encrypted:
            if not mac_only_encrypted:
                mac.add(leaf)
            return leaf, leaf
        if _is_empty(leaf):
            return leaf, leaf
        if not isinstance(leaf, str):
            raise DecryptionError(
                f"{source}: value at {path_text(path)} should be encrypted but is not a string"
            )
        try:
            plain = cipher.decrypt(leaf, aad_for(path))
        except ValueFormatError as err:
            raise DecryptionError(f"{source}: value at {path_text(path)}: {err}") from None
        except ValueAuthError:
            raise DecryptionError(
                f"{source}: value at {path_text(path)} does not decrypt (wrong data key, or the value, "
                "its IV, tag or key path was changed)"
            ) from None
        if not isinstance(plain, Comment):
            mac.add(plain)
        return plain, plain

    decrypted = walk(branches, decrypt_leaf)
    return decrypted, mac.hexdigest()


def check_mac(expected_mac: str, computed_mac: str, source: str) -> None:
    """Refuse the file when the stored and recomputed MACs differ (sops exit 51)."""
    if not hmac.compare_digest(expected_mac.encode(), computed_mac.encode()):
        raise MacMismatchError(
            f"{source}: MAC mismatch: the file was changed (a value added, removed, reordered or edited, "
            "or lastmodified altered)"
        )
