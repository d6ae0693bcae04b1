"""One direction of imports: the library (`secrets_iac`) loads no Pulumi; the contract has teeth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

LIBRARY_ENTRY_POINTS = ("secrets_iac.sync", "secrets_iac.sops", "secrets_iac.config", "secrets_iac.planner")


def _loaded_modules(*modules: str, then: str = "") -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"{then}\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    loaded: list[str] = json.loads(out)
    return loaded


@pytest.mark.parametrize("module", LIBRARY_ENTRY_POINTS)
def test_library_entry_points_load_no_pulumi(module: str) -> None:
    loaded = _loaded_modules(module)
    assert [m for m in loaded if m.split(".")[0] in {"pulumi", "pulumi_aws", "pulumi_kubernetes"}] == []
    assert [m for m in loaded if m.split(".")[0] == "components"] == []


def test_the_cli_loads_no_pulumi_until_plan_runs() -> None:
    loaded = _loaded_modules("secrets_iac.cli", then="sys.modules['secrets_iac.cli'].build_parser()")
    assert "secrets_iac.commands.plan" in loaded
    assert not [m for m in loaded if m.startswith(("pulumi", "components"))]


def _lint_imports(root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache"], cwd=root, capture_output=True, text=True, check=False, env=env
    )


def test_import_contract_is_kept() -> None:
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_import_contract_breaks_on_a_library_module_importing_pulumi(tmp_path: Path) -> None:
    """A copy of the tree where the config model imports the Pulumi layer fails the contract."""
    copy = tmp_path / "tree"
    copy.mkdir()
    shutil.copy2(REPO_ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in ("secrets_iac", "components"):
        shutil.copytree(REPO_ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    model = copy / "secrets_iac" / "config" / "model.py"
    model.write_text(model.read_text() + "\nimport components.stage  # noqa\n")
    result = _lint_imports(copy, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "secrets_iac.config.model -> components.stage" in result.stdout
