"""Run the real moto server with one addition: Secrets Manager requests are authorised against secret ARNs.

Why: moto 5.2.5 evaluates IAM for every request in ``BaseResponse.call_action`` against the resource
returned by the response class's ``_determine_resource()`` hook, and falls back to ``"*"`` when the class
has none. IAM, STS and SQS define the hook; ``SecretsManagerResponse`` does not. So with IAM enforced, every
Secrets Manager call is checked against ``Resource: "*"``, which a resource-scoped Allow
(``...:secret:secrets-iac/dev/*``) never matches: the least-privilege read role would be denied even its own
secrets, and nothing about the prefix boundary could be shown
(``test_vanilla_moto_cannot_scope_secretsmanager`` proves this on the unmodified server).

This script adds the missing hook and IAM's ``?`` wildcard (``_iam_match``), nothing else. Policy
evaluation (action and resource matching, Allow/Deny combination, session credentials, signatures) stays
moto's own code. The hook returns, as AWS evaluates it:

* the ARN (with its ``-XXXXXX`` suffix) of the existing secret a ``SecretId`` names (name, ARN, partial ARN),
* for ``CreateSecret`` the ARN the new secret will have (suffix shown as ``-??????``),
* ``"*"`` for account-wide actions (``ListSecrets``, ``BatchGetSecretValue``, ``GetRandomPassword``).

A second, smaller fix: moto matches policy ``Resource``/``Action`` patterns by turning ``*`` into ``.*`` and
using the rest as a regular expression, so IAM's ``?`` wildcard (exactly one character) raises a regex
error (HTTP 500) and ``.`` matches anything. ``_iam_match`` matches like IAM: ``*`` any run, ``?`` one
character, everything else literal. Push roles use ``<name>-??????`` (AWS's pattern for exactly one secret).

A third: on ``AssumeRole`` moto checks the target role's trust ``Principal`` against the caller's ARN as is,
so a session of role R (``arn:aws:sts::<acct>:assumed-role/R/<session>``) never matches a trust naming
``arn:aws:iam::<acct>:role/R``, which IAM treats as the same principal. ``_check_principal`` compares the
role ARN of a session, so role chaining (a session-tag store's identity assuming its reader) is checked
against the reader's trust: only the principal it names may assume it (conditions stay unevaluated).

Usage: ``python tests/aws/moto_sm_resource_server.py -H 127.0.0.1 -p 5000`` (same arguments as moto_server).
"""

from __future__ import annotations

import re
from typing import Any

from moto.iam.access_control import IAMPolicyStatement
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.server import main
from moto.utilities.utils import get_partition

_ACCOUNT_WIDE_ACTIONS = frozenset({"ListSecrets", "BatchGetSecretValue", "GetRandomPassword"})


def _determine_resource(self: Any) -> str:
    action = self._get_action()
    if action in _ACCOUNT_WIDE_ACTIONS:
        return "*"
    arn_prefix = (
        f"arn:{get_partition(self.region)}:secretsmanager:{self.region}:{self.current_account}:secret:"
    )
    if action == "CreateSecret":
        return f"{arn_prefix}{self._get_param('Name') or ''}-??????"
    secret_id = self._get_param("SecretId")
    if not secret_id:
        return "*"
    secret = self.backend.secrets.get(secret_id)
    if secret is not None:
        return str(secret.arn)
    return str(secret_id) if str(secret_id).startswith("arn:") else f"{arn_prefix}{secret_id}"


_SESSION = re.compile(r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/.+$")
_original_check_principal = IAMPolicyStatement._check_principal


def _check_principal(self: Any, principal: str) -> bool:
    """A role session is its role, as IAM evaluates a trust policy's ``Principal.AWS``."""
    session = _SESSION.match(principal)
    if session is not None:
        principal = f"arn:{session['partition']}:iam::{session['account']}:role/{session['role']}"
    return bool(_original_check_principal(self, principal))


def _iam_match(pattern: str, string: str) -> re.Match[str] | None:
    """IAM wildcard matching: ``*`` any characters, ``?`` exactly one, the rest literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.match(f"^{regex}$", string, flags=re.DOTALL)


SecretsManagerResponse._determine_resource = _determine_resource  # type: ignore[attr-defined]
IAMPolicyStatement._match = staticmethod(_iam_match)  # type: ignore[method-assign]
IAMPolicyStatement._check_principal = _check_principal  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
