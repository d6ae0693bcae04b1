"""The stack file's provider keys (`aws:*`, `kubernetes:*`), checked against the stage.

The stage deploys through its own explicit providers (pinned to `secrets-iac:region`, `secrets-iac:accountId`
and `secrets-iac:kubernetes`), so provider keys in the stack file are either consistent with the stage or
refused: a key the providers would silently ignore (`aws:profile`, `kubernetes:context`) must not look as if
it decided where `pulumi up` deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secrets_iac.config.model import StageConfig
from secrets_iac.errors import UserError
from secrets_iac.rules.limits import excerpt

PROVIDER_NAMESPACES = ("aws", "kubernetes")
ACCEPTED_PROVIDER_KEYS = ("aws:region", "aws:allowedAccountIds")


def _unused_key_problem(key: str) -> str:
    if key.startswith("kubernetes:"):
        return "is not used: set secrets-iac:kubernetes.context (and .kubeconfig) for the stage's cluster"
    return (
        "is not used: the stage deploys through its own AWS provider (region and account from "
        "secrets-iac:region and secrets-iac:accountId); credentials come from the environment "
        "(AWS_PROFILE, AWS_ROLE_ARN, ...)"
    )


def check_provider_keys(stack_config: Mapping[str, Any], config: StageConfig, *, source: str) -> None:
    """Refuse provider keys that contradict the stage or that its explicit providers would ignore."""
    for key in sorted(stack_config):
        namespace = key.partition(":")[0]
        if namespace in PROVIDER_NAMESPACES and key not in ACCEPTED_PROVIDER_KEYS:
            raise UserError(f"{source}: {key}: {_unused_key_problem(key)}")
    region = stack_config.get("aws:region")
    if region is not None and region != config.region:
        raise UserError(
            f"{source}: aws:region {excerpt(region)} differs from secrets-iac:region {config.region!r}"
        )
    allowed = stack_config.get("aws:allowedAccountIds")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise UserError(f"{source}: aws:allowedAccountIds: must be a list of quoted account ids")
        if config.account_id not in allowed:
            raise UserError(
                f"{source}: aws:allowedAccountIds {excerpt(allowed)} does not contain secrets-iac:accountId "
                f"{config.account_id!r}"
            )
