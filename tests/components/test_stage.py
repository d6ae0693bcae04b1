"""SecretsStage under the mock engine, for every stack file: the whole tree is parented and wired."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.offline_plan import MASK, PlanRecorder
from components.stage import SecretsStage, SecretsStageArgs
from secrets_iac.config import load_stage_config
from secrets_iac.planner import render_stage
from tests.components.conftest import declare
from tests.fixtures.example import EXAMPLE, STAGES


def _declare_stage(stage: str, initial_values: dict[str, pulumi.Output[str]] | None = None) -> None:
    config = load_stage_config(EXAMPLE, stage)
    plan = render_stage(config, stage)
    declare(lambda: SecretsStage(stage, SecretsStageArgs(plan, initial_values or {})))


@pytest.mark.parametrize("stage", STAGES)
def test_every_resource_is_parented_under_the_stage(recorder: PlanRecorder, stage: str) -> None:
    _declare_stage(stage)
    [root] = recorder.of_type("secrets-iac:stage:SecretsStage")
    assert root.parent is None
    others = [r for r in recorder.resources if r is not root]
    assert others and all(r.parent for r in others)
    component_types = {r.type for r in recorder.resources if r.type.startswith("secrets-iac:")}
    assert {"secrets-iac:aws:SecretEntry", "secrets-iac:aws:IrsaRole", "secrets-iac:eso:ExternalSecret"} <= (
        component_types
    )


@pytest.mark.parametrize(("stage", "window"), [("alpha", 7), ("beta", 14), ("gamma", 30)])
def test_recovery_window_and_kms_follow_the_stage(recorder: PlanRecorder, stage: str, window: int) -> None:
    _declare_stage(stage)
    secrets = recorder.of_type("aws:secretsmanager/secret:Secret")
    assert {s.inputs["name"] for s in secrets} == {
        f"secrets-iac/{stage}/payments/db",
        f"secrets-iac/{stage}/payments/stripe-api-key",
        f"secrets-iac/{stage}/web/tls",
    }
    assert {s.inputs["recoveryWindowInDays"] for s in secrets} == {window}
    keys = recorder.of_type("aws:kms/key:Key")
    kms_ids = {s.inputs.get("kmsKeyId") for s in secrets}
    if stage == "alpha":
        assert keys == [] and kms_ids == {None}
    elif stage == "beta":
        [key] = keys
        assert key.inputs["enableKeyRotation"] is True
        [alias] = recorder.of_type("aws:kms/alias:Alias")
        assert alias.inputs["name"] == "alias/secrets-iac-beta-secrets"
        assert kms_ids == {key.outputs["arn"]}
    else:
        assert keys == []
        assert kms_ids == {"arn:aws:kms:eu-west-1:777788889999:key/1f2e3d4c-5b6a-4789-8a0b-1c2d3e4f5a6b"}
    for secret in secrets:
        assert secret.inputs["tags"]["managed-by"] == "secrets-iac"
        assert secret.inputs["tags"]["environment"] == stage
        assert secret.inputs["tags"]["team"] == "platform"


def test_staging_policies_name_the_created_key(recorder: PlanRecorder) -> None:
    _declare_stage("beta")
    [key] = recorder.of_type("aws:kms/key:Key")
    for policy in recorder.of_type("aws:iam/rolePolicy:RolePolicy"):
        statements = json.loads(policy.inputs["policy"])["Statement"]
        kms = [s for s in statements if s["Sid"].startswith("Kms")]
        assert kms and all(s["Resource"] == key.outputs["arn"] for s in kms)


def test_eso_objects_are_custom_resources_of_the_right_api(recorder: PlanRecorder) -> None:
    _declare_stage("alpha")
    crs = [r for r in recorder.resources if r.type.startswith("kubernetes:external-secrets.io/")]
    kinds = sorted((r.inputs["apiVersion"], r.inputs["kind"]) for r in crs)
    assert kinds == [
        ("external-secrets.io/v1", "ClusterSecretStore"),
        ("external-secrets.io/v1", "ExternalSecret"),
        ("external-secrets.io/v1", "ExternalSecret"),
        ("external-secrets.io/v1", "SecretStore"),
        ("external-secrets.io/v1alpha1", "PushSecret"),
    ]
    for cr in crs:
        assert cr.parent is not None and cr.parent.startswith("secrets-iac:eso:")
    [release] = recorder.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["version"] == "2.9.0"
    assert release.inputs["values"]["installCRDs"] is True
    assert release.inputs["repositoryOpts"]["repo"] == "https://charts.external-secrets.io"


def test_prod_does_not_install_eso_and_creates_no_namespaces(recorder: PlanRecorder) -> None:
    _declare_stage("gamma")
    assert recorder.of_type("kubernetes:helm.sh/v3:Release") == []
    assert recorder.of_type("kubernetes:core/v1:Namespace") == []


def test_opt_in_seed_value_stays_secret(recorder: PlanRecorder) -> None:
    config = load_stage_config(EXAMPLE, "alpha")
    values = config.model_dump(by_alias=True)
    values["apps"][0]["secrets"][0]["initialValueConfigKey"] = "paymentsDbSeed"
    seeded = type(config).model_validate(values)
    plan = render_stage(seeded, "alpha")
    seed = pulumi.Output.secret('{"username":"app","password":"pl41n-t3xt-seed"}')
    declare(lambda: SecretsStage("alpha", SecretsStageArgs(plan, {"paymentsDbSeed": seed})))
    [version] = recorder.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretString"] == MASK
    assert "pl41n-t3xt-seed" not in repr(recorder.resources)


def test_controller_identity_annotates_the_chart_service_account(recorder: PlanRecorder) -> None:
    config = load_stage_config(EXAMPLE, "alpha")
    values = config.model_dump(by_alias=True)
    values["store"] = {"kind": "ClusterSecretStore", "auth": "controller"}
    controller = type(config).model_validate(values)
    plan = render_stage(controller, "alpha")
    declare(lambda: SecretsStage("alpha", SecretsStageArgs(plan)))
    [release] = recorder.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["values"]["serviceAccount"] == {
        "create": True,
        "name": "external-secrets",
        "annotations": {
            "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/secrets-iac-alpha-eso-controller"
        },
    }
    assert recorder.of_type("kubernetes:core/v1:ServiceAccount") == []


def test_creation_order_crds_and_identities_before_eso_objects(recorder: PlanRecorder) -> None:
    _declare_stage("alpha")
    release = "kubernetes:helm.sh/v3:Release::alpha-eso-release"
    crs = [r for r in recorder.resources if r.type.startswith("kubernetes:external-secrets.io/")]
    assert crs and all(release in cr.depends_on for cr in crs)
    [push] = [cr for cr in crs if cr.inputs["kind"] == "PushSecret"]
    assert (
        "kubernetes:external-secrets.io/v1:SecretStore::secretstore-payments-dev/aws-secrets-manager-push-cr"
        in (push.depends_on)
    )
    [store] = [cr for cr in crs if cr.inputs["kind"] == "ClusterSecretStore"]
    assert "kubernetes:core/v1:ServiceAccount::store-reader-sa" in store.depends_on
    # The reader SA lives in ESO's namespace, which the release creates.
    [reader_sa] = [
        r for r in recorder.of_type("kubernetes:core/v1:ServiceAccount") if r.name == "store-reader-sa"
    ]
    assert release in reader_sa.depends_on
    [pusher_sa] = [
        r for r in recorder.of_type("kubernetes:core/v1:ServiceAccount") if r.name == "payments-pusher-sa"
    ]
    assert "kubernetes:core/v1:Namespace::alpha-ns-payments-dev" in pusher_sa.depends_on
