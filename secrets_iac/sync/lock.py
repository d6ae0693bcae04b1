"""One sync at a time per stage: a lease held in a small secret, `<prefix>.sync-lock`.

Two syncs of one stage at once would each read, decide and write: with different git revisions the
older could win. So a run with something to write takes the stage's lock (then reads again):

- acquire: CreateSecret of the lock secret with the holder (run id, host, pid, lease expiry) as its
  value. Creating a name is atomic: one caller wins, the others get ResourceExistsException;
- held by another run whose lease has not expired: wait up to `timeout` seconds (`--lock-timeout`),
  then refuse the stage naming the holder. A lease that expired (a run that was killed) is taken over
  with PutSecretValue whose ClientRequestToken is derived from the version it replaces: every
  contender sends the same token with a different value and AWS accepts only the first
  (ResourceExistsException for the others), a compare-and-swap;
- release: DeleteSecret without recovery, after checking the lock is still ours. AWS deletes in the
  background, so a run starting right after may see the name "scheduled for deletion" for a moment;
  that is waited for (up to `RELEASE_WAIT` seconds) whatever the timeout.

The lock holds no secret (it uses the AWS-managed key) and is created with the stage's tags. Dry runs
and runs with nothing to write take no lock. `--no-lock` skips it (one writer by other means). A lock
left by a killed run expires after `LEASE_SECONDS`, or delete it: `aws secretsmanager delete-secret
--secret-id <prefix>.sync-lock --force-delete-without-recovery`.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from secrets_iac.errors import UserError
from secrets_iac.naming import sync_lock_name
from secrets_iac.sync.calls import Caller, CallFailed, error_code
from secrets_iac.sync.responses import UntrustedResponse, named

LEASE_SECONDS = 900.0
"""A run longer than this can be taken over; 10,000 changed secrets take ~250 s at 40 writes/s."""
RELEASE_WAIT = 30.0
CLOCK_MARGIN = 30.0
"""Hosts' clocks may differ this much: a lease is taken over only once expired by every clock in reach."""
_TAKEOVER_NAMESPACE = uuid.UUID("6c1f7d8e-4f0b-4a52-9d7e-5d3b0c2a9e11")
_EXISTS = "ResourceExistsException"
_NOT_FOUND = "ResourceNotFoundException"
_DELETING = "InvalidRequestException"  # "... scheduled for deletion" while AWS removes a released lock


class LockHeld(UserError):
    """Another sync of the stage holds the lock."""


@dataclass(frozen=True)
class Holder:
    owner: str
    host: str
    pid: int
    acquired_at: float
    expires_at: float

    def dumps(self) -> str:
        return json.dumps(
            {
                "owner": self.owner,
                "host": self.host,
                "pid": self.pid,
                "acquired_at": _iso(self.acquired_at),
                "expires_at": _iso(self.expires_at),
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str | None) -> Holder | None:
        """None for anything that is not a lock this tool wrote (treated as expired: taken over by CAS)."""
        try:
            data = json.loads(text or "")
            return cls(
                str(data["owner"]),
                str(data["host"]),
                int(data["pid"]),
                datetime.fromisoformat(data["acquired_at"]).timestamp(),
                datetime.fromisoformat(data["expires_at"]).timestamp(),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        return (
            f"run {self.owner} on {self.host} (pid {self.pid}) since {_iso(self.acquired_at)}, "
            f"lease until {_iso(self.expires_at)}"
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _current_lock(response: dict[str, Any], name: str) -> tuple[str, str | None]:
    version = response.get("VersionId")
    if response.get("Name") != name or not isinstance(version, str) or not version:
        raise UntrustedResponse(f"GetSecretValue answer for {name} has no VersionId")
    string = response.get("SecretString")
    return version, string if isinstance(string, str) else None


@dataclass
class StageLock:
    """The lock of one stage; use as a context manager around the writes."""

    caller: Caller
    prefix: str
    tags: Mapping[str, str]
    description: str
    timeout: float = 0.0
    lease: float = LEASE_SECONDS
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    owner: str = field(default_factory=lambda: str(uuid.uuid4()))
    notes: list[str] = field(default_factory=list)
    _expires_at: float | None = field(default=None, init=False)

    @property
    def name(self) -> str:
        return sync_lock_name(self.prefix)

    def _holder(self) -> Holder:
        now = self.clock()
        holder = Holder(self.owner, socket.gethostname(), os.getpid(), now, now + self.lease)
        self._expires_at = holder.expires_at
        return holder

    def _create(self) -> bool:
        holder = self._holder()
        try:
            self.caller.call(
                "CreateSecret",
                self.name,
                check=lambda r: named(r, self.name, "CreateSecret"),
                write=True,
                final_codes=frozenset({_EXISTS, _DELETING}),
                Name=self.name,
                Description=self.description,
                SecretString=holder.dumps(),
                ClientRequestToken=self.owner,
                Tags=[{"Key": k, "Value": v} for k, v in self.tags.items()],
            )
        except ClientError as err:
            if error_code(err) in (_EXISTS, _DELETING):
                return False
            raise
        return True

    def _read(self) -> tuple[str, Holder | None] | None:
        try:
            version, text = self.caller.call(
                "GetSecretValue",
                self.name,
                check=lambda r: _current_lock(r, self.name),
                final_codes=frozenset({_NOT_FOUND, _DELETING}),
                SecretId=self.name,
            )
        except ClientError:
            return None  # gone or going: try to create it again
        return version, Holder.parse(text)

    def _take_over(self, replaced: str) -> bool:
        token = str(uuid.uuid5(_TAKEOVER_NAMESPACE, f"{self.name}:{replaced}"))
        try:
            self.caller.call(
                "PutSecretValue",
                self.name,
                check=lambda r: named(r, self.name, "PutSecretValue"),
                write=True,
                final_codes=frozenset({_EXISTS}),
                SecretId=self.name,
                SecretString=self._holder().dumps(),
                ClientRequestToken=token,
            )
        except ClientError:
            return False  # another contender swapped first
        return True

    def acquire(self) -> None:
        """Take the lock, waiting up to `timeout` for another run (and `RELEASE_WAIT` for a release)."""
        start = self.clock()
        while True:
            try:
                if self._create():
                    return
                current = self._read()
            except CallFailed as err:
                raise UserError(f"cannot take the stage's sync lock {self.name}: {err}") from None
            holder = current[1] if current is not None else None
            if current is not None and (
                holder is None
                or holder.owner == self.owner
                or holder.expires_at + CLOCK_MARGIN <= self.clock()
            ):
                try:
                    if self._take_over(current[0]):
                        if holder is not None and holder.owner != self.owner:
                            self.notes.append(f"took over the expired lock of {holder.describe()}")
                        return
                except CallFailed as err:
                    raise UserError(f"cannot take the stage's sync lock {self.name}: {err}") from None
                continue
            waited = self.clock() - start
            limit = self.timeout if holder is not None else max(self.timeout, RELEASE_WAIT)
            if waited >= limit:
                who = holder.describe() if holder is not None else "a run that is releasing it"
                raise LockHeld(
                    f"another sync of this stage holds the lock {self.name}: {who}; wait for it "
                    "(--lock-timeout SECONDS), or if no sync is running, delete the lock secret "
                    "(aws secretsmanager delete-secret --force-delete-without-recovery --secret-id "
                    f"{self.name})"
                )
            self.sleep(min(1.0, max(0.05, limit - waited)))

    def release(self) -> None:
        """Delete the lock if it is still ours; problems become notes (the lease expires anyway).

        While our lease runs (with `CLOCK_MARGIN` to spare) nobody can have taken the lock over, so it
        is deleted without reading it first; later it is read, and deleted only if it is still ours.
        """
        try:
            if self._expires_at is None or self.clock() >= self._expires_at - CLOCK_MARGIN:
                current = self._read()
                if current is None or current[1] is None or current[1].owner != self.owner:
                    self.notes.append(f"the lock {self.name} was no longer ours at the end of the run")
                    return
            self.caller.call(
                "DeleteSecret",
                self.name,
                check=lambda r: named(r, self.name, "DeleteSecret"),
                write=True,
                final_codes=frozenset({_NOT_FOUND, _DELETING}),
                SecretId=self.name,
                ForceDeleteWithoutRecovery=True,
            )
        except ClientError:
            return  # already gone (our own earlier round whose answer was lost)
        except CallFailed as err:
            self.notes.append(f"the lock {self.name} was not released ({err}); its lease expires")

    def __enter__(self) -> StageLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
