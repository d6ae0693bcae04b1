"""Shared pieces of the config models: the strict base model and the field rules they all apply."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from secrets_iac.rules import aws
from secrets_iac.rules.durations import is_interval
from secrets_iac.rules.k8s import is_dns1123_label, is_dns1123_subdomain


class StrictModel(BaseModel):
    """camelCase keys like Pulumi's providers; unknown keys refused; frozen once validated."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


def dns_label(value: str, what: str) -> str:
    if not is_dns1123_label(value):
        raise ValueError(f"{value!r} is not a valid {what} (lowercase letters, digits and '-', at most 63)")
    return value


def dns_subdomain(value: str) -> str:
    """ServiceAccount, Secret and store names."""
    if not is_dns1123_subdomain(value):
        raise ValueError(f"{value!r} is not a DNS-1123 subdomain")
    return value


def secret_path(value: str) -> str:
    problem = aws.secret_path_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def duration(value: str) -> str:
    if not is_interval(value):
        raise ValueError(f'"{value}" is not a duration like 1h or 30m')
    return value
