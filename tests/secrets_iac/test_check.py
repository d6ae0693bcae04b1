"""`secrets-iac check` on fixture projects: config, program, SOPS file and values per stage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from components.offline_plan import run_program
from secrets_iac.check import Outcome, check_project, report
from secrets_iac.cli import main
from secrets_iac.sops import encrypt_file, parse_identities
from tests.fixtures.keys import AgeKey, new_age_key
from tests.fixtures.stages import stage_values, write_project

VALUES = {"orders": {"db": {"password": "p"}}, "billing": {"api-key": {"KEY": "k"}}}


def _render(project: Path, stage: str) -> int:
    return len(run_program(project, stage))


def _secrets_file(project: Path, stage: str, key: AgeKey, values: Mapping[str, object]) -> Path:
    folder = project / "stacks" / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    plain = folder / f"{stage}.enc.yaml"
    plain.write_text(yaml.safe_dump(values), encoding="utf-8")
    plain.write_bytes(encrypt_file(plain, recipients=[key.recipient]))
    return plain


@pytest.fixture(scope="module")
def key() -> AgeKey:
    return new_age_key()


def test_a_valid_stage_passes_every_step(tmp_path: Path, key: AgeKey) -> None:
    project = write_project(tmp_path, "qa", stage_values())
    _secrets_file(project, "qa", key, VALUES)
    [check] = check_project(project, _render, parse_identities(key.identity, "test key"))
    assert check.ok, report([check])
    assert [(s.name, s.outcome) for s in check.steps] == [
        ("config", Outcome.OK),
        ("program", Outcome.OK),
        ("decrypt", Outcome.OK),
        ("values", Outcome.OK),
    ]


def test_without_an_identity_decrypt_is_skipped_or_required(tmp_path: Path, key: AgeKey) -> None:
    project = write_project(tmp_path, "qa", stage_values())
    _secrets_file(project, "qa", key, VALUES)
    other = parse_identities(new_age_key().identity, "other key")
    [check] = check_project(project, None, other)
    assert check.ok
    assert check.steps[-1].outcome is Outcome.SKIPPED and "no age identity" in check.steps[-1].detail
    [strict] = check_project(project, None, other, require_decrypt=True)
    assert not strict.ok


def test_a_missing_value_and_bad_config_fail_naming_them(tmp_path: Path, key: AgeKey) -> None:
    project = write_project(tmp_path / "a", "qa", stage_values())
    _secrets_file(project, "qa", key, {"orders": {"db": {"password": "p"}}})
    [check] = check_project(project, None, parse_identities(key.identity, "test key"))
    assert not check.ok
    assert (
        check.steps[-1].detail == "no value in stacks/secrets/qa.enc.yaml for secrets-iac/qa/billing/api-key"
    )
    broken = write_project(tmp_path / "b", "qa", stage_values(recoveryWindowInDays=3))
    [bad] = check_project(broken, _render)
    assert [(s.name, s.outcome) for s in bad.steps] == [("config", Outcome.FAILED)]
    assert "secrets-iac:recoveryWindowInDays" in bad.steps[0].detail


def test_cli_exit_code(
    tmp_path: Path, key: AgeKey, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path, "qa", stage_values())
    _secrets_file(project, "qa", key, VALUES)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key.write(tmp_path / "key.txt")))
    assert main(["check", "--project-dir", str(project), "--no-render", "--require-decrypt"]) == 0
    assert "qa: ok" in capsys.readouterr().out
    (project / "stacks" / "Pulumi.bad.yaml").write_text("config: {secrets-iac:region: mars}\n")
    assert main(["check", "--project-dir", str(project), "--no-render"]) == 1
    assert "bad: FAILED" in capsys.readouterr().out
