"""One naming convention for every AWS name of a stage: secrets, prefixes, IAM roles, the KMS alias.

A small pure planner (like pulumi-awsx's subnet naming): the stage planner calls it, components never
decide a name themselves.
"""

from __future__ import annotations

from secrets_iac.rules.aws import IAM_ROLE_NAME_MAX


def stage_prefix(project: str, environment: str) -> str:
    """`<project>/<environment>`, the default secret prefix of a stage."""
    return f"{project}/{environment}"


def secret_name(prefix: str, app: str, name: str) -> str:
    """`<prefix>/<app>/<name>`, e.g. `secrets-iac/dev/payments/db`: the `/` boundaries scope IAM."""
    return f"{prefix}/{app}/{name}"


def app_prefix(prefix: str, app: str) -> str:
    return f"{prefix}/{app}"


def iam_role_name(project: str, environment: str, purpose: str) -> str:
    """`<project>-<env>-<purpose>`: role names are global per account, so two projects' stages of the
    same name never collide. Raises ValueError past IAM's 64 characters."""
    name = f"{project}-{environment}-{purpose}"
    if len(name) > IAM_ROLE_NAME_MAX:
        raise ValueError(
            f"IAM role name {name!r} is longer than {IAM_ROLE_NAME_MAX} characters; "
            "shorten the project, environment or app name"
        )
    return name


def kms_alias(project: str, environment: str) -> str:
    """The alias of a key the stage creates."""
    return f"alias/{project}-{environment}-secrets"


def sync_lock_name(prefix: str) -> str:
    """`<prefix>.sync-lock`, the secret holding a stage's sync lock: beside the prefix, not under it, so
    neither ESO's roles (`<prefix>/*`) nor the sync's listing of `<prefix>/` ever see it."""
    return f"{prefix}.sync-lock"
