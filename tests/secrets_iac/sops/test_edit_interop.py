"""edit/set/unset/--filename-override against the real sops 3.11, in both directions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from secrets_iac.cli import main
from secrets_iac.sops import decrypt_file, encrypt_file
from secrets_iac.sops.stores import load_encrypted
from secrets_iac.sops.tree import leaves
from tests.secrets_iac.sops.conftest import KeyPair, RealSops
from tests.secrets_iac.sops.test_edit import EDITOR_SCRIPT

pytestmark = pytest.mark.interop

PLAIN = (
    "# secrets\napp:\n    password: hunter2\n    port: 5432\n    hosts:\n        - a\n        - a\n"
    "    tls:\n        - cert: |\n            line1\n            line2\n          key: k\n"
    "flag_unencrypted: true\n"
)
FIXED_TIME = "2030-01-02T03:04:05Z"


@pytest.fixture
def project(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: prod/\n    age: {keys[1].recipient}\n"
        f"  - age: {keys[0].recipient}\n"
    )
    (tmp_path / "plain.yaml").write_text(PLAIN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("secrets_iac.sops.rewrite.now_lastmodified", lambda: FIXED_TIME)
    return tmp_path


def _changed_keys(before: bytes, after: bytes) -> list[str]:
    """The YAML keys (or `-`) of the lines that differ: a rewrite's whole diff."""
    old, new = before.decode().splitlines(), after.decode().splitlines()
    assert len(old) == len(new), "lines were added or removed"
    return [a.strip().split(":")[0] for a, b in zip(old, new, strict=True) if a != b]


def _types(data: bytes) -> dict[tuple[str, ...], str]:
    branches, _ = load_encrypted(data, "yaml", "t")
    return {p: v.rsplit("type:", 1)[1] for p, v in leaves(branches) if isinstance(v, str) and "type:" in v}


def test_our_set_on_a_sops_file_changes_only_that_value(
    project: Path, real_sops: RealSops, keys: list[KeyPair]
) -> None:
    path = project / "s.enc.yaml"
    path.write_bytes(
        real_sops.run(["encrypt", "--filename-override", "s.enc.yaml", "plain.yaml"], cwd=project).stdout
    )
    before = path.read_bytes()
    assert main(["sops", "set", "s.enc.yaml", '["app"]["password"]', '"n3w"']) == 0
    assert _changed_keys(before, path.read_bytes()) == ["password", "lastmodified", "mac"]
    theirs = real_sops.run(["decrypt", "s.enc.yaml"], key_files=[keys[0].key_file], cwd=project).stdout
    assert theirs == decrypt_file(path) == PLAIN.replace("hunter2", "n3w").encode()


@pytest.mark.parametrize(
    ("index", "value"),
    [
        ('["app"]["port"]', "6543"),
        ('["app"]["password"]', '"s p a c e"'),
        ('["app"]["hosts"][7]', '"c"'),
        ('["app"]["db"]', '{"user": "u", "n": 1.5, "on": true, "nested": {"k": [1, "two"]}}'),
        ('["new"][0]["deep"]', "null"),
        ('["flag_unencrypted"]', "false"),
        ('["app"]["tls"][0]["key"]', '"k2"'),
    ],
)
def test_our_set_matches_real_sops_set(
    project: Path, real_sops: RealSops, keys: list[KeyPair], index: str, value: str
) -> None:
    original = encrypt_file(project / "plain.yaml", config_path=project / ".sops.yaml")
    ours, theirs = project / "ours.yaml", project / "theirs.yaml"
    ours.write_bytes(original)
    theirs.write_bytes(original)
    assert main(["sops", "set", "ours.yaml", index, value]) == 0
    real_sops.run(["set", "theirs.yaml", index, value], key_files=[keys[0].key_file], cwd=project)
    decrypt = ["decrypt"]
    expected = real_sops.run([*decrypt, "theirs.yaml"], key_files=[keys[0].key_file], cwd=project).stdout
    assert (
        real_sops.run([*decrypt, "ours.yaml"], key_files=[keys[0].key_file], cwd=project).stdout == expected
    )
    assert decrypt_file(ours) == decrypt_file(theirs) == expected
    assert _types(ours.read_bytes()) == _types(theirs.read_bytes())


def test_real_sops_set_and_unset_on_our_file_read_back_and_keep_our_layout(
    project: Path, real_sops: RealSops, keys: list[KeyPair]
) -> None:
    path = project / "s.enc.yaml"
    path.write_bytes(encrypt_file(project / "plain.yaml", config_path=project / ".sops.yaml"))
    before = path.read_bytes()
    real_sops.run(["set", "s.enc.yaml", '["app"]["port"]', "1"], key_files=[keys[0].key_file], cwd=project)
    changed = [key for key in _changed_keys(before, path.read_bytes()) if key != "lastmodified"]  # 1 s steps
    # sops gives both equal hosts the IV of the last one (its stash keeps one IV per value); we keep each.
    assert changed == ["port", "- ENC[AES256_GCM,data", "mac"]
    real_sops.run(["unset", "s.enc.yaml", '["app"]["hosts"][1]'], key_files=[keys[0].key_file], cwd=project)
    expected = real_sops.run(["decrypt", "s.enc.yaml"], key_files=[keys[0].key_file], cwd=project).stdout
    assert decrypt_file(path) == expected
    assert b"port: 1\n" in expected and b"- a\n        - a" not in expected
    assert main(["sops", "set", "s.enc.yaml", '["app"]["port"]', "2"]) == 0
    assert main(["sops", "unset", "s.enc.yaml", '["app"]["tls"]']) == 0
    got = real_sops.run(["decrypt", "s.enc.yaml"], key_files=[keys[0].key_file], cwd=project).stdout
    assert got == decrypt_file(path) and b"port: 2\n" in got and b"tls" not in got


def test_our_edit_of_a_sops_file_decrypts_with_real_sops(
    project: Path, real_sops: RealSops, keys: list[KeyPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "s.enc.yaml"
    path.write_bytes(
        real_sops.run(["encrypt", "--filename-override", "s.enc.yaml", "plain.yaml"], cwd=project).stdout
    )
    before = path.read_bytes()
    monkeypatch.setenv("EDITOR", f"{sys.executable} {EDITOR_SCRIPT}")
    monkeypatch.setenv("FAKE_EDITOR_LOG", str(project / "log.jsonl"))
    monkeypatch.setenv("FAKE_EDITOR_STEPS", json.dumps([{"replace": ["port: 5432", "port: 15432"]}]))
    assert main(["sops", "edit", "s.enc.yaml"]) == 0
    assert _changed_keys(before, path.read_bytes()) == ["port", "lastmodified", "mac"]
    theirs = real_sops.run(["decrypt", "s.enc.yaml"], key_files=[keys[0].key_file], cwd=project).stdout
    assert theirs == PLAIN.replace("5432", "15432").encode()


def test_real_sops_edit_of_our_file_decrypts_with_ours(
    project: Path, real_sops: RealSops, keys: list[KeyPair]
) -> None:
    path = project / "s.enc.yaml"
    path.write_bytes(encrypt_file(project / "plain.yaml", config_path=project / ".sops.yaml"))
    env = {
        "EDITOR": f"{sys.executable} {EDITOR_SCRIPT}",
        "FAKE_EDITOR_LOG": str(project / "log.jsonl"),
        "FAKE_EDITOR_STEPS": json.dumps([{"replace": ["hunter2", "their-edit"]}]),
    }
    real_sops.run(["edit", "s.enc.yaml"], key_files=[keys[0].key_file], cwd=project, extra_env=env)
    assert decrypt_file(path) == PLAIN.replace("hunter2", "their-edit").encode()


def test_filename_override_picks_the_same_rule_as_real_sops(
    project: Path, real_sops: RealSops, keys: list[KeyPair]
) -> None:
    (project / "prod").mkdir()
    (project / "value.tmp").write_text(PLAIN)  # no extension: the override also gives the type
    ours = project / "prod" / "ours.enc.yaml"
    assert (
        main(
            [
                "sops",
                "encrypt",
                "--filename-override",
                "prod/app.enc.yaml",
                "value.tmp",
                "--output",
                str(ours),
            ]
        )
        == 0
    )
    theirs = real_sops.run(
        ["encrypt", "--filename-override", "prod/app.enc.yaml", "value.tmp"], cwd=project
    ).stdout
    for data in (ours.read_bytes(), theirs):
        assert keys[1].recipient.encode() in data and keys[0].recipient.encode() not in data
    got = real_sops.run(["decrypt", "prod/ours.enc.yaml"], key_files=[keys[1].key_file], cwd=project).stdout
    assert got == PLAIN.encode()
