"""Least-privilege IAM policy documents for External Secrets Operator on AWS Secrets Manager.

Pure builders: plain data in, a plain ``dict`` out (``json.dumps`` it for IAM). No Pulumi, no AWS calls.

Conventions of every document built here:

* ``Version`` is always ``2012-10-17`` (the only version that supports policy variables and all condition
  operators; the 2008 default silently changes semantics).
* Every statement has a stable, descriptive ``Sid`` (callers and tests may key on it).
* Actions are de-duplicated and sorted, so the rendered JSON is deterministic and diffs are readable.

Secrets of one environment are named ``<prefix>/<app>/<name>``; the resource pattern ends in ``<prefix>/*``
(see :func:`secrets_arn_pattern`), so ``secrets-iac/dev`` never matches ``secrets-iac/dev-other/...``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secrets_iac.naming import sync_lock_name
from secrets_iac.rules.aws import ACCOUNT_ID, KMS_KEY_ARN, SECRET_NAME_SEGMENT, partition_for
from secrets_iac.rules.keys import ESO_MANAGED_BY, MANAGED_BY, MANAGED_BY_TAG

__all__ = [
    "ESO_MANAGED_BY_TAG_KEY",
    "ESO_MANAGED_BY_TAG_VALUE",
    "POLICY_VERSION",
    "SecretScope",
    "exact_secret_arn_pattern",
    "push_policy",
    "read_policy",
    "resources",
    "secrets_arn_pattern",
    "sync_lock_arn",
    "sync_policy",
]

POLICY_VERSION = "2012-10-17"

#: The tag ESO (v2.9) always puts on secrets it creates and requires on secrets it writes or deletes
#: (``constructMetadataWithDefaults`` / ``isManagedByESO`` in providers/v1/aws/secretsmanager).
ESO_MANAGED_BY_TAG_KEY = MANAGED_BY_TAG
ESO_MANAGED_BY_TAG_VALUE = ESO_MANAGED_BY

# ESO reads (ExternalSecret `data`, `dataFrom.extract`, metadataPolicy Fetch).
# Source: docs/provider/aws-secrets-manager.md
_READ_ACTIONS = (
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:GetSecretValue",
    "secretsmanager:ListSecretVersionIds",
)
# `dataFrom.find` only; AWS does not support resource-level permissions for these two.
_FIND_ACTIONS = ("secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets")


@dataclass(frozen=True)
class SecretScope:
    """Which secrets one environment's roles may touch."""

    region: str
    """AWS region of the secrets (and of the KMS key), e.g. ``eu-west-1``."""
    account_id: str
    """12-digit AWS account id owning the secrets."""
    prefix: str
    """Name prefix of this environment, e.g. ``secrets-iac/dev``; secret names are ``<prefix>/<app>/<name>``.
    No leading or trailing ``/``, no empty segments, no IAM wildcards."""
    kms_key_arn: str | None = None
    """Customer-managed KMS key (key ARN, not an alias) encrypting this environment's secrets; ``None`` means
    the AWS-managed ``aws/secretsmanager`` key, for which no KMS statement is needed (its key policy already
    allows use through Secrets Manager by principals of the account)."""

    def __post_init__(self) -> None:
        try:
            partition_for(self.region)
        except ValueError as err:
            raise ValueError(f"region: {err}") from None
        if not ACCOUNT_ID.match(self.account_id):
            raise ValueError(f"account_id: {self.account_id!r} must be exactly 12 digits")
        _validate_prefix(self.prefix)
        if self.kms_key_arn is not None:
            _validate_kms_key_arn(self.kms_key_arn, partition=self.partition, region=self.region)

    @property
    def partition(self) -> str:
        """``aws``, ``aws-cn`` or ``aws-us-gov``: it follows from the region, never set on its own."""
        return partition_for(self.region)


def _validate_prefix(prefix: str) -> None:
    if not prefix:
        raise ValueError("prefix: '' must not be empty (it is the boundary between environments)")
    if prefix.startswith("/") or prefix.endswith("/"):
        raise ValueError(f"prefix: {prefix!r} must not start or end with '/' (the '/' boundary is added)")
    for segment in prefix.split("/"):
        if not segment:
            raise ValueError(f"prefix: {prefix!r} has an empty path segment ('//')")
        if not SECRET_NAME_SEGMENT.match(segment):
            raise ValueError(
                f"prefix: {prefix!r} segment {segment!r} may only contain letters, digits and _+=.@- "
                "(no IAM wildcards '*' or '?')"
            )
    if len(prefix) > 500:
        raise ValueError(f"prefix: {prefix!r} is longer than 500 characters (secret names are at most 512)")


def _validate_kms_key_arn(arn: str, *, partition: str, region: str) -> None:
    match = KMS_KEY_ARN.match(arn)
    if match is None:
        raise ValueError(
            f"kms_key_arn: {arn!r} is not a KMS key ARN (arn:<partition>:kms:<region>:<acct>:key/<id>); "
            "alias ARNs do not work as a Resource in identity policies"
        )
    if match.group("partition") != partition:
        raise ValueError(
            f"kms_key_arn: {arn!r} is in partition {match.group('partition')!r}, the scope in {partition!r}"
        )
    if match.group("region") != region:
        raise ValueError(
            f"kms_key_arn: {arn!r} is in region {match.group('region')!r}; "
            f"Secrets Manager needs a key in {region!r}"
        )


def _actions(actions: Iterable[str]) -> list[str]:
    """De-duplicated, sorted action list."""
    return sorted(set(actions))


def _statement(
    sid: str, actions: Iterable[str], resource: str | list[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": _actions(actions),
        "Resource": resource,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    sids = [s["Sid"] for s in statements]
    if len(sids) != len(set(sids)):  # programming error guard: Sids must be unique within a policy
        raise AssertionError(f"duplicate Sid in {sids}")
    return {"Version": POLICY_VERSION, "Statement": statements}


def secrets_arn_pattern(scope: SecretScope) -> str:
    """ARN pattern of every secret of the scope.

    ``arn:<partition>:secretsmanager:<region>:<acct>:secret:<prefix>/*``.

    The ``/`` before ``*`` is the environment boundary (``dev`` never matches ``dev-other/...``); the ``*``
    covers ``<app>/<name>`` and the random ``-XXXXXX`` suffix AWS appends to every secret ARN.
    """
    return f"arn:{scope.partition}:secretsmanager:{scope.region}:{scope.account_id}:secret:{scope.prefix}/*"


def exact_secret_arn_pattern(scope: SecretScope, name: str) -> str:
    """ARN pattern of exactly the secret `name` (a full secret name under ``scope.prefix``).

    ``-??????`` is the random suffix AWS appends: six characters, so ``<name>-other`` (whose ARN ends in
    ``-other-XXXXXX``) and ``<name>x`` never match, only ``<name>`` itself (AWS's documented pattern).
    """
    if not name.startswith(f"{scope.prefix}/"):
        raise ValueError(f"name: {name!r} is not under the scope's prefix {scope.prefix!r}")
    _validate_prefix(name)
    return f"arn:{scope.partition}:secretsmanager:{scope.region}:{scope.account_id}:secret:{name}-??????"


def resources(patterns: Iterable[str]) -> str | list[str]:
    """One pattern as a string (how single-resource documents have always rendered), several sorted."""
    unique = sorted(set(patterns))
    return unique[0] if len(unique) == 1 else unique


def _prefix_patterns(scope: SecretScope, prefixes: Sequence[str] | None) -> str | list[str]:
    """``<prefix>/*`` of the scope, or of each of `prefixes` (each under the scope's prefix)."""
    if not prefixes:
        return secrets_arn_pattern(scope)
    for prefix in prefixes:
        if prefix != scope.prefix and not prefix.startswith(f"{scope.prefix}/"):
            raise ValueError(f"prefixes: {prefix!r} is not under the scope's prefix {scope.prefix!r}")
        _validate_prefix(prefix)
    return resources(
        secrets_arn_pattern(SecretScope(scope.region, scope.account_id, prefix)) for prefix in prefixes
    )


def _kms_via_secretsmanager(key_arn: str, region: str, sid: str, actions: Iterable[str]) -> dict[str, Any]:
    """Use of the env key, only when Secrets Manager in the scope's region makes the call on our behalf."""
    return _statement(
        sid, actions, key_arn, {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}
    )


def read_policy(
    scope: SecretScope, *, find: bool = False, prefixes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Identity policy for an ESO store that only reads this environment's secrets (or, with `prefixes`,
    only the secrets under those prefixes: the apps a shared store serves, each with its ``/`` boundary).

    Statements (by ``Sid``):

    * ``SecretsManagerReadEnvSecrets``: GetSecretValue, DescribeSecret, ListSecretVersionIds,
      GetResourcePolicy on :func:`secrets_arn_pattern` (what ESO documents for ExternalSecret reads;
      DescribeSecret also serves ``metadataPolicy: Fetch``).
    * ``KmsDecryptEnvSecretsViaSecretsManager`` (only with ``scope.kms_key_arn``): ``kms:Decrypt`` on that one
      key, with ``kms:ViaService = secretsmanager.<region>.amazonaws.com`` so the role cannot decrypt with the
      key directly, only through Secrets Manager.
    * ``SecretsManagerFindSecrets`` (only with ``find=True``): ListSecrets and BatchGetSecretValue on ``"*"``,
      needed by ``dataFrom.find``. AWS does not support resource-level permissions for them, so they are
      kept in their own statement to make the unavoidable ``"*"`` visible. ListSecrets discloses names
      and tags (never values) of every secret in the account and region; AWS additionally authorises
      BatchGetSecretValue against ``GetSecretValue`` on each secret, so values stay limited to the prefix.
    """
    statements = [
        _statement("SecretsManagerReadEnvSecrets", _READ_ACTIONS, _prefix_patterns(scope, prefixes))
    ]
    if scope.kms_key_arn is not None:
        statements.append(
            _kms_via_secretsmanager(
                scope.kms_key_arn, scope.region, "KmsDecryptEnvSecretsViaSecretsManager", ["kms:Decrypt"]
            )
        )
    if find:
        statements.append(_statement("SecretsManagerFindSecrets", _FIND_ACTIONS, "*"))
    return _document(statements)


def push_policy(
    scope: SecretScope,
    *,
    manage_resource_policy: bool = False,
    names: Sequence[str] | None = None,
    request_tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Identity policy for an ESO store that PushSecrets into this environment's secrets (ESO v2.9 behaviour).

    With `names`, every statement is limited to exactly those secrets (:func:`exact_secret_arn_pattern`):
    the remote keys the app's PushSecrets push and its generated credentials, never its git-managed
    secrets. `request_tags` are further tags CreateSecret and TagResource must carry (e.g. the ``namespace``
    tag a ``sessionTags`` store reads by), so the role cannot point a secret at another namespace.

    Statements (by ``Sid``), all limited to :func:`secrets_arn_pattern` except the KMS one:

    * ``SecretsManagerInspectEnvSecrets``: DescribeSecret, GetSecretValue, GetResourcePolicy. PushSecret
      describes first (existence + ``managed-by`` ownership check), reads the current value (``IfNotExists``,
      ``property`` merges, unchanged-value short cut, and again before DeleteSecret).
    * ``SecretsManagerUpdateEnvSecrets``: PutSecretValue, UntagResource, DeleteResourcePolicy (+
      PutResourcePolicy with ``manage_resource_policy=True``).
      **DeleteResourcePolicy is mandatory**: with no ``resourcePolicy`` in the PushSecret metadata, ESO v2.9
      calls it on every reconcile of an existing secret and fails the push on AccessDenied
      (issues #6806/#6831).
      UntagResource is called when metadata ``tags`` shrink (``patchTags``); ESO never removes ``managed-by``.
      PutResourcePolicy is opt-in because it lets the role grant other principals (even other accounts) access
      to the secret; enable it only if PushSecrets set ``metadata.spec.resourcePolicy``.
    * ``SecretsManagerCreateEsoManagedSecrets``: CreateSecret only with
      ``aws:RequestTag/managed-by = external-secrets``. ESO always sends that tag on CreateSecret, so this
      costs nothing and means every secret the role creates is marked as ESO's.
    * ``SecretsManagerTagEsoManagedSecrets``: TagResource only with ``aws:RequestTag/managed-by =
      external-secrets``. ESO's ``patchTags`` always re-sends the full tag set including ``managed-by``, and
      tag-on-create (CreateSecret with Tags) is authorised as TagResource too, so the condition holds on every
      ESO call. It stops the role from writing a different ``managed-by`` value.
    * ``SecretsManagerDeleteEsoManagedSecrets``: DeleteSecret only with
      ``secretsmanager:ResourceTag/managed-by = external-secrets`` (ESO's own "restrictive" example).
    * ``KmsUseEnvKeyViaSecretsManager`` (only with ``scope.kms_key_arn``): ``kms:GenerateDataKey`` (new
      versions) and ``kms:Decrypt`` (reads) on that key via Secrets Manager. ESO creates secrets with
      ``alias/aws/secretsmanager`` unless the PushSecret metadata sets ``kmsKeyId``: set it to this key.

    Limits, by design:

    * The ``managed-by`` tag is a convention, not a lock: TagResource does not also require the tag to be
      present already (tag-on-create runs against a secret that has no tags yet), so this role can mark
      an untagged secret under the prefix as ESO's and then delete it. The prefix is the hard boundary;
      a permissions boundary or SCP denying ``TagResource`` of ``managed-by`` on non-ESO secrets would
      close the gap.
    * Replication (``ReplicateSecretToRegions`` / ``RemoveRegionsFromReplication``) is not granted;
      PushSecrets that set ``replicationLocations`` will fail.
    """
    pattern: str | list[str] = (
        resources(exact_secret_arn_pattern(scope, n) for n in names) if names else secrets_arn_pattern(scope)
    )
    update_actions = [
        "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UntagResource",
    ]
    if manage_resource_policy:
        update_actions.append("secretsmanager:PutResourcePolicy")
    required = {ESO_MANAGED_BY_TAG_KEY: ESO_MANAGED_BY_TAG_VALUE, **(request_tags or {})}
    request_tag = {"StringEquals": {f"aws:RequestTag/{k}": v for k, v in sorted(required.items())}}
    statements = [
        _statement(
            "SecretsManagerInspectEnvSecrets",
            [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:GetSecretValue",
            ],
            pattern,
        ),
        _statement("SecretsManagerUpdateEnvSecrets", update_actions, pattern),
        _statement(
            "SecretsManagerCreateEsoManagedSecrets", ["secretsmanager:CreateSecret"], pattern, request_tag
        ),
        _statement(
            "SecretsManagerTagEsoManagedSecrets", ["secretsmanager:TagResource"], pattern, request_tag
        ),
        _statement(
            "SecretsManagerDeleteEsoManagedSecrets",
            ["secretsmanager:DeleteSecret"],
            pattern,
            {
                "StringEquals": {
                    f"secretsmanager:ResourceTag/{ESO_MANAGED_BY_TAG_KEY}": ESO_MANAGED_BY_TAG_VALUE
                }
            },
        ),
    ]
    if scope.kms_key_arn is not None:
        statements.append(
            _kms_via_secretsmanager(
                scope.kms_key_arn,
                scope.region,
                "KmsUseEnvKeyViaSecretsManager",
                ["kms:Decrypt", "kms:GenerateDataKey"],
            )
        )
    return _document(statements)


def sync_lock_arn(scope: SecretScope) -> str:
    """ARN of the stage's sync lock secret, ``<prefix>.sync-lock`` plus the ``-XXXXXX`` suffix AWS appends.

    Six ``?`` match exactly that suffix, so no other name can match (``secrets_iac.sync.lock``).
    """
    return (
        f"arn:{scope.partition}:secretsmanager:{scope.region}:{scope.account_id}:secret:"
        f"{sync_lock_name(scope.prefix)}-??????"
    )


def sync_policy(scope: SecretScope, *, create_missing: bool = False) -> dict[str, Any]:
    """Identity policy for the identity that runs ``secrets-iac sync`` for one stage.

    Statements (by ``Sid``):

    * ``SecretsManagerListForBatchedReads``: ListSecrets and BatchGetSecretValue on ``"*"``: AWS does not
      support resource-level permissions for them. ListSecrets discloses names and tags (never values) of
      every secret in the account and region; BatchGetSecretValue is authorised by AWS against
      ``GetSecretValue`` on each secret as well, so values stay limited to the prefix. Without this
      statement the sync still works, reading each secret on its own (two calls per secret).
    * ``SecretsManagerSyncEnvSecrets``: DescribeSecret, GetSecretValue, PutSecretValue and
      UpdateSecretVersionStage (adopting an equal value written by hand) on :func:`secrets_arn_pattern`.
    * ``SecretsManagerSyncLock``: CreateSecret, TagResource (tags sent with CreateSecret), GetSecretValue,
      PutSecretValue (taking over an expired lease) and DeleteSecret on the lock secret alone
      (:func:`sync_lock_arn`), which holds no secret and uses the AWS-managed key.
    * ``SecretsManagerCreateEnvSecrets`` (only with ``create_missing=True``, i.e. ``--create-missing`` for
      local or demo stacks): CreateSecret and TagResource under the prefix, only with the
      ``managed-by: secrets-iac`` tag the sync always sends. Real stages leave creation to ``pulumi up``.
    * ``KmsUseEnvKeyViaSecretsManager`` (only with ``scope.kms_key_arn``): ``kms:GenerateDataKey`` (new
      versions) and ``kms:Decrypt`` (reads) on that key via Secrets Manager.

    ``sts:GetCallerIdentity`` (the account guard) needs no permission. A role to assume per stage
    (``secrets-iac:sync.roleArn``) carries this policy; its trust policy names who runs the sync (a CI role).
    """
    pattern = secrets_arn_pattern(scope)
    statements = [
        _statement("SecretsManagerListForBatchedReads", _FIND_ACTIONS, "*"),
        _statement(
            "SecretsManagerSyncEnvSecrets",
            [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            pattern,
        ),
        _statement(
            "SecretsManagerSyncLock",
            [
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:TagResource",
            ],
            sync_lock_arn(scope),
        ),
    ]
    if create_missing:
        statements.append(
            _statement(
                "SecretsManagerCreateEnvSecrets",
                ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
                pattern,
                {"StringEquals": {f"aws:RequestTag/{MANAGED_BY_TAG}": MANAGED_BY}},
            )
        )
    if scope.kms_key_arn is not None:
        statements.append(
            _kms_via_secretsmanager(
                scope.kms_key_arn,
                scope.region,
                "KmsUseEnvKeyViaSecretsManager",
                ["kms:Decrypt", "kms:GenerateDataKey"],
            )
        )
    return _document(statements)
