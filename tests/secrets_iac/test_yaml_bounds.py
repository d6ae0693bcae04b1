"""Bounded YAML: the nesting and aliasing limits at their edges, on both composers (libyaml, ruamel)."""

from __future__ import annotations

import pytest

from secrets_iac.rules.limits import MAX_NESTING
from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.stores.yaml_read import load_yaml
from tests.fuzz import alias_bomb, deep_flow


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "ruamel"])
def test_nesting_up_to_the_limit_is_read_and_one_more_is_refused(fast: bool) -> None:
    assert load_yaml(deep_flow(MAX_NESTING - 1), "t", fast=fast)  # the top map plus 99 lists: 100 levels
    with pytest.raises(FormatError, match=f"t: line 1: maps and lists nested deeper than {MAX_NESTING}"):
        load_yaml(deep_flow(MAX_NESTING), "t", fast=fast)


@pytest.mark.parametrize(
    ("fast", "depth"),
    [(True, 3000), (False, 700)],  # ruamel (used only without libyaml) scans flow depth in quadratic time
    ids=["libyaml", "ruamel"],
)
def test_hundreds_of_levels_are_one_error_on_either_composer(fast: bool, depth: int) -> None:
    """libyaml stops at 1000 levels itself; ruamel's composer recurses until Python's limit."""
    with pytest.raises(FormatError, match=r"t: .*nest"):
        load_yaml(deep_flow(depth), "t", fast=fast)


def test_anchors_sharing_a_block_of_settings_are_fine() -> None:
    block = "defaults: &defaults {" + ", ".join(f"k{i}: v{i}" for i in range(20)) + "}\n"
    uses = "".join(f"app{i}:\n  <<: *defaults\n  name: app{i}\n" for i in range(50))
    assert load_yaml((block + uses).encode(), "t")


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "ruamel"])
def test_alias_bombs_are_refused_on_either_composer(fast: bool) -> None:
    with pytest.raises(
        FormatError, match="excessive aliasing: YAML aliases would expand 29 nodes to 1234567909"
    ):
        load_yaml(alias_bomb(9), "t", fast=fast)


def test_an_anchor_does_not_reach_into_the_next_document() -> None:
    documents = b"a: &a [1, 2, 3]\n---\nb: *a\n"
    with pytest.raises(FormatError, match="not valid YAML: found undefined alias"):
        load_yaml(documents, "t")
