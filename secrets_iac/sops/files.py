"""The public SOPS API: decrypt, encrypt, updatekeys, rotate (atomic writes: `secrets_iac.outputs`).

Every function takes a path, returns the new file content as bytes (the CLI decides whether to
print it or write it in place with `write_atomic`), and raises one `SopsError` that names the
file and key path but never a plaintext value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secrets_iac.rules.limits import MAX_SOPS_FILE_BYTES
from secrets_iac.secret_value import Concealed, HoldsPlaintext, SecretValue
from secrets_iac.sops import config as sops_config
from secrets_iac.sops import shamir
from secrets_iac.sops.cipher import DATA_KEY_SIZE, ValueAuthError, ValueCipher, ValueFormatError
from secrets_iac.sops.errors import (
    DataKeyError,
    FormatError,
    MacMismatchError,
    MacNotFoundError,
    NoEncryptionKeyError,
    SopsError,
)
from secrets_iac.sops.keys import AgeIdentity, load_identities, unwrap_key, wrap_key
from secrets_iac.sops.metadata import (
    SOPS_VERSION,
    AgeKeyEntry,
    KeyGroup,
    Metadata,
    now_lastmodified,
)
from secrets_iac.sops.rules import DEFAULT_UNENCRYPTED_SUFFIX, EncryptionRule
from secrets_iac.sops.stores import dump_encrypted, dump_plain, format_for, load_encrypted, load_plain
from secrets_iac.sops.tree import Branches, check_mac, decrypt_branches, encrypt_branches
from secrets_iac.yaml_bounds import read_bounded


@dataclass(frozen=True)
class DecryptedDocument(HoldsPlaintext):
    """A decrypted file held in memory: plaintext branches, metadata and the data key.

    The plaintext and the data key are held concealed: repr, str, `dataclasses.asdict`, `vars` and
    copies show only masks, and pickling is refused. `branches` and `data_key` reveal them.
    """

    plaintext: Concealed[Branches] = field(repr=False)
    metadata: Metadata = field(repr=False)
    fmt: str
    source: str
    key: SecretValue = field(repr=False)

    @property
    def branches(self) -> Branches:
        """The plaintext tree (one branch per YAML document)."""
        return self.plaintext.reveal()

    @property
    def data_key(self) -> bytes:
        """The 32-byte data key."""
        return self.key.reveal_bytes()


def _read(path: Path) -> bytes:
    return read_bounded(path, MAX_SOPS_FILE_BYTES, FormatError)


def _identities(identities: Sequence[AgeIdentity] | None) -> list[AgeIdentity]:
    return list(identities) if identities is not None else load_identities()


def _unwrap_group(group: KeyGroup, identities: Sequence[AgeIdentity]) -> bytes | None:
    mine = {i.recipient for i in identities}
    ordered = sorted(group.age, key=lambda e: e.recipient not in mine)
    for entry in ordered:
        key = unwrap_key(entry.enc, identities)
        if key is not None:
            return key
    return None


def unwrap_data_key(metadata: Metadata, identities: Sequence[AgeIdentity], source: str) -> bytes:
    """The 32-byte data key, from one group or from enough Shamir shares (sops exit 128 otherwise)."""
    recipients = ", ".join(e.recipient for g in metadata.key_groups for e in g.age) or "none"
    if not identities:
        raise DataKeyError(
            f"{source}: no age identity available (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY); "
            f"the file is encrypted to: {recipients}"
        )
    if len(metadata.key_groups) == 1:
        key = _unwrap_group(metadata.key_groups[0], identities)
        if key is None:
            raise DataKeyError(
                f"{source}: none of the available identities can decrypt the data key "
                f"(recipients: {recipients})"
            )
    else:
        shares = [s for s in (_unwrap_group(g, identities) for g in metadata.key_groups) if s is not None]
        if len(shares) < metadata.threshold:
            raise DataKeyError(
                f"{source}: only {len(shares)} of the {metadata.threshold} key groups needed could be "
                f"decrypted (recipients: {recipients})"
            )
        try:
            key = shamir.combine(shares[: metadata.threshold])
        except ValueError as err:
            raise DataKeyError(f"{source}: cannot combine the Shamir shares: {err}") from None
    if len(key) != DATA_KEY_SIZE:
        raise DataKeyError(f"{source}: the data key has the wrong length")
    return key


def _stored_mac(metadata: Metadata, cipher: ValueCipher, source: str) -> str:
    if not metadata.mac:
        raise MacNotFoundError(f"{source}: the file has no MAC")
    try:
        mac = cipher.decrypt(metadata.mac, metadata.mac_aad)
    except (ValueAuthError, ValueFormatError):
        raise MacMismatchError(
            f"{source}: cannot decrypt the MAC (lastmodified or the MAC was changed)"
        ) from None
    if not isinstance(mac, str):
        raise MacMismatchError(f"{source}: the MAC is not a string")
    return mac


def open_document(
    path: Path | str,
    *,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
    ignore_mac: bool = False,
    data: bytes | None = None,
    keep_ivs: bool = False,
) -> tuple[DecryptedDocument, ValueCipher]:
    """`decrypt_document` plus its cipher (which remembers IVs with `keep_ivs`, for rewrites)."""
    file_path = Path(path)
    source = str(file_path)
    fmt = format_for(file_path, input_type)
    fmt_in = "json" if fmt == "binary" else fmt
    branches, metadata = load_encrypted(_read(file_path) if data is None else data, fmt_in, source)
    key = unwrap_data_key(metadata, _identities(identities), source)
    cipher = ValueCipher(key, keep_ivs=keep_ivs)
    plain, computed = decrypt_branches(
        branches, cipher, metadata.rule, mac_only_encrypted=metadata.mac_only_encrypted, source=source
    )
    if not ignore_mac:
        check_mac(_stored_mac(metadata, cipher, source), computed, source)
    return DecryptedDocument(Concealed(plain), metadata, fmt, source, SecretValue(key)), cipher


def verify_encrypted(data: bytes, fmt: str, data_key: bytes, source: str) -> Branches:
    """Decrypt new content under a known data key and check its MAC: a rewrite's check before writing."""
    fmt_in = "json" if fmt == "binary" else fmt
    branches, metadata = load_encrypted(data, fmt_in, source)
    cipher = ValueCipher(data_key)
    plain, computed = decrypt_branches(
        branches, cipher, metadata.rule, mac_only_encrypted=metadata.mac_only_encrypted, source=source
    )
    check_mac(_stored_mac(metadata, cipher, source), computed, source)
    return plain


def decrypt_document(
    path: Path | str,
    *,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
    ignore_mac: bool = False,
    data: bytes | None = None,
) -> DecryptedDocument:
    """Decrypt a sops file in memory and verify its MAC; nothing is written anywhere."""
    document, _cipher = open_document(
        path, identities=identities, input_type=input_type, ignore_mac=ignore_mac, data=data
    )
    return document


def decrypt_file(
    path: Path | str,
    *,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
    output_type: str | None = None,
    ignore_mac: bool = False,
) -> bytes:
    """The plaintext file content (exactly what `sops decrypt` prints)."""
    doc = decrypt_document(path, identities=identities, input_type=input_type, ignore_mac=ignore_mac)
    return dump_plain(doc.branches, output_type or doc.fmt, doc.source)


def _wrap_groups(
    data_key: bytes, groups: Sequence[Sequence[str]], threshold: int, source: str
) -> list[KeyGroup]:
    if not groups or not all(groups):
        raise NoEncryptionKeyError(f"{source}: no age recipient to encrypt the data key to")
    if len(groups) == 1:
        return [KeyGroup(age=[AgeKeyEntry(r, wrap_key(data_key, r)) for r in groups[0]])]
    needed = threshold or len(groups)
    if not 2 <= needed <= len(groups):
        raise SopsError(f"{source}: shamir_threshold {needed} does not fit {len(groups)} key groups")
    shares = shamir.split(data_key, len(groups), needed)
    return [
        KeyGroup(age=[AgeKeyEntry(r, wrap_key(share, r)) for r in group])
        for group, share in zip(groups, shares, strict=True)
    ]


def _seal(
    branches: Branches,
    data_key: bytes,
    key_groups: list[KeyGroup],
    rule: EncryptionRule,
    *,
    shamir_threshold: int,
    mac_only_encrypted: bool,
    extra: Mapping[str, object] | None = None,
) -> tuple[Branches, Metadata]:
    cipher = ValueCipher(data_key)
    encrypted, mac_hex = encrypt_branches(branches, cipher, rule, mac_only_encrypted=mac_only_encrypted)
    metadata = Metadata(
        key_groups=key_groups,
        lastmodified=now_lastmodified(),
        rule=rule,
        shamir_threshold=shamir_threshold if len(key_groups) > 1 else 0,
        mac_only_encrypted=mac_only_encrypted,
        version=SOPS_VERSION,
        extra=dict(extra or {}),
    )
    metadata.mac = cipher.encrypt(mac_hex, metadata.mac_aad)
    return encrypted, metadata


def encrypt_file(
    path: Path | str,
    *,
    config_path: Path | str | None = None,
    recipients: Sequence[str] | None = None,
    input_type: str | None = None,
    output_type: str | None = None,
    data: bytes | None = None,
    filename_override: Path | str | None = None,
    recipient_groups: Sequence[Sequence[str]] | None = None,
    shamir_threshold: int = 0,
) -> bytes:
    """Encrypt a plaintext file by the first matching `.sops.yaml` rule (or explicit recipients).

    `filename_override` (sops `--filename-override`) picks the rule and the store by that path
    instead of `path`, so a value can be encrypted from a temp file for a tracked path.
    `recipient_groups` (with `shamir_threshold`) encrypts every value to those groups, whatever a rule says
    about which values to encrypt (backups: a rule's `encrypted_regex` must not leave a value in clear).
    """
    source_path = Path(path)
    source = str(source_path)
    file_path = Path(filename_override) if filename_override else source_path
    fmt = format_for(file_path, input_type)
    out_fmt = output_type or ("json" if fmt == "binary" else fmt)
    branches = load_plain(_read(source_path) if data is None else data, fmt, source)
    json_indent = None
    if recipients or recipient_groups:
        groups: tuple[tuple[str, ...], ...] = (
            (tuple(recipients),) if recipients else tuple(tuple(g) for g in recipient_groups or ())
        )
        threshold, mac_only, rule = (0 if recipients else shamir_threshold), False, EncryptionRule()
        rule_set = False
    else:
        cfg = Path(config_path) if config_path else sops_config.find_config()
        creation = sops_config.rule_for_file(file_path, cfg)
        groups, threshold = creation.key_groups, creation.shamir_threshold
        mac_only, rule, rule_set = creation.mac_only_encrypted, creation.rule, creation.rule_set
        json_indent = creation.json_indent
    if fmt == "binary":
        rule = EncryptionRule()
    elif not rule_set:
        rule = EncryptionRule("unencrypted_suffix", DEFAULT_UNENCRYPTED_SUFFIX)
    data_key = os.urandom(DATA_KEY_SIZE)
    key_groups = _wrap_groups(data_key, groups, threshold, source)
    encrypted, metadata = _seal(
        branches, data_key, key_groups, rule, shamir_threshold=threshold, mac_only_encrypted=mac_only
    )
    if out_fmt == "binary":
        out_fmt = "json"
    return dump_encrypted(encrypted, metadata, out_fmt, json_indent=json_indent)


def _stored_format(path: Path, input_type: str | None) -> str:
    fmt = format_for(path, input_type)
    return "json" if fmt == "binary" else fmt


def updatekeys_file(
    path: Path | str,
    *,
    config_path: Path | str | None = None,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
) -> tuple[bytes, bool]:
    """Re-wrap the same data key for the recipients the rules name now; values stay untouched.

    Returns the new content and whether the key groups changed. Key entries of other types
    (pgp, kms, …) are kept when the group layout is unchanged.
    """
    file_path = Path(path)
    source = str(file_path)
    fmt = _stored_format(file_path, input_type)
    raw = _read(file_path)
    branches, metadata = load_encrypted(raw, fmt, source)
    cfg = Path(config_path) if config_path else sops_config.find_config()
    creation = sops_config.rule_for_file(file_path, cfg)
    old_groups = [tuple(e.recipient for e in g.age) for g in metadata.key_groups]
    new_groups = [tuple(g) for g in creation.key_groups]
    same_layout = len(old_groups) == len(new_groups) and (
        len(new_groups) == 1 or (creation.shamir_threshold or len(new_groups)) == metadata.threshold
    )
    if old_groups == new_groups and same_layout:
        return raw, False
    key = unwrap_data_key(metadata, _identities(identities), source)
    if same_layout and len(new_groups) == 1:
        old = {e.recipient: e for e in metadata.key_groups[0].age}
        entries = [old.get(r) or AgeKeyEntry(r, wrap_key(key, r)) for r in new_groups[0]]
        groups = [KeyGroup(age=entries, others=metadata.key_groups[0].others)]
    else:
        if any(g.has_foreign_keys() for g in metadata.key_groups):
            raise SopsError(
                f"{source}: the key group layout changes and the file has key types other than age "
                "(pgp, kms, …) whose shares cannot be re-wrapped here"
            )
        groups = _wrap_groups(key, new_groups, creation.shamir_threshold, source)
    metadata.key_groups = groups
    metadata.shamir_threshold = creation.shamir_threshold if len(groups) > 1 else 0
    return dump_encrypted(branches, metadata, fmt), True


def rotate_file(
    path: Path | str,
    *,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
    drop_foreign_keys: bool = False,
) -> bytes:
    """A new data key for the same recipients; every value re-encrypted, a new MAC and lastmodified."""
    file_path = Path(path)
    source = str(file_path)
    fmt = _stored_format(file_path, input_type)
    doc = decrypt_document(file_path, identities=identities, input_type=fmt)
    meta = doc.metadata
    foreign = sorted({k for g in meta.key_groups for k, v in g.others.items() if v})
    if foreign and not drop_foreign_keys:
        raise SopsError(
            f"{source}: cannot rotate: the file also has {', '.join(foreign)} keys this tool cannot "
            "re-wrap (drop them explicitly to rotate)"
        )
    groups = [tuple(e.recipient for e in g.age) for g in meta.key_groups]
    data_key = os.urandom(DATA_KEY_SIZE)
    key_groups = _wrap_groups(data_key, groups, meta.shamir_threshold, source)
    encrypted, metadata = _seal(
        doc.branches,
        data_key,
        key_groups,
        meta.rule,
        shamir_threshold=meta.shamir_threshold,
        mac_only_encrypted=meta.mac_only_encrypted,
        extra=meta.extra,
    )
    return dump_encrypted(encrypted, metadata, fmt)
