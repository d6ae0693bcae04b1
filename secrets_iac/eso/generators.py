"""``Password`` (``generators.external-secrets.io/v1alpha1``): ESO's random password generator.

ESO's ``generators/v1alpha1/generator_password.go`` with what its generator (sethvargo/go-password) would
refuse at run time. A generator is referenced by a PushSecret's ``selector.generatorRef`` or an
ExternalSecret's ``dataFrom[].sourceRef.generatorRef`` (:class:`GeneratorRef`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from secrets_iac.eso.common import (
    ObjectMeta,
    Problems,
    check_enum,
    check_metadata,
    check_name,
    manifest,
    prune,
    render_metadata,
)

GENERATORS_API_VERSION: Final = "generators.external-secrets.io/v1alpha1"
KIND_PASSWORD: Final = "Password"
PASSWORD_OUTPUT_KEY: Final = "password"
"""The key a Password generator without ``secretKeys`` outputs."""

PasswordEncoding: TypeAlias = Literal["raw", "base64", "base64url", "base32", "hex"]


@dataclass(frozen=True)
class GeneratorRef:
    """``generatorRef``: a generator in the referencing object's namespace."""

    name: str
    kind: str = KIND_PASSWORD
    api_version: str = GENERATORS_API_VERSION

    def render(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class PasswordArgs:
    """A ``Password`` generator; every invocation produces a new value."""

    metadata: ObjectMeta
    length: int = 24
    digits: int | None = None
    """Number of digits; ESO's default is 25% of ``length``."""
    symbols: int | None = None
    """Number of symbols; ESO's default is 25% of ``length``."""
    symbol_characters: str | None = None
    no_upper: bool = False
    allow_repeat: bool = False
    encoding: PasswordEncoding = "raw"


def _check(p: Problems, args: PasswordArgs) -> None:
    check_metadata(p, args.metadata, namespaced=True)
    if isinstance(args.length, bool) or not isinstance(args.length, int) or args.length < 1:
        p.add("spec.length", args.length, "must be a positive integer")
    for name, value in (("digits", args.digits), ("symbols", args.symbols)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            p.add(f"spec.{name}", value, "must be an integer >= 0")
    if args.symbol_characters is not None and not args.symbol_characters:
        p.add("spec.symbolCharacters", args.symbol_characters, "must not be empty")
    check_enum(p, "spec.encoding", args.encoding, PasswordEncoding)


def password(args: PasswordArgs) -> dict[str, Any]:
    """A ``generators.external-secrets.io/v1alpha1`` ``Password`` manifest. Raises ``EsoSpecError``."""
    p = Problems()
    _check(p, args)
    p.raise_if_any(f"{KIND_PASSWORD} {args.metadata.namespace}/{args.metadata.name}")
    spec = prune(
        {
            "length": args.length,
            "digits": args.digits,
            "symbols": args.symbols,
            "symbolCharacters": args.symbol_characters,
            "encoding": args.encoding,
        }
    )
    # Required by the CRD even at their defaults.
    spec["noUpper"] = args.no_upper
    spec["allowRepeat"] = args.allow_repeat
    return manifest(
        GENERATORS_API_VERSION, KIND_PASSWORD, render_metadata(args.metadata, namespaced=True), spec
    )


def check_generator_ref(p: Problems, path: str, ref: GeneratorRef) -> None:
    check_name(p, f"{path}.name", ref.name)
    if ref.api_version != GENERATORS_API_VERSION:
        p.add(f"{path}.apiVersion", ref.api_version, f"must be {GENERATORS_API_VERSION}")
