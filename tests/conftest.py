"""Shared test settings: where ../shared lives (one env var), skipping cleanly where it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_ENV = "SECRETS_IAC_SHARED"


def shared_root() -> Path:
    """The read-only shared folder: $SECRETS_IAC_SHARED, default ../shared beside the checkout."""
    return Path(os.environ.get(SHARED_ENV, REPO_ROOT.parent / "shared")).resolve()


def shared_path(*parts: str) -> Path:
    """A path inside the shared folder, or skip the calling test with the reason."""
    path = shared_root().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (set {SHARED_ENV} to the shared folder with schemas, vectors, docs)")
    return path
