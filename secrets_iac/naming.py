"""One naming convention for every name of a stage: AWS names (secrets, prefixes, IAM roles, the KMS alias)
and the Pulumi resource names derived from user input (which must never collide: the engine refuses two
resources with one URN).

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


def iam_role_arn(partition: str, account_id: str, role_name: str) -> str:
    """The ARN a role named by `iam_role_name` has (no path): known before the role exists."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def kms_alias(project: str, environment: str) -> str:
    """The alias of a key the stage creates."""
    return f"alias/{project}-{environment}-secrets"


def scoped_resource_name(scope: str, name: str) -> str:
    """A Pulumi resource name for `name` inside `scope` that no other (scope, name) pair can give.

    `scope` is a DNS label (an app or a namespace: no `/`); `name` may hold any secret-name characters.
    `<scope>-<name>` when that reads one way only (no `-` in `scope`, no `/` in `name`: the first `-`
    separates), else `<scope>/<name>` (the first `/` separates). The first form never holds a `/`, the second
    always does, so the two cannot meet; the first is what stages were named before, kept so existing
    stacks do not replace resources.
    """
    if "/" in scope:
        raise ValueError(f"{scope!r}: a scope of a resource name is a DNS label, without '/'")
    if "-" not in scope and "/" not in name:
        return f"{scope}-{name}"
    return f"{scope}/{name}"


def legacy_scoped_resource_name(scope: str, name: str) -> str:
    """The name earlier versions gave (`<scope>-<name>`, `/` turned into `-`): ambiguous, kept for aliases."""
    return f"{scope}-{name.replace('/', '-')}"


def secret_resource_name(app: str, secret: str) -> str:
    """The `SecretEntry` of an app's secret, e.g. `payments-db`, `payments-api/db`, `web/certs/main`."""
    return scoped_resource_name(app, secret)


def eso_resource_name(kind: str, namespace: str | None, name: str) -> str:
    """The component of one ESO object: `<kind>-<name>` cluster-scoped, else `<kind>-` + the scoped name of
    namespace and name (Kubernetes allows one object per kind, namespace and name)."""
    if namespace is None:
        return f"{kind.lower()}-{name}"
    return f"{kind.lower()}-{scoped_resource_name(namespace, name)}"


def legacy_eso_resource_name(kind: str, namespace: str | None, name: str) -> str:
    return "-".join(p for p in (kind.lower(), namespace, name) if p)


def sync_lock_name(prefix: str) -> str:
    """`<prefix>.sync-lock`, the secret holding a stage's sync lock: beside the prefix, not under it, so
    neither ESO's roles (`<prefix>/*`) nor the sync's listing of `<prefix>/` ever see it."""
    return f"{prefix}.sync-lock"
