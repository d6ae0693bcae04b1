"""SecretEntry: one Secrets Manager secret, named and tagged by convention; its value comes from the sync."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from secrets_iac.planner import RotationSpec


@dataclass
class SecretEntryArgs:
    name: str
    """Full secret name, `<prefix>/<app>/<name>`."""
    tags: dict[str, str]
    """Tags including managed-by, environment and app."""
    recovery_window_in_days: int
    """Days a deleted secret can be restored (7-30): the stage decides."""
    kms_key_id: pulumi.Input[str] | None = None
    """Customer-managed key; None keeps aws/secretsmanager."""
    description: str | None = None
    rotation: RotationSpec | None = None
    initial_value: pulumi.Output[str] | None = field(default=None, repr=False)
    """Opt-in seed value from a Pulumi secret config; the sync normally the sync writes values."""


class SecretEntry(pulumi.ComponentResource):
    """The secret's metadata lives in Pulumi; its value does not, unless a seed value is opted in."""

    arn: pulumi.Output[str]
    secret_name: pulumi.Output[str]

    def __init__(self, name: str, args: SecretEntryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets-iac:aws:SecretEntry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=args.name,
            description=args.description,
            kms_key_id=args.kms_key_id,
            recovery_window_in_days=args.recovery_window_in_days,
            tags=args.tags,
            opts=child,
        )
        if args.initial_value is not None:
            aws.secretsmanager.SecretVersion(
                f"{name}-initial",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(args.initial_value),  # type: ignore[arg-type]
                # Later values come from the sync; Pulumi must not roll them back to the seed.
                opts=pulumi.ResourceOptions(parent=secret, ignore_changes=["secretString"]),
            )
        if args.rotation is not None:
            aws.secretsmanager.SecretRotation(
                f"{name}-rotation",
                secret_id=secret.id,
                rotation_lambda_arn=args.rotation.lambda_arn,
                rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                    schedule_expression=args.rotation.schedule
                ),
                opts=pulumi.ResourceOptions(parent=secret),
            )
        self.arn = secret.arn
        self.secret_name = secret.name
        self.register_outputs({"arn": self.arn, "secretName": self.secret_name})
