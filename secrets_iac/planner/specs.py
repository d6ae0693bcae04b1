"""What a stage plan holds: every decision the planner makes, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from secrets_iac.config import KmsMode


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str


@dataclass(frozen=True)
class RotationSpec:
    lambda_arn: str
    """ARN of the rotation Lambda the platform runs."""
    schedule: str
    """`rate(30 days)` or `cron(...)`."""


@dataclass(frozen=True)
class KmsPlan:
    """The stage's key, decided once: Pulumi, the push metadata and the sync all read it from here."""

    mode: KmsMode
    key_arn: str | None
    """The existing key (mode existing); a created key's ARN is known only at deploy time."""
    alias: str | None
    """`alias/<project>-<env>-secrets` (mode create)."""
    deletion_window_in_days: int
    description: str

    @property
    def key_id(self) -> str | None:
        """How ESO and the sync name the key when they create a secret; None keeps aws/secretsmanager."""
        return self.alias if self.mode is KmsMode.CREATE else self.key_arn


@dataclass(frozen=True)
class ClusterPlan:
    name: str
    oidc_provider_arn: str
    oidc_issuer_url: str


@dataclass(frozen=True)
class EsoInstallPlan:
    chart_version: str
    namespace: str
    controller_service_account: str
    annotate_controller: bool
    """The controller's SA carries the controller role's IRSA annotation (store auth `controller`)."""


PolicyAccess = Literal["read", "push", "read-by-namespace-tag", "assume-reader"]


@dataclass(frozen=True)
class PolicySpec:
    """One inline policy: which document builder, over which names."""

    name: str
    access: PolicyAccess
    prefix: str
    """The scope's prefix: the stage's, or the app's for a per-app role."""
    find: bool = False
    prefixes: tuple[str, ...] = ()
    """read: only these prefixes under `prefix` (the apps a shared store serves); empty = all of `prefix`."""
    names: tuple[str, ...] = ()
    """push: exactly these secret names (what the PushSecrets push, generated credentials)."""
    request_tags: dict[str, str] = field(default_factory=dict)
    """push: tags CreateSecret/TagResource must carry besides managed-by (the ABAC namespace tag)."""
    role_arn: str | None = None
    """assume-reader: the reader role the store's identity assumes with session tags."""


@dataclass(frozen=True)
class RoleSpec:
    key: str
    """Logical name of the IrsaRole component."""
    role_name: str
    service_account: ServiceAccountRef
    identity: Literal["irsa", "pod-identity", "role-chain"]
    """How the role is assumed: IRSA, EKS Pod Identity, or by another role (`role-chain`, no SA)."""
    create_service_account: bool
    policies: tuple[PolicySpec, ...]
    trust_policy: dict[str, Any]
    waits_for_roles: tuple[str, ...] = ()
    """Keys of roles this role's trust names as principal (IAM refuses a principal that does not exist)."""


@dataclass(frozen=True)
class SecretSpec:
    key: str
    name: str
    app: str
    description: str | None
    tags: dict[str, str]
    rotation: RotationSpec | None
    initial_value_config_key: str | None


@dataclass(frozen=True)
class StagePlan:
    project: str
    environment: str
    prefix: str
    region: str
    account_id: str
    partition: str
    """`aws`, `aws-cn` or `aws-us-gov`, from the region."""
    recovery_window_in_days: int
    tags: dict[str, str]
    """Tags of the stage's own AWS resources (KMS key, roles)."""
    kms: KmsPlan
    cluster: ClusterPlan
    eso_install: EsoInstallPlan | None
    secrets: tuple[SecretSpec, ...]
    roles: tuple[RoleSpec, ...]
    namespaces: tuple[str, ...]
    """Namespaces this stack creates."""
    stores: tuple[dict[str, Any], ...]
    external_secrets: tuple[dict[str, Any], ...]
    push_secrets: tuple[dict[str, Any], ...]
    controller_role_key: str | None
    """The role whose ARN annotates the ESO controller's ServiceAccount (controller identity)."""
    generated_secrets: tuple[SecretSpec, ...] = ()
    """Secrets whose value ESO generates and pushes once (created empty, tagged for ESO); never synced."""
    generators: tuple[dict[str, Any], ...] = ()
    """ESO generator objects (Password)."""
    admission: tuple[dict[str, Any], ...] = ()
    """The stage's ValidatingAdmissionPolicy and its binding."""
