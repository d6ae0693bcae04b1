"""`edit`: decrypt into a private temp file, run the editor, re-encrypt (sops's cmd/sops/edit.go).

The plaintext goes to a 0600 file, named like the SOPS file so editors highlight it, in a fresh 0700
folder outside the repository: `$XDG_RUNTIME_DIR` when it is private to the user, else the system
temp folder (`$TMPDIR`). The editor is `$SOPS_EDITOR`, else `$EDITOR` (split like a shell would),
else the first of vim, nano, vi on the PATH, as sops picks it. While it runs, Ctrl+C belongs to the
editor (as with git); SIGTERM and SIGHUP abort.

Nothing is written when the content is unchanged. Content that does not parse or cannot be
encrypted is never written: an interactive session is offered the editor again with its edits
kept; otherwise the command fails and says the edits were discarded. The temp folder is removed
in every case (errors, Ctrl+C, SIGTERM, SIGHUP). A file that does not exist yet is created from
what the editor saved, by the `.sops.yaml` creation rule for its path.
"""

from __future__ import annotations

import contextlib
import enum
import os
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from secrets_iac.outputs import write_atomic
from secrets_iac.sops import config as sops_config
from secrets_iac.sops.errors import EditorError, SopsError, WriteError
from secrets_iac.sops.files import encrypt_file
from secrets_iac.sops.keys import AgeIdentity
from secrets_iac.sops.rewrite import OpenedFile, open_for_rewrite
from secrets_iac.sops.stores import load_plain
from secrets_iac.sops.tree_edit import identical_branches

EDITOR_FALLBACKS = ("vim", "nano", "vi")
EXIT_INTERRUPTED = 130


class EditResult(enum.Enum):
    """What `edit_file` did to the file."""

    WRITTEN = "written"
    UNCHANGED = "unchanged"


class EditInterrupted(SopsError):
    """Ctrl+C, SIGTERM or SIGHUP outside the editor: nothing written, temp folder removed."""

    exit_code = EXIT_INTERRUPTED


# Shown a problem with the edited content; returns True to open the editor again.
RetryPrompt = Callable[[str], bool]


def editor_command(env: Mapping[str, str]) -> list[str]:
    """`$SOPS_EDITOR`, else `$EDITOR` (shell-split), else vim, nano or vi from the PATH."""
    for variable in ("SOPS_EDITOR", "EDITOR"):
        value = env.get(variable, "")
        if not value.strip():
            continue
        try:
            return shlex.split(value)
        except ValueError:
            raise EditorError(f"${variable} is not a valid command line") from None
    for name in EDITOR_FALLBACKS:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return [found]
    raise EditorError(
        f"no editor: set $SOPS_EDITOR or $EDITOR ({', '.join(EDITOR_FALLBACKS)} are not on the PATH)"
    )


def _is_private_folder(path: str) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def _repository_root(path: Path) -> Path | None:
    for folder in (path.parent, *path.parent.parents):
        if (folder / ".git").exists():
            return folder
    return None


def private_temp_root(target: Path, env: Mapping[str, str]) -> Path:
    """Where the plaintext may go: a private runtime folder or the temp folder, never the repository."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    root = Path(runtime if runtime and _is_private_folder(runtime) else tempfile.gettempdir()).resolve()
    absolute = target.resolve()
    repository = _repository_root(absolute) or absolute.parent
    if root == repository or repository in root.parents:
        raise SopsError(
            f"the temp folder {root} is inside {repository}, where {target.name} lives; set TMPDIR "
            "(or XDG_RUNTIME_DIR) to a folder outside it so the plaintext never lands there"
        )
    return root


@contextlib.contextmanager
def private_copy(target: Path, content: bytes, env: Mapping[str, str]) -> Iterator[Path]:
    """A 0600 file holding `content` in a fresh 0700 folder, removed with everything in it on exit."""
    folder = Path(tempfile.mkdtemp(prefix="secrets-iac-edit-", dir=private_temp_root(target, env)))
    try:
        copy = folder / target.name
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _leave_sigint_to_the_editor(_signum: int, _frame: FrameType | None) -> None:
    """A Python handler (not SIG_IGN), so the editor itself still gets the default after exec."""


def run_editor(command: Sequence[str], file: Path, shown_as: Path) -> None:
    """Run the editor on `file` with the terminal; a failure to start or a non-zero exit aborts."""
    previous = signal.signal(signal.SIGINT, _leave_sigint_to_the_editor) if _in_main_thread() else None
    try:
        completed = subprocess.run([*command, str(file)], check=False)
    except OSError as err:
        raise EditorError(
            f"cannot run the editor {command[0]}: {err.strerror}; {shown_as} was not changed"
        ) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    code = completed.returncode
    if code != 0:
        how = f"was stopped by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        raise EditorError(f"the editor {command[0]} {how}; {shown_as} was not changed")


@contextlib.contextmanager
def _interruptions_abort(path: Path) -> Iterator[None]:
    """SIGTERM, SIGHUP and Ctrl+C become one `EditInterrupted`, so every cleanup still runs."""
    if not _in_main_thread():
        yield
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        raise EditInterrupted(f"{path}: interrupted by {name}; nothing was written", exit_code=128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    except KeyboardInterrupt:
        raise EditInterrupted(f"{path}: interrupted; nothing was written") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _encrypted_edit(
    opened: OpenedFile | None, edited: bytes, path: Path, input_type: str | None
) -> bytes | None:
    """The new encrypted file for the edited plaintext, or None when no value changed."""
    if opened is None:
        return encrypt_file(path, data=edited, input_type=input_type)
    branches = load_plain(edited, opened.fmt, f"{path} (edited)")
    if identical_branches(branches, opened.branches):
        return None
    return opened.reseal(branches, update_version=True)


def _check_new_file(path: Path) -> None:
    """A file to create: its folder exists and a creation rule covers it, checked before any editing."""
    if not path.parent.is_dir():
        raise WriteError(f"{path}: the folder {path.parent} does not exist")
    sops_config.rule_for_file(path, sops_config.find_config())


def edit_file(
    path: Path | str,
    *,
    identities: Sequence[AgeIdentity] | None = None,
    input_type: str | None = None,
    env: Mapping[str, str] | None = None,
    retry: RetryPrompt | None = None,
) -> EditResult:
    """Edit a SOPS file's plaintext in an editor and write it back encrypted with the same data key."""
    file_path = Path(path)
    environ = os.environ if env is None else env
    command = editor_command(environ)
    with _interruptions_abort(file_path):
        opened: OpenedFile | None = None
        if file_path.exists():
            opened = open_for_rewrite(file_path, identities=identities, input_type=input_type)
            original = opened.plaintext()
        else:
            _check_new_file(file_path)
            original = b""
        with private_copy(file_path, original, environ) as copy:
            while True:
                run_editor(command, copy, file_path)
                edited = copy.read_bytes()
                if edited == original:
                    return EditResult.UNCHANGED
                try:
                    data = _encrypted_edit(opened, edited, file_path, input_type)
                except EditInterrupted:
                    raise
                except SopsError as err:
                    if retry is not None and retry(str(err)):
                        continue
                    raise SopsError(
                        f"{err}\n{file_path} was not changed; the edits were discarded",
                        exit_code=err.exit_code,
                    ) from None
                break
        if data is None:
            return EditResult.UNCHANGED
        if opened is not None:
            opened.write(data)
        else:
            _create(file_path, data)
        return EditResult.WRITTEN


def _create(path: Path, data: bytes) -> None:
    if path.exists():
        raise WriteError(f"{path}: the file was created by someone else meanwhile; nothing was written")
    try:
        write_atomic(path, data)
    except OSError as err:
        raise WriteError(f"{path}: cannot write: {err.strerror}") from None
