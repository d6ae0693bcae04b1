"""Hostile stack files: whatever the bytes, reading and planning a stage ends in a plan or one `UserError`
naming the file, within a time limit; no traceback, no hang, no error repeating a huge value.

Seeded (`tests/fuzz.py`): same seeds, same cases. The seeds are stages the tests own
(`tests/fixtures/stages.py`), in several shapes, so mutations reach every part of the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from secrets_iac.config import read_stack_config
from secrets_iac.errors import UserError
from secrets_iac.planner import plan_stage
from tests.fixtures.stages import ACCOUNT, stage_values
from tests.fuzz import Mutator, TreeMutator, alias_bomb, deep_block, deep_flow, run_cases

CASES = 700
TREE_CASES = 500
PER_CASE_SECONDS = 5.0
MAX_LINE = 600
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _stack_file(values: dict[str, Any]) -> bytes:
    config: dict[str, Any] = {"aws:region": values["region"]}
    config.update({f"secrets-iac:{key}": value for key, value in values.items()})
    return yaml.dump({"config": config}, Dumper=_DUMPER, sort_keys=False).encode()


def _seed_values() -> list[dict[str, Any]]:
    rotation = {
        "lambdaArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:rotate",
        "schedule": "rate(30 days)",
    }
    cluster_store = stage_values(
        store={"kind": "ClusterSecretStore", "auth": "podIdentity"},
        kms={"mode": "aws-managed"},
        eso={"install": True},
    )
    with_extras = stage_values(tags={"team": "fuzz"}, eso={"install": True})
    with_extras["apps"][1]["secrets"][0]["rotation"] = rotation
    with_extras["apps"][1]["find"] = {"path": "shared", "tags": {"team": "fuzz"}}
    with_extras["apps"][0]["tls"] = {"secret": "db", "certProperty": "crt", "keyProperty": "key"}
    return [stage_values(), cluster_store, with_extras]


def _seeds() -> list[bytes]:
    return [_stack_file(v) for v in _seed_values()]


def _line_problem(err: UserError, path: Path) -> str | None:
    for line in str(err).splitlines():
        if not line.startswith(str(path)):
            return f"an error line does not name the file: {line[:120]!r}"
        if len(line) > MAX_LINE:
            return f"an error line of {len(line)} characters: {line[:120]!r}…"
    return None


def test_seed_stack_files_plan(tmp_path: Path) -> None:
    """Control: the unmutated seeds are valid stages."""
    path = tmp_path / "Pulumi.fuzz.yaml"
    for seed in _seeds():
        path.write_bytes(seed)
        plan_stage(read_stack_config(path), "fuzz", source=str(path))


def test_fuzzed_stack_files_give_a_plan_or_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.fuzz.yaml"

    def plan(data: bytes) -> None:
        path.write_bytes(data)
        plan_stage(read_stack_config(path), "fuzz", source=str(path))

    report = run_cases(
        Mutator(_seeds(), seed=11),
        CASES,
        plan,
        per_case_seconds=PER_CASE_SECONDS,
        check_error=lambda err: _line_problem(err, path),
    )
    print(f"stack-file fuzz: {report}")
    assert report.failures == []
    assert report.cases == CASES
    assert report.refused > CASES // 2  # the mutations do reach the checks


def _dump_stack(values: Any) -> bytes:
    if not isinstance(values, dict) or "region" not in values:
        return yaml.dump({"config": values}, Dumper=_DUMPER).encode()
    return _stack_file(values)


def test_stack_files_with_hostile_values_give_a_plan_or_one_clear_error(tmp_path: Path) -> None:
    """Valid YAML, wrong values anywhere in the tree: the model and the planner answer with errors."""
    path = tmp_path / "Pulumi.fuzz.yaml"

    def plan(data: bytes) -> None:
        path.write_bytes(data)
        plan_stage(read_stack_config(path), "fuzz", source=str(path))

    report = run_cases(
        TreeMutator(_seed_values(), seed=12, dump=_dump_stack),
        TREE_CASES,
        plan,
        per_case_seconds=PER_CASE_SECONDS,
        check_error=lambda err: _line_problem(err, path),
    )
    print(f"stack-value fuzz: {report}")
    assert report.failures == []
    assert report.cases == TREE_CASES
    assert report.accepted > 0 and report.refused > TREE_CASES // 2


@pytest.mark.parametrize(
    ("attack", "fragment"),
    [
        pytest.param(alias_bomb(5), "excessive aliasing", id="alias-bomb-1e5"),
        pytest.param(alias_bomb(9), "excessive aliasing", id="alias-bomb-1e9"),
        pytest.param(b"rec: &r [*r]\n", "recursive YAML alias", id="recursive-alias"),
        pytest.param(deep_flow(150), "nested deeper than 100", id="deep-flow-150"),
        pytest.param(deep_flow(5000), "exceeded maximum nesting depth", id="deep-flow-5000"),
        pytest.param(deep_block(700), "nested deeper than", id="deep-block-700"),
        pytest.param(b"bin: !!binary AAAA\n", "the tag tag:yaml.org,2002:binary is not allowed", id="binary"),
        pytest.param(b"s: !!set {a, b}\n", "tag:yaml.org,2002:set is not allowed", id="set"),
        pytest.param(b"c: !custom x\n", "the tag !custom is not allowed", id="custom-tag"),
        pytest.param(b"n: !!int abc\n", "'abc' is not a int", id="int-tag-mismatch"),
        pytest.param(b"n: 0x_\n", "a value cannot be read", id="yaml11-int-without-digits"),
        pytest.param(b"n: " + b"9" * 5000 + b"\n", "a value cannot be read", id="5000-digit-int"),
        pytest.param(b"k: 1\nk: 2\n", "line 4: duplicate key 'k'", id="duplicate-key"),
        pytest.param(b"k: \xff\xfe\n", "not UTF-8 text (byte 26)", id="not-utf8"),
        pytest.param(b"k: \x00\n", "not valid YAML", id="nul-byte"),
        pytest.param(b"config: {}\n---\nk: w\n", "expected a single document", id="two-documents"),
    ],
)
def test_hostile_stack_files_are_refused_in_one_line_naming_the_file(
    tmp_path: Path, attack: bytes, fragment: str
) -> None:
    path = tmp_path / "Pulumi.fuzz.yaml"
    if not attack.startswith(b"config:"):
        attack = b"config:\n  other:x: 1\n" + b"".join(b"  " + row + b"\n" for row in attack.splitlines())
    path.write_bytes(attack)
    with pytest.raises(UserError) as caught:
        read_stack_config(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    assert fragment in message
    assert len(message) < MAX_LINE


def test_a_huge_stack_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.fuzz.yaml"
    path.write_bytes(b"config:\n  other:big: '" + b"a" * (1 << 20) + b"'\n")
    with pytest.raises(UserError, match=r"Pulumi\.fuzz\.yaml: larger than 1 MiB; refused"):
        read_stack_config(path)


def test_dates_stay_text_and_plain_tags_still_work(tmp_path: Path) -> None:
    """What is refused is only what Pulumi would not read either: plain YAML keeps working."""
    path = tmp_path / "Pulumi.fuzz.yaml"
    path.write_bytes(
        b"config:\n  other:when: 2024-01-01\n  other:n: !!int '5'\n  other:s: !!str 5\n"
        b"  other:base: &base {a: 1}\n  other:merged:\n    <<: *base\n    b: 2\n"
    )
    assert read_stack_config(path) == {
        "other:when": "2024-01-01",
        "other:n": 5,
        "other:s": "5",
        "other:base": {"a": 1},
        "other:merged": {"a": 1, "b": 2},
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("region", "x" * 300_000),
        ("accountId", "1" * 100_000),
        (
            "cluster",
            {"name": "c", "oidcProviderArn": "arn:aws:iam::1:" + "y" * 500_000, "oidcIssuerUrl": "z"},
        ),
        ("apps", [{"name": "n" * 300_000, "namespace": "ns"}]),
        ("unknownSetting" + "k" * 100_000, 1),
    ],
)
def test_errors_quote_a_short_prefix_of_a_huge_value(tmp_path: Path, key: str, value: Any) -> None:
    values = stage_values()
    values[key] = value
    path = tmp_path / "Pulumi.fuzz.yaml"
    path.write_bytes(_stack_file(values))
    with pytest.raises(UserError) as caught:
        plan_stage(read_stack_config(path), "fuzz", source=str(path))
    for line in str(caught.value).splitlines():
        assert line.startswith(f"{path}: ")
        assert len(line) < MAX_LINE, line[:300]
