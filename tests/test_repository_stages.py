"""The repository's own stages, whatever they are, checked by the tool itself (`secrets-iac check`).

Teams fork this repository and edit `stacks/` and `.sops.yaml`: nothing here names a stage or pins its
contents. With the demo key (or the team's `SOPS_AGE_KEY_FILE`) the SOPS files are decrypted too;
without an identity for a file, that step is skipped with the reason.
"""

from __future__ import annotations

import os

import pytest

from components.offline_plan import run_program
from secrets_iac.check import Outcome, check_stage, report, stages
from secrets_iac.sops import AgeIdentity, load_identities, read_keys_file
from tests.conftest import REPO_ROOT

DEMO_KEY = REPO_ROOT / "demo" / "age-key.txt"


def _identities() -> list[AgeIdentity]:
    found = list(load_identities())
    if DEMO_KEY.is_file() and "SOPS_AGE_KEY_FILE" not in os.environ:
        found += read_keys_file(DEMO_KEY)
    return found


@pytest.mark.parametrize("stage", stages(REPO_ROOT))
def test_every_stage_of_the_repository_checks(stage: str) -> None:
    check = check_stage(REPO_ROOT, stage, lambda project, s: len(run_program(project, s)), _identities())
    assert check.ok, report([check])
    assert check.steps[0].outcome is Outcome.OK
