"""Config errors as one line per problem: `<stack file>: secrets-iac:<key path>: <why>`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from secrets_iac.config.reading import NAMESPACE
from secrets_iac.rules.limits import ERROR_VALUE_CHARS, clip, excerpt


def config_key_path(loc: tuple[int | str, ...]) -> str:
    """`('apps', 2, 'secrets', 0, 'refreshInterval')` -> `secrets-iac:apps[2].secrets[0].refreshInterval`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{clip(str(part))}" if text else clip(str(part))
    return f"{NAMESPACE}:{text}" if text else NAMESPACE


def _long_strings(value: Any, found: set[str], budget: int = 1000) -> None:
    """The strings longer than an error may quote, anywhere in a (bounded) input value."""
    stack = [value]
    while stack and budget > 0:
        budget -= 1
        item = stack.pop()
        if isinstance(item, str):
            if len(item) > ERROR_VALUE_CHARS:
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def quote_briefly(message: str, bad_input: Any) -> str:
    """`message` with every long string of the input that it repeats cut to a short prefix.

    The one place config errors are shortened: validators write `{value!r}` freely, pydantic
    messages may echo the input, and a 2 MB value still prints as 60 characters and its length.
    """
    found: set[str] = set()
    _long_strings(bad_input, found)
    for text in sorted(found, key=len, reverse=True):
        message = message.replace(repr(text), excerpt(text)).replace(text, clip(text))
    return message


def validation_lines(err: ValidationError, *, source: str) -> list[str]:
    """Each pydantic error as a line naming the file and the key path, in the stack file's own words."""
    lines = []
    for error in err.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = quote_briefly(str(error["msg"]).removeprefix("Value error, "), error.get("input"))
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = "is not a known setting"
        lines.append(f"{source}: {config_key_path(loc)}: {message}")
    return lines
