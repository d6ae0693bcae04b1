"""SecretEntry under the mock engine: name, tags, KMS, recovery window, rotation, and values kept secret."""

from __future__ import annotations

import pulumi

from components.offline_plan import MASK, PlanRecorder
from components.secret_entry import SecretEntry, SecretEntryArgs
from secrets_iac.planner import RotationSpec
from tests.components.conftest import declare

TAGS = {"managed-by": "secrets-iac", "environment": "dev", "app": "payments"}


def test_secret_has_convention_name_tags_and_no_value(recorder: PlanRecorder) -> None:
    declare(
        lambda: SecretEntry(
            "payments-db",
            SecretEntryArgs(name="secrets-iac/dev/payments/db", tags=TAGS, recovery_window_in_days=7),
        )
    )
    [component] = recorder.of_type("secrets-iac:aws:SecretEntry")
    [secret] = recorder.of_type("aws:secretsmanager/secret:Secret")
    assert component.parent is None
    assert secret.parent == "secrets-iac:aws:SecretEntry::payments-db"
    assert secret.inputs["name"] == "secrets-iac/dev/payments/db"
    assert secret.inputs["tags"] == TAGS
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert "kmsKeyId" not in secret.inputs
    # The sync writes values: nothing about the value is in Pulumi's state.
    assert recorder.of_type("aws:secretsmanager/secretVersion:SecretVersion") == []


def test_kms_rotation_and_secret_seed(recorder: PlanRecorder) -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/1f2e3d4c-5b6a-4789-8a0b-1c2d3e4f5a6b"
    declare(
        lambda: SecretEntry(
            "payments-db",
            SecretEntryArgs(
                name="secrets-iac/prod/payments/db",
                tags=TAGS,
                recovery_window_in_days=30,
                kms_key_id=key,
                rotation=RotationSpec(
                    "arn:aws:lambda:eu-west-1:111122223333:function:rotate", "rate(30 days)"
                ),
                initial_value=pulumi.Output.secret("s3cr3t-seed-value"),
            ),
        )
    )
    [secret] = recorder.of_type("aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == key
    [rotation] = recorder.of_type("aws:secretsmanager/secretRotation:SecretRotation")
    assert rotation.inputs["rotationRules"] == {"scheduleExpression": "rate(30 days)"}
    assert rotation.inputs["rotationLambdaArn"] == "arn:aws:lambda:eu-west-1:111122223333:function:rotate"
    assert rotation.parent == "aws:secretsmanager/secret:Secret::payments-db-secret"
    # The Lambda must not fire on a secret without a value: the sync writes the first, rotation the rest.
    assert rotation.inputs["rotateImmediately"] is False
    [version] = recorder.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretString"] == MASK
    assert "s3cr3t-seed-value" not in repr(recorder.resources)
