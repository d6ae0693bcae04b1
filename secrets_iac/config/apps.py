"""Per-app config: secrets and their keys, rotation, TLS, find and push targets.

ESO's webhook-only rules on a target (creation/deletion policy pairs) are enforced here, at load.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from secrets_iac.config.base import StrictModel, dns_label, dns_subdomain, duration, secret_path
from secrets_iac.config.generated import GeneratedConfig
from secrets_iac.rules import aws
from secrets_iac.rules.eso import target_policy_problem
from secrets_iac.rules.k8s import is_secret_key


class KeyMapping(StrictModel):
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


class RotationConfig(StrictModel):
    """Secrets Manager rotation with a rotation Lambda the platform already runs."""

    lambda_arn: str
    schedule: str = Field("rate(30 days)", description="rate(N days|hours) or cron(...)")

    @field_validator("lambda_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not aws.LAMBDA_FUNCTION_ARN.match(value):
            raise ValueError(f"{value!r} is not a Lambda function ARN")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not aws.ROTATION_SCHEDULE.match(value):
            raise ValueError(f"{value!r} is not a schedule like rate(30 days) or cron(0 4 * * ? *)")
        return value


class SecretConfig(StrictModel):
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
        return secret_path(value)


class TlsConfig(StrictModel):
    """A `kubernetes.io/tls` Secret templated from a certificate/key pair stored in one JSON secret."""

    secret: str = Field(description="Name of the app's secret holding both PEMs")
    cert_property: str = "tls.crt"
    key_property: str = "tls.key"
    target_name: str | None = Field(None, description="Kubernetes Secret name; default <app>-tls")


class PushConfig(StrictModel):
    """A Kubernetes Secret (or one key of it) pushed to Secrets Manager by a PushSecret."""

    secret_name: str = Field(description="Kubernetes Secret in the app's namespace")
    secret_key: str | None = Field(None, description="Key to push; all keys as JSON when empty")
    remote_name: str = Field(description="Last part of the remote name: <prefix>/<app>/<remoteName>")
    update_policy: Literal["Replace", "IfNotExists"] = "Replace"
    deletion_policy: Literal["None", "Delete"] = "None"

    @field_validator("secret_name")
    @classmethod
    def _dns(cls, value: str) -> str:
        return dns_subdomain(value)

    @field_validator("remote_name")
    @classmethod
    def _remote(cls, value: str) -> str:
        return secret_path(value)


class FindConfig(StrictModel):
    """`dataFrom.find`: every secret under a path of the app's prefix (needs ListSecrets; see README)."""

    path: str = Field("", description="Sub-path under <prefix>/<app>/")
    tags: dict[str, str] = Field(default_factory=dict)


class AppConfig(StrictModel):
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
    generated: tuple[GeneratedConfig, ...] = Field(
        (), description="Passwords ESO generates once into Secrets Manager and reads back"
    )
    store: str | None = Field(None, description="A stores[] name; none = the app's own SecretStore")
    refresh_policy: Literal["Periodic", "OnChange", "CreatedOnce"] | None = Field(
        None, description="ExternalSecret refreshPolicy; unset = ESO's default (Periodic)"
    )

    @property
    def reads(self) -> bool:
        """The app has an ExternalSecret, so it needs a read store."""
        return bool(self.secrets or self.find or self.generated)

    @property
    def pushes(self) -> bool:
        """The app has PushSecrets (its own or for generated credentials), so it needs a push store."""
        return bool(self.push or self.generated)

    @field_validator("name", "namespace")
    @classmethod
    def _label(cls, value: str) -> str:
        return dns_label(value, "name")

    @field_validator("service_account", "target_name", "store")
    @classmethod
    def _subdomain(cls, value: str | None) -> str | None:
        return None if value is None else dns_subdomain(value)

    @field_validator("refresh_interval")
    @classmethod
    def _refresh(cls, value: str) -> str:
        return duration(value)

    @model_validator(mode="after")
    def _webhook_rules(self) -> AppConfig:
        problem = target_policy_problem(self.creation_policy, self.deletion_policy)
        if problem:
            raise ValueError(problem)
        names = [s.name for s in self.secrets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"secret names must be unique within an app: {', '.join(dupes)}")
        keys = [k.secret_key for s in self.secrets for k in s.keys] + [g.key for g in self.generated]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"secretKey values must be unique within an app: {', '.join(dupes)}")
        clashes = sorted({p.remote_name for p in self.push} & set(names))
        if clashes:
            # ESO refuses to push into a secret it did not create (no managed-by: external-secrets tag).
            raise ValueError(f"push remoteName must not be one of the app's secrets: {', '.join(clashes)}")
        generated = [g.name for g in self.generated]
        taken = sorted(
            (set(generated) & (set(names) | {p.remote_name for p in self.push}))
            | {n for n in generated if generated.count(n) > 1}
        )
        if taken:
            raise ValueError(
                f"generated names must differ from each other, secrets and push: {', '.join(taken)}"
            )
        if self.tls is not None and self.tls.secret not in names:
            raise ValueError(
                f"tls.secret {self.tls.secret!r} is not one of the app's secrets ({', '.join(names)})"
            )
        if not self.reads and not self.pushes:
            raise ValueError(
                "an app needs secrets, find, generated or push (an ExternalSecret with no data is rejected "
                "by ESO)"
            )
        return self
