"""What a sync did (or would do) per secret: statuses, the table, the JSON report, the exit code.

A report holds names, statuses, version ids and messages; it never holds a value, so printing or
writing it cannot leak one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
"""`--detailed-exitcode`: like `terraform plan`, 2 means changes were made (or are pending in a dry run)."""


class Status(StrEnum):
    """The outcome for one declared secret."""

    CREATED = "created"
    """The secret had no value (or, with create_missing, did not exist) and the sync wrote the first one."""
    UPDATED = "updated"
    """The current value differed and was written by the sync (or drift was overwritten on request)."""
    UNCHANGED = "unchanged"
    """The current value equals the desired one: nothing written, no new version."""
    DRIFTED = "drifted"
    """The current value differs and was not written by the sync: changed out of band, left alone."""
    MISSING_VALUE = "missing-value"
    """Declared by the stack but the SOPS file has no value for it: nothing to do."""
    SKIPPED_ROTATION = "skipped-rotation"
    """Rotation is configured and the secret has a value: the rotation Lambda owns it now."""
    ABSENT = "absent"
    """The secret does not exist (or is scheduled for deletion): run `pulumi up` first. An error."""
    ERROR = "error"
    """An AWS call failed; the message names the operation and the secret."""

    @property
    def is_error(self) -> bool:
        return self in (Status.ABSENT, Status.ERROR)

    @property
    def is_change(self) -> bool:
        """A difference between git and AWS that was written, would be written, or was found (drift)."""
        return self in (Status.CREATED, Status.UPDATED, Status.DRIFTED)


_WOULD = {Status.CREATED: "would create", Status.UPDATED: "would update"}


@dataclass(frozen=True)
class SecretResult:
    """The outcome for one secret. `version_id` is the version that is current after the sync."""

    name: str
    app: str
    status: Status
    version_id: str | None = None
    previous_version_id: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "app": self.app,
            "status": self.status.value,
            "version_id": self.version_id,
            "previous_version_id": self.previous_version_id,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SyncReport:
    """Every declared secret's outcome, in the stack's declaration order (one stage)."""

    stack: str
    secrets_file: str
    region: str
    dry_run: bool
    results: tuple[SecretResult, ...]
    error: str | None = None
    """Why the stage was not synced at all (credentials, the account guard, the lock); an error."""
    notes: tuple[str, ...] = ()
    """Things worth knowing that are not errors (reads that fell back to one call per secret, the lock)."""

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(r.status for r in self.results)
        return {status.value: counted.get(status, 0) for status in Status}

    @property
    def has_errors(self) -> bool:
        return self.error is not None or any(r.status.is_error for r in self.results)

    @property
    def has_changes(self) -> bool:
        return any(r.status.is_change for r in self.results)

    def exit_code(self, *, detailed: bool = False) -> int:
        """1 on any error; with `detailed`, 2 when something was (or would be) written or drift was found."""
        if self.has_errors:
            return EXIT_ERROR
        if detailed and self.has_changes:
            return EXIT_CHANGES
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "secrets_file": self.secrets_file,
            "region": self.region,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "changes": self.has_changes,
            "errors": self.has_errors,
            "error": self.error,
            "notes": list(self.notes),
            "secrets": [r.to_json() for r in self.results],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    def status_label(self, status: Status) -> str:
        """The status as the table shows it: `would create`/`would update` in a dry run."""
        if self.dry_run:
            return _WOULD.get(status, status.value)
        return status.value

    def table(self) -> str:
        """A fixed-width table for the terminal, then one summary line."""
        rows: list[Sequence[str]] = [("STATUS", "SECRET", "VERSION", "DETAIL")]
        rows.extend(
            (self.status_label(r.status), r.name, r.version_id or "-", r.detail) for r in self.results
        )
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [
            "  ".join(
                [*(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3]]
            ).rstrip()
            for row in rows
        ]
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """One line: the stage, its counts and whether anything was written."""
        if self.error is not None:
            return f"{self.stack}: not synced: {self.error}"
        summary = ", ".join(f"{n} {self.status_label(Status(s))}" for s, n in self.counts.items() if n)
        mode = "dry run, nothing written" if self.dry_run else "applied"
        return f"{self.stack}: {len(self.results)} secrets ({summary or 'none declared'}; {mode})"


REPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class RunReport:
    """One run of the sync over one or more stages: the machine report `--json` prints."""

    stages: tuple[SyncReport, ...]
    dry_run: bool

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(stage.counts[s.value] for stage in self.stages) for s in Status}

    @property
    def has_errors(self) -> bool:
        return any(stage.has_errors for stage in self.stages)

    @property
    def has_changes(self) -> bool:
        return any(stage.has_changes for stage in self.stages)

    def exit_code(self, *, detailed: bool = False) -> int:
        """1 on any error in any stage; with `detailed`, 2 when any stage has changes; else 0."""
        if self.has_errors:
            return EXIT_ERROR
        if detailed and self.has_changes:
            return EXIT_CHANGES
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "version": REPORT_FORMAT_VERSION,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "changes": self.has_changes,
            "errors": self.has_errors,
            "stages": [stage.to_json() for stage in self.stages],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    def table(self) -> str:
        """Each stage's table (or its one-line refusal), one after the other."""
        return "\n".join(
            stage.table() if stage.error is None else stage.summary() + "\n" for stage in self.stages
        )
