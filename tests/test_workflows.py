"""The GitHub workflows: valid against GitHub's schema, and running the commands the README documents."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
_COMMAND = re.compile(r"secrets-iac (?P<args>[^\n|>&;]*)")


def _check_jsonschema() -> str:
    return str(Path(sys.executable).with_name("check-jsonschema"))


def test_there_are_preview_and_deploy_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "preview.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates_against_githubs_schema(path: Path) -> None:
    result = subprocess.run(
        [_check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_has_teeth(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = subprocess.run(
        [_check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


def _shape(args: str) -> tuple[str, frozenset[str]]:
    """`plan --stack "$S" --out x --graph` -> ("plan", {"--stack", "--out", "--graph"})."""
    words = shlex.split(args.split(" #", 1)[0].replace("$", ""), posix=True)
    return words[0], frozenset(w for w in words[1:] if w.startswith("--"))


def _workflow_commands() -> set[tuple[str, frozenset[str]]]:
    found = set()
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values():
            for step in job.get("steps", []):
                for match in _COMMAND.finditer(step.get("run", "")):
                    found.add(_shape(match.group("args")))
    return found


def _readme_code() -> str:
    """The README's fenced code blocks, where commands are documented."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```[a-z]*\n(.*?)```", readme, flags=re.DOTALL))


def test_workflows_run_the_commands_the_readme_documents() -> None:
    code = _readme_code()
    documented = {_shape(m.group("args")) for m in _COMMAND.finditer(code) if m.group("args").strip()}
    commands = _workflow_commands()
    assert {name for name, _ in commands} >= {"plan", "diff", "sync", "verify"}
    missing = sorted((name, sorted(flags)) for name, flags in commands if (name, flags) not in documented)
    assert missing == [], f"workflow commands not documented in README.md: {missing}"


def test_preview_asks_for_oidc_and_comment_permissions() -> None:
    preview = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "preview.yml").read_text())
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    uses = [s.get("uses", "") for s in preview["jobs"]["preview"]["steps"]]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    assert any(u.startswith("pulumi/actions@") for u in uses)
    deploy = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    assert deploy["jobs"]["deploy"]["strategy"]["max-parallel"] == 1
    assert deploy["jobs"]["deploy"]["environment"] == "${{ matrix.stage }}"
