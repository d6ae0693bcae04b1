"""age identities and data-key wrapping, the way sops finds and uses them (spec §6, §9).

Identities come from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE` and the default
`$XDG_CONFIG_HOME/sops/age/keys.txt` (or `~/.config/sops/age/keys.txt`), all combined.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyrage

from secrets_iac.rules.limits import excerpt
from secrets_iac.sops.errors import SopsError

X25519_PREFIX = "AGE-SECRET-KEY-1"


class IdentityError(SopsError):
    """An identity source cannot be read or holds a line that is not an age identity."""


@dataclass(frozen=True, slots=True)
class AgeIdentity:
    """One X25519 age identity; `repr` never shows the secret key."""

    _identity: pyrage.x25519.Identity
    recipient: str
    source: str

    def __repr__(self) -> str:
        return f"AgeIdentity(recipient={self.recipient!r}, source={self.source!r})"

    @classmethod
    def from_str(cls, secret: str, source: str = "<string>") -> AgeIdentity:
        try:
            identity = pyrage.x25519.Identity.from_str(secret.strip())
        except Exception:
            raise IdentityError(f"{source}: not a valid age identity") from None
        return cls(identity, str(identity.to_public()), source)

    @property
    def pyrage_identity(self) -> pyrage.x25519.Identity:
        return self._identity


def parse_identities(text: str, source: str) -> list[AgeIdentity]:
    """Identities in a keys file: one per line, blank lines and `#` comments skipped."""
    found: list[AgeIdentity] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(X25519_PREFIX):
            found.append(AgeIdentity.from_str(line, f"{source}:{number}"))
        elif line.startswith(("AGE-SECRET-KEY-PQ-1", "AGE-PLUGIN-")):
            raise IdentityError(f"{source}:{number}: post-quantum and plugin identities are not supported")
        else:
            raise IdentityError(f"{source}:{number}: not an age identity line")
    return found


def default_keys_file(env: Mapping[str, str] | None = None) -> Path:
    """`<user config dir>/sops/age/keys.txt`: $XDG_CONFIG_HOME, else ~/.config (Linux rules)."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".config")
    return Path(base) / "sops" / "age" / "keys.txt"


def load_identities(env: Mapping[str, str] | None = None) -> list[AgeIdentity]:
    """Every identity sops would use: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default keys file."""
    environ = os.environ if env is None else env
    found: list[AgeIdentity] = []
    inline = environ.get("SOPS_AGE_KEY")
    if inline:
        found.extend(parse_identities(inline, "SOPS_AGE_KEY"))
    key_file = environ.get("SOPS_AGE_KEY_FILE")
    if key_file:
        found.extend(read_keys_file(Path(key_file)))
    default = default_keys_file(environ)
    if default.is_file():
        found.extend(read_keys_file(default))
    return found


def read_keys_file(path: Path) -> list[AgeIdentity]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise IdentityError(f"cannot read age keys file {path}: {err.strerror}") from None
    if text.startswith(("age-encryption", "-----BEGIN AGE")):
        raise IdentityError(f"{path}: passphrase-encrypted keys files are not supported")
    return parse_identities(text, str(path))


def parse_recipient(recipient: str) -> pyrage.x25519.Recipient:
    """An X25519 `age1…` recipient; other kinds (plugins, post-quantum, ssh) are refused clearly."""
    text = recipient.strip()
    try:
        return pyrage.x25519.Recipient.from_str(text)
    except Exception:
        raise SopsError(
            f"unsupported or invalid age recipient {excerpt(text)} (only X25519 age1… keys)"
        ) from None


def wrap_key(key: bytes, recipient: str) -> str:
    """The armored age file holding `key` for one recipient: sops's `enc` field."""
    armored: bytes = pyrage.encrypt(key, [parse_recipient(recipient)], armored=True)
    text = armored.decode("ascii")
    return text if text.endswith("\n") else text + "\n"


def unwrap_key(enc: str, identities: Sequence[AgeIdentity]) -> bytes | None:
    """The key inside one `enc` armored age file, or None when no identity opens it."""
    if not identities:
        return None
    try:
        key: bytes = pyrage.decrypt(enc.encode("ascii"), [i.pyrage_identity for i in identities])
    except Exception:
        return None
    return key


def recipients_of(identities: Iterable[AgeIdentity]) -> set[str]:
    return {identity.recipient for identity in identities}
