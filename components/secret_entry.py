"""SecretEntry: one Secrets Manager secret, named and tagged by convention; its value comes from the sync."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from secrets_iac.planner import Protection, RotationSpec


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
    """Opt-in seed value from a Pulumi secret config; normally the sync writes values."""
    protection: Protection | None = None
    """`protect` / `retainOnDelete` of the secret and its seed version (the stage decides)."""
    previous_name: str | None = None
    """The name earlier versions gave this entry: aliases keep an existing stack's resources."""


class SecretEntry(pulumi.ComponentResource):
    """The secret's metadata lives in Pulumi; its value does not, unless a seed value is opted in."""

    arn: pulumi.Output[str]
    secret_name: pulumi.Output[str]

    def __init__(self, name: str, args: SecretEntryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        previous = args.previous_name
        if previous:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=previous)])
            )
        super().__init__("secrets-iac:aws:SecretEntry", name, None, opts)

        def was(suffix: str) -> list[pulumi.Input[str | pulumi.Alias]] | None:
            return [pulumi.Alias(name=f"{previous}-{suffix}")] if previous else None

        kept = args.protection
        protect = kept.protect if kept else None
        retain = kept.retain_on_delete if kept else None
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=args.name,
            description=args.description,
            kms_key_id=args.kms_key_id,
            recovery_window_in_days=args.recovery_window_in_days,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=protect, retain_on_delete=retain, aliases=was("secret")
            ),
        )
        if args.initial_value is not None:
            aws.secretsmanager.SecretVersion(
                f"{name}-initial",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(args.initial_value),  # type: ignore[arg-type]
                # Later values come from the sync; Pulumi must not roll them back to the seed.
                opts=pulumi.ResourceOptions(
                    parent=secret,
                    ignore_changes=["secretString"],
                    protect=protect,
                    retain_on_delete=retain,
                    aliases=was("initial"),
                ),
            )
        if args.rotation is not None:
            aws.secretsmanager.SecretRotation(
                f"{name}-rotation",
                secret_id=secret.id,
                rotation_lambda_arn=args.rotation.lambda_arn,
                rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                    schedule_expression=args.rotation.schedule
                ),
                # The Lambda must not run on a secret without a value: the sync writes the first one, and
                # rotation takes over at the first scheduled window.
                rotate_immediately=False,
                # Configuration, not data: turning rotation off must not need an unprotect first.
                opts=pulumi.ResourceOptions(parent=secret, protect=False, aliases=was("rotation")),
            )
        self.arn = secret.arn
        self.secret_name = secret.name
        self.register_outputs({"arn": self.arn, "secretName": self.secret_name})
