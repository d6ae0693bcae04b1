"""The day-2 tests reuse the sync's throwaway project and moto fixtures (a stage the tests own)."""

from tests.secrets_iac.sops.conftest import real_sops
from tests.secrets_iac.sync.conftest import cli_env, moto, project

__all__ = ["cli_env", "moto", "project", "real_sops"]
