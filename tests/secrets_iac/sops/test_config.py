"""`.sops.yaml` lookup and rule selection (spec §8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_iac.sops.config import find_config, load_config, rule_for_file
from secrets_iac.sops.errors import ConfigError, NoEncryptionKeyError

R1 = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw"
R2 = "age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep"


def _config(folder: Path, text: str) -> Path:
    path = folder / ".sops.yaml"
    path.write_text(text)
    return path


def test_first_matching_rule_wins_relative_to_the_config(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        f"creation_rules:\n  - path_regex: ^sub/\n    age: {R1}\n    encrypted_regex: ^data$\n"
        f"  - path_regex: sub\n    age: {R2}\n  - age: ' {R1} , {R2} ,'\n",
    )
    rule = rule_for_file(tmp_path / "sub" / "x.yaml", config)
    assert rule.key_groups == ((R1,),) and rule.rule.kind == "encrypted_regex"
    assert rule_for_file(tmp_path / "other" / "sub.yaml", config).key_groups == ((R2,),)
    assert rule_for_file(tmp_path / "z.yaml", config).key_groups == ((R1, R2),)
    assert rule_for_file(tmp_path / "z.yaml", config).rule.kind is None


def test_key_groups_and_threshold(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        f"creation_rules:\n  - shamir_threshold: 2\n    mac_only_encrypted: true\n    key_groups:\n"
        f"      - age: [{R1}, {R1}]\n      - age:\n          - {R2}\n",
    )
    rule = rule_for_file(tmp_path / "a.json", config)
    assert rule.key_groups == ((R1,), (R2,))
    assert rule.shamir_threshold == 2 and rule.mac_only_encrypted


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no matching creation rules"):
        rule_for_file(
            tmp_path / "a.yaml", _config(tmp_path, f"creation_rules:\n  - path_regex: x$\n    age: {R1}\n")
        )
    with pytest.raises(ConfigError, match="only one of"):
        load_config(
            _config(
                tmp_path,
                f"creation_rules:\n  - age: {R1}\n    encrypted_regex: a\n    unencrypted_regex: b\n",
            )
        )
    with pytest.raises(ConfigError, match="not supported"):
        load_config(_config(tmp_path, "creation_rules:\n  - pgp: ABCDEF\n"))
    with pytest.raises(NoEncryptionKeyError):
        rule_for_file(tmp_path / "a.yaml", _config(tmp_path, "creation_rules:\n  - path_regex: a\n"))


def test_lookup_from_cwd_upwards_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOPS_CONFIG", raising=False)
    config = _config(tmp_path, "creation_rules: []\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == config
    other = tmp_path / "other.yaml"
    other.write_text("creation_rules: []\n")
    assert find_config(deep, env={"SOPS_CONFIG": str(other)}) == other
    with pytest.raises(ConfigError):
        find_config(Path("/"), env={})
