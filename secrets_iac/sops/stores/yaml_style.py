"""How one string is written in YAML: yaml.v3's choice of style and its characters, ported.

sops writes YAML through yaml.v3, so writing strings as yaml.v3 does makes our output what
`sops decrypt` prints. This ports yaml.v3's encoder (`stringv`: a literal block for text with a
newline, else plain when it reads back as the same string, else double-quoted) and its emitter
(`analyze_scalar`, `select_scalar_style`, the `write_*_scalar` functions). yaml.v3 is not libyaml:
NEL (U+0085) and every character beyond U+FFFF are not printable to it (the string is
double-quoted and they are escaped), a tab still allows a literal block, LS/PS (U+2028/U+2029) are
line breaks it writes raw, and a string starting with a BOM has every character escaped.

Where yaml.v3's output would not read back as the same string in every reader we or sops use
(yaml.v3, libyaml, ruamel), we write another form, always one that does:
- a key with a line break is double-quoted (yaml.v3 writes a `? ` complex key);
- a literal block's indentation digit is relative to the parent node (yaml.v3 writes 4 even in
  lists, then misreads its own block), and a block starting with a tab gets one too (yaml.v3
  omits it and prints `null`);
- text with a newline and LS/PS is double-quoted (ruamel does not break lines at LS/PS in a block).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from secrets_iac.sops.scalars import YamlTypingError, resolve_plain_scalar

_BREAKS = "\r\n\x85\u2028\u2029"
_BLANKS = " \t"

# YAML 1.1 readers would read these plain words as bools or sexagesimal numbers: yaml.v3 quotes them.
_OLD_BOOLS = frozenset(
    ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"]
)
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")

_ESCAPES = {
    "\0": "0",
    "\a": "a",
    "\b": "b",
    "\t": "t",
    "\n": "n",
    "\v": "v",
    "\f": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}


class Style(enum.Enum):
    PLAIN = "plain"
    SINGLE = "single-quoted"
    DOUBLE = "double-quoted"
    LITERAL = "literal"


def _printable(char: str) -> bool:
    """yaml.v3's `is_printable`, which tests UTF-8 bytes: NEL (C2 85) and every 4-byte character
    fail it, unlike libyaml's. A tab is not printable either; `_analyze` counts tabs apart."""
    code = ord(char)
    return (
        code == 0x0A
        or 0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
    )


@dataclass(frozen=True, slots=True)
class _Analysis:
    multiline: bool
    plain: bool
    single: bool
    block: bool


def _analyze(value: str) -> _Analysis:
    """yaml.v3's `yaml_emitter_analyze_scalar`, for block context (the only one we write)."""
    if not value:
        return _Analysis(multiline=False, plain=True, single=True, block=False)
    block_indicators = value.startswith(("---", "..."))
    line_breaks = special = tabs = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_by_blank = True
    last = len(value) - 1
    for i, char in enumerate(value):
        followed_by_blank = i == last or value[i + 1] in _BLANKS
        if i == 0:
            if char in "#,[]{}&*!|>'\"%@`" or (char in "?:-" and followed_by_blank):
                block_indicators = True
        elif (char == ":" and followed_by_blank) or (char == "#" and preceded_by_blank):
            block_indicators = True
        if char == "\t":
            tabs = True
        elif not _printable(char):
            special = True
        if char == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == last
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif char in _BREAKS:
            line_breaks = True
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == last
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_blank = char in _BLANKS or char in _BREAKS or char == "\0"
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space or space_break or tabs or special:
        plain = single = False
    if space_break or special:
        block = False
    if line_breaks or block_indicators:
        plain = False
    return _Analysis(line_breaks, plain, single, block)


def can_use_plain(value: str) -> bool:
    """yaml.v3's `canUsePlain`: unquoted, the text reads back as this string (yaml.v3 typing), and
    YAML 1.1 readers would not take it for a bool or a sexagesimal number either."""
    if value in _OLD_BOOLS or _BASE60_FLOAT.fullmatch(value):
        return False
    try:
        return isinstance(resolve_plain_scalar(value), str)
    except YamlTypingError:
        return False


def string_style(value: str, *, key: bool = False) -> Style:
    """The style yaml.v3 writes `value` in as a mapping value or list item, or as a simple key."""
    analysis = _analyze(value)
    if "\n" in value:
        style = Style.LITERAL
    elif can_use_plain(value):
        style = Style.PLAIN
    else:
        style = Style.DOUBLE
    if key and analysis.multiline:
        style = Style.DOUBLE
    if style is Style.PLAIN and not analysis.plain:
        style = Style.SINGLE
    if style is Style.SINGLE and not analysis.single:
        style = Style.DOUBLE
    if style is Style.LITERAL and (key or not analysis.block or _has_separator(value)):
        style = Style.DOUBLE
    return style


def _has_separator(value: str) -> bool:
    """LS/PS in a literal block: yaml.v3 and libyaml read them as line breaks, ruamel (our reader
    where libyaml is not built) does not, so such a string is double-quoted (`\\L`, `\\P`)."""
    return "\u2028" in value or "\u2029" in value


def double_quoted(value: str) -> str:
    """yaml.v3's double-quoted scalar. Its BOM test looks at the string's start, not at the current
    character, so a string that starts with U+FEFF has every character escaped."""
    starts_with_bom = value.startswith("\ufeff")
    out = []
    for char in value:
        if starts_with_bom or not _printable(char) or char in _BREAKS or char in '"\\':
            escape = _ESCAPES.get(char)
            if escape is None:
                code = ord(char)
                escape = (
                    f"x{code:02X}" if code <= 0xFF else f"u{code:04X}" if code <= 0xFFFF else f"U{code:08X}"
                )
            out.append("\\" + escape)
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def single_quoted(value: str, indent: int) -> str:
    """yaml.v3's single-quoted scalar: `'` doubled; a raw LS/PS (the only breaks that get here)
    is followed by the next line's indentation."""
    out = ["'"]
    after_break = False
    for char in value:
        if char in _BREAKS:
            out.append(char)
            after_break = True
            continue
        if after_break:
            out.append(" " * indent)
        out.append("''" if char == "'" else char)
        after_break = False
    out.append("'")
    return "".join(out)


def literal_block(value: str, indent: int, hint: int) -> tuple[str, list[str]]:
    """yaml.v3's literal block: the header (`|`, an indentation digit when the text starts with a
    space, a tab or a line break, `-` without a final newline, `+` with more than one) and the
    lines. yaml.v3 omits the digit before a leading tab, and then no reader (its own included)
    accepts the block, so we write it. Only newlines break lines here (see `string_style`)."""
    header = "|"
    if value[0] in " \t\n":
        header += str(hint)
    if not value.endswith("\n"):
        header += "-"
    elif value == "\n" or value.endswith("\n\n"):
        header += "+"
    pad = " " * indent
    lines = [pad + line if line else "" for line in value.split("\n")]
    if value.endswith("\n"):
        lines.pop()
    return header, lines
