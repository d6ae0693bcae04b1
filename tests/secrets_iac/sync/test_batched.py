"""Batched reads: calls per operation, and the per-secret reads for what the batches cannot answer."""

from __future__ import annotations

import math
from typing import Any

import pytest
from botocore.exceptions import ClientError

from secrets_iac.sync import ReconcileOptions, RetryPolicy, Status, load_desired, reconcile
from secrets_iac.sync.calls import BOTOCORE_ATTEMPTS
from secrets_iac.sync.inventory import BATCH_SIZE, LIST_PAGE_SIZE
from tests.conftest import MotoServer
from tests.fault_proxy import Fault, FaultProxy
from tests.secrets_iac.sync.conftest import BulkProject, CallCounter, versions_per_secret

N = 300
FAST = RetryPolicy(rounds=3, base_delay=0.01, max_delay=0.05)
PER_SECRET = ("DescribeSecret", "GetSecretValue", "PutSecretValue", "UpdateSecretVersionStage")


def statuses(report: Any) -> set[str]:
    return {r.status.value for r in report.results}


def seeded(bulk: BulkProject, moto: MotoServer, secrets: int = N) -> None:
    bulk.add_stage("bulk", secrets)
    first = bulk.sync(moto.endpoint_url, "bulk", create_missing=True, writes_per_second=0)
    assert statuses(first) == {"created"}


def test_noop_of_300_secrets_costs_list_pages_plus_batches(bulk: BulkProject, moto: MotoServer) -> None:
    seeded(bulk, moto)
    counter = CallCounter()
    report = bulk.sync(moto.endpoint_url, "bulk", on_client=counter.hook)
    assert statuses(report) == {"unchanged"} and report.notes == ()
    assert counter.counts["ListSecrets"] == math.ceil(N / LIST_PAGE_SIZE) == 3
    assert counter.counts["BatchGetSecretValue"] == math.ceil(N / BATCH_SIZE) == 15
    assert counter.total(*PER_SECRET) == 0
    # Nothing else: the account comes from the listing's ARNs, and with nothing to write no lock is taken.
    assert counter.total() == math.ceil(N / 100) + math.ceil(N / 20)


def test_dry_run_noop_costs_the_same(bulk: BulkProject, moto: MotoServer) -> None:
    seeded(bulk, moto)
    counter = CallCounter()
    report = bulk.sync(moto.endpoint_url, "bulk", dry_run=True, on_client=counter.hook)
    assert statuses(report) == {"unchanged"}
    assert counter.total() == 3 + 15  # list pages, batches


def test_the_account_is_checked_by_caller_identity_when_the_listing_is_empty(
    bulk: BulkProject, moto: MotoServer
) -> None:
    bulk.add_stage("bulk", 5)
    counter = CallCounter()
    report = bulk.sync(moto.endpoint_url, "bulk", dry_run=True, on_client=counter.hook)
    assert statuses(report) == {"absent"}
    assert counter.counts["GetCallerIdentity"] == 1


def test_changed_values_cost_one_put_each_and_a_second_read_under_the_lock(
    bulk: BulkProject, moto: MotoServer
) -> None:
    seeded(bulk, moto)
    bulk.reseed("bulk", "v2")
    counter = CallCounter()
    report = bulk.sync(moto.endpoint_url, "bulk", on_client=counter.hook, writes_per_second=0)
    assert statuses(report) == {"updated"}
    assert counter.counts["PutSecretValue"] == N
    assert counter.counts["ListSecrets"] == 2 * 3 and counter.counts["BatchGetSecretValue"] == 2 * 15
    assert counter.counts["CreateSecret"] == counter.counts["DeleteSecret"] == 1  # the lock
    assert counter.counts["DescribeSecret"] == counter.counts["GetSecretValue"] == 0
    assert set(versions_per_secret(moto, bulk.prefix("bulk")).values()) == {2}
    assert statuses(bulk.sync(moto.endpoint_url, "bulk")) == {"unchanged"}


def test_a_failing_batch_call_falls_back_to_per_secret_reads(
    bulk: BulkProject, moto: MotoServer, faults: FaultProxy
) -> None:
    seeded(bulk, moto, 40)
    bulk.reseed("bulk", "v2")
    faults.add(
        Fault("error500", operations=frozenset({"BatchGetSecretValue"}), secret="secrets-iac/bulk/app0/s7")
    )
    counter = CallCounter()
    report = bulk.sync(faults.url, "bulk", retry=FAST, on_client=counter.hook, writes_per_second=0)
    assert statuses(report) == {"updated"}
    assert len(report.notes) == 1 and "BatchGetSecretValue" in report.notes[0]
    assert "InternalServiceError" in report.notes[0] and "read one by one" in report.notes[0]
    # Both passes: the one batch that kept failing was read one by one.
    assert counter.counts["DescribeSecret"] == 2 * 20
    assert counter.counts["BatchGetSecretValue"] == 2 * (1 + FAST.rounds * BOTOCORE_ATTEMPTS)
    assert set(versions_per_secret(moto, bulk.prefix("bulk")).values()) == {2}


def test_listing_denied_reads_every_secret_on_its_own(
    bulk: BulkProject, moto: MotoServer, faults: FaultProxy
) -> None:
    seeded(bulk, moto, 30)
    faults.add(Fault("denied", operations=frozenset({"ListSecrets"})))
    counter = CallCounter()
    report = bulk.sync(faults.url, "bulk", retry=FAST, on_client=counter.hook)
    assert statuses(report) == {"unchanged"}
    assert report.notes[0].startswith("ListSecrets secrets-iac/bulk/: AccessDeniedException")
    assert counter.counts["BatchGetSecretValue"] == 0 and counter.counts["DescribeSecret"] == 30
    assert counter.counts["GetCallerIdentity"] == 1  # no listing, no ARNs: the account from STS


class ListingHides:
    """The real client, except ListSecrets leaves out `hidden` (as an eventually consistent listing may)
    and shows `no_versions` without versions (a listing older than their first value)."""

    def __init__(self, real: Any, hidden: set[str], no_versions: set[str]) -> None:
        self._real, self._hidden, self._no_versions = real, hidden, no_versions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def list_secrets(self, **kwargs: Any) -> Any:
        page = self._real.list_secrets(**kwargs)
        page["SecretList"] = [
            {
                k: v
                for k, v in s.items()
                if not (s["Name"] in self._no_versions and k == "SecretVersionsToStages")
            }
            for s in page["SecretList"]
            if s["Name"] not in self._hidden
        ]
        return page


def test_unlisted_or_stale_entries_are_decided_on_per_secret_reads(
    bulk: BulkProject, moto: MotoServer
) -> None:
    seeded(bulk, moto, 40)
    bulk.reseed("bulk", "v2")
    sm = moto.client("secretsmanager")
    drifted = "secrets-iac/bulk/app0/s3"
    manual = sm.put_secret_value(SecretId=drifted, SecretString='{"set": "by hand"}')["VersionId"]
    hidden, stale = {"secrets-iac/bulk/app0/s0"}, {drifted, "secrets-iac/bulk/app0/s1"}
    stage = bulk_stage_plan(bulk)
    desired = load_desired(
        bulk.root / "stacks/secrets/bulk.enc.yaml", stage, stack="bulk", identities=[bulk.identity]
    )
    client = ListingHides(sm, hidden, stale)
    results = {r.name: r for r in reconcile(client, desired, ReconcileOptions(retry=FAST))}
    assert results["secrets-iac/bulk/app0/s0"].status is Status.UPDATED
    assert results["secrets-iac/bulk/app0/s1"].status is Status.UPDATED
    assert results[drifted].status is Status.DRIFTED and results[drifted].version_id == manual
    assert {r.status for n, r in results.items() if n != drifted} == {Status.UPDATED}


def bulk_stage_plan(bulk: BulkProject) -> Any:
    from secrets_iac.config import load_stage_config
    from secrets_iac.planner import render_stage

    return render_stage(load_stage_config(bulk.root, "bulk"), "bulk")


def test_moto_batch_get_fails_as_a_whole_for_a_secret_without_a_value(moto: MotoServer) -> None:
    """A gap of moto 5.2.5 (AWS reports such an entry under Errors): why the sync batch-reads only
    secrets the listing shows with a current version, and reads every entry of a failed batch alone."""
    sm = moto.client("secretsmanager")
    sm.create_secret(Name="gap/with-value", SecretString="x")
    sm.create_secret(Name="gap/without-value")
    with pytest.raises(ClientError) as info:
        sm.batch_get_secret_value(SecretIdList=["gap/with-value", "gap/without-value"])
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    answer = sm.batch_get_secret_value(SecretIdList=["gap/with-value", "gap/absent"])
    assert [v["Name"] for v in answer["SecretValues"]] == ["gap/with-value"]
    assert [e["SecretId"] for e in answer["Errors"]] == ["gap/absent"]


def test_secrets_without_a_value_yet_are_written_in_a_batched_run(
    bulk: BulkProject, moto: MotoServer
) -> None:
    bulk.add_stage("bulk", 40)
    sm = moto.client("secretsmanager")
    for i in range(40):
        app, name = f"app{i // 50}", f"s{i % 50}"
        sm.create_secret(Name=f"secrets-iac/bulk/{app}/{name}")  # pulumi up: metadata, no value
    counter = CallCounter()
    report = bulk.sync(moto.endpoint_url, "bulk", on_client=counter.hook, writes_per_second=0)
    assert statuses(report) == {"created"}
    assert counter.counts["BatchGetSecretValue"] == 0  # no current version listed: nothing to batch
    assert set(versions_per_secret(moto, bulk.prefix("bulk")).values()) == {1}


class RotationEnabledInAws:
    """The real client, except `rotated` carry RotationEnabled (rotation set up outside the stack)."""

    def __init__(self, real: Any, rotated: set[str]) -> None:
        self._real, self._rotated = real, rotated
        self.value_reads: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def list_secrets(self, **kwargs: Any) -> Any:
        page = self._real.list_secrets(**kwargs)
        for entry in page["SecretList"]:
            entry["RotationEnabled"] = entry["Name"] in self._rotated
        return page

    def batch_get_secret_value(self, **kwargs: Any) -> Any:
        self.value_reads.extend(kwargs["SecretIdList"])
        return self._real.batch_get_secret_value(**kwargs)


def test_rotation_enabled_in_aws_is_left_to_the_lambda_without_reading_the_value(
    bulk: BulkProject, moto: MotoServer
) -> None:
    seeded(bulk, moto, 20)
    bulk.reseed("bulk", "v2")
    rotated = {"secrets-iac/bulk/app0/s4", "secrets-iac/bulk/app0/s5"}
    client = RotationEnabledInAws(moto.client("secretsmanager"), rotated)
    desired = load_desired(
        bulk.root / "stacks/secrets/bulk.enc.yaml",
        bulk_stage_plan(bulk),
        stack="bulk",
        identities=[bulk.identity],
    )
    results = {r.name: r.status for r in reconcile(client, desired, ReconcileOptions(overwrite_drift=True))}
    assert {results.pop(name) for name in rotated} == {Status.SKIPPED_ROTATION}
    assert set(results.values()) == {Status.UPDATED}
    assert not rotated & set(client.value_reads) and len(client.value_reads) == 18
