"""The per-stage sync lock on moto: create-to-acquire, a held lock refused, expired leases taken over by
compare-and-swap (one winner), junk taken over, waiting, and release only of our own lock."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from secrets_iac.sync.calls import Caller
from secrets_iac.sync.lock import LEASE_SECONDS, LockHeld, StageLock
from tests.conftest import MotoServer

PREFIX = "secrets-iac/lockstage"
LOCK = f"{PREFIX}.sync-lock"


class FakeClock:
    def __init__(self, start: float = 1_900_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def lock_for(moto: MotoServer, clock: FakeClock | None = None, **kwargs: Any) -> StageLock:
    clock = clock or FakeClock()
    return StageLock(
        Caller(moto.client("secretsmanager")),
        PREFIX,
        tags={"managed-by": "secrets-iac", "environment": "lockstage"},
        description="test lock",
        clock=clock,
        sleep=clock.sleep,
        **kwargs,
    )


def lock_value(moto: MotoServer) -> dict[str, Any]:
    return dict(json.loads(moto.client("secretsmanager").get_secret_value(SecretId=LOCK)["SecretString"]))


def lock_exists(moto: MotoServer) -> bool:
    listed = moto.client("secretsmanager").list_secrets(Filters=[{"Key": "name", "Values": [LOCK]}])
    return bool(listed["SecretList"])


def test_acquire_creates_the_lock_and_release_deletes_it(moto: MotoServer) -> None:
    lock = lock_for(moto)
    with lock:
        held = lock_value(moto)
        assert held["owner"] == lock.owner and set(held) == {
            "owner",
            "host",
            "pid",
            "acquired_at",
            "expires_at",
        }
        tags = moto.client("secretsmanager").describe_secret(SecretId=LOCK)["Tags"]
        assert {t["Key"]: t["Value"] for t in tags} == {
            "managed-by": "secrets-iac",
            "environment": "lockstage",
        }
    assert not lock_exists(moto) and lock.notes == []


def test_a_held_lock_refuses_a_second_run_naming_the_holder(moto: MotoServer) -> None:
    clock = FakeClock()
    first = lock_for(moto, clock)
    first.acquire()
    with pytest.raises(LockHeld) as info:
        lock_for(moto, clock).acquire()
    message = str(info.value)
    assert f"run {first.owner} on " in message and "--lock-timeout" in message and LOCK in message
    clock.now += LEASE_SECONDS / 2
    with pytest.raises(LockHeld):
        lock_for(moto, clock, timeout=60).acquire()  # waited 60 s of the fake clock
    first.release()
    assert not lock_exists(moto)


def test_an_expired_lease_is_taken_over_by_exactly_one_contender(moto: MotoServer) -> None:
    clock = FakeClock()
    crashed = lock_for(moto, clock)
    crashed.acquire()  # never released: the run was killed
    clock.now += LEASE_SECONDS + 60
    contenders = [lock_for(moto, clock) for _ in range(4)]
    outcomes: list[str] = []

    def contend(lock: StageLock) -> None:
        try:
            lock.acquire()
            outcomes.append("won")
        except LockHeld:
            outcomes.append("held")

    threads = [threading.Thread(target=contend, args=(lock,)) for lock in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["held", "held", "held", "won"]
    (winner,) = [lock for lock in contenders if lock_value(moto)["owner"] == lock.owner]
    assert any("took over the expired lock of run " + crashed.owner in note for note in winner.notes)
    crashed.release()  # too late: not ours any more, so not deleted
    assert lock_exists(moto) and "no longer ours" in crashed.notes[0]
    winner.release()
    assert not lock_exists(moto)


def test_a_lock_this_tool_did_not_write_is_taken_over(moto: MotoServer) -> None:
    moto.client("secretsmanager").create_secret(Name=LOCK, SecretString="not a lease")
    lock = lock_for(moto)
    lock.acquire()
    assert lock_value(moto)["owner"] == lock.owner
    lock.release()
    assert not lock_exists(moto)


def test_waiting_for_a_run_that_finishes(moto: MotoServer) -> None:
    first = lock_for(moto, FakeClock())
    first.acquire()
    clock = FakeClock()
    waiter = lock_for(moto, clock, timeout=30)

    def sleep_then_release(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now - 1_900_000_000.0 >= 3:
            first.release()

    waiter.sleep = sleep_then_release
    waiter.acquire()
    assert lock_value(moto)["owner"] == waiter.owner
    waiter.release()


def test_a_lock_being_deleted_is_waited_for_then_reported(moto: MotoServer) -> None:
    sm = moto.client("secretsmanager")
    sm.create_secret(Name=LOCK, SecretString="{}")
    sm.delete_secret(SecretId=LOCK, RecoveryWindowInDays=7)  # stays "scheduled for deletion"
    clock = FakeClock()
    with pytest.raises(LockHeld, match="a run that is releasing it"):
        lock_for(moto, clock).acquire()
    assert clock.now - 1_900_000_000.0 >= 30  # RELEASE_WAIT, whatever the timeout
