"""Kubernetes name rules shared by the config model, the trust builder and the ESO builders."""

from __future__ import annotations

from components.k8s_names import is_dns1123_label, is_dns1123_subdomain, is_secret_key


def test_dns1123_label() -> None:
    assert is_dns1123_label("payments-dev") and is_dns1123_label("a" * 63)
    for bad in ("", "Payments", "a_b", "-a", "a-", "a.b", "a" * 64):
        assert not is_dns1123_label(bad), bad


def test_dns1123_subdomain() -> None:
    assert is_dns1123_subdomain("external-secrets.reader") and is_dns1123_subdomain("a" * 253)
    for bad in ("", "a..b", ".a", "A.b", "a_b", "a" * 254):
        assert not is_dns1123_subdomain(bad), bad


def test_secret_key() -> None:
    assert all(is_secret_key(k) for k in ("tls.crt", "DB_PASSWORD", "a-b"))
    assert not any(is_secret_key(k) for k in ("", "a/b", "a b", "ключ"))
