"""Kubernetes name rules: namespaces, object names, Secret keys, label keys and values."""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def is_dns1123_label(value: str) -> bool:
    """Namespaces and most names: lowercase letters, digits and '-', at most 63 characters."""
    return len(value) <= 63 and bool(_DNS1123_LABEL.match(value))


def is_dns1123_subdomain(value: str) -> bool:
    """ServiceAccount, Secret and custom resource names: dot-separated labels, at most 253 characters."""
    return len(value) <= 253 and bool(_DNS1123_SUBDOMAIN.match(value))


def is_secret_key(value: str) -> bool:
    """A key of a Secret's data (ESO's `secretKey` pattern), at most 253 characters."""
    return len(value) <= 253 and bool(_SECRET_KEY.match(value))


def is_qualified_name(key: str) -> bool:
    """A label or annotation key: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name <= 63."""
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME.match(name))


def is_label_value(value: str) -> bool:
    """A label value: empty, or <= 63 alphanumerics, '-', '_', '.' starting and ending alphanumeric."""
    return len(value) <= 63 and bool(_LABEL_VALUE.match(value))
