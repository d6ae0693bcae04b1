"""The partition follows the region into every ARN the program renders (plan output, real program)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.offline_plan import plan_stack
from secrets_iac.config import parse_stage_config
from secrets_iac.errors import UserError
from secrets_iac.planner import render_stage
from tests.fixtures.stages import ACCOUNT, stage_values, write_project

ARN = re.compile(r"arn:[a-z-]+:")


def _arns(text: str) -> set[str]:
    return set(ARN.findall(text))


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("eu-west-1", "aws")],
)
def test_every_rendered_arn_is_in_the_regions_partition(tmp_path: Path, region: str, partition: str) -> None:
    project = write_project(tmp_path / "project", "gov", stage_values(region, partition=partition))
    plan_stack(project, "gov", tmp_path / "out")
    iam = sorted((tmp_path / "out" / "iam").iterdir())
    assert len(iam) == 6  # 3 roles (2 readers, 1 pusher), each a trust and a policy document
    for path in iam:
        assert _arns(path.read_text(encoding="utf-8")) == {f"arn:{partition}:"}, path.name
    plan = (tmp_path / "out" / "plan.json").read_text(encoding="utf-8")
    assert _arns(plan) == {f"arn:{partition}:"}
    assert f"arn:{partition}:kms:{region}:{ACCOUNT}:key/" in plan


def test_created_key_arn_reaches_the_policies_in_gov(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "project", "gov", stage_values("us-gov-west-1", partition="aws-us-gov")
    )
    plan_stack(project, "gov", tmp_path / "out")
    policy = json.loads(
        (tmp_path / "out" / "iam" / "secrets-iac-gov-orders-reader.read-secrets.json").read_text()
    )
    kms = next(s for s in policy["Statement"] if s["Sid"] == "KmsDecryptEnvSecretsViaSecretsManager")
    assert kms["Resource"].startswith("arn:aws-us-gov:kms:us-gov-west-1:")


def test_an_oidc_provider_of_another_partition_is_refused() -> None:
    values = stage_values("us-gov-west-1", partition="aws")
    with pytest.raises(
        UserError,
        match=r"cluster\.oidcProviderArn is in partition aws but region us-gov-west-1 is in aws-us-gov",
    ):
        parse_stage_config(values, source="stacks/Pulumi.gov.yaml")


def test_planner_records_the_partition() -> None:
    plan = render_stage(
        parse_stage_config(stage_values("cn-northwest-1", partition="aws-cn"), source="t"), "x"
    )
    assert plan.partition == "aws-cn"
