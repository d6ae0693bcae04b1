"""Exit codes: each error class carries sops's code by name, and the package passes no literal code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import secrets_iac.sops
from secrets_iac.sops import errors

# cmd/sops/codes in the real sops: the numbers are its CLI contract.
SOPS_CODES = {
    errors.SopsError: 1,  # ErrorGeneric
    errors.MetadataError: 1,  # ErrorGeneric
    errors.FormatError: 2,  # CouldNotReadInputFile
    errors.DecryptionError: 25,  # ErrorDecryptingTree
    errors.MacMismatchError: 51,  # MacMismatch
    errors.MacNotFoundError: 52,  # MacNotFound
    errors.ConfigError: 61,  # ConfigFileNotFound
    errors.EmptyFileError: 92,  # NeedAtLeastOneDocument
    errors.NoEncryptionKeyError: 111,  # NoEncryptionKeyFound
    errors.DataKeyError: 128,  # CouldNotRetrieveKey
    errors.AlreadyEncryptedError: 203,  # FileAlreadyEncrypted
}


@pytest.mark.parametrize(("error", "code"), SOPS_CODES.items(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_error_classes_carry_sops_exit_codes(error: type[errors.SopsError], code: int) -> None:
    assert error("x").exit_code == code


def test_subclasses_are_still_caught_as_their_family() -> None:
    assert issubclass(errors.EmptyFileError, errors.FormatError)
    assert issubclass(errors.MacNotFoundError, errors.MacMismatchError)


def _literal_exit_code(node: ast.AST) -> bool:
    """`exit_code=52` in a call, or `exit_code = 52` in a class body."""
    if isinstance(node, ast.keyword):
        return node.arg == "exit_code" and isinstance(node.value, ast.Constant)
    if isinstance(node, ast.Assign):
        named = any(isinstance(t, ast.Name) and t.id == "exit_code" for t in node.targets)
        return named and isinstance(node.value, ast.Constant)
    return False


def test_no_literal_exit_code_in_the_package() -> None:
    root = Path(secrets_iac.sops.__file__).parent
    literals = [
        f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if _literal_exit_code(node)
    ]
    assert literals == []
