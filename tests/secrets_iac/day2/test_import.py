"""`secrets-iac import`: the pulumi import file names each secret exactly as the program declares it
(checked against the offline plan of a fixture stage), and leaves out what the stack export holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secrets_iac.cli import main
from secrets_iac.config import load_stage_config
from secrets_iac.day2.adopt import SECRET_TYPE, Names, import_plan
from secrets_iac.planner import render_stage
from secrets_iac.sync.responses import SecretMeta
from tests.conftest import MotoServer
from tests.plan_render import rendered
from tests.secrets_iac.sync.conftest import SyncProject, pulumi_up


def _label(urn: str) -> str:
    """What plan.json shows for a URN: `<type>::<name>` (the offline plan's labels)."""
    _, _, type_path, name = urn.rsplit("::", 3)
    return f"{type_path.split('$')[-1]}::{name}"


def test_names_and_parents_match_the_program(tmp_path_factory: pytest.TempPathFactory) -> None:
    stage = "alpha"
    out = rendered(tmp_path_factory, stage)
    project_dir = out.out.parent / f".project-{out.out.name}"  # where tests.plan_render copies the example
    plan = render_stage(load_stage_config(project_dir, stage), stage)
    names = Names(stage, "secrets-iac", plan.environment)
    existing = {
        s.name: SecretMeta(
            s.name, f"arn:aws:secretsmanager:eu-west-1:1:secret:{s.name}-AbCdEf", None, False, {}
        )
        for s in (*plan.secrets, *plan.generated_secrets)
    }
    document = import_plan(plan, names, existing, None).document
    by_ref = {r["name"]: r for r in document["resources"]}
    planned = {(r["type"], r["name"]): r for r in out.resources}
    secrets = [r for r in document["resources"] if r["type"] == SECRET_TYPE]
    assert len(secrets) == len(existing) > 0
    for secret in secrets:
        key = secret["logicalName"].removesuffix("-secret")
        declared = planned[(SECRET_TYPE, secret["logicalName"])]
        assert declared["parent"] == _label(names.entry(key))
        entry = by_ref[secret["parent"]]
        assert entry["component"] is True and entry["logicalName"] == key
        assert planned[(entry["type"], key)]["parent"] == _label(names.stage())
        assert by_ref[entry["parent"]]["logicalName"] == plan.environment
        assert secret["id"].startswith("arn:aws:secretsmanager:")
    assert "nameTable" not in document  # nothing in state: every parent is in the file


@pytest.mark.usefixtures("cli_env")
def test_cli_leaves_out_what_the_state_has(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.root / "Pulumi.yaml").write_text("name: adopt-test\nruntime: python\n")
    pulumi_up(moto, project, skip=(project.name("web", "tls"),))
    names = Names("test", "adopt-test", "test")
    keys = {s.name: s.key for s in project.plan().secrets}
    export = tmp_path / "state.json"
    held = [names.stage(), names.provider(), names.secret(keys[project.name("payments", "db")])]
    export.write_text(json.dumps({"version": 3, "deployment": {"resources": [{"urn": u} for u in held]}}))
    out = tmp_path / "import.json"
    code = main(["import", "--stack", "test", "--project-dir", str(project.root), "--endpoint-url",
                 moto.endpoint_url, "--stack-export", str(export), "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "2 secrets to import (1 already in state)" in err
    document = json.loads(out.read_text())
    assert document["nameTable"] == {"stage": names.stage(), "aws-provider": names.provider()}
    imported = [r for r in document["resources"] if r["type"] == SECRET_TYPE]
    assert sorted(r["logicalName"] for r in imported) == sorted(
        f"{keys[project.name('payments', n)]}-secret" for n in ("stripe-api-key", "db-rotated")
    )
    assert all(r["provider"] == "aws-provider" and r["id"].startswith("arn:aws:") for r in imported)
