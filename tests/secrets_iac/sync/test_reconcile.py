"""Reconcile failure paths: AWS errors name the operation and the secret, never a value; others proceed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from secrets_iac.sync import ReconcileOptions, Status, load_desired, reconcile
from secrets_iac.sync.reconcile import scrub
from tests.conftest import MotoServer
from tests.secrets_iac.sync.conftest import CANARY, STACK, SyncProject, clients_for, pulumi_up


class FailingClient:
    """The real moto client, except one call on one secret raises `error`."""

    def __init__(self, real: Any, operation: str, secret: str, error: Exception) -> None:
        self._real, self._operation, self._secret, self._error = real, operation, secret, error

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)

        def call(**kwargs: Any) -> Any:
            if name == self._operation and kwargs.get("SecretId", kwargs.get("Name")) == self._secret:
                raise self._error
            return method(**kwargs)

        return call


def echoing_error(operation: str, plaintext: str) -> ClientError:
    """An AWS-style error whose message quotes the request's value (AWS does not, but never trust it)."""
    message = f"Value {plaintext} and {json.dumps(plaintext)} at 'secretString' failed validation"
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, operation)


def desired_for(project: SyncProject) -> Any:
    return load_desired(project.secrets_file, project.plan(), stack=STACK, identities=[project.identity])


def test_aws_error_names_operation_and_secret_scrubs_values_and_others_proceed(
    moto: MotoServer, project: SyncProject
) -> None:
    pulumi_up(moto, project)
    stripe = project.name("payments", "stripe-api-key")
    client = FailingClient(
        moto.client("secretsmanager"),
        "put_secret_value",
        stripe,
        echoing_error("PutSecretValue", f"sk_test_{CANARY}"),
    )
    results = {r.name: r for r in reconcile(client, desired_for(project), ReconcileOptions(max_workers=4))}
    failed = results.pop(stripe)
    assert failed.status is Status.ERROR
    assert failed.detail.startswith(f"PutSecretValue {stripe}: ValidationException: Value *** and")
    assert CANARY not in failed.detail
    assert {r.status for r in results.values()} == {Status.CREATED}


def test_json_secret_properties_are_scrubbed_too(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    db = project.name("payments", "db")
    error = echoing_error("PutSecretValue", f'{{"password": "{CANARY}-db"}}')
    client = FailingClient(moto.client("secretsmanager"), "put_secret_value", db, error)
    (failed,) = [r for r in reconcile(client, desired_for(project)) if r.name == db]
    assert failed.status is Status.ERROR and CANARY not in failed.detail


def test_connection_failure_stops_starting_new_secrets(moto: MotoServer, project: SyncProject) -> None:
    pulumi_up(moto, project)
    first = project.plan().secrets[0].name
    error = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    client = FailingClient(moto.client("secretsmanager"), "describe_secret", first, error)
    results = reconcile(client, desired_for(project), ReconcileOptions(max_workers=1))
    assert results[0].status is Status.ERROR and results[0].detail.startswith(f"DescribeSecret {first}:")
    assert all(r.status is Status.ERROR and "not attempted" in r.detail for r in results[1:])
    assert moto.client("secretsmanager").list_secret_version_ids(SecretId=results[1].name)["Versions"] == []


# -- a real AWS error mid-way: IAM denies one secret's PutSecretValue ---------------------------------------


def deny_put_on(server: MotoServer, secret: str) -> dict[str, str]:
    """An IAM user who may do anything the sync does except PutSecretValue on `secret`; its credentials."""
    iam = server.client("iam")
    iam.create_user(UserName="syncer")
    arn = f"arn:aws:secretsmanager:{server.region}:{server.account_id}:secret:{secret}-*"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:DescribeKey"], "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:PutSecretValue", "Resource": arn},
        ],
    }
    iam.put_user_policy(UserName="syncer", PolicyName="sync", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="syncer")["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_access_denied_on_one_secret_mid_way(
    moto_sm_server: MotoServer, tmp_path: Path, project: SyncProject
) -> None:
    server = moto_sm_server
    server.reset()
    try:
        pulumi_up(server, project)
        stripe = project.name("payments", "stripe-api-key")
        creds = deny_put_on(server, stripe)
        server.enforce_iam()
        client = server.client("secretsmanager", **creds)
        results = {
            r.name: r for r in reconcile(client, desired_for(project), ReconcileOptions(max_workers=4))
        }
        denied = results.pop(stripe)
        assert denied.status is Status.ERROR
        # moto answers this JSON API with an XML 403 body, so botocore reports code "403" and the raw body.
        assert denied.detail.startswith(f"PutSecretValue {stripe}: ")
        assert "not authorized to perform: secretsmanager:PutSecretValue" in denied.detail
        assert CANARY not in denied.detail
        assert {r.status for r in results.values()} == {Status.CREATED}
        server.disable_iam()
        versions = clients_for(server).secretsmanager.list_secret_version_ids(SecretId=stripe)["Versions"]
        assert versions == []
    finally:
        server.reset()


def test_scrub_masks_value_escaped_value_and_json_strings(project: SyncProject) -> None:
    desired = desired_for(project)
    db = next(v for v in desired.values.values() if v.key_path == "payments:db")
    text = f'{{"password": "{CANARY}-db"}} / {db.value.reveal()} / port 5432 / user pay'
    scrubbed = scrub(text, db)
    assert CANARY not in scrubbed and "***" in scrubbed
    assert "5432" in scrubbed  # numbers and short strings are not secrets worth masking everywhere
    assert scrub("no values here", db) == "no values here"
