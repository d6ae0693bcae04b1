"""A team forks the repository: adds an app to a stage, re-keys a stage to its own age recipient and adds a
fourth stage. `secrets-iac check` and the library tests must still pass in that copy (nothing in the tests
pins the example stages' contents, names or keys).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secrets_iac.sops import decrypt_file, encrypt_file, read_keys_file
from tests.conftest import REPO_ROOT, SHARED_ENV, shared_root
from tests.fixtures.keys import new_age_key

DEMO_KEY = REPO_ROOT / "demo" / "age-key.txt"


def _copy_repository(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = REPO_ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _edit_yaml(path: Path, edit: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900)


@pytest.mark.skipif(not (REPO_ROOT / ".git").exists(), reason="needs the git checkout to copy it")
def test_a_forked_repository_stays_green(tmp_path: Path) -> None:
    repo = _copy_repository(tmp_path / "fork")
    stages = sorted(p.name.split(".")[1] for p in (repo / "stacks").glob("Pulumi.*.yaml"))
    first, last = stages[0], stages[-1]
    new_key = new_age_key()
    keys = tmp_path / "keys.txt"
    keys.write_text(DEMO_KEY.read_text() + f"\n{new_key.identity}\n", encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SOPS_AGE", "PYTEST"))},
        "SOPS_AGE_KEY_FILE": str(keys),
        "PYTHONPATH": str(repo),
        SHARED_ENV: str(shared_root()),
        "SOPS_DISABLE_VERSION_CHECK": "1",
    }
    identities = read_keys_file(keys)

    # 1. An app added to the first stage, with its value in the stage's SOPS file.
    def add_app(document: dict[str, object]) -> None:
        config = document["config"]
        assert isinstance(config, dict)
        config["secrets-iac:apps"].append(
            {
                "name": "forked",
                "namespace": "forked",
                "serviceAccount": "forked-secrets",
                "secrets": [{"name": "token", "keys": [{"secretKey": "TOKEN"}]}],
            }
        )

    _edit_yaml(repo / "stacks" / f"Pulumi.{first}.yaml", add_app)
    secrets = repo / "stacks" / "secrets" / f"{first}.enc.yaml"
    plain = yaml.safe_load(decrypt_file(secrets, identities=identities))
    plain["forked"] = {"token": "forked-token-value"}
    secrets.write_text(yaml.safe_dump(plain), encoding="utf-8")
    secrets.write_bytes(encrypt_file(secrets, config_path=repo / ".sops.yaml"))

    # 2. The last stage re-keyed to the team's own recipient, as .sops.yaml advises.
    sops_config = repo / ".sops.yaml"
    rule = f"^stacks/secrets/{last}\\.enc\\.yaml$"

    def rekey(document: dict[str, list[dict[str, str]]]) -> None:
        for creation_rule in document["creation_rules"]:
            if creation_rule["path_regex"] == rule:
                creation_rule["age"] = new_key.recipient

    _edit_yaml(sops_config, rekey)
    updated = _run(
        [sys.executable, "-m", "secrets_iac", "sops", "updatekeys", "-i", f"stacks/secrets/{last}.enc.yaml"],
        repo,
        env,
    )
    assert updated.returncode == 0, updated.stderr
    only_new = tmp_path / "new.txt"
    new_key.write(only_new)
    decrypt_file(repo / "stacks" / "secrets" / f"{last}.enc.yaml", identities=read_keys_file(only_new))

    # 3. A fourth stage, copied from the first under a new name, with its own rule and SOPS file.
    shutil.copy2(repo / "stacks" / f"Pulumi.{first}.yaml", repo / "stacks" / "Pulumi.forkqa.yaml")
    _edit_yaml(
        sops_config,
        lambda d: d["creation_rules"].append(
            {"path_regex": "^stacks/secrets/forkqa\\.enc\\.yaml$", "age": new_key.recipient}
        ),
    )
    qa = repo / "stacks" / "secrets" / "forkqa.enc.yaml"
    qa.write_text(yaml.safe_dump(plain), encoding="utf-8")
    qa.write_bytes(encrypt_file(qa, config_path=sops_config))

    checked = _run([sys.executable, "-m", "secrets_iac", "check", "--require-decrypt"], repo, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "forkqa: ok" in checked.stdout and f"{last}: ok" in checked.stdout

    tests = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "--deselect",
            "tests/test_fork.py::test_a_forked_repository_stays_green",
            "tests",
        ],
        repo,
        env,
    )
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]
