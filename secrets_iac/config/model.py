"""The stage's config model: `stacks/Pulumi.<stage>.yaml` under `secrets-iac:` (camelCase keys).

Validators reject bad values and combinations with a message naming the field; the rules themselves
(AWS, Kubernetes, durations, ESO's webhook) live in `secrets_iac.rules`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field, StrictBool, field_validator, model_validator

from secrets_iac.config.apps import AppConfig
from secrets_iac.config.base import StrictModel, dns_label, dns_subdomain, secret_path
from secrets_iac.config.stores import StaticKeysRef, StoreAuth, StoreDefinition, StoreKind, store_problems
from secrets_iac.iam.trust import oidc_issuer_host_path
from secrets_iac.naming import stage_prefix
from secrets_iac.rules import aws
from secrets_iac.rules.eso import recovery_window_problem
from secrets_iac.rules.keys import RESERVED_TAGS


class KmsMode(StrEnum):
    AWS_MANAGED = "aws-managed"
    CREATE = "create"
    EXISTING = "existing"


class KmsConfig(StrictModel):
    """Which key encrypts the stage's secrets."""

    mode: KmsMode = Field(
        KmsMode.AWS_MANAGED, description="aws-managed (aws/secretsmanager), create, existing"
    )
    key_arn: str | None = Field(None, description="Customer-managed key ARN when mode is existing")
    deletion_window_in_days: int = Field(30, ge=7, le=30, description="Waiting period for a created key")

    @model_validator(mode="after")
    def _key_arn_matches_mode(self) -> KmsConfig:
        if self.mode is KmsMode.EXISTING:
            if not self.key_arn:
                raise ValueError("keyArn is required when mode is existing")
            if not aws.KMS_KEY_ARN.match(self.key_arn):
                raise ValueError(
                    f"keyArn {self.key_arn!r} is not a KMS key ARN (arn:aws:kms:<region>:<acct>:key/<id>)"
                )
        elif self.key_arn:
            raise ValueError(f"keyArn is only used with mode existing (mode is {self.mode.value})")
        return self


class ClusterConfig(StrictModel):
    """The EKS cluster whose OIDC provider the IRSA roles trust."""

    name: str = Field(description="EKS cluster name (Pod Identity associations need it)")
    oidc_provider_arn: str = Field(description="arn:aws:iam::<acct>:oidc-provider/<issuer host and path>")
    oidc_issuer_url: str = Field(description="https://oidc.eks.<region>.amazonaws.com/id/<id>")

    @field_validator("name")
    @classmethod
    def _eks_name(cls, value: str) -> str:
        if not aws.EKS_CLUSTER_NAME.match(value):
            raise ValueError(f"{value!r} is not an EKS cluster name (letters, digits, '-', '_'; at most 100)")
        return value

    @model_validator(mode="after")
    def _provider_matches_issuer(self) -> ClusterConfig:
        try:
            host_path = oidc_issuer_host_path(self.oidc_issuer_url)
        except ValueError as err:
            raise ValueError(str(err).replace("issuer_url:", "oidcIssuerUrl", 1)) from None
        match = aws.OIDC_PROVIDER_ARN.match(self.oidc_provider_arn)
        if not match:
            raise ValueError(f"oidcProviderArn {self.oidc_provider_arn!r} is not an IAM OIDC provider ARN")
        if match.group("issuer") != host_path:
            raise ValueError(
                f"oidcProviderArn names {match.group('issuer')!r} but oidcIssuerUrl is {host_path!r}: "
                "they must be the same issuer"
            )
        return self


class StoreConfig(StrictModel):
    """Shorthand for the stage's stores: `kind: SecretStore` sets the defaults of every per-app store;
    `kind: ClusterSecretStore` is one store serving every app (not combined with `stores[]`)."""

    kind: StoreKind = StoreKind.SECRET_STORE
    name: str = Field("aws-secrets-manager", description="Store name (per app namespace for SecretStore)")
    auth: StoreAuth = StoreAuth.IRSA
    service_account: str = Field(
        "external-secrets-reader", description="ServiceAccount a ClusterSecretStore's IRSA role is bound to"
    )
    refresh_interval: int = Field(
        0, ge=0, description="Seconds between store validations; 0 = controller default"
    )
    static_keys: StaticKeysRef | None = None

    @field_validator("name", "service_account")
    @classmethod
    def _dns(cls, value: str) -> str:
        return dns_subdomain(value)

    @model_validator(mode="after")
    def _static_keys_only_for_static(self) -> StoreConfig:
        if self.auth is StoreAuth.STATIC and self.static_keys is None:
            raise ValueError("staticKeys is required when auth is static")
        if self.auth is not StoreAuth.STATIC and self.static_keys is not None:
            raise ValueError(f"staticKeys is only used when auth is static (auth is {self.auth.value})")
        return self


class AdmissionConfig(StrictModel):
    """The stage's ValidatingAdmissionPolicy holding ExternalSecrets/PushSecrets to their grants."""

    enabled: bool = Field(True, description="Render the policy and its binding (Kubernetes >= 1.30)")


class EsoInstallConfig(StrictModel):
    """Optional installation of the External Secrets Operator with Helm."""

    install: bool = False
    chart_version: str = Field("2.9.0", description="external-secrets Helm chart version (pinned)")
    namespace: str = "external-secrets"
    controller_service_account: str = "external-secrets"

    @field_validator("namespace", "controller_service_account")
    @classmethod
    def _dns(cls, value: str) -> str:
        return dns_label(value, "Kubernetes name")

    @field_validator("chart_version")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+$", value):
            raise ValueError(f"{value!r} is not a pinned chart version like 2.9.0")
        return value


class ProtectionConfig(StrictModel):
    """Pulumi resource options on what the stage must not lose: secrets, a created KMS key, created
    namespaces and the ESO release. Safe by default; a dev stage may turn them off."""

    # Strict: a quoted "no" or "false" must not quietly turn protection off.
    protect: StrictBool = Field(True, description="pulumi up refuses to delete or replace them")
    retain_on_delete: StrictBool = Field(
        True, description="a delete only removes them from the stack's state"
    )


class KubernetesConfig(StrictModel):
    """The cluster every Kubernetes resource of the stage goes to (an explicit provider, never the ambient
    kubeconfig's current context)."""

    context: str | None = Field(
        None, description="kubeconfig context; default the cluster's ARN (aws eks update-kubeconfig)"
    )
    kubeconfig: str | None = Field(
        None, description="path of the kubeconfig file; default KUBECONFIG or ~/.kube/config"
    )

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        if value is not None and (not value or any(c in value for c in "\r\n")):
            raise ValueError("context must be a non-empty context name on one line")
        return value

    @field_validator("kubeconfig")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        # The provider also takes a kubeconfig's contents; in a stack file those would put cluster
        # credentials in git, so only a path is accepted.
        if value is not None and (not value or any(c in value for c in "\r\n")):
            raise ValueError("kubeconfig must be a path to a kubeconfig file, not its contents")
        return value


class SyncConfig(StrictModel):
    """Credentials `secrets-iac sync` uses for this stage (several stages sync in one run, each its own)."""

    profile: str | None = Field(None, description="AWS profile (shared config); default: the ambient chain")
    role_arn: str | None = Field(None, description="Role assumed from the profile or ambient credentials")
    external_id: str | None = Field(None, description="ExternalId for the AssumeRole call")

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not aws.IAM_ROLE_ARN.match(value):
            raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        return value

    @model_validator(mode="after")
    def _external_id_needs_role(self) -> SyncConfig:
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("externalId is only used with roleArn")
        return self


class StageConfig(StrictModel):
    """Everything one stage (dev, staging, prod) declares."""

    environment: str | None = Field(None, description="Stage name; defaults to the stack name")
    project: str = Field("secrets-iac", description="First part of every secret name")
    secret_prefix: str | None = Field(None, description="Secret name prefix; default <project>/<environment>")
    region: str
    account_id: str
    cluster: ClusterConfig
    recovery_window_in_days: int = Field(30, description="7-30 days before a deleted secret is gone")
    kms: KmsConfig = Field(default_factory=KmsConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    stores: tuple[StoreDefinition, ...] = Field((), description="Named stores apps share (apps[].store)")
    admission: AdmissionConfig = Field(default_factory=AdmissionConfig)
    eso: EsoInstallConfig = Field(default_factory=EsoInstallConfig)
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on every AWS resource")
    protection: ProtectionConfig = Field(default_factory=ProtectionConfig)
    kubernetes: KubernetesConfig = Field(default_factory=KubernetesConfig)

    sync: SyncConfig = Field(default_factory=SyncConfig)
    apps: tuple[AppConfig, ...]

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not aws.is_region(value):
            raise ValueError(f"{value!r} is not an AWS region like eu-west-1, cn-north-1 or us-gov-west-1")
        return value

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: Any) -> Any:
        if not isinstance(value, str) or not aws.ACCOUNT_ID.match(value):
            raise ValueError(f"{value!r} is not a 12-digit AWS account id (quote it in YAML)")
        return value

    @field_validator("recovery_window_in_days")
    @classmethod
    def _recovery(cls, value: int) -> int:
        problem = recovery_window_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("environment", "project")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return None if value is None else dns_label(value, "name")

    @field_validator("secret_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return None if value is None else secret_path(value)

    @field_validator("tags")
    @classmethod
    def _reserved_tags(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = RESERVED_TAGS & set(value)
        if reserved:
            raise ValueError(f"tags {sorted(reserved)} are set by secrets-iac itself")
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> StageConfig:
        partition = aws.partition_for(self.region)
        arn = aws.OIDC_PROVIDER_ARN.match(self.cluster.oidc_provider_arn)
        if arn and arn.group("account") != self.account_id:
            raise ValueError(
                f"cluster.oidcProviderArn is in account {arn.group('account')} but accountId is "
                f"{self.account_id}"
            )
        if arn and arn.group("partition") != partition:
            raise ValueError(
                f"cluster.oidcProviderArn is in partition {arn.group('partition')} but region "
                f"{self.region} is in {partition}"
            )
        if self.kms.key_arn:
            kms = aws.KMS_KEY_ARN.match(self.kms.key_arn)
            if kms and kms.group("region") != self.region:
                raise ValueError(
                    f"kms.keyArn is in {kms.group('region')} but the stage's region is {self.region}"
                )
            if kms and kms.group("partition") != partition:
                raise ValueError(
                    f"kms.keyArn is in partition {kms.group('partition')} but region {self.region} "
                    f"is in {partition}"
                )
        role = self.sync.role_arn
        if role is not None and role.split(":")[4] != self.account_id:
            raise ValueError(
                f"sync.roleArn is in account {role.split(':')[4]} but accountId is {self.account_id}: "
                "the sync writes into the account of the role it assumes"
            )
        names = [a.name for a in self.apps]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"app names must be unique: {', '.join(dupes)}")
        problems = store_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def stage_name(self, stack: str) -> str:
        return self.environment or stack

    def prefix(self, stack: str) -> str:
        return self.secret_prefix or stage_prefix(self.project, self.stage_name(stack))
