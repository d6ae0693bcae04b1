"""The sync's identity (`sync_policy`) on a moto server enforcing IAM against secret ARNs
(moto_sm_resource_server.py): a whole sync works with it, and what lies outside the stage is denied.

Not proved here (moto 5.2.5 does not evaluate them; tests/secrets_iac/iam/test_sync_policy.py pins the
documents): the `aws:RequestTag` condition of `--create-missing`, `kms:ViaService`, BatchGetSecretValue's
per-secret GetSecretValue check, and the TagResource check AWS adds to a CreateSecret with tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest
from botocore.exceptions import ClientError

from secrets_iac.iam.policies import SecretScope, sync_policy
from secrets_iac.sops import AgeIdentity
from secrets_iac.sync import Status, sync_stage
from tests.conftest import MotoServer
from tests.secrets_iac.sync.conftest import BulkProject, moto_session

STACK = "blue"
SECRETS = 30
SIBLING = "secrets-iac/blue-other/app0/s0"  # shares the "secrets-iac/blue" string prefix


def user_with(server: MotoServer, policy: dict[str, Any]) -> dict[str, str]:
    iam = server.client("iam")
    iam.create_user(UserName="syncer")
    iam.put_user_policy(UserName="syncer", PolicyName="sync", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="syncer")["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


@pytest.fixture
def stage(moto_sm: MotoServer, tmp_path: Path) -> Iterator[tuple[BulkProject, dict[str, str]]]:
    identity = AgeIdentity.from_str(str(pyrage.x25519.Identity.generate()), "blue")
    bulk = BulkProject(tmp_path / "project", identity)
    bulk.add_stage(STACK, SECRETS, account=moto_sm.account_id)
    sm = moto_sm.client("secretsmanager")
    for index in range(SECRETS - 1):  # pulumi up created all but the last
        sm.create_secret(Name=f"secrets-iac/{STACK}/app0/s{index}")
    sm.create_secret(Name=SIBLING, SecretString="other stage")
    scope = SecretScope(region=moto_sm.region, account_id=moto_sm.account_id, prefix=f"secrets-iac/{STACK}")
    creds = user_with(moto_sm, sync_policy(scope))
    moto_sm.enforce_iam()
    try:
        yield bulk, creds
    finally:
        moto_sm.disable_iam()


def denied(call: Any) -> None:
    with pytest.raises(ClientError) as info:
        call()
    body = json.dumps(info.value.response)
    assert "AccessDenied" in body or "not authorized" in body, body


def test_a_whole_sync_runs_with_the_policy_and_creation_is_denied(
    moto_sm: MotoServer, stage: tuple[BulkProject, dict[str, str]]
) -> None:
    bulk, creds = stage
    options = bulk.options(moto_sm.endpoint_url, session=moto_session(**creds), create_missing=True)
    first = sync_stage(bulk.root, STACK, options)
    statuses = {r.name: r.status for r in first.results}
    last = f"secrets-iac/{STACK}/app0/s{SECRETS - 1}"
    assert statuses.pop(last) is Status.ERROR  # --create-missing needs create_missing=True in the policy
    assert "CreateSecret" in next(r.detail for r in first.results if r.name == last)
    assert set(statuses.values()) == {Status.CREATED}
    second = sync_stage(bulk.root, STACK, bulk.options(moto_sm.endpoint_url, session=moto_session(**creds)))
    assert {r.status for r in second.results if r.name != last} == {Status.UNCHANGED}
    assert second.notes == ()  # ListSecrets and BatchGetSecretValue were allowed: no per-secret fallback


def test_outside_the_stage_is_denied(moto_sm: MotoServer, stage: tuple[BulkProject, dict[str, str]]) -> None:
    _, creds = stage
    sm = moto_sm.client("secretsmanager", **creds)
    denied(lambda: sm.put_secret_value(SecretId=SIBLING, SecretString="x"))
    denied(lambda: sm.get_secret_value(SecretId=SIBLING))
    denied(lambda: sm.create_secret(Name=f"secrets-iac/{STACK}/app0/new"))
    denied(lambda: sm.delete_secret(SecretId=f"secrets-iac/{STACK}/app0/s0"))
    denied(lambda: sm.create_secret(Name=f"secrets-iac/{STACK}.sync-lock-other"))
    denied(lambda: sm.create_secret(Name="secrets-iac/blue-other.sync-lock"))
    sm.create_secret(Name=f"secrets-iac/{STACK}.sync-lock", SecretString="{}")  # the lock itself: allowed
    sm.delete_secret(SecretId=f"secrets-iac/{STACK}.sync-lock", ForceDeleteWithoutRecovery=True)
