"""Shamir secret sharing over GF(2^8) (AES polynomial 0x11B), byte-compatible with sops's shamir.

A share is the evaluated bytes followed by its x coordinate (33 bytes for a 32-byte data key).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence


def _gf_mul(a: int, b: int) -> int:
    result = 0
    while b:
        if b & 1:
            result ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return result


_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x = _gf_mul(_x, 3)
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def gf_mul(a: int, b: int) -> int:
    """Multiplication in GF(2^8) mod x^8+x^4+x^3+x+1."""
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def gf_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(2^8)")
    if a == 0:
        return 0
    return _EXP[(_LOG[a] - _LOG[b]) % 255]


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):
        result = gf_mul(result, x) ^ coefficient
    return result


def split(secret: bytes, parts: int, threshold: int) -> list[bytes]:
    """Split `secret` into `parts` shares, any `threshold` of which rebuild it."""
    if not 2 <= threshold <= parts <= 255:
        raise ValueError("need 2 <= threshold <= parts <= 255")
    if not secret:
        raise ValueError("cannot split an empty secret")
    shares = [bytearray(len(secret) + 1) for _ in range(parts)]
    xs = list(range(1, parts + 1))
    for index, share in enumerate(shares):
        share[-1] = xs[index]
    for position, byte in enumerate(secret):
        coefficients = [byte, *(secrets.randbelow(256) for _ in range(threshold - 1))]
        for index, share in enumerate(shares):
            share[position] = _evaluate(coefficients, xs[index])
    return [bytes(share) for share in shares]


def combine(shares: Sequence[bytes]) -> bytes:
    """Rebuild the secret from at least two shares by Lagrange interpolation at 0."""
    if len(shares) < 2:
        raise ValueError("less than two parts cannot be used to reconstruct the secret")
    length = len(shares[0])
    if length < 2 or any(len(share) != length for share in shares):
        raise ValueError("all parts must be the same length")
    xs = [share[-1] for share in shares]
    if len(set(xs)) != len(xs):
        raise ValueError("duplicate part detected")
    secret = bytearray(length - 1)
    for position in range(length - 1):
        value = 0
        for i, share in enumerate(shares):
            basis = 1
            for j, xj in enumerate(xs):
                if i != j:
                    basis = gf_mul(basis, gf_div(xj, xs[i] ^ xj))
            value ^= gf_mul(share[position], basis)
        secret[position] = value
    return bytes(secret)
