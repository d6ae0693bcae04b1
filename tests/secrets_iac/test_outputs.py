"""Outputs never destroy what the tool did not write (`secrets_iac.outputs`).

Files: `-` is stdout; a named pipe, a terminal or /dev/stdout is written in place (never renamed
over); a regular file is replaced atomically with its mode kept; a bad path fails before any work.
Folders (`plan --out`): only a new, empty or previous output is replaced, with one rename of a link:
a reader polling during hundreds of replacements never sees the folder missing, partial or mixed,
and `kill -9` at random moments always leaves one complete output.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secrets_iac.errors import UserError
from secrets_iac.outputs import (
    MARKER,
    OutputError,
    check_file_output,
    check_output_dir,
    replace_output_dir,
    write_atomic,
    write_output,
)
from tests.conftest import REPO_ROOT

FILES_PER_VERSION = 20
READER_REPLACEMENTS = 150
KILLS = 30


# --- files -------------------------------------------------------------------------------------------------


def test_a_named_pipe_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    check_file_output(fifo)  # checking does not open (and so does not block on) the pipe
    write_output(fifo, b"through the pipe\n")
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the pipe, not a regular file in its place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_terminal_device_is_written_in_place() -> None:
    master, slave = os.openpty()
    try:
        name = Path(os.ttyname(slave))
        write_output(name, b"to the terminal")
        os.set_blocking(master, False)
        time.sleep(0.05)
        assert b"to the terminal" in os.read(master, 1024)
        assert stat.S_ISCHR(name.stat().st_mode)
    finally:
        os.close(master)
        os.close(slave)


_CHILD_WRITES_TO_DEV_STDOUT = """
import sys
from secrets_iac.outputs import write_output
print("table", flush=True)
write_output("/dev/stdout", b"report\\n")
print("after", flush=True)
"""


def test_dev_stdout_is_the_stream_already_open_not_a_file_to_replace(tmp_path: Path) -> None:
    """`--report /dev/stdout > file`: the report lands in the shell's file, at the right offset, and
    that file (and /dev/stdout) stay what they were."""
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    inode = log.stat().st_ino
    with log.open("a") as handle:
        subprocess.run([sys.executable, "-c", _CHILD_WRITES_TO_DEV_STDOUT], stdout=handle, check=True)
    assert log.read_text() == "earlier line\ntable\nreport\nafter\n"
    assert log.stat().st_ino == inode
    piped = subprocess.run(
        [sys.executable, "-c", _CHILD_WRITES_TO_DEV_STDOUT], capture_output=True, check=True
    )
    assert piped.stdout == b"table\nreport\nafter\n"


def test_dash_is_stdout(capfdbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    os.chdir(tmp_path)
    write_output("-", b"on stdout\n")
    check_file_output("-")
    assert capfdbinary.readouterr().out == b"on stdout\n"
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_a_regular_file_is_replaced_atomically_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    target.chmod(0o640)
    inode = target.stat().st_ino
    write_output(target, b"new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # a new file renamed into place, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_new_file_is_private_and_a_link_stays_a_link(tmp_path: Path) -> None:
    write_output(tmp_path / "new.json", b"{}\n")
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o600
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(real.name)
    write_atomic(link, b"new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("missing/report.json", "the folder .*missing does not exist"),
        ("folder", "it is a folder, not a file"),
    ],
)
def test_bad_file_outputs_are_refused_before_any_work(tmp_path: Path, name: str, fragment: str) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match=fragment):
        check_file_output(tmp_path / name)


def test_an_unwritable_folder_is_refused_before_any_work() -> None:
    with pytest.raises(OutputError, match=r"cannot write /proc/1/report\.json: the folder /proc/1 is not"):
        check_file_output("/proc/1/report.json")


# --- folders: what may be replaced --------------------------------------------------------------------------


def _write_version(out: Path, generation: int, files: int = 3) -> None:
    with replace_output_dir(out, owner="test") as version:
        (version / "sub").mkdir()
        for index in range(files):
            (version / "sub" / f"f{index}.txt").write_text(f"{generation}\n")
        (version / "plan.json").write_text(json.dumps({"generation": generation}))


def test_a_new_output_is_a_link_to_a_complete_version_with_a_marker(tmp_path: Path) -> None:
    out = tmp_path / "out" / "prod"
    _write_version(out, 1)
    assert out.is_symlink() and not os.path.isabs(os.readlink(out))
    marker = json.loads((out / MARKER).read_text())
    assert marker["writtenBy"] == "test"
    assert marker["files"] == ["plan.json", "sub/f0.txt", "sub/f1.txt", "sub/f2.txt"]
    _write_version(out, 2)
    assert json.loads((out / "plan.json").read_text()) == {"generation": 2}
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(["prod", os.readlink(out)])


def test_an_empty_folder_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _write_version(out, 1)
    assert out.is_symlink() and (out / "plan.json").is_file()


def test_a_previous_output_copied_as_a_plain_folder_is_replaced(tmp_path: Path) -> None:
    _write_version(tmp_path / "original", 1)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-rL", str(tmp_path / "original"), str(copy)], check=True)
    assert not copy.is_symlink()
    _write_version(copy, 2)
    assert copy.is_symlink() and json.loads((copy / "plan.json").read_text()) == {"generation": 2}


def _someone_elses_folder(out: Path) -> None:
    out.mkdir()
    (out / "notes.txt").write_text("mine")


def _a_file_added_to_a_previous_output(out: Path) -> None:
    _write_version(out, 1)
    (out / "sub" / "notes.txt").write_text("mine")


def _a_file(out: Path) -> None:
    out.write_text("a file")


def _a_foreign_link(out: Path) -> None:
    out.symlink_to(out.parent / "elsewhere")


@pytest.mark.parametrize(
    ("prepare", "fragment"),
    [
        (_someone_elses_folder, r"not empty and not a previous plan output \(no \.secrets-iac-plan in it\)"),
        (_a_file_added_to_a_previous_output, r"out/sub/notes\.txt was not written by secrets-iac plan"),
        (_a_file, "is a file, not a folder"),
        (_a_foreign_link, "is a symbolic link this tool did not write"),
    ],
)
def test_what_the_tool_did_not_write_is_refused_and_kept(
    tmp_path: Path, prepare: Callable[[Path], None], fragment: str
) -> None:
    out = tmp_path / "out"
    prepare(out)
    before = _tree(tmp_path)
    for attempt in (check_output_dir, lambda o: _write_version(o, 9)):
        with pytest.raises(OutputError, match=fragment):
            attempt(out)
        assert _tree(tmp_path) == before


def test_the_current_folder_and_its_parents_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "repo" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for out in (Path("."), Path(".."), work, Path("/")):
        with pytest.raises(OutputError, match="is the current folder or one of its parents"):
            check_output_dir(out)
    with pytest.raises(OutputError, match="needs a folder"):
        check_output_dir(Path("-"))


def test_a_failed_write_leaves_the_previous_output_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_version(out, 1)
    before = _tree(tmp_path)
    with pytest.raises(RuntimeError), replace_output_dir(out, owner="test") as version:
        (version / "half.txt").write_text("half")
        raise RuntimeError("the plan failed")
    assert _tree(tmp_path) == before


def test_leftovers_of_a_killed_run_go_but_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_version(out, 1)
    dead = tmp_path / ".out.secrets-iac-plan-deadbeef"
    dead.mkdir()
    (dead / "half.txt").write_text("half")
    (tmp_path / ".out.secrets-iac-plan-deadbeef.link").symlink_to(dead.name)
    live = tmp_path / ".out.secrets-iac-plan-live"
    live.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)", str(live)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        _write_version(out, 2)
        names = {p.name for p in tmp_path.iterdir()}
        assert names == {"out", os.readlink(out), live.name}
    finally:
        holder.kill()
        holder.wait()
    _write_version(out, 3)
    assert {p.name for p in tmp_path.iterdir()} == {"out", os.readlink(out)}


def test_a_folder_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match=r"cannot write .*file/out: .*file is a file, not a folder"):
        check_output_dir(tmp_path / "file" / "out")
    with pytest.raises(OutputError, match=r"cannot write /proc/1/out: the folder /proc/1 is not writable"):
        check_output_dir(Path("/proc/1/out"))


# --- folders: atomic for readers, whole after kill -9 ------------------------------------------------------


def _tree(root: Path) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        found[key] = (
            f"-> {os.readlink(path)}" if path.is_symlink() else (path.read_text() if path.is_file() else "/")
        )
    return found


def _observe(out: Path) -> str:
    """What a reader sees: `complete`, `retired` (the version it resolved went away, whole), or a defect."""
    if not os.path.lexists(out):
        return "missing"
    version = Path(os.path.realpath(out))
    try:
        listed = json.loads((version / MARKER).read_text())["files"]
        contents = {name: (version / name).read_text() for name in listed}
        present = sorted(p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return "retired" if not version.exists() else "incomplete"
    if not version.exists():  # removed (renamed away whole) while being read: the reader reads the link again
        return "retired"
    if present != sorted([*listed, MARKER]):
        return "incomplete"
    generations = {text.strip() for name, text in contents.items() if name.endswith(".txt")}
    return "complete" if len(generations) == 1 else "mixed"


@pytest.fixture
def busy_threads() -> Iterator[None]:
    """Threads switch every 10 µs instead of 5 ms: the reader interleaves with every step of the writer."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("busy_threads")
def test_a_reader_never_sees_a_missing_partial_or_mixed_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_version(out, 0, FILES_PER_VERSION)
    seen: Counter[str] = Counter()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen[_observe(out)] += 1

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for generation in range(1, READER_REPLACEMENTS + 1):
            _write_version(out, generation, FILES_PER_VERSION)
    finally:
        stop.set()
        reader.join()
    print(f"{READER_REPLACEMENTS} replacements, reader saw {dict(seen)}")
    assert set(seen) <= {"complete", "retired"}, seen
    assert seen["complete"] > READER_REPLACEMENTS


_CHILD_REPLACES_FOREVER = """
import itertools, sys
from pathlib import Path
from secrets_iac.outputs import replace_output_dir
out = Path(sys.argv[1])
print("ready", flush=True)
for generation in itertools.count(1000):
    with replace_output_dir(out, owner="test") as version:
        (version / "sub").mkdir()
        for index in range(int(sys.argv[2])):
            (version / "sub" / f"f{index}.txt").write_text(f"{generation}\\n")
        (version / "plan.json").write_text("{}")
"""


def test_kill_9_at_random_moments_leaves_one_complete_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_version(out, 0, FILES_PER_VERSION)
    rng = random.Random(7)
    outcomes: Counter[str] = Counter()
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD_REPLACES_FOREVER, str(out), str(FILES_PER_VERSION)],
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
        )
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.wait()
        outcomes[_observe(out)] += 1
        assert _observe(out) == "complete"
    _write_version(out, 1, FILES_PER_VERSION)  # the next run clears what the killed ones left
    assert {p.name for p in tmp_path.iterdir()} == {"out", os.readlink(out)}
    print(f"{KILLS} kills: {dict(outcomes)}")


@pytest.mark.usefixtures("busy_threads")
def test_the_reader_detects_a_replacement_that_is_not_atomic(tmp_path: Path) -> None:
    """Control for the test above: the same reader does see the defect of delete-then-rename."""
    out = tmp_path / "out"

    def old_way(generation: int) -> None:
        staging = tmp_path / f"staging{generation}"
        staging.mkdir()
        names = [f"f{index}.txt" for index in range(FILES_PER_VERSION)]
        for name in names:
            (staging / name).write_text(f"{generation}\n")
        (staging / MARKER).write_text(json.dumps({"files": names}))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)

    old_way(0)
    seen: Counter[str] = Counter()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen[_observe(out)] += 1

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for generation in range(1, 1000):
            old_way(generation)
            if seen["missing"] + seen["incomplete"] + seen["mixed"]:
                break
    finally:
        stop.set()
        reader.join()
    assert seen["missing"] + seen["incomplete"] + seen["mixed"] > 0, seen


_CHILD_PAUSES = """
import os, shutil, sys, time
from pathlib import Path
import secrets_iac.outputs as outputs

out, point = Path(sys.argv[1]), sys.argv[2]

def pause():
    print("paused", flush=True)
    time.sleep(60)

def before(function):
    def wrapped(*args, **kwargs):
        pause()
        return function(*args, **kwargs)
    return wrapped

if point == "sealed":
    outputs._swap_in = before(outputs._swap_in)
if point == "linked":
    outputs.os.rename = before(os.rename)  # the link exists beside the output, not yet renamed over it
if point == "swapped":
    outputs._remove = before(outputs._remove)
if point == "removing":
    outputs.shutil = type("S", (), {"rmtree": staticmethod(before(shutil.rmtree))})
with outputs.replace_output_dir(out, owner="test") as version:
    for index in range(int(sys.argv[3])):
        if point == "writing" and index == 5:
            pause()
        (version / f"f{index}.txt").write_text("new\\n")
"""


@pytest.mark.parametrize(
    ("point", "expected"),
    [("writing", "0"), ("sealed", "0"), ("linked", "0"), ("swapped", "new"), ("removing", "new")],
)
def test_kill_9_at_each_step_of_a_replacement_leaves_one_complete_output(
    tmp_path: Path, point: str, expected: str
) -> None:
    out = tmp_path / "out"
    _write_version(out, 0, FILES_PER_VERSION)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD_PAUSES, str(out), point, str(FILES_PER_VERSION)],
        stdout=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    assert child.stdout is not None and child.stdout.readline() == b"paused\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert _observe(out) == "complete"
    if expected == "new":
        assert (out / "f0.txt").read_text() == "new\n" and not (out / "plan.json").exists()
    else:
        assert json.loads((out / "plan.json").read_text()) == {"generation": 0}
    _write_version(out, 1, FILES_PER_VERSION)
    assert {p.name for p in tmp_path.iterdir()} == {"out", os.readlink(out)}
