"""Deploy guards: every resource goes through the stage's own providers (the AWS one allows only the stage's
account, the Kubernetes one talks to the stage's cluster); provider keys that disagree with the stage, or
that those providers would ignore, are refused before any resource, by `plan` and `pulumi up` alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.config import set_all_config

from components.offline_plan import PlanRecorder
from components.program import stage_from_pulumi_config
from secrets_iac.cli import main as cli_main
from secrets_iac.errors import UserError
from secrets_iac.planner import plan_stage
from tests.fixtures.stages import ACCOUNT, stage_values, write_project
from tests.plan_render import RenderedPlan, render

CLUSTER_ARN = f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/fixture-eks"
AWS_PROVIDER = "pulumi:providers:aws::qa-aws"
K8S_PROVIDER = "pulumi:providers:kubernetes::qa-kubernetes"


def _render(tmp_path: Path, **overrides: Any) -> RenderedPlan:
    project = write_project(tmp_path / "project", "qa", stage_values(eso={"install": True}, **overrides))
    return render("qa", tmp_path / "out", project)


def test_the_stage_has_explicit_providers_pinned_to_its_account_region_and_cluster(tmp_path: Path) -> None:
    plan = _render(tmp_path)
    [aws] = plan.of_type("pulumi:providers:aws")
    [kubernetes] = plan.of_type("pulumi:providers:kubernetes")
    assert aws["parent"] == kubernetes["parent"] == "secrets-iac:stage:SecretsStage::qa"
    assert aws["inputs"]["region"] == "eu-west-1"
    # Provider inputs travel JSON-encoded, as the engine receives them.
    assert json.loads(aws["inputs"]["allowedAccountIds"]) == [ACCOUNT]
    assert kubernetes["inputs"] == {"context": CLUSTER_ARN}  # what `aws eks update-kubeconfig` names it


def test_every_resource_uses_the_stages_provider_of_its_package(tmp_path: Path) -> None:
    plan = _render(tmp_path)
    checked = 0
    for resource in plan.resources:
        package = resource["type"].split(":", 1)[0]
        if package == "aws":
            assert resource["options"]["provider"] == AWS_PROVIDER, resource["name"]
        elif package == "kubernetes":
            assert resource["options"]["provider"] == K8S_PROVIDER, resource["name"]
        else:
            continue
        checked += 1
    assert checked > 20
    kinds = {r["type"].split(":", 1)[0] for r in plan.resources if r["options"]["provider"]}
    assert kinds == {"aws", "kubernetes"}


def test_kubernetes_context_and_kubeconfig_from_stack_config(tmp_path: Path) -> None:
    plan = _render(tmp_path, kubernetes={"context": "qa-admin", "kubeconfig": "/etc/kube/qa.yaml"})
    [kubernetes] = plan.of_type("pulumi:providers:kubernetes")
    assert kubernetes["inputs"] == {"context": "qa-admin", "kubeconfig": "/etc/kube/qa.yaml"}


REFUSALS = [
    pytest.param(
        {"aws:allowedAccountIds": ["111122223333"]},
        f"aws:allowedAccountIds ['111122223333'] does not contain secrets-iac:accountId '{ACCOUNT}'",
        id="other-account",
    ),
    pytest.param(
        {"aws:profile": "prod-admin"}, "aws:profile: is not used: the stage deploys", id="aws-profile"
    ),
    pytest.param(
        {"kubernetes:context": "prod-cluster"},
        "kubernetes:context: is not used: set secrets-iac:kubernetes.context",
        id="kubernetes-context",
    ),
    pytest.param(
        {"secrets-iac:kubernetes": {"kubeconfig": "apiVersion: v1\nclusters: []"}},
        "secrets-iac:kubernetes.kubeconfig: kubeconfig must be a path to a kubeconfig file, not its contents",
        id="inline-kubeconfig",
    ),
]


@pytest.mark.parametrize(("extra", "fragment"), REFUSALS)
def test_plan_refuses_in_one_line_before_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict[str, Any], fragment: str
) -> None:
    project = write_project(tmp_path / "project", "qa", stage_values(), extra_config=extra)
    out = tmp_path / "out"
    code = cli_main(["plan", "--stack", "qa", "--out", str(out), "--project-dir", str(project)])
    err = capsys.readouterr().err
    assert code != 0 and not out.exists()
    assert err.count("\n") == 1 and err.startswith("secrets-iac: error: stacks/Pulumi.qa.yaml: "), err
    assert fragment in err, err


def test_an_allowed_account_list_holding_the_stage_account_is_accepted(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "project", "qa", stage_values(), extra_config={"aws:allowedAccountIds": [ACCOUNT]}
    )
    plan = render("qa", tmp_path / "out", project)
    [aws] = plan.of_type("pulumi:providers:aws")
    assert json.loads(aws["inputs"]["allowedAccountIds"]) == [ACCOUNT]


def _engine(values: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
    config = {f"secrets-iac:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return {**config, **extra}


@pytest.mark.parametrize(
    ("extra", "stack_extra"),
    [
        ({"aws:allowedAccountIds": '["111122223333"]'}, {"aws:allowedAccountIds": ["111122223333"]}),
        ({"kubernetes:context": "prod-cluster"}, {"kubernetes:context": "prod-cluster"}),
        ({"aws:profile": "prod-admin"}, {"aws:profile": "prod-admin"}),
    ],
)
def test_pulumi_up_refuses_what_plan_refuses(
    recorder: PlanRecorder, extra: dict[str, str], stack_extra: dict[str, Any]
) -> None:
    """Under the engine the program reads the same keys and fails with the message `plan` gives, before
    declaring anything."""
    values = stage_values()
    set_all_config(_engine(values, extra))
    with pytest.raises(pulumi.RunError) as caught:
        stage_from_pulumi_config()
    assert recorder.resources == []
    stack = {**{f"secrets-iac:{k}": v for k, v in values.items()}, **stack_extra}
    with pytest.raises(UserError) as from_plan:
        plan_stage(stack, "test", source="stacks/Pulumi.test.yaml")
    assert str(caught.value) == str(from_plan.value)


def test_a_secret_provider_key_is_refused_without_reading_it(recorder: PlanRecorder) -> None:
    set_all_config(_engine(stage_values(), {"aws:secretKey": "s3cr3t-canary"}), ["aws:secretKey"])
    with pytest.raises(pulumi.RunError) as caught:
        stage_from_pulumi_config()
    assert str(caught.value).startswith("stacks/Pulumi.test.yaml: aws:secretKey: is not used")
    assert "s3cr3t-canary" not in str(caught.value)
