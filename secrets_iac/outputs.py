"""Where results go: stdout, a file or the plan's folder, never over something the tool did not write.

Files (`sops … --output`, `--in-place`, `sync --report`): `-` is stdout; an existing file that is not
a regular file (a named pipe, a terminal, /dev/stdout) is written in place, never renamed over; a
regular file is replaced atomically (temp file beside it, fsync, rename), keeping its permission
bits, and through a symbolic link the link stays. `check_file_output` runs before the work, so a
missing folder fails before any AWS write.

Folders (`plan --out DIR`): DIR is a symbolic link to a sibling `.DIR.secrets-iac-plan-<random>`
holding the output and a marker listing its files. A new output is written beside it and swapped
in with one rename of the link, so a reader sees the old or the new output, complete, at every
instant, and `kill -9` at any point leaves one of them. DIR may be new, empty or a previous output;
anything else (a file, a foreign link, a folder with other content) is refused before the work.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TextIO

from secrets_iac.errors import UserError
from secrets_iac.rules.limits import clip

STDOUT = "-"
MARKER = ".secrets-iac-plan"
"""Written last into every plan output: what wrote the folder and which files are its own."""
_VERSION_INFIX = ".secrets-iac-plan-"
_OURS = re.compile(r"\..+\.secrets-iac-plan-[A-Za-z0-9_]+")


class OutputError(UserError):
    """An output path the tool will not or cannot write; the message names the path."""


def is_stdout(target: Path | str | None) -> bool:
    return target is not None and str(target) == STDOUT


def _os_error(path: Path | str, err: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {err.strerror or err}")


# --- files -------------------------------------------------------------------------------------------------


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise _os_error(path, err) from None


def _written_in_place(path: Path, st: os.stat_result) -> bool:
    """Pipes and devices, and anything named through /dev or /proc (`/dev/stdout` redirected to a file
    is the shell's open file: renaming over it would detach the command's own output)."""
    absolute = os.path.abspath(path)
    return not stat.S_ISREG(st.st_mode) or absolute.startswith(("/dev/", "/proc/"))


def check_file_output(target: Path | str | None) -> None:
    """Refuse, before any work, a file output that cannot be written (missing folder, a folder, read-only)."""
    if target is None or is_stdout(target):
        return
    path = Path(target)
    st = _stat(path)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {path}: it is a folder, not a file")
    if st is not None and _written_in_place(path, st):
        if not os.access(path, os.W_OK):
            raise OutputError(f"cannot write {path}: permission denied")
        return
    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: the folder {folder} is not writable")


def _same_file(st: os.stat_result, stream: TextIO) -> bool:
    try:
        other = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


def write_output(target: Path | str, data: bytes) -> None:
    """Write `data` to `-` (stdout), in place to a pipe or device, or atomically to a regular file."""
    if is_stdout(target):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(target)
    st = _stat(path)
    for stream in (sys.stdout, sys.stderr):
        if st is not None and _same_file(st, stream):  # /dev/stdout, or the file stdout goes to: the
            stream.flush()  # stream already open, at its offset, not a new file under the shell's feet
            stream.buffer.write(data)
            stream.flush()
            return
    if st is not None and _written_in_place(path, st):
        try:
            with open(path, "r+b" if stat.S_ISREG(st.st_mode) else "wb") as handle:
                handle.write(data)
                if stat.S_ISREG(st.st_mode):
                    handle.truncate()
        except OSError as err:
            raise _os_error(path, err) from None
        return
    write_atomic(path, data)


def write_atomic(path: Path | str, data: bytes) -> None:
    """Replace a regular file atomically: temp file beside it, fsync, rename; mode (and owner, when
    allowed) kept; a symbolic link is followed, so the link stays and its target is replaced."""
    target = Path(os.path.realpath(path))
    st = _stat(target)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise _os_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if st is not None:
            os.chmod(temp_name, st.st_mode & 0o7777)
            with contextlib.suppress(OSError):
                os.chown(temp_name, st.st_uid, st.st_gid)
        os.replace(temp_name, target)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        if isinstance(err, OSError):
            raise _os_error(path, err) from None
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- the plan's folder -------------------------------------------------------------------------------------

Kind = Literal["absent", "empty", "link", "folder"]


def _listed_files(folder: Path) -> set[str] | None:
    """The files a plan output's marker lists, or None when the folder has no readable marker."""
    try:
        listed = json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {str(name) for name in listed} if isinstance(listed, list) else None


def _foreign_entries(folder: Path, listed: set[str]) -> list[str]:
    """What is in a previous output that its marker does not list: someone else's files."""
    foreign: list[str] = []
    for root, dirs, files in os.walk(folder):
        for name in sorted(files) + [d for d in sorted(dirs) if (Path(root) / d).is_symlink()]:
            relative = (Path(root) / name).relative_to(folder).as_posix()
            if relative not in listed and relative != MARKER:
                foreign.append(relative)
    return foreign


def _check_previous(out: Path, folder: Path) -> None:
    listed = _listed_files(folder)
    if listed is None:
        raise OutputError(
            f"{out}: not empty and not a previous plan output (no {MARKER} in it); plan --out "
            "replaces the whole folder, so choose a new or empty one"
        )
    foreign = _foreign_entries(folder, listed)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise OutputError(
            f"{out}/{clip(foreign[0])}{more} was not written by secrets-iac plan; "
            "move it away or choose another --out"
        )


def inspect_output_dir(out: Path) -> Kind:
    """What `out` is now, refusing anything plan --out must not replace; no change is made."""
    if str(out) == STDOUT:
        raise OutputError("--out needs a folder; - (stdout) cannot hold a plan's files")
    absolute = Path(os.path.abspath(out))
    real = Path(os.path.realpath(absolute))
    cwd = Path.cwd().resolve()
    if absolute.name in ("", "..") or real == cwd or real in cwd.parents:
        raise OutputError(f"{out}: is the current folder or one of its parents; choose a folder of its own")
    try:
        st = absolute.lstat()
    except (FileNotFoundError, NotADirectoryError):  # (a file on the way: check_output_dir names it)
        return "absent"
    except OSError as err:
        raise _os_error(out, err) from None
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(absolute)
        if not _OURS.fullmatch(target):
            raise OutputError(f"{out}: is a symbolic link this tool did not write; choose another --out")
        if (absolute.parent / target).is_dir():
            _check_previous(out, absolute.parent / target)
        return "link"
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{out}: is a file, not a folder")
    try:
        empty = not any(absolute.iterdir())
    except OSError as err:
        raise _os_error(out, err) from None
    if empty:
        return "empty"
    _check_previous(out, absolute)
    return "folder"


def check_output_dir(out: Path) -> None:
    """Refuse, before any work, an output folder plan --out must not replace or cannot create."""
    inspect_output_dir(out)
    existing = Path(os.path.abspath(out)).parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {out}: the folder {existing} is not writable")


@contextlib.contextmanager
def _locked(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """An exclusive flock on a folder (released by the kernel if the process dies); yields whether held."""
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        except OSError:  # a file system without flock on folders: go on unlocked, as before locks
            pass
        yield True
    finally:
        os.close(fd)


def _seal(folder: Path, owner: str, *, durable: bool) -> None:
    """Write the marker listing every file (last: a version with a marker is complete); `durable`
    also fsyncs every file and folder, so the version survives a power loss, not only `kill -9`."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    marker = {"writtenBy": owner, "note": "replaced whole by the next run; do not keep files here"}
    (folder / MARKER).write_text(json.dumps({**marker, "files": files}, indent=2) + "\n", encoding="utf-8")
    if not durable:
        return
    for name in [*files, MARKER]:
        fd = os.open(folder / name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for sub in sorted({p for p in folder.rglob("*") if p.is_dir()} | {folder}):
        _fsync_dir(sub)


def _remove(folder: Path) -> None:
    """Rename out of sight first (a reader holding the old path sees all of it or none), then delete."""
    trash = folder.with_name(f"{folder.name}-old")
    try:
        os.rename(folder, trash)
    except OSError:
        trash = folder
    shutil.rmtree(trash, ignore_errors=True)


def _clean_leftovers(out: Path, keep: str) -> None:
    """Versions a killed run left beside `out` (not the current one, not locked by a running plan)."""
    prefix = f".{out.name}{_VERSION_INFIX}"
    for sibling in out.parent.iterdir():
        if not sibling.name.startswith(prefix) or sibling.name == keep:
            continue
        with contextlib.suppress(OSError):
            if sibling.is_dir() and not sibling.is_symlink():
                with _locked(sibling, blocking=False) as free:
                    if free:
                        _remove(sibling)
            else:  # a link a killed run made but did not rename (links are made under the folder's lock)
                sibling.unlink()


def _swap_in(out: Path, version: Path) -> None:
    """Point `out` at `version` with one rename; then the previous output and leftovers go."""
    kind = inspect_output_dir(out)  # again: something may have appeared while the plan ran
    previous: Path | None = None
    if kind == "link":
        previous = out.parent / os.readlink(out)
    elif kind == "empty":
        out.rmdir()
    elif kind == "folder":  # a previous output copied as a plain folder: moved aside, then linked
        previous = out.parent / f"{version.name}-previous"
        os.rename(out, previous)
    link = out.parent / f"{version.name}.link"
    os.symlink(version.name, link)
    os.rename(link, out)
    _fsync_dir(out.parent)
    with contextlib.suppress(OSError):  # the new plan is in place; clearing up is best effort
        if previous is not None and previous != version:
            _remove(previous)
        _clean_leftovers(out, keep=version.name)


def _new_version(out: Path) -> Path:
    """A new empty sibling `.<name>.secrets-iac-plan-<random>`, mode from the umask like any folder."""
    while True:
        version = out.parent / f".{out.name}{_VERSION_INFIX}{secrets.token_hex(6)}"
        try:
            version.mkdir(0o777)
            return version
        except FileExistsError:
            continue


@contextlib.contextmanager
def replace_output_dir(out: Path, *, owner: str, durable: bool = False) -> Iterator[Path]:
    """Yield a new, empty version folder beside `out` to write into; on success it becomes `out`.

    On any error (or interruption) the new version is removed and `out` stays as it was. Readers and
    `kill -9` never see a partial output either way; `durable` adds an fsync of every file (about 5 ms
    each on ext4), worth it for data that cannot be made again, not for a plan that can.
    """
    out = Path(os.path.abspath(out))
    inspect_output_dir(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        version = _new_version(out)
    except OSError as err:
        raise _os_error(out, err) from None
    try:
        with _locked(version):  # a concurrent run's clean-up skips a version being written
            yield version
            _seal(version, owner, durable=durable)
            with _locked(out.parent):
                _swap_in(out, version)
    except BaseException as err:
        if os.path.realpath(out) != os.path.realpath(version):
            shutil.rmtree(version, ignore_errors=True)
        if isinstance(err, OSError):
            raise _os_error(out, err) from None
        raise
