"""ESO rules its webhook or AWS provider enforce only at deploy time."""

from __future__ import annotations

import pytest

from secrets_iac.rules.eso import (
    RECOVERY_WINDOW_MAX_DAYS,
    RECOVERY_WINDOW_MIN_DAYS,
    anchoring_problem,
    go_regexp_problem,
    recovery_window_problem,
    target_policy_problem,
)


def _namespace_regex_problem(pattern: str) -> str | None:
    """What a ClusterSecretStore's namespaceRegexes entry must pass: RE2, then anchoring."""
    return go_regexp_problem(pattern) or anchoring_problem(pattern)


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        ("team-a", "must be anchored"),
        ("^team-a", "must be anchored"),
        ("team-a$", "must be anchored"),
        ("^team-a\\$", "must be anchored"),
        ("^a|b$", "must be anchored"),
        ("^(a|b)$|c", "must be anchored"),
        ("^team-[a$", "does not compile"),
        ("^(?!kube-).*$", "lookaround"),
        ("^(a)\\1$", "backreferences"),
        ("", "non-empty"),
    ],
)
def test_namespace_regexes_must_compile_and_be_anchored(regex: str, why: str) -> None:
    problem = _namespace_regex_problem(regex)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "regex", ["^team-a$", "^(a|b)$", "^a$|^b$", "^[|$]x$", "^[]|]$", "^team-[a-z]+$", "^a\\\\$"]
)
def test_anchored_regexes_accepted(regex: str) -> None:
    assert _namespace_regex_problem(regex) is None


def test_go_regexp_problem_refuses_non_strings() -> None:
    assert go_regexp_problem(None) == "must be a non-empty regular expression"


@pytest.mark.parametrize("creation", ["Merge", "None", "CreateOrMerge", "Orphan"])
def test_delete_requires_owner(creation: str) -> None:
    assert target_policy_problem(creation, "Delete") == (
        f"deletionPolicy Delete needs creationPolicy Owner (creationPolicy is {creation})"
    )


def test_target_policies() -> None:
    assert target_policy_problem("Owner", "Delete") is None
    assert (
        target_policy_problem("None", "Merge")
        == "deletionPolicy Merge cannot be used with creationPolicy None"
    )
    for creation in ("Owner", "Orphan", "Merge", "CreateOrMerge"):
        assert target_policy_problem(creation, "Merge") is None
    for creation in ("Owner", "Orphan", "Merge", "None", "CreateOrMerge"):
        assert target_policy_problem(creation, "Retain") is None


@pytest.mark.parametrize("days", [3, 6, 31, 365])
def test_recovery_window_out_of_range(days: int) -> None:
    assert recovery_window_problem(days) == f"{days} is outside the 7-30 days Secrets Manager allows"


def test_recovery_window() -> None:
    assert recovery_window_problem(RECOVERY_WINDOW_MIN_DAYS) is None
    assert recovery_window_problem(RECOVERY_WINDOW_MAX_DAYS) is None
    assert recovery_window_problem(True) == "True is not a number of days"
    assert recovery_window_problem("7") == "'7' is not a number of days"
