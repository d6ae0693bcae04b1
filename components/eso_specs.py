"""Pure builders for External Secrets Operator (ESO v2.9) custom resources backed by AWS Secrets Manager.

Plain data in, plain ``dict`` manifests out: no Pulumi here. Each builder returns a complete Kubernetes
object (``apiVersion``, ``kind``, ``metadata``, ``spec``) that a caller can hand to
``pulumi_kubernetes.apiextensions.CustomResource`` or dump as YAML.

The CRD schema catches type and enum errors; the ESO admission webhook and the AWS provider enforce
more rules that only show up at apply time or as ``SecretSyncedError`` later. The builders run those
checks themselves (see ``eso-notes.md`` §6) and raise :class:`EsoSpecError` (a ``ValueError``) that
lists every problem, each prefixed with the manifest field path and the bad value, e.g.::

    ExternalSecret apps/db is invalid:
      - spec.target.deletionPolicy='Delete': requires spec.target.creationPolicy='Owner', got 'Merge' ...

Args are frozen dataclasses of plain values (str, int, bool, tuples, read-only mappings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias, get_args

from components.k8s_names import is_dns1123_label, is_dns1123_subdomain, is_secret_key

# --------------------------------------------------------------------------------------------------
# Constants: API versions, kinds, labels (the one place they live)
# --------------------------------------------------------------------------------------------------

ESO_GROUP: Final = "external-secrets.io"
ESO_API_VERSION: Final = "external-secrets.io/v1"
"""SecretStore, ClusterSecretStore, ExternalSecret, ClusterExternalSecret (v1beta1 is no longer served)."""
PUSH_SECRET_API_VERSION: Final = "external-secrets.io/v1alpha1"
"""PushSecret and ClusterPushSecret: v1alpha1 is their only served version."""
PUSH_SECRET_METADATA_API_VERSION: Final = "kubernetes.external-secrets.io/v1alpha1"
PUSH_SECRET_METADATA_KIND: Final = "PushSecretMetadata"

KIND_SECRET_STORE: Final = "SecretStore"
KIND_CLUSTER_SECRET_STORE: Final = "ClusterSecretStore"
KIND_EXTERNAL_SECRET: Final = "ExternalSecret"
KIND_PUSH_SECRET: Final = "PushSecret"

AWS_SERVICE_SECRETS_MANAGER: Final = "SecretsManager"
TEMPLATE_ENGINE_VERSION: Final = "v2"
TLS_SECRET_TYPE: Final = "kubernetes.io/tls"

MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE: Final = "secrets-iac"
ESO_MANAGED_BY_TAG: Final = "managed-by"
"""AWS tag key ESO sets itself (``managed-by: external-secrets``); a user tag with this key is an error."""

RECOVERY_WINDOW_MIN_DAYS: Final = 7
RECOVERY_WINDOW_MAX_DAYS: Final = 30

StoreKind: TypeAlias = Literal["SecretStore", "ClusterSecretStore"]
CreationPolicy: TypeAlias = Literal["Owner", "Orphan", "Merge", "None", "CreateOrMerge"]
DeletionPolicy: TypeAlias = Literal["Retain", "Delete", "Merge"]
RefreshPolicy: TypeAlias = Literal["CreatedOnce", "Periodic", "OnChange"]
MergePolicy: TypeAlias = Literal["Replace", "Merge"]
DecodingStrategy: TypeAlias = Literal["None", "Base64", "Base64URL", "Auto"]
ConversionStrategy: TypeAlias = Literal["Default", "Unicode"]
MetadataPolicy: TypeAlias = Literal["None", "Fetch"]
PushUpdatePolicy: TypeAlias = Literal["Replace", "IfNotExists"]
PushDeletionPolicy: TypeAlias = Literal["None", "Delete"]
SecretPushFormat: TypeAlias = Literal["string", "binary"]
SelectorOperator: TypeAlias = Literal["In", "NotIn", "Exists", "DoesNotExist"]

_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$")
_SM_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@:-]+$")
_GO_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------------------------------
# Go durations (time.ParseDuration)
# --------------------------------------------------------------------------------------------------

_DURATION_UNITS_NS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "ns": 1,
        "us": 1_000,
        "\u00b5s": 1_000,  # µ MICRO SIGN
        "\u03bcs": 1_000,  # μ GREEK SMALL LETTER MU
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60 * 1_000_000_000,
        "h": 3600 * 1_000_000_000,
    }
)
_DURATION_TERM = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_DURATION = re.compile(r"^[-+]?(0|(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$")
_MAX_DURATION_NS: Final = (1 << 63) - 1


def duration_nanoseconds(text: str) -> int:
    """Parse a Go duration string (``time.ParseDuration`` grammar) into nanoseconds.

    Accepts what Go accepts: an optional sign, then ``0`` or one or more ``<number><unit>`` terms
    with units ns, us/µs, ms, s, m, h (``"1h30m"``, ``"1.5h"``, ``".5s"``). A bare number other
    than ``0`` has no unit and is rejected, as in Go. Raises ``ValueError``.
    """
    if not isinstance(text, str) or not _DURATION.match(text):
        raise ValueError(f"not a Go duration (e.g. '1h', '30m', '1h30m', '0s'): {text!r}")
    negative = text.startswith("-")
    body = text.lstrip("+-")
    if body == "0":
        return 0
    total = Fraction(0)
    for number, unit in _DURATION_TERM.findall(body):
        total += Fraction(number) * _DURATION_UNITS_NS[unit]
    nanos = int(total)  # Go truncates fractional nanoseconds
    if nanos > _MAX_DURATION_NS + (1 if negative else 0):
        raise ValueError(f"Go duration out of range (max about 2562047h): {text!r}")
    return -nanos if negative else nanos


def parse_duration(text: str) -> timedelta:
    """Parse a Go duration string into a ``timedelta`` (sub-microsecond parts are dropped).

    Raises ``ValueError`` for anything Go's ``time.ParseDuration`` would reject.
    """
    return timedelta(microseconds=duration_nanoseconds(text) // 1_000)


def is_go_duration(text: object) -> bool:
    """True if ``text`` is a string Go's ``time.ParseDuration`` accepts (negative durations included)."""
    if not isinstance(text, str):
        return False
    try:
        duration_nanoseconds(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


class EsoSpecError(ValueError):
    """An ESO manifest that the API server, the ESO webhook or the AWS provider would reject.

    ``errors`` holds one line per problem, each ``"<field path>=<bad value>: <why>"``.
    """

    def __init__(self, subject: str, errors: Iterable[str]) -> None:
        self.subject = subject
        self.errors: tuple[str, ...] = tuple(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{subject} is invalid:\n{lines}")


class _Problems:
    """Collects every problem so one error reports all of them (like ESO's webhook does)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, value: object, why: str) -> None:
        self.items.append(f"{path}={value!r}: {why}")

    def raise_if_any(self, subject: str) -> None:
        if self.items:
            raise EsoSpecError(subject, self.items)


def _frozen_map(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


def _freeze_maps(obj: object, *names: str) -> None:
    for name in names:
        object.__setattr__(obj, name, _frozen_map(getattr(obj, name)))


# --------------------------------------------------------------------------------------------------
# Shared Args
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectMeta:
    """Kubernetes metadata for the custom resource itself."""

    name: str
    """``metadata.name``: DNS-1123 subdomain, at most 253 characters."""
    namespace: str | None = None
    """``metadata.namespace``: required for namespaced kinds, must be unset for cluster-scoped ones."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels; ``app.kubernetes.io/managed-by: secrets-iac`` is always added."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations. On an ExternalSecret, changing any annotation forces a re-sync."""

    def __post_init__(self) -> None:
        _freeze_maps(self, "labels", "annotations")


@dataclass(frozen=True)
class StoreRef:
    """A reference to a SecretStore or ClusterSecretStore (``secretStoreRef`` / ``secretStoreRefs[]``)."""

    name: str
    """Name of the store."""
    kind: StoreKind = "SecretStore"
    """``SecretStore`` (same namespace) or ``ClusterSecretStore``."""


@dataclass(frozen=True)
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry of a Kubernetes label selector."""

    key: str
    """Label key."""
    operator: SelectorOperator
    """``In``, ``NotIn`` (need ``values``), ``Exists``, ``DoesNotExist`` (must have no ``values``)."""
    values: tuple[str, ...] = ()
    """Label values for ``In`` / ``NotIn``."""


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes label selector (``matchLabels`` AND ``matchExpressions``)."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels that must all be present with these values."""
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()
    """Set-based requirements, all of which must hold."""

    def __post_init__(self) -> None:
        _freeze_maps(self, "match_labels")


# --------------------------------------------------------------------------------------------------
# Stores (SecretStore / ClusterSecretStore) with the AWS Secrets Manager provider
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IrsaAuth:
    """``auth.jwt.serviceAccountRef``: ESO mints a token for this ServiceAccount (IRSA).

    The ServiceAccount needs the ``eks.amazonaws.com/role-arn`` annotation; the role's trust policy
    must name ``system:serviceaccount:<namespace>:<name>`` of *this* SA, not the controller's.
    """

    service_account_name: str
    """``serviceAccountRef.name``: the annotated ServiceAccount."""
    service_account_namespace: str | None = None
    """``serviceAccountRef.namespace``. SecretStore: omit or use the store's namespace.
    ClusterSecretStore: required unless the store enables ``referent_auth``."""
    audiences: tuple[str, ...] = ()
    """Extra token audiences, added to the SA's ``eks.amazonaws.com/audience`` (default sts.amazonaws.com)."""


@dataclass(frozen=True)
class SecretKeySelector:
    """A key in a Kubernetes Secret (``{name, key, namespace?}``)."""

    name: str
    """Secret name."""
    key: str
    """Key inside the Secret's data."""
    namespace: str | None = None
    """Secret namespace; same rules as ``IrsaAuth.service_account_namespace``."""


@dataclass(frozen=True)
class StaticKeysAuth:
    """``auth.secretRef``: long-lived IAM user keys from a Kubernetes Secret. Discouraged; prefer IRSA."""

    access_key_id: SecretKeySelector
    """``accessKeyIDSecretRef``."""
    secret_access_key: SecretKeySelector
    """``secretAccessKeySecretRef``."""
    session_token: SecretKeySelector | None = None
    """``sessionTokenSecretRef`` for temporary credentials."""


@dataclass(frozen=True)
class ControllerIdentityAuth:
    """No ``auth`` block: the AWS SDK default chain of the ESO controller pod (IRSA or EKS Pod Identity)."""


AwsAuth: TypeAlias = IrsaAuth | StaticKeysAuth | ControllerIdentityAuth


@dataclass(frozen=True)
class RetrySettings:
    """``spec.retrySettings``: how the AWS provider retries failed calls."""

    max_retries: int | None = None
    """``maxRetries`` (int32, >= 0). ESO's AWS default is 3 attempts."""
    retry_interval: str | None = None
    """``retryInterval``: Go duration between attempts, e.g. ``"10s"``."""


@dataclass(frozen=True)
class AwsSecretsManagerProvider:
    """``spec.provider.aws`` with ``service: SecretsManager``."""

    region: str
    """AWS region, e.g. ``eu-west-1`` (required)."""
    auth: AwsAuth = field(default_factory=ControllerIdentityAuth)
    """How ESO gets base credentials: ``IrsaAuth``, ``StaticKeysAuth`` or ``ControllerIdentityAuth``."""
    role: str | None = None
    """IAM role ARN ESO assumes *after* getting base credentials. Do not set it to the IRSA role itself."""
    additional_roles: tuple[str, ...] = ()
    """Role ARNs assumed in order before ``role`` (role chaining)."""
    external_id: str | None = None
    """ExternalId for the AssumeRole of ``role``; needs ``role``."""
    prefix: str | None = None
    """Added before every remote key, for reads and pushes. No separator is added: use ``"team-a/"``."""
    recovery_window_in_days: int | None = None
    """``secretsManager.recoveryWindowInDays`` (7-30) used when a PushSecret deletes a secret."""
    force_delete_without_recovery: bool = False
    """``secretsManager.forceDeleteWithoutRecovery``; excludes ``recovery_window_in_days``."""


@dataclass(frozen=True)
class SecretStoreArgs:
    """A namespaced ``SecretStore``: usable only by ExternalSecrets/PushSecrets in its namespace."""

    metadata: ObjectMeta
    """Name and (required) namespace of the store."""
    provider: AwsSecretsManagerProvider
    """The AWS Secrets Manager provider."""
    refresh_interval: int | str | None = None
    """``spec.refreshInterval``: seconds (int >= 0) or a Go duration; unset or 0 = controller default."""
    retry_settings: RetrySettings | None = None
    """``spec.retrySettings``."""
    controller: str | None = None
    """``spec.controller``: only the ESO instance with this ``--controller-class`` processes the store."""


@dataclass(frozen=True)
class NamespaceCondition:
    """One ``spec.conditions[]`` entry of a ClusterSecretStore; a namespace matching any part is allowed."""

    namespaces: tuple[str, ...] = ()
    """Exact namespace names."""
    namespace_regexes: tuple[str, ...] = ()
    """Go regexps; ESO matches them unanchored, so each must be anchored ``^...$`` (checked)."""
    namespace_selector: LabelSelector | None = None
    """Label selector on Namespace objects."""


@dataclass(frozen=True)
class ClusterSecretStoreArgs:
    """A cluster-scoped ``ClusterSecretStore``."""

    metadata: ObjectMeta
    """Name of the store (no namespace)."""
    provider: AwsSecretsManagerProvider
    """The AWS Secrets Manager provider."""
    conditions: tuple[NamespaceCondition, ...] = ()
    """Namespaces allowed to use the store; empty = every namespace."""
    referent_auth: bool = False
    """Opt in to referent auth: SA/Secret namespaces omitted, resolved in each ExternalSecret's namespace."""
    refresh_interval: int | str | None = None
    """``spec.refreshInterval``: seconds (int >= 0) or a Go duration; unset or 0 = controller default."""
    retry_settings: RetrySettings | None = None
    """``spec.retrySettings``."""
    controller: str | None = None
    """``spec.controller`` class, see ``SecretStoreArgs.controller``."""


# --------------------------------------------------------------------------------------------------
# ExternalSecret
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteRef:
    """Where a value lives in Secrets Manager (``data[].remoteRef`` / ``dataFrom[].extract``)."""

    key: str
    """Secret name or ARN (the store's ``prefix`` is prepended by ESO)."""
    property: str | None = None
    """gjson path into a JSON secret, e.g. ``"password"`` or ``"db.host"``."""
    version: str | None = None
    """Version stage (``AWSPREVIOUS``, custom stage) or ``uuid/<version-id>``; unset = AWSCURRENT.
    There is no ``versionStage`` field in ESO: the stage goes here."""
    decoding_strategy: DecodingStrategy | None = None
    """``decodingStrategy``: decode the value (Base64, Base64URL, Auto) before use."""
    conversion_strategy: ConversionStrategy | None = None
    """``conversionStrategy``."""
    metadata_policy: MetadataPolicy | None = None
    """``metadataPolicy: Fetch`` reads the secret's tags, not its value (``version`` is then ignored)."""


@dataclass(frozen=True)
class ExternalSecretData:
    """One ``spec.data[]`` entry: a single value into one key of the target Secret."""

    secret_key: str
    """Key in the target Secret (``^[-._a-zA-Z0-9]+$``, unique within the ExternalSecret)."""
    remote_ref: RemoteRef
    """The Secrets Manager value."""


@dataclass(frozen=True)
class DataFromExtract:
    """``dataFrom[].extract``: every top-level field of a JSON secret becomes a key."""

    remote_ref: RemoteRef
    """The JSON secret (``property`` picks a sub-object first)."""


@dataclass(frozen=True)
class DataFromFind:
    """``dataFrom[].find``: many secrets at once; keys are the secret names. Needs ListSecrets/BatchGet.

    Avoid with a store ``prefix``: ESO does not apply the prefix to ``find`` filters.
    """

    name_regexp: str | None = None
    """``find.name.regexp``: secrets whose name matches (costly without ``path``)."""
    path: str | None = None
    """``find.path``: name prefix filter."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """``find.tags``: secrets carrying all these tags."""
    conversion_strategy: ConversionStrategy | None = None
    """``conversionStrategy`` for invalid characters in the names."""
    decoding_strategy: DecodingStrategy | None = None
    """``decodingStrategy`` for the values."""

    def __post_init__(self) -> None:
        _freeze_maps(self, "tags")


DataFrom: TypeAlias = DataFromExtract | DataFromFind


@dataclass(frozen=True)
class SecretTemplate:
    """``spec.target.template`` (engine v2)."""

    type: str | None = None
    """Secret ``type``, e.g. ``kubernetes.io/dockerconfigjson``."""
    data: Mapping[str, str] = field(default_factory=dict)
    """Rendered keys: Go templates over the fetched keys, e.g. ``{"url": "postgres://{{ .user }}@db"}``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """``metadata.labels`` of the Secret (replaces the ExternalSecret's copied labels)."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """``metadata.annotations`` of the Secret."""
    merge_policy: MergePolicy | None = None
    """``Replace`` (default: only rendered keys are kept) or ``Merge`` (fetched keys are kept too)."""

    def __post_init__(self) -> None:
        _freeze_maps(self, "data", "labels", "annotations")


@dataclass(frozen=True)
class TlsTemplate:
    """A ``kubernetes.io/tls`` Secret with ``tls.crt``/``tls.key`` rendered from two fetched keys."""

    cert_key: str = "cert"
    """Fetched key holding the PEM certificate (chain); becomes ``tls.crt``."""
    private_key_key: str = "key"
    """Fetched key holding the PEM private key; becomes ``tls.key``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """``metadata.labels`` of the Secret."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """``metadata.annotations`` of the Secret."""

    def __post_init__(self) -> None:
        _freeze_maps(self, "labels", "annotations")

    def to_template(self) -> SecretTemplate:
        """The equivalent general ``SecretTemplate``."""
        return SecretTemplate(
            type=TLS_SECRET_TYPE,
            data={"tls.crt": template_ref(self.cert_key), "tls.key": template_ref(self.private_key_key)},
            labels=self.labels,
            annotations=self.annotations,
        )


def template_ref(fetched_key: str) -> str:
    """A v2 template expression for one fetched key: ``{{ .cert }}``, or ``{{ index . "tls-crt" }}``."""
    if _GO_IDENTIFIER.match(fetched_key):
        return "{{ ." + fetched_key + " }}"
    quoted = fetched_key.replace("\\", "\\\\").replace('"', '\\"')
    return '{{ index . "' + quoted + '" }}'


@dataclass(frozen=True)
class TargetArgs:
    """``spec.target``: the Kubernetes Secret ESO writes."""

    name: str | None = None
    """Secret name; defaults to the ExternalSecret's name."""
    creation_policy: CreationPolicy = "Owner"
    """``Owner`` | ``Orphan`` | ``Merge`` | ``None`` | ``CreateOrMerge``."""
    deletion_policy: DeletionPolicy = "Retain"
    """``Retain`` | ``Delete`` (needs ``Owner``) | ``Merge`` (not with ``None``): on empty provider data."""
    immutable: bool = False
    """Set ``Secret.immutable``; the data is then never rewritten."""
    template: SecretTemplate | TlsTemplate | None = None
    """Shape the Secret (type, rendered keys, metadata)."""


@dataclass(frozen=True)
class ExternalSecretArgs:
    """An ``ExternalSecret`` (v1) syncing Secrets Manager values into a Kubernetes Secret."""

    metadata: ObjectMeta
    """Name and (required) namespace."""
    secret_store_ref: StoreRef
    """The store to read from."""
    data: tuple[ExternalSecretData, ...] = ()
    """Individual values; applied after ``data_from``."""
    data_from: tuple[DataFrom, ...] = ()
    """Bulk sources, merged in order. ``data`` or ``data_from`` must be non-empty."""
    refresh_interval: str = "1h"
    """``spec.refreshInterval``: Go duration; ``"0s"`` syncs once."""
    refresh_policy: RefreshPolicy | None = None
    """``CreatedOnce`` | ``Periodic`` (ESO default) | ``OnChange``."""
    target: TargetArgs = field(default_factory=TargetArgs)
    """The Secret to write."""


# --------------------------------------------------------------------------------------------------
# PushSecret
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushSecretMetadata:
    """AWS Secrets Manager push options, rendered in ESO's wrapped ``PushSecretMetadata`` form."""

    secret_push_format: SecretPushFormat | None = None
    """``string`` (SecretString) or ``binary`` (SecretBinary, ESO's default when unset)."""
    kms_key_id: str | None = None
    """KMS key id/ARN/alias for a new secret (default ``alias/aws/secretsmanager``)."""
    description: str | None = None
    """Secret description."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """AWS tags; ESO then owns all tags (removes others). ``managed-by`` is reserved by ESO."""

    def __post_init__(self) -> None:
        _freeze_maps(self, "tags")


@dataclass(frozen=True)
class PushSecretData:
    """One ``spec.data[]`` entry: which Secret key goes to which Secrets Manager secret."""

    remote_key: str
    """``match.remoteRef.remoteKey``: target secret name (store ``prefix`` is prepended)."""
    secret_key: str | None = None
    """``match.secretKey``; unset pushes the whole Secret as one JSON object."""
    property: str | None = None
    """``match.remoteRef.property``: merge into the existing JSON secret at this path."""
    metadata: PushSecretMetadata | None = None
    """Provider metadata (format, KMS key, description, tags)."""


@dataclass(frozen=True)
class PushSecretArgs:
    """A ``PushSecret`` (v1alpha1) writing a Kubernetes Secret's values to Secrets Manager."""

    metadata: ObjectMeta
    """Name and (required) namespace."""
    secret_name: str
    """``selector.secret.name``: the source Secret in the same namespace."""
    secret_store_refs: tuple[StoreRef, ...]
    """Stores to push to (at least one)."""
    data: tuple[PushSecretData, ...]
    """What to push (at least one entry)."""
    refresh_interval: str = "1h"
    """``spec.refreshInterval``: Go duration."""
    update_policy: PushUpdatePolicy = "Replace"
    """``Replace`` overwrites; ``IfNotExists`` skips secrets that already have a value."""
    deletion_policy: PushDeletionPolicy = "None"
    """``None`` keeps AWS secrets; ``Delete`` deletes them (only ones tagged managed-by=external-secrets)."""


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def _check_enum(p: _Problems, path: str, value: object, alias: Any) -> None:
    allowed = get_args(alias)
    if value not in allowed:
        p.add(path, value, f"must be one of {', '.join(allowed)}")


def _check_name(p: _Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not is_dns1123_subdomain(value):
        p.add(path, value, "must be a DNS-1123 subdomain (lower-case alphanumerics, '-', '.'; <= 253)")


def _check_namespace(p: _Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not is_dns1123_label(value):
        p.add(path, value, "must be a DNS-1123 label (lower-case alphanumerics and '-'; <= 63)")


def _check_label_key(p: _Problems, path: str, key: object) -> None:
    if not isinstance(key, str) or not key:
        p.add(path, key, "label/annotation key must be a non-empty string")
        return
    prefix, _, name = key.rpartition("/")
    if prefix:
        _check_name(p, f"{path} (prefix)", prefix)
    if len(name) > 63 or not _LABEL_NAME.match(name):
        p.add(path, key, "must be a qualified name ([prefix/]name, name <= 63 alphanumerics, '-', '_', '.')")


def _check_labels(p: _Problems, path: str, labels: Mapping[str, str]) -> None:
    for key, value in labels.items():
        _check_label_key(p, f"{path}[{key!r}]", key)
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            p.add(f"{path}[{key!r}]", value, "label value must be <= 63 alphanumerics, '-', '_', '.'")


def _check_annotations(p: _Problems, path: str, annotations: Mapping[str, str]) -> None:
    for key, value in annotations.items():
        _check_label_key(p, f"{path}[{key!r}]", key)
        if not isinstance(value, str):
            p.add(f"{path}[{key!r}]", value, "annotation value must be a string")


def _check_duration(p: _Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not is_go_duration(value):
        p.add(path, value, "must be a Go duration string such as '1h', '15m', '1h30m' or '0s'")
    elif value.startswith("-"):
        p.add(path, value, "must not be negative")


def _check_non_empty(p: _Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        p.add(path, value, "must be a non-empty string")


def _check_sm_name(p: _Problems, path: str, value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > 2048 or not _SM_SECRET_NAME.match(value):
        p.add(path, value, "must be a Secrets Manager name or ARN (letters, digits, /_+=.@:-)")


def _top_level_alternatives(pattern: str) -> list[str]:
    """Split a regexp on ``|`` outside groups and character classes."""
    parts: list[str] = []
    depth, escaped, start = 0, False, 0
    class_open = -1  # index of the '[' of the character class we are in, or -1
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif class_open >= 0:
            first = class_open + (2 if pattern[class_open + 1 : class_open + 2] == "^" else 1)
            if ch == "]" and i > first:  # a ']' right after '[' or '[^' is a literal
                class_open = -1
        elif ch == "[":
            class_open = i
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _ends_with_unescaped_dollar(text: str) -> bool:
    if not text.endswith("$"):
        return False
    backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0


_NOT_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=")


def _check_go_regexp(p: _Problems, path: str, value: object) -> bool:
    """Compile a regexp the way Go's RE2 would (Python ``re`` minus lookaround and backreferences)."""
    if not isinstance(value, str) or not value:
        p.add(path, value, "must be a non-empty regular expression")
        return False
    if _NOT_RE2.search(value):
        p.add(path, value, "uses lookaround or backreferences, which Go's RE2 regexp does not support")
        return False
    try:
        re.compile(value)
    except re.error as exc:
        p.add(path, value, f"does not compile: {exc}")
        return False
    return True


def _check_anchored(p: _Problems, path: str, value: str) -> None:
    for alt in _top_level_alternatives(value):
        if not alt.startswith("^") or not _ends_with_unescaped_dollar(alt):
            p.add(
                path,
                value,
                "must be anchored as '^...$' (each '|' alternative too): ESO uses unanchored Go "
                "regexp.MatchString, so 'team-a' would also match 'xteam-a-1'",
            )
            return


def _check_label_selector(p: _Problems, path: str, selector: LabelSelector) -> None:
    _check_labels(p, f"{path}.matchLabels", selector.match_labels)
    for i, req in enumerate(selector.match_expressions):
        rpath = f"{path}.matchExpressions[{i}]"
        _check_label_key(p, f"{rpath}.key", req.key)
        _check_enum(p, f"{rpath}.operator", req.operator, SelectorOperator)
        if req.operator in ("In", "NotIn") and not req.values:
            p.add(f"{rpath}.values", list(req.values), f"operator {req.operator} needs at least one value")
        if req.operator in ("Exists", "DoesNotExist") and req.values:
            p.add(f"{rpath}.values", list(req.values), f"operator {req.operator} takes no values")
    if not selector.match_labels and not selector.match_expressions:
        p.add(path, {}, "an empty selector matches every namespace; omit it or give labels/expressions")


def _check_metadata(p: _Problems, meta: ObjectMeta, *, namespaced: bool) -> None:
    _check_name(p, "metadata.name", meta.name)
    if namespaced:
        _check_namespace(p, "metadata.namespace", meta.namespace)
    elif meta.namespace is not None:
        p.add("metadata.namespace", meta.namespace, "must be unset: this kind is cluster-scoped")
    _check_labels(p, "metadata.labels", meta.labels)
    if meta.labels.get(MANAGED_BY_LABEL, MANAGED_BY_VALUE) != MANAGED_BY_VALUE:
        p.add(
            f"metadata.labels[{MANAGED_BY_LABEL!r}]",
            meta.labels[MANAGED_BY_LABEL],
            f"is set by secrets-iac to {MANAGED_BY_VALUE!r}",
        )
    _check_annotations(p, "metadata.annotations", meta.annotations)


def _check_store_ref(p: _Problems, path: str, ref: StoreRef) -> None:
    _check_name(p, f"{path}.name", ref.name)
    _check_enum(p, f"{path}.kind", ref.kind, StoreKind)


def _check_ref_namespace(
    p: _Problems, path: str, value: str | None, *, store_namespace: str | None, referent_auth: bool
) -> None:
    """The SA/Secret namespace rules that differ between the two store kinds."""
    if store_namespace is not None:  # SecretStore
        if value is not None and value != store_namespace:
            p.add(
                path,
                value,
                f"on a SecretStore must equal the store namespace {store_namespace!r} or be unset",
            )
        return
    if referent_auth:
        if value is not None:
            p.add(
                path, value, "must be unset with referent_auth=True (resolved per ExternalSecret namespace)"
            )
    elif value is None:
        p.add(
            path,
            value,
            "is required on a ClusterSecretStore; without it ESO looks the object up in every "
            "ExternalSecret's namespace (referent auth). Set it, or pass referent_auth=True",
        )
    else:
        _check_namespace(p, path, value)


def _check_provider(
    p: _Problems,
    provider: AwsSecretsManagerProvider,
    *,
    store_namespace: str | None,
    referent_auth: bool,
) -> None:
    path = "spec.provider.aws"
    if not isinstance(provider.region, str) or not _AWS_REGION.match(provider.region):
        p.add(f"{path}.region", provider.region, "must be an AWS region such as 'eu-west-1'")
    for attr, value in (
        ("role", provider.role),
        *(("additionalRoles", r) for r in provider.additional_roles),
    ):
        if value is not None and (not isinstance(value, str) or not _IAM_ROLE_ARN.match(value)):
            p.add(f"{path}.{attr}", value, "must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)")
    if provider.external_id is not None:
        _check_non_empty(p, f"{path}.externalID", provider.external_id)
        if provider.role is None:
            p.add(
                f"{path}.externalID",
                provider.external_id,
                "is only used on the AssumeRole of 'role'; set role",
            )
    if provider.prefix is not None:
        _check_sm_name(p, f"{path}.prefix", provider.prefix)
    window = provider.recovery_window_in_days
    if window is not None:
        wpath = f"{path}.secretsManager.recoveryWindowInDays"
        if isinstance(window, bool) or not isinstance(window, int):
            p.add(wpath, window, "must be an integer")
        elif not RECOVERY_WINDOW_MIN_DAYS <= window <= RECOVERY_WINDOW_MAX_DAYS:
            p.add(
                wpath,
                window,
                f"must be between {RECOVERY_WINDOW_MIN_DAYS} and {RECOVERY_WINDOW_MAX_DAYS} days",
            )
        if provider.force_delete_without_recovery:
            p.add(wpath, window, "cannot be combined with secretsManager.forceDeleteWithoutRecovery=true")

    auth = provider.auth
    apath = f"{path}.auth"
    if isinstance(auth, IrsaAuth):
        sa = f"{apath}.jwt.serviceAccountRef"
        _check_name(p, f"{sa}.name", auth.service_account_name)
        _check_ref_namespace(
            p,
            f"{sa}.namespace",
            auth.service_account_namespace,
            store_namespace=store_namespace,
            referent_auth=referent_auth,
        )
        for i, aud in enumerate(auth.audiences):
            _check_non_empty(p, f"{sa}.audiences[{i}]", aud)
    elif isinstance(auth, StaticKeysAuth):
        refs = (
            ("accessKeyIDSecretRef", auth.access_key_id),
            ("secretAccessKeySecretRef", auth.secret_access_key),
            ("sessionTokenSecretRef", auth.session_token),
        )
        for name, ref in refs:
            if ref is None:
                continue
            rpath = f"{apath}.secretRef.{name}"
            _check_name(p, f"{rpath}.name", ref.name)
            if not isinstance(ref.key, str) or not is_secret_key(ref.key):
                p.add(f"{rpath}.key", ref.key, "must match ^[-._a-zA-Z0-9]+$")
            _check_ref_namespace(
                p,
                f"{rpath}.namespace",
                ref.namespace,
                store_namespace=store_namespace,
                referent_auth=referent_auth,
            )
    elif isinstance(auth, ControllerIdentityAuth):
        if referent_auth:
            p.add("referent_auth", True, "has no meaning without IRSA or static-key auth")
    else:
        p.add(apath, auth, "must be IrsaAuth, StaticKeysAuth or ControllerIdentityAuth")


def _check_store_common(
    p: _Problems, refresh_interval: int | str | None, retry: RetrySettings | None, controller: str | None
) -> None:
    if refresh_interval is not None:
        if isinstance(refresh_interval, bool):
            p.add("spec.refreshInterval", refresh_interval, "must be seconds (int) or a Go duration string")
        elif isinstance(refresh_interval, int):
            if refresh_interval < 0:
                p.add("spec.refreshInterval", refresh_interval, "must be >= 0 seconds")
        else:
            _check_duration(p, "spec.refreshInterval", refresh_interval)
    if retry is not None:
        if retry.max_retries is not None and (
            isinstance(retry.max_retries, bool)
            or not isinstance(retry.max_retries, int)
            or not 0 <= retry.max_retries < 2**31
        ):
            p.add("spec.retrySettings.maxRetries", retry.max_retries, "must be an int32 >= 0")
        if retry.retry_interval is not None:
            _check_duration(p, "spec.retrySettings.retryInterval", retry.retry_interval)
    if controller is not None:
        _check_non_empty(p, "spec.controller", controller)


def _check_remote_ref(p: _Problems, path: str, ref: RemoteRef) -> None:
    _check_sm_name(p, f"{path}.key", ref.key)
    if ref.property is not None:
        _check_non_empty(p, f"{path}.property", ref.property)
    if ref.version is not None:
        if not isinstance(ref.version, str) or not ref.version.strip():
            p.add(f"{path}.version", ref.version, "must be a version stage (e.g. AWSPREVIOUS) or uuid/<id>")
        elif ref.version.startswith("uuid/") and len(ref.version) == len("uuid/"):
            p.add(f"{path}.version", ref.version, "uuid/ needs a version id after the slash")
        if ref.metadata_policy == "Fetch":
            p.add(f"{path}.version", ref.version, "is ignored with metadataPolicy=Fetch (tags are read)")
    if ref.decoding_strategy is not None:
        _check_enum(p, f"{path}.decodingStrategy", ref.decoding_strategy, DecodingStrategy)
    if ref.conversion_strategy is not None:
        _check_enum(p, f"{path}.conversionStrategy", ref.conversion_strategy, ConversionStrategy)
    if ref.metadata_policy is not None:
        _check_enum(p, f"{path}.metadataPolicy", ref.metadata_policy, MetadataPolicy)


_PRIVILEGED_TEMPLATE_TYPES: Final = ("bootstrap.kubernetes.io/token",)
_SA_TOKEN_TYPE: Final = "kubernetes.io/service-account-token"
_SA_NAME_ANNOTATION: Final = "kubernetes.io/service-account.name"


def _check_template(p: _Problems, template: SecretTemplate) -> None:
    path = "spec.target.template"
    if template.type is not None:
        _check_non_empty(p, f"{path}.type", template.type)
        if template.type in _PRIVILEGED_TEMPLATE_TYPES:
            p.add(f"{path}.type", template.type, "is refused by the ESO webhook (privileged Secret type)")
        if template.type == _SA_TOKEN_TYPE and _SA_NAME_ANNOTATION in template.annotations:
            p.add(
                f"{path}.metadata.annotations[{_SA_NAME_ANNOTATION!r}]",
                template.annotations[_SA_NAME_ANNOTATION],
                f"is refused by the ESO webhook with type {_SA_TOKEN_TYPE} (would mint a long-lived token)",
            )
    for key in template.data:
        if not isinstance(key, str) or not is_secret_key(key):
            p.add(f"{path}.data[{key!r}]", key, "Secret data keys must match ^[-._a-zA-Z0-9]+$")
    _check_labels(p, f"{path}.metadata.labels", template.labels)
    _check_annotations(p, f"{path}.metadata.annotations", template.annotations)
    if template.merge_policy is not None:
        _check_enum(p, f"{path}.mergePolicy", template.merge_policy, MergePolicy)


def _check_target(p: _Problems, target: TargetArgs, args: ExternalSecretArgs) -> None:
    path = "spec.target"
    if target.name is not None:
        _check_name(p, f"{path}.name", target.name)
    _check_enum(p, f"{path}.creationPolicy", target.creation_policy, CreationPolicy)
    _check_enum(p, f"{path}.deletionPolicy", target.deletion_policy, DeletionPolicy)
    # eso-notes §6: Delete requires Owner. The v2.9 webhook itself rejects Delete with Merge, None and
    # CreateOrMerge; Orphan gets through, but ESO only deletes Secrets it owns, so it is refused here too.
    if target.deletion_policy == "Delete" and target.creation_policy != "Owner":
        p.add(
            f"{path}.deletionPolicy",
            target.deletion_policy,
            f"requires {path}.creationPolicy='Owner', got {target.creation_policy!r} "
            "(ESO deletes the target Secret only under creationPolicy Owner)",
        )
    if target.deletion_policy == "Merge" and target.creation_policy == "None":
        p.add(
            f"{path}.deletionPolicy",
            target.deletion_policy,
            f"cannot be used with {path}.creationPolicy='None': there is no Secret to merge with",
        )
    template = target.template
    if isinstance(template, TlsTemplate):
        for attr, key in (("cert_key", template.cert_key), ("private_key_key", template.private_key_key)):
            if not isinstance(key, str) or not is_secret_key(key):
                p.add(f"{path}.template ({attr})", key, "must be a fetched key name (^[-._a-zA-Z0-9]+$)")
            elif not args.data_from and key not in {d.secret_key for d in args.data}:
                p.add(
                    f"{path}.template ({attr})",
                    key,
                    "is not a spec.data[].secretKey of this ExternalSecret (templates fail on missing keys)",
                )
        _check_template(p, template.to_template())
    elif isinstance(template, SecretTemplate):
        _check_template(p, template)
    elif template is not None:
        p.add(f"{path}.template", template, "must be SecretTemplate or TlsTemplate")


def _check_external_secret(p: _Problems, args: ExternalSecretArgs) -> None:
    _check_metadata(p, args.metadata, namespaced=True)
    _check_store_ref(p, "spec.secretStoreRef", args.secret_store_ref)
    _check_duration(p, "spec.refreshInterval", args.refresh_interval)
    if args.refresh_policy is not None:
        _check_enum(p, "spec.refreshPolicy", args.refresh_policy, RefreshPolicy)
    if not args.data and not args.data_from:
        p.add("spec.data/spec.dataFrom", [], "either data or dataFrom must be non-empty")
    seen: dict[str, int] = {}
    for i, item in enumerate(args.data):
        path = f"spec.data[{i}]"
        if (
            not isinstance(item.secret_key, str)
            or len(item.secret_key) > 253
            or not is_secret_key(item.secret_key)
        ):
            p.add(f"{path}.secretKey", item.secret_key, "must match ^[-._a-zA-Z0-9]+$ (<= 253)")
        elif item.secret_key in seen:
            p.add(
                f"{path}.secretKey",
                item.secret_key,
                f"duplicates spec.data[{seen[item.secret_key]}].secretKey; keys must be unique",
            )
        else:
            seen[item.secret_key] = i
        _check_remote_ref(p, f"{path}.remoteRef", item.remote_ref)
    for i, source in enumerate(args.data_from):
        path = f"spec.dataFrom[{i}]"
        if isinstance(source, DataFromExtract):
            _check_remote_ref(p, f"{path}.extract", source.remote_ref)
        elif isinstance(source, DataFromFind):
            fpath = f"{path}.find"
            if source.name_regexp is None and source.path is None and not source.tags:
                p.add(fpath, {}, "needs at least one of name.regexp, path or tags (else it lists everything)")
            if source.name_regexp is not None:
                _check_go_regexp(p, f"{fpath}.name.regexp", source.name_regexp)
            if source.path is not None:
                _check_sm_name(p, f"{fpath}.path", source.path)
            for key, value in source.tags.items():
                _check_non_empty(p, f"{fpath}.tags[{key!r}] (key)", key)
                if not isinstance(value, str):
                    p.add(f"{fpath}.tags[{key!r}]", value, "must be a string")
            if source.conversion_strategy is not None:
                _check_enum(p, f"{fpath}.conversionStrategy", source.conversion_strategy, ConversionStrategy)
            if source.decoding_strategy is not None:
                _check_enum(p, f"{fpath}.decodingStrategy", source.decoding_strategy, DecodingStrategy)
        else:
            p.add(path, source, "must have exactly one of extract (DataFromExtract) or find (DataFromFind)")
    _check_target(p, args.target, args)


def _check_aws_tags(p: _Problems, path: str, tags: Mapping[str, str]) -> None:
    for key, value in tags.items():
        tpath = f"{path}[{key!r}]"
        if key == ESO_MANAGED_BY_TAG:
            p.add(tpath, value, "ESO sets 'managed-by: external-secrets' itself and errors on a user tag")
            continue
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            p.add(tpath, key, "AWS tag keys are 1-128 characters and must not start with 'aws:'")
        if not isinstance(value, str) or len(value) > 256:
            p.add(tpath, value, "AWS tag values are strings of at most 256 characters")


def _check_push_secret(p: _Problems, args: PushSecretArgs) -> None:
    _check_metadata(p, args.metadata, namespaced=True)
    _check_name(p, "spec.selector.secret.name", args.secret_name)
    _check_duration(p, "spec.refreshInterval", args.refresh_interval)
    _check_enum(p, "spec.updatePolicy", args.update_policy, PushUpdatePolicy)
    _check_enum(p, "spec.deletionPolicy", args.deletion_policy, PushDeletionPolicy)
    if not args.secret_store_refs:
        p.add("spec.secretStoreRefs", [], "needs at least one store")
    for i, ref in enumerate(args.secret_store_refs):
        _check_store_ref(p, f"spec.secretStoreRefs[{i}]", ref)
    if not args.data:
        p.add("spec.data", [], "needs at least one entry")
    targets: dict[tuple[str, str | None], int] = {}
    for i, item in enumerate(args.data):
        path = f"spec.data[{i}]"
        _check_sm_name(p, f"{path}.match.remoteRef.remoteKey", item.remote_key)
        if item.secret_key is not None and (
            not isinstance(item.secret_key, str) or not is_secret_key(item.secret_key)
        ):
            p.add(f"{path}.match.secretKey", item.secret_key, "must match ^[-._a-zA-Z0-9]+$")
        if item.property is not None:
            _check_non_empty(p, f"{path}.match.remoteRef.property", item.property)
        target = (item.remote_key, item.property)
        if target in targets:
            p.add(
                f"{path}.match.remoteRef",
                {"remoteKey": item.remote_key, "property": item.property},
                f"same target as spec.data[{targets[target]}]; one would overwrite the other",
            )
        else:
            targets[target] = i
        meta = item.metadata
        if meta is not None:
            mpath = f"{path}.metadata.spec"
            if meta.secret_push_format is not None:
                _check_enum(p, f"{mpath}.secretPushFormat", meta.secret_push_format, SecretPushFormat)
            if meta.kms_key_id is not None:
                _check_non_empty(p, f"{mpath}.kmsKeyId", meta.kms_key_id)
            if meta.description is not None and (
                not isinstance(meta.description, str) or len(meta.description) > 2048
            ):
                p.add(f"{mpath}.description", meta.description, "must be a string of at most 2048 characters")
            _check_aws_tags(p, f"{mpath}.tags", meta.tags)


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _prune(values: dict[str, Any]) -> dict[str, Any]:
    """Drop unset (None) and empty optional values."""
    return {k: v for k, v in values.items() if v is not None and v != {} and v != []}


def _metadata(meta: ObjectMeta, *, namespaced: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": meta.name}
    if namespaced:
        out["namespace"] = meta.namespace
    out["labels"] = {**meta.labels, MANAGED_BY_LABEL: MANAGED_BY_VALUE}
    if meta.annotations:
        out["annotations"] = dict(meta.annotations)
    return out


def _manifest(api_version: str, kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}


def _render_label_selector(selector: LabelSelector) -> dict[str, Any]:
    return _prune(
        {
            "matchLabels": dict(selector.match_labels),
            "matchExpressions": [
                _prune({"key": r.key, "operator": r.operator, "values": list(r.values)})
                for r in selector.match_expressions
            ],
        }
    )


def _render_key_selector(ref: SecretKeySelector) -> dict[str, Any]:
    return _prune({"name": ref.name, "key": ref.key, "namespace": ref.namespace})


def _render_provider(provider: AwsSecretsManagerProvider) -> dict[str, Any]:
    auth: dict[str, Any] | None = None
    if isinstance(provider.auth, IrsaAuth):
        auth = {
            "jwt": {
                "serviceAccountRef": _prune(
                    {
                        "name": provider.auth.service_account_name,
                        "namespace": provider.auth.service_account_namespace,
                        "audiences": list(provider.auth.audiences),
                    }
                )
            }
        }
    elif isinstance(provider.auth, StaticKeysAuth):
        static = provider.auth
        auth = {
            "secretRef": _prune(
                {
                    "accessKeyIDSecretRef": _render_key_selector(static.access_key_id),
                    "secretAccessKeySecretRef": _render_key_selector(static.secret_access_key),
                    "sessionTokenSecretRef": (
                        _render_key_selector(static.session_token) if static.session_token else None
                    ),
                }
            )
        }
    secrets_manager = _prune(
        {
            "recoveryWindowInDays": provider.recovery_window_in_days,
            "forceDeleteWithoutRecovery": True if provider.force_delete_without_recovery else None,
        }
    )
    aws = _prune(
        {
            "service": AWS_SERVICE_SECRETS_MANAGER,
            "region": provider.region,
            "auth": auth,
            "role": provider.role,
            "additionalRoles": list(provider.additional_roles),
            "externalID": provider.external_id,
            "prefix": provider.prefix,
            "secretsManager": secrets_manager,
        }
    )
    return {"aws": aws}


def _store_spec(
    provider: AwsSecretsManagerProvider,
    refresh_interval: int | str | None,
    retry: RetrySettings | None,
    controller: str | None,
) -> dict[str, Any]:
    return _prune(
        {
            "controller": controller,
            "provider": _render_provider(provider),
            "refreshInterval": refresh_interval,
            "retrySettings": (
                _prune({"maxRetries": retry.max_retries, "retryInterval": retry.retry_interval})
                if retry
                else None
            ),
        }
    )


def _render_remote_ref(ref: RemoteRef) -> dict[str, Any]:
    return _prune(
        {
            "key": ref.key,
            "property": ref.property,
            "version": ref.version,
            "decodingStrategy": ref.decoding_strategy,
            "conversionStrategy": ref.conversion_strategy,
            "metadataPolicy": ref.metadata_policy,
        }
    )


def _render_data_from(source: DataFrom) -> dict[str, Any]:
    if isinstance(source, DataFromExtract):
        return {"extract": _render_remote_ref(source.remote_ref)}
    find = _prune(
        {
            "name": {"regexp": source.name_regexp} if source.name_regexp is not None else None,
            "path": source.path,
            "tags": dict(source.tags),
            "conversionStrategy": source.conversion_strategy,
            "decodingStrategy": source.decoding_strategy,
        }
    )
    return {"find": find}


def _render_template(template: SecretTemplate | TlsTemplate) -> dict[str, Any]:
    tpl = template.to_template() if isinstance(template, TlsTemplate) else template
    return _prune(
        {
            "type": tpl.type,
            "engineVersion": TEMPLATE_ENGINE_VERSION,
            "mergePolicy": tpl.merge_policy,
            "metadata": _prune({"labels": dict(tpl.labels), "annotations": dict(tpl.annotations)}),
            "data": dict(tpl.data),
        }
    )


def _render_push_metadata(meta: PushSecretMetadata) -> dict[str, Any]:
    return {
        "apiVersion": PUSH_SECRET_METADATA_API_VERSION,
        "kind": PUSH_SECRET_METADATA_KIND,
        "spec": _prune(
            {
                "secretPushFormat": meta.secret_push_format,
                "kmsKeyId": meta.kms_key_id,
                "description": meta.description,
                "tags": dict(meta.tags),
            }
        ),
    }


# --------------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------------


def secret_store(args: SecretStoreArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1`` ``SecretStore`` manifest. Raises :class:`EsoSpecError`."""
    p = _Problems()
    _check_metadata(p, args.metadata, namespaced=True)
    _check_provider(p, args.provider, store_namespace=args.metadata.namespace or "", referent_auth=False)
    _check_store_common(p, args.refresh_interval, args.retry_settings, args.controller)
    p.raise_if_any(f"{KIND_SECRET_STORE} {args.metadata.namespace}/{args.metadata.name}")
    return _manifest(
        ESO_API_VERSION,
        KIND_SECRET_STORE,
        _metadata(args.metadata, namespaced=True),
        _store_spec(args.provider, args.refresh_interval, args.retry_settings, args.controller),
    )


def cluster_secret_store(args: ClusterSecretStoreArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1`` ``ClusterSecretStore`` manifest. Raises :class:`EsoSpecError`."""
    p = _Problems()
    _check_metadata(p, args.metadata, namespaced=False)
    _check_provider(p, args.provider, store_namespace=None, referent_auth=args.referent_auth)
    _check_store_common(p, args.refresh_interval, args.retry_settings, args.controller)
    for i, cond in enumerate(args.conditions):
        path = f"spec.conditions[{i}]"
        if not cond.namespaces and not cond.namespace_regexes and cond.namespace_selector is None:
            p.add(path, {}, "an empty condition matches no namespace; give namespaces, regexes or a selector")
        for j, ns in enumerate(cond.namespaces):
            _check_namespace(p, f"{path}.namespaces[{j}]", ns)
        for j, rx in enumerate(cond.namespace_regexes):
            rpath = f"{path}.namespaceRegexes[{j}]"
            if _check_go_regexp(p, rpath, rx):
                _check_anchored(p, rpath, rx)
        if cond.namespace_selector is not None:
            _check_label_selector(p, f"{path}.namespaceSelector", cond.namespace_selector)
    p.raise_if_any(f"{KIND_CLUSTER_SECRET_STORE} {args.metadata.name}")
    spec = _store_spec(args.provider, args.refresh_interval, args.retry_settings, args.controller)
    if args.conditions:
        spec["conditions"] = [
            _prune(
                {
                    "namespaces": list(c.namespaces),
                    "namespaceRegexes": list(c.namespace_regexes),
                    "namespaceSelector": (
                        _render_label_selector(c.namespace_selector) if c.namespace_selector else None
                    ),
                }
            )
            for c in args.conditions
        ]
    return _manifest(
        ESO_API_VERSION, KIND_CLUSTER_SECRET_STORE, _metadata(args.metadata, namespaced=False), spec
    )


def external_secret(args: ExternalSecretArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1`` ``ExternalSecret`` manifest. Raises :class:`EsoSpecError`."""
    p = _Problems()
    _check_external_secret(p, args)
    p.raise_if_any(f"{KIND_EXTERNAL_SECRET} {args.metadata.namespace}/{args.metadata.name}")
    target = args.target
    spec = _prune(
        {
            "refreshInterval": args.refresh_interval,
            "refreshPolicy": args.refresh_policy,
            "secretStoreRef": {"name": args.secret_store_ref.name, "kind": args.secret_store_ref.kind},
            "target": _prune(
                {
                    "name": target.name,
                    "creationPolicy": target.creation_policy,
                    "deletionPolicy": target.deletion_policy,
                    "immutable": True if target.immutable else None,
                    "template": _render_template(target.template) if target.template else None,
                }
            ),
            "dataFrom": [_render_data_from(s) for s in args.data_from],
            "data": [
                {"secretKey": d.secret_key, "remoteRef": _render_remote_ref(d.remote_ref)} for d in args.data
            ],
        }
    )
    return _manifest(ESO_API_VERSION, KIND_EXTERNAL_SECRET, _metadata(args.metadata, namespaced=True), spec)


def push_secret(args: PushSecretArgs) -> dict[str, Any]:
    """A ``external-secrets.io/v1alpha1`` ``PushSecret`` manifest. Raises :class:`EsoSpecError`."""
    p = _Problems()
    _check_push_secret(p, args)
    p.raise_if_any(f"{KIND_PUSH_SECRET} {args.metadata.namespace}/{args.metadata.name}")
    data: list[dict[str, Any]] = []
    for item in args.data:
        entry: dict[str, Any] = {
            "match": _prune(
                {
                    "secretKey": item.secret_key,
                    "remoteRef": _prune({"remoteKey": item.remote_key, "property": item.property}),
                }
            )
        }
        if item.metadata is not None:
            entry["metadata"] = _render_push_metadata(item.metadata)
        data.append(entry)
    spec = {
        "refreshInterval": args.refresh_interval,
        "updatePolicy": args.update_policy,
        "deletionPolicy": args.deletion_policy,
        "secretStoreRefs": [{"name": r.name, "kind": r.kind} for r in args.secret_store_refs],
        "selector": {"secret": {"name": args.secret_name}},
        "data": data,
    }
    return _manifest(
        PUSH_SECRET_API_VERSION, KIND_PUSH_SECRET, _metadata(args.metadata, namespaced=True), spec
    )


__all__ = [
    "AWS_SERVICE_SECRETS_MANAGER",
    "ESO_API_VERSION",
    "ESO_GROUP",
    "ESO_MANAGED_BY_TAG",
    "KIND_CLUSTER_SECRET_STORE",
    "KIND_EXTERNAL_SECRET",
    "KIND_PUSH_SECRET",
    "KIND_SECRET_STORE",
    "MANAGED_BY_LABEL",
    "MANAGED_BY_VALUE",
    "PUSH_SECRET_API_VERSION",
    "PUSH_SECRET_METADATA_API_VERSION",
    "PUSH_SECRET_METADATA_KIND",
    "RECOVERY_WINDOW_MAX_DAYS",
    "RECOVERY_WINDOW_MIN_DAYS",
    "TEMPLATE_ENGINE_VERSION",
    "TLS_SECRET_TYPE",
    "AwsAuth",
    "AwsSecretsManagerProvider",
    "ClusterSecretStoreArgs",
    "ControllerIdentityAuth",
    "CreationPolicy",
    "DataFrom",
    "DataFromExtract",
    "DataFromFind",
    "DeletionPolicy",
    "EsoSpecError",
    "ExternalSecretArgs",
    "ExternalSecretData",
    "IrsaAuth",
    "LabelSelector",
    "LabelSelectorRequirement",
    "NamespaceCondition",
    "ObjectMeta",
    "PushSecretArgs",
    "PushSecretData",
    "PushSecretMetadata",
    "RemoteRef",
    "RetrySettings",
    "SecretKeySelector",
    "SecretStoreArgs",
    "SecretTemplate",
    "StaticKeysAuth",
    "StoreRef",
    "TargetArgs",
    "TlsTemplate",
    "cluster_secret_store",
    "duration_nanoseconds",
    "external_secret",
    "is_go_duration",
    "parse_duration",
    "push_secret",
    "secret_store",
    "template_ref",
]
