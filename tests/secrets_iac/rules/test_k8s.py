"""Kubernetes name rules shared by the config model, the trust builder and the ESO builders."""

from __future__ import annotations

from secrets_iac.rules.k8s import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    is_qualified_name,
    is_secret_key,
)


def test_dns1123_label() -> None:
    assert is_dns1123_label("payments-dev") and is_dns1123_label("a" * 63)
    for bad in ("", "Payments", "a_b", "-a", "a-", "a.b", "a" * 64):
        assert not is_dns1123_label(bad), bad


def test_dns1123_subdomain() -> None:
    assert is_dns1123_subdomain("external-secrets.reader") and is_dns1123_subdomain("a" * 253)
    for bad in ("", "a..b", ".a", "A.b", "a_b", "a" * 254):
        assert not is_dns1123_subdomain(bad), bad


def test_secret_key() -> None:
    assert all(is_secret_key(k) for k in ("tls.crt", "DB_PASSWORD", "a-b", "a" * 253))
    assert not any(is_secret_key(k) for k in ("", "a/b", "a b", "ключ", "a" * 254))


def test_qualified_name() -> None:
    good = ("app", "app.kubernetes.io/managed-by", "secrets-iac/environment", "A_b.c", "a" * 63)
    assert all(is_qualified_name(k) for k in good)
    for bad in ("", "/x", "a/b/c", "Bad.Prefix/x", "a/", "-a", "a" * 64, "ключ"):
        assert not is_qualified_name(bad), bad


def test_label_value() -> None:
    assert all(is_label_value(v) for v in ("", "secrets-iac", "v1.2_3", "a" * 63))
    for bad in ("-a", "a-", "a b", "a/b", "a" * 64):
        assert not is_label_value(bad), bad
