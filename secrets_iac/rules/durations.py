"""Go durations (`time.ParseDuration`), as ESO reads `refreshInterval` and `retryInterval`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Final

_UNITS_NS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "ns": 1,
        "us": 1_000,
        "\u00b5s": 1_000,  # µ MICRO SIGN
        "\u03bcs": 1_000,  # μ GREEK SMALL LETTER MU
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60 * 1_000_000_000,
        "h": 3600 * 1_000_000_000,
    }
)
_TERM = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_DURATION = re.compile(r"^[-+]?(0|(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$")
_MAX_NS: Final = (1 << 63) - 1


def duration_nanoseconds(text: str) -> int:
    """Parse a Go duration string (``time.ParseDuration`` grammar) into nanoseconds.

    Accepts what Go accepts: an optional sign, then ``0`` or one or more ``<number><unit>`` terms
    with units ns, us/µs, ms, s, m, h (``"1h30m"``, ``"1.5h"``, ``".5s"``). A bare number other
    than ``0`` has no unit and is rejected, as in Go. Raises ``ValueError``.
    """
    if not isinstance(text, str) or not _DURATION.match(text):
        raise ValueError(f"not a Go duration (e.g. '1h', '30m', '1h30m', '0s'): {text!r}")
    negative = text.startswith("-")
    body = text.lstrip("+-")
    if body == "0":
        return 0
    total = Fraction(0)
    for number, unit in _TERM.findall(body):
        total += Fraction(number) * _UNITS_NS[unit]
    nanos = int(total)  # Go truncates fractional nanoseconds
    if nanos > _MAX_NS + (1 if negative else 0):
        raise ValueError(f"Go duration out of range (max about 2562047h): {text!r}")
    return -nanos if negative else nanos


def parse_duration(text: str) -> timedelta:
    """A Go duration as a ``timedelta`` (sub-microsecond parts dropped); ``ValueError`` where Go refuses."""
    return timedelta(microseconds=duration_nanoseconds(text) // 1_000)


def is_go_duration(text: object) -> bool:
    """True if ``text`` is a string Go's ``time.ParseDuration`` accepts (negative durations included)."""
    if not isinstance(text, str):
        return False
    try:
        duration_nanoseconds(text)
    except ValueError:
        return False
    return True


def is_interval(text: object) -> bool:
    """A refresh or retry interval: a Go duration that is not negative."""
    return is_go_duration(text) and not str(text).startswith("-")
