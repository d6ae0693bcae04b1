"""Pulumi resource names derived from user input: distinct inputs never give one name."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secrets_iac.naming import (
    eso_resource_name,
    legacy_eso_resource_name,
    legacy_scoped_resource_name,
    scoped_resource_name,
    secret_resource_name,
)
from secrets_iac.rules.aws import is_secret_path
from secrets_iac.rules.k8s import is_dns1123_label, is_dns1123_subdomain

# Small alphabets on purpose: '-', '/' and '.' are what used to make names collide.
dns_labels = st.from_regex(r"[ab1]([ab1-]{0,4}[ab1])?", fullmatch=True)
secret_names = st.from_regex(r"[ab_.-]{1,3}(/[ab_.-]{1,3}){0,2}", fullmatch=True)
subdomains = st.from_regex(r"[ab]([ab.-]{0,5}[ab])?", fullmatch=True).filter(is_dns1123_subdomain)


def test_the_reported_collision_is_gone() -> None:
    """App `a` with secret `b-c` and app `a-b` with secret `c` were both `a-b-c`."""
    assert secret_resource_name("a", "b-c") != secret_resource_name("a-b", "c")
    assert legacy_scoped_resource_name("a", "b-c") == legacy_scoped_resource_name("a-b", "c") == "a-b-c"
    # And within one app, `x/y` and `x-y` were both `<app>-x-y`.
    assert secret_resource_name("a", "x/y") != secret_resource_name("a", "x-y")


@pytest.mark.parametrize(
    ("app", "secret", "name"),
    [
        ("payments", "db", "payments-db"),  # unchanged: existing stacks keep their resources
        ("payments", "stripe-api-key", "payments-stripe-api-key"),
        ("a", "b-c", "a-b-c"),
        ("a-b", "c", "a-b/c"),
        ("web", "certs/main", "web/certs/main"),
    ],
)
def test_names_read_one_way(app: str, secret: str, name: str) -> None:
    assert secret_resource_name(app, secret) == name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(dns_labels, secret_names), min_size=2, max_size=12, unique=True))
def test_distinct_app_secret_pairs_never_share_a_name(pairs: list[tuple[str, str]]) -> None:
    assert all(
        is_dns1123_label(app) and is_secret_path(secret) for app, secret in pairs
    )  # names config allows
    names = [secret_resource_name(app, secret) for app, secret in pairs]
    assert len(set(names)) == len(names), sorted(zip(names, pairs, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["ExternalSecret", "PushSecret"]), dns_labels, subdomains),
        min_size=2,
        max_size=12,
        unique=True,
    )
)
def test_distinct_eso_objects_never_share_a_name(objects: list[tuple[str, str, str]]) -> None:
    assert all(is_dns1123_label(namespace) for _, namespace, _ in objects)
    names = [eso_resource_name(kind, namespace, name) for kind, namespace, name in objects]
    assert len(set(names)) == len(names)


def test_eso_names_keep_their_earlier_form_where_unambiguous() -> None:
    assert eso_resource_name("ClusterSecretStore", None, "aws") == "clustersecretstore-aws"
    assert eso_resource_name("ExternalSecret", "payments", "payments-secrets") == (
        legacy_eso_resource_name("ExternalSecret", "payments", "payments-secrets")
    )
    assert eso_resource_name("ExternalSecret", "team-a", "x-secrets") == "externalsecret-team-a/x-secrets"
    assert eso_resource_name("ExternalSecret", "team", "a-x-secrets") == "externalsecret-team-a-x-secrets"


def test_a_scope_with_a_slash_is_refused() -> None:
    with pytest.raises(ValueError, match="DNS label"):
        scoped_resource_name("a/b", "c")
