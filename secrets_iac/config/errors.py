"""Config errors as one line per problem: `<stack file>: secrets-iac:<key path>: <why>`."""

from __future__ import annotations

from pydantic import ValidationError

from secrets_iac.config.reading import NAMESPACE


def config_key_path(loc: tuple[int | str, ...]) -> str:
    """`('apps', 2, 'secrets', 0, 'refreshInterval')` -> `secrets-iac:apps[2].secrets[0].refreshInterval`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return f"{NAMESPACE}:{text}" if text else NAMESPACE


def validation_lines(err: ValidationError, *, source: str) -> list[str]:
    """Each pydantic error as a line naming the file and the key path, in the stack file's own words."""
    lines = []
    for error in err.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = "is not a known setting"
        lines.append(f"{source}: {config_key_path(loc)}: {message}")
    return lines
