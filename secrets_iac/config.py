"""The stage's stack config, validated up front so a bad value fails before any resource is declared.

The model mirrors `stacks/Pulumi.<stage>.yaml` under the `secrets-iac:` namespace (camelCase keys, like
Pulumi's own providers). It also enforces what ESO's admission webhook would only reject at deploy time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.eso_specs import is_go_duration
from components.k8s_names import is_dns1123_label, is_dns1123_subdomain, is_secret_key
from components.trust import oidc_issuer_host_path
from secrets_iac.errors import UserError

NAMESPACE = "secrets-iac"
"""Pulumi config namespace (the project name in Pulumi.yaml)."""

_SECRET_NAME_PART = re.compile(r"^[A-Za-z0-9_+=.@-]+$")
_REGION = re.compile(
    r"^(us|eu|ap|sa|ca|me|af|il|mx)(-gov)?-"
    r"(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d$"
)
_ACCOUNT = re.compile(r"^\d{12}$")
_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):oidc-provider/(.+)$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/[0-9a-f-]+$")
_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$"
)
_SCHEDULE = re.compile(r"^(rate\(\d+ (hours?|days?)\)|cron\(.+\))$")


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


def _dns_label(value: str, what: str) -> str:
    if not is_dns1123_label(value):
        raise ValueError(f"{value!r} is not a valid {what} (lowercase letters, digits and '-', at most 63)")
    return value


def _duration(value: str) -> str:
    if not is_go_duration(value) or value.startswith("-"):
        raise ValueError(f'"{value}" is not a duration like 1h or 30m')
    return value


Duration = Annotated[str, Field(description="Go duration as ESO reads it: 1h, 30m, 1h30m, 0s")]


class KmsMode(StrEnum):
    AWS_MANAGED = "aws-managed"
    CREATE = "create"
    EXISTING = "existing"


class KmsConfig(_Model):
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
            if not _KMS_ARN.match(self.key_arn):
                raise ValueError(
                    f"keyArn {self.key_arn!r} is not a KMS key ARN (arn:aws:kms:<region>:<acct>:key/<id>)"
                )
        elif self.key_arn:
            raise ValueError(f"keyArn is only used with mode existing (mode is {self.mode.value})")
        return self


class ClusterConfig(_Model):
    """The EKS cluster whose OIDC provider the IRSA roles trust."""

    name: str = Field(description="EKS cluster name (Pod Identity associations need it)")
    oidc_provider_arn: str = Field(description="arn:aws:iam::<acct>:oidc-provider/<issuer host and path>")
    oidc_issuer_url: str = Field(description="https://oidc.eks.<region>.amazonaws.com/id/<id>")

    @model_validator(mode="after")
    def _provider_matches_issuer(self) -> ClusterConfig:
        try:
            host_path = oidc_issuer_host_path(self.oidc_issuer_url)
        except ValueError as err:
            raise ValueError(str(err).replace("issuer_url:", "oidcIssuerUrl", 1)) from None
        match = _OIDC_ARN.match(self.oidc_provider_arn)
        if not match:
            raise ValueError(f"oidcProviderArn {self.oidc_provider_arn!r} is not an IAM OIDC provider ARN")
        if match.group(2) != host_path:
            raise ValueError(
                f"oidcProviderArn names {match.group(2)!r} but oidcIssuerUrl is {host_path!r}: "
                "they must be the same issuer"
            )
        return self


class StoreKind(StrEnum):
    SECRET_STORE = "SecretStore"
    CLUSTER_SECRET_STORE = "ClusterSecretStore"


class StoreAuth(StrEnum):
    IRSA = "irsa"
    """`auth.jwt.serviceAccountRef`: a dedicated ServiceAccount whose role the store uses (recommended)."""
    CONTROLLER = "controller"
    """No auth block: the ESO controller's own IRSA role."""
    POD_IDENTITY = "podIdentity"
    """No auth block: the controller's identity through EKS Pod Identity."""
    STATIC = "static"
    """`auth.secretRef`: long-lived access keys in a Kubernetes Secret (discouraged)."""


class StaticKeysRef(_Model):
    """Where a `static` store finds its access keys."""

    secret_name: str
    access_key_id_key: str = "access-key-id"
    secret_access_key_key: str = "secret-access-key"


class StoreConfig(_Model):
    """How ExternalSecrets reach Secrets Manager."""

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
        if not is_dns1123_subdomain(value):
            raise ValueError(f"{value!r} is not a DNS-1123 subdomain")
        return value

    @model_validator(mode="after")
    def _static_keys_only_for_static(self) -> StoreConfig:
        if self.auth is StoreAuth.STATIC and self.static_keys is None:
            raise ValueError("staticKeys is required when auth is static")
        if self.auth is not StoreAuth.STATIC and self.static_keys is not None:
            raise ValueError(f"staticKeys is only used when auth is static (auth is {self.auth.value})")
        return self


class EsoInstallConfig(_Model):
    """Optional installation of the External Secrets Operator with Helm."""

    install: bool = False
    chart_version: str = Field("2.9.0", description="external-secrets Helm chart version (pinned)")
    namespace: str = "external-secrets"
    controller_service_account: str = "external-secrets"

    @field_validator("namespace", "controller_service_account")
    @classmethod
    def _dns(cls, value: str) -> str:
        return _dns_label(value, "Kubernetes name")

    @field_validator("chart_version")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+$", value):
            raise ValueError(f"{value!r} is not a pinned chart version like 2.9.0")
        return value


class KeyMapping(_Model):
    """One key of the Kubernetes Secret, taken from a secret (or one JSON property of it)."""

    secret_key: str = Field(description="Key in the Kubernetes Secret")
    property: str | None = Field(None, description="JSON property (gjson path) inside the AWS secret")
    version: str | None = Field(None, description="Version stage (AWSCURRENT, AWSPREVIOUS) or uuid/<id>")

    @field_validator("secret_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not is_secret_key(value):
            raise ValueError(f"{value!r} is not a valid Secret key (letters, digits, '-', '_', '.')")
        return value


class RotationConfig(_Model):
    """Secrets Manager rotation with a rotation Lambda the platform already runs."""

    lambda_arn: str
    schedule: str = Field("rate(30 days)", description="rate(N days|hours) or cron(...)")

    @field_validator("lambda_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not _LAMBDA_ARN.match(value):
            raise ValueError(f"{value!r} is not a Lambda function ARN")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not _SCHEDULE.match(value):
            raise ValueError(f"{value!r} is not a schedule like rate(30 days) or cron(0 4 * * ? *)")
        return value


class SecretConfig(_Model):
    """One Secrets Manager entry of an app and how its value reaches the app's Kubernetes Secret."""

    name: str = Field(description="Last part of the secret name: <prefix>/<app>/<name>")
    description: str | None = None
    keys: tuple[KeyMapping, ...] = Field((), description="Keys to copy; empty means every JSON property")
    rotation: RotationConfig | None = None
    initial_value_config_key: str | None = Field(
        None,
        description="Opt-in: a Pulumi secret config key whose value seeds the secret (kept secret in state)",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        for part in value.split("/"):
            if not part or not _SECRET_NAME_PART.match(part):
                raise ValueError(
                    f"{value!r} is not a secret name (letters, digits, _+=.@- and '/' between parts)"
                )
        return value


class TlsConfig(_Model):
    """A `kubernetes.io/tls` Secret templated from a certificate/key pair stored in one JSON secret."""

    secret: str = Field(description="Name of the app's secret holding both PEMs")
    cert_property: str = "tls.crt"
    key_property: str = "tls.key"
    target_name: str | None = Field(None, description="Kubernetes Secret name; default <app>-tls")


class PushConfig(_Model):
    """A Kubernetes Secret (or one key of it) pushed to Secrets Manager by a PushSecret."""

    secret_name: str = Field(description="Kubernetes Secret in the app's namespace")
    secret_key: str | None = Field(None, description="Key to push; all keys as JSON when empty")
    remote_name: str = Field(description="Last part of the remote name: <prefix>/<app>/<remoteName>")
    update_policy: Literal["Replace", "IfNotExists"] = "Replace"
    deletion_policy: Literal["None", "Delete"] = "None"

    @field_validator("secret_name")
    @classmethod
    def _dns(cls, value: str) -> str:
        if not is_dns1123_subdomain(value):
            raise ValueError(f"{value!r} is not a DNS-1123 subdomain")
        return value

    @field_validator("remote_name")
    @classmethod
    def _remote(cls, value: str) -> str:
        return SecretConfig._name(value)  # same rules as a secret name


class FindConfig(_Model):
    """`dataFrom.find`: every secret under a path of the app's prefix (needs ListSecrets; see README)."""

    path: str = Field("", description="Sub-path under <prefix>/<app>/")
    tags: dict[str, str] = Field(default_factory=dict)


class AppConfig(_Model):
    """One application: its namespace, identity, secrets and what ESO syncs for it."""

    name: str
    namespace: str
    service_account: str | None = Field(None, description="IRSA ServiceAccount for a per-app SecretStore")
    create_namespace: bool = False
    refresh_interval: str = "1h"
    creation_policy: Literal["Owner", "Orphan", "Merge", "None", "CreateOrMerge"] = "Owner"
    deletion_policy: Literal["Retain", "Delete", "Merge"] = "Retain"
    target_name: str | None = Field(None, description="Kubernetes Secret name; default <app>-secrets")
    secrets: tuple[SecretConfig, ...] = ()
    find: FindConfig | None = None
    tls: TlsConfig | None = None
    push: tuple[PushConfig, ...] = ()

    @field_validator("name", "namespace")
    @classmethod
    def _label(cls, value: str) -> str:
        return _dns_label(value, "name")

    @field_validator("service_account", "target_name")
    @classmethod
    def _subdomain(cls, value: str | None) -> str | None:
        if value is not None and (not is_dns1123_subdomain(value)):
            raise ValueError(f"{value!r} is not a DNS-1123 subdomain")
        return value

    @field_validator("refresh_interval")
    @classmethod
    def _refresh(cls, value: str) -> str:
        return _duration(value)

    @model_validator(mode="after")
    def _webhook_rules(self) -> AppConfig:
        if self.deletion_policy == "Delete" and self.creation_policy != "Owner":
            raise ValueError(
                f"deletionPolicy Delete needs creationPolicy Owner (creationPolicy is {self.creation_policy})"
            )
        if self.deletion_policy == "Merge" and self.creation_policy == "None":
            raise ValueError("deletionPolicy Merge cannot be used with creationPolicy None")
        names = [s.name for s in self.secrets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"secret names must be unique within an app: {', '.join(dupes)}")
        keys = [k.secret_key for s in self.secrets for k in s.keys]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"secretKey values must be unique within an app: {', '.join(dupes)}")
        clashes = sorted({p.remote_name for p in self.push} & set(names))
        if clashes:
            # ESO refuses to push into a secret it did not create (no managed-by: external-secrets tag).
            raise ValueError(f"push remoteName must not be one of the app's secrets: {', '.join(clashes)}")
        if self.tls is not None and self.tls.secret not in names:
            raise ValueError(
                f"tls.secret {self.tls.secret!r} is not one of the app's secrets ({', '.join(names)})"
            )
        if not self.secrets and self.find is None and self.push == ():
            raise ValueError(
                "an app needs secrets, find or push (an ExternalSecret with no data is rejected by ESO)"
            )
        return self


class StageConfig(_Model):
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
    eso: EsoInstallConfig = Field(default_factory=EsoInstallConfig)
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on every AWS resource")
    apps: tuple[AppConfig, ...]

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region like eu-west-1")
        return value

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _ACCOUNT.match(value):
            raise ValueError(f"{value!r} is not a 12-digit AWS account id (quote it in YAML)")
        return value

    @field_validator("recovery_window_in_days")
    @classmethod
    def _recovery(cls, value: int) -> int:
        if not 7 <= value <= 30:
            raise ValueError(f"{value} is outside the 7-30 days Secrets Manager allows")
        return value

    @field_validator("environment", "project")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return None if value is None else _dns_label(value, "name")

    @field_validator("secret_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None:
            SecretConfig._name(value)
        return value

    @field_validator("tags")
    @classmethod
    def _reserved_tags(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = {"managed-by", "environment", "app"} & set(value)
        if reserved:
            raise ValueError(f"tags {sorted(reserved)} are set by secrets-iac itself")
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> StageConfig:
        arn = _OIDC_ARN.match(self.cluster.oidc_provider_arn)
        if arn and arn.group(1) != self.account_id:
            raise ValueError(
                f"cluster.oidcProviderArn is in account {arn.group(1)} but accountId is {self.account_id}"
            )
        if self.kms.key_arn:
            kms = _KMS_ARN.match(self.kms.key_arn)
            if kms and kms.group(1) != self.region:
                raise ValueError(f"kms.keyArn is in {kms.group(1)} but the stage's region is {self.region}")
        names = [a.name for a in self.apps]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"app names must be unique: {', '.join(dupes)}")
        per_app = self.store.kind is StoreKind.SECRET_STORE and self.store.auth is StoreAuth.IRSA
        for index, app in enumerate(self.apps):
            if per_app and app.service_account is None:
                raise ValueError(
                    f"apps[{index}].serviceAccount is required with a SecretStore using irsa auth"
                )
        if self.store.auth is StoreAuth.POD_IDENTITY and not self.eso.install:
            # The association targets the controller's ServiceAccount, which this stack then owns.
            raise ValueError(
                "store.auth podIdentity needs eso.install true (the controller's ServiceAccount)"
            )
        return self

    def stage_name(self, stack: str) -> str:
        return self.environment or stack

    def prefix(self, stack: str) -> str:
        return self.secret_prefix or f"{self.project}/{self.stage_name(stack)}"


def _format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _config_key_path(loc: tuple[int | str, ...]) -> str:
    """`('apps', 2, 'secrets', 0, 'refreshInterval')` -> `secrets-iac:apps[2].secrets[0].refreshInterval`."""
    return f"{NAMESPACE}:{_format_loc(loc)}" if loc else NAMESPACE


def parse_stage_config(values: Mapping[str, Any], *, source: str) -> StageConfig:
    """Validate raw config values (keys without the namespace); the error names `source` and the key path."""
    try:
        return StageConfig.model_validate(dict(values))
    except ValidationError as err:
        lines = []
        for error in err.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "is required"
            elif error["type"] == "extra_forbidden":
                message = "is not a known setting"
            lines.append(f"{source}: {_config_key_path(loc)}: {message}")
        raise UserError("\n".join(lines)) from None


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def read_stack_config(path: Path) -> dict[str, Any]:
    """The whole `config:` mapping of a stack file (every namespace), parsed once, errors naming the file."""
    if not path.is_file():
        raise UserError(f"{path}: no such stack file")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML: {err}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise UserError(f"{path}: has no config: mapping")
    return {str(key): value for key, value in config.items()}


def namespace_values(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The `secrets-iac:*` values, keys without the namespace; Pulumi secrets (`secure:`) left out."""
    values: dict[str, Any] = {}
    for key, value in stack_config.items():
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE:
            if isinstance(value, dict) and "secure" in value:
                continue  # a Pulumi secret (opt-in initial values); read through pulumi.Config at run time
            values[name] = value
    return values


def read_stack_values(path: Path) -> dict[str, Any]:
    """The `secrets-iac:*` values of a stack file, keys without the namespace."""
    return namespace_values(read_stack_config(path))


def validate_stack_config(stack_config: Mapping[str, Any], *, source: str) -> StageConfig:
    """Validate a stack file's config; the provider's `aws:region`, when set, must be the stage's region."""
    config = parse_stage_config(namespace_values(stack_config), source=source)
    region = stack_config.get("aws:region")
    if region is not None and region != config.region:
        raise UserError(f"{source}: aws:region {region!r} differs from secrets-iac:region {config.region!r}")
    return config


def load_stage_config(project_dir: Path, stack: str) -> StageConfig:
    """Load and validate `stacks/Pulumi.<stack>.yaml`; errors name that file relative to the project."""
    path = stack_file(project_dir, stack)
    return validate_stack_config(read_stack_config(path), source=f"stacks/{path.name}")
