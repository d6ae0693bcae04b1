"""Go-compatible text forms and yaml.v3 scalar typing (spec §1.2, §2.1)."""

from __future__ import annotations

import math

import pytest

from secrets_iac.sops.scalars import (
    Comment,
    Timestamp,
    YamlTypingError,
    go_format_float_f,
    go_format_float_g,
    go_json_float,
    go_parse_bool,
    normalize_lastmodified,
    parse_rfc3339,
    resolve_plain_scalar,
    to_bytes,
    type_name,
)


@pytest.mark.parametrize(
    ("value", "f", "g", "js"),
    [
        (1.0, "1", "1", "1"),
        (1.5e21, "1500000000000000000000", "1.5e+21", "1.5e+21"),
        (1e-6, "0.000001", "1e-06", "0.000001"),
        (1e-7, "0.0000001", "1e-07", "1e-7"),
        (-0.0, "-0", "-0", "-0"),
        (1234568000.0, "1234568000", "1.234568e+09", "1234568000"),
        (123456.0, "123456", "123456", "123456"),
        (0.1 + 0.2, "0.30000000000000004", "0.30000000000000004", "0.30000000000000004"),
    ],
)
def test_go_float_formats(value: float, f: str, g: str, js: str) -> None:
    assert go_format_float_f(value) == f
    assert go_format_float_g(value) == g
    assert go_json_float(value) == js


def test_go_special_floats() -> None:
    assert go_format_float_f(math.inf) == "+Inf"
    assert go_format_float_f(-math.inf) == "-Inf"
    assert go_format_float_f(math.nan) == "NaN"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("true", True),
        ("False", False),
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("0755", 493),
        ("1_000", 1000),
        ("09", 9.0),
        ("1e+21", 1e21),
        ("1e-7", 1e-7),
        (".5", 0.5),
        ("~", None),
        ("null", None),
        ("", None),
        ("2024-01-01", Timestamp("2024-01-01T00:00:00Z")),
        ("2006-01-02T15:04:05+07:00", Timestamp("2006-01-02T15:04:05+07:00")),
        ("2006-1-2t15:4:5.123456789Z", Timestamp("2006-01-02T15:04:05.123456789Z")),
        ("2001-12-14 21:59:43.10", Timestamp("2001-12-14T21:59:43.1Z")),
        ("2024-02-30", "2024-02-30"),
        ("99999999999999999999", 1e20),
        ("-", "-"),
        ("hello world", "hello world"),
        # A leading `.` goes to Go's strconv.ParseFloat as written: underscores only between digits.
        (".0_", ".0_"),
        ("._0", "._0"),
        (".5_e1", ".5_e1"),
        (".5e_1", ".5e_1"),
        (".0_0", 0.0),
        (".5e1_0", 5e9),
        (".5E3", 500.0),
        # A sign or digit first: underscores are dropped, then the float must parse in range.
        ("1_0.5", 10.5),
        ("1.5_", 1.5),
        ("0_8", 8.0),
        ("-.5_5", -0.55),
        ("1__0", 10),
        ("0x1_0", 16),
        ("1e-400", 0.0),
        ("1e999", "1e999"),
        ("-1e999", "-1e999"),
        (".1e999", ".1e999"),
        ("_1", "_1"),
        ("0b-1_0", -2),  # yaml.v3 retries `0b`/`0o` with a signed rest
        ("0o+17", 15),
        ("0b-2", "0b-2"),
        ("0B-1", "0B-1"),
    ],
)
def test_yaml_v3_typing(text: str, expected: object) -> None:
    value = resolve_plain_scalar(text)
    assert value == expected and type(value) is type(expected)


def test_uint64_is_refused_like_sops() -> None:
    with pytest.raises(YamlTypingError):
        resolve_plain_scalar("18446744073709551615")


def test_to_bytes_and_type_names() -> None:
    assert to_bytes(True) == b"True" and type_name(True) == "bool"
    assert to_bytes(31) == b"31" and type_name(31) == "int"
    assert to_bytes(1.5e21) == b"1500000000000000000000" and type_name(1.0) == "float"
    assert to_bytes(Timestamp("2024-01-01T00:00:00Z")) == b"2024-01-01T00:00:00Z"
    assert to_bytes(Comment(" c")) == b" c" and type_name(Comment("")) == "comment"
    assert to_bytes(b"\xff") == b"\xff" and type_name(b"") == "str"


def test_parse_bool_accepts_go_forms() -> None:
    assert [go_parse_bool(t) for t in ("1", "t", "TRUE", "0", "f", "False")] == [True] * 3 + [False] * 3
    with pytest.raises(ValueError):
        go_parse_bool("yes")


def test_lastmodified_normalisation() -> None:
    assert normalize_lastmodified("2022-03-15T22:11:09.5Z") == "2022-03-15T22:11:09Z"
    assert normalize_lastmodified("2022-03-15T22:11:09+00:00") == "2022-03-15T22:11:09Z"
    assert normalize_lastmodified("2022-03-15T23:11:09+01:00") == "2022-03-15T23:11:09+01:00"
    with pytest.raises(ValueError):
        parse_rfc3339("2022-03-15 22:11:09")
