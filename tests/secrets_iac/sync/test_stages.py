"""Several stages in one run, each with its own credentials, in its own (moto) account.

moto attributes a request to the account of the credentials: an assumed role's credentials belong to the
role's account (moto's `assume_role` accepts any role ARN, which is how these tests switch accounts), and
an IAM user's access key to the account that created the user.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

import pytest

from secrets_iac.errors import UserError
from secrets_iac.sync import SecretResult, Status, sync_stages
from tests.conftest import MOTO_ACCOUNT_ID, MotoServer
from tests.secrets_iac.sync.conftest import BulkProject, CallCounter, snapshot

ACCOUNTS = {"red": "111111111111", "green": "222222222222", "amber": "333333333333"}


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/secrets-sync"


def in_account(moto: MotoServer, account: str, service: str = "secretsmanager") -> Any:
    credentials = moto.client("sts").assume_role(RoleArn=role(account), RoleSessionName="check")[
        "Credentials"
    ]
    return moto.client(
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def names_in(moto: MotoServer, account: str) -> set[str]:
    pages = in_account(moto, account).get_paginator("list_secrets").paginate()
    return {s["Name"] for page in pages for s in page["SecretList"]}


def three_stages(bulk: BulkProject, secrets: int = 30) -> None:
    for stack, account in ACCOUNTS.items():
        bulk.add_stage(stack, secrets, account=account, sync={"roleArn": role(account)})


def test_three_stages_in_three_accounts_in_one_run(bulk: BulkProject, moto: MotoServer) -> None:
    three_stages(bulk)
    counter = CallCounter()
    options = bulk.options(
        moto.endpoint_url, create_missing=True, writes_per_second=0, on_client=counter.hook
    )
    report = sync_stages(bulk.root, list(ACCOUNTS), options)
    assert [s.stack for s in report.stages] == ["red", "green", "amber"]
    assert report.counts["created"] == 90 and not report.has_errors
    for stack, account in ACCOUNTS.items():
        assert names_in(moto, account) == {r.name for r in report.stages[list(ACCOUNTS).index(stack)].results}
        assert all(name.startswith(f"secrets-iac/{stack}/") for name in names_in(moto, account))
    assert snapshot(moto) == {}  # nothing in the default account
    assert counter.counts["AssumeRole"] == 0  # the roles are assumed before the clients exist
    again = sync_stages(bulk.root, list(ACCOUNTS), bulk.options(moto.endpoint_url))
    assert again.counts["unchanged"] == 90 and again.exit_code(detailed=True) == 0


def test_a_stage_in_another_account_is_refused_and_the_others_sync(
    bulk: BulkProject, moto: MotoServer
) -> None:
    three_stages(bulk, 10)
    bulk.add_stage("stray", 10, account="444444444444")  # no role: the ambient credentials are 123456789012
    report = sync_stages(
        bulk.root, ["red", "stray", "green"], bulk.options(moto.endpoint_url, create_missing=True)
    )
    stray = report.stages[1]
    assert stray.results == () and stray.error is not None
    assert (
        "credentials are for account 123456789012" in stray.error and "accountId 444444444444" in stray.error
    )
    assert report.stages[0].counts["created"] == report.stages[2].counts["created"] == 10
    assert report.exit_code() == 1
    assert "stray: not synced: the AWS credentials are for account" in report.table()
    assert snapshot(moto) == {}


def test_one_bad_stage_refuses_the_run_before_any_aws_call(bulk: BulkProject, moto: MotoServer) -> None:
    three_stages(bulk, 5)
    (bulk.root / "stacks" / "Pulumi.green.yaml").write_text("config: {secrets-iac:region: mars}\n")
    counter = CallCounter()
    with pytest.raises(UserError) as info:
        sync_stages(bulk.root, list(ACCOUNTS), bulk.options(moto.endpoint_url, on_client=counter.hook))
    assert "stacks/Pulumi.green.yaml" in str(info.value)
    assert counter.total() == 0
    for account in ACCOUNTS.values():
        assert names_in(moto, account) == set()


def test_a_role_in_another_account_than_the_stage_is_refused_by_the_config(bulk: BulkProject) -> None:
    bulk.add_stage("red", 2, account=ACCOUNTS["red"], sync={"roleArn": role(ACCOUNTS["green"])})
    with pytest.raises(
        UserError, match=r"sync\.roleArn is in account 222222222222 but accountId is 111111111111"
    ):
        sync_stages(bulk.root, ["red"], bulk.options("http://127.0.0.1:9"))


def test_a_stage_syncs_with_its_own_profile(
    bulk: BulkProject, moto: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = ACCOUNTS["amber"]
    iam = in_account(moto, account, "iam")
    iam.create_user(UserName="amber-sync")
    key = iam.create_access_key(UserName="amber-sync")["AccessKey"]
    config = configparser.ConfigParser()
    config["profile amber-sync"] = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    config_file = tmp_path / "aws-config"
    with config_file.open("w") as handle:
        config.write(handle)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    bulk.add_stage("amber", 5, account=account, sync={"profile": "amber-sync"})
    bulk.add_stage("local", 5, account=MOTO_ACCOUNT_ID)
    report = sync_stages(bulk.root, ["amber", "local"], bulk.options(moto.endpoint_url, create_missing=True))
    assert not report.has_errors
    assert len(names_in(moto, account)) == 5 and len(snapshot(moto)) == 5

    bulk.add_stage("typo", 1, account=account, sync={"profile": "no-such-profile"})
    report = sync_stages(bulk.root, ["typo"], bulk.options(moto.endpoint_url))
    assert report.stages[0].error is not None
    assert "stacks/Pulumi.typo.yaml: secrets-iac:sync.profile: " in report.stages[0].error
    assert "no-such-profile" in report.stages[0].error


class Recorder:
    """A `Progress` that remembers which stage each outcome came from, in order."""

    def __init__(self) -> None:
        self.totals: list[int] = []
        self.stacks: list[str] = []

    def start(self, total: int) -> None:
        self.totals.append(total)

    def advance(self, stack: str, result: SecretResult) -> None:
        self.stacks.append(stack)


def test_stages_run_side_by_side_sharing_nothing_but_the_run(bulk: BulkProject, moto: MotoServer) -> None:
    three_stages(bulk, 20)
    sync_stages(
        bulk.root, list(ACCOUNTS), bulk.options(moto.endpoint_url, create_missing=True, writes_per_second=0)
    )
    for stack in ACCOUNTS:
        bulk.reseed(stack, "v2", sync={"roleArn": role(ACCOUNTS[stack])})
    recorder = Recorder()
    report = sync_stages(
        bulk.root, list(ACCOUNTS), bulk.options(moto.endpoint_url, writes_per_second=10, progress=recorder)
    )
    assert {r.status for s in report.stages for r in s.results} == {Status.UPDATED}
    # The run's total, then each stage's writing pass; every secret reported by both passes.
    assert recorder.totals == [60, 20, 20, 20]
    assert sorted(recorder.stacks) == sorted([s for s in ACCOUNTS for _ in range(40)])
    # One after the other, the outcomes would come in three blocks; side by side (each account writing
    # at 10/s for 2 s) they interleave.
    switches = sum(1 for a, b in zip(recorder.stacks, recorder.stacks[1:], strict=False) if a != b)
    assert switches > 2 * len(ACCOUNTS)
