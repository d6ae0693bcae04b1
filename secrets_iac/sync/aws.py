"""AWS clients for the sync: each stage's own credentials, the account guard, the KMS key of created secrets.

The endpoint is `endpoint_url` when given, else whatever boto3 reads from the standard
`AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SECRETS_MANAGER` variables; the region is the stage's.

Credentials per stage come from its stack config (`secrets-iac:sync`): `profile` (a profile of the
shared AWS config) and/or `roleArn` (assumed from the profile, or from the ambient credentials, with
`externalId` if set). Without either, the ambient chain (environment, `AWS_PROFILE`, instance role).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from secrets_iac.config import KmsMode, StageConfig
from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan
from secrets_iac.sync.calls import CLIENT_CONFIG, Caller, CallFailed, RetryPolicy, error_text
from secrets_iac.sync.responses import UntrustedResponse

# Clients are typed `Any`: the mypy-boto3 service stubs are optional (not every environment has them).
SecretsManagerClient = Any
KMSClient = Any
STSClient = Any
ClientHook = Callable[[Any], None]
"""Called with every client the sync creates (benchmarks count and delay calls with botocore events)."""

_ROLE_SESSION_MAX = 64


@dataclass(frozen=True)
class AwsClients:
    secretsmanager: SecretsManagerClient
    kms: KMSClient
    sts: STSClient


def make_clients(
    region: str,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
    on_client: ClientHook | None = None,
) -> AwsClients:
    """Clients in the stage's region; `endpoint_url` None lets boto3 apply AWS_ENDPOINT_URL itself."""
    s = session or boto3.Session()
    make: Any = s.client  # any service name, not only the stubs' literal overloads

    def client(service: str) -> Any:
        made = make(service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
        if on_client is not None:
            on_client(made)
        return made

    return AwsClients(secretsmanager=client("secretsmanager"), kms=client("kms"), sts=client("sts"))


def aws_error(operation: str, subject: str, err: Exception) -> str:
    """`<Operation> <subject>: <code>: <message>` for a failed call."""
    return f"{operation} {subject}: {error_text(err)}"


def stage_session(
    config: StageConfig,
    stack: str,
    source: str,
    *,
    endpoint_url: str | None = None,
    base: boto3.Session | None = None,
) -> boto3.Session:
    """The session a stage syncs with: its profile, then its role (see the module docstring)."""
    sync = config.sync
    try:
        session = boto3.Session(profile_name=sync.profile) if sync.profile else (base or boto3.Session())
    except BotoCoreError as err:  # ProfileNotFound
        raise UserError(f"{source}: secrets-iac:sync.profile: {err}") from None
    if sync.role_arn is None:
        return session
    make: Any = session.client
    sts = make("sts", region_name=config.region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
    kwargs: dict[str, Any] = {
        "RoleArn": sync.role_arn,
        "RoleSessionName": f"secrets-iac-sync-{stack}"[:_ROLE_SESSION_MAX],
    }
    if sync.external_id is not None:
        kwargs["ExternalId"] = sync.external_id
    try:
        credentials = sts.assume_role(**kwargs)["Credentials"]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=config.region,
        )
    except (BotoCoreError, ClientError, KeyError, TypeError) as err:
        raise UserError(
            f"{source}: secrets-iac:sync.roleArn: {aws_error('AssumeRole', sync.role_arn, err)}"
        ) from None


def _account_of(response: dict[str, Any]) -> str:
    account = response.get("Account")
    if not isinstance(account, str) or not account:
        raise UntrustedResponse("GetCallerIdentity answer has no Account")
    return account


def check_account(sts: STSClient, config: StageConfig, source: str, retry: RetryPolicy | None = None) -> str:
    """Refuse to touch an account other than the stage's (a dev file synced into prod, say)."""
    try:
        account: str = Caller(sts, retry=retry).call(
            "GetCallerIdentity", "(credentials check)", check=_account_of
        )
    except CallFailed as err:
        raise UserError(str(err)) from None
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
