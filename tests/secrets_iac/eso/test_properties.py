"""How ESO finds `remoteRef.property` in a JSON value (shared by the sync's value checks and verify)."""

from __future__ import annotations

import pytest

from secrets_iac.eso.properties import MISSING, UNKNOWN, find_property, split_path
from secrets_iac.review.resolve import PropertyMissing, PropertyUnsupported, json_property

DOCUMENT = {"tls.crt": "PEM", "db": {"host": "h", "ports": [5432, 5433]}, "a.b": {"c": 1}, "x": {"y.z": 2}}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("tls.crt", "PEM"),  # the whole property as one literal key first
        ("db.host", "h"),
        ("db.ports.1", 5433),
        ("x.y\\.z", 2),  # an escaped dot is part of the key
        ("db", {"host": "h", "ports": [5432, 5433]}),
    ],
)
def test_found(path: str, found: object) -> None:
    assert find_property(DOCUMENT, path) == found


@pytest.mark.parametrize("path", ["db.user", "db.ports.2", "db.ports.x", "tls", "nope.x"])
def test_missing(path: str) -> None:
    assert find_property(DOCUMENT, path) is MISSING


@pytest.mark.parametrize("path", ["db.ports.#", "db|@reverse", "db.*", "db.ho?t"])
def test_gjson_query_syntax_is_unknown_never_missing(path: str) -> None:
    assert find_property(DOCUMENT, path) is UNKNOWN


def test_split_path() -> None:
    assert split_path("a.b\\.c.d") == ["a", "b.c", "d"]


def test_verify_reads_the_text_eso_would_write() -> None:
    value = '{"db": {"port": 5432, "tags": ["a"]}, "s": "x"}'
    assert json_property(value, "db.port") == "5432"
    assert json_property(value, "db.tags") == '["a"]'
    assert json_property(value, "s") == "x"
    with pytest.raises(PropertyMissing):
        json_property(value, "db.user")
    with pytest.raises(PropertyUnsupported):
        json_property(value, "db.tags.#")
    with pytest.raises(PropertyMissing, match="not JSON"):
        json_property("plain", "x")
