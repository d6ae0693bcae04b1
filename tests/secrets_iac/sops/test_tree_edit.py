"""sops's index syntax and Set/Unset on the document tree (sops.go), with refusals where sops has none."""

from __future__ import annotations

import pytest

from secrets_iac.sops.errors import IndexFormatError, KeyNotFoundError, SopsError
from secrets_iac.sops.scalars import Comment
from secrets_iac.sops.stores.yaml_read import load_yaml
from secrets_iac.sops.stores.yaml_write import dump_yaml
from secrets_iac.sops.tree import TreeMap, to_plain
from secrets_iac.sops.tree_edit import (
    identical,
    index_text,
    parse_index,
    parse_value,
    set_value,
    split_index_and_value,
    unset_value,
)

DOC = (
    "# head\napp:\n    db:\n        user: admin\n"
    "    hosts:\n        - a\n        # between\n        - b\nport: 5432\n"
)


def _doc() -> TreeMap:
    return load_yaml(DOC.encode(), "t")[0]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ('["app"]', ("app",)),
        ("['app']['db'][0]", ("app", "db", 0)),
        ('["a b"]["x.y"][12]', ("a b", "x.y", 12)),
        ('[""]', ("",)),
    ],
)
def test_parse_index(text: str, parts: tuple[object, ...]) -> None:
    assert parse_index(text) == parts
    assert parse_index(index_text(parts)) == parts  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "app", '["app"', '["app]', "[-1]", "[x]", '["a"] ["b"]', "[1.5]"])
def test_parse_index_refuses(text: str) -> None:
    with pytest.raises(IndexFormatError) as caught:
        parse_index(text)
    assert caught.value.exit_code == 7


def test_values_are_json_decoded_like_sops() -> None:
    assert parse_value('"text"') == "text"
    assert parse_value("5") == 5.0 and isinstance(parse_value("5"), float)
    assert parse_value("true") is True and parse_value("null") is None
    mapping = parse_value(b'{"b": 1, "a": [1, {"c": "d"}]}')
    assert isinstance(mapping, TreeMap) and mapping.keys() == ["b", "a"]
    assert to_plain(mapping) == {"b": 1.0, "a": [1.0, {"c": "d"}]}
    assert parse_value('"\\ud800x"') == "\ufffdx"


@pytest.mark.parametrize("text", ["hunter2", "'x'", "NaN", "", '{"a": 1', b"\xff"])
def test_bad_values_are_refused_without_echo(text: str | bytes) -> None:
    with pytest.raises(IndexFormatError) as caught:
        parse_value(text)
    assert "hunter2" not in str(caught.value) and caught.value.exit_code == 7


def test_one_string_form_splits_after_the_index() -> None:
    assert split_index_and_value('["a"]["b"] {"x": "] y"}') == ('["a"]["b"]', '{"x": "] y"}')
    with pytest.raises(IndexFormatError):
        split_index_and_value('["a"]')


def test_set_replaces_appends_and_builds_like_sops() -> None:
    root, changed = set_value(_doc(), ("app", "db", "user"), "root")
    assert changed and to_plain(root)["app"]["db"]["user"] == "root"
    root, changed = set_value(root, ("app", "db", "password"), "pw")
    assert changed and list(to_plain(root)["app"]["db"]) == ["user", "password"]
    root, changed = set_value(root, ("new", "list", 3, "k"), True)
    assert to_plain(root)["new"] == {"list": [{"k": True}]}
    root, changed = set_value(root, ("app", "hosts", 1), "B")
    assert to_plain(root)["app"]["hosts"] == ["a", "B"]  # positions skip the comment
    root, changed = set_value(root, ("app", "hosts", 9), "c")
    assert to_plain(root)["app"]["hosts"] == ["a", "B", "c"]
    root, changed = set_value(root, ("port", "inner"), "x")  # a scalar in the way is replaced
    assert to_plain(root)["port"] == {"inner": "x"}
    assert b"# head" in dump_yaml([root]) and b"# between" in dump_yaml([root])


def test_set_reports_no_change_only_for_the_same_type() -> None:
    assert set_value(_doc(), ("app", "db", "user"), "admin")[1] is False
    assert set_value(_doc(), ("port",), 5432.0)[1] is True  # int 5432 and float 5432 differ, as in Go
    assert set_value(_doc(), ("port",), 5432)[1] is False


def test_set_never_changes_the_input_tree() -> None:
    doc = _doc()
    before = dump_yaml([doc])
    set_value(doc, ("app", "db", "user"), "x")
    set_value(doc, ("app", "hosts", 0), "x")
    assert dump_yaml([doc]) == before


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ((0,), "the document is a mapping"),
        (("app", "hosts", "first"), 'is a list; ["first"] needs a mapping'),
        (("app", "db", 0), '["app"]["db"] is a mapping'),
        (("sops",), "metadata"),
    ],
)
def test_set_refuses_what_sops_would_panic_on_or_drop(index: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(SopsError, match=message.replace("[", r"\[")):
        set_value(_doc(), index, "x")


def test_unset() -> None:
    root = unset_value(_doc(), ("app", "db", "user"))
    assert to_plain(root)["app"]["db"] == {}
    root = unset_value(root, ("app", "hosts", 1))
    assert to_plain(root)["app"]["hosts"] == ["a"]
    root = unset_value(root, ("port",))
    assert "port" not in to_plain(root)
    assert any(isinstance(item, Comment) for item in root.items)


@pytest.mark.parametrize(
    ("index", "error"),
    [
        (("nope",), KeyNotFoundError),
        (("app", "hosts", 2), KeyNotFoundError),
        (("port", "x"), SopsError),
        (("app", 0), SopsError),
    ],
)
def test_unset_refuses(index: tuple[str | int, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        unset_value(_doc(), index)


def test_identical_is_type_strict() -> None:
    assert identical([1, "a"], [1, "a"])
    assert not identical(1, 1.0) and not identical(1, True) and not identical(0.0, False)
    assert identical(float("nan"), float("nan"))
    assert not identical(TreeMap([("a", 1)]), TreeMap([("a", 1), Comment(" c")]))
