"""The Pulumi program's config reading, as the engine passes config (strings; objects as JSON)."""

from __future__ import annotations

import json

import pulumi
import pytest
from pulumi.runtime.config import set_all_config

from components.offline_plan import PlanRecorder
from components.program import decode_config_value, stage_from_pulumi_config
from secrets_iac.config import read_stack_values
from secrets_iac.errors import UserError
from secrets_iac.planner import plan_stage
from tests.fixtures.example import EXAMPLE


def _engine_config(values: dict[str, object]) -> dict[str, str]:
    return {f"secrets-iac:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def test_decode_keeps_quoted_numbers_as_text() -> None:
    assert decode_config_value("111122223333", as_text=True) == "111122223333"
    assert decode_config_value("7", as_text=False) == 7
    assert decode_config_value('{"mode": "create"}', as_text=False) == {"mode": "create"}
    assert decode_config_value("not json", as_text=False) == "not json"


def test_engine_config_validates_into_the_stage(recorder: PlanRecorder) -> None:
    values = read_stack_values(EXAMPLE / "stacks" / "Pulumi.gamma.yaml")
    set_all_config({**_engine_config(values), "secrets-iac:paymentsSeed": "x"}, ["secrets-iac:paymentsSeed"])
    plan = stage_from_pulumi_config()
    assert plan.account_id == "777788889999"
    assert plan.recovery_window_in_days == 30
    assert plan.prefix == "secrets-iac/test"  # the stack name the recorder was installed with


def test_unknown_engine_key_fails_naming_it(recorder: PlanRecorder) -> None:
    values = read_stack_values(EXAMPLE / "stacks" / "Pulumi.gamma.yaml")
    set_all_config({**_engine_config(values), "secrets-iac:recoveryWindow": "30"})
    with pytest.raises(pulumi.RunError) as caught:
        stage_from_pulumi_config()
    assert str(caught.value) == "stacks/Pulumi.test.yaml: secrets-iac:recoveryWindow: is not a known setting"


def test_bad_engine_value_fails_before_any_resource(recorder: PlanRecorder) -> None:
    values = read_stack_values(EXAMPLE / "stacks" / "Pulumi.gamma.yaml")
    values["apps"][1]["refreshInterval"] = "1 hour"
    set_all_config(_engine_config(values))
    with pytest.raises(
        pulumi.RunError, match=r'secrets-iac:apps\[1\]\.refreshInterval: "1 hour" is not a duration'
    ):
        stage_from_pulumi_config()
    assert recorder.resources == []


def test_region_mismatch_fails_like_plan_does(recorder: PlanRecorder) -> None:
    """`pulumi up` refuses an `aws:region` other than the stage's with the message `plan` gives."""
    values = read_stack_values(EXAMPLE / "stacks" / "Pulumi.gamma.yaml")
    set_all_config({**_engine_config(values), "aws:region": "us-east-1"})
    with pytest.raises(pulumi.RunError) as caught:
        stage_from_pulumi_config()
    assert recorder.resources == []
    stack = {**{f"secrets-iac:{k}": v for k, v in values.items()}, "aws:region": "us-east-1"}
    with pytest.raises(UserError) as from_plan:
        plan_stage(stack, "test", source="stacks/Pulumi.test.yaml")
    assert str(caught.value) == str(from_plan.value)
    assert str(caught.value) == (
        "stacks/Pulumi.test.yaml: aws:region 'us-east-1' differs from secrets-iac:region 'eu-west-1'"
    )
