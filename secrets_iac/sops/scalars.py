"""Leaf values of a SOPS tree and their Go-compatible text forms.

sops is written in Go: the bytes it encrypts and hashes for a number, a bool or a timestamp are
Go's `strconv`/`time` formats, and YAML scalars are typed the yaml.v3 way. A Python port must
reproduce those forms exactly or the MAC and the real sops disagree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment line; `text` is the line without its leading `#` (a leading space is kept)."""

    text: str


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A YAML timestamp (sops type `time`), kept as Go's RFC3339Nano text so no precision is lost."""

    text: str


Scalar = str | bytes | int | float | bool | Timestamp | Comment | None


# --- Go float formatting ------------------------------------------------------------------------


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits and Go's decimal-point position `dp` (0.d1d2... * 10**dp)."""
    sign_digits = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(str(d) for d in sign_digits.digits).lstrip("0")
    exponent = int(sign_digits.exponent)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    if not stripped:
        return "0", 1
    return stripped, len(stripped) + exponent


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return None


def _fixed(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * (-dp) + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _exponent(digits: str, dp: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = dp - 1
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _sign(value: float) -> str:
    return "-" if math.copysign(1.0, value) < 0 else ""


def go_format_float_f(value: float) -> str:
    """`strconv.FormatFloat(v, 'f', -1, 64)`: what sops encrypts and hashes for a float."""
    special = _special(value)
    if special is not None:
        return special
    if value == 0:
        return _sign(value) + "0"
    digits, dp = _shortest_digits(value)
    return _sign(value) + _fixed(digits, dp)


def go_format_float_g(value: float) -> str:
    """`strconv.FormatFloat(v, 'g', -1, 64)`: how yaml.v3 writes a float (`1.234568e+09`)."""
    special = _special(value)
    if special is not None:
        return special
    if value == 0:
        return _sign(value) + "0"
    digits, dp = _shortest_digits(value)
    exp = dp - 1
    # For the shortest form Go decides on %e with precision 6.
    if exp < -4 or exp >= 6:
        return _sign(value) + _exponent(digits, dp)
    return _sign(value) + _fixed(digits, dp)


def go_json_float(value: float) -> str:
    """encoding/json's float64 form: %f unless |v| < 1e-6 or >= 1e21, then %e with `e-7` not `e-07`."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("JSON cannot hold NaN or infinity")
    if value == 0:
        return _sign(value) + "0"
    digits, dp = _shortest_digits(value)
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        text = _sign(value) + _exponent(digits, dp)
        return re.sub(r"e([-+])0(\d)$", r"e\1\2", text)
    return _sign(value) + _fixed(digits, dp)


def yaml_float_text(value: float) -> str:
    """The plain scalar yaml.v3 writes for a float."""
    text = go_format_float_g(value)
    return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)


# strconv.ParseFloat's decimal syntax: a mantissa with at least one digit, an exponent whose first
# character is a digit; underscores may sit anywhere here and are then checked by `_underscores_ok`.
_GO_DECIMAL_FLOAT = re.compile(r"[+-]?(?=\.?[0-9_]*[0-9])[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9][0-9_]*)?")
_GO_INFINITY = re.compile(r"[+-]?(?:inf|infinity)", re.IGNORECASE)


def _underscores_ok(text: str) -> bool:
    """Go's `underscoreOK`: every underscore sits between two digits (or after a base prefix)."""
    body = text[1:] if text[:1] in "+-" else text
    saw = "^"  # ^ start, 0 digit or base prefix, _ underscore, ! anything else
    index = 0
    hexadecimal = False
    if len(body) >= 2 and body[0] == "0" and body[1].lower() in "box":
        index, saw, hexadecimal = 2, "0", body[1].lower() == "x"
    for char in body[index:]:
        if "0" <= char <= "9" or (hexadecimal and "a" <= char.lower() <= "f"):
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def go_parse_float(text: str) -> float:
    """`strconv.ParseFloat(s, 64)` for decimal text (sops and yaml.v3 never pass hex floats): Go's
    underscores between digits, `inf`/`infinity`/`nan` in any case, and an error, not infinity,
    when the value is out of range."""
    if _GO_INFINITY.fullmatch(text):
        return -math.inf if text[0] == "-" else math.inf
    if text.lower() == "nan":
        return math.nan
    if not _GO_DECIMAL_FLOAT.fullmatch(text) or ("_" in text and not _underscores_ok(text)):
        raise ValueError(f"not a float: {text!r}")
    value = float(text.replace("_", ""))
    if math.isinf(value):
        raise ValueError(f"float out of range: {text!r}")
    return value


_GO_INT = re.compile(r"[+-]?\d+")


def go_parse_int(text: str) -> int:
    """`strconv.Atoi`: an optional sign and decimal digits only."""
    if not _GO_INT.fullmatch(text):
        raise ValueError("not an int")
    return int(text)


_GO_BOOLS = {
    "1": True,
    "t": True,
    "T": True,
    "TRUE": True,
    "true": True,
    "True": True,
    "0": False,
    "f": False,
    "F": False,
    "FALSE": False,
    "false": False,
    "False": False,
}


def go_parse_bool(text: str) -> bool:
    """`strconv.ParseBool`."""
    try:
        return _GO_BOOLS[text]
    except KeyError:
        raise ValueError("not a bool") from None


# --- timestamps -----------------------------------------------------------------------------------

_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    limit = 29 if month == 2 and leap else (28 if month == 2 else _DAYS[month - 1])
    return day <= limit


def _canonical_time(
    year: int, month: int, day: int, hour: int, minute: int, second: int, fraction: str, zone: str
) -> str | None:
    if not _valid_date(year, month, day) or hour > 23 or minute > 59 or second > 59:
        return None
    frac = fraction.rstrip("0")
    frac_text = "." + frac if frac else ""
    if zone in ("", "Z") or zone[1:] == "00:00":
        zone_text = "Z"
    else:
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            return None
        zone_text = zone
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac_text}{zone_text}"


# yaml.v3 layouts: 2006-1-2T15:4:5.999999999Z07:00 (also with "t"), "2006-1-2 15:4:5.999999999", "2006-1-2".
_YAML_TS = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?))?"
)


def parse_yaml_timestamp(text: str) -> Timestamp | None:
    """A plain YAML scalar that yaml.v3 reads as a timestamp, as sops's RFC3339Nano text; else None."""
    match = _YAML_TS.fullmatch(text)
    if match is None:
        return None
    g = match.groups()
    year, month, day = int(g[0]), int(g[1]), int(g[2])
    if g[3] is not None:
        hour, minute, second, fraction, zone = int(g[3]), int(g[4]), int(g[5]), g[6] or "", g[7]
    elif g[8] is not None:
        hour, minute, second, fraction, zone = int(g[8]), int(g[9]), int(g[10]), g[11] or "", ""
    else:
        hour = minute = second = 0
        fraction, zone = "", ""
    canonical = _canonical_time(year, month, day, hour, minute, second, fraction, zone)
    return None if canonical is None else Timestamp(canonical)


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_rfc3339(text: str) -> Timestamp:
    """Go `time.UnmarshalText` (RFC3339 with an optional fraction), as canonical RFC3339Nano."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("not an RFC3339 time")
    g = match.groups()
    zone = "Z" if g[7] in ("Z", "z") else g[7]
    canonical = _canonical_time(
        int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]), g[6] or "", zone
    )
    if canonical is None:
        raise ValueError("not a valid time")
    return Timestamp(canonical)


def normalize_lastmodified(text: str) -> str:
    """Go `time.Parse(RFC3339, s).Format(RFC3339)`: the MAC's AAD. Drops a fraction, `+00:00` → `Z`."""
    stamp = parse_rfc3339(text).text
    return re.sub(r"\.\d+(?=Z|[+-])", "", stamp)


# --- yaml.v3 scalar typing --------------------------------------------------------------------------

_YAML_NULL = {"", "~", "null", "Null", "NULL"}
_YAML_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_YAML_SPECIAL_FLOAT = {
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _go_parse_int_base0(text: str) -> int | None:
    """`strconv.ParseInt(s, 0, 64)` after yaml.v3 removed underscores; None when it does not parse."""
    body = text
    sign = 1
    if body[:1] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    lower = body.lower()
    try:
        if lower.startswith("0x"):
            value = int(body[2:], 16)
        elif lower.startswith("0o"):
            value = int(body[2:], 8)
        elif lower.startswith("0b"):
            value = int(body[2:], 2)
        elif len(body) > 1 and body[0] == "0":
            value = int(body[1:], 8)
        else:
            if not body.isdigit() or not body.isascii():
                return None
            value = int(body)
    except ValueError:
        return None
    if not body.replace("_", "").isascii():
        return None
    return sign * value


class YamlTypingError(ValueError):
    """A plain scalar yaml.v3 types as something sops cannot hold (an integer beyond int64)."""


def _parsed_float(text: str) -> float | None:
    try:
        return go_parse_float(text)
    except ValueError:
        return None


def resolve_plain_scalar(text: str) -> Scalar:
    """Type a plain (unquoted) YAML scalar the way yaml.v3's `resolve` does (spec §2.1), not the
    YAML 1.1 way. Its first character decides what it may be: after the fixed words (null, bools,
    .inf, .nan), a leading `.` can only be a float, read by Go's ParseFloat as written (so `.0_` is a
    string); a leading sign or digit can be a timestamp, an int or a float with underscores dropped
    first; anything else is a string. A float out of range stays a string, as in yaml.v3."""
    if text in _YAML_NULL:
        return None
    if text in _YAML_BOOL:
        return _YAML_BOOL[text]
    if text in _YAML_SPECIAL_FLOAT:
        return _YAML_SPECIAL_FLOAT[text]
    first = text[0]
    if first == ".":
        number = _parsed_float(text)
        return text if number is None else number
    if first in "+-0123456789":
        stamp = parse_yaml_timestamp(text)
        if stamp is not None:
            return stamp
        plain = text.replace("_", "")
        if re.fullmatch(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)", plain):
            value = _go_parse_int_base0(plain)
            if value is not None:
                if value > _INT64_MAX and value <= 2**64 - 1:
                    raise YamlTypingError("integer does not fit in int64")
                if _INT64_MIN <= value <= _INT64_MAX:
                    return value
        if _YAML_FLOAT.fullmatch(plain):
            number = _parsed_float(plain)
            if number is not None:
                return number
        signed = re.fullmatch(r"0([bo])([-+][0-9]+)", plain)
        if signed:  # yaml.v3 retries `0b`/`0o` with strconv.ParseInt(rest, base): `0b-1` is -1
            try:
                value = int(signed.group(2), 2 if signed.group(1) == "b" else 8)
            except ValueError:
                return text
            if _INT64_MIN <= value <= _INT64_MAX:
                return value
    return text


def to_bytes(value: Scalar) -> bytes:
    """sops `ToBytes`: the plaintext bytes encrypted for a value and fed to the MAC."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return go_format_float_f(value).encode()
    if isinstance(value, Timestamp):
        return value.text.encode()
    if isinstance(value, Comment):
        return value.text.encode("utf-8", "surrogateescape")
    raise TypeError(f"cannot convert {type(value).__name__} to bytes")


def type_name(value: Scalar) -> str:
    """The `type:` tag sops writes for a value."""
    if isinstance(value, str | bytes):
        return "str"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Timestamp):
        return "time"
    if isinstance(value, Comment):
        return "comment"
    raise TypeError(f"cannot encrypt {type(value).__name__}")
