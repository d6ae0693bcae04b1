"""One naming and tagging convention for every AWS resource of a stage."""

from __future__ import annotations

from collections.abc import Mapping

MANAGED_BY = "secrets-iac"
"""Value of the `managed-by` tag on what Pulumi creates. ESO-pushed secrets carry `external-secrets`."""

ESO_MANAGED_BY = "external-secrets"


def secret_name(prefix: str, app: str, name: str) -> str:
    """`<prefix>/<app>/<name>`, e.g. `secrets-iac/dev/payments/db`: the `/` boundaries scope IAM."""
    return f"{prefix}/{app}/{name}"


def app_prefix(prefix: str, app: str) -> str:
    return f"{prefix}/{app}"


def standard_tags(environment: str, extra: Mapping[str, str], app: str | None = None) -> dict[str, str]:
    """Required tags first, applied in one place; `extra` cannot override them (the config refuses it)."""
    tags = {**extra, "managed-by": MANAGED_BY, "environment": environment}
    if app is not None:
        tags["app"] = app
    return tags


def iam_name(environment: str, purpose: str) -> str:
    """IAM role names are global per account: include the stage so dev and prod can share an account."""
    name = f"secrets-iac-{environment}-{purpose}"
    if len(name) > 64:
        raise ValueError(f"IAM role name {name!r} is longer than 64 characters; shorten the app name")
    return name
