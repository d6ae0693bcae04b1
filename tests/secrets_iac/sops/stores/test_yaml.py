"""YAML reading and writing: comments placed by column (their AAD depends on it), sops's style."""

from __future__ import annotations

import pytest

from secrets_iac.sops.errors import FormatError
from secrets_iac.sops.scalars import Comment
from secrets_iac.sops.stores.yaml_read import load_yaml
from secrets_iac.sops.stores.yaml_write import dump_yaml
from secrets_iac.sops.tree import TreeMap, to_plain

SOURCE = b"""\
# head
a: 1 # inline a
b:
  # before c
  c: x
  # after c, still in b
# back at top
d:
  - 1 # item
  # between items
  - k: v
e: 'q # not a comment'
f: |
  # not a comment either
"""


def test_comments_belong_to_the_map_or_list_by_column() -> None:
    (branch,) = load_yaml(SOURCE, "t")
    assert branch.items[0] == Comment(" head")
    assert branch.items[1] == Comment(" inline a")
    b = branch.get("b")
    assert (
        isinstance(b, TreeMap)
        and b.items[0] == Comment(" before c")
        and b.items[2] == Comment(" after c, still in b")
    )
    assert Comment(" back at top") in branch.items
    d = branch.get("d")
    assert isinstance(d, list) and d[0] == Comment(" item") and d[2] == Comment(" between items")
    assert branch.get("e") == "q # not a comment" and branch.get("f") == "# not a comment either\n"


def test_sops_style_output() -> None:
    out = dump_yaml(load_yaml(SOURCE, "t")).decode()
    assert out.splitlines()[:8] == [
        "# head",
        "# inline a",
        "a: 1",
        "b:",
        "    # before c",
        "    c: x",
        "    # after c, still in b",
        "# back at top",
    ]
    assert "e: 'q # not a comment'" in out and "f: |\n    # not a comment either\n" in out
    assert dump_yaml(load_yaml(out.encode(), "t")).decode() == out


def test_multi_document_and_empty_document() -> None:
    branches = load_yaml(b"a: 1\n---\n---\nb: [x, 'yes', 1e+21]\n", "t")
    assert [to_plain(b) for b in branches] == [{"a": 1}, {}, {"b": ["x", "yes", 1e21]}]
    assert dump_yaml(branches) == b'a: 1\n---\n{}\n---\nb:\n    - x\n    - "yes"\n    - 1e+21\n'


@pytest.mark.parametrize(
    "text", [b"- a\n- b\n", b"a: 1\na: 2\n", b"1: x\n", b"a: [\n", b"a: &x [*x]\n", b"\xff: 1\n"]
)
def test_invalid_documents_are_refused(text: bytes) -> None:
    with pytest.raises(FormatError):
        load_yaml(text, "t")


def test_aliases_are_expanded() -> None:
    (branch,) = load_yaml(b"base: &b {x: 1}\ncopy: *b\n", "t")
    assert to_plain(branch) == {"base": {"x": 1}, "copy": {"x": 1}}


def _yaml_vectors() -> list[str]:
    return [
        "example.yaml",
        "plain/example.yaml",
        *(
            f"generated/{kind}/{name}"
            for kind in ("input", "enc", "dec")
            for name in ("basic.yaml", "suffix.yaml")
        ),
    ]


@pytest.mark.parametrize("name", _yaml_vectors())
def test_libyaml_and_ruamel_composers_agree(name: str) -> None:
    from tests.conftest import shared_path

    data = shared_path("vectors", "sops", *name.split("/")).read_bytes()
    assert load_yaml(data, "t", fast=True) == load_yaml(data, "t", fast=False)


def test_composers_agree_on_tricky_input() -> None:
    assert load_yaml(SOURCE, "t", fast=True) == load_yaml(SOURCE, "t", fast=False)
