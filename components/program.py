"""The Pulumi program: read this stack's config, declare the stage, export what operators need."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.stage import SecretsStage, SecretsStageArgs
from secrets_iac.config import NAMESPACE, StageConfig
from secrets_iac.config.providers import ACCEPTED_PROVIDER_KEYS, PROVIDER_NAMESPACES
from secrets_iac.errors import UserError
from secrets_iac.planner import StagePlan, plan_stage


def decode_config_value(raw: str, *, as_text: bool) -> Any:
    """The engine passes every value as a string, objects as JSON: `"111122223333"` must stay text."""
    if as_text:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # a plain string; the model reports it against the field's type


def _passed_keys(namespace: str, *, secrets: bool = False) -> set[str]:
    """Every `<namespace>:*` key the engine passed (names without the namespace), so a typo fails instead of
    being ignored; secret keys only with `secrets` (in `secrets-iac:` they are the opt-in seed values, read
    with `require_secret` by name).
    """
    from pulumi.runtime import config as runtime_config

    passed = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{namespace}:"
    return {
        key.removeprefix(prefix)
        for key in passed
        if key.startswith(prefix) and (secrets or not runtime_config.is_config_secret(key))
    }


def engine_stack_config() -> dict[str, Any]:
    """The stack's config as the engine passes it, shaped like a parsed stack file: every non-secret
    `secrets-iac:*` key (typos included, so the model names them) and every provider key (`aws:*`,
    `kubernetes:*`), which the stage's explicit providers must agree with or refuse."""
    cfg = pulumi.Config(NAMESPACE)
    stack_config: dict[str, Any] = {}
    fields = {info.alias or name: info for name, info in StageConfig.model_fields.items()}
    for key in sorted(set(fields) | _passed_keys(NAMESPACE)):
        raw = cfg.get(key)
        if raw is not None:
            text = key in fields and fields[key].annotation in (str, str | None)
            stack_config[f"{NAMESPACE}:{key}"] = decode_config_value(raw, as_text=text)
    for namespace in PROVIDER_NAMESPACES:
        provider_cfg = pulumi.Config(namespace)
        for key in sorted(_passed_keys(namespace, secrets=True)):
            full = f"{namespace}:{key}"
            if full in ACCEPTED_PROVIDER_KEYS:
                raw = provider_cfg.get(key)
                if raw is not None:
                    stack_config[full] = decode_config_value(raw, as_text=full == "aws:region")
            else:
                stack_config[full] = None  # refused by name; its value is never read
    return stack_config


def stage_from_pulumi_config() -> StagePlan:
    """The same validation `plan` and `sync` run (`plan_stage`), on what the engine passes; before any
    resource is declared."""
    source = f"stacks/Pulumi.{pulumi.get_stack()}.yaml"
    try:
        _, plan = plan_stage(engine_stack_config(), pulumi.get_stack(), source=source)
    except UserError as err:
        raise pulumi.RunError(str(err)) from None  # the engine prints it without a traceback
    return plan


def run() -> SecretsStage:
    plan = stage_from_pulumi_config()
    cfg = pulumi.Config(NAMESPACE)
    initial_values = {
        s.initial_value_config_key: cfg.require_secret(s.initial_value_config_key)
        for s in plan.secrets
        if s.initial_value_config_key
    }
    stage = SecretsStage(plan.environment, SecretsStageArgs(plan=plan, initial_values=initial_values))
    pulumi.export("secretPrefix", stage.prefix)
    pulumi.export("kmsKeyArn", stage.kms_key_arn)
    pulumi.export("secretArns", stage.secret_arns)
    pulumi.export("roleArns", stage.role_arns)
    return stage
