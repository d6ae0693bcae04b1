"""Pulumi's mock engine for component tests: a fresh recorder per test (the runtime is process-global)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.offline_plan import PlanRecorder

REGION = "eu-west-1"
ACCOUNT = "111122223333"


@pytest.fixture
def recorder() -> PlanRecorder:
    rec = PlanRecorder(REGION, ACCOUNT)
    rec.install(project="secrets-iac", stack="test", preview=False)
    return rec


def declare(build: Callable[[], Any]) -> None:
    """Run `build` as a Pulumi program and wait until every registration has finished."""

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        build()

    program()
