"""The Password generator and PushSecret's generatorRef: strict CRD schemas and the builders' refusals."""

from __future__ import annotations

import pytest

from secrets_iac import eso
from tests.eso_schema import assert_rejects_broken_copy, validate_manifest

META = eso.ObjectMeta(name="orders-admin-password", namespace="orders")


def test_password_renders_the_crd_required_fields() -> None:
    manifest = eso.password(eso.PasswordArgs(metadata=META, length=32, symbols=0, no_upper=True))
    assert manifest["apiVersion"] == "generators.external-secrets.io/v1alpha1"
    assert manifest["spec"] == {
        "length": 32,
        "symbols": 0,
        "encoding": "raw",
        "noUpper": True,
        "allowRepeat": False,
    }
    validate_manifest(manifest)

    def encoding_typo(m: dict[str, object]) -> None:
        m["spec"]["encoding"] = "base58"  # type: ignore[index]

    assert_rejects_broken_copy(manifest, encoding_typo, "spec.encoding")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (eso.PasswordArgs(metadata=META, length=0), "spec.length=0: must be a positive integer"),
        (eso.PasswordArgs(metadata=META, digits=-1), "spec.digits=-1"),
        (eso.PasswordArgs(metadata=META, symbol_characters=""), "spec.symbolCharacters=''"),
        (eso.PasswordArgs(metadata=eso.ObjectMeta(name="Bad", namespace="orders")), "metadata.name='Bad'"),
    ],
)
def test_password_refuses(args: eso.PasswordArgs, problem: str) -> None:
    with pytest.raises(eso.EsoSpecError) as excinfo:
        eso.password(args)
    assert any(e.startswith(problem) for e in excinfo.value.errors), excinfo.value.errors


def _push(**overrides: object) -> eso.PushSecretArgs:
    args: dict[str, object] = {
        "metadata": eso.ObjectMeta(name="orders-generate-admin-password", namespace="orders"),
        "secret_name": None,
        "generator": eso.GeneratorRef("orders-admin-password"),
        "secret_store_refs": (eso.StoreRef("aws-secrets-manager-push"),),
        "data": (
            eso.PushSecretData(remote_key="app/orders/admin-password", secret_key=eso.PASSWORD_OUTPUT_KEY),
        ),
        "update_policy": "IfNotExists",
    }
    args.update(overrides)
    return eso.PushSecretArgs(**args)  # type: ignore[arg-type]


def test_push_secret_from_a_generator() -> None:
    manifest = eso.push_secret(_push())
    assert manifest["spec"]["selector"] == {
        "generatorRef": {
            "apiVersion": "generators.external-secrets.io/v1alpha1",
            "kind": "Password",
            "name": "orders-admin-password",
        }
    }
    validate_manifest(manifest)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"secret_name": "src"}, "spec.selector='src': needs exactly one"),
        ({"generator": None}, "spec.selector=None: needs exactly one"),
        (
            {"generator": eso.GeneratorRef("g", api_version="generators.external-secrets.io/v1")},
            "spec.selector",
        ),
    ],
)
def test_push_secret_selector_is_exactly_one_source(overrides: dict[str, object], problem: str) -> None:
    with pytest.raises(eso.EsoSpecError) as excinfo:
        eso.push_secret(_push(**overrides))
    assert any(e.startswith(problem) for e in excinfo.value.errors), excinfo.value.errors
