"""AWS clients for the sync, the account guard and the KMS key a created secret gets.

The endpoint is `endpoint_url` when given, else whatever boto3 reads from the standard
`AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SECRETS_MANAGER` variables; the region is the stage's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from secrets_iac.config import KmsMode, StageConfig
from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan

# Clients are typed `Any`: the mypy-boto3 service stubs are optional (not every environment has them).
SecretsManagerClient = Any
KMSClient = Any
STSClient = Any

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32)


@dataclass(frozen=True)
class AwsClients:
    secretsmanager: SecretsManagerClient
    kms: KMSClient
    sts: STSClient


def make_clients(
    region: str, endpoint_url: str | None = None, session: boto3.Session | None = None
) -> AwsClients:
    """Clients in the stage's region; `endpoint_url` None lets boto3 apply AWS_ENDPOINT_URL itself."""
    s = session or boto3.Session()
    client: Any = s.client  # any service name, not only the stubs' literal overloads
    return AwsClients(
        secretsmanager=client(
            "secretsmanager", region_name=region, endpoint_url=endpoint_url, config=_CONFIG
        ),
        kms=client("kms", region_name=region, endpoint_url=endpoint_url, config=_CONFIG),
        sts=client("sts", region_name=region, endpoint_url=endpoint_url, config=_CONFIG),
    )


def error_text(err: Exception) -> str:
    """`<code>: <message>` of a failed call: AWS's words, which the caller scrubs of values."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(err).__name__}: {err}"


def aws_error(operation: str, subject: str, err: Exception) -> str:
    """`<Operation> <subject>: <code>: <message>` for a failed call."""
    return f"{operation} {subject}: {error_text(err)}"


def check_account(sts: STSClient, config: StageConfig, source: str) -> str:
    """Refuse to touch an account other than the stage's (a dev file synced into prod, say)."""
    try:
        account = str(sts.get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as err:
        raise UserError(aws_error("GetCallerIdentity", "(credentials check)", err)) from None
    if account != config.account_id:
        raise UserError(
            f"the AWS credentials are for account {account} but {source} declares accountId "
            f"{config.account_id}: refusing to sync into the wrong account"
        )
    return account


def kms_key_for_create(kms: KMSClient, plan: StagePlan) -> str | None:
    """The KmsKeyId Pulumi gives the stage's secrets, so a created secret can be adopted with `pulumi import`.

    aws-managed: None (aws/secretsmanager); existing: the configured ARN; create: the ARN of the key
    behind the stage's alias, which `pulumi up` must have created already.
    """
    if plan.kms.mode is not KmsMode.CREATE:
        return plan.kms.key_arn
    alias = plan.kms.alias
    assert alias is not None  # the planner names the alias in create mode
    try:
        return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
    except (BotoCoreError, ClientError) as err:
        raise UserError(
            f"{aws_error('DescribeKey', alias, err)} (the stage's KMS key is created by pulumi up; "
            "run it before creating secrets with the sync)"
        ) from None
