"""Go durations as ESO reads refreshInterval and retryInterval (`time.ParseDuration`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from secrets_iac.rules.durations import duration_nanoseconds, is_go_duration, is_interval, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("0s", timedelta(0)),
        ("1h", timedelta(hours=1)),
        ("1h0m0s", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        (".5s", timedelta(milliseconds=500)),
        ("1.s", timedelta(seconds=1)),
        ("250ms", timedelta(milliseconds=250)),
        ("10us", timedelta(microseconds=10)),
        ("10\u00b5s", timedelta(microseconds=10)),
        ("-1m", timedelta(minutes=-1)),
        ("+2m", timedelta(minutes=2)),
    ],
)
def test_parse_duration_accepts_go_syntax(text: str, expected: timedelta) -> None:
    assert is_go_duration(text)
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "1", "60", "h", "1d", "1 h", "1h 30m", ".s", "1hh", "one hour", "1H", "9999999999h", "--1s"]
)
def test_is_go_duration_rejects_what_go_rejects(text: str) -> None:
    assert not is_go_duration(text)
    with pytest.raises(ValueError, match="Go duration"):
        parse_duration(text)


def test_is_go_duration_rejects_non_strings() -> None:
    assert not is_go_duration(60)
    assert not is_go_duration(None)


def test_duration_nanoseconds_precision() -> None:
    assert duration_nanoseconds("1h2m3s4ms5us6ns") == 3723_004_005_006
    assert duration_nanoseconds("2562047h47m16.854775807s") == (1 << 63) - 1


def test_interval_is_a_non_negative_duration() -> None:
    assert is_interval("0s") and is_interval("1h30m") and is_interval("+5m")
    assert not is_interval("-5m") and not is_interval("60") and not is_interval(60)
