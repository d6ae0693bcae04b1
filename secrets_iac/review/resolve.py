"""How ESO (v2.9, AWS provider) turns a secret value into Secret keys: pure, so verify reads like ESO.

- `property` is a gjson path; a key that itself contains dots (`tls.crt`) is looked up literally first,
  as ESO's provider does before it falls back to the path.
- `dataFrom.extract` needs a JSON object; its top-level properties become keys.
- `dataFrom.find` keys are secret names with characters a Secret key cannot hold replaced by `_`
  (ESO's default conversion).
- Templates: only the forms the project renders, `{{ .key }}` and `{{ index . "key" }}`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from secrets_iac.eso.properties import MISSING, UNKNOWN, find_property

_GO_FIELD = re.compile(r"^\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_GO_INDEX = re.compile(r'^\{\{\s*index\s+\.\s+"((?:[^"\\]|\\.)*)"\s*\}\}$')
_NOT_A_KEY = re.compile(r"[^-._a-zA-Z0-9]")


class PropertyMissing(LookupError):
    """The JSON path names nothing in the value (ESO: "key ... does not exist in secret")."""


class PropertyUnsupported(LookupError):
    """The path uses gjson query syntax that verify does not evaluate."""


def _as_text(value: Any) -> str:
    """gjson's `String()`: strings raw, everything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def json_property(value: str, path: str) -> str:
    """The text ESO would put into the key for `property: path`; raises PropertyMissing."""
    try:
        document = json.loads(value)
    except ValueError:
        raise PropertyMissing(f"the value is not JSON, so it has no property {path!r}") from None
    node = find_property(document, path)
    if node is MISSING:
        raise PropertyMissing(f"property {path!r} is not in the value")
    if node is UNKNOWN:
        raise PropertyUnsupported(f"property {path!r} uses gjson query syntax verify does not evaluate")
    return _as_text(node)


def extract_keys(value: str, path: str | None = None) -> list[str]:
    """The keys `dataFrom.extract` makes of a JSON object (after `property`, if given)."""
    text = json_property(value, path) if path else value
    try:
        document = json.loads(text)
    except ValueError:
        raise PropertyMissing("dataFrom.extract needs a JSON object; the value is not JSON") from None
    if not isinstance(document, dict):
        raise PropertyMissing("dataFrom.extract needs a JSON object")
    return sorted(document)


def find_key(secret_name: str) -> str:
    """The Secret key `dataFrom.find` gives a secret (ESO's default conversion)."""
    return _NOT_A_KEY.sub("_", secret_name)


def template_reference(expression: str) -> str | None:
    """The fetched key a template expression reads, or None when it is not a form verify understands."""
    field = _GO_FIELD.match(expression.strip())
    if field:
        return field.group(1)
    index = _GO_INDEX.match(expression.strip())
    if index:
        return re.sub(r"\\(.)", r"\1", index.group(1))
    return None
