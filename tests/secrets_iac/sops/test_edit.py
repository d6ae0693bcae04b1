"""`secrets-iac sops edit` with a scripted editor: what is written, what is not, and where plaintext goes."""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from secrets_iac.cli import main
from secrets_iac.sops import decrypt_document, decrypt_file, encrypt_file
from secrets_iac.sops.edit import EditResult, edit_file, editor_command
from secrets_iac.sops.errors import EditorError, SopsError
from tests.secrets_iac.sops.conftest import KeyPair

EDITOR_SCRIPT = Path(__file__).with_name("fake_editor.py")
FAKE_ENC = "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"
PLAIN = (
    "# team secrets\napp:\n    password: hunter2\n    port: 5432\n"
    "    hosts:\n        - a.example\n        - b.example\nnote_unencrypted: hi\n"
)


class Editor:
    """Sets $EDITOR to the scripted editor and reads what each run saw."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = folder / "editor-log.jsonl"
        self.monkeypatch = monkeypatch
        monkeypatch.delenv("SOPS_EDITOR", raising=False)
        monkeypatch.setenv("EDITOR", f"{sys.executable} {EDITOR_SCRIPT}")
        monkeypatch.setenv("FAKE_EDITOR_LOG", str(self.log))

    def steps(self, *steps: dict[str, Any]) -> None:
        self.monkeypatch.setenv("FAKE_EDITOR_STEPS", json.dumps(list(steps)))

    def runs(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Editor:
    return Editor(tmp_path, monkeypatch)


@pytest.fixture
def repo(tmp_path: Path, keys: list[KeyPair], age_env: KeyPair, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (a `.git` folder) with a creation rule and an encrypted file; temp files go elsewhere."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "secrets").mkdir()
    (root / ".sops.yaml").write_text(f"creation_rules:\n  - age: {keys[0].recipient}\n")
    plain = root / "secrets" / "plain.yaml"
    plain.write_text(PLAIN)
    (root / "secrets" / "dev.enc.yaml").write_bytes(encrypt_file(plain, config_path=root / ".sops.yaml"))
    plain.unlink()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.chdir(root)
    return root


def _lines(data: bytes) -> list[str]:
    return data.decode().splitlines()


def test_edit_changes_one_value_and_keeps_every_other_ciphertext(
    repo: Path, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("secrets_iac.sops.rewrite.now_lastmodified", lambda: "2030-01-02T03:04:05Z")
    path = repo / "secrets" / "dev.enc.yaml"
    before = path.read_bytes()
    key_before = decrypt_document(path).data_key
    editor.steps({"replace": ["hunter2", "correct-horse"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 0
    after = path.read_bytes()
    assert decrypt_file(path).decode() == PLAIN.replace("hunter2", "correct-horse")
    assert decrypt_document(path).data_key == key_before
    changed = [(old, new) for old, new in zip(_lines(before), _lines(after), strict=True) if old != new]
    assert [old.split(":")[0].strip() for old, _ in changed] == ["password", "lastmodified", "mac"]
    assert b"correct-horse" not in after and b"hunter2" not in after
    assert yaml.safe_load(after)["sops"]["lastmodified"] == "2030-01-02T03:04:05Z"


def test_the_editor_gets_a_private_copy_outside_the_repository_that_is_removed(
    repo: Path, editor: Editor, tmp_path: Path
) -> None:
    editor.steps({"replace": ["5432", "6432"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 0
    (run,) = editor.runs()
    seen = Path(run["path"])
    assert seen.name == "dev.enc.yaml" and seen.parent.parent == tmp_path / "runtime"
    assert run["file_mode"] == 0o600 and run["dir_mode"] == 0o700
    assert run["content"] == PLAIN
    assert not seen.parent.exists()
    assert repo not in seen.parents


@pytest.mark.parametrize(
    "step",
    [{}, {"write": PLAIN}, {"replace": ["port: 5432", "port:   5432"]}],
    ids=["untouched", "same-bytes", "same-values"],
)
def test_no_change_writes_nothing_and_exits_200(
    repo: Path, editor: Editor, step: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    editor.steps(step)
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 200
    assert "no change" in capsys.readouterr().err
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert not Path(editor.runs()[0]["path"]).parent.exists()


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"write": "app: [unclosed\n"}, "not valid YAML"),
        ({"write": "app: x\nsops: {}\n"}, "already encrypted"),
        ({"replace": ["hunter2", FAKE_ENC]}, "already encrypted"),
        ({"exit": 3, "replace": ["hunter2", "lost"]}, "exited with status 3"),
        ({"signal": "SIGKILL", "to": "self"}, "was stopped by SIGKILL"),
    ],
    ids=["syntax", "sops-key", "enc-value", "editor-failed", "editor-killed"],
)
def test_bad_edits_leave_the_file_untouched_with_one_message(
    repo: Path, editor: Editor, step: dict[str, Any], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    before = path.read_bytes()
    editor.steps(step)
    code = main(["sops", "edit", "secrets/dev.enc.yaml"])
    err = capsys.readouterr().err
    assert code != 0 and problem in err and "dev.enc.yaml" in err
    assert "hunter2" not in err and "Traceback" not in err
    assert path.read_bytes() == before
    assert not Path(editor.runs()[0]["path"]).parent.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["dev.enc.yaml"]


def test_an_interactive_session_gets_the_editor_back_with_its_edits(repo: Path, editor: Editor) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    editor.steps({"replace": ["port: 5432", "port: [5432"]}, {"replace": ["port: [5432", "port: 7000"]})
    problems: list[str] = []

    def again(problem: str) -> bool:
        problems.append(problem)
        return True

    assert edit_file(path, retry=again) is EditResult.WRITTEN
    assert len(problems) == 1 and "not valid YAML" in problems[0]
    first, second = editor.runs()
    assert first["path"] == second["path"] and "port: [5432" in second["content"]
    assert "port: 7000" in decrypt_file(path).decode()


def test_ctrl_c_at_the_prompt_discards_and_cleans_up(repo: Path, editor: Editor) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    before = path.read_bytes()
    editor.steps({"write": "broken: [\n"})

    def interrupt(_problem: str) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(SopsError, match="interrupted; nothing was written") as caught:
        edit_file(path, retry=interrupt)
    assert caught.value.exit_code == 130
    assert path.read_bytes() == before and not Path(editor.runs()[0]["path"]).parent.exists()


def test_ctrl_c_belongs_to_the_editor_while_it_runs(repo: Path, editor: Editor) -> None:
    editor.steps({"signal": "SIGINT", "replace": ["hunter2", "after-ctrl-c"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 0
    assert "after-ctrl-c" in decrypt_file(repo / "secrets" / "dev.enc.yaml").decode()


def test_sigterm_during_the_editor_aborts_and_removes_the_copy(
    repo: Path, editor: Editor, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    before = path.read_bytes()
    editor.steps({"signal": "SIGTERM", "replace": ["hunter2", "never"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 143
    assert "SIGTERM" in capsys.readouterr().err
    assert path.read_bytes() == before and not Path(editor.runs()[0]["path"]).parent.exists()


def test_a_concurrent_change_is_not_overwritten(repo: Path, editor: Editor) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    other = path.read_bytes().replace(b"note_unencrypted: hi", b"note_unencrypted: hx")

    def someone_else_writes(_signum: int, _frame: object) -> None:
        path.write_bytes(other)

    previous = signal.signal(signal.SIGUSR1, someone_else_writes)
    editor.steps({"signal": "SIGUSR1", "replace": ["hunter2", "mine"]})
    try:
        with pytest.raises(SopsError, match="changed on disk"):
            edit_file(path)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert path.read_bytes() == other


def test_a_new_file_is_created_by_its_creation_rule(repo: Path, editor: Editor, keys: list[KeyPair]) -> None:
    editor.steps({"write": "db:\n    password: fresh\n"})
    assert main(["sops", "edit", "secrets/new.enc.yaml"]) == 0
    created = repo / "secrets" / "new.enc.yaml"
    assert keys[0].recipient in created.read_text() and b"fresh" not in created.read_bytes()
    assert decrypt_file(created) == b"db:\n    password: fresh\n"
    editor.steps({})
    assert main(["sops", "edit", "secrets/other.enc.yaml"]) == 200
    assert not (repo / "secrets" / "other.enc.yaml").exists()


def test_a_temp_folder_inside_the_repository_is_refused(
    repo: Path, editor: Editor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = repo / "tmp"
    inside.mkdir()
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(tempfile, "tempdir", str(inside))
    editor.steps({"replace": ["hunter2", "x"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) != 0
    assert "inside" in capsys.readouterr().err and editor.runs() == [] and list(inside.iterdir()) == []


def test_a_shared_runtime_dir_is_not_used(
    repo: Path, editor: Editor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-runtime"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    private_tmp = tmp_path / "private-tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    editor.steps({"replace": ["hunter2", "x"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 0
    assert Path(editor.runs()[0]["path"]).parent.parent == private_tmp


def test_editor_choice_follows_sops(tmp_path: Path) -> None:
    assert editor_command({"SOPS_EDITOR": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"SOPS_EDITOR": " ", "EDITOR": "'my editor' -x"}) == ["my editor", "-x"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("nano", "vi"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    assert editor_command({"PATH": str(bin_dir)}) == [str(bin_dir / "nano")]
    with pytest.raises(EditorError, match="no editor"):
        editor_command({"PATH": str(tmp_path / "empty")})
    with pytest.raises(EditorError, match="EDITOR is not a valid command line"):
        editor_command({"EDITOR": "vim 'unclosed"})


def test_sops_editor_wins_and_takes_arguments(
    repo: Path, editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "false")
    monkeypatch.setenv("SOPS_EDITOR", f"{sys.executable} {EDITOR_SCRIPT} --wait")
    editor.steps({"replace": ["hunter2", "x"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 0
    assert editor.runs()[0]["args"] == ["--wait"]


def test_edit_keeps_json_and_dotenv_layouts(repo: Path, editor: Editor) -> None:
    for name, content, old, new in (
        ("s.json", '{"a": "one", "b": {"c": 2}}', '"one"', '"uno"'),
        ("s.env", "A=one\nB=two\n", "B=two", "B=dos"),
    ):
        plain = repo / "secrets" / f"plain-{name}"
        plain.write_text(content)
        path = repo / "secrets" / name
        path.write_bytes(encrypt_file(plain, config_path=repo / ".sops.yaml"))
        expected = decrypt_file(path).decode().replace(old, new)
        editor.steps({"replace": [old, new]})
        assert main(["sops", "edit", f"secrets/{name}"]) == 0
        assert decrypt_file(path).decode() == expected


def test_edit_updates_an_old_sops_version(repo: Path, editor: Editor) -> None:
    path = repo / "secrets" / "dev.enc.yaml"
    doc = yaml.safe_load(path.read_text())
    assert doc["sops"]["version"] == "3.11.0"
    path.write_text(path.read_text().replace("version: 3.11.0", "version: 3.7.3"))
    editor.steps({"replace": ["hunter2", "x"]})
    assert main(["sops", "edit", "secrets/dev.enc.yaml"]) == 0
    assert yaml.safe_load(path.read_text())["sops"]["version"] == "3.11.0"
    assert os.stat(path).st_size > 0
