"""Hostile SOPS files: decrypting or encrypting any bytes ends in a result or one `SopsError`, within a
time limit; no traceback, no hang, no plaintext in an error, no error repeating a huge value.

Seeded (`tests/fuzz.py`): byte-level mutations and spliced attacks (alias bombs, deep nesting) of
files this test encrypts with its own key, and tree-level mutations (values and metadata of the wrong
shape) of the same files. Alias bombs are refused before anything is expanded or decrypted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from secrets_iac.errors import UserError
from secrets_iac.sops import decrypt_document, decrypt_file, encrypt_file
from secrets_iac.sops.errors import ConfigError, FormatError, SopsError
from tests.fuzz import Mutator, TreeMutator, alias_bomb, deep_block, deep_flow, run_cases
from tests.secrets_iac.sops.conftest import KeyPair, make_keypair

PLAINTEXT = "fuzz-plaintext"
"""Every value in the seeds starts with this; no error may contain it."""
DECRYPT_CASES = 600
ENCRYPT_CASES = 400
PER_CASE_SECONDS = 5.0
MAX_LINE = 600

PLAIN_YAML = f"""\
# a comment
db:
    password: {PLAINTEXT}-1  # inline
    port: 5432
    hosts: [a, b]
api_key: {PLAINTEXT}-2
shared: &shared {{user: {PLAINTEXT}-3}}
again: *shared
nothing: null
when: 2024-01-01T00:00:00Z
""".encode()
PLAIN_JSON = json.dumps({"db": {"password": f"{PLAINTEXT}-4", "port": 5432}, "list": [1, 2.5, True]}).encode()
PLAIN_DOTENV = f"A={PLAINTEXT}-5\n# note\nB=two\n".encode()
PLAIN_INI = f"[db]\npassword = {PLAINTEXT}-6\n; note\n[api]\nkey = x\n".encode()


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return make_keypair(tmp_path_factory.mktemp("fuzz-keys"), "fuzz")


def _encrypted(tmp_path: Path, key: KeyPair, name: str, plain: bytes) -> bytes:
    path = tmp_path / name
    path.write_bytes(plain)
    return encrypt_file(path, recipients=[key.recipient])


def _error_problem(err: UserError) -> str | None:
    message = str(err)
    if PLAINTEXT in message:
        return f"plaintext in an error: {message[:120]!r}"
    if not isinstance(err, SopsError):
        return f"{type(err).__name__} is not a SopsError: {message[:120]!r}"
    if any(len(line) > MAX_LINE for line in message.splitlines()):
        return f"an error line past {MAX_LINE} characters: {message[:120]!r}…"
    return None


def test_fuzzed_encrypted_files_decrypt_or_fail_cleanly(tmp_path: Path, key: KeyPair) -> None:
    seeds = {
        "yaml": _encrypted(tmp_path, key, "s.yaml", PLAIN_YAML),
        "json": _encrypted(tmp_path, key, "s.json", PLAIN_JSON),
    }
    target = {fmt: tmp_path / f"case.{fmt}" for fmt in seeds}

    def decrypt_each(fmt: str) -> Any:
        def run(data: bytes) -> None:
            target[fmt].write_bytes(data)
            decrypt_file(target[fmt], identities=[key.identity])

        return run

    for fmt, seed in seeds.items():
        assert decrypt_file(_write(target[fmt], seed), identities=[key.identity])  # control
        byte_report = run_cases(
            Mutator([seed], seed=21),
            DECRYPT_CASES // 2,
            decrypt_each(fmt),
            per_case_seconds=PER_CASE_SECONDS,
            check_error=_error_problem,
        )
        tree = yaml.safe_load(seed) if fmt == "yaml" else json.loads(seed)
        dump = _yaml_dump if fmt == "yaml" else _json_dump
        tree_report = run_cases(
            TreeMutator([tree], seed=22, dump=dump),
            DECRYPT_CASES // 2,
            decrypt_each(fmt),
            per_case_seconds=PER_CASE_SECONDS,
            check_error=_error_problem,
        )
        print(f"sops decrypt fuzz ({fmt}): bytes {byte_report}; tree {tree_report}")
        assert byte_report.failures == [] and tree_report.failures == []
        assert byte_report.refused > 0 and tree_report.refused > 0


def test_fuzzed_plaintext_files_encrypt_or_fail_cleanly(tmp_path: Path, key: KeyPair) -> None:
    seeds = {"yaml": PLAIN_YAML, "json": PLAIN_JSON, "env": PLAIN_DOTENV, "ini": PLAIN_INI}
    per_format = ENCRYPT_CASES // len(seeds)
    for ext, seed in seeds.items():
        path = tmp_path / f"plain.{ext}"

        def encrypt(data: bytes, path: Path = path) -> None:
            path.write_bytes(data)
            encrypted = encrypt_file(path, recipients=[key.recipient])
            assert PLAINTEXT.encode() not in encrypted

        report = run_cases(
            Mutator([seed], seed=31),
            per_format,
            encrypt,
            per_case_seconds=PER_CASE_SECONDS,
            check_error=_error_problem,
        )
        print(f"sops encrypt fuzz ({ext}): {report}")
        assert report.failures == [] and report.accepted > 0


@pytest.mark.parametrize(
    ("attack", "fragment"),
    [
        pytest.param(alias_bomb(5), "excessive aliasing", id="alias-bomb-1e5"),
        pytest.param(alias_bomb(9), "excessive aliasing", id="alias-bomb-1e9"),
        pytest.param(b"rec: &r [*r]\n", "recursive YAML alias", id="recursive-alias"),
        pytest.param(deep_flow(101), "nested deeper than 100", id="deep-flow-101"),
        pytest.param(deep_block(300), "nested deeper than 100", id="deep-block-300"),
        pytest.param(deep_flow(5000), "exceeded maximum nesting depth", id="deep-flow-5000"),
        pytest.param(b"b: !!binary not-base64!\n", "line 1: !!binary value is not base64", id="bad-binary"),
        pytest.param(b"k: \xff\n", "not UTF-8 text (byte 3)", id="not-utf8"),
    ],
)
@pytest.mark.parametrize("operation", ["encrypt", "decrypt"])
def test_hostile_yaml_is_refused_before_any_expansion_or_decryption(
    tmp_path: Path, key: KeyPair, attack: bytes, fragment: str, operation: str
) -> None:
    path = tmp_path / "hostile.yaml"
    if operation == "decrypt":  # the attack above a valid file: the metadata and MAC are never reached
        path.write_bytes(attack + _encrypted(tmp_path, key, "valid.yaml", PLAIN_YAML))
        call: Any = lambda: decrypt_document(path, identities=[key.identity])  # noqa: E731
    else:
        path.write_bytes(attack)
        call = lambda: encrypt_file(path, recipients=[key.recipient])  # noqa: E731
    with pytest.raises(FormatError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert fragment in message


def test_deep_json_is_refused(tmp_path: Path, key: KeyPair) -> None:
    for depth, fragment in ((101, "nested deeper than 100"), (100_000, "nested deeper than 100")):
        path = tmp_path / "deep.json"
        path.write_text('{"a": ' + "[" * depth + "]" * depth + "}")
        with pytest.raises(FormatError, match=fragment):
            encrypt_file(path, recipients=[key.recipient])


def test_huge_sops_file_is_refused_before_it_is_parsed(tmp_path: Path, key: KeyPair) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(17 << 20)
    with pytest.raises(FormatError, match=r"huge\.yaml: larger than 16 MiB; refused"):
        encrypt_file(path, recipients=[key.recipient])


@pytest.mark.parametrize("regex", ["([", "a{2,1}", "(?P<x"])
def test_a_broken_rule_regex_in_metadata_is_a_clear_error(tmp_path: Path, key: KeyPair, regex: str) -> None:
    document = yaml.safe_load(_encrypted(tmp_path, key, "valid.yaml", PLAIN_YAML))
    document["sops"]["encrypted_regex"] = regex
    del document["sops"]["unencrypted_suffix"]
    path = _write(tmp_path / "broken.yaml", yaml.safe_dump(document).encode())
    with pytest.raises(SopsError, match=r"encrypted_regex .* is not a valid regex"):
        decrypt_document(path, identities=[key.identity])


def test_a_broken_rule_regex_in_sops_yaml_is_a_clear_error(tmp_path: Path, key: KeyPair) -> None:
    config = _write(
        tmp_path / ".sops.yaml",
        f"creation_rules:\n  - age: {key.recipient}\n    encrypted_regex: '(['\n".encode(),
    )
    path = _write(tmp_path / "s.yaml", PLAIN_YAML)
    with pytest.raises(SopsError, match=r"creation_rules\[0\]: encrypted_regex '\(\[' is not a valid regex"):
        encrypt_file(path, config_path=config)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _yaml_dump(tree: Any) -> bytes:
    return yaml.dump(tree, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False).encode()


def _json_dump(tree: Any) -> bytes:
    return json.dumps(tree, default=str).encode()


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("creation_rules:\n  - age: {r}\nstores: [1, 2]\n", "stores must be a mapping of store settings"),
        (
            "creation_rules:\n  - age: {r}\nstores: {{json: [1]}}\n",
            "stores must be a mapping of store settings",
        ),
        ("creation_rules: &a [*a]\n", "recursive YAML alias"),
        ("creation_rules:\n  - age: !!binary AAAA\n", "the tag tag:yaml.org,2002:binary is not allowed"),
        ("creation_rules:\n  - age: {r}\n    path_regex: '(['\n", "invalid path_regex"),
    ],
)
def test_a_hostile_sops_yaml_is_one_config_error(
    tmp_path: Path, key: KeyPair, config: str, fragment: str
) -> None:
    path = _write(tmp_path / ".sops.yaml", config.format(r=key.recipient).encode())
    plain = _write(tmp_path / "s.yaml", PLAIN_YAML)
    with pytest.raises(ConfigError) as caught:
        encrypt_file(plain, config_path=path)
    assert str(caught.value).startswith(str(path)) and fragment in str(caught.value)
