"""`secrets-iac plan --out DIR` end to end: what it refuses (before the program runs), that a reader polling
during re-plans only ever sees a complete plan, and that `kill -9` of a real plan mid-replacement leaves
the previous plan or the new one.

The project is a fixture stage (`tests/fixtures/stages.py`) in two shapes (two apps, three apps), so a
reader can tell the plans apart and a mix of them is visible.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import secrets_iac.outputs as outputs
from components.offline_plan import plan_stack
from secrets_iac.cli import main as cli_main
from secrets_iac.outputs import MARKER
from tests.conftest import REPO_ROOT
from tests.fixtures.stages import stage_values, write_project

STACK = "qa"
RE_PLANS = 8


def _three_apps() -> dict[str, Any]:
    values = stage_values()
    third = copy.deepcopy(values["apps"][1])
    third.update(name="search", namespace="search", serviceAccount="search-secrets")
    values["apps"].append(third)
    return values


def _set_shape(project: Path, values: dict[str, Any]) -> None:
    config: dict[str, Any] = {"aws:region": values["region"]}
    config.update({f"secrets-iac:{key}": value for key, value in values.items()})
    path = project / "stacks" / f"Pulumi.{STACK}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project", STACK, stage_values())


def _plan(project: Path, out: Path) -> int:
    return cli_main(["plan", "--stack", STACK, "--out", str(out), "--project-dir", str(project)])


def _signature(out: Path) -> tuple[int, tuple[str, ...]]:
    """(resources in plan.json, manifest files) of the plan a reader sees through `out`, resolved once."""
    version = Path(os.path.realpath(out))
    try:
        resources = json.loads((version / "plan.json").read_text(encoding="utf-8"))["resources"]
        listed = json.loads((version / MARKER).read_text(encoding="utf-8"))["files"]
        present = sorted(p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file())
    except FileNotFoundError:
        present, listed, resources = ["incomplete"], [], []
    if not version.exists():  # removed whole while being read: FileNotFoundError, the reader retries
        raise FileNotFoundError(version)
    if present != sorted([*listed, MARKER]):
        return -1, ("incomplete",)
    return len(resources), tuple(sorted(n for n in listed if n.startswith("manifests/")))


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        ("notes", "not empty and not a previous plan output (no .secrets-iac-plan in it)"),
        (".", "is the current folder or one of its parents"),
        ("notes/notes.txt", "is a file, not a folder"),
        ("/proc/1/plan", "cannot write /proc/1/plan: the folder /proc/1 is not writable"),
        ("-", "--out needs a folder"),
    ],
)
def test_plan_out_refuses_what_it_did_not_write_in_one_line(
    project: Path,
    out: str,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project / "notes").mkdir()
    (project / "notes" / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(project)
    before = sorted(str(p) for p in project.rglob("*"))
    assert _plan(project, Path(out)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("secrets-iac: error: ") and fragment in line, line
    assert sorted(str(p) for p in project.rglob("*")) == before
    assert (project / "notes" / "notes.txt").read_text() == "mine\n"


def test_a_reader_polling_during_re_plans_sees_only_complete_plans(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / STACK
    shapes = [stage_values(), _three_apps()]
    signatures = set()
    for shape in shapes:
        _set_shape(project, shape)
        plan_stack(project, STACK, out)
        signatures.add(_signature(out))
    assert len(signatures) == 2  # the two shapes are told apart

    seen: Counter[str] = Counter()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            if not os.path.lexists(out):
                seen["missing"] += 1
                continue
            try:
                seen["complete" if _signature(out) in signatures else "incomplete or mixed"] += 1
            except FileNotFoundError:
                seen["retired"] += 1  # the version it resolved was removed whole; it reads the link again

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # the reader interleaves with every step of the writer
    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for index in range(RE_PLANS):
            _set_shape(project, shapes[index % 2])
            plan_stack(project, STACK, out)
    finally:
        stop.set()
        reader.join()
        sys.setswitchinterval(interval)
    print(f"{RE_PLANS} re-plans, reader saw {dict(seen)}")
    assert set(seen) <= {"complete", "retired"}, seen
    assert seen["complete"] > RE_PLANS


_CHILD = """
import sys, time
import secrets_iac.outputs as outputs
from secrets_iac.cli import main

def paused(function):
    def wrapped(*args, **kwargs):
        print("paused", flush=True)
        time.sleep(120)
    return wrapped

point, project, out = sys.argv[1:4]
if point == "before-swap":
    outputs._swap_in = paused(outputs._swap_in)
else:
    outputs._remove = paused(outputs._remove)
sys.exit(main(["plan", "--stack", "qa", "--out", out, "--project-dir", project]))
"""


def test_kill_9_of_a_real_plan_mid_replacement_leaves_the_old_or_the_new_plan(tmp_path: Path) -> None:
    """Each point in its own project and output, the two plans run at once (each is a Pulumi run)."""
    old, new = stage_values(), _three_apps()
    runs = {}
    for point in ("before-swap", "after-swap"):
        project = write_project(tmp_path / point / "project", STACK, old)
        out = tmp_path / point / "out"
        plan_stack(project, STACK, out)
        previous = _signature(out)
        _set_shape(project, new)
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, point, str(project), str(out)],
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
        )
        runs[point] = (project, out, previous, child)
    for point, (project, out, previous, child) in runs.items():
        assert child.stdout is not None and child.stdout.readline() == b"paused\n", point
        child.send_signal(signal.SIGKILL)
        child.wait()
        after_kill = _signature(out)
        if point == "before-swap":
            assert after_kill == previous
        else:
            assert after_kill != previous and after_kill[0] > previous[0]
        plan_stack(project, STACK, out)  # the next plan replaces it and clears what the killed run left
        assert {p.name for p in out.parent.iterdir()} == {"project", "out", os.readlink(out)}


def test_an_output_folder_that_fails_at_write_time_is_one_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root passes permission checks; a read-only file system still refuses the write: one line."""

    def read_only_file_system(out: Path) -> Path:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(out.parent))

    monkeypatch.setattr(outputs, "_new_version", read_only_file_system)
    out = tmp_path / "ro" / "plan"
    assert _plan(project, out) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"secrets-iac: error: cannot write {out}: Read-only file system"
    ]
    assert not out.exists()
