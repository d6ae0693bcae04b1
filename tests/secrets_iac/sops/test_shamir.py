"""Shamir over GF(2^8): any threshold of shares rebuilds the key; fewer or duplicates are refused."""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secrets_iac.sops import shamir


def test_field_arithmetic_matches_aes() -> None:
    assert shamir.gf_mul(0x57, 0x83) == 0xC1  # FIPS-197 §4.2 example
    assert all(shamir.gf_mul(a, shamir.gf_div(1, a)) == 1 for a in range(1, 256))


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=33), st.integers(2, 5), st.integers(0, 3))
def test_any_threshold_subset_rebuilds(secret: bytes, threshold: int, extra: int) -> None:
    parts = threshold + extra
    shares = shamir.split(secret, parts, threshold)
    assert all(len(s) == len(secret) + 1 for s in shares)
    assert [s[-1] for s in shares] == list(range(1, parts + 1))
    for subset in itertools.combinations(shares, threshold):
        assert shamir.combine(subset) == secret


def test_too_few_and_duplicate_shares() -> None:
    key = os.urandom(32)
    shares = shamir.split(key, 3, 3)
    assert shamir.combine(shares[:2]) != key
    with pytest.raises(ValueError):
        shamir.combine(shares[:1])
    with pytest.raises(ValueError):
        shamir.combine([shares[0], shares[0]])
    with pytest.raises(ValueError):
        shamir.split(key, 2, 3)
