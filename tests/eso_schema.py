"""Strict validation of ESO manifests against the CRD schemas in the shared folder (test helper).

The shared schemas are the verbatim ``openAPIV3Schema`` of ESO v2.9's CRDs. As published they accept
unknown fields (no ``additionalProperties: false``), so a typo such as ``jwt.serviceAccount`` or a
made-up ``remoteRef.versionStage`` would pass. Here each schema is made *strict* the way
``kubectl apply`` with strict field validation behaves: every ``type: object`` node that has
``properties``, no ``additionalProperties`` and no ``x-kubernetes-preserve-unknown-fields: true``
gets ``additionalProperties: false``. The schema is chosen from ``apiVersion`` + ``kind`` via
``index.json``; ``Draft7Validator`` checks the whole manifest.

Call ``validate_manifest(m)`` (raises AssertionError listing every error path) or
``schema_errors(m)`` (the list). Both skip the calling test if the shared folder is absent.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema

from tests.conftest import shared_path

SCHEMA_DIR = ("schemas", "eso")


def make_strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``schema`` where closed object nodes reject unknown properties."""
    strict = copy.deepcopy(schema)
    _close_objects(strict)
    return strict


def _close_objects(node: Any) -> None:
    if isinstance(node, dict):
        if (
            node.get("type") == "object"
            and "properties" in node
            and "additionalProperties" not in node
            and node.get("x-kubernetes-preserve-unknown-fields") is not True
        ):
            node["additionalProperties"] = False
        for value in node.values():
            _close_objects(value)
    elif isinstance(node, list):
        for item in node:
            _close_objects(item)


@cache
def _index() -> dict[tuple[str, str], dict[str, Any]]:
    entries = json.loads(shared_path(*SCHEMA_DIR, "index.json").read_text(encoding="utf-8"))
    return {(e["apiVersion"], e["kind"]): e for e in entries}


@cache
def strict_validator(api_version: str, kind: str) -> jsonschema.Draft7Validator:
    """The cached strict validator for one served ``apiVersion``/``kind``; AssertionError if none."""
    entry = _index().get((api_version, kind))
    if entry is None:
        known = ", ".join(f"{a} {k}" for a, k in sorted(_index()))
        raise AssertionError(f"no ESO schema for apiVersion={api_version!r} kind={kind!r} (known: {known})")
    if not entry.get("served", False):
        raise AssertionError(f"{api_version} {kind} is not served by ESO v2.9 (deprecated schema)")
    raw = json.loads(shared_path(*SCHEMA_DIR, entry["file"]).read_text(encoding="utf-8"))
    schema = make_strict(raw)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _path(error: jsonschema.ValidationError) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "".join(parts).lstrip(".") or "<root>"


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    """Every strict-schema error of ``manifest`` as ``"<path>: <message>"``, sorted by path."""
    if not isinstance(manifest, dict):
        return [f"<root>: manifest must be a mapping, got {type(manifest).__name__}"]
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return [f"<root>: apiVersion and kind must be strings, got {api_version!r} / {kind!r}"]
    try:
        validator = strict_validator(api_version, kind)
    except AssertionError as exc:
        return [f"<root>: {exc}"]
    errors = sorted(validator.iter_errors(manifest), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_path(e)}: {e.message}" for e in errors]


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Raise AssertionError listing every strict-schema error of ``manifest``."""
    errors = schema_errors(manifest)
    if errors:
        name = manifest.get("metadata", {}).get("name") if isinstance(manifest, dict) else None
        kind = manifest.get("kind") if isinstance(manifest, dict) else None
        listing = "\n".join(f"  - {e}" for e in errors)
        raise AssertionError(
            f"{kind} {name!r} fails the strict ESO schema ({len(errors)} errors):\n{listing}"
        )


def assert_rejects_broken_copy(manifest: dict[str, Any], mutate: Any, path: str) -> None:
    """`manifest` validates; a copy broken by `mutate` is rejected with an error at `path`."""
    validate_manifest(manifest)
    broken = copy.deepcopy(manifest)
    mutate(broken)
    errors = schema_errors(broken)
    assert errors, f"{mutate.__name__} was not rejected"
    assert any(e.startswith(f"{path}: ") for e in errors), errors
    try:
        validate_manifest(broken)
    except AssertionError as err:
        assert "fails the strict ESO schema" in str(err)
    else:
        raise AssertionError(f"{mutate.__name__}: validate_manifest accepted the broken copy")
