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


# `k: <value>` as the real sops 3.11 prints it (`sops decrypt`, through yaml.v3); test_interop.py
# checks this table against the binary. yaml.v3 is not libyaml: NEL and characters beyond U+FFFF are
# not printable to it, a tab allows a literal block, LS/PS are raw line breaks in quotes, a leading BOM
# escapes every character, and a NBSP is written as it is.
YAML_V3_RENDERINGS: dict[str, bytes] = {
    "\n\x85": b'k: "\\n\\N"\n',  # was a literal block holding a raw NEL, read back as ''
    "x\x85y": b'k: "x\\Ny"\n',
    "a\nb\x85c\n": b'k: "a\\nb\\Nc\\n"\n',  # was a literal block no reader accepted
    "a\r\nb": b'k: "a\\r\\nb"\n',
    "a\n\tb": b"k: |-\n    a\n    \tb\n",
    "\U0001f600": b'k: "\\U0001F600"\n',
    "a\n\U0001f600": b'k: "a\\n\\U0001F600"\n',
    "\ufeffa": b'k: "\\uFEFF\\x61"\n',
    "a\u2028b": "k: 'a\u2028    b'\n".encode(),
    "\u2029": "k: '\u2029'\n".encode(),
    "a\xa0": "k: a\xa0\n".encode(),
    "\xa0\r": 'k: "\xa0\\r"\n'.encode(),
    " a\nb": b"k: |4-\n     a\n    b\n",
    "\nx": b"k: |4-\n\n    x\n",
    "x\n\n": b"k: |+\n    x\n\n",
    "\x7f": b'k: "\\x7F"\n',
    "a: b": b"k: 'a: b'\n",
    ".0_": b"k: .0_\n",
    "1e999": b"k: 1e999\n",
    "0b-1": b'k: "0b-1"\n',
    "1:20": b'k: "1:20"\n',
}

# Where we write otherwise than yaml.v3, in a form every reader (yaml.v3, libyaml, ruamel) reads back.
OUR_RENDERINGS: dict[str, bytes] = {
    # yaml.v3 writes LS/PS raw in the block; ruamel does not read them as line breaks there.
    "a\nb\u2028c": b'k: "a\\nb\\Lc"\n',
    # yaml.v3 omits the indentation digit before a tab, and the real sops then prints `k: null`.
    "\tx\ny": b"k: |4-\n    \tx\n    y\n",
}


@pytest.mark.parametrize(("value", "expected"), [*YAML_V3_RENDERINGS.items(), *OUR_RENDERINGS.items()])
def test_strings_are_written_as_yaml_v3_writes_them(value: str, expected: bytes) -> None:
    written = dump_yaml([TreeMap([("k", value)])])
    assert written == expected
    for fast in (True, False):
        assert to_plain(load_yaml(written, "t", fast=fast)[0]) == {"k": value}


def test_keys_are_typed_as_yaml_v3_types_them() -> None:
    """The real sops writes `.0_` unquoted (yaml.v3 reads it as a string); only keys yaml.v3 reads as
    numbers are refused, as sops refuses them ("Tree contains a non-string key")."""
    text = b".0_: a\n._0: b\n.5_e1: c\n1e999: d\n"
    for fast in (True, False):
        (branch,) = load_yaml(text, "t", fast=fast)
        assert to_plain(branch) == {".0_": "a", "._0": "b", ".5_e1": "c", "1e999": "d"}
        assert dump_yaml([branch]) == text
    for number in (b".0_0", b"1_0.5", b"1e-400"):
        with pytest.raises(FormatError, match="line 1: non-string key"):
            load_yaml(number + b": x\n", "t")


def test_comments_after_a_raw_line_separator_keep_their_place() -> None:
    """libyaml and yaml.v3 break lines at LS/PS/NEL (the real sops writes them raw in quotes), ruamel
    does not: comment lines are counted each composer's way, so both place them as sops does."""
    text = (
        "a:\n    b: 'x\u2028        y'\n    # in a\nc: 1 # inline c\nd:\n"
        "    - 'p\u2029      q'\n    # in d\n    - r\ne: 1 # inline e\n"
    ).encode()
    expected = [
        (
            "a",
            TreeMap([("b", "x\u2028y"), Comment(" in a")]),
        ),
        Comment(" inline c"),
        ("c", 1),
        ("d", ["p\u2029q", Comment(" in d"), "r"]),
        Comment(" inline e"),
        ("e", 1),
    ]
    for fast in (True, False):
        (branch,) = load_yaml(text, "t", fast=fast)
        assert branch.items == expected


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
