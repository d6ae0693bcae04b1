"""Which leaves are encrypted: the six mutually exclusive sops rules (spec §3)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from secrets_iac.rules.limits import excerpt

RULE_KEYS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


@dataclass(frozen=True, slots=True)
class EncryptionRule:
    """One of the six rules (or none: everything is encrypted)."""

    kind: str | None = None
    value: str = ""

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in RULE_KEYS:
            raise ValueError(f"unknown encryption rule {excerpt(self.kind)}")
        if self.kind is not None and self.kind.endswith("regex"):
            try:
                re.compile(self.value)
            except re.error as err:
                raise ValueError(f"{self.kind} {excerpt(self.value)} is not a valid regex: {err}") from None

    @classmethod
    def from_mapping(cls, settings: dict[str, object], *, default: bool = True) -> EncryptionRule:
        """The rule set in a mapping (metadata or a creation rule); at most one may be set."""
        present = [k for k in RULE_KEYS if settings.get(k) not in (None, "")]
        if len(present) > 1:
            raise ValueError(f"only one of {', '.join(present)} may be set")
        if present:
            return cls(present[0], str(settings[present[0]]))
        return cls("unencrypted_suffix", DEFAULT_UNENCRYPTED_SUFFIX) if default else cls()

    def should_encrypt(
        self, path: Sequence[str], comments: Sequence[Sequence[str]], *, is_comment: bool
    ) -> bool:
        """sops `shouldBeEncrypted` for a leaf at `path` under the open levels' pending comments."""
        kind, value = self.kind, self.value
        if kind is None:
            return True
        if kind == "unencrypted_suffix":
            return not any(key.endswith(value) for key in path)
        if kind == "encrypted_suffix":
            return any(key.endswith(value) for key in path)
        if kind == "unencrypted_regex":
            return not any(re.search(value, key) for key in path)
        if kind == "encrypted_regex":
            return any(re.search(value, key) for key in path)
        pattern = re.compile(value)
        if kind == "unencrypted_comment_regex":
            return not any(pattern.search(c) for level in comments for c in level)
        # encrypted_comment_regex: the matching comment itself (last of the last level) stays clear.
        for depth, level in enumerate(comments):
            for index, comment in enumerate(level):
                if is_comment and depth == len(comments) - 1 and index == len(level) - 1:
                    continue
                if pattern.search(comment):
                    return True
        return False

    def as_metadata(self) -> dict[str, str]:
        return {} if self.kind is None else {self.kind: self.value}
