"""The CLI contract CI relies on: `--json` / `--report -` own stdout, exit codes never overlap (usage 64,
changes 2, errors 1 whatever sops would say, 130 interrupted), `--version`, `--all-stacks`, progress only
on a terminal."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from rich.console import Console

from secrets_iac.cli import main, version
from secrets_iac.commands.sync import TerminalProgress, wants_progress
from secrets_iac.sync import Status
from tests.conftest import REPO_ROOT, MotoServer
from tests.secrets_iac.sync.conftest import BulkProject, SyncProject, snapshot
from tests.secrets_iac.sync.test_cli import sync


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("flag", [["--json"], ["--report", "-"], ["--json", "--report", "-"]])
def test_machine_report_owns_stdout(
    moto: MotoServer, project: SyncProject, capsys: pytest.CaptureFixture[str], flag: list[str]
) -> None:
    assert sync(project, moto, "--create-missing", "--detailed-exitcode", *flag) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # all of stdout is one JSON document
    assert report["version"] == 1 and report["counts"]["created"] == 4
    assert "STATUS" not in captured.out
    assert captured.err.splitlines() == ["test: 4 secrets (4 created; applied)"]
    assert sync(project, moto, "--detailed-exitcode", *flag) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["unchanged"] == 3


@pytest.mark.usefixtures("cli_env")
def test_json_and_a_report_file_together(
    moto: MotoServer, project: SyncProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    assert sync(project, moto, "--create-missing", "--json", "--report", str(path)) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(path.read_text())


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    "args",
    [
        ["sync"],
        ["sync", "--stack", "test", "--bogus"],
        ["sync", "--stack", "test", "--all-stacks"],
        ["sync", "--stack", "test", "--jobs", "0"],
        ["sync", "--stack", "test", "--lock-timeout", "-1"],
        ["sync", "--stack", "a", "--stack", "b", "--secrets-file", "x.enc.yaml"],
        ["sync", "--stack", "test", "--jobs", "many"],
        [],
        ["nope"],
    ],
)
def test_usage_errors_exit_64_never_2(
    project: SyncProject, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main([*args, "--project-dir", str(project.root)] if args[:1] == ["sync"] else args) == 64
    captured = capsys.readouterr()
    assert captured.out == "" and "error:" in captured.err


def test_usage_error_exit_code_from_the_real_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "secrets_iac", "sync", "--stack", "x", "--bogus"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 64 and "unrecognized arguments: --bogus" in done.stderr


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "secrets_iac", "--version"], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert done.returncode == 0 and done.stdout.strip() == f"secrets-iac {version()}"
    assert version() != "unknown"


@pytest.mark.usefixtures("cli_env")
def test_a_key_that_cannot_decrypt_exits_1_not_sops_128(
    moto: MotoServer,
    project: SyncProject,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOPS_AGE_KEY", str(pyrage.x25519.Identity.generate()))
    assert sync(project, moto, "--json", "--create-missing") == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no report: nothing was read from AWS
    assert "stacks/secrets/test.enc.yaml" in captured.err
    assert snapshot(moto) == {}


@pytest.mark.usefixtures("cli_env")
def test_interrupted_exits_130(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("secrets_iac.sync.sync_stages", interrupted)
    assert main(["sync", "--stack", "test", "--project-dir", str(project.root)]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_all_stacks_syncs_every_stack_file(
    bulk: BulkProject,
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("SOPS_AGE_KEY_FILE", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOPS_AGE_KEY", str(bulk.identity.pyrage_identity))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for stack in ("one", "two", "three"):
        bulk.add_stage(stack, 3)
    base = ["sync", "--project-dir", str(bulk.root), "--endpoint-url", moto.endpoint_url]
    assert main([*base, "--all-stacks", "--create-missing", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [s["stack"] for s in report["stages"]] == ["one", "three", "two"]
    assert report["counts"]["created"] == 9
    assert main([*base, "--stack", "two", "--stack", "one", "--detailed-exitcode"]) == 0
    out = capsys.readouterr().out
    assert out.index("two: 3 secrets") < out.index("one: 3 secrets")


def test_progress_only_for_a_person_at_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_progress(Tty(), Tty(), machine_output=False)
    assert not wants_progress(Tty(), Tty(), machine_output=True)
    assert not wants_progress(io.StringIO(), Tty(), machine_output=False)
    assert not wants_progress(Tty(), io.StringIO(), machine_output=False)


def test_terminal_progress_draws_a_bar_and_clears_it() -> None:
    from secrets_iac.sync import SecretResult

    screen = io.StringIO()
    progress = TerminalProgress(Console(file=screen, force_terminal=True, width=80))
    progress.start(4)
    for index in range(4):
        progress.advance("test", SecretResult(f"s{index}", "app", Status.UNCHANGED))
    progress.stop()
    assert "4/4" in screen.getvalue()
    TerminalProgress(Console(file=io.StringIO())).stop()  # never started: nothing to stop


@pytest.mark.usefixtures("cli_env")
def test_no_progress_output_into_a_pipe(
    moto: MotoServer, project: SyncProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sync(project, moto, "--create-missing") == 0
    assert capsys.readouterr().err == ""
