"""The bounds and the error-quoting helpers every reader and error uses."""

from __future__ import annotations

from secrets_iac.errors import UserError
from secrets_iac.rules.limits import (
    ERROR_VALUE_CHARS,
    MAX_ALIAS_EXPANSION_FLOOR,
    clip,
    excerpt,
    excessive_aliasing,
    shorten_runs,
)


def test_excerpt_quotes_short_values_whole_and_long_ones_by_a_prefix() -> None:
    assert excerpt("eu-west-1") == "'eu-west-1'"
    assert excerpt("x" * 100_000) == f"'{'x' * ERROR_VALUE_CHARS}'… (100000 characters)"
    assert excerpt(b"\x00" * 100).startswith("b'\\x00") and excerpt(b"\x00" * 100).endswith(
        "(100 characters)"
    )
    long_list = excerpt(list(range(1000)))
    assert long_list.startswith("[0, 1, 2") and long_list.endswith("characters)") and len(long_list) < 100


def test_clip_is_unquoted() -> None:
    assert clip("short") == "short"
    assert clip("k" * 61) == "k" * 60 + "… (61 characters)"


def test_every_user_error_cuts_long_runs_whoever_built_it() -> None:
    message = str(UserError(f"stacks/Pulumi.qa.yaml: bad value {'v' * 2_000_000} here"))
    assert message == f"stacks/Pulumi.qa.yaml: bad value {'v' * 60}… (2000000 characters) here"
    assert shorten_runs("a normal message, /a/path/of/ordinary/length.yaml") == (
        "a normal message, /a/path/of/ordinary/length.yaml"
    )


def test_aliases_may_share_blocks_but_not_explode() -> None:
    assert not excessive_aliasing(50, 50 + MAX_ALIAS_EXPANSION_FLOOR)  # small file, a few shared blocks
    assert excessive_aliasing(50, 51 + MAX_ALIAS_EXPANSION_FLOOR)
    assert not excessive_aliasing(200_000, 400_000)  # a big file may double through aliases
    assert excessive_aliasing(200_000, 400_001)
    assert excessive_aliasing(29, 1_234_567_909)  # the 10^9 alias bomb
