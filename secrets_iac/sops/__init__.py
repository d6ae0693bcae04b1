"""SOPS (age) in-process: read and write sops files byte-compatible with the real sops.

Public API:
- `decrypt_file(path, *, identities=None, input_type=None, output_type=None) -> bytes`
- `encrypt_file(path, *, config_path=None, recipients=None, input_type=None, output_type=None) -> bytes`
- `updatekeys_file(path, *, config_path=None, identities=None) -> (bytes, changed)`
- `rotate_file(path, *, identities=None, drop_foreign_keys=False) -> bytes`
- `write_atomic(path, data)` (from `secrets_iac.outputs`)
- `load_secrets(path, *, identities=None) -> Mapping[str, SecretValue]`
"""

from secrets_iac.outputs import write_atomic
from secrets_iac.sops.errors import SopsError
from secrets_iac.sops.files import (
    DecryptedDocument,
    decrypt_document,
    decrypt_file,
    encrypt_file,
    rotate_file,
    updatekeys_file,
)
from secrets_iac.sops.keys import AgeIdentity, load_identities, parse_identities, read_keys_file
from secrets_iac.sops.secret_mapping import load_secrets

__all__ = [
    "AgeIdentity",
    "DecryptedDocument",
    "SopsError",
    "decrypt_document",
    "decrypt_file",
    "encrypt_file",
    "load_identities",
    "load_secrets",
    "parse_identities",
    "read_keys_file",
    "rotate_file",
    "updatekeys_file",
    "write_atomic",
]
