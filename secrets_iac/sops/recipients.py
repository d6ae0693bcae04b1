"""Key rotation across stages: every SOPS file `.sops.yaml` covers, re-keyed to today's creation rules.

For each encrypted file whose recipients differ from its rule (or every file, with a new data key): the
new content is written beside the file, proven — every value decrypts to the same plaintext as before
(compared in memory, never shown) and an identity of a removed recipient, where one is at hand, can no
longer decrypt — and only then swapped in atomically. One summary line per file.

Without a new data key, a removed recipient that kept a copy of the old file (or its data key) can still
read the values it could read before: `--rotate-data-key` re-encrypts every value under a new key.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from secrets_iac.outputs import write_atomic
from secrets_iac.sops.config import load_config, relative_for_matching
from secrets_iac.sops.errors import DataKeyError, SopsError
from secrets_iac.sops.files import decrypt_document, decrypt_file, rotate_file, updatekeys_file
from secrets_iac.sops.keys import AgeIdentity

_SKIP_DIRS = frozenset({".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", "out"})


@dataclass(frozen=True)
class FileRotation:
    path: str
    changed: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    data_key_rotated: bool = False
    removed_locked_out: bool | None = None
    """True: a removed recipient's identity fails on the new file; None: no such identity at hand."""

    def summary(self) -> str:
        if not self.changed:
            return f"{self.path}: unchanged (recipients match the creation rule)"
        parts = []
        if self.added:
            parts.append("added " + ", ".join(_short(r) for r in self.added))
        if self.removed:
            parts.append("removed " + ", ".join(_short(r) for r in self.removed))
        parts.append("new data key, every value re-encrypted" if self.data_key_rotated else "same data key")
        parts.append("values identical")
        if self.removed_locked_out:
            parts.append("removed recipient locked out")
        elif self.removed:
            parts.append("removed recipient not testable here (no identity)")
        return f"{self.path}: " + "; ".join(parts)


def _short(recipient: str) -> str:
    return f"{recipient[:12]}…{recipient[-6:]}"


def covered_files(config_path: Path) -> list[Path]:
    """Encrypted files under the config's folder that one of its creation rules names."""
    rules, _ = load_config(config_path)
    patterns = [re.compile(r.path_regex) for r in rules if r.path_regex]
    root = config_path.resolve().parent
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            relative = relative_for_matching(path, config_path)
            if any(p.search(relative) for p in patterns) and _has_sops_metadata(path):
                found.append(path)
    return found


def _has_sops_metadata(path: Path) -> bool:
    try:
        head = path.read_bytes()[-65536:]
    except OSError:
        return False
    return b"sops" in head and (b"mac" in head or b"sops_mac" in head)


def _recipients(path: Path, identities: Sequence[AgeIdentity]) -> set[str]:
    document = decrypt_document(path, identities=identities)
    return {entry.recipient for group in document.metadata.key_groups for entry in group.age}


@contextlib.contextmanager
def _beside(path: Path, data: bytes) -> Iterator[Path]:
    """`data` in a private temp file beside `path` (same name, so stores and rules match), removed after."""
    folder = Path(tempfile.mkdtemp(prefix=".rotate.", dir=path.parent))
    candidate = folder / path.name
    try:
        candidate.write_bytes(data)
        yield candidate
    finally:
        candidate.unlink(missing_ok=True)
        folder.rmdir()


def rotate_recipients_file(
    path: Path,
    config_path: Path,
    identities: Sequence[AgeIdentity],
    *,
    rotate_data_key: bool = False,
    dry_run: bool = False,
    label: str | None = None,
) -> FileRotation:
    """Re-key one file to its creation rule; written only after the proof holds."""
    name = label or str(path)
    before_plain = decrypt_file(path, identities=identities)
    old = _recipients(path, identities)
    data, changed = updatekeys_file(path, config_path=config_path, identities=identities)
    if not changed and not rotate_data_key:
        return FileRotation(name, changed=False)
    with _beside(path, data) as candidate:
        if rotate_data_key:
            candidate.write_bytes(rotate_file(candidate, identities=identities))
        try:
            after_plain = decrypt_file(candidate, identities=identities)
        except DataKeyError:
            raise SopsError(
                f"{name}: no identity of the new recipients is at hand to prove the re-keyed file "
                "decrypts to the same values; left unchanged (add one to SOPS_AGE_KEY_FILE)",
                exit_code=DataKeyError.exit_code,
            ) from None
        if after_plain != before_plain:
            raise SopsError(f"{name}: the re-keyed file does not decrypt to the same values; left unchanged")
        new = _recipients(candidate, identities)
        removed = sorted(old - new)
        leavers = [i for i in identities if i.recipient in removed]
        locked_out: bool | None = None
        if leavers:
            try:
                decrypt_file(candidate, identities=leavers)
            except DataKeyError:
                locked_out = True
            else:
                raise SopsError(f"{name}: a removed recipient can still decrypt the new file; left unchanged")
        final = candidate.read_bytes()
    if not dry_run:
        write_atomic(path, final)
    return FileRotation(
        name,
        changed=True,
        added=tuple(sorted(new - old)),
        removed=tuple(removed),
        data_key_rotated=rotate_data_key,
        removed_locked_out=locked_out,
    )


def rotate_recipients(
    config_path: Path,
    identities: Sequence[AgeIdentity],
    *,
    rotate_data_key: bool = False,
    dry_run: bool = False,
) -> list[FileRotation]:
    """Every file `.sops.yaml` covers; the first failure stops before that file is touched."""
    root = config_path.resolve().parent
    return [
        rotate_recipients_file(
            path,
            config_path,
            identities,
            rotate_data_key=rotate_data_key,
            dry_run=dry_run,
            label=str(path.resolve().relative_to(root)),
        )
        for path in covered_files(config_path)
    ]
