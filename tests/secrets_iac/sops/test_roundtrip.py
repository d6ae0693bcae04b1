"""Property tests: random nested documents survive encrypt -> decrypt exactly (byte for byte)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyrage
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from secrets_iac.sops import decrypt_file, encrypt_file
from secrets_iac.sops.keys import AgeIdentity
from secrets_iac.sops.stores.dotenv import dump_dotenv
from secrets_iac.sops.stores.json_store import dump_json
from secrets_iac.sops.stores.yaml_read import load_yaml
from secrets_iac.sops.stores.yaml_write import dump_yaml
from secrets_iac.sops.tree import TreeMap, from_plain, to_plain

_IDENTITY = pyrage.x25519.Identity.generate()
IDENTITY = AgeIdentity.from_str(str(_IDENTITY))
RECIPIENT = str(_IDENTITY.to_public())

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_-. ", min_size=1, max_size=12).filter(
    lambda k: k.strip() == k and k != "sops"
)
texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
scalars = st.one_of(
    texts,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, width=64),
    st.booleans(),
    st.none(),
)
documents = st.dictionaries(
    keys,
    st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12,
    ),
    max_size=6,
)


json_safe_documents = st.dictionaries(
    keys,
    st.recursive(
        st.one_of(
            texts,
            st.integers(min_value=-(2**53), max_value=2**53),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.none(),
        ),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12,
    ),
    max_size=6,
)
"""Documents the real sops can print as JSON (no infinities) for the interop property test."""


def _canonical_yaml(docs: list[dict[str, Any]]) -> bytes:
    """Our YAML for the documents, read and written once more: yaml.v3 typing turns a float such as
    `-0.0` into the int `-0` -> `0` (the real sops does the same), so only the second form is stable."""
    first = dump_yaml([TreeMap(from_plain(d).items) for d in docs])  # type: ignore[union-attr]
    return dump_yaml(load_yaml(first, "t"))


def _round_trip(name: str, content: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / name
        plain.write_bytes(content)
        encrypted = Path(folder) / f"enc-{name}"
        encrypted.write_bytes(encrypt_file(plain, recipients=[RECIPIENT]))
        return decrypt_file(encrypted, identities=[IDENTITY])


@settings(max_examples=80, deadline=None)
@given(documents)
@example({"0": "\n\x85"})  # NEL after a newline came back as '' (a literal block holding a raw NEL)
@example({".0_": ".0_"})  # yaml.v3 reads `.0_` as a string; we typed it as the float 0.0
def test_yaml_documents_round_trip_exactly(document: dict[str, Any]) -> None:
    content = _canonical_yaml([document])
    decrypted = _round_trip("doc.yaml", content)
    assert decrypted == content
    assert to_plain(load_yaml(decrypted, "t")[0]) == document


@settings(max_examples=50, deadline=None)
@given(st.lists(documents, min_size=2, max_size=3))
def test_multi_document_yaml_round_trips(docs: list[dict[str, Any]]) -> None:
    content = _canonical_yaml(docs)
    decrypted = _round_trip("multi.yaml", content)
    assert decrypted == content
    assert [to_plain(branch) for branch in load_yaml(decrypted, "t")] == docs


# Strings yaml.v3 writes in a particular style: a raw NEL, CR, tab, BOM or a character beyond the BMP
# is not "printable" to it, LS and PS are line breaks it writes raw (found by the property tests and
# by comparing with the real sops, see test_interop.py).
TRICKY_STRINGS = [
    "\n\x85",
    "x\x85y",
    "a\nb\x85c\n",
    "\x85",
    "a\r\nb",
    "a\n\tb",
    "\tx\ny",
    "\U0001f600",
    "a\n\U0001f600",
    "\ufeffa",
    "a\u2028b",
    "\u2029",
    "a\nb\u2028c",
    "a\nb\u2028",
    "x\n\u2028",
    "\u2028\nx",
    "a\n\u2028\u2028b",
    ".0_",
    "._0",
    ".5_e1",
    "1e999",
    "-1e999",
]


@pytest.mark.parametrize("value", TRICKY_STRINGS)
def test_tricky_strings_round_trip_as_values_and_keys(value: str) -> None:
    for document in ({"k": value, "next": 1}, {"l": [value, {"m": value}], "end": value}, {value: "v"}):
        content = dump_yaml([TreeMap(from_plain(document).items)])  # type: ignore[union-attr]
        for fast in (True, False):
            assert to_plain(load_yaml(content, "t", fast=fast)[0]) == document
        decrypted = _round_trip("doc.yaml", content)
        assert decrypted == content


json_values = st.recursive(
    st.one_of(texts, st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=6))
def test_json_documents_round_trip_exactly(document: dict[str, Any]) -> None:
    content = dump_json([from_plain(document)])  # type: ignore[list-item]
    assert _round_trip("doc.json", content) == content


env_keys = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", min_size=1, max_size=10).filter(
    lambda k: not k.startswith("sops_")
)
env_values = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\\\r"), max_size=30)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(env_keys, env_values, min_size=1, max_size=6))
def test_dotenv_round_trips_exactly(document: dict[str, str]) -> None:
    content = dump_dotenv([TreeMap(list(document.items()))])
    assert _round_trip("doc.env", content) == content


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=200))
def test_binary_round_trips_exactly(content: bytes) -> None:
    assert _round_trip("blob.bin", content) == content
