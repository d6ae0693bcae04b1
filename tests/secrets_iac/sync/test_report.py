"""The report: statuses, exit codes, table and JSON."""

from __future__ import annotations

import json

import pytest

from secrets_iac.sync import SecretResult, Status, SyncReport


def report(*statuses: Status, dry_run: bool = False) -> SyncReport:
    results = tuple(
        SecretResult(f"p/app/s{i}", "app", status, f"v{i}" if status is not Status.MISSING_VALUE else None)
        for i, status in enumerate(statuses)
    )
    return SyncReport("alpha", "stacks/secrets/alpha.enc.yaml", "eu-west-1", dry_run, results)


@pytest.mark.parametrize(
    ("statuses", "plain", "detailed"),
    [
        ((Status.UNCHANGED, Status.SKIPPED_ROTATION, Status.MISSING_VALUE), 0, 0),
        ((Status.UNCHANGED, Status.CREATED), 0, 2),
        ((Status.UPDATED,), 0, 2),
        ((Status.DRIFTED,), 0, 2),
        ((Status.CREATED, Status.ABSENT), 1, 1),
        ((Status.UNCHANGED, Status.ERROR), 1, 1),
        ((), 0, 0),
    ],
)
def test_exit_codes(statuses: tuple[Status, ...], plain: int, detailed: int) -> None:
    assert report(*statuses).exit_code() == plain
    assert report(*statuses).exit_code(detailed=True) == detailed


def test_json_report() -> None:
    data = json.loads(report(Status.CREATED, Status.MISSING_VALUE).dumps())
    assert data["stack"] == "alpha" and data["dry_run"] is False and data["changes"] is True
    assert (
        data["counts"]["created"] == 1
        and data["counts"]["missing-value"] == 1
        and data["counts"]["drifted"] == 0
    )
    assert data["secrets"][0] == {
        "name": "p/app/s0",
        "app": "app",
        "status": "created",
        "version_id": "v0",
        "previous_version_id": None,
        "detail": "",
    }


def test_table_uses_would_in_a_dry_run() -> None:
    table = report(Status.CREATED, Status.UPDATED, Status.UNCHANGED, dry_run=True).table()
    lines = table.splitlines()
    assert lines[1].startswith("would create  p/app/s0")
    assert lines[2].startswith("would update  p/app/s1")
    assert lines[3].startswith("unchanged     p/app/s2")
    summary = "alpha: 3 secrets (1 would create, 1 would update, 1 unchanged; dry run, nothing written)"
    assert lines[-1] == summary
    assert report().table().splitlines()[-1] == "alpha: 0 secrets (none declared; applied)"
