"""ClientRequestTokens for PutSecretValue: the same write always carries the same token.

A retried PutSecretValue (botocore's retry, the sync's own round after a cut answer, a rerun, a second
sync of the same content running at the same time) then finds its version already there and AWS does
nothing ("the operation succeeds but does nothing" for an equal token and value), so one change makes
exactly one version. The token covers the secret's name, the version it replaces and the value; it is an
HMAC keyed by a key derived from the SOPS file's data key, so the version id AWS shows (the token)
cannot be used to test guesses of the value by anyone who cannot decrypt the file anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

from secrets_iac.secret_value import SecretValue

_LABEL = b"secrets-iac sync ClientRequestToken v1"


def token_key(data_key: bytes | None) -> bytes:
    """The HMAC key for a stage's tokens; random (tokens stable for one run only) without a data key."""
    if data_key is None:
        return os.urandom(32)
    return hmac.new(data_key, _LABEL, hashlib.sha256).digest()


def version_token(key: bytes, name: str, replaces: str | None, value: SecretValue) -> str:
    """A UUID-shaped token (Secrets Manager takes 32-64 characters) for writing `value` over `replaces`."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (name.encode(), (replaces or "").encode(), value.reveal_bytes()):
        mac.update(len(part).to_bytes(8, "big"))
        mac.update(part)
    return str(uuid.UUID(bytes=mac.digest()[:16]))
