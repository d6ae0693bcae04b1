"""Kubernetes name rules, in one place for the config model, the trust builder and the ESO builders."""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def is_dns1123_label(value: str) -> bool:
    """Namespaces and most names: lowercase letters, digits and '-', at most 63 characters."""
    return len(value) <= 63 and bool(_DNS1123_LABEL.match(value))


def is_dns1123_subdomain(value: str) -> bool:
    """ServiceAccount, Secret and custom resource names: dot-separated labels, at most 253 characters."""
    return len(value) <= 253 and bool(_DNS1123_SUBDOMAIN.match(value))


def is_secret_key(value: str) -> bool:
    """A key of a Secret's data (ESO's `secretKey` pattern)."""
    return bool(_SECRET_KEY.match(value))
