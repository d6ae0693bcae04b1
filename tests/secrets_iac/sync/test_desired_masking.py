"""The sync's decrypted types (DesiredSecrets, DesiredValue) refuse pickling and never show a value."""

from __future__ import annotations

from secrets_iac.sync import load_desired
from tests.secrets_iac.sops.test_concealed import assert_never_shows
from tests.secrets_iac.sync.conftest import CANARY, STACK, SyncProject


def test_desired_secrets_and_values_never_show(project: SyncProject) -> None:
    desired = load_desired(project.secrets_file, project.plan(), stack=STACK, identities=[project.identity])
    assert desired.values and any(CANARY in v.value.reveal() for v in desired.values.values())
    assert_never_shows(desired, [CANARY])
    for value in desired.values.values():
        assert_never_shows(value, [CANARY])
