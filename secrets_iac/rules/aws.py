"""AWS facts: regions and their partitions, account ids, ARNs, Secrets Manager names, rotation schedules.

Accepted regions are those of the commercial, China and GovCloud partitions in their documented shape
(`eu-west-1`, `eu-west-10`, `cn-north-1`, `us-gov-west-1`); the partition follows from the region and goes
into every ARN the project renders.
"""

from __future__ import annotations

import re
from typing import Final

PARTITIONS: Final = ("aws", "aws-cn", "aws-us-gov")
"""The partitions secrets-iac renders ARNs for."""

_REGION = re.compile(r"^(?P<geo>[a-z]{2})(?P<gov>-gov)?-(?P<direction>[a-z]+)-(?P<number>[1-9]\d?)$")
_DIRECTIONS: Final = frozenset(
    {"north", "south", "east", "west", "central", "northeast", "southeast", "northwest", "southwest"}
)
ACCOUNT_ID: Final = re.compile(r"^\d{12}$")
OIDC_PROVIDER_ARN: Final = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):oidc-provider/(?P<issuer>.+)$"
)
KMS_KEY_ARN: Final = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/"
    r"(?P<key>mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
LAMBDA_FUNCTION_ARN: Final = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$"
)
IAM_ROLE_ARN: Final = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
ROTATION_SCHEDULE: Final = re.compile(r"^(rate\(\d+ (hours?|days?)\)|cron\(.+\))$")

EKS_CLUSTER_NAME: Final = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
"""EKS's cluster name rule (1-100 characters, starting with a letter or digit)."""

SECRET_NAME_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_+=.@-]+$")
"""One `/`-separated part of a secret name: Secrets Manager's characters, never IAM wildcards (`*`, `?`)."""
SECRET_NAME_MAX: Final = 512
IAM_ROLE_NAME_MAX: Final = 64


def is_region(value: object) -> bool:
    """A region of a supported partition, e.g. `eu-west-1`, `eu-west-10`, `cn-north-1`, `us-gov-west-1`."""
    if not isinstance(value, str):
        return False
    match = _REGION.match(value)
    if match is None or match.group("direction") not in _DIRECTIONS:
        return False
    return match.group("gov") is None or match.group("geo") == "us"


def partition_for(region: str) -> str:
    """`aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, `aws` otherwise; refuses what is not a region."""
    if not is_region(region):
        raise ValueError(f"{region!r} is not an AWS region like eu-west-1")
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def dns_suffix(partition: str) -> str:
    """The service domain of a partition (`secretsmanager.<region>.<suffix>` is the kms:ViaService value)."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def eks_cluster_arn(region: str, account_id: str, cluster_name: str) -> str:
    """`arn:<partition>:eks:<region>:<account>:cluster/<name>`: what Pod Identity puts in its
    `eks-cluster-arn` session tag, and the context name `aws eks update-kubeconfig` writes."""
    return f"arn:{partition_for(region)}:eks:{region}:{account_id}:cluster/{cluster_name}"


def is_secret_path(value: str) -> bool:
    """A secret name or prefix: segments of Secrets Manager's characters joined by single `/`."""
    return 0 < len(value) <= SECRET_NAME_MAX and all(
        SECRET_NAME_SEGMENT.match(part) for part in value.split("/")
    )


SECRET_ID_MAX: Final = 2048
"""Longest `SecretId` Secrets Manager accepts (a name or a full ARN)."""


def is_secret_id(value: object) -> bool:
    """A `SecretId` as ESO passes it on: a secret name, a name prefix or an ARN (`:` and `/` between parts).

    Looser than `is_secret_path`: ESO also takes ARNs, and `find.path` may end in `/`.
    """
    if not isinstance(value, str) or not 0 < len(value) <= SECRET_ID_MAX:
        return False
    return all(SECRET_NAME_SEGMENT.match(part) for part in re.split(r"[/:]", value) if part)


def secret_path_problem(value: str) -> str | None:
    """Why `value` cannot be a secret name or prefix, or None."""
    if is_secret_path(value):
        return None
    return f"{value!r} is not a secret name (letters, digits, _+=.@- and '/' between parts)"
