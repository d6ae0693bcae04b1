"""sync_stage end to end against the real moto server: create, idempotence, updates, drift, dry run."""

from __future__ import annotations

import json

import pytest

from secrets_iac.config import load_stage_config
from secrets_iac.errors import UserError
from secrets_iac.planner import render_stage
from secrets_iac.sops import AgeIdentity, read_keys_file
from secrets_iac.sync import (
    SYNCED_STAGE,
    Status,
    SyncOptions,
    SyncReport,
    default_secrets_file,
    load_desired,
    sync_stage,
)
from tests.conftest import MotoServer
from tests.fixtures.example import EXAMPLE, EXAMPLE_KEY, STAGES
from tests.secrets_iac.sync.conftest import (
    CANARY,
    SyncProject,
    clients_for,
    default_values,
    pulumi_up,
    snapshot,
)


def statuses(report: SyncReport) -> dict[str, str]:
    return {r.name: r.status.value for r in report.results}


def current_value(moto: MotoServer, name: str) -> str:
    return str(moto.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def current_stages(moto: MotoServer, name: str) -> list[str]:
    stages = moto.client("secretsmanager").describe_secret(SecretId=name)["VersionIdsToStages"]
    return next(sorted(s) for s in stages.values() if "AWSCURRENT" in s)


def test_first_run_creates_values_second_run_changes_nothing(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    first = project.sync(moto)
    assert statuses(first) == {
        project.name("payments", "db"): "created",
        project.name("payments", "stripe-api-key"): "created",
        project.name("payments", "db-rotated"): "created",  # rotation: seeded because it was empty
        project.name("web", "tls"): "created",
    }
    assert first.exit_code() == 0 and first.exit_code(detailed=True) == 2
    db = json.loads(current_value(moto, project.name("payments", "db")))
    assert db == {"username": "payments", "password": f"{CANARY}-db", "port": 5432}
    assert current_value(moto, project.name("payments", "stripe-api-key")) == f"sk_test_{CANARY}"
    assert current_stages(moto, project.name("web", "tls")) == ["AWSCURRENT", SYNCED_STAGE]
    before = snapshot(moto)

    second = project.sync(moto)
    assert set(statuses(second).values()) == {"unchanged", "skipped-rotation"}
    assert second.exit_code(detailed=True) == 0
    assert snapshot(moto) == before  # no new version, no label moved
    for result in second.results:
        assert result.version_id == first.results[second.results.index(result)].version_id


def test_changing_the_file_updates_exactly_that_secret(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    first = {r.name: r for r in project.sync(moto).results}
    values = default_values()
    values["payments"]["stripe-api-key"] = f"sk_live_{CANARY}"
    project.write_secrets(values)

    report = project.sync(moto)
    changed = {r.name: r for r in report.results if r.status is not Status.UNCHANGED}
    stripe = project.name("payments", "stripe-api-key")
    rotated = project.name("payments", "db-rotated")
    assert {n: r.status.value for n, r in changed.items()} == {stripe: "updated", rotated: "skipped-rotation"}
    assert changed[stripe].previous_version_id == first[stripe].version_id
    assert changed[stripe].version_id != first[stripe].version_id
    assert current_value(moto, stripe) == f"sk_live_{CANARY}"
    assert current_stages(moto, stripe) == ["AWSCURRENT", SYNCED_STAGE]


def test_json_formatting_and_key_order_never_cause_an_update(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    project.sync(moto)
    name = project.name("payments", "db")
    pretty = json.dumps({"port": 5432, "password": f"{CANARY}-db", "username": "payments"}, indent=4)
    moto.client("secretsmanager").put_secret_value(
        SecretId=name, SecretString=pretty, VersionStages=["AWSCURRENT", SYNCED_STAGE]
    )
    assert statuses(project.sync(moto))[name] == "unchanged"


def test_out_of_band_change_is_drift_and_left_alone_unless_overwrite(
    moto: MotoServer, project: SyncProject
) -> None:
    pulumi_up(moto, project)
    project.sync(moto)
    name = project.name("payments", "stripe-api-key")
    sm = moto.client("secretsmanager")
    manual = sm.put_secret_value(SecretId=name, SecretString="set-by-hand")["VersionId"]

    report = project.sync(moto)
    result = next(r for r in report.results if r.name == name)
    assert result.status is Status.DRIFTED and result.version_id == manual
    assert "--overwrite-drift" in result.detail
    assert current_value(moto, name) == "set-by-hand"
    assert report.exit_code() == 0 and report.exit_code(detailed=True) == 2

    # A git change does not override drift either.
    values = default_values()
    values["payments"]["stripe-api-key"] = "sk_test_new"
    project.write_secrets(values)
    assert statuses(project.sync(moto))[name] == "drifted"
    assert current_value(moto, name) == "set-by-hand"

    forced = next(r for r in project.sync(moto, overwrite_drift=True).results if r.name == name)
    assert forced.status is Status.UPDATED and forced.previous_version_id == manual
    assert current_value(moto, name) == "sk_test_new"
    assert current_stages(moto, name) == ["AWSCURRENT", SYNCED_STAGE]
    assert statuses(project.sync(moto))[name] == "unchanged"


def test_out_of_band_write_of_the_same_value_is_adopted_not_drift(
    moto: MotoServer, project: SyncProject
) -> None:
    pulumi_up(moto, project)
    project.sync(moto)
    name = project.name("payments", "stripe-api-key")
    sm = moto.client("secretsmanager")
    same = sm.put_secret_value(SecretId=name, SecretString=f"sk_test_{CANARY}")["VersionId"]

    adopted = next(r for r in project.sync(moto).results if r.name == name)
    assert adopted.status is Status.UNCHANGED and adopted.version_id == same
    assert SYNCED_STAGE in adopted.detail
    assert current_stages(moto, name) == ["AWSCURRENT", SYNCED_STAGE]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert [v for v, s in stages.items() if SYNCED_STAGE in s] == [same]  # the label moved, not copied

    values = default_values()
    values["payments"]["stripe-api-key"] = "sk_test_next"
    project.write_secrets(values)
    assert statuses(project.sync(moto))[name] == "updated"


def test_dry_run_writes_nothing(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project, skip=(project.name("web", "tls"),))
    empty = snapshot(moto)
    dry = project.sync(moto, dry_run=True, create_missing=True)
    assert dry.dry_run and set(statuses(dry).values()) == {"created"}
    assert dry.exit_code(detailed=True) == 2
    assert snapshot(moto) == empty

    project.sync(moto)  # tls is absent without --create-missing; the others get values
    values = default_values()
    values["payments"]["stripe-api-key"] = "sk_test_changed"
    project.write_secrets(values)
    moto.client("secretsmanager").put_secret_value(SecretId=project.name("payments", "db"), SecretString="{}")
    moto.client("secretsmanager").put_secret_value(
        SecretId=project.name("payments", "db-rotated"), SecretString="by-hand"
    )
    before = snapshot(moto)
    dry = project.sync(moto, dry_run=True)
    assert statuses(dry) == {
        project.name("payments", "db"): "drifted",
        project.name("payments", "stripe-api-key"): "updated",
        project.name("payments", "db-rotated"): "skipped-rotation",
        project.name("web", "tls"): "absent",
    }
    assert "would update" in dry.table() and "dry run, nothing written" in dry.table()
    project.sync(moto, dry_run=True, overwrite_drift=True, create_missing=True)
    assert snapshot(moto) == before


def test_dry_run_does_not_adopt_an_equal_unlabelled_value(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    name = project.name("payments", "stripe-api-key")
    moto.client("secretsmanager").put_secret_value(SecretId=name, SecretString=f"sk_test_{CANARY}")
    before = snapshot(moto)
    result = next(r for r in project.sync(moto, dry_run=True).results if r.name == name)
    assert result.status is Status.UNCHANGED and "would label" in result.detail
    assert snapshot(moto) == before


def test_undeclared_key_fails_before_any_aws_call(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    values = default_values()
    values["payments"]["stripe-api-kye"] = f"{CANARY}-typo"
    values["paymnts"] = {"db": "x"}
    project.write_secrets(values)
    before = snapshot(moto)
    with pytest.raises(UserError) as info:
        project.sync(moto, create_missing=True, overwrite_drift=True)
    message = str(info.value)
    assert (
        "stacks/secrets/test.enc.yaml: payments:stripe-api-kye: not a secret declared by stack test"
        in message
    )
    assert "paymnts" in message
    assert CANARY not in message
    assert snapshot(moto) == before


def test_absent_secret_is_an_error_and_the_others_still_sync(moto: MotoServer, project: SyncProject) -> None:
    tls = project.name("web", "tls")
    pulumi_up(moto, project, skip=(tls,))
    report = project.sync(moto)
    assert statuses(report)[tls] == "absent"
    assert "pulumi up" in next(r for r in report.results if r.name == tls).detail
    assert [s for n, s in statuses(report).items() if n != tls] == ["created"] * 3
    assert report.exit_code() == 1 and report.exit_code(detailed=True) == 1
    assert tls not in snapshot(moto)


def test_secret_scheduled_for_deletion_is_absent(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    name = project.name("payments", "stripe-api-key")
    moto.client("secretsmanager").delete_secret(SecretId=name, RecoveryWindowInDays=7)
    result = next(r for r in project.sync(moto, create_missing=True).results if r.name == name)
    assert result.status is Status.ABSENT and "scheduled for deletion" in result.detail


def test_create_missing_creates_secrets_exactly_as_pulumi_would(
    moto: MotoServer, project: SyncProject
) -> None:
    report = project.sync(moto, create_missing=True)
    assert set(statuses(report).values()) == {"created"}
    state = snapshot(moto)
    expected = {spec.name: spec for spec in project.plan().secrets}
    assert set(state) == set(expected)
    for name, spec in expected.items():
        assert state[name]["tags"] == sorted(spec.tags.items())
        assert state[name]["description"] == spec.description
        assert state[name]["kms"] is None  # aws-managed: aws/secretsmanager
    assert state[project.name("payments", "db")]["description"] == "Payments database credentials"
    assert dict(state[project.name("payments", "db")]["tags"]) == {
        "team": "platform",
        "managed-by": "secrets-iac",
        "environment": "test",
        "app": "payments",
    }
    assert set(statuses(project.sync(moto, create_missing=True)).values()) == {
        "unchanged",
        "skipped-rotation",
    }


def test_rotation_secret_is_seeded_once_then_skipped(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    name = project.name("payments", "db-rotated")
    project.sync(moto)
    rotated = moto.client("secretsmanager").put_secret_value(
        SecretId=name, SecretString='{"password":"rotated"}'
    )
    values = default_values()
    values["payments"]["db-rotated"]["password"] = "changed-in-git"
    project.write_secrets(values)
    result = next(r for r in project.sync(moto, overwrite_drift=True).results if r.name == name)
    assert result.status is Status.SKIPPED_ROTATION and result.version_id == rotated["VersionId"]
    assert current_value(moto, name) == '{"password":"rotated"}'


def test_declared_secret_without_a_value_is_missing_value(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    values = default_values()
    del values["web"]
    values["payments"]["stripe-api-key"] = None
    project.write_secrets(values)
    report = project.sync(moto)
    assert statuses(report)[project.name("web", "tls")] == "missing-value"
    assert statuses(report)[project.name("payments", "stripe-api-key")] == "missing-value"
    assert report.exit_code(detailed=True) == 2  # db and db-rotated were created
    assert report.exit_code() == 0


# -- the example stages the tests own (tests/fixtures/example, a test-only key) -----------------------------
# The repository's own stages are checked by `secrets-iac check` (tests/test_repository_stages.py).


def example_identities() -> list[AgeIdentity]:
    return read_keys_file(EXAMPLE_KEY)


@pytest.mark.parametrize("stage", STAGES)
def test_example_stage_files_match_their_stacks(stage: str) -> None:
    path = default_secrets_file(EXAMPLE, stage)
    plan = render_stage(load_stage_config(EXAMPLE, stage), stage)
    desired = load_desired(path, plan, stack=stage, identities=example_identities())
    assert len(desired.values) == len(plan.secrets), "every declared secret has a value"


def test_an_example_stage_syncs_into_moto(moto: MotoServer) -> None:
    options = SyncOptions(identities=example_identities(), create_missing=True, check_account=False)
    first = sync_stage(EXAMPLE, "alpha", options, clients=clients_for(moto))
    assert not first.has_errors and {r.status for r in first.results} == {Status.CREATED}
    second = sync_stage(EXAMPLE, "alpha", options, clients=clients_for(moto))
    assert second.exit_code(detailed=True) == 0
