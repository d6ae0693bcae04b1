"""Faults on a loopback proxy in front of moto (tests/fault_proxy.py): cut bodies, answers missing fields,
throttling, 5xx, dropped connections, outages, a secret that keeps failing, an empty value, two syncs at once.

After every fault: the run finishes (or fails cleanly) with a report and no traceback; errors carry
AWS's error code and never a value; nothing drifted or rotated is overwritten; no secret gets two
versions for one change; a run without faults then writes what was left and the next reports
everything unchanged.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from secrets_iac.sync import RetryPolicy, Status, SyncReport
from secrets_iac.sync.lock import LockHeld
from tests.conftest import MOTO_ACCOUNT_ID, MotoServer
from tests.fault_proxy import Fault, FaultProxy
from tests.secrets_iac.sync.conftest import CANARY, BulkProject, CallCounter, versions_per_secret

STACK = "faulty"
N = 60
DRIFTED = (3, 10, 17, 24, 41)
ROTATED = (5, 12)
FAST = RetryPolicy(rounds=10, base_delay=0.01, max_delay=0.05)
READS = frozenset({"ListSecrets", "BatchGetSecretValue", "DescribeSecret", "GetSecretValue"})


def name(index: int) -> str:
    return f"secrets-iac/{STACK}/app{index // 50}/s{index % 50}"


@dataclass
class Scene:
    """60 synced secrets, 5 changed by hand (drift), 2 rotated by their Lambda, and new values in git."""

    bulk: BulkProject
    moto: MotoServer
    secrets: int
    manual: dict[str, str] = field(default_factory=dict)
    rotated: dict[str, str] = field(default_factory=dict)

    def sync(self, endpoint_url: str, **kwargs: object) -> SyncReport:
        kwargs.setdefault("writes_per_second", 0)
        return self.bulk.sync(endpoint_url, STACK, **kwargs)

    def expected_after(self, index: int) -> Status:
        if name(index) in self.manual:
            return Status.DRIFTED
        if name(index) in self.rotated:
            return Status.SKIPPED_ROTATION
        return Status.UNCHANGED

    def check(self, faulty: SyncReport, *, must_succeed: bool = True) -> None:
        """The invariants after a faulty run (see the module docstring)."""
        for result in faulty.results:
            assert CANARY not in result.detail
            if result.status is Status.ERROR:
                assert result.detail.split(" ", 2)[1] == f"{result.name}:" or "not attempted" in result.detail
            if result.name in self.manual:
                assert result.status in (Status.DRIFTED, Status.ERROR), result
            if result.name in self.rotated:
                assert result.status in (Status.SKIPPED_ROTATION, Status.ERROR), result
        if must_succeed:
            assert not faulty.has_errors, [r.detail for r in faulty.results if r.status is Status.ERROR]
        self._check_aws()
        second = self.sync(self.moto.endpoint_url)
        failed = {r.name for r in faulty.results if r.status is Status.ERROR}
        for index, result in enumerate(second.results):
            expected = self.expected_after(index)
            if result.name in failed and expected is Status.UNCHANGED:
                assert result.status in (Status.UPDATED, Status.UNCHANGED), result
            else:
                assert result.status is expected, result
        third = self.sync(self.moto.endpoint_url)
        assert [r.status for r in third.results] == [self.expected_after(i) for i in range(self.secrets)]
        self._check_aws()

    def _check_aws(self) -> None:
        sm = self.moto.client("secretsmanager")
        versions = versions_per_secret(self.moto, f"secrets-iac/{STACK}")
        assert len(versions) == self.secrets
        assert set(versions.values()) <= {1, 2}, "a secret got two versions for one change"
        for secret, version in {**self.manual, **self.rotated}.items():
            current = sm.get_secret_value(SecretId=secret)
            assert current["VersionId"] == version, f"{secret} was overwritten"
            assert CANARY not in current["SecretString"]


@pytest.fixture
def scene(bulk: BulkProject, moto: MotoServer) -> Scene:
    return make_scene(bulk, moto, N)


def make_scene(bulk: BulkProject, moto: MotoServer, secrets: int) -> Scene:
    bulk.add_stage(STACK, secrets, seed="v1", rotated=ROTATED)
    first = bulk.sync(moto.endpoint_url, STACK, create_missing=True, writes_per_second=0)
    assert {r.status for r in first.results} == {Status.CREATED}
    sm = moto.client("secretsmanager")
    scene = Scene(bulk, moto, secrets)
    for index in (i for i in DRIFTED if i < secrets):
        scene.manual[name(index)] = sm.put_secret_value(SecretId=name(index), SecretString="set by hand")[
            "VersionId"
        ]
    for index in (
        i for i in ROTATED if i < secrets
    ):  # what the rotation Lambda does: a new current version, without our label
        scene.rotated[name(index)] = sm.put_secret_value(SecretId=name(index), SecretString='{"rotated":1}')[
            "VersionId"
        ]
    bulk.reseed(STACK, f"v2-{CANARY}", rotated=ROTATED)
    return scene


# -- answers that cannot be trusted never lead to a write --------------------------------------------------


def test_cut_bodies_on_every_call(scene: Scene, faults: FaultProxy) -> None:
    faults.add(Fault("cut", rate=0.3))
    report = scene.sync(faults.url, retry=FAST)
    scene.check(report, must_succeed=False)


def test_every_read_cut_writes_nothing(scene: Scene, faults: FaultProxy) -> None:
    faults.add(Fault("cut", operations=READS))
    counter = CallCounter()
    report = scene.sync(faults.url, retry=FAST, on_client=counter.hook)
    assert counter.counts["PutSecretValue"] == 0 and counter.counts["UpdateSecretVersionStage"] == 0
    assert {r.status for r in report.results} == {Status.ERROR}
    assert all("UntrustedResponse" in r.detail for r in report.results)
    scene.check(report, must_succeed=False)


@pytest.mark.parametrize(
    "fields",
    [
        ("VersionId",),
        ("VersionStages",),
        ("Name",),
        ("SecretVersionsToStages", "VersionIdsToStages"),  # listing and describe lose every version
    ],
)
def test_answers_missing_fields_never_lead_to_a_write_over_drift_or_rotation(
    scene: Scene, faults: FaultProxy, fields: tuple[str, ...]
) -> None:
    faults.add(Fault("strip", operations=READS, fields=fields))
    report = scene.sync(faults.url, retry=FAST)
    scene.check(report, must_succeed=False)


def test_a_cut_put_answer_is_retried_with_the_same_token(scene: Scene, faults: FaultProxy) -> None:
    faults.add(Fault("cut", operations=frozenset({"PutSecretValue"})))
    report = scene.sync(faults.url, retry=FAST)
    written = [
        r for r in report.results if scene.expected_after(int(r.name.rsplit("s", 1)[1])) is Status.UNCHANGED
    ]
    assert {r.status for r in written} == {Status.ERROR}
    assert all("PutSecretValue" in r.detail and "UntrustedResponse" in r.detail for r in written)
    scene.check(report, must_succeed=False)  # each write happened once; the next run finds it labelled


@pytest.mark.parametrize("kind", ["error500", "drop"])
def test_a_put_that_took_effect_but_failed_on_the_way_back(
    scene: Scene, faults: FaultProxy, kind: str
) -> None:
    faults.add(Fault(kind, operations=frozenset({"PutSecretValue"}), after_forward=True, rate=0.3))  # type: ignore[arg-type]
    scene.check(scene.sync(faults.url, retry=FAST))


# -- transient failures: the run goes on ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["error500", "drop"])
def test_thirty_percent_failures_on_every_call(scene: Scene, faults: FaultProxy, kind: str) -> None:
    faults.add(Fault(kind, rate=0.3))  # type: ignore[arg-type]
    scene.check(scene.sync(faults.url))


def test_thirty_percent_throttling(bulk: BulkProject, moto: MotoServer, faults: FaultProxy) -> None:
    scene = make_scene(bulk, moto, 20)  # adaptive mode slows to ~1 call/s under it: fewer secrets
    faults.add(Fault("throttle", rate=0.3))
    scene.check(scene.sync(faults.url))


def test_a_three_second_outage(scene: Scene, faults: FaultProxy) -> None:
    timer = threading.Timer(0.2, lambda: faults.outage(3.0))
    timer.start()
    report = scene.sync(faults.url, writes_per_second=20)  # still writing when the outage starts
    timer.join()
    assert faults.counts["PutSecretValue"] > 0
    scene.check(report)


def test_an_outage_longer_than_every_retry_stops_the_run_cleanly(scene: Scene, faults: FaultProxy) -> None:
    faults.add(Fault("drop", operations=frozenset({"PutSecretValue"})))
    report = scene.sync(faults.url, retry=FAST, max_workers=1)
    errors = [r for r in report.results if r.status is Status.ERROR]
    assert errors and "ConnectionClosedError" in errors[0].detail
    assert all("not attempted after an earlier failure" in r.detail for r in errors[1:])
    scene.check(report, must_succeed=False)


def test_a_secret_that_keeps_failing_is_reported_with_the_aws_error_code(
    scene: Scene, faults: FaultProxy
) -> None:
    broken = name(0)
    faults.add(Fault("error500", operations=frozenset({"PutSecretValue"}), secret=broken))
    report = scene.sync(faults.url, retry=FAST)
    (failed,) = [r for r in report.results if r.status is Status.ERROR]
    assert failed.name == broken
    assert failed.detail.startswith(f"PutSecretValue {broken}: InternalServiceError: ")
    assert "gave up after 10 rounds" in failed.detail and CANARY not in failed.detail
    scene.check(report, must_succeed=False)


# -- input that is wrong for AWS is refused before any call -------------------------------------------------


def test_an_empty_value_is_refused_before_any_call_and_the_rest_syncs(
    scene: Scene, faults: FaultProxy
) -> None:
    from tests.fixtures.stages import bulk_sync_stage, write_sync_project

    stage, values = bulk_sync_stage(N, account=MOTO_ACCOUNT_ID, seed=f"v2-{CANARY}", rotated=ROTATED)
    values["app0"]["s0"] = ""
    write_sync_project(scene.bulk.root, STACK, stage, values, scene.bulk.identity.recipient)
    counter = CallCounter()
    report = scene.sync(faults.url, on_client=counter.hook)
    empty = next(r for r in report.results if r.name == name(0))
    assert empty.status is Status.ERROR
    assert "refused, nothing sent" in empty.detail and "app0:s0: is empty" in empty.detail
    assert faults.counts["PutSecretValue"] == N - 1 - len(DRIFTED) - len(ROTATED)
    others = [r for r in report.results if r.name != name(0)]
    assert {r.status for r in others} == {Status.UPDATED, Status.DRIFTED, Status.SKIPPED_ROTATION}
    assert versions_per_secret(scene.moto, f"secrets-iac/{STACK}")[name(0)] == 1


# -- two syncs of one stage at once -------------------------------------------------------------------------


def test_a_second_sync_of_the_stage_is_refused_while_the_first_holds_the_lock(
    scene: Scene, faults: FaultProxy
) -> None:
    sm = scene.moto.client("secretsmanager")
    lock = "secrets-iac/faulty.sync-lock"
    reports: list[SyncReport] = []
    first = threading.Thread(target=lambda: reports.append(scene.sync(faults.url, writes_per_second=15)))
    first.start()
    deadline = time.monotonic() + 10
    while (
        time.monotonic() < deadline
        and not sm.list_secrets(Filters=[{"Key": "name", "Values": [lock]}])["SecretList"]
    ):
        time.sleep(0.02)
    with pytest.raises(LockHeld) as info:
        scene.sync(faults.url)
    message = str(info.value)
    assert f"holds the lock {lock}: run " in message and "--lock-timeout" in message
    waiting = scene.sync(faults.url, lock_timeout=30)  # waits for the first, then finds nothing to do
    first.join()
    assert not reports[0].has_errors
    assert [r.status for r in waiting.results] == [scene.expected_after(i) for i in range(N)]
    assert not sm.list_secrets(Filters=[{"Key": "name", "Values": [lock]}])["SecretList"]  # released
    scene.check(reports[0])


def test_two_unlocked_syncs_of_the_same_content_make_one_version_per_change(
    scene: Scene, faults: FaultProxy
) -> None:
    reports: list[SyncReport] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        reports.append(scene.sync(faults.url, lock=False))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not r.has_errors for r in reports)
    scene.check(reports[0])
