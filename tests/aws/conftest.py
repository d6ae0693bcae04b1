"""Fixtures for tests against moto with IAM enforced."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MotoServer, start_moto_server, stop_moto_server

SM_RESOURCE_SERVER = Path(__file__).with_name("moto_sm_resource_server.py")


@pytest.fixture(scope="session")
def moto_sm_server() -> Iterator[MotoServer]:
    """A moto server whose Secrets Manager authorises against secret ARNs (see moto_sm_resource_server.py)."""
    server = start_moto_server([sys.executable, str(SM_RESOURCE_SERVER)])
    try:
        yield server
    finally:
        stop_moto_server(server)


@pytest.fixture
def moto_sm(moto_sm_server: MotoServer) -> Iterator[MotoServer]:
    """`moto_sm_server`, emptied and with IAM enforcement off, before and after the test."""
    moto_sm_server.reset()
    yield moto_sm_server
    moto_sm_server.reset()
